/*
 * Unit tests for the SQLite history: schema, records, queries, recovery.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "history.h"
#include "tmpdir.h"

#define T0 INT64_C(1773109800000)

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

	if (tmpdir_create(f->dir, sizeof f->dir, "history") == -1) {
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

/* A run as twd records it when queued; its id. */
static int64_t
insert_unchecked(struct fixture *f, const char *task, int64_t started)
{
	struct run_record r = { 0 };

	r.task = (char *)task;
	r.trigger = RUN_TRIGGER_SCHEDULE;
	r.scheduled_ms = started - 5;
	r.started_ms = started;
	r.status = RUN_RUNNING;
	r.exit_code = -1;
	history_put_run(f->h, &r);
	assert_true(r.id > 0);
	return r.id;
}

static int64_t
insert(struct fixture *f, const char *task, int64_t started)
{
	int64_t id = insert_unchecked(f, task, started);

	assert_null(history_failing(f->h));
	return id;
}

/* Its end, as twd records it, with the pid and log it ran with. */
static void
finish_unchecked(struct fixture *f, int64_t id, const char *task,
    int64_t started, enum run_status status, int code)
{
	struct run_record r = { 0 };

	r.id = id;
	r.task = (char *)task;
	r.trigger = RUN_TRIGGER_SCHEDULE;
	r.scheduled_ms = started - 5;
	r.started_ms = started;
	r.finished_ms = started + 1500;
	r.status = status;
	r.exit_code = code;
	r.pid = 4242;
	r.output_bytes = 12;
	r.log_path = (char *)"/logs/x.log";
	history_put_run(f->h, &r);
}

static void
finish(struct fixture *f, int64_t id, const char *task, int64_t started,
    enum run_status status, int code)
{
	finish_unchecked(f, id, task, started, status, code);
	assert_null(history_failing(f->h));
}

/*
 * The integer sql selects, read on a connection of its own: what another
 * process (a crashed twd's successor) would find in the file; -1 if none.
 */
static int
db_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int v = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (sqlite3_step(st) == SQLITE_ROW) {
		v = sqlite3_column_int(st, 0);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static int
user_version(const char *path)
{
	return db_int(path, "PRAGMA user_version");
}

static void
test_history_new_database_is_at_the_current_schema(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(user_version(f->path), HISTORY_SCHEMA);
}

static void
test_history_refuses_a_newer_schema(void **state)
{
	struct fixture *f = *state;
	char *cause = NULL;
	sqlite3 *db;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_null(history_open(f->path, &cause));
	assert_non_null(strstr(cause, "schema 99, newer than this twd"));
	free(cause);
}

static void
test_history_records_a_run_from_start_to_end(void **state)
{
	struct fixture *f = *state;
	struct run_record last;
	char *cause = NULL;
	int64_t id = insert(f, "backup", T0);

	assert_int_equal(history_last(f->h, "backup", &last, &cause), 1);
	assert_int_equal(last.status, RUN_RUNNING);
	assert_int_equal(last.finished_ms, 0);
	run_record_release(&last);

	finish(f, id, "backup", T0, RUN_FAILED, 3);
	assert_int_equal(history_last(f->h, "backup", &last, &cause), 1);
	assert_int_equal(last.id, id);
	assert_string_equal(last.task, "backup");
	assert_int_equal(last.trigger, RUN_TRIGGER_SCHEDULE);
	assert_int_equal(last.status, RUN_FAILED);
	assert_int_equal(last.exit_code, 3);
	assert_int_equal(last.started_ms, T0);
	assert_int_equal(last.finished_ms, T0 + 1500);
	assert_int_equal(last.pid, 4242);
	assert_int_equal(last.output_bytes, 12);
	assert_string_equal(last.log_path, "/logs/x.log");
	assert_null(last.reason);
	run_record_release(&last);
}

static void
count_cb(const struct run_record *r, void *arg)
{
	int64_t *ids = arg;

	ids[ids[0]++ + 1] = r->id;
}

static void
test_history_lists_newest_first_with_a_limit(void **state)
{
	struct fixture *f = *state;
	int64_t a = insert(f, "a", T0), b = insert(f, "b", T0 + 1),
	        c = insert(f, "a", T0 + 2), ids[8] = { 0 };
	char *cause = NULL;

	assert_int_equal(
	    history_each(f->h, NULL, 10, count_cb, ids, &cause), 3);
	assert_int_equal(ids[1], c);
	assert_int_equal(ids[2], b);
	assert_int_equal(ids[3], a);

	memset(ids, 0, sizeof ids);
	assert_int_equal(history_each(f->h, "a", 1, count_cb, ids, &cause), 1);
	assert_int_equal(ids[1], c);
}

static void
test_history_last_of_unknown_task_is_none(void **state)
{
	struct fixture *f = *state;
	struct run_record last;
	char *cause = NULL;
	int64_t ms = 0;

	assert_int_equal(history_last(f->h, "ghost", &last, &cause), 0);
	assert_int_equal(history_last_fire(f->h, "ghost", &ms, &cause), 0);
}

static void
test_history_last_fire_ignores_manual_runs(void **state)
{
	struct fixture *f = *state;
	struct run_record r = { 0 };
	char *cause = NULL;
	int64_t ms = 0;

	insert(f, "t", T0); /* scheduled at T0 - 5 */
	r.task = (char *)"t";
	r.trigger = RUN_TRIGGER_MANUAL;
	r.started_ms = T0 + 9000;
	r.exit_code = -1;
	history_put_run(f->h, &r);
	assert_int_equal(history_last_fire(f->h, "t", &ms, &cause), 1);
	assert_int_equal(ms, T0 - 5);
}

static void
test_history_marks_runs_left_running_as_lost(void **state)
{
	struct fixture *f = *state;
	struct run_record last;
	char *cause = NULL;
	int64_t done = insert(f, "a", T0);

	finish(f, done, "a", T0, RUN_OK, 0);
	insert(f, "b", T0);
	insert(f, "c", T0);
	assert_int_equal(history_mark_lost(f->h, T0 + 60000, &cause), 2);
	assert_int_equal(history_last(f->h, "b", &last, &cause), 1);
	assert_int_equal(last.status, RUN_LOST);
	assert_int_equal(last.finished_ms, T0 + 60000);
	assert_non_null(strstr(last.reason, "stopped before the run finished"));
	run_record_release(&last);
	assert_int_equal(history_last(f->h, "a", &last, &cause), 1);
	assert_int_equal(last.status, RUN_OK);
	run_record_release(&last);
	assert_int_equal(history_mark_lost(f->h, T0, &cause), 0);
}

static void
test_history_survives_reopening(void **state)
{
	struct fixture *f = *state;
	struct run_record last;
	char *cause = NULL;
	int64_t id = insert(f, "keep", T0);

	history_close(f->h);
	f->h = history_open(f->path, &cause);
	assert_non_null(f->h);
	assert_int_equal(history_last(f->h, "keep", &last, &cause), 1);
	assert_int_equal(last.id, id);
	run_record_release(&last);
	/* Ids are never reused, even after the newest row is gone. */
	assert_true(insert(f, "keep", T0 + 1) > id);
}

/* The database and its -wal and -shm are 0600, whatever the umask was. */
static void
test_history_files_are_private(void **state)
{
	struct fixture *f = *state;
	const char *const suffix[] = { "", "-wal", "-shm" };
	char path[512], *cause = NULL;
	struct stat st;
	mode_t old;
	size_t i;

	history_close(f->h);
	/* A database an older twd made world-readable. */
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s%s", f->path, suffix[i]);
		(void)chmod(path, 0644);
	}
	old = umask(022);
	f->h = history_open(f->path, &cause);
	umask(old);
	assert_non_null(f->h);
	insert(f, "private", T0);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s%s", f->path, suffix[i]);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
	}
}

static void
test_history_state_round_trips(void **state)
{
	struct fixture *f = *state;
	char *value = NULL, *cause = NULL;

	assert_int_equal(history_state_get(f->h, "boot_id", &value, &cause), 0);
	assert_null(value);
	history_put_state(f->h, "boot_id", "one");
	history_put_state(f->h, "boot_id", "two");
	assert_int_equal(history_state_get(f->h, "boot_id", &value, &cause), 1);
	assert_string_equal(value, "two");
	free(value);
}

static void
test_history_migrates_a_version_1_database(void **state)
{
	struct fixture *f = *state;
	char path[160], *cause = NULL, *value = NULL;
	struct history *h;
	struct run_record last;
	sqlite3 *db;

	/* A database as the first release left it, with one run. */
	snprintf(path, sizeof path, "%s/old.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db,
	        "CREATE TABLE runs (id INTEGER PRIMARY KEY "
	        "AUTOINCREMENT, task TEXT NOT NULL, trigger TEXT "
	        "NOT NULL, scheduled_at INTEGER, started_at "
	        "INTEGER NOT NULL, finished_at INTEGER, status "
	        "TEXT NOT NULL, exit_code INTEGER, signal INTEGER, "
	        "pid INTEGER, output_bytes INTEGER NOT NULL "
	        "DEFAULT 0, log_path TEXT, reason TEXT);"
	        "INSERT INTO runs (task, trigger, started_at, "
	        "status, exit_code) VALUES ('old', 'manual', 5, "
	        "'ok', 0);"
	        "PRAGMA user_version = 1;",
	        NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);

	h = history_open(path, &cause);
	assert_non_null(h);
	assert_int_equal(user_version(path), HISTORY_SCHEMA);
	assert_int_equal(history_last(h, "old", &last, &cause), 1);
	assert_int_equal(last.status, RUN_OK);
	run_record_release(&last);
	history_put_state(h, "k", "v");
	assert_int_equal(history_state_get(h, "k", &value, &cause), 1);
	free(value);
	history_close(h);
}

static void
count_due(void *arg)
{
	(*(int *)arg)++;
}

/* The write-ahead log's size in pages of 4096 bytes. */
static long
wal_pages(struct fixture *f)
{
	char path[160];
	struct stat sb;

	snprintf(path, sizeof path, "%s-wal", f->path);
	return stat(path, &sb) == 0 ? (long)(sb.st_size / 4096) : 0;
}

/* Checkpoints are left to the caller, who is told when one is due. */
static void
test_history_defers_checkpoints_to_the_caller(void **state)
{
	struct fixture *f = *state;
	char *cause = NULL;
	int due = 0, i;

	history_defer_checkpoints(f->h, count_due, &due);
	for (i = 0; due == 0 && i < 5000; i++) {
		insert(f, "t", 1000000 + i);
	}
	assert_true(due > 0);
	/* SQLite did not move the log in itself: it is past 1000 pages. */
	assert_true(wal_pages(f) >= 1000);
	assert_int_equal(history_checkpoint(f->h, &cause), 0);
	/* Back to SQLite's own: nothing more is said. */
	history_defer_checkpoints(f->h, NULL, NULL);
	due = 0;
	for (i = 0; i < 2000; i++) {
		insert(f, "t", 2000000 + i);
	}
	assert_int_equal(due, 0);
}

static void
collect_name(const char *name, void *arg)
{
	char *all = arg;

	strcat(all, name);
	strcat(all, " ");
}

/* Tasks with runs and state keys, each once, sorted as strcmp sorts. */
static void
test_history_names_what_it_holds(void **state)
{
	struct fixture *f = *state;
	char all[256] = "", *cause = NULL;

	assert_int_equal(history_names(f->h, collect_name, all, &cause), 0);
	assert_string_equal(all, "");
	insert(f, "zeta", 1000);
	insert(f, "alpha", 2000);
	insert(f, "zeta", 3000);
	history_put_state(f->h, "paused:beta", "1");
	assert_int_equal(history_names(f->h, collect_name, all, &cause), 3);
	assert_string_equal(all, "alpha paused:beta zeta ");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* A submitted job's spec comes back as it went in, through a batch. */
static void
test_history_keeps_a_jobs_spec(void **state)
{
	struct fixture *f = *state;
	struct run_record r = { 0 }, back;
	char *cause = NULL;

	r.task = (char *)"make";
	r.trigger = RUN_TRIGGER_SUBMIT;
	r.started_ms = T0;
	r.status = RUN_QUEUED;
	r.exit_code = -1;
	r.spec = (char *)"{\"run\":[\"make\",\"-j4\"]}";
	history_begin(f->h);
	history_put_run(f->h, &r);
	assert_int_equal(history_commit(f->h, &cause), 0);
	assert_int_equal(history_get(f->h, r.id, &back, &cause), 1);
	assert_string_equal(back.spec, r.spec);
	assert_int_equal(back.trigger, RUN_TRIGGER_SUBMIT);
	run_record_release(&back);
}

/* A submitted job of task with the environment env, finished. */
static int64_t
put_env_job(struct fixture *f, const char *task, const char *env)
{
	struct run_record r = { 0 };

	r.task = (char *)task;
	r.trigger = RUN_TRIGGER_SUBMIT;
	r.started_ms = T0;
	r.finished_ms = T0 + 10;
	r.status = RUN_OK;
	r.exit_code = 0;
	r.spec = (char *)"{\"command\":\"make\"}";
	r.env = (char *)env;
	history_put_run(f->h, &r);
	assert_null(history_failing(f->h));
	return r.id;
}

/*
 * A submitted job's environment comes back with its run; jobs that share
 * one share its row, which goes with the last run that has it.
 */
static void
test_history_keeps_an_environment_once(void **state)
{
	struct fixture *f = *state;
	const char *home = "{\"HOME\":\"/home/u\",\"X\":\"1\"}";
	struct history_retention keep = { .keep_runs = 1 };
	struct run_record back;
	char *cause = NULL;
	int64_t a, b, c;

	a = put_env_job(f, "make", home);
	b = put_env_job(f, "make", home);
	c = put_env_job(f, "make", "{\"X\":\"2\"}");
	assert_int_equal(
	    db_int(f->path, "SELECT count(*) FROM environments"), 2);
	assert_int_equal(history_get(f->h, a, &back, &cause), 1);
	assert_string_equal(back.env, home);
	run_record_release(&back);
	/* Written again without it (a finished run's update): kept. */
	finish(f, b, "make", T0, RUN_OK, 0);
	assert_int_equal(history_get(f->h, b, &back, &cause), 1);
	assert_string_equal(back.env, home);
	run_record_release(&back);
	/* Runs a and b pruned: their environment with them, not c's. */
	assert_int_equal(
	    history_prune(f->h, "make", &keep, T0, 100, &cause), 2);
	assert_int_equal(
	    db_int(f->path, "SELECT count(*) FROM environments"), 1);
	assert_int_equal(history_get(f->h, c, &back, &cause), 1);
	assert_string_equal(back.env, "{\"X\":\"2\"}");
	run_record_release(&back);
	/* Its row gone, the same environment again is put again. */
	a = put_env_job(f, "make", home);
	assert_int_equal(
	    db_int(f->path, "SELECT count(*) FROM environments"), 2);
	assert_int_equal(history_get(f->h, a, &back, &cause), 1);
	assert_string_equal(back.env, home);
	run_record_release(&back);
}

/* How many runs are committed: what another connection would find. */
static int
committed_runs(const char *path)
{
	return db_int(path, "SELECT count(*) FROM runs");
}

/* A batch inside a batch commits with the outer one, not before. */
static void
test_history_batches_nest(void **state)
{
	struct fixture *f = *state;
	char *cause = NULL;

	history_begin(f->h);
	history_begin(f->h);
	insert(f, "inner", T0);
	assert_int_equal(history_commit(f->h, &cause), 0);
	assert_int_equal(committed_runs(f->path), 0);
	insert(f, "outer", T0 + 1);
	assert_int_equal(history_commit(f->h, &cause), 0);
	assert_int_equal(committed_runs(f->path), 2);
	/* Balanced again: a write stands alone. */
	insert(f, "alone", T0 + 2);
	assert_int_equal(committed_runs(f->path), 3);
}

/* Another process's write lock, as a DB browser or sqlite3 would hold. */
static sqlite3 *
lock_db(const char *path)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	return db;
}

/* As twd's loop has it: a locked database fails at once. */
static void
no_waiting(struct fixture *f)
{
	history_busy_timeout(f->h, 20);
}

/*
 * A batch the database will not take is rolled back and kept, with every
 * write after it, in order, none of them tried, until history_retry
 * writes them all; the id of a run is never given twice.
 */
static void
test_history_a_locked_database_keeps_writes_until_retried(void **state)
{
	struct fixture *f = *state;
	struct run_record back;
	char *cause = NULL, *value = NULL;
	int64_t before, a, b, c;
	sqlite3 *other;

	before = insert(f, "before", T0);
	no_waiting(f);
	other = lock_db(f->path);
	history_begin(f->h);
	a = insert_unchecked(f, "a", T0 + 1);
	assert_int_equal(history_commit(f->h, &cause), -1);
	assert_non_null(strstr(cause, "locked"));
	free(cause);
	assert_non_null(history_failing(f->h));
	assert_int_equal(history_unwritten(f->h), 1);
	/* Kept in order while failing: an insert, then its update. */
	b = insert_unchecked(f, "b", T0 + 2);
	finish_unchecked(f, a, "a", T0 + 1, RUN_OK, 0);
	history_put_state(f->h, "k", "v");
	assert_int_equal(history_unwritten(f->h), 4);
	assert_true(before < a && a < b);
	assert_int_equal(committed_runs(f->path), 1);
	assert_int_equal(history_retry(f->h, &cause), -1);
	free(cause);
	assert_int_equal(history_unwritten(f->h), 4);

	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	assert_int_equal(history_retry(f->h, &cause), 0);
	assert_null(history_failing(f->h));
	assert_int_equal(history_unwritten(f->h), 0);
	assert_int_equal(committed_runs(f->path), 3);
	assert_int_equal(history_get(f->h, a, &back, &cause), 1);
	assert_int_equal(back.status, RUN_OK);
	assert_string_equal(back.task, "a");
	run_record_release(&back);
	assert_int_equal(history_state_get(f->h, "k", &value, &cause), 1);
	assert_string_equal(value, "v");
	free(value);
	/* Writes go straight in again, with ids after all that were given. */
	c = insert(f, "after", T0 + 3);
	assert_true(c > b);
	assert_int_equal(committed_runs(f->path), 4);
}

/* A refused submit's runs are dropped from what is kept; ids stay given. */
static void
test_history_forgotten_runs_are_not_written(void **state)
{
	struct fixture *f = *state;
	struct run_record back;
	char *cause = NULL;
	int64_t a, b, c;
	sqlite3 *other = lock_db(f->path);

	no_waiting(f);
	history_begin(f->h);
	a = insert_unchecked(f, "keep", T0);
	b = insert_unchecked(f, "drop", T0 + 1);
	assert_int_equal(history_commit(f->h, &cause), -1);
	free(cause);
	history_forget_run(f->h, b);
	assert_int_equal(history_unwritten(f->h), 1);
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	assert_int_equal(history_retry(f->h, &cause), 0);
	assert_int_equal(history_get(f->h, a, &back, &cause), 1);
	run_record_release(&back);
	assert_int_equal(history_get(f->h, b, &back, &cause), 0);
	c = insert(f, "next", T0 + 2);
	assert_true(c > b);
	/* A new history on the same file gives ids after the newest too. */
	history_close(f->h);
	f->h = history_open(f->path, &cause);
	assert_non_null(f->h);
	assert_true(insert(f, "reopened", T0 + 3) > c);
}

/* An update keeps what a run was inserted with: its task and trigger. */
static void
test_history_update_keeps_a_runs_identity(void **state)
{
	struct fixture *f = *state;
	struct run_record back;
	char *cause = NULL;
	int64_t id = insert(f, "backup", T0);

	finish(f, id, "other", T0, RUN_OK, 0);
	assert_int_equal(history_get(f->h, id, &back, &cause), 1);
	assert_string_equal(back.task, "backup");
	assert_int_equal(back.status, RUN_OK);
	assert_int_equal(back.scheduled_ms, T0 - 5);
	run_record_release(&back);
}

/* The run for an instant: the newest fire at or before it, or after it. */
static void
test_history_finds_the_run_around_an_instant(void **state)
{
	struct fixture *f = *state;
	struct run_record r;
	char *cause = NULL;
	int64_t a = insert(f, "t", T0), b = insert(f, "t", T0 + 60000);

	insert(f, "other", T0 + 30000);
	assert_int_equal(
	    history_around(f->h, "t", T0 + 30000, 0, &r, &cause), 1);
	assert_int_equal(r.id, a);
	run_record_release(&r);
	assert_int_equal(
	    history_around(f->h, "t", T0 + 30000, 1, &r, &cause), 1);
	assert_int_equal(r.id, b);
	run_record_release(&r);
	assert_int_equal(history_around(f->h, "t", T0 - 10, 0, &r, &cause), 0);
	assert_int_equal(
	    history_around(f->h, "t", T0 + 60000, 1, &r, &cause), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_history_new_database_is_at_the_current_schema),
		T(test_history_refuses_a_newer_schema),
		T(test_history_records_a_run_from_start_to_end),
		T(test_history_lists_newest_first_with_a_limit),
		T(test_history_last_of_unknown_task_is_none),
		T(test_history_last_fire_ignores_manual_runs),
		T(test_history_marks_runs_left_running_as_lost),
		T(test_history_survives_reopening),
		T(test_history_files_are_private),
		T(test_history_state_round_trips),
		T(test_history_migrates_a_version_1_database),
		T(test_history_keeps_a_jobs_spec),
		T(test_history_keeps_an_environment_once),
		T(test_history_defers_checkpoints_to_the_caller),
		T(test_history_names_what_it_holds),
		T(test_history_finds_the_run_around_an_instant),
		T(test_history_batches_nest),
		T(test_history_update_keeps_a_runs_identity),
		T(test_history_a_locked_database_keeps_writes_until_retried),
		T(test_history_forgotten_runs_are_not_written),
	};

	return cmocka_run_group_tests_name("history", tests, NULL, NULL);
}
