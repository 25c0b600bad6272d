/*
 * Retention: the runs of a task past what it keeps (runs, days, bytes of
 * logs) deleted in short transactions, then their files: each log, and
 * the list of paths beside it of a run a path trigger made.
 */
#include <sys/stat.h>

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "history-int.h"
#include "xmalloc.h"

/*
 * Remove the files of logs, once their rows are gone: each log, and the
 * list of paths beside it (ID.paths) of a run a path trigger made.
 */
static void
unlink_logs(char **logs, size_t n)
{
	size_t i, len;
	char *paths;

	for (i = 0; i < n; i++) {
		if (logs[i] != NULL) {
			unlink(logs[i]);
			len = strlen(logs[i]);
			if (len > 4 && strcmp(logs[i] + len - 4, ".log") == 0) {
				paths = xasprintf(
				    "%.*s.paths", (int)(len - 4), logs[i]);
				unlink(paths);
				free(paths);
			}
		}
		free(logs[i]);
	}
	free(logs);
}

int
history_prune(struct history *h, const char *task,
    const struct history_retention *keep, int64_t now_ms, int max_rows,
    char **cause)
{
	sqlite3_stmt *st = h->stmt[STMT_PRUNE_LIST],
	             *del = h->stmt[STMT_DELETE];
	int64_t *ids = NULL, kept = 0, bytes = 0, size;
	char **logs = NULL;
	const char *log;
	struct stat sb;
	size_t n = 0, i;
	int rc, drop;

	/* The environment of the runs deleted may go with them. */
	history_env_forget(h);
	/* Rows go only when what is kept has been written. */
	if (h->failing || h->depth > 0) {
		return 0;
	}
	sqlite3_bind_text(st, 1, task, -1, SQLITE_STATIC);
	while ((int)n < max_rows && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		log = (const char *)sqlite3_column_text(st, 2);
		/* Sizes only when a byte budget needs them: no I/O for nothing. */
		size = keep->max_bytes > 0 && log != NULL && stat(log, &sb) == 0
		    ? (int64_t)sb.st_size
		    : 0;
		drop = (keep->keep_runs > 0 && kept >= keep->keep_runs) ||
		    (keep->keep_days > 0 &&
		        sqlite3_column_int64(st, 1) <
		            now_ms - keep->keep_days * INT64_C(86400000)) ||
		    (keep->max_bytes > 0 && bytes + size > keep->max_bytes);
		if (!drop) {
			kept++;
			bytes += size;
			continue;
		}
		ids = xreallocarray(ids, n + 1, sizeof *ids);
		logs = xreallocarray(logs, n + 1, sizeof *logs);
		ids[n] = sqlite3_column_int64(st, 0);
		logs[n] = column_text(st, 2);
		n++;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (n == 0) {
		return 0;
	}
	/* One short transaction for this batch; the loop comes back for more. */
	if (history_exec(h, "BEGIN IMMEDIATE", cause) == -1) {
		goto fail;
	}
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(del, 1, ids[i]);
		if (history_step_done(h, del, "pruning runs", cause) == -1) {
			sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
			goto fail;
		}
	}
	if (history_exec(h, "COMMIT", cause) == -1) {
		sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
		goto fail;
	}
	unlink_logs(logs, n);
	free(ids);
	return (int)n;

fail:
	for (i = 0; i < n; i++) {
		free(logs[i]);
	}
	free(logs);
	free(ids);
	return -1;
}
