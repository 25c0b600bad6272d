/*
 * Unit tests for reports: percentiles by selection against a sort, the
 * counts, streaks and lateness of runs written by the history, the span
 * and the task filter.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "history.h"
#include "report.h"
#include "tmpdir.h"

#define T0  INT64_C(1773109800000)
#define DAY INT64_C(86400000)

struct fixture {
	char dir[64];
	char path[128];
	struct history *h;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char *cause = NULL;

	if (tmpdir_create(f->dir, sizeof f->dir, "report") == -1) {
		return -1;
	}
	snprintf(f->path, sizeof f->path, "%s/twd.db", f->dir);
	if ((f->h = history_open(f->path, &cause)) == NULL) {
		fprintf(stderr, "%s\n", cause);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	history_close(f->h);
	if (tmpdir_remove(f->dir) == -1) {
		return -1;
	}
	free(f);
	return 0;
}

/* A finished run of task, started at, for duration_ms, ended so. */
static void
put(struct fixture *f, const char *task, enum run_trigger trigger, int64_t at,
    int64_t late, int64_t duration_ms, enum run_status status)
{
	struct run_record r = { .task = (char *)task,
		.trigger = trigger,
		.started_ms = at,
		.finished_ms = at + duration_ms,
		.status = status,
		.exit_code = status == RUN_OK ? 0 : 1,
		.pid = status == RUN_SKIPPED ? 0 : 100,
		.attempt = 1,
		.duration_ms = duration_ms,
		.cpu_user_ms = 3,
		.cpu_sys_ms = 1,
		.max_rss_kb = 2048,
		.progress = -1 };

	if (trigger == RUN_TRIGGER_SCHEDULE) {
		r.scheduled_ms = at - late;
	}
	history_put_run(f->h, &r);
}

static json_t *
report(struct fixture *f, int64_t since, const char *only)
{
	struct report_query q = { .since_ms = since,
		.until_ms = T0 + 30 * DAY,
		.recent = REPORT_RECENT };
	char *tasks[2] = { (char *)only, NULL }, *cause = NULL;
	json_t *r;

	q.tasks = only != NULL ? tasks : NULL;
	if ((r = report_build(f->path, &q, &cause)) == NULL) {
		fail_msg("report: %s", cause);
	}
	return r;
}

static json_t *
row(json_t *r, const char *task)
{
	json_t *t;
	size_t i;

	json_array_foreach(json_object_get(r, "tasks"), i, t)
	{
		if (strcmp(json_string_value(json_object_get(t, "task")),
		        task) == 0) {
			return t;
		}
	}
	fail_msg("no row of %s", task);
	return NULL;
}

static json_int_t
at(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);

	return json_integer_value(b != NULL ? json_object_get(v, b) : v);
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* p50, p95 and max are the nearest ranks of a sort, for every size. */
static void
test_report_percentiles_match_a_sort(void **state)
{
	static const size_t sizes[] = { 1, 2, 3, 7, 20, 101, 1000 };
	struct fixture *f = *state;
	int64_t d[1000], sorted[1000];
	char task[32];
	json_t *r, *t;
	size_t s, i, k;

	srand(7);
	for (s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		snprintf(task, sizeof task, "t%zu", sizes[s]);
		for (i = 0; i < sizes[s]; i++) {
			/* Duplicates too: a few values over and over. */
			d[i] = i % 3 == 0 ? 500 : rand() % 10000;
			sorted[i] = d[i];
			put(f, task, RUN_TRIGGER_MANUAL,
			    T0 + (int64_t)(s * 10000 + i) * 1000, 0, d[i],
			    RUN_OK);
		}
		qsort(sorted, sizes[s], sizeof *sorted, cmp64);
		r = report(f, T0, task);
		t = row(r, task);
		k = (sizes[s] * 50 + 99) / 100;
		assert_int_equal(at(t, "duration_ms", "p50"), sorted[k - 1]);
		k = (sizes[s] * 95 + 99) / 100;
		assert_int_equal(at(t, "duration_ms", "p95"), sorted[k - 1]);
		assert_int_equal(
		    at(t, "duration_ms", "max"), sorted[sizes[s] - 1]);
		json_decref(r);
	}
}

/* Counts, success rate, streaks, lateness, order, span and filter. */
static void
test_report_counts_streaks_and_order(void **state)
{
	struct fixture *f = *state;
	json_t *r, *t, *tasks;
	int i;

	/* before the span: not counted */
	put(f, "a", RUN_TRIGGER_SCHEDULE, T0 - DAY, 5, 10, RUN_FAILED);
	/* a: ok, fail, fail, fail, ok, skipped, fail: streak 3 */
	put(f, "a", RUN_TRIGGER_SCHEDULE, T0 + 1000, 5, 10, RUN_OK);
	for (i = 0; i < 3; i++) {
		put(f, "a", RUN_TRIGGER_SCHEDULE, T0 + 2000 + i, 15, 20,
		    RUN_FAILED);
	}
	put(f, "a", RUN_TRIGGER_SCHEDULE, T0 + 3000, 25, 30, RUN_OK);
	put(f, "a", RUN_TRIGGER_SCHEDULE, T0 + 3500, 0, 0, RUN_SKIPPED);
	put(f, "a", RUN_TRIGGER_MANUAL, T0 + 4000, 0, 40, RUN_TIMEOUT);
	/* b: all good; c: one failure; submitted jobs, one row */
	put(f, "b", RUN_TRIGGER_MANUAL, T0 + DAY, 0, 5, RUN_OK);
	put(f, "c", RUN_TRIGGER_MANUAL, T0 + DAY, 0, 5, RUN_START_FAILED);
	put(f, "backup.sh", RUN_TRIGGER_SUBMIT, T0 + DAY, 0, 5, RUN_OK);
	put(f, "echo", RUN_TRIGGER_SUBMIT, T0 + 2 * DAY, 0, 5, RUN_FAILED);

	r = report(f, T0, NULL);
	tasks = json_object_get(r, "tasks");
	/* Most failures first, then by name. */
	assert_int_equal(json_array_size(tasks), 4);
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(tasks, 0), "task")),
	    "a");
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(tasks, 1), "task")),
	    "(submitted)");
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(tasks, 2), "task")),
	    "c");
	t = row(r, "a");
	assert_int_equal(at(t, "runs", NULL), 7);
	assert_int_equal(at(t, "by_status", "failed"), 3);
	assert_int_equal(at(t, "by_status", "skipped"), 1);
	assert_int_equal(at(t, "failures", NULL), 4);
	assert_int_equal(at(t, "longest_failure_streak", NULL), 3);
	assert_true(
	    json_real_value(json_object_get(t, "success_rate")) > 0.333 &&
	    json_real_value(json_object_get(t, "success_rate")) < 0.334);
	/* Lateness of the scheduled runs only: 5, 15, 15, 15, 25. */
	assert_int_equal(at(t, "lateness_ms", "p50"), 15);
	assert_int_equal(at(t, "lateness_ms", "p95"), 25);
	assert_int_equal(at(t, "cpu_ms", "mean"), 4);
	assert_int_equal(at(t, "max_rss_kb", NULL), 2048);
	assert_int_equal(json_array_size(json_object_get(t, "recent")), 6);
	t = row(r, "(submitted)");
	assert_int_equal(at(t, "runs", NULL), 2);
	assert_true(json_is_null(json_object_get(row(r, "b"), "lateness_ms")));
	t = json_object_get(r, "total");
	assert_int_equal(at(t, "runs", NULL), 11);
	assert_int_equal(at(t, "tasks", NULL), 4);
	assert_int_equal(at(t, "longest_failure_streak", NULL), 3);
	json_decref(r);

	/* Only c; and a span that leaves out the first day. */
	r = report(f, T0, "c");
	assert_int_equal(json_array_size(json_object_get(r, "tasks")), 1);
	json_decref(r);
	r = report(f, T0 + DAY + DAY / 2, NULL);
	assert_int_equal(at(json_object_get(r, "total"), "runs", NULL), 1);
	json_decref(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_report_percentiles_match_a_sort, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_report_counts_streaks_and_order, setup, teardown),
	};

	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
