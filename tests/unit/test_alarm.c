/*
 * Unit tests for wall-clock alarms: order, rescheduling and cancelling,
 * through a real timerfd and event loop (order is checked, not timing).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>
#include <event2/event.h>

#include "alarm.h"
#include "context.h"

#define NALARMS 64

struct fixture {
	struct event_base *base;
	struct tw_clock wall;
	int64_t fake_ms; /* the clock's time when not 0 */
	struct alarm_set *set;
	struct alarm alarms[NALARMS];
	int order[NALARMS];
	int fired;
	int clock_changes;
};

static void
on_fire(struct alarm *a, void *arg)
{
	struct fixture *f = arg;

	f->order[f->fired++] = (int)(a - f->alarms);
}

static void
on_clock(void *arg)
{
	struct fixture *f = arg;

	f->clock_changes++;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
wall_now(void *arg)
{
	struct fixture *f = arg;

	return f->fake_ms != 0 ? f->fake_ms : now_ms();
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char *cause = NULL;
	int i;

	f->base = event_base_new();
	f->wall.now_ms = wall_now;
	f->wall.arg = f;
	f->set =
	    alarm_set_create(f->base, &f->wall, on_fire, on_clock, f, &cause);
	if (f->set == NULL) {
		return -1;
	}
	for (i = 0; i < NALARMS; i++) {
		alarm_init(&f->alarms[i]);
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	alarm_set_free(f->set);
	event_base_free(f->base);
	free(f);
	return 0;
}

static void
run_until(struct fixture *f, int fired)
{
	while (f->fired < fired) {
		event_base_loop(f->base, EVLOOP_ONCE);
	}
}

static void
test_alarm_fires_in_time_order(void **state)
{
	struct fixture *f = *state;
	int64_t t = now_ms();
	int i;

	/* Scheduled in a scrambled order; due in index order. */
	for (i = 0; i < NALARMS; i++) {
		int k = (i * 37) % NALARMS;

		alarm_schedule(f->set, &f->alarms[k], t + 5 + k);
	}
	assert_int_equal(alarm_set_count(f->set), NALARMS);
	run_until(f, NALARMS);
	for (i = 0; i < NALARMS; i++) {
		assert_int_equal(f->order[i], i);
	}
	assert_int_equal(alarm_set_count(f->set), 0);
}

static void
test_alarm_reschedule_moves_and_cancel_removes(void **state)
{
	struct fixture *f = *state;
	int64_t t = now_ms();

	alarm_schedule(f->set, &f->alarms[0], t + 10);
	alarm_schedule(f->set, &f->alarms[1], t + 20);
	alarm_schedule(f->set, &f->alarms[2], t + 30);
	alarm_schedule(f->set, &f->alarms[0], t + 40); /* now last */
	alarm_cancel(f->set, &f->alarms[1]);
	alarm_cancel(f->set, &f->alarms[1]); /* idle: harmless */
	run_until(f, 2);
	assert_int_equal(f->order[0], 2);
	assert_int_equal(f->order[1], 0);
	assert_int_equal(alarm_set_count(f->set), 0);
}

static void
test_alarm_in_the_past_fires_at_once(void **state)
{
	struct fixture *f = *state;

	alarm_schedule(f->set, &f->alarms[3], now_ms() - 60000);
	run_until(f, 1);
	assert_int_equal(f->order[0], 3);
	assert_int_equal(f->clock_changes, 0);
}

/* What is due is the set's clock's to say: a test's clock, a year ahead. */
static void
test_alarm_due_by_the_sets_clock(void **state)
{
	struct fixture *f = *state;
	int64_t year = INT64_C(365) * 86400 * 1000;

	f->fake_ms = now_ms() + year;
	alarm_schedule(f->set, &f->alarms[1], f->fake_ms + 2000);
	alarm_schedule(f->set, &f->alarms[2], f->fake_ms + 1000);
	alarm_set_run_due(f->set);
	assert_int_equal(f->fired, 0);
	f->fake_ms += 1000;
	alarm_set_run_due(f->set);
	assert_int_equal(f->fired, 1);
	assert_int_equal(f->order[0], 2);
	f->fake_ms += 5000;
	alarm_set_run_due(f->set);
	assert_int_equal(f->fired, 2);
	assert_int_equal(f->order[1], 1);
	assert_int_equal(alarm_set_count(f->set), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_alarm_fires_in_time_order),
		T(test_alarm_reschedule_moves_and_cancel_removes),
		T(test_alarm_in_the_past_fires_at_once),
		T(test_alarm_due_by_the_sets_clock),
	};

	return cmocka_run_group_tests_name("alarm", tests, NULL, NULL);
}
