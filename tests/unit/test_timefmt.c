/*
 * Unit tests for instant formatting and parsing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>

#include <cmocka.h>

#include "timefmt.h"

/* 2026-03-10T02:30:00Z */
#define T0 INT64_C(1773109800000)

static void
test_timefmt_iso_is_utc_with_millis(void **state)
{
	char buf[TIMEFMT_ISO_LEN];

	(void)state;
	assert_string_equal(
	    timefmt_iso(T0 + 123, buf, sizeof buf), "2026-03-10T02:30:00.123Z");
	assert_string_equal(
	    timefmt_iso(-1, buf, sizeof buf), "1969-12-31T23:59:59.999Z");
}

static void
test_timefmt_parse_round_trips(void **state)
{
	char buf[TIMEFMT_ISO_LEN];
	int64_t ms;

	(void)state;
	assert_int_equal(
	    timefmt_parse_iso(timefmt_iso(T0 + 7, buf, sizeof buf), &ms), 0);
	assert_int_equal(ms, T0 + 7);
}

static void
test_timefmt_parse_applies_offsets(void **state)
{
	int64_t ms;

	(void)state;
	assert_int_equal(
	    timefmt_parse_iso("2026-03-10T03:30:00+01:00", &ms), 0);
	assert_int_equal(ms, T0);
	assert_int_equal(
	    timefmt_parse_iso("2026-03-09T21:30:00-05:00", &ms), 0);
	assert_int_equal(ms, T0);
}

static void
test_timefmt_parse_rejects_garbage(void **state)
{
	int64_t ms;

	(void)state;
	assert_int_equal(timefmt_parse_iso("yesterday", &ms), -1);
	assert_int_equal(timefmt_parse_iso("2026-03-10T02:30:00", &ms), -1);
	assert_int_equal(
	    timefmt_parse_iso("2026-03-10T02:30:00Zjunk", &ms), -1);
}

static void
test_timefmt_relative_reads_naturally(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(
	    timefmt_relative(T0 + 300000, T0, buf, sizeof buf), "in 5m");
	assert_string_equal(
	    timefmt_relative(T0 - 180000, T0, buf, sizeof buf), "3m ago");
	assert_string_equal(
	    timefmt_relative(T0 + 200, T0, buf, sizeof buf), "now");
	/* Past an hour, seconds are noise. */
	assert_string_equal(
	    timefmt_relative(T0 + 3725000, T0, buf, sizeof buf), "in 1h2m");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timefmt_iso_is_utc_with_millis),
		cmocka_unit_test(test_timefmt_parse_round_trips),
		cmocka_unit_test(test_timefmt_parse_applies_offsets),
		cmocka_unit_test(test_timefmt_parse_rejects_garbage),
		cmocka_unit_test(test_timefmt_relative_reads_naturally),
	};

	return cmocka_run_group_tests_name("timefmt", tests, NULL, NULL);
}
