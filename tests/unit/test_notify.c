/*
 * Unit tests for the notification rules (with the clock passed in) and the
 * words of a message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "notify.h"

#define T0   INT64_C(1790000000000)
#define HOUR INT64_C(3600000)
#define ON   (NOTIFY_FAILURE | NOTIFY_RECOVERY)

/* A task failing every minute for a day is told of it once an hour. */
static void
test_notify_failure_once_then_every(void **state)
{
	struct notify_state st = { 0, 0 };
	int64_t t;
	int told = 0;

	(void)state;
	for (t = T0; t < T0 + 24 * HOUR; t += 60000) {
		if (notify_decide(ON, HOUR, &st, RUN_FAILED, 0, t) ==
		    NOTIFY_FAILURE) {
			told++;
		}
	}
	assert_int_equal(told, 24);
	/* Recovery once, then nothing for more successes. */
	assert_int_equal(
	    notify_decide(ON, HOUR, &st, RUN_OK, 0, t), NOTIFY_RECOVERY);
	assert_int_equal(notify_decide(ON, HOUR, &st, RUN_OK, 0, t + 1), 0);
	/* A new failure after a recovery is told at once. */
	assert_int_equal(notify_decide(ON, HOUR, &st, RUN_TIMEOUT, 0, t + 2),
	    NOTIFY_FAILURE);
	assert_int_equal(
	    notify_decide(ON, HOUR, &st, RUN_START_FAILED, 0, t + 3), 0);
}

/* Retries are not failures until the last attempt fails. */
static void
test_notify_retries_wait_for_the_last_attempt(void **state)
{
	struct notify_state st = { 0, 0 };

	(void)state;
	assert_int_equal(notify_decide(ON, HOUR, &st, RUN_FAILED, 1, T0), 0);
	assert_int_equal(
	    notify_decide(ON | NOTIFY_RETRY, HOUR, &st, RUN_FAILED, 1, T0 + 1),
	    NOTIFY_RETRY);
	assert_false(st.failing);
	assert_int_equal(notify_decide(ON, HOUR, &st, RUN_FAILED, 0, T0 + 2),
	    NOTIFY_FAILURE);
	assert_true(st.failing);
}

/* Success, skipped and runs stopped by a user or by twd. */
static void
test_notify_other_ends(void **state)
{
	struct notify_state st = { 0, 0 };
	unsigned all = ON | NOTIFY_SUCCESS | NOTIFY_SKIPPED;

	(void)state;
	assert_int_equal(notify_decide(ON, HOUR, &st, RUN_OK, 0, T0), 0);
	assert_int_equal(
	    notify_decide(all, HOUR, &st, RUN_OK, 0, T0), NOTIFY_SUCCESS);
	assert_int_equal(
	    notify_decide(all, HOUR, &st, RUN_SKIPPED, 0, T0), NOTIFY_SKIPPED);
	assert_int_equal(notify_decide(all, HOUR, &st, RUN_KILLED, 0, T0), 0);
	assert_int_equal(notify_decide(all, HOUR, &st, RUN_LOST, 0, T0), 0);
	/* Not told of failures: a recovery is still a recovery. */
	assert_int_equal(
	    notify_decide(NOTIFY_RECOVERY, HOUR, &st, RUN_FAILED, 0, T0), 0);
	assert_int_equal(
	    notify_decide(NOTIFY_RECOVERY, HOUR, &st, RUN_OK, 0, T0 + 1),
	    NOTIFY_RECOVERY);
}

static void
test_notify_state_round_trips(void **state)
{
	struct notify_state st = { 1, T0 }, back;
	char *s = notify_state_format(&st);

	(void)state;
	notify_state_parse(s, &back);
	assert_int_equal(back.failing, 1);
	assert_int_equal(back.told_ms, T0);
	free(s);
	notify_state_parse(NULL, &back);
	assert_int_equal(back.failing, 0);
	notify_state_parse("garbage", &back);
	assert_int_equal(back.told_ms, 0);
}

/* The words: status, exit code, attempt, last lines, the log command. */
static void
test_notify_message_says_it_all(void **state)
{
	struct run_record r = { 0 };
	json_t *out = json_pack("[s,s]", "copying", "disk full"), *ev;
	const char *body;

	(void)state;
	r.id = 212;
	r.task = (char *)"backup";
	r.status = RUN_FAILED;
	r.exit_code = 3;
	r.attempt = 2;
	r.duration_ms = 72000;
	ev = notify_event_json(NOTIFY_FAILURE, "backup", &r, out);
	assert_string_equal(json_string_value(json_object_get(ev, "summary")),
	    "backup failed: exit 3");
	body = json_string_value(json_object_get(ev, "body"));
	assert_non_null(strstr(body, "Run 212 of backup"));
	assert_non_null(strstr(body, "attempt 2"));
	assert_non_null(strstr(body, "after 1m12s"));
	assert_non_null(strstr(body, "copying\ndisk full\n\nThe whole log"));
	assert_non_null(strstr(body, "twctl logs backup --run 212"));
	assert_string_equal(
	    json_string_value(json_object_get(ev, "event")), "failure");
	json_decref(ev);
	json_decref(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notify_failure_once_then_every),
		cmocka_unit_test(test_notify_retries_wait_for_the_last_attempt),
		cmocka_unit_test(test_notify_other_ends),
		cmocka_unit_test(test_notify_state_round_trips),
		cmocka_unit_test(test_notify_message_says_it_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
