/*
 * The protocol methods for watching twd from outside: metrics (the
 * Prometheus text), audit (who asked for what).
 */
#include <stdlib.h>

#include "audit.h"
#include "config.h"
#include "history.h"
#include "metrics.h"
#include "observe.h"
#include "proto.h"
#include "request-int.h"
#include "tasks.h"
#include "timefmt.h"
#include "twd.h"
#include "xmalloc.h"

#define AUDIT_DEFAULT_LIMIT 50
#define AUDIT_MAX_LIMIT     10000

/* metrics: the Prometheus text, and where it is served. */
json_t *
req_metrics(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	struct metrics_globals g;
	struct metrics_text text = { NULL, 0, 0 };
	const char *listen, *error;
	json_t *data;

	(void)c;
	(void)args;
	(void)err;
	observe_globals(twd, &g);
	metrics_write_all(&g, twd->tasks, &text);
	json_decref(g.notifiers);
	listen = observe_listening(twd->observe, &error);
	data = json_pack("{s:s%, s:s?, s:s?}", "text", text.s, text.len,
	    "listen", listen, "listen_error", error);
	free(text.s);
	return data;
}

/* Text that is JSON, as JSON; else as the string it is. */
static json_t *
json_or_text(const char *text)
{
	json_t *v;

	if (text == NULL) {
		return json_null();
	}
	if ((v = json_loads(text, JSON_DECODE_ANY, NULL)) == NULL) {
		v = json_string(text);
	}
	return v;
}

static json_t *
id_or_null(long v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

static void
audit_collect(const struct audit_record *a, void *arg)
{
	char at[40];

	json_array_append_new(arg,
	    json_pack("{s:I, s:s, s:o, s:o, s:s?, s:s?, s:s, s:o, s:b, s:s?, "
	              "s:o}",
	        "id", (json_int_t)a->id, "at",
	        timefmt_iso(a->at_ms, at, sizeof at), "uid", id_or_null(a->uid),
	        "pid", id_or_null(a->pid), "exe", a->exe, "cmdline", a->cmdline,
	        "request", a->request, "args", json_or_text(a->args), "ok",
	        a->ok, "error", a->error, "changes", json_or_text(a->changes)));
}

/* audit: {"since", "limit"}: the newest rows first. */
json_t *
req_audit(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	int64_t since_ms = 0;
	int limit = AUDIT_DEFAULT_LIMIT;
	json_t *rows;
	char *cause;

	(void)c;
	if (arg_since_limit(args, &since_ms, &limit, AUDIT_MAX_LIMIT, err) ==
	    -1) {
		return NULL;
	}
	rows = json_array();
	if (history_audit_each(twd->history, since_ms, limit, audit_collect,
	        rows, &cause) == -1) {
		json_decref(rows);
		return request_fail(err, PROTO_E_FAILED, cause);
	}
	return json_pack("{s:o}", "entries", rows);
}
