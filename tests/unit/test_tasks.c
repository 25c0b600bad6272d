/*
 * Unit tests for the task stages (fire.c, dispatch.c, runs.c, submit.c,
 * recover.c, explain.c) with no twd.c: a clock the test sets forward and back, the
 * events in a list, a real history in a temporary directory and real jobs.
 * Time is the test's: nothing here waits for the wall clock.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "config.h"
#include "history.h"
#include "run.h"
#include "job.h"
#include "metrics.h"
#include "notifiers.h"
#include "tasks.h"
#include "timefmt.h"
#include "tmpdir.h"
#include "xmalloc.h"

/* 2030-03-30T00:00:30Z: far from the real clock, so no timer of it rings. */
#define T0   INT64_C(1901059230000)
#define HOUR INT64_C(3600000)

struct fixture {
	struct event_base *base;
	struct history *history;
	struct job_list *jobs;
	struct notifiers *notifiers;
	struct tasks *ts;
	struct event *ev_child; /* SIGCHLD: jobs reaped, as twd.c does */
	char dir[64];
	char *config_path;
	int64_t now;    /* the clock */
	json_t *events; /* [{"event", "task", "data"}], as published */
};

static int64_t
test_now(void *arg)
{
	return ((struct fixture *)arg)->now;
}

static int
test_wants(void *arg, enum proto_event ev, const char *task, int64_t run)
{
	(void)arg;
	(void)ev;
	(void)task;
	(void)run;
	return 1;
}

static void
test_publish(void *arg, enum proto_event ev, const char *task, int64_t run,
    int lossy, json_t *data)
{
	struct fixture *f = arg;

	(void)run;
	(void)lossy;
	json_array_append_new(f->events,
	    json_pack("{s:s, s:s?, s:o}", "event", proto_event_name(ev), "task",
	        task, "data", data));
}

static void
on_child(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	job_list_reap(((struct fixture *)arg)->jobs);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct tasks_env env;
	char *db, *log_dir, *cause = NULL;

	if (tmpdir_create(f->dir, sizeof f->dir, "tasks") == -1) {
		return -1;
	}
	f->now = T0;
	f->events = json_array();
	f->config_path = xasprintf("%s/tasks.yaml", f->dir);
	log_dir = xasprintf("%s/logs", f->dir);
	mkdir(log_dir, 0700);
	f->base = event_base_new();
	event_base_priority_init(f->base, 3);
	db = xasprintf("%s/twd.db", f->dir);
	f->history = history_open(db, &cause);
	free(db);
	if (f->history == NULL) {
		return -1;
	}
	memset(&env, 0, sizeof env);
	env.base = f->base;
	env.clock.now_ms = test_now;
	env.clock.arg = f;
	env.events.wants = test_wants;
	env.events.publish = test_publish;
	env.events.arg = f;
	env.history = f->history;
	env.jobs = f->jobs = job_list_create(f->base);
	env.notifiers = f->notifiers =
	    notifiers_create(f->jobs, &env.clock, &env.events, f->dir, f->dir);
	env.log_dir = log_dir;
	env.home = f->dir;
	f->ts = tasks_init(&env, &cause);
	free(log_dir);
	f->ev_child = evsignal_new(f->base, SIGCHLD, on_child, f);
	evsignal_add(f->ev_child, NULL);
	if (f->ts == NULL) {
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	tasks_free(f->ts);
	event_free(f->ev_child);
	notifiers_free(f->notifiers);
	job_list_free(f->jobs);
	history_close(f->history);
	event_base_free(f->base);
	tmpdir_remove(f->dir);
	free(f->config_path);
	json_decref(f->events);
	free(f);
	return 0;
}

/* Make yaml the running tasks file, as twd does at start. */
static void
load(struct fixture *f, const char *yaml)
{
	struct config_errors errs = { NULL, 0 };
	struct config *c;
	FILE *fp = fopen(f->config_path, "w");

	assert_non_null(fp);
	fputs(yaml, fp);
	fclose(fp);
	chmod(f->config_path, 0600);
	if ((c = config_load(f->config_path, &errs)) == NULL) {
		config_errors_print(&errs, stderr);
		fail_msg("the test's tasks file has errors");
	}
	tasks_apply(f->ts, c, NULL);
	tasks_boot(f->ts);
}

/* How many events named ev were published for task (NULL: any). */
static size_t
count(struct fixture *f, const char *ev, const char *task)
{
	const json_t *e;
	size_t i, n = 0;

	json_array_foreach(f->events, i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "event")),
		        ev) == 0 &&
		    (task == NULL ||
		        strcmp(json_string_value(json_object_get(e, "task")),
		            task) == 0)) {
			n++;
		}
	}
	return n;
}

/* The data of the nth (from 0) event ev of task. */
static json_t *
nth(struct fixture *f, const char *ev, const char *task, size_t want)
{
	json_t *e;
	size_t i, n = 0;

	json_array_foreach(f->events, i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "event")),
		        ev) == 0 &&
		    strcmp(json_string_value(json_object_get(e, "task")),
		        task) == 0 &&
		    n++ == want) {
			return json_object_get(e, "data");
		}
	}
	fail_msg("no %s #%zu of %s", ev, want, task);
	return NULL;
}

static void
on_hang(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	fail_msg("no end of the runs waited for within a minute");
}

/*
 * Run the loop until n runs of task have finished. The jobs are real
 * processes; the bound only stops a hang.
 */
static void
finish(struct fixture *f, const char *task, size_t n)
{
	struct timeval hang = { 60, 0 };
	struct event *ev = evtimer_new(f->base, on_hang, f);

	evtimer_add(ev, &hang);
	while (count(f, "run.finished", task) < n) {
		event_base_loop(f->base, EVLOOP_ONCE);
	}
	event_free(ev);
}

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static int64_t
next_run(struct fixture *f, const char *name)
{
	json_t *o = task_json(tasks_find(f->ts, name));
	int64_t ms = 0;

	if (json_is_string(json_object_get(o, "next_run"))) {
		timefmt_parse_iso(str(o, "next_run"), &ms);
	}
	json_decref(o);
	return ms;
}

/*
 * An hourly task fires when the clock reaches its hour, and not before.
 * Set forward past three fires, catch_up all with at most two runs the
 * newest two and records one skipped; set back, nothing fires twice.
 */
static void
test_tasks_fire_on_the_clock_and_across_its_jumps(void **state)
{
	struct fixture *f = *state;
	char when[TIMEFMT_ISO_LEN];

	load(f,
	    "tasks:\n"
	    "  hourly: {command: 'true', schedule: '0 * * * *', "
	    "timezone: UTC, catch_up: all, catch_up_max: 2, overlap: queue}\n");
	assert_int_equal(next_run(f, "hourly"), T0 - 30000 + HOUR);
	f->now = T0 + HOUR - 31000; /* a second before the hour */
	tasks_tick(f->ts);
	assert_int_equal(count(f, "run.started", "hourly"), 0);
	f->now += 1000;
	tasks_tick(f->ts);
	finish(f, "hourly", 1);
	assert_string_equal(
	    str(nth(f, "run.finished", "hourly", 0), "trigger"), "schedule");
	assert_string_equal(
	    str(nth(f, "run.finished", "hourly", 0), "scheduled_at"),
	    timefmt_iso(T0 - 30000 + HOUR, when, sizeof when));
	assert_string_equal(
	    str(nth(f, "run.finished", "hourly", 0), "status"), "ok");

	/*
	 * Forward to 04:30: 02:00, 03:00 and 04:00 were passed over. The
	 * oldest is recorded as skipped (a skipped run ends at once, so it
	 * counts among the finished), the newest two run.
	 */
	f->now = T0 - 30000 + 4 * HOUR + 30 * 60000;
	tasks_clock_changed(f->ts);
	finish(f, "hourly", 4);
	assert_int_equal(count(f, "run.skipped", "hourly"), 1);
	assert_non_null(
	    strstr(str(nth(f, "run.skipped", "hourly", 0), "reason"),
	        "more than catch_up_max 2"));
	assert_int_equal(count(f, "run.started", "hourly"), 3);
	assert_string_equal(
	    str(nth(f, "run.started", "hourly", 1), "trigger"), "catch-up");
	assert_string_equal(
	    str(nth(f, "run.started", "hourly", 1), "scheduled_at"),
	    timefmt_iso(T0 - 30000 + 3 * HOUR, when, sizeof when));
	assert_string_equal(
	    str(nth(f, "run.started", "hourly", 2), "scheduled_at"),
	    timefmt_iso(T0 - 30000 + 4 * HOUR, when, sizeof when));
	assert_int_equal(next_run(f, "hourly"), T0 - 30000 + 5 * HOUR);

	/* Back to 03:10: the next fire is still 05:00, none again. */
	f->now = T0 - 30000 + 3 * HOUR + 10 * 60000;
	tasks_clock_changed(f->ts);
	tasks_tick(f->ts);
	assert_int_equal(next_run(f, "hourly"), T0 - 30000 + 5 * HOUR);
	assert_int_equal(count(f, "run.started", "hourly"), 3);
}

/* One slot: queued runs start by priority, then in order of arrival. */
static void
test_tasks_dispatch_by_priority(void **state)
{
	struct fixture *f = *state;
	const char *order[] = { "first", "high", "normal1", "normal2", "low" };
	char *cause = NULL;
	json_t *e;
	size_t i, n = 0;

	load(f,
	    "max_concurrent: 1\n"
	    "tasks:\n"
	    "  first: {command: 'true'}\n"
	    "  low: {command: 'true', priority: low}\n"
	    "  normal1: {command: 'true'}\n"
	    "  high: {command: 'true', priority: high}\n"
	    "  normal2: {command: 'true'}\n");
	/* The first takes the slot; the rest, asked in one batch, wait. */
	assert_true(tasks_run(f->ts, tasks_find(f->ts, "first"),
	                RUN_TRIGGER_MANUAL, 0, 0, &cause) > 0);
	tasks_batch_begin(f->ts);
	assert_true(tasks_run(f->ts, tasks_find(f->ts, "low"),
	                RUN_TRIGGER_MANUAL, 0, 0, &cause) > 0);
	assert_true(tasks_run(f->ts, tasks_find(f->ts, "normal1"),
	                RUN_TRIGGER_MANUAL, 0, 0, &cause) > 0);
	assert_true(tasks_run(f->ts, tasks_find(f->ts, "high"),
	                RUN_TRIGGER_MANUAL, 0, 0, &cause) > 0);
	assert_true(tasks_run(f->ts, tasks_find(f->ts, "normal2"),
	                RUN_TRIGGER_MANUAL, 0, 0, &cause) > 0);
	assert_int_equal(tasks_batch_end(f->ts, &cause), 0);
	finish(f, NULL, 5);
	json_array_foreach(f->events, i, e)
	{
		if (strcmp(str(e, "event"), "run.started") == 0) {
			assert_true(n < 5);
			assert_string_equal(str(e, "task"), order[n]);
			n++;
		}
	}
	assert_int_equal(n, 5);
}

/*
 * A failure with retries left is queued again, not before its delay by the
 * clock; the last attempt's failure is the run's end.
 */
static void
test_tasks_retry_waits_for_its_delay(void **state)
{
	struct fixture *f = *state;
	char *cause = NULL;
	json_t *retry;
	int64_t at;

	load(f,
	    "tasks:\n"
	    "  flaky: {command: 'exit 3', retries: 1, retry_delay: 10s}\n");
	assert_true(tasks_run(f->ts, tasks_find(f->ts, "flaky"),
	                RUN_TRIGGER_MANUAL, 0, 0, &cause) > 0);
	finish(f, "flaky", 1);
	assert_int_equal(json_integer_value(json_object_get(
	                     nth(f, "run.finished", "flaky", 0), "exit_code")),
	    3);
	/* Queued twice: the run itself, then its retry, with a time. */
	assert_int_equal(count(f, "run.queued", "flaky"), 2);
	assert_int_equal(tasks_queued(f->ts), 1);
	retry = nth(f, "run.queued", "flaky", 1);
	assert_int_equal(
	    json_integer_value(json_object_get(retry, "attempt")), 2);
	assert_int_equal(timefmt_parse_iso(str(retry, "not_before"), &at), 0);
	/* The delay (10 s, jittered up to a tenth more) from the failure. */
	assert_true(at >= f->now + 10000 && at <= f->now + 11000);
	f->now = at - 1;
	tasks_dispatch(f->ts);
	assert_int_equal(count(f, "run.started", "flaky"), 1);
	f->now = at;
	tasks_dispatch(f->ts);
	finish(f, "flaky", 2);
	assert_int_equal(json_integer_value(json_object_get(
	                     nth(f, "run.finished", "flaky", 1), "attempt")),
	    2);
	assert_string_equal(
	    str(nth(f, "run.finished", "flaky", 1), "status"), "failed");
	assert_int_equal(tasks_queued(f->ts), 0);
}

/*
 * Submit job (taken) as the submit request does: one batch, dispatched
 * before its end. Returns its run id.
 */
static int64_t
submit_job(struct fixture *f, json_t *job)
{
	char *cause = NULL;
	int64_t id;

	tasks_batch_begin(f->ts);
	id = tasks_submit(f->ts, job, &cause);
	tasks_dispatch(f->ts);
	assert_int_equal(tasks_batch_end(f->ts, &cause), 0);
	json_decref(job);
	if (id <= 0) {
		fail_msg("submit: %s", cause);
	}
	return id;
}

/* Submit a shell line (and a name, if not NULL); returns its run id. */
static int64_t
submit(struct fixture *f, const char *name, const char *command)
{
	json_t *job = json_pack("{s:s}", "command", command);

	if (name != NULL) {
		json_object_set_new(job, "name", json_string(name));
	}
	return submit_job(f, job);
}

/* A submitted job runs under its name, and why tells of a task's run. */
static void
test_tasks_submit_and_why(void **state)
{
	struct fixture *f = *state;
	json_t *why;
	char *cause = NULL;
	int64_t id;

	load(f,
	    "tasks:\n  nightly: {command: 'true', schedule: '0 3 * * *', "
	    "timezone: UTC}\n");
	id = submit_job(f,
	    json_pack("{s:[sss], s:s}", "run", "sh", "-c", "echo hi", "name",
	        "adhoc"));
	finish(f, "adhoc", 1);
	assert_string_equal(
	    str(nth(f, "run.finished", "adhoc", 0), "status"), "ok");
	assert_int_equal(json_integer_value(json_object_get(
	                     nth(f, "run.finished", "adhoc", 0), "id")),
	    id);

	/* Before 03:00 it has not run; after, why names its run. */
	why = tasks_why(f->ts, tasks_find(f->ts, "nightly"), 0, &cause);
	assert_non_null(why);
	assert_true(json_is_null(json_object_get(why, "run")));
	json_decref(why);
	f->now = T0 - 30000 + 3 * HOUR;
	tasks_tick(f->ts);
	finish(f, "nightly", 1);
	why = tasks_why(
	    f->ts, tasks_find(f->ts, "nightly"), f->now + 1000, &cause);
	assert_non_null(why);
	assert_string_equal(str(json_object_get(why, "run"), "scheduled_at"),
	    "2030-03-30T03:00:00.000Z");
	assert_non_null(strstr(str(why, "last"), "it ended ok"));
	json_decref(why);
}

/* Whether no line of text comes twice (a series, a HELP, a TYPE). */
static void
assert_no_line_twice(const char *text)
{
	json_t *seen = json_object();
	const char *p, *nl;
	char *line;

	for (p = text; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		line = xstrndup(p, (size_t)(nl - p));
		if (json_object_get(seen, line) != NULL) {
			fail_msg("written twice: %s", line);
		}
		json_object_set_new(seen, line, json_true());
		free(line);
	}
	json_decref(seen);
}

/*
 * The metrics count runs by task and status, submitted jobs without a
 * name under one series; a scrape written in slices is the one written
 * whole, and a reload between slices repeats no series.
 */
static void
test_tasks_metrics(void **state)
{
	struct fixture *f = *state;
	struct metrics_globals g = { .start_ms = T0 };
	struct metrics_text whole = { NULL, 0, 0 }, sliced = { NULL, 0, 0 };
	struct metrics_writer *w;
	char *cause = NULL;
	size_t slices = 0;

	g.notifiers = json_array();
	load(f,
	    "tasks:\n  good: {command: 'true'}\n  bad: {command: 'exit 3'}\n"
	    "  idle: {command: 'true', schedule: '0 3 * * *', timezone: "
	    "UTC}\n");
	assert_true(tasks_run(f->ts, tasks_find(f->ts, "good"),
	                RUN_TRIGGER_MANUAL, 0, 0, &cause) > 0);
	assert_true(tasks_run(f->ts, tasks_find(f->ts, "bad"),
	                RUN_TRIGGER_MANUAL, 0, 0, &cause) > 0);
	tasks_dispatch(f->ts);
	submit(f, NULL, "true");
	submit(f, NULL, "exit 1");
	submit(f, "named.job", "true");
	finish(f, NULL, 5);

	metrics_write_all(&g, f->ts, &whole);
	assert_non_null(strstr(
	    whole.s, "taskweaver_runs_total{task=\"good\",status=\"ok\"} 1\n"));
	assert_non_null(strstr(whole.s,
	    "taskweaver_runs_total{task=\"bad\",status=\"failed\"} 1\n"));
	assert_non_null(strstr(whole.s,
	    "taskweaver_runs_total{task=\"(submitted)\",status=\"ok\"} 1\n"));
	assert_non_null(strstr(whole.s,
	    "taskweaver_runs_total{task=\"(submitted)\",status=\"failed\"} "
	    "1\n"));
	assert_non_null(strstr(whole.s,
	    "taskweaver_runs_total{task=\"named.job\",status=\"ok\"} 1\n"));
	assert_non_null(strstr(whole.s,
	    "taskweaver_last_status{task=\"bad\",status=\"failed\"} 1\n"));
	assert_non_null(strstr(whole.s,
	    "taskweaver_run_duration_seconds_count{task=\"good\"} 1\n"));
	assert_non_null(strstr(whole.s,
	    "taskweaver_next_fire_timestamp_seconds{task=\"idle\"} "
	    "1901070000\n"));
	/* Never ran: no runs_total of its own. */
	assert_null(strstr(whole.s, "taskweaver_runs_total{task=\"idle\""));
	assert_no_line_twice(whole.s);

	w = metrics_writer_new(&g);
	while (!metrics_write(w, f->ts, &sliced, 1)) {
		slices++;
	}
	metrics_writer_free(w);
	assert_true(slices > 10);
	assert_string_equal(sliced.s, whole.s);

	/* A reload between slices: tasks gone and come, none twice. */
	sliced.len = 0;
	w = metrics_writer_new(&g);
	assert_int_equal(metrics_write(w, f->ts, &sliced, 1), 0);
	assert_int_equal(metrics_write(w, f->ts, &sliced, 1), 0);
	load(f,
	    "tasks:\n  aaa: {command: 'true'}\n  good: {command: 'true'}\n"
	    "  zzz: {command: 'true'}\n");
	while (!metrics_write(w, f->ts, &sliced, 1)) {
	}
	metrics_writer_free(w);
	assert_no_line_twice(sliced.s);
	assert_non_null(
	    strstr(sliced.s, "taskweaver_paused{task=\"zzz\"} 0\n"));
	assert_null(strstr(sliced.s, "taskweaver_paused{task=\"idle\"}"));
	free(whole.s);
	free(sliced.s);
	json_decref(g.notifiers);
}

static struct run_record
record(struct fixture *f, int64_t id)
{
	struct run_record r;
	char *cause = NULL;

	if (history_get(f->history, id, &r, &cause) != 1) {
		fail_msg("run %lld: %s", (long long)id, cause ? cause : "none");
	}
	return r;
}

/*
 * A run's life as its subscribers see it, in order: queued, started, its
 * output, finished; the record and the log file agree, and a second run
 * of a task that allows no overlap waits for the first.
 */
static void
test_tasks_run_lifecycle(void **state)
{
	struct fixture *f = *state;
	const char *order[] = { "run.queued", "run.started", "run.output",
		"run.finished" };
	struct run_record r;
	char *cause = NULL, *why, buf[256];
	json_t *e;
	int64_t id, second;
	size_t i, k = 0;
	FILE *fp;

	load(f,
	    "tasks:\n  talk: {command: 'echo one; echo two >&2', overlap: "
	    "queue}\n");
	tasks_batch_begin(f->ts);
	id = tasks_run(
	    f->ts, tasks_find(f->ts, "talk"), RUN_TRIGGER_MANUAL, 0, 0, &cause);
	second = tasks_run(
	    f->ts, tasks_find(f->ts, "talk"), RUN_TRIGGER_MANUAL, 0, 0, &cause);
	assert_int_equal(tasks_batch_end(f->ts, &cause), 0);
	assert_true(id > 0 && second > id);
	assert_int_equal(tasks_running(f->ts), 1);
	assert_int_equal(tasks_queued(f->ts), 1);
	assert_non_null(why = tasks_wait_reason(f->ts, second));
	assert_non_null(strstr(why, "still running (overlap: queue)"));
	free(why);
	finish(f, "talk", 2);
	json_array_foreach(f->events, i, e)
	{
		if (json_integer_value(json_object_get(
		        json_object_get(e, "data"), "id")) != id &&
		    json_integer_value(json_object_get(
		        json_object_get(e, "data"), "run")) != id) {
			continue;
		}
		if (k < 4 && strcmp(str(e, "event"), order[k]) == 0) {
			k++;
		}
	}
	assert_int_equal(k, 4);
	assert_int_equal(tasks_running(f->ts), 0);
	r = record(f, id);
	assert_int_equal(r.status, RUN_OK);
	assert_int_equal(r.exit_code, 0);
	assert_true(r.finished_ms >= r.started_ms && r.output_bytes > 0);
	assert_non_null(fp = fopen(r.log_path, "r"));
	buf[fread(buf, 1, sizeof buf - 1, fp)] = '\0';
	fclose(fp);
	assert_non_null(strstr(buf, "one"));
	assert_non_null(strstr(buf, "two"));
	run_record_release(&r);
	r = record(f, second);
	assert_int_equal(r.status, RUN_OK);
	run_record_release(&r);
}

/*
 * A process group of its own, sleeping, with TW_RUN_ID=id in its
 * environment as a job's is: what a twd that died leaves behind.
 */
static pid_t
orphan(int64_t id)
{
	char env[64];
	char *envp[] = { env, NULL };
	pid_t pid;

	snprintf(env, sizeof env, "TW_RUN_ID=%lld", (long long)id);
	if ((pid = fork()) == 0) {
		/* Left behind by a failed test, it holds no pipe of make's. */
		int null = open("/dev/null", O_RDWR);

		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		setsid();
		execle("/bin/sleep", "sleep", "120", (char *)NULL, envp);
		_exit(127);
	}
	assert_true(pid > 0);
	/* Until its environment is sleep's, /proc shows the test's. */
	for (int tries = 0; tries < 10000; tries++) {
		char path[64], buf[4096];
		ssize_t n;
		FILE *fp;

		snprintf(path, sizeof path, "/proc/%ld/environ", (long)pid);
		if ((fp = fopen(path, "r")) != NULL) {
			n = (ssize_t)fread(buf, 1, sizeof buf, fp);
			fclose(fp);
			if (n > 0 &&
			    memmem(buf, (size_t)n, env, strlen(env)) != NULL) {
				return pid;
			}
		}
		usleep(1000);
	}
	fail_msg("sleep did not start");
	return -1;
}

/* Whether pid ended within a few seconds (killed past them). */
static int
reaped(pid_t pid, int *status)
{
	int tries;

	for (tries = 0; tries < 5000; tries++) {
		if (waitpid(pid, status, WNOHANG) == pid) {
			return 1;
		}
		usleep(1000);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, status, 0);
	return 0;
}

/* A run of task in the history as a twd that died left it. */
static int64_t
left(struct fixture *f, const char *task, enum run_status status, int pid)
{
	struct run_record r;

	memset(&r, 0, sizeof r);
	r.task = (char *)task;
	r.trigger = RUN_TRIGGER_MANUAL;
	r.started_ms = status == RUN_RUNNING ? f->now - HOUR : 0;
	r.status = status;
	r.exit_code = -1;
	r.pid = pid;
	r.attempt = 1;
	r.duration_ms = -1;
	history_put_run(f->history, &r);
	return r.id;
}

/*
 * After a twd died: its running runs are recorded lost, and the process
 * group of one that is still there is killed, but only if its processes
 * carry the run's id (a pid used again by another program is left alone).
 * Its queued runs are queued again, unless their task is gone.
 */
static void
test_tasks_recover_lost_and_queued_runs(void **state)
{
	struct fixture *f = *state;
	struct run_record r;
	char *cause = NULL;
	int64_t ours, reused, gone, queued, stale;
	pid_t p_ours, p_other;
	int status;

	ours = left(f, "keep", RUN_RUNNING, 0);
	p_ours = orphan(ours);
	r = record(f, ours);
	r.pid = p_ours;
	history_put_run(f->history, &r);
	run_record_release(&r);
	reused = left(f, "keep", RUN_RUNNING, 0);
	p_other = orphan(reused + 1000);
	r = record(f, reused);
	r.pid = p_other;
	history_put_run(f->history, &r);
	run_record_release(&r);
	gone = left(f, "keep", RUN_RUNNING, 0);
	queued = left(f, "keep", RUN_QUEUED, 0);
	stale = left(f, "dropped", RUN_QUEUED, 0);

	assert_int_equal(tasks_close_lost(f->ts, &cause), 3);
	/* Killed, and reaped here, before the loop's reaper runs. */
	assert_true(reaped(p_ours, &status));
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(kill(p_other, 0), 0);
	kill(-p_other, SIGKILL);
	assert_int_equal(waitpid(p_other, &status, 0), p_other);

	r = record(f, ours);
	assert_int_equal(r.status, RUN_LOST);
	assert_non_null(strstr(r.reason, "were killed"));
	assert_int_equal(r.finished_ms, f->now);
	run_record_release(&r);
	r = record(f, reused);
	assert_int_equal(r.status, RUN_LOST);
	assert_null(strstr(r.reason != NULL ? r.reason : "", "were killed"));
	run_record_release(&r);
	r = record(f, gone);
	assert_int_equal(r.status, RUN_LOST);
	run_record_release(&r);

	load(f, "tasks:\n  keep: {command: 'true'}\n");
	tasks_restore(f->ts);
	finish(f, "keep", 1);
	r = record(f, queued);
	assert_int_equal(r.status, RUN_OK);
	run_record_release(&r);
	r = record(f, stale);
	assert_int_equal(r.status, RUN_SKIPPED);
	assert_non_null(strstr(r.reason, "no longer in the tasks file"));
	run_record_release(&r);
	assert_int_equal(tasks_queued(f->ts), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_tasks_fire_on_the_clock_and_across_its_jumps),
		T(test_tasks_dispatch_by_priority),
		T(test_tasks_retry_waits_for_its_delay),
		T(test_tasks_submit_and_why),
		T(test_tasks_metrics),
		T(test_tasks_run_lifecycle),
		T(test_tasks_recover_lost_and_queued_runs),
	};

	return cmocka_run_group_tests_name("tasks", tests, NULL, NULL);
}
