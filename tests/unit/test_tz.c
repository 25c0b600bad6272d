/*
 * Unit tests for time zones: loading, offsets, skipped and repeated wall
 * clock times, ISO 8601 in and out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tz.h"

/* 2026-03-08T07:00:00Z: New York springs forward from 02:00 EST. */
#define NY_SPRING INT64_C(1772953200)
/* 2026-11-01T06:00:00Z: New York falls back from 02:00 EDT. */
#define NY_FALL INT64_C(1793512800)

static int
setup(void **state)
{
	char *cause = NULL;

	*state = tz_load("America/New_York", &cause);
	return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	tz_free(*state);
	return 0;
}

static void
test_tz_unknown_zone_is_an_error(void **state)
{
	char *cause = NULL;

	(void)state;
	assert_null(tz_load("Mars/Olympus_Mons", &cause));
	assert_non_null(strstr(cause, "unknown time zone 'Mars/Olympus_Mons'"));
	free(cause);
	assert_null(tz_load("../../etc/passwd", &cause));
	free(cause);
}

static void
test_tz_offsets_change_at_the_transition(void **state)
{
	assert_int_equal(tz_offset(*state, NY_SPRING - 1), -5 * 3600);
	assert_int_equal(tz_offset(*state, NY_SPRING), -4 * 3600);
	assert_int_equal(tz_offset(*state, NY_FALL - 1), -4 * 3600);
	assert_int_equal(tz_offset(*state, NY_FALL), -5 * 3600);
}

static void
test_tz_skipped_time_has_no_instant_but_a_jump(void **state)
{
	int64_t out[2], jump = 0;
	/* 02:30 on the spring day, as if UTC. */
	int64_t local = NY_SPRING - 5 * 3600 + 1800;

	assert_int_equal(tz_local_instants(*state, local, out, &jump), 0);
	assert_int_equal(jump, NY_SPRING);
}

static void
test_tz_repeated_time_has_two_instants(void **state)
{
	int64_t out[2], jump;
	/* 01:30 on the autumn day comes at 05:30Z and again at 06:30Z. */
	int64_t local = NY_FALL - 4 * 3600 - 1800;

	assert_int_equal(tz_local_instants(*state, local, out, &jump), 2);
	assert_int_equal(out[0], NY_FALL - 1800);
	assert_int_equal(out[1], NY_FALL + 1800);
}

static void
test_tz_formats_with_the_offset_of_the_day(void **state)
{
	char buf[40];

	assert_string_equal(
	    tz_format_iso(*state, NY_SPRING * 1000, buf, sizeof buf),
	    "2026-03-08T03:00:00-04:00");
	assert_string_equal(
	    tz_format_iso(*state, (NY_SPRING - 1) * 1000, buf, sizeof buf),
	    "2026-03-08T01:59:59-05:00");
}

static void
test_tz_parses_local_and_offset_times(void **state)
{
	char *cause = NULL;
	int64_t ms;

	assert_int_equal(
	    tz_parse_iso(*state, "2026-03-08T01:59:59", &ms, &cause), 0);
	assert_int_equal(ms, (NY_SPRING - 1) * 1000);
	/* A skipped time means the jump; a repeated one the first. */
	assert_int_equal(
	    tz_parse_iso(*state, "2026-03-08 02:30", &ms, &cause), 0);
	assert_int_equal(ms, NY_SPRING * 1000);
	assert_int_equal(
	    tz_parse_iso(*state, "2026-11-01T01:30", &ms, &cause), 0);
	assert_int_equal(ms, (NY_FALL - 1800) * 1000);
	assert_int_equal(
	    tz_parse_iso(*state, "2026-03-08T07:00:00Z", &ms, &cause), 0);
	assert_int_equal(ms, NY_SPRING * 1000);
	assert_int_equal(
	    tz_parse_iso(*state, "2026-03-08T08:00:00+01:00", &ms, &cause), 0);
	assert_int_equal(ms, NY_SPRING * 1000);
}

static void
test_tz_rejects_bad_dates(void **state)
{
	char *cause = NULL;
	int64_t ms;

	assert_int_equal(tz_parse_iso(*state, "tomorrow", &ms, &cause), -1);
	assert_non_null(strstr(cause, "'tomorrow' is not a date and time"));
	free(cause);
	assert_int_equal(
	    tz_parse_iso(*state, "2026-02-30T00:00", &ms, &cause), -1);
	assert_non_null(strstr(cause, "day 30 does not exist"));
	free(cause);
	assert_int_equal(
	    tz_parse_iso(*state, "2026-13-01T00:00", &ms, &cause), -1);
	free(cause);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_tz_unknown_zone_is_an_error),
		T(test_tz_offsets_change_at_the_transition),
		T(test_tz_skipped_time_has_no_instant_but_a_jump),
		T(test_tz_repeated_time_has_two_instants),
		T(test_tz_formats_with_the_offset_of_the_day),
		T(test_tz_parses_local_and_offset_times),
		T(test_tz_rejects_bad_dates),
	};

	return cmocka_run_group_tests_name("tz", tests, NULL, NULL);
}
