/*
 * twctl events: the daemon's event stream, as one line per event or as
 * JSON lines for scripts (twctl events --json | jq ...), until interrupted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "cmd.h"
#include "output.h"
#include "timefmt.h"

/* All but run.output, which is a line of output per event. */
static const char *const events_default[] = { "run.queued", "run.started",
	"run.finished", "run.skipped", "task.changed", "config.*", "daemon.*",
	"notify.*" };

/* The words after the time and the event's name. */
static void
events_print(const json_t *ev)
{
	const char *name = json_get_string(ev, "event", "?");
	const json_t *d = json_object_get(ev, "data");
	char when[32], what[64];
	int64_t ts = json_get_time(ev, "ts");
	long long id = (long long)json_integer_value(json_object_get(d, "id"));

	timefmt_local(ts, when, sizeof when);
	printf("%s %-16s ", when + 11, name); /* the time of day */
	if (strcmp(name, "run.output") == 0) {
		printf("%s run %lld [%s] %s\n", json_get_string(d, "task", "?"),
		    (long long)json_integer_value(json_object_get(d, "run")),
		    json_get_string(d, "stream", "?"),
		    json_get_string(d, "text", ""));
	} else if (strcmp(name, "run.started") == 0) {
		printf("%s run %lld, pid %lld\n",
		    json_get_string(d, "task", "?"), id,
		    (long long)json_integer_value(json_object_get(d, "pid")));
	} else if (strcmp(name, "run.finished") == 0) {
		printf("%s run %lld: %s\n", json_get_string(d, "task", "?"), id,
		    output_run_result(d, what, sizeof what));
	} else if (strcmp(name, "run.queued") == 0 ||
	    strcmp(name, "run.skipped") == 0) {
		printf("%s run %lld (%s)%s%s\n",
		    json_get_string(d, "task", "?"), id,
		    json_get_string(d, "trigger", "?"),
		    json_is_string(json_object_get(d, "reason")) ? ": " : "",
		    json_get_string(d, "reason", ""));
	} else if (strcmp(name, "task.changed") == 0) {
		printf("%s %s%s%s\n", json_get_string(d, "name", "?"),
		    json_get_string(d, "state", "?"),
		    json_is_string(json_object_get(d, "next_run")) ? ", next "
		                                                   : "",
		    json_get_string(d, "next_run", ""));
	} else if (strcmp(name, "config.reloaded") == 0) {
		printf("%zu added, %zu removed, %zu changed\n",
		    json_array_size(json_object_get(d, "added")),
		    json_array_size(json_object_get(d, "removed")),
		    json_array_size(json_object_get(d, "changed")));
	} else if (strcmp(name, "config.error") == 0) {
		printf("%zu error(s): %s\n",
		    json_array_size(json_object_get(d, "errors")),
		    json_string_value(
		        json_array_get(json_object_get(d, "errors"), 0)));
	} else if (strcmp(name, "daemon.stopping") == 0) {
		printf("%s\n", json_get_string(d, "why", "?"));
	} else if (strcmp(name, "notify.result") == 0) {
		printf("%s: %s%s\n", json_get_string(d, "notifier", "?"),
		    json_is_true(json_object_get(d, "ok")) ? "sent"
		                                           : "failed: ",
		    json_get_string(d, "error", ""));
	} else {
		printf("\n");
	}
}

static int
cmd_events_exec(struct cmd_ctx *ctx)
{
	struct proto_reply rep;
	json_t *patterns = json_array(), *ev;
	char *cause, *line;
	size_t i;
	int rc;

	for (i = 0; i < (size_t)ctx->argc; i++) {
		json_array_append_new(patterns, json_string(ctx->argv[i]));
	}
	for (i = 0; ctx->argc == 0 &&
	     i < sizeof events_default / sizeof events_default[0];
	     i++) {
		json_array_append_new(patterns, json_string(events_default[i]));
	}
	if ((rc = cmd_call(ctx, "subscribe",
	         json_pack("{s:o}", "events", patterns), &rep)) != EXIT_OK) {
		return rc;
	}
	proto_reply_release(&rep);
	for (;;) {
		if ((ev = conn_read_event(ctx->conn, &cause)) == NULL) {
			output_error(
			    ctx->json, "daemon_unreachable", "%s", cause);
			free(cause);
			return EXIT_UNREACHABLE;
		}
		if (ctx->json) {
			line = json_dumps(ev, JSON_COMPACT | PROTO_REALS);
			printf("%s\n", line);
			free(line);
		} else {
			events_print(ev);
		}
		fflush(stdout);
		json_decref(ev);
	}
}

const struct cmd_entry cmd_events_entry = {
	.name = "events",
	.summary = "print the daemon's events as they happen",
	.usage = "[--json] [pattern ...]",
	.help = "Patterns are event names or globs (run.*, config.*); by "
	        "default every\nevent but run.output. --json prints each event "
	        "as it comes, one JSON\nobject a line. It runs until "
	        "interrupted, or exits 3 when twd goes away.\n",
	.args_min = 0,
	.args_max = -1,
	.flags = CMD_NEEDS_DAEMON,
	.exec = cmd_events_exec,
};
