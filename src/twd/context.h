/*
 * What the daemon's stages get from the daemon around them: the wall clock
 * (the system's, or a test's that it sets forward and back at will) and a
 * place to tell what happens (the socket's subscribers, or a test's list).
 */
#ifndef TW_CONTEXT_H
#define TW_CONTEXT_H

#include <jansson.h>
#include <stdint.h>

#include "proto.h"

struct tw_clock {
	int64_t (*now_ms)(void *arg); /* ms since the epoch */
	void *arg;
};

struct tw_events {
	int (*wants)(
	    void *arg, enum proto_event, const char *task, int64_t run);
	void (*publish)(void *arg, enum proto_event, const char *task,
	    int64_t run, int lossy, json_t *data);
	void *arg;
};

/* Wall-clock milliseconds since the epoch, by clock. */
int64_t tw_now(const struct tw_clock *);
/* Whether anyone listens for ev of task and run. */
int tw_wants(
    const struct tw_events *, enum proto_event, const char *task, int64_t run);
/* Tell those that listen; takes data. Lossy: see server_publish. */
void tw_publish(const struct tw_events *, enum proto_event, const char *task,
    int64_t run, int lossy, json_t *data);

#endif
