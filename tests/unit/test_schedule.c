/*
 * Unit tests for the schedule engine: intervals, and how rules compare.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>

#include <cmocka.h>

#include "schedule.h"

#define T0 INT64_C(1773109800000) /* 2026-03-10T02:30:00Z */
#define S  INT64_C(1000)

static int
setup(void **state)
{
	*state = schedule_every(300);
	return 0;
}

static int
teardown(void **state)
{
	schedule_free(*state);
	return 0;
}

static void
test_every_first_fire_is_one_interval_from_now(void **state)
{
	assert_int_equal(schedule_next(*state, 0, T0), T0 + 300 * S);
}

static void
test_every_keeps_its_phase_from_the_last_fire(void **state)
{
	/* Restarted 100s after a fire: the next is 200s away, not 300s. */
	assert_int_equal(schedule_next(*state, T0, T0 + 100 * S), T0 + 300 * S);
}

static void
test_every_passes_over_fires_missed_while_down(void **state)
{
	assert_int_equal(
	    schedule_next(*state, T0, T0 + 1000 * S), T0 + 1200 * S);
	/* Exactly on a grid instant, the next one is a whole interval on. */
	assert_int_equal(schedule_next(*state, T0, T0 + 600 * S), T0 + 900 * S);
}

static void
test_every_starts_afresh_when_the_clock_went_back(void **state)
{
	assert_int_equal(
	    schedule_next(*state, T0 + 3600 * S, T0), T0 + 300 * S);
}

static void
test_every_describes_itself(void **state)
{
	char buf[32];

	assert_string_equal(
	    schedule_describe(*state, buf, sizeof buf), "every 5m");
}

static void
test_every_equality_is_by_interval(void **state)
{
	struct schedule *same = schedule_every(300),
	                *other = schedule_every(60);

	assert_true(schedule_equal(*state, same));
	assert_false(schedule_equal(*state, other));
	assert_false(schedule_equal(*state, NULL));
	assert_true(schedule_equal(NULL, NULL));
	schedule_free(same);
	schedule_free(other);
}

/* Each kind compares by what it is made of, never by another kind's. */
static void
test_equality_is_by_kind_and_rule(void **state)
{
	struct schedule *every = schedule_every(300),
	                *started = schedule_every(300),
	                *cron = schedule_cron("*/5 * * * *", NULL),
	                *cron_same = schedule_cron("*/5 * * * *", NULL),
	                *cron_other = schedule_cron("*/5 * * * 1", NULL),
	                *at = schedule_at(T0), *at_same = schedule_at(T0),
	                *at_other = schedule_at(T0 + S);

	(void)state;
	schedule_set_start(started, T0);
	assert_false(schedule_equal(every, started));
	assert_true(schedule_equal(cron, cron_same));
	assert_false(schedule_equal(cron, cron_other));
	assert_false(schedule_equal(cron, every));
	assert_true(schedule_equal(at, at_same));
	assert_false(schedule_equal(at, at_other));
	assert_false(schedule_equal(at, every));
	schedule_free(every);
	schedule_free(started);
	schedule_free(cron);
	schedule_free(cron_same);
	schedule_free(cron_other);
	schedule_free(at);
	schedule_free(at_same);
	schedule_free(at_other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_every_first_fire_is_one_interval_from_now, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_every_keeps_its_phase_from_the_last_fire, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_every_passes_over_fires_missed_while_down, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_every_starts_afresh_when_the_clock_went_back, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_every_describes_itself, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_every_equality_is_by_interval, setup, teardown),
		cmocka_unit_test(test_equality_is_by_kind_and_rule),
	};

	return cmocka_run_group_tests_name("schedule", tests, NULL, NULL);
}
