/*
 * The daemon's socket: listen, accept the user's own peers only, frame
 * newline-delimited JSON, and hand each request to one callback.
 */
#ifndef TW_SERVER_H
#define TW_SERVER_H

#include <jansson.h>

#include "proto.h"

struct event_base;
struct server;
struct client;

/* req is borrowed for the call; reply with client_send. */
typedef void (*server_request_cb)(
    struct client *, struct proto_request *req, void *arg);

/*
 * Listen on path (a stale socket is replaced; a live one is an error).
 * Returns the server, or NULL with *cause (caller frees).
 */
struct server *server_create(struct event_base *, const char *path,
    server_request_cb, void *arg, char **cause);
/* Drop every client, close and remove the socket. Accepts NULL. */
/*
 * Stop accepting clients and remove the socket; those connected stay
 * connected (at shutdown, until the state is released: see twd.c).
 */
void server_close_listener(struct server *);
void server_free(struct server *);
/* Clients connected now. */
size_t server_clients(const struct server *);

/* Queue msg (takes ownership) to the client. */
void client_send(struct client *, json_t *msg);

/* Who the client is: its uid and pid when it connected. */
void client_peer(const struct client *, long *uid, long *pid);
/* Its number, as client_hold returns it. */
unsigned long client_id(const struct client *);

/*
 * From within the request callback: the request is answered later, by
 * server_answer; until then the client's next requests wait, so that its
 * replies keep their order. Returns the client's number for that.
 */
unsigned long client_hold(struct client *);
/*
 * Answer client's held request with data (taken) or, when data is NULL,
 * the error code and message, then go on with its requests. Nothing is
 * sent to a client that has gone.
 */
void server_answer(struct server *, unsigned long client, json_t *data,
    const char *code, const char *message);

/*
 * From now on push the client the events in the set: only those of task,
 * when not NULL, and of run, when not 0. Replaces what it had asked for.
 */
void client_subscribe(
    struct client *, proto_event_set, const char *task, int64_t run);
/* Whether a client is subscribed to ev of task and run. */
int server_wants(
    const struct server *, enum proto_event ev, const char *task, int64_t run);
/*
 * Push ev with data (taken) to its subscribers. A lossy event is skipped
 * for a subscriber that has fallen behind in reading; the newest one it
 * missed is sent when it has caught up.
 */
void server_publish(struct server *, enum proto_event ev, const char *task,
    int64_t run, int lossy, json_t *data);

#endif
