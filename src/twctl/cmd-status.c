/*
 * twctl status: what the daemon is, since when, and how busy.
 */
#include <stdio.h>

#include "cmd.h"
#include "duration.h"
#include "output.h"
#include "timefmt.h"

/* A tasks file that did not load again: impossible to miss. */
static void
status_config(const json_t *errors)
{
	const json_t *e;
	size_t i;

	if (json_array_size(errors) == 0) {
		return;
	}
	printf("config:     NOT RELOADED: %zu error%s; the schedule runs "
	       "on the file as it was before\n",
	    json_array_size(errors), json_array_size(errors) == 1 ? "" : "s");
	json_array_foreach(errors, i, e)
	{
		printf("            %s\n", json_string_value(e));
	}
}

/* A load of the tasks file in progress: the schedule is the old one. */
static void
status_reloading(const json_t *r)
{
	char since[TIMEFMT_ISO_LEN];

	if (!json_is_object(r)) {
		return;
	}
	timefmt_local(json_get_time(r, "since"), since, sizeof since);
	printf("config:     reloading since %s (%s); the schedule runs on "
	       "the file as it was until it has loaded\n",
	    since, json_get_string(r, "why", "?"));
}

/* Each notifier: how many got through, and why the newest did not. */
static void
status_notifiers(const json_t *notifiers)
{
	const json_t *n;
	size_t i;

	json_array_foreach(notifiers, i, n)
	{
		printf("%s %s (%s): %lld sent, %lld failed%s%s\n",
		    i == 0 ? "notifiers: " : "           ",
		    json_get_string(n, "name", "?"),
		    json_get_string(n, "type", "?"),
		    (long long)json_integer_value(json_object_get(n, "sent")),
		    (long long)json_integer_value(json_object_get(n, "failed")),
		    json_is_string(json_object_get(n, "last_error"))
		        ? "; failing: "
		        : "",
		    json_get_string(n, "last_error", ""));
	}
}

/* Each executor: its runs, and whether its connection is up. */
static void
status_executors(const json_t *executors)
{
	const json_t *e;
	char where[300];
	size_t i;

	json_array_foreach(executors, i, e)
	{
		printf("%s %s (%s %s): %lld running%s\n",
		    i == 0 ? "executors: " : "           ",
		    json_get_string(e, "name", "?"),
		    json_get_string(e, "type", "?"),
		    executor_where(e, where, sizeof where),
		    (long long)json_integer_value(
		        json_object_get(e, "running")),
		    json_is_true(json_object_get(e, "connection"))
		        ? "; connection up"
		        : "");
	}
}

/* Capacity in use, and whether runs are held by cgroups, and why not. */
static void
status_capacity(const json_t *d)
{
	const json_t *cap = json_object_get(d, "capacity");
	const json_t *cg = json_object_get(d, "cgroups");
	char buf[160];

	if (json_is_object(cap)) {
		printf("capacity:   %s in use by runs here\n",
		    output_capacity(cap, buf, sizeof buf));
	}
	if (json_is_true(json_object_get(cg, "on"))) {
		printf("cgroups:    on: each run in its own, under %s\n",
		    json_get_string(cg, "root", "?"));
	} else if (json_is_object(cg)) {
		printf(
		    "cgroups:    off: %s\n", json_get_string(cg, "off", "?"));
	}
}

/* A history that cannot be written: the one thing to fix first. */
static void
status_state(const json_t *e)
{
	char since[TIMEFMT_ISO_LEN];

	if (!json_is_object(e)) {
		return;
	}
	timefmt_local(json_get_time(e, "since"), since, sizeof since);
	printf("history:    NOT WRITTEN since %s: %s\n"
	       "            %lld writes wait in memory; no job starts until "
	       "twd can write again (it keeps trying)\n",
	    since, json_get_string(e, "error", "?"),
	    (long long)json_integer_value(json_object_get(e, "unwritten")));
}

static int
cmd_status_exec(struct cmd_ctx *ctx)
{
	struct proto_reply rep;
	const json_t *d;
	char up[32], since[32];
	json_int_t proto;
	int rc;

	if ((rc = cmd_call(ctx, "status", NULL, &rep)) != EXIT_OK) {
		return rc;
	}
	d = rep.data;
	proto = json_integer_value(json_object_get(d, "protocol"));
	if (ctx->json) {
		output_json(d);
	} else {
		duration_format_ms(
		    (int64_t)(json_number_value(json_object_get(d, "uptime")) *
		        1000),
		    up, sizeof up);
		timefmt_local(
		    json_get_time(d, "started_at"), since, sizeof since);
		printf("version:    %s (protocol %lld)\n",
		    json_get_string(d, "version", "?"), (long long)proto);
		printf("pid:        %lld\n",
		    (long long)json_integer_value(json_object_get(d, "pid")));
		printf("uptime:     %s (since %s)\n", up, since);
		printf("daemon:     %s\n",
		    json_is_true(json_object_get(d, "stopping")) ? "stopping"
		                                                 : "running");
		printf("tasks file: %s\n", json_get_string(d, "config", "?"));
		printf("tasks:      %lld\n",
		    (long long)json_integer_value(json_object_get(d, "tasks")));
		printf("running:    %lld\n",
		    (long long)json_integer_value(
		        json_object_get(d, "running")));
		printf("queued:     %lld\n",
		    (long long)json_integer_value(
		        json_object_get(d, "queued")));
		printf(
		    "state dir:  %s\n", json_get_string(d, "state_dir", "?"));
		printf("socket:     %s\n", json_get_string(d, "socket", "?"));
		status_notifiers(json_object_get(d, "notifiers"));
		status_executors(json_object_get(d, "executors"));
		status_capacity(d);
		status_reloading(json_object_get(d, "reloading"));
		status_config(json_object_get(d, "config_errors"));
		status_state(json_object_get(d, "state_error"));
	}
	proto_reply_release(&rep);
	if (proto != PROTO_VERSION) {
		/* Only reachable with a daemon that skips the request check. */
		output_error(ctx->json, PROTO_E_PROTO_MISMATCH,
		    "twd speaks protocol %lld, this twctl %d", (long long)proto,
		    PROTO_VERSION);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.summary =
	    "show the daemon's version, uptime, tasks, running and queued runs",
	.usage = "[--json]",
	.args_min = 0,
	.args_max = 0,
	.flags = CMD_NEEDS_DAEMON,
	.exec = cmd_status_exec,
};
