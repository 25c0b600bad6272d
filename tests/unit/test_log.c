/*
 * Unit tests for the log: one whole line per message, levels, long lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"

/* What was logged to a fresh stream by fn. */
static char *
logged(enum log_level level, void (*fn)(void))
{
	static char buf[16384];
	FILE *fp = tmpfile();
	size_t n;

	assert_non_null(fp);
	log_open(fp, level);
	fn();
	rewind(fp);
	n = fread(buf, 1, sizeof buf - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	log_open(NULL, LOG_LEVEL_INFO);
	return buf;
}

static void
two_lines(void)
{
	log_info("run %d '%s' started", 7, "backup");
	log_debug("not at info");
	log_warn("second");
}

static void
test_log_writes_whole_lines_by_level(void **state)
{
	char *out;

	(void)state;
	out = logged(LOG_LEVEL_INFO, two_lines);
	/* "YYYY-MM-DD HH:MM:SS level: message" */
	assert_int_equal(out[4], '-');
	assert_int_equal(out[19], ' ');
	assert_non_null(strstr(out, " info: run 7 'backup' started\n"));
	assert_non_null(strstr(out, " warn: second\n"));
	assert_null(strstr(out, "not at info"));
}

static void
long_line(void)
{
	char *big = malloc(20000);

	memset(big, 'x', 19999);
	big[19999] = '\0';
	log_error("%s", big);
	free(big);
	log_error("after");
}

static void
test_log_cuts_a_long_line_and_goes_on(void **state)
{
	char *out, *nl;

	(void)state;
	out = logged(LOG_LEVEL_INFO, long_line);
	nl = strchr(out, '\n');
	assert_non_null(nl);
	/* Cut to the line's room, newline included; the next one whole. */
	assert_int_equal(nl - out + 1, 8191);
	assert_non_null(strstr(nl + 1, " error: after\n"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_writes_whole_lines_by_level),
		cmocka_unit_test(test_log_cuts_a_long_line_and_goes_on),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
