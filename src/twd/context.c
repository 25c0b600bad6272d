/*
 * The clock and the event sink of context.h. twd.c fills them with the
 * system clock and the socket's subscribers; a test, with a clock it moves
 * and a list.
 */
#include <jansson.h>

#include "context.h"

int64_t
tw_now(const struct tw_clock *clock)
{
	return clock->now_ms(clock->arg);
}

int
tw_wants(const struct tw_events *events, enum proto_event ev, const char *task,
    int64_t run)
{
	return events->wants != NULL &&
	    events->wants(events->arg, ev, task, run);
}

void
tw_publish(const struct tw_events *events, enum proto_event ev,
    const char *task, int64_t run, int lossy, json_t *data)
{
	if (events->publish == NULL) {
		json_decref(data);
		return;
	}
	events->publish(events->arg, ev, task, run, lossy, data);
}
