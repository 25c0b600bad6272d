/*
 * Unit tests for the run log's record format.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "logfmt.h"

static void
roundtrip(
    enum logfmt_stream which, int complete, const char *text, const char *want)
{
	struct logfmt_record in = { which, complete, text, strlen(text) };
	struct logfmt_record out;
	char buf[64];
	size_t n = logfmt_encode(buf, &in);

	assert_int_equal(n, LOGFMT_ENCODED_LEN(strlen(text)));
	assert_memory_equal(buf, want, n);
	logfmt_parse(buf, n - 1, &out);
	assert_int_equal(out.stream, which);
	assert_int_equal(out.complete, complete || which == LOGFMT_NOTE);
	assert_int_equal(out.len, strlen(text));
	assert_memory_equal(out.text, text, out.len);
}

static void
test_logfmt_records_tag_stream_and_line_end(void **state)
{
	(void)state;
	roundtrip(LOGFMT_STDOUT, 1, "hello", "O hello\n");
	roundtrip(LOGFMT_STDOUT, 0, "progress", "o progress\n");
	roundtrip(LOGFMT_STDERR, 1, "warning: x", "E warning: x\n");
	roundtrip(LOGFMT_STDERR, 0, "", "e \n");
	roundtrip(LOGFMT_NOTE, 1, "output past 1K discarded",
	    "T output past 1K discarded\n");
	roundtrip(LOGFMT_STDOUT, 1, "O looks like a tag",
	    "O O looks like "
	    "a tag\n");
}

static void
test_logfmt_lines_that_are_no_record_read_as_stdout(void **state)
{
	static const char *const lines[] = { "plain old log line", "X tag",
		"t note in lower case", "O", "", "E\tno space" };
	struct logfmt_record rec;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		logfmt_parse(lines[i], strlen(lines[i]), &rec);
		assert_int_equal(rec.stream, LOGFMT_STDOUT);
		assert_true(rec.complete);
		assert_ptr_equal(rec.text, lines[i]);
		assert_int_equal(rec.len, strlen(lines[i]));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_logfmt_records_tag_stream_and_line_end),
		cmocka_unit_test(
		    test_logfmt_lines_that_are_no_record_read_as_stdout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
