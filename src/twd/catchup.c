/*
 * Catch-up planning: walk the fires between the last one and now, keep the
 * newest few, count the rest.
 */
#include <string.h>

#include "catchup.h"
#include "schedule.h"

/* Fires walked one by one; past this, only the last day is looked at. */
#define CATCHUP_WALK_MAX 200000

static void
plan_drop(struct catchup_plan *p, int64_t at)
{
	if (p->dropped++ == 0) {
		p->first_dropped_ms = at;
	}
	p->last_dropped_ms = at;
}

/* Keep at in the ring of the newest max fires; drop what falls out. */
static void
plan_keep(struct catchup_plan *p, int64_t at, size_t max)
{
	if (p->nrun == max) {
		plan_drop(p, p->run[0]);
		memmove(p->run, p->run + 1, (max - 1) * sizeof *p->run);
		p->nrun--;
	}
	p->run[p->nrun++] = at;
}

void
catchup_plan(const struct schedule *rule, int64_t last_ms, int64_t now_ms,
    enum catch_up policy, int max, int64_t deadline_ms, struct catchup_plan *p)
{
	int64_t on_time = CATCHUP_ON_TIME_MS, cursor = last_ms, prev = last_ms;
	int64_t at, walked = 0;
	size_t keep;

	memset(p, 0, sizeof *p);
	p->counted_all = 1;
	if (last_ms == 0 || rule == NULL) {
		return; /* never fired: nothing can have been missed */
	}
	if (deadline_ms > 0 && deadline_ms < on_time) {
		on_time = deadline_ms;
	}
	switch (policy) {
	case CATCH_UP_NONE:
		keep = 1;
		break;
	case CATCH_UP_LATEST:
		keep = 1;
		break;
	default:
		keep = max < 1               ? 1
		    : max > CATCHUP_MAX_RUNS ? CATCHUP_MAX_RUNS
		                             : (size_t)max;
		break;
	}
	while ((at = schedule_next(rule, prev, cursor)) != 0 && at <= now_ms) {
		if (++walked == CATCHUP_WALK_MAX) {
			/* Years of a fire a second: count no further. */
			p->counted_all = 0;
			cursor = now_ms - 86400 * 1000;
			prev = cursor;
			continue;
		}
		prev = cursor = at;
		if (deadline_ms > 0 && now_ms - at > deadline_ms) {
			p->past_deadline = 1;
			plan_drop(p, at);
		} else if (policy == CATCH_UP_NONE && now_ms - at > on_time) {
			plan_drop(p, at);
		} else {
			plan_keep(p, at, keep);
		}
	}
}
