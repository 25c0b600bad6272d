/*
 * Unit tests for duration parsing and formatting.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "duration.h"

static int64_t
parse_ok(const char *s)
{
	int64_t secs = -1;
	char *cause = NULL;

	assert_int_equal(duration_parse(s, &secs, &cause), 0);
	assert_null(cause);
	return secs;
}

static char *
parse_error(const char *s)
{
	int64_t secs = -1;
	char *cause = NULL;

	assert_int_equal(duration_parse(s, &secs, &cause), -1);
	assert_non_null(cause);
	return cause;
}

static void
test_duration_parses_each_unit(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("90s"), 90);
	assert_int_equal(parse_ok("5m"), 300);
	assert_int_equal(parse_ok("2h"), 7200);
	assert_int_equal(parse_ok("2d"), 172800);
	assert_int_equal(parse_ok("1w"), 604800);
	assert_int_equal(parse_ok("0s"), 0);
}

static void
test_duration_adds_compound_parts(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("1h30m"), 5400);
	assert_int_equal(parse_ok("1h 30m 5s"), 5405);
	assert_int_equal(parse_ok("1d12h"), 129600);
}

static void
test_duration_rejects_missing_unit_and_says_so(void **state)
{
	char *cause = parse_error("90");

	(void)state;
	assert_non_null(strstr(cause, "'90' has no unit"));
	free(cause);
}

static void
test_duration_rejects_garbage_quoting_it(void **state)
{
	static const char *bad[] = { "", "m5", "5x", "5 m s", "-5s", "1.5h" };
	char *cause;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = parse_error(bad[i]);
		if (*bad[i] != '\0') {
			assert_non_null(strstr(cause, bad[i]));
		}
		free(cause);
	}
}

static void
test_duration_rejects_overflow(void **state)
{
	char *cause = parse_error("99999999999999999999s");

	(void)state;
	assert_non_null(strstr(cause, "too large"));
	free(cause);
	free(parse_error("9999999999999999w"));
}

static void
test_duration_formats_largest_units_first(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(duration_format(5400, buf, sizeof buf), "1h30m");
	assert_string_equal(
	    duration_format(90061, buf, sizeof buf), "1d1h1m1s");
	assert_string_equal(duration_format(0, buf, sizeof buf), "0s");
	assert_string_equal(duration_format(60, buf, sizeof buf), "1m");
}

static void
test_duration_format_ms_is_compact(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(duration_format_ms(12, buf, sizeof buf), "12ms");
	assert_string_equal(duration_format_ms(1500, buf, sizeof buf), "1.50s");
	assert_string_equal(
	    duration_format_ms(125000, buf, sizeof buf), "2m05s");
	assert_string_equal(
	    duration_format_ms(7260000, buf, sizeof buf), "2h01m");
}

static void
test_size_parses_binary_units(void **state)
{
	int64_t b = 0;
	char *cause = NULL;

	(void)state;
	assert_int_equal(size_parse("4096", &b, &cause), 0);
	assert_int_equal(b, 4096);
	assert_int_equal(size_parse("512M", &b, &cause), 0);
	assert_int_equal(b, INT64_C(512) << 20);
	assert_int_equal(size_parse("1GiB", &b, &cause), 0);
	assert_int_equal(b, INT64_C(1) << 30);
	assert_int_equal(size_parse("10k", &b, &cause), 0);
	assert_int_equal(b, 10240);
	assert_int_equal(size_parse("2TB", &b, &cause), 0);
	assert_int_equal(b, INT64_C(2) << 40);
}

static void
test_size_rejects_garbage_quoting_it(void **state)
{
	static const char *bad[] = { "", "M", "1.5G", "10 M", "5X", "-1" };
	int64_t b;
	char *cause;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		assert_int_equal(size_parse(bad[i], &b, &cause), -1);
		assert_non_null(strstr(cause, "bad size"));
		free(cause);
	}
	assert_int_equal(size_parse("99999999999T", &b, &cause), -1);
	assert_non_null(strstr(cause, "too large"));
	free(cause);
}

static void
test_size_formats_compactly(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(size_format(10 << 20, buf, sizeof buf), "10M");
	assert_string_equal(size_format(1536, buf, sizeof buf), "1.5K");
	assert_string_equal(size_format(100, buf, sizeof buf), "100B");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_parses_each_unit),
		cmocka_unit_test(test_duration_adds_compound_parts),
		cmocka_unit_test(
		    test_duration_rejects_missing_unit_and_says_so),
		cmocka_unit_test(test_duration_rejects_garbage_quoting_it),
		cmocka_unit_test(test_duration_rejects_overflow),
		cmocka_unit_test(test_duration_formats_largest_units_first),
		cmocka_unit_test(test_duration_format_ms_is_compact),
		cmocka_unit_test(test_size_parses_binary_units),
		cmocka_unit_test(test_size_rejects_garbage_quoting_it),
		cmocka_unit_test(test_size_formats_compactly),
	};

	return cmocka_run_group_tests_name("duration", tests, NULL, NULL);
}
