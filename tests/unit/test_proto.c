/*
 * Unit tests for protocol encoding and decoding.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"

static int
decode(struct proto_request *req, const char *line, const char **code,
    char **cause)
{
	return proto_request_decode(req, line, strlen(line), code, cause);
}

static void
test_proto_decodes_a_request(void **state)
{
	struct proto_request req;
	const char *code = NULL;
	char *cause = NULL;

	(void)state;
	assert_int_equal(decode(&req,
	                     "{\"id\": 7, \"cmd\": \"run\", "
	                     "\"args\": {\"task\": \"backup\"}}",
	                     &code, &cause),
	    0);
	assert_int_equal(json_integer_value(req.id), 7);
	assert_string_equal(req.cmd, "run");
	assert_string_equal(
	    json_string_value(json_object_get(req.args, "task")), "backup");
	proto_request_release(&req);
}

static void
test_proto_gives_absent_args_as_empty_object(void **state)
{
	struct proto_request req;
	const char *code;
	char *cause;

	(void)state;
	assert_int_equal(
	    decode(&req, "{\"cmd\":\"status\"}", &code, &cause), 0);
	assert_true(json_is_object(req.args));
	assert_true(json_is_null(req.id));
	proto_request_release(&req);
}

static void
expect_error(const char *line, const char *want_code, const char *want_text)
{
	struct proto_request req;
	const char *code = NULL;
	char *cause = NULL;

	assert_int_equal(decode(&req, line, &code, &cause), -1);
	assert_string_equal(code, want_code);
	assert_non_null(strstr(cause, want_text));
	free(cause);
	proto_request_release(&req);
}

static void
test_proto_rejects_bad_requests_with_reasons(void **state)
{
	(void)state;
	expect_error("{\"id\": 1", PROTO_E_BAD_REQUEST, "invalid JSON");
	expect_error("[1, 2]", PROTO_E_BAD_REQUEST, "must be a JSON object");
	expect_error("{\"id\": 1}", PROTO_E_BAD_REQUEST, "needs 'cmd'");
	expect_error("{\"cmd\": 5}", PROTO_E_BAD_REQUEST, "needs 'cmd'");
	expect_error("{\"cmd\": \"run\", \"args\": [1]}", PROTO_E_BAD_REQUEST,
	    "'args' must be an object");
	expect_error(
	    "{\"id\": 1.5, \"cmd\": \"run\"}", PROTO_E_BAD_REQUEST, "'id'");
	expect_error("{\"cmd\": \"a\", \"cmd\": \"b\"}", PROTO_E_BAD_REQUEST,
	    "invalid JSON");
}

static void
test_proto_keeps_the_id_of_a_bad_request(void **state)
{
	struct proto_request req;
	const char *code;
	char *cause;

	(void)state;
	assert_int_equal(
	    decode(&req, "{\"id\": 42, \"cmd\": 1}", &code, &cause), -1);
	assert_int_equal(json_integer_value(req.id), 42);
	free(cause);
	proto_request_release(&req);
}

static void
test_proto_refuses_another_protocol_version(void **state)
{
	(void)state;
	expect_error("{\"cmd\": \"status\", \"proto\": 99}",
	    PROTO_E_PROTO_MISMATCH, "client speaks protocol 99");
}

static void
test_proto_refuses_oversized_requests(void **state)
{
	struct proto_request req;
	const char *code;
	char *cause, *big = malloc(PROTO_MAX_REQUEST + 1);

	(void)state;
	memset(big, ' ', PROTO_MAX_REQUEST);
	big[PROTO_MAX_REQUEST] = '\0';
	assert_int_equal(
	    proto_request_decode(&req, big, PROTO_MAX_REQUEST, &code, &cause),
	    -1);
	assert_string_equal(code, PROTO_E_TOO_LARGE);
	free(cause);
	free(big);
	proto_request_release(&req);
}

static void
test_proto_encodes_one_line(void **state)
{
	json_t *msg = proto_reply_ok(
	    json_integer(3), json_pack("{s:s}", "text", "two\nlines"));
	size_t len;
	char *line;

	(void)state;
	line = proto_encode(msg, PROTO_MAX_REPLY, &len);
	assert_int_equal(len, strlen(line));
	assert_int_equal(line[len - 1], '\n');
	assert_ptr_equal(strchr(line, '\n'), line + len - 1);
	free(line);
	/* Over the cap given, newline included: none. */
	assert_null(proto_encode(msg, len - 1, &len));
	json_decref(json_object_get(msg, "id"));
	json_decref(msg);
}

static void
test_proto_reply_round_trips(void **state)
{
	json_t *id = json_integer(9);
	json_t *msg = proto_reply_error(id, PROTO_E_NOT_FOUND, "no task 'x'");
	struct proto_reply rep;
	char *line, *cause;
	size_t len;

	(void)state;
	line = proto_encode(msg, PROTO_MAX_REPLY, &len);
	assert_int_equal(proto_reply_decode(&rep, line, len - 1, &cause), 0);
	assert_false(rep.ok);
	assert_string_equal(rep.code, PROTO_E_NOT_FOUND);
	assert_string_equal(rep.message, "no task 'x'");
	proto_reply_release(&rep);
	free(line);
	json_decref(msg);
	json_decref(id);

	assert_int_equal(proto_reply_decode(&rep, "{\"id\":1}", 8, &cause), -1);
	assert_non_null(strstr(cause, "without 'ok'"));
	free(cause);
}

static void
test_proto_result_text_names_the_cause(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(
	    proto_result_text("ok", 0, NULL, buf, sizeof buf), "ok");
	assert_string_equal(
	    proto_result_text("failed", 3, NULL, buf, sizeof buf), "exit 3");
	assert_string_equal(
	    proto_result_text("failed", -1, "SIGSEGV", buf, sizeof buf),
	    "SIGSEGV");
	assert_string_equal(
	    proto_result_text("killed", -1, "SIGTERM", buf, sizeof buf),
	    "killed (SIGTERM)");
	assert_string_equal(
	    proto_result_text("start_failed", -1, NULL, buf, sizeof buf),
	    "start failed");
}

static void
assert_lossy(const char *in, size_t len, const char *want)
{
	json_t *o = proto_string_lossy(in, len);

	assert_non_null(o);
	assert_string_equal(json_string_value(o), want);
	json_decref(o);
}

static void
test_proto_lossy_strings_keep_utf8_and_mark_the_rest(void **state)
{
	(void)state;
	assert_lossy("plain", 5, "plain");
	assert_lossy("gr\xc3\xbc\xc3\x9f"
	             "e \xe2\x82\xac \xf0\x9f\x98\x80",
	    16,
	    "gr\xc3\xbc\xc3\x9f"
	    "e \xe2\x82\xac \xf0\x9f\x98\x80");
	/* Latin-1, a cut sequence, an overlong slash, a surrogate, a NUL. */
	assert_lossy("caf\xe9!", 5, "caf\xef\xbf\xbd!");
	assert_lossy("\xe2\x82", 2, "\xef\xbf\xbd\xef\xbf\xbd");
	assert_lossy("\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd");
	assert_lossy("\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	assert_lossy("a\0b", 3,
	    "a\xef\xbf\xbd"
	    "b");
}

static void
test_proto_event_patterns_name_sets_of_events(void **state)
{
	proto_event_set set = 0;

	(void)state;
	assert_int_equal(proto_event_match("run.finished", &set), 1);
	assert_int_equal(set, 1U << PROTO_EV_RUN_FINISHED);
	assert_int_equal(proto_event_match("run.*", &set), 5);
	assert_int_equal(proto_event_match("config.*", &set), 2);
	assert_int_equal(proto_event_match("*", &set), PROTO_EV_COUNT);
	set = 0;
	assert_int_equal(proto_event_match("tusk.*", &set), 0);
	assert_int_equal(proto_event_match("run", &set), 0);
	assert_int_equal(set, 0);
	assert_string_equal(
	    proto_event_name(PROTO_EV_RUN_OUTPUT), "run.output");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proto_decodes_a_request),
		cmocka_unit_test(test_proto_gives_absent_args_as_empty_object),
		cmocka_unit_test(test_proto_rejects_bad_requests_with_reasons),
		cmocka_unit_test(test_proto_keeps_the_id_of_a_bad_request),
		cmocka_unit_test(test_proto_refuses_another_protocol_version),
		cmocka_unit_test(test_proto_refuses_oversized_requests),
		cmocka_unit_test(test_proto_encodes_one_line),
		cmocka_unit_test(test_proto_reply_round_trips),
		cmocka_unit_test(test_proto_result_text_names_the_cause),
		cmocka_unit_test(
		    test_proto_lossy_strings_keep_utf8_and_mark_the_rest),
		cmocka_unit_test(test_proto_event_patterns_name_sets_of_events),
	};

	return cmocka_run_group_tests_name("proto", tests, NULL, NULL);
}
