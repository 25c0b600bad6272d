/*
 * twctl audit: the requests that changed something, newest first: when,
 * who (uid, program and pid), what, and whether it was done.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "output.h"
#include "timefmt.h"

#define AUDIT_LIMIT_DEFAULT 50
#define AUDIT_LIMIT_MAX     10000
/* Of the arguments shown in a column; --json has them all. */
#define AUDIT_ARGS_SHOWN 60

static const struct option cmd_audit_longopts[] = {
	{ "limit", required_argument, NULL, 'n' },
	{ "since", required_argument, NULL, 'S' },
	{ NULL, 0, NULL, 0 },
};

/* "bash 4123" or "twd" of a row. */
static void
audit_who(const json_t *e, char *buf, size_t len)
{
	const char *exe = json_get_string(e, "exe", NULL), *base;
	const json_t *pid = json_object_get(e, "pid");

	if (!json_is_integer(pid)) {
		snprintf(buf, len, "twd");
		return;
	}
	base = exe != NULL && strrchr(exe, '/') != NULL ? strrchr(exe, '/') + 1
	                                                : exe;
	snprintf(buf, len, "%s %lld%s%s", base != NULL ? base : "?",
	    (long long)json_integer_value(pid),
	    json_is_string(json_object_get(e, "actor")) ? " for " : "",
	    json_get_string(e, "actor", ""));
}

/* The arguments in a line, cut to fit a column. */
static void
audit_args(const json_t *e, char *buf, size_t len)
{
	const json_t *args = json_object_get(e, "args");
	char *text;

	if (json_is_null(args) || args == NULL) {
		snprintf(buf, len, "-");
		return;
	}
	text = json_dumps(args, JSON_COMPACT | JSON_ENCODE_ANY);
	if (text != NULL && strlen(text) > AUDIT_ARGS_SHOWN) {
		snprintf(buf, len, "%.*s...", AUDIT_ARGS_SHOWN - 3, text);
	} else {
		snprintf(buf, len, "%s", text != NULL ? text : "?");
	}
	free(text);
}

static int
cmd_audit_exec(struct cmd_ctx *ctx)
{
	static const char *const headers[] = { "TIME", "UID", "PROGRAM",
		"REQUEST", "ARGUMENTS", "RESULT", NULL };
	struct proto_reply rep;
	json_t *args, *rows, *e;
	char when[64], uid[24], who[128], what[128], result[256];
	const char *cells[6];
	struct table *t;
	int64_t ms;
	int rc;
	size_t i;

	if ((args = cmd_window_args(
	         ctx, AUDIT_LIMIT_DEFAULT, AUDIT_LIMIT_MAX)) == NULL) {
		return EXIT_USAGE;
	}
	if ((rc = cmd_call_list(ctx, "audit", args, "entries",
	         "no requests recorded", &rep, &rows)) != -1) {
		return rc;
	}
	t = table_create(headers);
	json_array_foreach(rows, i, e)
	{
		if (timefmt_parse_iso(json_get_string(e, "at", ""), &ms) == 0) {
			timefmt_local(ms, when, sizeof when);
		} else {
			snprintf(when, sizeof when, "?");
		}
		if (json_is_integer(json_object_get(e, "uid"))) {
			snprintf(uid, sizeof uid, "%lld",
			    (long long)json_integer_value(
			        json_object_get(e, "uid")));
		} else {
			snprintf(uid, sizeof uid, "-");
		}
		audit_who(e, who, sizeof who);
		audit_args(e, what, sizeof what);
		if (json_is_true(json_object_get(e, "ok"))) {
			snprintf(result, sizeof result, "ok");
		} else {
			snprintf(result, sizeof result, "refused: %s",
			    json_get_string(e, "error", "?"));
		}
		cells[0] = when;
		cells[1] = uid;
		cells[2] = who;
		cells[3] = json_get_string(e, "request", "?");
		cells[4] = what;
		cells[5] = result;
		table_add(t, cells);
	}
	table_print(t, stdout);
	proto_reply_release(&rep);
	return EXIT_OK;
}

const struct cmd_entry cmd_audit_entry = {
	.name = "audit",
	.summary = "the requests that changed something: when, who, what, and "
	           "how it went",
	.usage = "[--json] [-n count] [--since when]",
	.help = "  -n, --limit COUNT    show at most COUNT requests (default "
	        "50)\n"
	        "  -S, --since WHEN     only those since WHEN: a duration "
	        "back (7d)\n"
	        "                       or a date and time "
	        "(2026-11-22T08:00)\n"
	        "\nReads are recorded too with audit: {reads: true} in the "
	        "tasks file.\n--json has each request's arguments in full, and "
	        "a reload's changes.\n",
	.getopt = "n:S:",
	.longopts = cmd_audit_longopts,
	.args_min = 0,
	.args_max = 0,
	.flags = CMD_NEEDS_DAEMON | CMD_PAGED,
	.exec = cmd_audit_exec,
};
