/*
 * Run history in SQLite: open and migrate the database, record each run as
 * it starts and ends, and answer queries. Knows nothing of jobs or sockets.
 */
#ifndef TW_HISTORY_H
#define TW_HISTORY_H

#include <stdint.h>

#include "run.h"

struct history;

/* The schema version this build writes; PRAGMA user_version holds it. */
#define HISTORY_SCHEMA 11

/*
 * Open (creating and migrating as needed) the database at path. Returns the
 * handle (caller closes), or NULL with *cause (caller frees).
 */
struct history *history_open(const char *path, char **cause);
void history_close(struct history *);

/*
 * Writes. A run (given its id here when r->id is 0: an id is given once,
 * whether or not its row is ever written) or a remembered value is written
 * whole, in the open batch's transaction (one of its own outside a batch),
 * and kept until that commits. If the database does not take it (disk
 * full, locked by another process), the batch is rolled back and the
 * history is failing: its writes, and all made after them, are kept in
 * order, none tried, until history_retry writes them all.
 */
void history_put_run(struct history *, struct run_record *r);
void history_put_state(struct history *, const char *key, const char *value);
/* A request, as the audit log keeps it. */
struct audit_record {
	int64_t id; /* given when written */
	int64_t at_ms;
	long uid, pid; /* the peer's; -1: twd itself (a file change) */
	char *exe;     /* /proc/PID/exe, or NULL when it could not be read */
	char *cmdline; /* its arguments, joined by spaces; or NULL */
	char *request; /* the command: "run", "reload" ... */
	char *args;    /* its arguments (JSON); or NULL */
	int ok;
	char *error;   /* why it was refused, when not ok */
	char *changes; /* what a reload changed (JSON); or NULL */
	char *actor;   /* on whose behalf, as the client says; or NULL */
};

/* Record a (copied) in the audit log, written as runs are. */
void history_put_audit(struct history *, const struct audit_record *a);
typedef void (*history_audit_cb)(const struct audit_record *, void *);
/*
 * Call cb for the audit rows from since_ms on, the newest first, at most
 * limit. Returns how many, or -1 with *cause.
 */
int history_audit_each(struct history *, int64_t since_ms, int limit,
    history_audit_cb cb, void *arg, char **cause);
/* Delete the audit rows before before_ms: how many, or -1 with *cause. */
int64_t history_audit_prune(struct history *, int64_t before_ms, char **cause);
/* While failing: drop the kept writes of run id (a refused submit). */
void history_forget_run(struct history *, int64_t id);
/* Why the history is failing, or NULL when it writes. */
const char *history_failing(const struct history *);
/* While failing, how many writes wait; else 0. */
size_t history_unwritten(const struct history *);
/*
 * How long a statement may wait for another process's lock: a few
 * seconds while twd starts, milliseconds once its loop runs (the history
 * is then failing instead, and retried).
 */
void history_busy_timeout(struct history *, int ms);
/* Called once each time the history starts failing. */
typedef void (*history_failing_cb)(void *arg, const char *why);
void history_on_failing(struct history *, history_failing_cb, void *arg);
/*
 * Write what is kept, in one transaction. Returns 0 when the history
 * writes again, or -1 with *cause (it is still failing).
 */
int history_retry(struct history *, char **cause);
/*
 * SQLite moves its write-ahead log into the database now and then, inside
 * a commit, fsync and all: a commit on the way to starting a job would wait
 * for it. With this, due is called after a commit that left the log long,
 * and the caller runs history_checkpoint when nothing waits. due NULL puts
 * SQLite's own checkpoints back.
 */
typedef void (*history_checkpoint_cb)(void *arg);
void history_defer_checkpoints(
    struct history *, history_checkpoint_cb due, void *arg);
/* Returns 0, or -1 with *cause. */
int history_checkpoint(struct history *, char **cause);
/* Free the cached pages no statement holds (the next query reads them). */
void history_shrink(struct history *);

/*
 * Make the writes between these one transaction, one commit for a batch
 * (such as many submitted jobs). Pairs nest: only the outermost commit
 * commits. history_commit returns 0 when all that was written so far is
 * in the database, or -1 with *cause when the history is failing.
 */
void history_begin(struct history *);
int history_commit(struct history *, char **cause);

typedef void (*history_cb)(const struct run_record *, void *);
/*
 * Call cb for the newest runs first, at most limit of them, of one task or
 * (task NULL) of all. The record is borrowed for the call. Returns the
 * number of rows, or -1 with *cause.
 */
int history_each(struct history *, const char *task, int limit, history_cb cb,
    void *arg, char **cause);
/* What history_query selects; zero fields select everything. */
struct history_filter {
	const char *task;
	const char *status; /* a run_status_name */
	int64_t since_ms;   /* started at or after */
	int64_t run_id;
	int64_t before_id; /* older than this run (a page's last) */
	int limit;         /* at most this many, newest first */
	int done; /* only: finished submitted jobs not cleaned (the rest 0) */
};

/* As history_each, for the runs f selects. */
int history_query(struct history *, const struct history_filter *f,
    history_cb cb, void *arg, char **cause);
/*
 * The finished submitted jobs twctl queue shows: how many (or -1 with
 * *cause); and history_clean takes them (only those that succeeded with
 * ok_only) out of that view, not out of the history. Returns how many.
 */
int64_t history_count_done(struct history *, char **cause);
int64_t history_clean(struct history *, int ok_only, char **cause);
/* Fill out (caller releases) with run id: 1, 0 if none, -1 with *cause. */
int
history_get(struct history *, int64_t id, struct run_record *out, char **cause);
/*
 * Fill out (caller releases) with task's newest run. Returns 1, 0 when the
 * task never ran, or -1 with *cause.
 */
int history_last(
    struct history *, const char *task, struct run_record *out, char **cause);
/*
 * Fill out (caller releases) with the run of task for at_ms: the newest
 * whose fire (or start, when it had none) is at or before it, or with
 * after, the oldest past it. Returns 1, 0 when none, -1 with *cause.
 */
int history_around(struct history *, const char *task, int64_t at_ms, int after,
    struct run_record *out, char **cause);
/* The newest scheduled fire of task into *ms: 1, 0 when none, -1 with *cause. */
int history_last_fire(
    struct history *, const char *task, int64_t *ms, char **cause);
/*
 * Close the runs a previous daemon left running (it crashed or was killed):
 * they become "lost" at now_ms. Returns how many, or -1 with *cause.
 */
int history_mark_lost(struct history *, int64_t now_ms, char **cause);
/* How much of a task's history to keep; 0 fields keep everything. */
struct history_retention {
	int64_t keep_runs; /* the newest this many finished runs */
	int64_t keep_days; /* runs started within this many days */
	int64_t max_bytes; /* logs up to this many bytes in all, newest first */
};

/*
 * Delete at most max_rows of task's finished runs that keep does not
 * keep, rows and log files together, in one short transaction. Returns
 * how many (call again while it is max_rows), or -1 with *cause.
 */
int history_prune(struct history *, const char *task,
    const struct history_retention *keep, int64_t now_ms, int max_rows,
    char **cause);

/*
 * Remembered values. history_state_get sets *value (caller frees) and
 * returns 1, or 0 when key was never set, or -1 with *cause.
 */
int history_state_get(
    struct history *, const char *key, char **value, char **cause);
/*
 * Each name the history has rows for, once, in strcmp order: the tasks with
 * runs, and the keys of remembered values. A task that is in neither needs
 * no query of its own. Returns how many, or -1 with *cause.
 */
typedef void (*history_name_cb)(const char *name, void *arg);
/* Each remembered value whose key starts with prefix: how many, or -1. */
typedef void (*history_state_cb)(const char *key, const char *value, void *);
int history_state_each(struct history *, const char *prefix,
    history_state_cb cb, void *arg, char **cause);
int
history_names(struct history *, history_name_cb cb, void *arg, char **cause);
#endif
