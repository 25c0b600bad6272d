/*
 * Fires missed while twd was not running or the machine slept: which to
 * run and which to drop, by the task's catch_up policy and starting
 * deadline. Pure: the rule, the last fire and now in, a plan out, so the
 * tests can put any stretch of downtime behind it.
 */
#ifndef TW_CATCHUP_H
#define TW_CATCHUP_H

#include <stddef.h>
#include <stdint.h>

struct schedule;

enum catch_up {
	CATCH_UP_NONE,   /* drop missed fires, as cron */
	CATCH_UP_LATEST, /* run the newest missed fire once */
	CATCH_UP_ALL,    /* run them all, in order, at most catch_up_max */
};

/* The most runs a plan holds (catch_up_max is at most this). */
#define CATCHUP_MAX_RUNS 1000

/*
 * A fire no later than this after its time is on time, not missed: it runs
 * whatever the policy (unless a starting deadline is shorter).
 */
#define CATCHUP_ON_TIME_MS 60000

struct catchup_plan {
	int64_t run[CATCHUP_MAX_RUNS]; /* fires to run, oldest first */
	size_t nrun;
	/* Fires dropped, and the first and last of them. */
	int64_t dropped;
	int64_t first_dropped_ms, last_dropped_ms;
	int past_deadline; /* some were dropped for the starting deadline */
	int counted_all;   /* 0: so many that dropped is a lower bound */
};

/*
 * Plan the fires of rule after last_ms up to now_ms. max bounds the runs of
 * CATCH_UP_ALL; deadline_ms (0: none) drops fires that would start later
 * than that after their time.
 */
void catchup_plan(const struct schedule *rule, int64_t last_ms, int64_t now_ms,
    enum catch_up policy, int max, int64_t deadline_ms,
    struct catchup_plan *plan);

#endif
