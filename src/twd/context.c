/*
 * What the stages get from the daemon around them: the time and a place
 * to tell what happens. twd.c fills them with the system clock and the
 * socket's subscribers; a test, with a clock it moves and a list.
 */
#include <jansson.h>

#include "twd.h"

int64_t
twd_now_ms(const struct twd *twd)
{
	return twd->clock.now_ms(twd->clock.arg);
}

int
twd_wants(struct twd *twd, enum proto_event ev, const char *task, int64_t run)
{
	return twd->events.wants != NULL &&
	    twd->events.wants(twd->events.arg, ev, task, run);
}

void
twd_publish(struct twd *twd, enum proto_event ev, const char *task, int64_t run,
    int lossy, json_t *data)
{
	if (twd->events.publish == NULL) {
		json_decref(data);
		return;
	}
	twd->events.publish(twd->events.arg, ev, task, run, lossy, data);
}
