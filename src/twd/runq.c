/*
 * The ready queue, a sorted array: insertion finds its place by binary
 * search, and the start order is a walk from the front. The live items are
 * v[head..n): taking the first one, which is what starting runs does, only
 * moves head, so a queue of thousands costs nothing per start; the space
 * before head is given back when it is half the array.
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

/* Move the live items to the front of the array. */
static void
runq_compact(struct runq *q)
{
	if (q->head == 0) {
		return;
	}
	memmove(q->v, q->v + q->head, (q->n - q->head) * sizeof *q->v);
	q->n -= q->head;
	q->head = 0;
	runq_reindex(q, 0);
}

void
runq_push(struct runq *q, struct runq_item *it)
{
	size_t lo = q->head, hi = q->n, mid;

	it->seq = ++q->seq;
	q->nheld += it->not_before_ms != 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (runq_before(q->v[mid], it)) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	/* Before all the others: into the room at the front, if there is. */
	if (lo == q->head && q->head > 0) {
		q->v[--q->head] = it;
		it->index = q->head;
		return;
	}
	if (q->n == q->cap && q->head > 0) {
		lo -= q->head;
		runq_compact(q);
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

size_t
runq_count(const struct runq *q)
{
	return q->n - q->head;
}

void
runq_remove(struct runq *q, struct runq_item *it)
{
	size_t i = it->index;

	q->nheld -= it->not_before_ms != 0;
	if (i == q->head) {
		q->v[q->head++] = NULL;
	} else {
		memmove(q->v + i, q->v + i + 1, (q->n - i - 1) * sizeof *q->v);
		q->n--;
		runq_reindex(q, i);
	}
	if (q->head == q->n) {
		q->head = q->n = 0;
	} else if (q->head > 64 && q->head > q->n / 2) {
		runq_compact(q);
	}
}

struct runq_item *
runq_next(const struct runq *q, int64_t now, runq_accept_fn accept, void *arg)
{
	size_t i;

	for (i = q->head; i < q->n; i++) {
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

	/* Most queues hold back nothing: no walk over them all. */
	if (q->nheld == 0) {
		return 0;
	}
	for (i = q->head; i < q->n; i++) {
		if (q->v[i]->not_before_ms > now &&
		    (at == 0 || q->v[i]->not_before_ms < at)) {
			at = q->v[i]->not_before_ms;
		}
	}
	return at;
}
