/*
 * The audit log in the history's database: written as runs are (kept
 * while the database refuses writes, in order with them), read newest
 * first, and pruned by age. And remembered values by the start of their
 * key (the subscriptions made at run time).
 */
#include <stdlib.h>
#include <string.h>

#include "history-int.h"
#include "xmalloc.h"

void
audit_record_free(struct audit_record *a)
{
	if (a == NULL) {
		return;
	}
	free(a->exe);
	free(a->cmdline);
	free(a->request);
	free(a->args);
	free(a->error);
	free(a->changes);
	free(a->actor);
	free(a);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

void
history_put_audit(struct history *h, const struct audit_record *a)
{
	struct history_write w = { .key = NULL, .value = NULL };

	w.audit = xcalloc(1, sizeof *w.audit);
	*w.audit = *a;
	w.audit->exe = dup_or_null(a->exe);
	w.audit->cmdline = dup_or_null(a->cmdline);
	w.audit->request = xstrdup(a->request);
	w.audit->args = dup_or_null(a->args);
	w.audit->error = dup_or_null(a->error);
	w.audit->changes = dup_or_null(a->changes);
	w.audit->actor = dup_or_null(a->actor);
	history_keep(h, &w);
}

static void
bind_id(sqlite3_stmt *st, int i, long v)
{
	if (v < 0) {
		sqlite3_bind_null(st, i);
	} else {
		sqlite3_bind_int64(st, i, v);
	}
}

int
history_audit_write(
    struct history *h, const struct audit_record *a, char **cause)
{
	sqlite3_stmt *st = h->stmt[STMT_AUDIT_PUT];

	sqlite3_bind_int64(st, 1, a->at_ms);
	bind_id(st, 2, a->uid);
	bind_id(st, 3, a->pid);
	bind_text(st, 4, a->exe);
	bind_text(st, 5, a->cmdline);
	bind_text(st, 6, a->request);
	bind_text(st, 7, a->args);
	sqlite3_bind_int(st, 8, a->ok);
	bind_text(st, 9, a->error);
	bind_text(st, 10, a->changes);
	bind_text(st, 11, a->actor);
	return history_step_done(h, st, "recording an audit row", cause);
}

int
history_audit_each(struct history *h, int64_t since_ms, int limit,
    history_audit_cb cb, void *arg, char **cause)
{
	static const char sql[] =
	    "SELECT id, at, uid, pid, exe, cmdline, request, args, ok, error, "
	    "changes, actor FROM audit WHERE at >= ?1 ORDER BY at DESC, id "
	    "DESC "
	    "LIMIT ?2";
	struct audit_record a;
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK) {
		*cause = history_cause(h, "reading the audit log");
		return -1;
	}
	sqlite3_bind_int64(st, 1, since_ms);
	sqlite3_bind_int(st, 2, limit > 0 ? limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&a, 0, sizeof a);
		a.id = sqlite3_column_int64(st, 0);
		a.at_ms = sqlite3_column_int64(st, 1);
		a.uid = sqlite3_column_type(st, 2) == SQLITE_NULL
		    ? -1
		    : (long)sqlite3_column_int64(st, 2);
		a.pid = sqlite3_column_type(st, 3) == SQLITE_NULL
		    ? -1
		    : (long)sqlite3_column_int64(st, 3);
		a.exe = (char *)sqlite3_column_text(st, 4);
		a.cmdline = (char *)sqlite3_column_text(st, 5);
		a.request = (char *)sqlite3_column_text(st, 6);
		a.args = (char *)sqlite3_column_text(st, 7);
		a.ok = sqlite3_column_int(st, 8);
		a.error = (char *)sqlite3_column_text(st, 9);
		a.changes = (char *)sqlite3_column_text(st, 10);
		a.actor = (char *)sqlite3_column_text(st, 11);
		cb(&a, arg);
		n++;
	}
	if (rc != SQLITE_DONE) {
		*cause = history_cause(h, "reading the audit log");
		n = -1;
	}
	sqlite3_finalize(st);
	return n;
}

int64_t
history_audit_prune(struct history *h, int64_t before_ms, char **cause)
{
	sqlite3_stmt *st;
	int64_t n;

	if (history_failing(h) != NULL) {
		return 0; /* kept writes wait; so does this */
	}
	if (sqlite3_prepare_v2(h->db, "DELETE FROM audit WHERE at < ?1", -1,
	        &st, NULL) != SQLITE_OK) {
		*cause = history_cause(h, "pruning the audit log");
		return -1;
	}
	sqlite3_bind_int64(st, 1, before_ms);
	if (sqlite3_step(st) != SQLITE_DONE) {
		*cause = history_cause(h, "pruning the audit log");
		sqlite3_finalize(st);
		return -1;
	}
	n = sqlite3_changes(h->db);
	sqlite3_finalize(st);
	return n;
}

int
history_state_each(struct history *h, const char *prefix, history_state_cb cb,
    void *arg, char **cause)
{
	static const char sql[] =
	    "SELECT key, value FROM state WHERE "
	    "substr(key, 1, length(?1)) = ?1 ORDER BY key";
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK) {
		*cause = history_cause(h, "reading state");
		return -1;
	}
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cb((const char *)sqlite3_column_text(st, 0),
		    (const char *)sqlite3_column_text(st, 1), arg);
		n++;
	}
	if (rc != SQLITE_DONE) {
		*cause = history_cause(h, "reading state");
		n = -1;
	}
	sqlite3_finalize(st);
	return n;
}
