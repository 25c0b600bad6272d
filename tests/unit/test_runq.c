/*
 * Unit tests for the ready queue: the start order, slots decided by the
 * caller, runs held back until a time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "runq.h"

struct job {
	const char *name;
	int lane; /* which queue it is in */
	struct runq_item it;
};

/* A job held back until not_before (0: not held), pushed. */
static void
add_held(struct runq *q, struct job *j, const char *name, int priority,
    int64_t due, int lane, int64_t not_before)
{
	memset(j, 0, sizeof *j);
	j->name = name;
	j->lane = lane;
	j->it.priority = priority;
	j->it.due_ms = due;
	j->it.not_before_ms = not_before;
	j->it.data = j;
	runq_push(q, &j->it);
}

static void
add(struct runq *q, struct job *j, const char *name, int priority, int64_t due,
    int lane)
{
	add_held(q, j, name, priority, due, lane, 0);
}

/* Slots free in each lane; the accept callback of the tests. */
struct slots {
	int free[3];
};

static int
lane_has_room(const struct runq_item *it, void *arg)
{
	const struct job *j = it->data;
	const struct slots *s = arg;

	return s->free[j->lane] > 0;
}

/* Start what may start, in order, as the daemon does; names in out. */
static void
drain(struct runq *q, int64_t now, struct slots *s, char *out, size_t len)
{
	struct runq_item *it;
	struct job *j;

	out[0] = '\0';
	while ((it = runq_next(q, now, lane_has_room, s)) != NULL) {
		j = it->data;
		s->free[j->lane]--;
		runq_remove(q, it);
		if (out[0] != '\0') {
			strncat(out, " ", len - strlen(out) - 1);
		}
		strncat(out, j->name, len - strlen(out) - 1);
	}
}

static void
test_runq_higher_priority_then_earlier_due_then_arrival(void **state)
{
	struct job j[6];
	struct runq q;
	struct slots s = { { 100, 0, 0 } };
	char out[128];

	(void)state;
	runq_init(&q);
	add(&q, &j[0], "low", 10, 100, 0);
	add(&q, &j[1], "normal-late", 20, 300, 0);
	add(&q, &j[2], "critical", 40, 500, 0);
	add(&q, &j[3], "normal-early", 20, 200, 0);
	add(&q, &j[4], "normal-early-2", 20, 200, 0);
	add(&q, &j[5], "high", 30, 900, 0);
	drain(&q, 1000, &s, out, sizeof out);
	assert_string_equal(
	    out, "critical high normal-early normal-early-2 normal-late low");
	assert_int_equal(runq_count(&q), 0);
	runq_release(&q);
}

static void
test_runq_a_full_queue_lets_others_pass(void **state)
{
	struct job j[5];
	struct runq q;
	/* Lane 1 (say "heavy") has one slot; lane 0 has two. */
	struct slots s = { { 2, 1, 0 } };
	char out[128];

	(void)state;
	runq_init(&q);
	add(&q, &j[0], "heavy-a", 40, 1, 1);
	add(&q, &j[1], "heavy-b", 40, 2, 1);
	add(&q, &j[2], "light-a", 10, 3, 0);
	add(&q, &j[3], "light-b", 10, 4, 0);
	add(&q, &j[4], "light-c", 10, 5, 0);
	drain(&q, 10, &s, out, sizeof out);
	assert_string_equal(out, "heavy-a light-a light-b");
	/* What is left waits in order for slots to come free. */
	assert_int_equal(runq_count(&q), 2);
	s.free[1] = 1;
	s.free[0] = 1;
	drain(&q, 10, &s, out, sizeof out);
	assert_string_equal(out, "heavy-b light-c");
	runq_release(&q);
}

static void
test_runq_held_back_runs_wait_for_their_time(void **state)
{
	struct job j[3];
	struct runq q;
	struct slots s = { { 10, 0, 0 } };
	char out[128];

	(void)state;
	runq_init(&q);
	add_held(&q, &j[0], "retry", 40, 1, 0, 5000);
	add_held(&q, &j[1], "other-retry", 40, 1, 0, 3000);
	add(&q, &j[2], "plain", 10, 2, 0);
	assert_int_equal(runq_wakeup(&q, 1000), 3000);
	drain(&q, 1000, &s, out, sizeof out);
	assert_string_equal(out, "plain");
	assert_int_equal(runq_wakeup(&q, 3000), 5000);
	drain(&q, 3000, &s, out, sizeof out);
	assert_string_equal(out, "other-retry");
	drain(&q, 5000, &s, out, sizeof out);
	assert_string_equal(out, "retry");
	assert_int_equal(runq_wakeup(&q, 5000), 0);
	runq_release(&q);
}

static void
test_runq_removes_from_the_middle(void **state)
{
	struct job j[4];
	struct runq q;
	struct slots s = { { 10, 0, 0 } };
	char out[128];

	(void)state;
	runq_init(&q);
	add(&q, &j[0], "a", 10, 1, 0);
	add(&q, &j[1], "b", 10, 2, 0);
	add(&q, &j[2], "c", 10, 3, 0);
	add(&q, &j[3], "d", 10, 4, 0);
	runq_remove(&q, &j[1].it);
	runq_remove(&q, &j[3].it);
	drain(&q, 10, &s, out, sizeof out);
	assert_string_equal(out, "a c");
	runq_release(&q);
}

static void
test_runq_retry_waits_grow_to_their_cap_with_bounded_jitter(void **state)
{
	(void)state;
	/* 10s, doubling, at most 1m: 10s, 20s, 40s, 60s, 60s. */
	assert_int_equal(runq_backoff(10000, 2.0, 60000, 1, 0), 10000);
	assert_int_equal(runq_backoff(10000, 2.0, 60000, 2, 0), 20000);
	assert_int_equal(runq_backoff(10000, 2.0, 60000, 3, 0), 40000);
	assert_int_equal(runq_backoff(10000, 2.0, 60000, 4, 0), 60000);
	assert_int_equal(runq_backoff(10000, 2.0, 60000, 50, 0), 60000);
	/* Jitter adds at most a tenth. */
	assert_int_equal(runq_backoff(10000, 2.0, 60000, 1, 0.5), 10500);
	assert_true(runq_backoff(10000, 2.0, 60000, 3, 0.999999) <= 44000);
	/* A backoff of 1 keeps the wait as it is. */
	assert_int_equal(runq_backoff(5000, 1.0, 60000, 7, 0), 5000);
}

/*
 * A long queue: taking the first over and over (the room left at the
 * front is reused, and given back), with pushes in front and removals
 * in the middle between, keeps the order.
 */
static void
test_runq_a_long_queue_keeps_its_order(void **state)
{
	static struct job j[300];
	struct runq q;
	struct runq_item *it;
	int64_t last = -1;
	size_t i;

	(void)state;
	runq_init(&q);
	for (i = 0; i < 200; i++) {
		add(&q, &j[i], "j", 10, (int64_t)i * 10, 0);
	}
	for (i = 0; i < 150; i++) {
		it = runq_next(&q, 0, NULL, NULL);
		runq_remove(&q, it);
		/* Due before all the rest: it goes into the room in front. */
		if (i % 10 == 0) {
			add(&q, &j[200 + i / 10], "early", 10, it->due_ms, 0);
		}
		/* One from the middle. */
		if (i % 25 == 0 && runq_count(&q) > 5) {
			runq_remove(&q, q.v[q.head + runq_count(&q) / 2]);
		}
	}
	while ((it = runq_next(&q, 0, NULL, NULL)) != NULL) {
		assert_true(it->due_ms >= last);
		last = it->due_ms;
		runq_remove(&q, it);
	}
	assert_int_equal(runq_count(&q), 0);
	runq_release(&q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runq_a_long_queue_keeps_its_order),
		cmocka_unit_test(
		    test_runq_higher_priority_then_earlier_due_then_arrival),
		cmocka_unit_test(test_runq_a_full_queue_lets_others_pass),
		cmocka_unit_test(test_runq_held_back_runs_wait_for_their_time),
		cmocka_unit_test(test_runq_removes_from_the_middle),
		cmocka_unit_test(
		    test_runq_retry_waits_grow_to_their_cap_with_bounded_jitter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
