/*
 * The ready queue: runs waiting for a slot, in the order they are to start:
 * higher priority first, then the earlier due, then the earlier queued.
 * Whether one may start now is the caller's to say (free slots, overlap),
 * and the time is passed in: no clock, no jobs, no database, so the tests
 * drive it with any time they like.
 */
#ifndef TW_RUNQ_H
#define TW_RUNQ_H

#include <stddef.h>
#include <stdint.h>

struct runq_item {
	int priority;          /* higher starts first */
	int64_t due_ms;        /* when it was due; earlier starts first */
	int64_t not_before_ms; /* held back until then; read when pushed */
	void *data;            /* the caller's */
	/* Set by runq_push. */
	uint64_t seq;
	size_t index;
};

struct runq {
	struct runq_item **v; /* v[head..n), in start order */
	size_t head, n, cap;
	uint64_t seq;
	size_t nheld; /* items with a not_before */
};

void runq_init(struct runq *);
/* Frees the array, not the items. */
void runq_release(struct runq *);
void runq_push(struct runq *, struct runq_item *);
/* Items in the queue. */
size_t runq_count(const struct runq *);
/* Take out an item that is in the queue. */
void runq_remove(struct runq *, struct runq_item *);

typedef int (*runq_accept_fn)(const struct runq_item *, void *arg);
/*
 * The first item, in start order, that is not held back at now and that
 * accept takes (NULL: any). NULL when none may start. Not removed.
 */
struct runq_item *
runq_next(const struct runq *, int64_t now, runq_accept_fn accept, void *arg);
/* The earliest time after now an item is held back to; 0 if none is. */
int64_t runq_wakeup(const struct runq *, int64_t now);

/*
 * The wait before retry number n (1 for the first): first_ms, times backoff
 * for each retry before it, at most max_ms; then up to a tenth more, by r
 * (from 0 to 1), so that tasks that failed together do not retry together.
 */
int64_t
runq_backoff(int64_t first_ms, double backoff, int64_t max_ms, int n, double r);

#endif
