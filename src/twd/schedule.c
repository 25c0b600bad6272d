/*
 * Schedule rules and their next fire. Intervals are anchored on the previous
 * fire, not on the time a job ended, so a slow job does not drift the grid.
 */
#include <stdio.h>
#include <stdlib.h>

#include "duration.h"
#include "log.h"
#include "schedule.h"
#include "xmalloc.h"

enum schedule_kind {
	SCHEDULE_EVERY,
};

struct schedule {
	enum schedule_kind kind;
	int64_t every_ms;
};

struct schedule *
schedule_every(int64_t secs)
{
	struct schedule *s;

	if (secs <= 0) {
		fatalx("bug: schedule_every(%lld)", (long long)secs);
	}
	s = xcalloc(1, sizeof *s);
	s->kind = SCHEDULE_EVERY;
	s->every_ms = secs * 1000;
	return s;
}

void
schedule_free(struct schedule *s)
{
	free(s);
}

int64_t
schedule_next(const struct schedule *s, int64_t last_ms, int64_t now_ms)
{
	int64_t missed;

	switch (s->kind) {
	case SCHEDULE_EVERY:
		if (last_ms <= 0 || last_ms > now_ms) {
			/* Never fired, or the clock went back: start afresh. */
			return now_ms + s->every_ms;
		}
		missed = (now_ms - last_ms) / s->every_ms;
		return last_ms + (missed + 1) * s->every_ms;
	}
	fatalx("bug: schedule kind %d", (int)s->kind);
}

char *
schedule_describe(const struct schedule *s, char *buf, size_t len)
{
	char d[32];

	switch (s->kind) {
	case SCHEDULE_EVERY:
		snprintf(buf, len, "every %s",
		    duration_format(s->every_ms / 1000, d, sizeof d));
		return buf;
	}
	fatalx("bug: schedule kind %d", (int)s->kind);
}

int
schedule_equal(const struct schedule *a, const struct schedule *b)
{
	if (a == NULL || b == NULL) {
		return a == b;
	}
	return a->kind == b->kind && a->every_ms == b->every_ms;
}
