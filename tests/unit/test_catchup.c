/*
 * Unit tests for catch-up plans: three days of downtime behind a rule, each
 * policy, the bound on runs and the starting deadline.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>

#include <cmocka.h>

#include "catchup.h"
#include "schedule.h"

#define HOUR (3600 * INT64_C(1000))
#define DAY  (24 * HOUR)
/* 2026-11-20T00:00:00Z */
#define T0 INT64_C(1795132800000)

static struct schedule *
rule(const char *cron)
{
	struct schedule *s;
	char *cause = NULL;

	s = schedule_cron(cron, &cause);
	if (s == NULL) {
		fail_msg("%s: %s", cron, cause);
	}
	return s;
}

static void
test_catchup_none_drops_what_was_missed(void **state)
{
	struct schedule *s = rule("0 * * * *"); /* hourly */
	struct catchup_plan p;

	(void)state;
	/* Down from T0 (the last fire) for three days and ten minutes. */
	catchup_plan(s, T0, T0 + 3 * DAY + 600000, CATCH_UP_NONE, 10, 0, &p);
	assert_int_equal(p.nrun, 0);
	assert_int_equal(p.dropped, 72);
	assert_int_equal(p.first_dropped_ms, T0 + HOUR);
	assert_int_equal(p.last_dropped_ms, T0 + 3 * DAY);
	assert_true(p.counted_all);
	/* A fire that is just due is on time, not missed. */
	catchup_plan(s, T0, T0 + HOUR + 2000, CATCH_UP_NONE, 10, 0, &p);
	assert_int_equal(p.nrun, 1);
	assert_int_equal(p.run[0], T0 + HOUR);
	assert_int_equal(p.dropped, 0);
	schedule_free(s);
}

static void
test_catchup_latest_runs_once(void **state)
{
	struct schedule *s = rule("0 * * * *");
	struct catchup_plan p;

	(void)state;
	catchup_plan(s, T0, T0 + 3 * DAY + 600000, CATCH_UP_LATEST, 10, 0, &p);
	assert_int_equal(p.nrun, 1);
	assert_int_equal(p.run[0], T0 + 3 * DAY);
	assert_int_equal(p.dropped, 71);
	assert_int_equal(p.last_dropped_ms, T0 + 3 * DAY - HOUR);
	schedule_free(s);
}

static void
test_catchup_all_replays_in_order_up_to_the_bound(void **state)
{
	struct schedule *s = rule("0 */6 * * *"); /* every six hours */
	struct catchup_plan p;
	size_t i;

	(void)state;
	catchup_plan(s, T0, T0 + 3 * DAY + 600000, CATCH_UP_ALL, 100, 0, &p);
	assert_int_equal(p.nrun, 12);
	for (i = 0; i < 12; i++) {
		assert_int_equal(p.run[i], T0 + (int64_t)(i + 1) * 6 * HOUR);
	}
	assert_int_equal(p.dropped, 0);
	/* Bounded: the newest five run, the seven before are dropped. */
	catchup_plan(s, T0, T0 + 3 * DAY + 600000, CATCH_UP_ALL, 5, 0, &p);
	assert_int_equal(p.nrun, 5);
	assert_int_equal(p.run[0], T0 + 8 * 6 * HOUR);
	assert_int_equal(p.run[4], T0 + 3 * DAY);
	assert_int_equal(p.dropped, 7);
	assert_int_equal(p.first_dropped_ms, T0 + 6 * HOUR);
	schedule_free(s);
}

static void
test_catchup_starting_deadline_drops_late_fires(void **state)
{
	struct schedule *s = rule("0 */6 * * *");
	struct catchup_plan p;

	(void)state;
	/* Only fires less than 13 hours late may start: the newest two. */
	catchup_plan(
	    s, T0, T0 + 3 * DAY + 600000, CATCH_UP_ALL, 100, 13 * HOUR, &p);
	assert_int_equal(p.nrun, 3);
	assert_int_equal(p.run[0], T0 + 3 * DAY - 12 * HOUR);
	assert_int_equal(p.dropped, 9);
	assert_true(p.past_deadline);
	/* latest with a deadline it cannot meet runs nothing. */
	catchup_plan(
	    s, T0, T0 + 3 * DAY + 2 * HOUR, CATCH_UP_LATEST, 1, HOUR, &p);
	assert_int_equal(p.nrun, 0);
	assert_int_equal(p.dropped, 12);
	schedule_free(s);
}

static void
test_catchup_a_task_that_never_fired_missed_nothing(void **state)
{
	struct schedule *s = rule("* * * * *");
	struct catchup_plan p;

	(void)state;
	catchup_plan(s, 0, T0, CATCH_UP_ALL, 10, 0, &p);
	assert_int_equal(p.nrun, 0);
	assert_int_equal(p.dropped, 0);
	schedule_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catchup_none_drops_what_was_missed),
		cmocka_unit_test(test_catchup_latest_runs_once),
		cmocka_unit_test(
		    test_catchup_all_replays_in_order_up_to_the_bound),
		cmocka_unit_test(
		    test_catchup_starting_deadline_drops_late_fires),
		cmocka_unit_test(
		    test_catchup_a_task_that_never_fired_missed_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
