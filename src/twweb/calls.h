/*
 * twweb's side of the daemon's socket: a request on a connection of its
 * own, answered by callback, never blocking the loop (a report or a reload
 * takes its time); and subscriptions, whose events come line by line.
 */
#ifndef TW_CALLS_H
#define TW_CALLS_H

#include <jansson.h>

#include "proto.h"

struct event_base;
struct call;

/*
 * The reply (borrowed for the call), or rep NULL and error (a message)
 * when twd could not be asked or did not answer.
 */
typedef void (*call_reply_cb)(
    void *arg, struct proto_reply *rep, const char *error);
/* An event's line of a subscription, as twd sent it (borrowed). */
typedef void (*call_event_cb)(void *arg, json_t *event);

/*
 * Ask twd at socket for cmd with args (taken), on behalf of actor (the
 * audit log's, or NULL). cb is called once, unless the call is cancelled
 * first. Returns the call.
 */
struct call *
call_start(struct event_base *, const char *socket, const char *cmd,
    json_t *args, const char *actor, call_reply_cb cb, void *arg);
/*
 * Subscribe (args as the subscribe request's, taken): cb is called with
 * the reply, then ev for each event until the connection ends, which is
 * told as a reply cb with error "the daemon went away".
 */
struct call *call_subscribe(struct event_base *, const char *socket,
    json_t *args, call_reply_cb cb, call_event_cb ev, void *arg);
/* Forget the call: no callback comes any more. */
void call_cancel(struct call *);

#endif
