/*
 * Admission by resources: whether a run's cpus and memory fit in what is
 * left of the capacity, after the runs going on and a reservation.
 *
 * Backfill, with a bounded wait: the first queued run (in start order)
 * that does not fit lets smaller runs behind it start while they fit,
 * for at most the capacity's backfill time from when it first did not
 * fit. After that it holds a reservation: what it needs counts as taken,
 * so runs behind it start only if they fit beside it, and it starts as
 * soon as the runs going on leave it room. Without durations no
 * scheduler can know a small run will not delay a big one; a bound on
 * the wait is what it can promise.
 *
 * Pure: no clock, no queue, no tasks; the caller passes the time in.
 */
#ifndef TW_ADMIT_H
#define TW_ADMIT_H

#include <stddef.h>
#include <stdint.h>

struct capacity_def;

/* What a run asks: thousandths of a CPU, bytes of memory (0: nothing). */
struct admit_need {
	int64_t mcpus;
	int64_t memory;
};

/* One pass over the queue: what is taken, and the reservation. */
struct admit {
	const struct capacity_def *cap;
	struct admit_need used;     /* the runs going on */
	struct admit_need reserved; /* for the run that waited its turn */
	const void *holder;         /* that run; NULL: none yet */
};

void admit_init(struct admit *, const struct capacity_def *cap);
/* A run going on (or started in this pass) takes need. */
void admit_take(struct admit *, const struct admit_need *need);
/* Whether need fits beside what is taken and reserved. */
int admit_fits(const struct admit *, const struct admit_need *need);
/*
 * Whether the run who, asking need, may start now. One that does not fit
 * has its first refusal time in *blocked_ms (set here when 0); the first
 * such of a pass that has waited the capacity's backfill takes the
 * reservation.
 */
int admit_try(struct admit *, const struct admit_need *need, const void *who,
    int64_t *blocked_ms, int64_t now_ms);
/*
 * Why need does not fit, in words ("needs 6G memory, 3.1G free of
 * capacity"), into buf; NULL when it fits.
 */
const char *admit_shortfall(
    const struct admit *, const struct admit_need *need, char *buf, size_t len);

#endif
