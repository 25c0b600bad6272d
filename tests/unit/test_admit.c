/*
 * Unit tests for admission by resources: fits and does not, the
 * shortfall in words, priority kept through the run queue, backfill
 * while the big run's wait is under the bound, and its reservation once
 * it is past. The clock is the test's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "admit.h"
#include "config.h"
#include "runq.h"

#define MB (INT64_C(1) << 20)
#define T0 INT64_C(1790000000000)

static const struct capacity_def cap = {
	.on = 1,
	.mcpus = 2000,
	.memory = 1024 * MB,
	.swap = -1,
	.backfill_ms = 60000,
};

static void
test_admit_fits(void **state)
{
	struct admit a;
	struct admit_need big = { 0, 600 * MB }, cpus = { 1500, 0 };
	char buf[128];

	(void)state;
	admit_init(&a, &cap);
	assert_true(admit_fits(&a, &big));
	assert_null(admit_shortfall(&a, &big, buf, sizeof buf));
	admit_take(&a, &big);
	assert_false(admit_fits(&a, &big));
	assert_string_equal(admit_shortfall(&a, &big, buf, sizeof buf),
	    "needs 600M memory, 424M free of capacity");
	assert_true(admit_fits(&a, &cpus));
	admit_take(&a, &cpus);
	assert_false(admit_fits(&a, &cpus));
	assert_string_equal(admit_shortfall(&a, &cpus, buf, sizeof buf),
	    "needs 1.5 CPUs, 0.5 free of capacity");
}

static void
test_admit_without_capacity(void **state)
{
	struct capacity_def none = { 0 };
	struct admit_need huge = { 1000000, INT64_C(1) << 50 };
	struct admit a;
	int64_t blocked = 0;

	(void)state;
	admit_init(&a, &none);
	assert_true(admit_try(&a, &huge, &huge, &blocked, T0));
	assert_int_equal(blocked, 0);
}

/* A queued run of the test: its needs and its state. */
struct run {
	struct runq_item qi;
	struct admit_need need;
	int64_t blocked_ms;
	int started;
};

static int
accept(const struct runq_item *it, void *arg)
{
	struct run *r = it->data;

	return admit_try(arg, &r->need, r, &r->blocked_ms, T0);
}

struct pass {
	struct admit *a;
	int64_t now;
};

static int
accept_at(const struct runq_item *it, void *arg)
{
	struct pass *p = arg;
	struct run *r = it->data;

	return admit_try(p->a, &r->need, r, &r->blocked_ms, p->now);
}

/* A dispatch pass at now with used taken: starts, in order, what fits. */
static void
pass(struct runq *q, int64_t now, int64_t used_memory)
{
	struct admit a;
	struct admit_need used = { 0, used_memory };
	struct pass p = { &a, now };
	struct runq_item *it;
	struct run *r;

	admit_init(&a, &cap);
	admit_take(&a, &used);
	while ((it = runq_next(q, now, accept_at, &p)) != NULL) {
		r = it->data;
		runq_remove(q, it);
		r->started = 1;
		admit_take(&a, &r->need);
	}
}

static void
push(struct runq *q, struct run *r, int priority, int64_t memory, int64_t due)
{
	memset(r, 0, sizeof *r);
	r->need.memory = memory;
	r->qi.priority = priority;
	r->qi.due_ms = due;
	r->qi.data = r;
	runq_push(q, &r->qi);
}

/*
 * A big run that does not fit lets small ones pass while its wait is
 * under the backfill bound; past it, what it needs is kept for it, and
 * it starts first once the room is there.
 */
static void
test_admit_backfill_then_reservation(void **state)
{
	struct runq q;
	struct run big, s1, s2, s3;

	(void)state;
	runq_init(&q);
	push(&q, &big, 75, 800 * MB, T0);
	push(&q, &s1, 50, 100 * MB, T0 + 1);
	push(&q, &s2, 50, 100 * MB, T0 + 2);
	/* 400M taken by a run going on: big does not fit, the small do. */
	pass(&q, T0, 400 * MB);
	assert_false(big.started);
	assert_int_equal(big.blocked_ms, T0);
	assert_true(s1.started);
	assert_true(s2.started);
	/* Within the bound, another small one still passes it. */
	push(&q, &s3, 50, 100 * MB, T0 + 3);
	pass(&q, T0 + 59999, 600 * MB);
	assert_true(s3.started);
	assert_false(big.started);
	/* Past the bound: big's 800M are kept, no small one passes. */
	s3.started = 0;
	push(&q, &s3, 50, 100 * MB, T0 + 4);
	pass(&q, T0 + 60000, 300 * MB);
	assert_false(big.started);
	assert_false(s3.started);
	/* The room is there: big first (priority), the small beside it. */
	pass(&q, T0 + 61000, 0);
	assert_true(big.started);
	assert_true(s3.started);
	assert_int_equal(runq_count(&q), 0);
	runq_release(&q);
}

/* Priority is kept among runs that fit: the higher starts, not both. */
static void
test_admit_priority(void **state)
{
	struct runq q;
	struct run low, high;
	struct admit a;
	struct runq_item *it;

	(void)state;
	runq_init(&q);
	push(&q, &low, 25, 600 * MB, T0);
	push(&q, &high, 75, 600 * MB, T0 + 1000);
	admit_init(&a, &cap);
	it = runq_next(&q, T0 + 2000, accept, &a);
	assert_ptr_equal(it->data, &high);
	runq_remove(&q, it);
	admit_take(&a, &high.need);
	assert_null(runq_next(&q, T0 + 2000, accept, &a));
	assert_int_equal(low.blocked_ms, T0);
	runq_release(&q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_admit_fits),
		cmocka_unit_test(test_admit_without_capacity),
		cmocka_unit_test(test_admit_backfill_then_reservation),
		cmocka_unit_test(test_admit_priority),
	};

	return cmocka_run_group_tests_name("admit", tests, NULL, NULL);
}
