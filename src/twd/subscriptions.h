/*
 * Subscriptions: events POSTed to URLs as they happen, those of the
 * tasks file and those made at run time (kept in the history). See
 * subscriptions.c.
 */
#ifndef TW_SUBSCRIPTIONS_H
#define TW_SUBSCRIPTIONS_H

#include <jansson.h>

#include "proto.h"

struct subscriptions;
struct twd;

/* Read those made at run time (twd->subscriptions); free them. */
struct subscriptions *subscriptions_create(struct twd *);
void subscriptions_free(struct twd *);
/*
 * Make (or replace) one: spec is {"name", "events", "url", "secret",
 * "task", "status", "timeout"}. 0, or -1 with *cause.
 */
int subscriptions_add(struct twd *, json_t *spec, char **cause);
/* Remove the one called name: 1, or 0 when there is none such. */
int subscriptions_delete(struct twd *, const char *name);
/* [{"name", "from": "file" | "api", ...}], secrets left out. */
json_t *subscriptions_json(struct twd *);
/* Whether any wants event ev of task. */
int subscriptions_want(struct twd *, enum proto_event ev, const char *task);
/* Post ev of task, data borrowed, to each that wants it. */
void subscriptions_post(
    struct twd *, enum proto_event ev, const char *task, json_t *data);

#endif
