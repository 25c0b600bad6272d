/*
 * The ready queue, a sorted array: insertion finds its place by binary
 * search, and the start order is a walk from the front.
 */
#include <stdlib.h>
#include <string.h>

#include "runq.h"
#include "xmalloc.h"

void
runq_init(struct runq *q)
{
	memset(q, 0, sizeof *q);
}

void
runq_release(struct runq *q)
{
	free(q->v);
	memset(q, 0, sizeof *q);
}

/* Whether a starts before b. */
static int
runq_before(const struct runq_item *a, const struct runq_item *b)
{
	if (a->priority != b->priority) {
		return a->priority > b->priority;
	}
	if (a->due_ms != b->due_ms) {
		return a->due_ms < b->due_ms;
	}
	return a->seq < b->seq;
}

static void
runq_reindex(struct runq *q, size_t from)
{
	size_t i;

	for (i = from; i < q->n; i++) {
		q->v[i]->index = i;
	}
}

void
runq_push(struct runq *q, struct runq_item *it)
{
	size_t lo = 0, hi = q->n, mid;

	it->seq = ++q->seq;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (runq_before(q->v[mid], it)) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	if (q->n == q->cap) {
		q->cap = q->cap == 0 ? 16 : q->cap * 2;
		q->v = xreallocarray(q->v, q->cap, sizeof *q->v);
	}
	memmove(q->v + lo + 1, q->v + lo, (q->n - lo) * sizeof *q->v);
	q->v[lo] = it;
	q->n++;
	runq_reindex(q, lo);
}

void
runq_remove(struct runq *q, struct runq_item *it)
{
	size_t i = it->index;

	memmove(q->v + i, q->v + i + 1, (q->n - i - 1) * sizeof *q->v);
	q->n--;
	runq_reindex(q, i);
}

struct runq_item *
runq_next(const struct runq *q, int64_t now, runq_accept_fn accept, void *arg)
{
	size_t i;

	for (i = 0; i < q->n; i++) {
		if (q->v[i]->not_before_ms > now) {
			continue;
		}
		if (accept == NULL || accept(q->v[i], arg)) {
			return q->v[i];
		}
	}
	return NULL;
}

int64_t
runq_backoff(int64_t first_ms, double backoff, int64_t max_ms, int n, double r)
{
	double wait = (double)first_ms;
	int i;

	for (i = 1; i < n && wait < (double)max_ms; i++) {
		wait *= backoff;
	}
	if (wait > (double)max_ms) {
		wait = (double)max_ms;
	}
	return (int64_t)(wait + wait * 0.1 * r);
}

int64_t
runq_wakeup(const struct runq *q, int64_t now)
{
	int64_t at = 0;
	size_t i;

	for (i = 0; i < q->n; i++) {
		if (q->v[i]->not_before_ms > now &&
		    (at == 0 || q->v[i]->not_before_ms < at)) {
			at = q->v[i]->not_before_ms;
		}
	}
	return at;
}
