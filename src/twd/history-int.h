/*
 * Inside the history: what history.c shares with the files that answer
 * other questions of the same database (history-audit.c).
 */
#ifndef TW_HISTORY_INT_H
#define TW_HISTORY_INT_H

#include <sqlite3.h>

#include "history.h"

enum {
	STMT_PUT,
	STMT_ENV_PUT,
	STMT_ENV_ID,
	STMT_EACH_ALL,
	STMT_EACH_TASK,
	STMT_EACH_FILTERED,
	STMT_EACH_DONE,
	STMT_COUNT_DONE,
	STMT_CLEAN,
	STMT_LAST_FIRE,
	STMT_BEFORE,
	STMT_AFTER,
	STMT_MARK_LOST,
	STMT_PRUNE_LIST,
	STMT_DELETE,
	STMT_STATE_GET,
	STMT_STATE_SET,
	STMT_NAMES,
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_NEXT_ID,
	STMT_AUDIT_PUT,
	STMT_COUNT
};

/* A write kept until its transaction commits: a run, or a value. */
struct history_write {
	struct run_record run; /* run.id 0: a remembered value, or */
	char *key, *value;
	struct audit_record *audit; /* an audit row */
};

struct history {
	sqlite3 *db;
	sqlite3_stmt *stmt[STMT_COUNT];
	history_checkpoint_cb checkpoint_due;
	void *checkpoint_arg;
	int depth;       /* history_begin calls not yet committed */
	int64_t next_id; /* the next run's; never given twice */
	/*
	 * The writes since the last commit, in order: the open transaction's,
	 * and while failing, all those the database has not taken yet.
	 */
	struct history_write *w;
	size_t nw, capw;
	int in_txn;  /* a transaction is open in SQLite */
	char *error; /* why the open transaction cannot commit, or NULL */
	int failing; /* writes are kept until history_retry takes them */
	/*
	 * The environment written last, and its id: the jobs of a submit
	 * share one, found once, not a lookup of its text each. Forgotten
	 * when a transaction is rolled back or runs are deleted (its row
	 * may have gone with them).
	 */
	char *env_text;
	int64_t env_id;
	history_failing_cb failing_cb;
	void *failing_arg;
};

char *history_cause(struct history *h, const char *what);
/* Run sql outside the statements: 0, or -1 with *cause. */
int history_exec(struct history *h, const char *sql, char **cause);
/* Forget the environment written last (its row may be gone). */
void history_env_forget(struct history *h);
/* Step a statement that returns no rows, then make it reusable. */
int history_step_done(
    struct history *h, sqlite3_stmt *st, const char *what, char **cause);
/* Keep w (taken) and write it as history.h says writes are. */
void history_keep(struct history *h, const struct history_write *w);
/* A column's text, copied; NULL for NULL. */
char *column_text(sqlite3_stmt *st, int i);
/* Bind s, or NULL for NULL; ms, or NULL for 0. */
void bind_text(sqlite3_stmt *st, int i, const char *s);
void bind_ms(sqlite3_stmt *st, int i, int64_t ms);

/* history-audit.c */
int history_audit_write(
    struct history *h, const struct audit_record *a, char **cause);
void audit_record_free(struct audit_record *a);

#endif
