/*
 * Table tests for cron rules: every syntax element, every error message,
 * and the DST rules in three zones (one with a 30-minute shift).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schedule.h"
#include "tz.h"

#define MAXFIRES 6

struct fires_case {
	const char *expr;
	const char *zone;           /* NULL: UTC */
	const char *from;           /* ISO 8601 with offset */
	const char *want[MAXFIRES]; /* "INSTANT" or "INSTANT # note-prefix" */
};

/*
 * Check the next fires of c, each formatted in its zone with any DST note
 * after " # " (matched as a prefix, so the table stays readable).
 */
static void
check_fires(const struct fires_case *c)
{
	struct schedule_fire f;
	struct schedule *s;
	struct tz *z;
	char *cause = NULL, got[160], when[40], note[120];
	int64_t now;
	size_t i;

	z = tz_load(c->zone != NULL ? c->zone : "UTC", &cause);
	assert_non_null(z);
	s = schedule_cron(c->expr, &cause);
	if (s == NULL) {
		fail_msg("'%s': %s", c->expr, cause);
	}
	if (c->zone != NULL) {
		schedule_set_tz(s, z);
	}
	assert_int_equal(tz_parse_iso(z, c->from, &now, &cause), 0);
	for (i = 0; i < MAXFIRES && c->want[i] != NULL; i++) {
		if (!schedule_next_fire(s, 0, now, &f)) {
			fail_msg("'%s': no fire %zu, wanted %s", c->expr, i,
			    c->want[i]);
		}
		tz_format_iso(z, f.at_ms, when, sizeof when);
		if (f.note != SCHEDULE_NOTE_NONE) {
			snprintf(got, sizeof got, "%s # %s", when,
			    schedule_note_text(&f, note, sizeof note));
		} else {
			snprintf(got, sizeof got, "%s", when);
		}
		if (strncmp(got, c->want[i], strlen(c->want[i])) != 0 ||
		    (strchr(c->want[i], '#') == NULL && strchr(got, '#'))) {
			fail_msg("'%s' %s fire %zu: got '%s', want '%s'",
			    c->expr, c->zone != NULL ? c->zone : "UTC", i, got,
			    c->want[i]);
		}
		now = f.at_ms;
	}
	schedule_free(s);
	tz_free(z);
}

static const struct fires_case syntax_cases[] = {
	{ "*/7 * * * *", NULL, "2026-01-01T00:50:00Z",
	    { "2026-01-01T00:56:00Z", "2026-01-01T01:00:00Z",
	        "2026-01-01T01:07:00Z" } },
	{ "5-40/15 * * * *", NULL, "2026-01-01T00:00:00Z",
	    { "2026-01-01T00:05:00Z", "2026-01-01T00:20:00Z",
	        "2026-01-01T00:35:00Z", "2026-01-01T01:05:00Z" } },
	{ "50/5 * * * *", NULL, "2026-01-01T00:00:00Z",
	    { "2026-01-01T00:50:00Z", "2026-01-01T00:55:00Z",
	        "2026-01-01T01:50:00Z" } },
	{ "0 9 * * MON-fri", NULL, "2026-01-02T10:00:00Z",
	    { "2026-01-05T09:00:00Z", "2026-01-06T09:00:00Z" } },
	{ "0 0 1 jan,JUL *", NULL, "2026-01-01T00:00:00Z",
	    { "2026-07-01T00:00:00Z", "2027-01-01T00:00:00Z" } },
	/* Both day fields restricted: either matches (1st, 15th, Wednesdays). */
	{ "0 0 1,15 * wed", NULL, "2026-04-01T00:00:00Z",
	    { "2026-04-08T00:00:00Z", "2026-04-15T00:00:00Z",
	        "2026-04-22T00:00:00Z", "2026-04-29T00:00:00Z",
	        "2026-05-01T00:00:00Z" } },
	/* A '*' day-of-month, even with a step: both must match. */
	{ "0 0 */2 * 1", NULL, "2026-01-01T00:00:00Z",
	    { "2026-01-05T00:00:00Z", "2026-01-19T00:00:00Z",
	        "2026-02-09T00:00:00Z" } },
	{ "0 0 * * 7", NULL, "2026-01-01T00:00:00Z",
	    { "2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z" } },
	{ "0 0 * * 0", NULL, "2026-01-01T00:00:00Z",
	    { "2026-01-04T00:00:00Z" } },
	{ "*/20 * * * * *", NULL, "2026-01-01T00:00:30Z",
	    { "2026-01-01T00:00:40Z", "2026-01-01T00:01:00Z",
	        "2026-01-01T00:01:20Z" } },
	{ "30 0 9 * * *", NULL, "2026-01-01T09:00:30Z",
	    { "2026-01-02T09:00:30Z" } },
	{ "@hourly", NULL, "2026-01-01T00:00:00Z",
	    { "2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z" } },
	{ "@daily", NULL, "2026-01-01T00:00:00Z", { "2026-01-02T00:00:00Z" } },
	{ "@midnight", NULL, "2026-01-01T12:00:00Z",
	    { "2026-01-02T00:00:00Z" } },
	{ "@weekly", NULL, "2026-01-01T00:00:00Z", { "2026-01-04T00:00:00Z" } },
	{ "@monthly", NULL, "2026-01-15T00:00:00Z",
	    { "2026-02-01T00:00:00Z" } },
	{ "@yearly", NULL, "2026-06-01T00:00:00Z", { "2027-01-01T00:00:00Z" } },
	{ "@annually", NULL, "2026-06-01T00:00:00Z",
	    { "2027-01-01T00:00:00Z" } },
	{ "0 12 L * *", NULL, "2028-01-31T13:00:00Z",
	    { "2028-02-29T12:00:00Z", "2028-03-31T12:00:00Z",
	        "2028-04-30T12:00:00Z" } },
	{ "0 0 * * 5#3", NULL, "2026-01-01T00:00:00Z",
	    { "2026-01-16T00:00:00Z", "2026-02-20T00:00:00Z" } },
	{ "0 0 * * FRI#3", NULL, "2026-01-01T00:00:00Z",
	    { "2026-01-16T00:00:00Z" } },
	{ "0 0 * * 5L", NULL, "2026-01-01T00:00:00Z",
	    { "2026-01-30T00:00:00Z", "2026-02-27T00:00:00Z" } },
	{ "0 0 29 2 *", NULL, "2026-01-01T00:00:00Z",
	    { "2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z" } },
	{ "0 0 * 2 1#5", NULL, "2026-01-01T00:00:00Z",
	    { "2044-02-29T00:00:00Z" } },
	/* Current cronie: a range may end on Sunday as 0 or SUN. */
	{ "0 9 * * SAT-SUN", NULL, "2026-01-02T10:00:00Z",
	    { "2026-01-03T09:00:00Z", "2026-01-04T09:00:00Z",
	        "2026-01-10T09:00:00Z" } },
	{ "0 9 * * 5-0", NULL, "2026-01-01T10:00:00Z",
	    { "2026-01-02T09:00:00Z", "2026-01-03T09:00:00Z",
	        "2026-01-04T09:00:00Z", "2026-01-09T09:00:00Z" } },
	/* A step past the field's range: its first value only. */
	{ "*/60 * * * *", NULL, "2026-01-01T00:00:00Z",
	    { "2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z" } },
	{ "0 */24 * * *", NULL, "2026-01-01T00:00:00Z",
	    { "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z" } },
	{ "59 23 31 12 *", NULL, "2026-12-31T23:59:00Z",
	    { "2027-12-31T23:59:00Z" } },
	{ "0 0 31 * *", NULL, "2026-01-31T00:00:00Z",
	    { "2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z" } },
};

static void
test_cron_syntax_elements(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof syntax_cases / sizeof syntax_cases[0]; i++) {
		check_fires(&syntax_cases[i]);
	}
}

static const struct {
	const char *expr;
	const char *error;
} error_cases[] = {
	{ "0 0 30 2 *",
	    "never fires: day-of-month 30 does not occur in "
	    "February" },
	{ "0 0 31 4 *",
	    "never fires: day-of-month 31 does not occur in "
	    "April" },
	{ "0 0 * * 8", "day-of-week: 8 is out of range 0-7" },
	{ "60 * * * *", "minute: 60 is out of range 0-59" },
	{ "0 24 * * *", "hour: 24 is out of range 0-23" },
	{ "0 0 0 * *", "day-of-month: 0 is out of range 1-31" },
	{ "0 0 1 13 *", "month: 13 is out of range 1-12" },
	{ "60 0 0 * * *", "second: 60 is out of range 0-59" },
	{ "* * *",
	    "expected 5 fields (minute hour day-of-month month "
	    "day-of-week) or 6 (with seconds first), not 3" },
	{ "* * * * * * *", "expected 5 fields" },
	{ "5-2 * * * *", "minute: range '5-2' goes backwards" },
	{ "*/0 * * * *", "minute: step in '*/0' must be from 1 to 1000" },
	{ "*/1001 * * * *", "minute: step in '*/1001' must be from 1 to 1000" },
	/* Sunday ends a range as 0 too; one that goes back is refused. */
	{ "0 0 * * FRI-MON", "day-of-week: range 'FRI-MON' goes backwards" },
	{ "0 0 * * 1-0x", "day-of-week: unexpected 'x' in '1-0x'" },
	{ "0 23-1 * * *", "hour: range '23-1' goes backwards" },
	{ "5~2 * * * *", "minute: random range '5~2' goes backwards" },
	{ "0~30/5 * * * *",
	    "minute: unexpected '/5' in '0~30/5' (a random range takes no "
	    "step)" },
	{ "0~61 * * * *", "minute: 61 is out of range 0-59" },
	{ "*/ * * * *", "minute: '*/' needs a number after '/'" },
	{ "x * * * *", "minute: 'x' is not a number" },
	{ "0 0 * foo *", "month: 'foo' is not a number or month name" },
	{ "0 0 * * funday",
	    "day-of-week: 'funday' is not a number or day "
	    "name" },
	{ "0 0 * * 1#6",
	    "day-of-week: '1#6': the week after # must be 1 to "
	    "5" },
	{ "1,,2 * * * *", "minute: empty list element" },
	{ "1-2x * * * *", "minute: unexpected 'x' in '1-2x'" },
	{ "@sometimes", "unknown macro '@sometimes'" },
};

static void
test_cron_errors_name_field_and_value(void **state)
{
	char *cause;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
		cause = NULL;
		if (schedule_cron(error_cases[i].expr, &cause) != NULL) {
			fail_msg("'%s' was accepted", error_cases[i].expr);
		}
		if (strncmp(cause, error_cases[i].error,
		        strlen(error_cases[i].error)) != 0) {
			fail_msg("'%s': got '%s', want '%s'",
			    error_cases[i].expr, cause, error_cases[i].error);
		}
		free(cause);
	}
}

static const struct fires_case dst_cases[] = {
	/* New York: 02:00 EST -> 03:00 EDT on March 8, back on November 1. */
	{ "30 2 * * *", "America/New_York", "2026-03-07T12:00:00-05:00",
	    { "2026-03-08T03:00:00-04:00 # 02:30 does not exist (DST gap): "
	      "runs at the jump",
	        "2026-03-09T02:30:00-04:00" } },
	{ "0 2 * * *", "America/New_York", "2026-03-07T12:00:00-05:00",
	    { "2026-03-08T03:00:00-04:00 # 02:00 does not exist",
	        "2026-03-09T02:00:00-04:00" } },
	/* Several skipped fixed times still make one run. */
	{ "0,30 2 * * *", "America/New_York", "2026-03-08T00:00:00-05:00",
	    { "2026-03-08T03:00:00-04:00 # 02:00 does not exist",
	        "2026-03-09T02:00:00-04:00" } },
	{ "*/30 * * * *", "America/New_York", "2026-03-08T01:00:00-05:00",
	    { "2026-03-08T01:30:00-05:00", "2026-03-08T03:00:00-04:00",
	        "2026-03-08T03:30:00-04:00" } },
	{ "30 1 * * *", "America/New_York", "2026-10-31T12:00:00-04:00",
	    { "2026-11-01T01:30:00-04:00 # 01:30 happens twice (DST overlap): "
	      "runs at the first only",
	        "2026-11-02T01:30:00-05:00" } },
	{ "*/30 * * * *", "America/New_York", "2026-11-01T00:50:00-04:00",
	    { "2026-11-01T01:00:00-04:00 # first 01:00",
	        "2026-11-01T01:30:00-04:00 # first 01:30",
	        "2026-11-01T01:00:00-05:00 # second 01:00",
	        "2026-11-01T01:30:00-05:00 # second 01:30",
	        "2026-11-01T02:00:00-05:00" } },
	/* A fixed minute with a '*' hour follows elapsed time. */
	{ "30 * * * *", "America/New_York", "2026-11-01T00:50:00-04:00",
	    { "2026-11-01T01:30:00-04:00 # first",
	        "2026-11-01T01:30:00-05:00 "
	        "# second",
	        "2026-11-01T02:30:00-05:00" } },
	/* Started inside the repeated hour: the fixed job already ran. */
	{ "30 1 * * *", "America/New_York", "2026-11-01T01:10:00-05:00",
	    { "2026-11-02T01:30:00-05:00" } },
	/* Berlin: 02:00 CET -> 03:00 CEST on March 29, back on October 25. */
	{ "30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00+01:00",
	    { "2026-03-29T03:00:00+02:00 # 02:30 does not exist",
	        "2026-03-30T02:30:00+02:00" } },
	{ "30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00+02:00",
	    { "2026-10-25T02:30:00+02:00 # 02:30 happens twice",
	        "2026-10-26T02:30:00+01:00" } },
	{ "0 * * * *", "Europe/Berlin", "2026-03-29T00:30:00+01:00",
	    { "2026-03-29T01:00:00+01:00", "2026-03-29T03:00:00+02:00",
	        "2026-03-29T04:00:00+02:00" } },
	/* Lord Howe moves by 30 minutes: 02:00 -> 02:30 and 02:00 -> 01:30. */
	{ "15 2 * * *", "Australia/Lord_Howe", "2026-10-03T12:00:00+10:30",
	    { "2026-10-04T02:30:00+11:00 # 02:15 does not exist",
	        "2026-10-05T02:15:00+11:00" } },
	{ "45 1 * * *", "Australia/Lord_Howe", "2026-04-04T12:00:00+11:00",
	    { "2026-04-05T01:45:00+11:00 # 01:45 happens twice",
	        "2026-04-06T01:45:00+10:30" } },
	{ "*/15 * * * *", "Australia/Lord_Howe", "2026-04-05T01:20:00+11:00",
	    { "2026-04-05T01:30:00+11:00 # first",
	        "2026-04-05T01:45:00+11:00 # first",
	        "2026-04-05T01:30:00+10:30 # second",
	        "2026-04-05T01:45:00+10:30 # second",
	        "2026-04-05T02:00:00+10:30" } },
	{ "*/15 * * * *", "Australia/Lord_Howe", "2026-10-04T01:50:00+10:30",
	    { "2026-10-04T02:30:00+11:00", "2026-10-04T02:45:00+11:00" } },
	/* Local midnight is unaffected; UTC offsets show the change. */
	{ "@daily", "America/New_York", "2026-03-07T12:00:00-05:00",
	    { "2026-03-08T00:00:00-05:00", "2026-03-09T00:00:00-04:00" } },
};

static void
test_cron_follows_cronie_across_dst(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof dst_cases / sizeof dst_cases[0]; i++) {
		check_fires(&dst_cases[i]);
	}
}

static void
test_cron_fires_strictly_after_now(void **state)
{
	struct schedule *s = schedule_cron("0 9 * * *", NULL);
	/* 2026-01-01T09:00:00Z and a millisecond before. */
	int64_t at = INT64_C(1767258000000);

	(void)state;
	assert_int_equal(schedule_next(s, 0, at - 1), at);
	assert_int_equal(schedule_next(s, 0, at), at + 86400000);
	schedule_free(s);
}

/*
 * A rule keeps its last search, for the tasks that share it: asking again
 * for the same second gives the same fire, and another second a new one,
 * in any order, and a new zone is searched afresh.
 */
static void
test_cron_search_kept_is_only_reused_for_its_second(void **state)
{
	struct schedule *s = schedule_cron("*/5 * * * *", NULL);
	/* 2026-01-01T00:00:00Z */
	int64_t t0 = INT64_C(1767225600000), min = 60000;
	struct tz *berlin;
	char *cause = NULL;

	(void)state;
	assert_int_equal(schedule_next(s, 0, t0), t0 + 5 * min);
	assert_int_equal(schedule_next(s, 0, t0 + 999), t0 + 5 * min);
	assert_int_equal(schedule_next(s, 0, t0 + 5 * min), t0 + 10 * min);
	assert_int_equal(schedule_next(s, 0, t0 + 12 * min), t0 + 15 * min);
	assert_int_equal(schedule_next(s, 0, t0), t0 + 5 * min);
	/* 00:00 UTC is 01:00 in Berlin; a rule at 01:30 wall clock. */
	schedule_free(s);
	s = schedule_cron("30 1 * * *", NULL);
	assert_int_equal(schedule_next(s, 0, t0), t0 + 90 * min);
	berlin = tz_load("Europe/Berlin", &cause);
	assert_non_null(berlin);
	schedule_set_tz(s, berlin);
	assert_int_equal(schedule_next(s, 0, t0), t0 + 30 * min);
	schedule_free(s);
	tz_free(berlin);
}

/* A rule lives while it has a holder. */
static void
test_cron_rule_freed_by_its_last_holder(void **state)
{
	struct schedule *s = schedule_cron("0 9 * * *", NULL);
	struct schedule *held = schedule_ref(s);

	(void)state;
	assert_ptr_equal(held, s);
	schedule_free(s);
	/* Still there: ASan says so if it is not. */
	assert_int_equal(schedule_next(held, 0, INT64_C(1767225600000)),
	    INT64_C(1767258000000));
	schedule_free(held);
}

static void
test_cron_reboot_is_recognised_and_never_scheduled(void **state)
{
	struct schedule *s = schedule_cron("@reboot", NULL);

	(void)state;
	assert_true(schedule_is_reboot(s));
	assert_int_equal(schedule_next(s, 0, 0), 0);
	schedule_free(s);
}

/*
 * cronie's random ranges: one value, the same for the same seed (a task's
 * name), within the range, shown in the rule's text; a step past the
 * range is taken with a warning that says what it means.
 */
static void
test_cron_random_ranges_and_warnings(void **state)
{
	struct schedule *a, *b;
	char *cause = NULL, *warning = NULL, want[64];
	int64_t now = INT64_C(1767225600000); /* 2026-01-01T00:00Z */
	int64_t at;
	int minute, seen[31] = { 0 }, distinct = 0;
	size_t i;

	(void)state;
	a = schedule_cron_seeded(
	    "0~30 * * * *", schedule_seed("backup"), &warning, &cause);
	b = schedule_cron_seeded(
	    "0~30 * * * *", schedule_seed("backup"), NULL, &cause);
	assert_non_null(a);
	assert_non_null(b);
	assert_null(warning);
	at = schedule_next(a, 0, now);
	assert_int_equal(at, schedule_next(b, 0, now));
	minute = (int)(at / 60000 % 60);
	assert_true(minute >= 0 && minute <= 30);
	snprintf(want, sizeof want, "0~30 * * * * (as %d * * * *)", minute);
	assert_string_equal(schedule_text(a), want);
	schedule_free(a);
	schedule_free(b);
	/* Names spread over the range. */
	for (i = 0; i < 100; i++) {
		snprintf(want, sizeof want, "task-%zu", i);
		a = schedule_cron_seeded(
		    "~30 * * * *", schedule_seed(want), NULL, &cause);
		minute = (int)(schedule_next(a, 0, now) / 60000 % 60);
		assert_true(minute >= 0 && minute <= 30);
		distinct += !seen[minute];
		seen[minute] = 1;
		schedule_free(a);
	}
	assert_true(distinct > 10);
	/* Whole field, and Sunday at the end of a day-of-week one. */
	a = schedule_cron_seeded(
	    "0 0 * * SAT~SUN", schedule_seed("x"), NULL, &cause);
	assert_non_null(a);
	schedule_free(a);

	a = schedule_cron_seeded("*/60 * * * *", 0, &warning, &cause);
	assert_non_null(a);
	assert_string_equal(warning,
	    "minute: the step of '*/60' is past the range 0-59, so it means "
	    "0 only");
	free(warning);
	schedule_free(a);
	warning = NULL;
	a = schedule_cron_seeded("*/5 * * * *", 0, &warning, &cause);
	assert_null(warning);
	schedule_free(a);
}

static void
test_cron_describes_itself_as_written(void **state)
{
	struct schedule *s = schedule_cron("  @Daily", NULL);
	char buf[64];

	(void)state;
	assert_string_equal(schedule_describe(s, buf, sizeof buf), "@daily");
	schedule_free(s);
	s = schedule_cron("*/5 * * * *", NULL);
	assert_string_equal(
	    schedule_describe(s, buf, sizeof buf), "*/5 * * * *");
	schedule_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cron_syntax_elements),
		cmocka_unit_test(test_cron_errors_name_field_and_value),
		cmocka_unit_test(test_cron_follows_cronie_across_dst),
		cmocka_unit_test(test_cron_fires_strictly_after_now),
		cmocka_unit_test(
		    test_cron_search_kept_is_only_reused_for_its_second),
		cmocka_unit_test(test_cron_rule_freed_by_its_last_holder),
		cmocka_unit_test(
		    test_cron_reboot_is_recognised_and_never_scheduled),
		cmocka_unit_test(test_cron_describes_itself_as_written),
		cmocka_unit_test(test_cron_random_ranges_and_warnings),
	};

	return cmocka_run_group_tests_name("cron", tests, NULL, NULL);
}
