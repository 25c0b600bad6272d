/*
 * SQLite history. WAL mode keeps readers off the writer's back and makes
 * each run's start and end one short transaction; a crash loses nothing
 * that was committed. Migrations are numbered SQL steps under user_version.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "history-int.h"
#include "xmalloc.h"

/*
 * Migration N takes a database from user_version N to N + 1. Append only:
 * a released step is never edited, since users' databases already ran it.
 */
static const char *const history_migrations[] = {
	"CREATE TABLE runs ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  task TEXT NOT NULL,"
	"  trigger TEXT NOT NULL,"
	"  scheduled_at INTEGER," /* ms since the epoch */
	"  started_at INTEGER NOT NULL,"
	"  finished_at INTEGER,"
	"  status TEXT NOT NULL,"
	"  exit_code INTEGER,"
	"  signal INTEGER,"
	"  pid INTEGER,"
	"  output_bytes INTEGER NOT NULL DEFAULT 0,"
	"  log_path TEXT,"
	"  reason TEXT"
	");"
	"CREATE INDEX runs_task ON runs (task, id);"
	"CREATE INDEX runs_status ON runs (status);",

	/* 2: what twd remembers between runs, such as the last boot id. */
	"CREATE TABLE state ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT NOT NULL"
	");",

	/* 3: what a run cost, and whether its output was cut. */
	"ALTER TABLE runs ADD COLUMN truncated INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE runs ADD COLUMN cpu_user_ms INTEGER;"
	"ALTER TABLE runs ADD COLUMN cpu_sys_ms INTEGER;"
	"ALTER TABLE runs ADD COLUMN max_rss_kb INTEGER;",

	/* 4: which attempt a run was, and its duration by the monotonic clock. */
	("ALTER TABLE runs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1;"
	 "ALTER TABLE runs ADD COLUMN duration_ms INTEGER;"),

	/* 5: queued runs that wait for a time (a retry's backoff). */
	"ALTER TABLE runs ADD COLUMN not_before INTEGER;",

	/* 6: what a submitted job runs, so that it outlives a restart. */
	"ALTER TABLE runs ADD COLUMN spec TEXT;",

	/*
	 * 7: the environment a submitted job was given (its caller's), kept
	 * once however many jobs share it, and dropped with its last run; and
	 * which finished jobs twctl clean took out of twctl queue's view
	 * (those finished before this step: all of them); and the Slurm job
	 * of a run on a Slurm executor, and a plugin's progress and summary.
	 */
	("CREATE TABLE environments ("
	 "  id INTEGER PRIMARY KEY,"
	 "  vars TEXT NOT NULL UNIQUE" /* a JSON object, keys sorted */
	 ");"
	 "ALTER TABLE runs ADD COLUMN env_id INTEGER "
	 "REFERENCES environments (id);"
	 "CREATE INDEX runs_env ON runs (env_id) WHERE env_id IS NOT NULL;"
	 "CREATE TRIGGER runs_env_unused AFTER DELETE ON runs "
	 "WHEN old.env_id IS NOT NULL AND NOT EXISTS "
	 "(SELECT 1 FROM runs WHERE env_id = old.env_id) "
	 "BEGIN DELETE FROM environments WHERE id = old.env_id; END;"
	 "ALTER TABLE runs ADD COLUMN cleaned INTEGER NOT NULL DEFAULT 0;"
	 "ALTER TABLE runs ADD COLUMN slurm_job INTEGER;"
	 "ALTER TABLE runs ADD COLUMN progress INTEGER;"
	 "ALTER TABLE runs ADD COLUMN summary TEXT;"
	 "UPDATE runs SET cleaned = 1 WHERE trigger = 'submit' "
	 "AND status NOT IN ('running', 'queued');"
	 "CREATE INDEX runs_unclean ON runs (id) "
	 "WHERE trigger = 'submit' AND cleaned = 0;"),

	/*
	 * 8: the audit log, a row per request that changed something (and
	 * reads, when asked for): who asked (the peer's uid, pid, program),
	 * what, and how it went. And runs by their start, for reports.
	 */
	("CREATE TABLE audit ("
	 "  id INTEGER PRIMARY KEY,"
	 "  at INTEGER NOT NULL," /* ms since the epoch */
	 "  uid INTEGER,"         /* NULL: twd itself */
	 "  pid INTEGER,"
	 "  exe TEXT,"
	 "  cmdline TEXT,"
	 "  request TEXT NOT NULL,"
	 "  args TEXT," /* JSON */
	 "  ok INTEGER NOT NULL,"
	 "  error TEXT,"
	 "  changes TEXT" /* JSON: a reload's */
	 ");"
	 "CREATE INDEX audit_at ON audit (at);"
	 "CREATE INDEX runs_started ON runs (started_at);"),

	/* 9: on whose behalf a client asked (twweb: its token's name). */
	"ALTER TABLE audit ADD COLUMN actor TEXT;",

	/* 10: what changed, for a run a git or path trigger made (JSON). */
	"ALTER TABLE runs ADD COLUMN change TEXT;",

	/* 11: what a run's cgroup saw: its peak memory and OOM kills. */
	("ALTER TABLE runs ADD COLUMN memory_peak INTEGER;"
	 "ALTER TABLE runs ADD COLUMN oom_kills INTEGER;"),
};

#define HISTORY_NMIGRATIONS                                                    \
	(sizeof history_migrations / sizeof history_migrations[0])

_Static_assert(HISTORY_NMIGRATIONS == HISTORY_SCHEMA,
    "HISTORY_SCHEMA must count the migrations");

#define RUN_COLUMNS                                                            \
	"id, task, trigger, scheduled_at, started_at, finished_at, status, "   \
	"exit_code, signal, pid, output_bytes, log_path, reason, truncated, "  \
	"cpu_user_ms, cpu_sys_ms, max_rss_kb, attempt, duration_ms, "          \
	"not_before, spec, "                                                   \
	"(SELECT vars FROM environments WHERE environments.id = "              \
	"runs.env_id), "                                                       \
	"slurm_job, progress, summary, change, memory_peak, oom_kills"

/* Runs of twctl queue's finished jobs; the terms of index runs_unclean. */
#define HISTORY_DONE                                                           \
	"WHERE trigger = 'submit' AND cleaned = 0 "                            \
	"AND status NOT IN ('running', 'queued')"

/* The id of the environment a run's write binds as ?22, or NULL. */
#define HISTORY_ENV_ID "?22"

static const char *const history_sql[STMT_COUNT] = {
	/*
	 * A run in full, by the id twd gave it: inserted, or over the row
	 * it has. Not the task, trigger or fire time, which a run keeps from
	 * its insert: assigning the task, even unchanged, rewrote its index.
	 * A spec (a submitted job's) may be changed (twctl edit RUN), never
	 * dropped; nor its environment, its id found by history_env_id.
	 */
	[STMT_PUT] =
	    "INSERT INTO runs (id, task, trigger, scheduled_at, "
	    "started_at, finished_at, status, exit_code, signal, pid, "
	    "output_bytes, log_path, reason, truncated, cpu_user_ms, "
	    "cpu_sys_ms, max_rss_kb, attempt, duration_ms, not_before, spec, "
	    "env_id, slurm_job, progress, summary, change, memory_peak, "
	    "oom_kills) "
	    "VALUES (?21, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
	    "?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, " HISTORY_ENV_ID
	    ", ?23, ?24, ?25, ?26, ?27, ?28) "
	    "ON CONFLICT (id) DO UPDATE SET started_at = ?4, "
	    "finished_at = ?5, status = ?6, exit_code = ?7, signal = ?8, "
	    "pid = ?9, output_bytes = ?10, log_path = ?11, reason = ?12, "
	    "truncated = ?13, cpu_user_ms = ?14, cpu_sys_ms = ?15, "
	    "max_rss_kb = ?16, attempt = ?17, duration_ms = ?18, "
	    "not_before = ?19, spec = coalesce(?20, spec), "
	    "env_id = coalesce(" HISTORY_ENV_ID ", env_id), "
	    "slurm_job = coalesce(?23, slurm_job), progress = ?24, "
	    "summary = ?25, change = coalesce(?26, change), "
	    "memory_peak = ?27, oom_kills = ?28",
	[STMT_ENV_ID] = "SELECT id FROM environments WHERE vars = ?1",
	[STMT_ENV_PUT] = "INSERT INTO environments (vars) VALUES (?1) "
	                 "ON CONFLICT (vars) DO NOTHING",
	[STMT_EACH_ALL] = "SELECT " RUN_COLUMNS " FROM runs "
	                  "ORDER BY id DESC LIMIT ?1",
	[STMT_EACH_TASK] = "SELECT " RUN_COLUMNS " FROM runs WHERE task = ?2 "
	                   "ORDER BY id DESC LIMIT ?1",
	/* Finished submitted jobs that twctl clean has not taken away. */
	[STMT_EACH_DONE] = "SELECT " RUN_COLUMNS " FROM runs " HISTORY_DONE
	                   " ORDER BY id DESC LIMIT ?1",
	[STMT_COUNT_DONE] = "SELECT count(*) FROM runs " HISTORY_DONE,
	[STMT_CLEAN] = "UPDATE runs SET cleaned = 1 " HISTORY_DONE
	               " AND (?1 = 0 OR status = 'ok')",
	[STMT_EACH_FILTERED] = "SELECT " RUN_COLUMNS " FROM runs "
	                       "WHERE (?2 IS NULL OR task = ?2) "
	                       "AND (?3 IS NULL OR status = ?3) "
	                       "AND (?4 IS NULL OR started_at >= ?4) "
	                       "AND (?5 IS NULL OR id = ?5) "
	                       "AND (?6 IS NULL OR id < ?6) "
	                       "ORDER BY id DESC LIMIT ?1",
	[STMT_LAST_FIRE] = "SELECT max(scheduled_at) FROM runs "
	                   "WHERE task = ?1 "
	                   "AND trigger IN ('schedule', 'catch-up')",
	/* The run of a task for an instant: its fire, or its start. */
	[STMT_BEFORE] = "SELECT " RUN_COLUMNS " FROM runs WHERE task = ?1 "
	                "AND coalesce(scheduled_at, started_at) <= ?2 "
	                "ORDER BY coalesce(scheduled_at, started_at) DESC, "
	                "id DESC LIMIT 1",
	[STMT_AFTER] = "SELECT " RUN_COLUMNS " FROM runs WHERE task = ?1 "
	               "AND coalesce(scheduled_at, started_at) > ?2 "
	               "ORDER BY coalesce(scheduled_at, started_at), id "
	               "LIMIT 1",
	/* Finished runs of a task, newest first: the candidates to prune. */
	[STMT_PRUNE_LIST] = "SELECT id, started_at, log_path FROM runs "
	                    "WHERE task = ?1 "
	                    "AND status NOT IN ('running', 'queued') "
	                    "ORDER BY id DESC",
	[STMT_DELETE] = "DELETE FROM runs WHERE id = ?1",
	[STMT_STATE_GET] = "SELECT value FROM state WHERE key = ?1",
	[STMT_STATE_SET] = "INSERT INTO state (key, value) VALUES (?1, ?2) "
	                   "ON CONFLICT (key) DO UPDATE SET value = ?2",
	[STMT_NAMES] = "SELECT DISTINCT task FROM runs UNION "
	               "SELECT key FROM state ORDER BY 1",
	[STMT_MARK_LOST] = "UPDATE runs SET status = 'lost', finished_at = ?1, "
	                   "reason = 'twd stopped before the run finished' "
	                   "WHERE status = 'running'",
	/* Prepared once: each batch parsed them anew with sqlite3_exec. */
	[STMT_BEGIN] = "BEGIN",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	/* AUTOINCREMENT's high-water mark: ids below it were given. */
	[STMT_AUDIT_PUT] = "INSERT INTO audit (at, uid, pid, exe, cmdline, "
	                   "request, args, ok, error, changes, actor) "
	                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
	                   "?11)",
	[STMT_NEXT_ID] = "SELECT max(coalesce((SELECT max(id) FROM runs), 0), "
	                 "coalesce((SELECT seq FROM sqlite_sequence "
	                 "WHERE name = 'runs'), 0)) + 1",
};

/*
 * Log pages past which a checkpoint is due: SQLite's own default. (A longer
 * log was measured too: with 10,000 pages recording a run was slower here,
 * 190 us against 160.)
 */
#define HISTORY_CHECKPOINT_PAGES 1000

static void history_writes_drop(struct history *);

char *
history_cause(struct history *h, const char *what)
{
	return xasprintf("history: %s: %s", what, sqlite3_errmsg(h->db));
}

int
history_exec(struct history *h, const char *sql, char **cause)
{
	char *err = NULL;

	if (sqlite3_exec(h->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		*cause = xasprintf(
		    "history: %s", err != NULL ? err : "unknown error");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

static int
history_user_version(struct history *h, int *version, char **cause)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(h->db, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK) {
		*cause = history_cause(h, "reading schema version");
		return -1;
	}
	rc = sqlite3_step(st);
	*version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		*cause = history_cause(h, "reading schema version");
		return -1;
	}
	return 0;
}

static int
history_migrate(struct history *h, const char *path, char **cause)
{
	int version;
	char *sql;
	size_t i;

	if (history_user_version(h, &version, cause) == -1) {
		return -1;
	}
	if (version > (int)HISTORY_NMIGRATIONS) {
		*cause = xasprintf("history: %s has schema %d, newer than this "
		                   "twd knows (%d); upgrade twd",
		    path, version, (int)HISTORY_NMIGRATIONS);
		return -1;
	}
	for (i = (size_t)version; i < HISTORY_NMIGRATIONS; i++) {
		/* Each step and its version bump commit together or not at all. */
		sql =
		    xasprintf("BEGIN IMMEDIATE; %s PRAGMA user_version = %zu; "
		              "COMMIT;",
		        history_migrations[i], i + 1);
		if (history_exec(h, sql, cause) == -1) {
			free(sql);
			sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		free(sql);
	}
	return 0;
}

static int
history_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct history *h = arg;

	(void)db;
	(void)name;
	if (pages >= HISTORY_CHECKPOINT_PAGES) {
		h->checkpoint_due(h->checkpoint_arg);
	}
	return SQLITE_OK;
}

void
history_defer_checkpoints(
    struct history *h, history_checkpoint_cb due, void *arg)
{
	h->checkpoint_due = due;
	h->checkpoint_arg = arg;
	if (due == NULL) {
		sqlite3_wal_autocheckpoint(h->db, HISTORY_CHECKPOINT_PAGES);
		return;
	}
	/* Replaces SQLite's own hook, which checkpoints inside the commit. */
	sqlite3_wal_hook(h->db, history_wal_hook, h);
}

int
history_checkpoint(struct history *h, char **cause)
{
	if (sqlite3_wal_checkpoint_v2(h->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
	        NULL, NULL) != SQLITE_OK) {
		*cause = history_cause(h, "checkpoint");
		return -1;
	}
	return 0;
}

void
history_shrink(struct history *h)
{
	sqlite3_db_release_memory(h->db);
}

/*
 * The database holds every command line and reason: its owner's alone.
 * SQLite makes it 0644 less the umask, and its -wal and -shm as the
 * database is; so make it 0600 first, and bring older ones down to that.
 */
static int
history_private(const char *path, char **cause)
{
	static const char *const sidecars[] = { "-wal", "-shm" };
	char *side;
	size_t i;
	int fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1 ||
	    fchmod(fd, 0600) == -1) {
		*cause = xasprintf(
		    "history: cannot create %s: %s", path, strerror(errno));
		if (fd != -1) {
			close(fd);
		}
		return -1;
	}
	close(fd);
	for (i = 0; i < sizeof sidecars / sizeof sidecars[0]; i++) {
		side = xasprintf("%s%s", path, sidecars[i]);
		if (chmod(side, 0600) == -1 && errno != ENOENT) {
			*cause = xasprintf("history: cannot make %s private: "
			                   "%s",
			    side, strerror(errno));
			free(side);
			return -1;
		}
		free(side);
	}
	return 0;
}

struct history *
history_open(const char *path, char **cause)
{
	struct history *h = xcalloc(1, sizeof *h);
	int i;

	if (history_private(path, cause) == -1) {
		goto fail;
	}
	if (sqlite3_open_v2(path, &h->db,
	        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	            SQLITE_OPEN_NOMUTEX,
	        NULL) != SQLITE_OK) {
		*cause = xasprintf("history: cannot open %s: %s", path,
		    h->db != NULL ? sqlite3_errmsg(h->db) : "out of memory");
		goto fail;
	}
	/* Waiting is fine while twd starts; not once the loop runs. */
	sqlite3_busy_timeout(h->db, 5000);
	/*
	 * WAL with synchronous=NORMAL: a committed run survives a crash of
	 * twd; only a power cut may lose the last few commits.
	 */
	if (history_exec(h,
	        "PRAGMA journal_mode = WAL; "
	        "PRAGMA synchronous = NORMAL; "
	        "PRAGMA foreign_keys = ON;",
	        cause) == -1) {
		goto fail;
	}
	if (history_migrate(h, path, cause) == -1) {
		goto fail;
	}
	for (i = 0; i < STMT_COUNT; i++) {
		if (sqlite3_prepare_v3(h->db, history_sql[i], -1,
		        SQLITE_PREPARE_PERSISTENT, &h->stmt[i],
		        NULL) != SQLITE_OK) {
			*cause = history_cause(h, "preparing statements");
			goto fail;
		}
	}
	if (sqlite3_step(h->stmt[STMT_NEXT_ID]) != SQLITE_ROW) {
		*cause = history_cause(h, "reading the newest run id");
		goto fail;
	}
	h->next_id = sqlite3_column_int64(h->stmt[STMT_NEXT_ID], 0);
	sqlite3_reset(h->stmt[STMT_NEXT_ID]);
	return h;

fail:
	history_close(h);
	return NULL;
}

void
history_close(struct history *h)
{
	int i;

	if (h == NULL) {
		return;
	}
	history_writes_drop(h);
	history_env_forget(h);
	free(h->w);
	free(h->error);
	for (i = 0; i < STMT_COUNT; i++) {
		sqlite3_finalize(h->stmt[i]);
	}
	sqlite3_close(h->db);
	free(h);
}

void
bind_ms(sqlite3_stmt *st, int i, int64_t ms)
{
	if (ms == 0) {
		sqlite3_bind_null(st, i);
	} else {
		sqlite3_bind_int64(st, i, ms);
	}
}

void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL) {
		sqlite3_bind_null(st, i);
	} else {
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	}
}

/* Bind parameters 1-20 in the order INSERT and UPDATE share. */
static void
history_bind_run(sqlite3_stmt *st, const struct run_record *r)
{
	bind_text(st, 1, r->task);
	bind_text(st, 2, run_trigger_name(r->trigger));
	bind_ms(st, 3, r->scheduled_ms);
	sqlite3_bind_int64(st, 4, r->started_ms);
	bind_ms(st, 5, r->finished_ms);
	bind_text(st, 6, run_status_name(r->status));
	if (r->exit_code >= 0) {
		sqlite3_bind_int(st, 7, r->exit_code);
	} else {
		sqlite3_bind_null(st, 7);
	}
	if (r->signal > 0) {
		sqlite3_bind_int(st, 8, r->signal);
	} else {
		sqlite3_bind_null(st, 8);
	}
	if (r->pid > 0) {
		sqlite3_bind_int(st, 9, r->pid);
	} else {
		sqlite3_bind_null(st, 9);
	}
	sqlite3_bind_int64(st, 10, r->output_bytes);
	bind_text(st, 11, r->log_path);
	bind_text(st, 12, r->reason);
	sqlite3_bind_int(st, 13, r->truncated);
	sqlite3_bind_int64(st, 14, r->cpu_user_ms);
	sqlite3_bind_int64(st, 15, r->cpu_sys_ms);
	sqlite3_bind_int64(st, 16, r->max_rss_kb);
	sqlite3_bind_int(st, 17, r->attempt > 0 ? r->attempt : 1);
	if (r->duration_ms >= 0 && r->finished_ms != 0) {
		sqlite3_bind_int64(st, 18, r->duration_ms);
	} else {
		sqlite3_bind_null(st, 18);
	}
	bind_ms(st, 19, r->not_before_ms);
	bind_text(st, 20, r->spec);
}

/* Step a statement that returns no rows, then make it reusable. */
int
history_step_done(
    struct history *h, sqlite3_stmt *st, const char *what, char **cause)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE) {
		*cause = history_cause(h, what);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Free what the kept writes hold. */
static void
history_writes_drop(struct history *h)
{
	size_t i;

	for (i = 0; i < h->nw; i++) {
		run_record_release(&h->w[i].run);
		free(h->w[i].key);
		free(h->w[i].value);
		audit_record_free(h->w[i].audit);
	}
	h->nw = 0;
}

void
history_env_forget(struct history *h)
{
	free(h->env_text);
	h->env_text = NULL;
	h->env_id = 0;
}

/* The id of environment text, put first if it is new: 0, or -1. */
static int
history_env_id(struct history *h, const char *text, int64_t *id, char **cause)
{
	sqlite3_stmt *st = h->stmt[STMT_ENV_PUT];
	int rc;

	if (h->env_text != NULL && strcmp(h->env_text, text) == 0) {
		*id = h->env_id;
		return 0;
	}
	sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	if (history_step_done(h, st, "recording an environment", cause) == -1) {
		return -1;
	}
	st = h->stmt[STMT_ENV_ID];
	sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW) {
		*cause = history_cause(h, "finding an environment");
		return -1;
	}
	free(h->env_text);
	h->env_text = xstrdup(text);
	h->env_id = *id;
	return 0;
}

/* Run one write in the open transaction: 0, or -1 with *cause. */
static int
history_write_do(struct history *h, const struct history_write *w, char **cause)
{
	sqlite3_stmt *st;
	int64_t env_id = 0;

	if (w->audit != NULL) {
		return history_audit_write(h, w->audit, cause);
	}
	if (w->run.id != 0) {
		if (w->run.env != NULL &&
		    history_env_id(h, w->run.env, &env_id, cause) == -1) {
			return -1;
		}
		st = h->stmt[STMT_PUT];
		history_bind_run(st, &w->run);
		sqlite3_bind_int64(st, 21, w->run.id);
		bind_ms(st, 22, env_id);
		bind_ms(st, 23, w->run.slurm_job);
		if (w->run.progress >= 0) {
			sqlite3_bind_int(st, 24, w->run.progress);
		} else {
			sqlite3_bind_null(st, 24);
		}
		bind_text(st, 25, w->run.summary);
		bind_text(st, 26, w->run.change);
		if (w->run.memory_peak >= 0) {
			sqlite3_bind_int64(st, 27, w->run.memory_peak);
		} else {
			sqlite3_bind_null(st, 27);
		}
		bind_ms(st, 28, w->run.oom_kills);
		return history_step_done(h, st, "recording a run", cause);
	}
	st = h->stmt[STMT_STATE_SET];
	sqlite3_bind_text(st, 1, w->key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, w->value, -1, SQLITE_STATIC);
	return history_step_done(h, st, "writing state", cause);
}

/* SQLite's transaction, opened at the first write: 0, or -1 with *cause. */
static int
history_txn_open(struct history *h, char **cause)
{
	if (h->in_txn) {
		return 0;
	}
	if (history_step_done(h, h->stmt[STMT_BEGIN], "beginning a transaction",
	        cause) == -1) {
		return -1;
	}
	h->in_txn = 1;
	return 0;
}

/* End SQLite's open transaction, committed or not: 0, or -1 with *cause. */
static int
history_txn_close(struct history *h, int commit, char **cause)
{
	int rc = 0;

	if (!h->in_txn) {
		return 0;
	}
	if (commit &&
	    history_step_done(h, h->stmt[STMT_COMMIT], "committing", cause) ==
	        -1) {
		rc = -1;
		commit = 0;
	}
	if (!commit) {
		history_env_forget(h); /* its row may not have been kept */
	}
	/* A COMMIT that failed busy leaves the transaction open. */
	if (!commit && sqlite3_get_autocommit(h->db) == 0) {
		sqlite3_step(h->stmt[STMT_ROLLBACK]);
		sqlite3_reset(h->stmt[STMT_ROLLBACK]);
	}
	h->in_txn = 0;
	return rc;
}

/*
 * Keep w and write it in the open transaction (one of its own outside a
 * batch), unless the database already refused a write of this one, or
 * the history is failing: then it waits, in order, for history_retry.
 */
void
history_keep(struct history *h, const struct history_write *w)
{
	char *cause = NULL;
	int alone = h->depth == 0;

	if (h->nw == h->capw) {
		h->capw = h->capw == 0 ? 16 : h->capw * 2;
		h->w = xreallocarray(h->w, h->capw, sizeof *h->w);
	}
	h->w[h->nw++] = *w;
	if (alone) {
		h->depth++;
	}
	if (!h->failing && h->error == NULL &&
	    (history_txn_open(h, &cause) == -1 ||
	        history_write_do(h, w, &cause) == -1)) {
		h->error = cause;
	}
	if (alone && history_commit(h, &cause) == -1) {
		free(cause);
	}
}

void
history_put_run(struct history *h, struct run_record *r)
{
	struct history_write w = { .key = NULL, .value = NULL };

	if (r->id == 0) {
		r->id = h->next_id++;
	}
	run_record_copy(&w.run, r);
	history_keep(h, &w);
}

void
history_put_state(struct history *h, const char *key, const char *value)
{
	struct history_write w = { .key = xstrdup(key),
		.value = xstrdup(value) };

	history_keep(h, &w);
}

void
history_forget_run(struct history *h, int64_t id)
{
	size_t i, n = 0;

	if (!h->failing) {
		return; /* written, or in a transaction to be */
	}
	for (i = 0; i < h->nw; i++) {
		if (h->w[i].run.id == id) {
			run_record_release(&h->w[i].run);
			continue;
		}
		h->w[n++] = h->w[i];
	}
	h->nw = n;
}

void
history_busy_timeout(struct history *h, int ms)
{
	sqlite3_busy_timeout(h->db, ms);
}

void
history_on_failing(struct history *h, history_failing_cb cb, void *arg)
{
	h->failing_cb = cb;
	h->failing_arg = arg;
}

const char *
history_failing(const struct history *h)
{
	return h->failing ? h->error : NULL;
}

size_t
history_unwritten(const struct history *h)
{
	return h->failing ? h->nw : 0;
}

void
history_begin(struct history *h)
{
	char *cause = NULL;

	/* Deferred: its reads lock the file once, its first write for good. */
	if (h->depth++ == 0 && !h->failing && h->error == NULL &&
	    history_txn_open(h, &cause) == -1) {
		h->error = cause;
	}
}

int
history_commit(struct history *h, char **cause)
{
	char *why = NULL;

	if (h->depth == 0 || --h->depth > 0) {
		return 0;
	}
	if (h->failing) {
		*cause = xstrdup(h->error);
		return -1;
	}
	if (h->error == NULL && history_txn_close(h, 1, &why) == 0) {
		history_writes_drop(h);
		return 0;
	}
	history_txn_close(h, 0, NULL);
	if (h->error == NULL) {
		h->error = why;
	} else {
		free(why);
	}
	/* Rolled back: every write since the last commit waits, in order. */
	h->failing = 1;
	*cause = xstrdup(h->error);
	if (h->failing_cb != NULL) {
		h->failing_cb(h->failing_arg, h->error);
	}
	return -1;
}

int
history_retry(struct history *h, char **cause)
{
	char *why = NULL;
	size_t i;

	if (!h->failing) {
		return 0;
	}
	if (h->depth > 0) {
		*cause = xstrdup("history: a batch is open");
		return -1;
	}
	if (history_txn_open(h, &why) == 0) {
		for (i = 0; i < h->nw; i++) {
			if (history_write_do(h, &h->w[i], &why) == -1) {
				break;
			}
		}
		if (i == h->nw && history_txn_close(h, 1, &why) == 0) {
			history_writes_drop(h);
			free(h->error);
			h->error = NULL;
			h->failing = 0;
			return 0;
		}
	}
	history_txn_close(h, 0, NULL);
	free(h->error);
	h->error = why;
	*cause = xstrdup(why);
	return -1;
}

char *
column_text(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s != NULL ? xstrdup((const char *)s) : NULL;
}

static void
history_row(sqlite3_stmt *st, struct run_record *r)
{
	const char *s;

	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(st, 0);
	r->task = column_text(st, 1);
	s = (const char *)sqlite3_column_text(st, 2);
	if (s == NULL || run_trigger_parse(s, &r->trigger) == -1) {
		r->trigger = RUN_TRIGGER_MANUAL;
	}
	r->scheduled_ms = sqlite3_column_int64(st, 3);
	r->started_ms = sqlite3_column_int64(st, 4);
	r->finished_ms = sqlite3_column_int64(st, 5);
	s = (const char *)sqlite3_column_text(st, 6);
	if (s == NULL || run_status_parse(s, &r->status) == -1) {
		r->status = RUN_LOST;
	}
	r->exit_code = sqlite3_column_type(st, 7) == SQLITE_NULL
	    ? -1
	    : sqlite3_column_int(st, 7);
	r->signal = sqlite3_column_int(st, 8);
	r->pid = sqlite3_column_int(st, 9);
	r->output_bytes = sqlite3_column_int64(st, 10);
	r->log_path = column_text(st, 11);
	r->reason = column_text(st, 12);
	r->truncated = sqlite3_column_int(st, 13);
	r->cpu_user_ms = sqlite3_column_int64(st, 14);
	r->cpu_sys_ms = sqlite3_column_int64(st, 15);
	r->max_rss_kb = sqlite3_column_int64(st, 16);
	r->attempt = sqlite3_column_int(st, 17);
	r->duration_ms = sqlite3_column_type(st, 18) == SQLITE_NULL
	    ? -1
	    : sqlite3_column_int64(st, 18);
	r->not_before_ms = sqlite3_column_int64(st, 19);
	r->spec = column_text(st, 20);
	r->env = column_text(st, 21);
	r->slurm_job = sqlite3_column_int64(st, 22);
	r->progress = sqlite3_column_type(st, 23) == SQLITE_NULL
	    ? -1
	    : sqlite3_column_int(st, 23);
	r->summary = column_text(st, 24);
	r->change = column_text(st, 25);
	r->memory_peak = sqlite3_column_type(st, 26) == SQLITE_NULL
	    ? -1
	    : sqlite3_column_int64(st, 26);
	r->oom_kills = sqlite3_column_int64(st, 27);
}

int
history_query(struct history *h, const struct history_filter *f, history_cb cb,
    void *arg, char **cause)
{
	sqlite3_stmt *st;
	struct run_record r;
	int rc, n = 0;

	/* The plain cases keep statements the indexes serve best. */
	if (f->done) {
		st = h->stmt[STMT_EACH_DONE];
	} else if (f->status == NULL && f->since_ms == 0 && f->run_id == 0 &&
	    f->before_id == 0) {
		st = h->stmt[f->task != NULL ? STMT_EACH_TASK : STMT_EACH_ALL];
	} else {
		st = h->stmt[STMT_EACH_FILTERED];
		bind_text(st, 3, f->status);
		bind_ms(st, 4, f->since_ms);
		bind_ms(st, 5, f->run_id);
		bind_ms(st, 6, f->before_id);
	}
	sqlite3_bind_int(st, 1, f->limit);
	if (!f->done) {
		bind_text(st, 2, f->task);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		history_row(st, &r);
		cb(&r, arg);
		run_record_release(&r);
		n++;
	}
	if (rc != SQLITE_DONE) {
		*cause = history_cause(h, "reading runs");
		n = -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return n;
}

int64_t
history_count_done(struct history *h, char **cause)
{
	sqlite3_stmt *st = h->stmt[STMT_COUNT_DONE];
	int64_t n = -1;

	if (sqlite3_step(st) == SQLITE_ROW) {
		n = sqlite3_column_int64(st, 0);
	} else {
		*cause = history_cause(h, "counting finished jobs");
	}
	sqlite3_reset(st);
	return n;
}

int64_t
history_clean(struct history *h, int ok_only, char **cause)
{
	sqlite3_stmt *st = h->stmt[STMT_CLEAN];

	sqlite3_bind_int(st, 1, ok_only);
	if (history_step_done(h, st, "cleaning finished jobs", cause) == -1) {
		return -1;
	}
	return sqlite3_changes(h->db);
}

int
history_each(struct history *h, const char *task, int limit, history_cb cb,
    void *arg, char **cause)
{
	struct history_filter f = { .task = task, .limit = limit };

	return history_query(h, &f, cb, arg, cause);
}

static void
history_copy_cb(const struct run_record *r, void *arg)
{
	run_record_copy(arg, r);
}

int
history_get(struct history *h, int64_t id, struct run_record *out, char **cause)
{
	struct history_filter f = { .run_id = id, .limit = 1 };

	memset(out, 0, sizeof *out);
	return history_query(h, &f, history_copy_cb, out, cause);
}

int
history_last(
    struct history *h, const char *task, struct run_record *out, char **cause)
{
	memset(out, 0, sizeof *out);
	return history_each(h, task, 1, history_copy_cb, out, cause);
}

int
history_last_fire(
    struct history *h, const char *task, int64_t *ms, char **cause)
{
	sqlite3_stmt *st = h->stmt[STMT_LAST_FIRE];
	int rc, found = 0;

	sqlite3_bind_text(st, 1, task, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*ms = sqlite3_column_int64(st, 0);
		found = 1;
	} else if (rc != SQLITE_ROW) {
		*cause = history_cause(h, "reading the last fire");
		found = -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return found;
}

int
history_around(struct history *h, const char *task, int64_t at_ms, int after,
    struct run_record *out, char **cause)
{
	sqlite3_stmt *st = h->stmt[after ? STMT_AFTER : STMT_BEFORE];
	int rc, found = 0;

	memset(out, 0, sizeof *out);
	sqlite3_bind_text(st, 1, task, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, at_ms);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		history_row(st, out);
		found = 1;
	} else if (rc != SQLITE_DONE) {
		*cause = history_cause(h, "reading runs");
		found = -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return found;
}

int
history_mark_lost(struct history *h, int64_t now_ms, char **cause)
{
	sqlite3_stmt *st = h->stmt[STMT_MARK_LOST];

	sqlite3_bind_int64(st, 1, now_ms);
	if (history_step_done(h, st, "closing lost runs", cause) == -1) {
		return -1;
	}
	return sqlite3_changes(h->db);
}

int
history_state_get(
    struct history *h, const char *key, char **value, char **cause)
{
	sqlite3_stmt *st = h->stmt[STMT_STATE_GET];
	int rc, found = 0;

	*value = NULL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*value = column_text(st, 0);
		found = 1;
	} else if (rc != SQLITE_DONE) {
		*cause = history_cause(h, "reading state");
		found = -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return found;
}

int
history_names(struct history *h, history_name_cb cb, void *arg, char **cause)
{
	sqlite3_stmt *st = h->stmt[STMT_NAMES];
	int rc, n = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cb((const char *)sqlite3_column_text(st, 0), arg);
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		*cause = history_cause(h, "reading the names");
		return -1;
	}
	return n;
}
