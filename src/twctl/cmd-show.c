/*
 * twctl show: one task as loaded, defaults applied, with its state and
 * its last runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "duration.h"
#include "output.h"
#include "proto.h"
#include "suggest.h"
#include "timefmt.h"

static void
show_field(const char *name, const char *value)
{
	printf("%-17s %s\n", name, value);
}

/* A JSON value in one line, for fields that are lists or maps. */
static void
show_json_field(const char *name, const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | PROTO_REALS);

	show_field(name, s != NULL ? s : "?");
	free(s);
}

/*
 * A mapping of limits or resources as field's line, "memory 2G, cpu 10m,
 * nofile 256": sizes and times in their units, nulls left out. Returns
 * how many were shown.
 */
static size_t
show_units(const char *field, const json_t *limits)
{
	static const char *const sizes[] = { "core", "fsize", "memory",
		"stack" };
	char line[256], v[32];
	const char *name;
	json_t *value;
	size_t i, n = 0;
	int64_t x;

	line[0] = '\0';
	json_object_foreach((json_t *)limits, name, value)
	{
		if (json_is_null(value)) {
			continue;
		}
		x = (int64_t)json_integer_value(value);
		snprintf(v, sizeof v, "%lld", (long long)x);
		if (json_is_real(value)) { /* cpus: 0.25 */
			snprintf(v, sizeof v, "%g", json_real_value(value));
		}
		for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
			if (strcmp(name, sizes[i]) == 0) {
				size_format(x, v, sizeof v);
			}
		}
		if (strcmp(name, "cpu") == 0 || strcmp(name, "time") == 0) {
			duration_format(x, v, sizeof v);
		}
		if (n < sizeof line) {
			n += (size_t)snprintf(line + n, sizeof line - n,
			    "%s%s %s", n > 0 ? ", " : "", name, v);
		}
	}
	if (n > 0) {
		show_field(field, line);
	}
	return n;
}

/* "3, first after 10s, each wait x2 up to 1h; on exit 75, timeout". */
static void
show_retries(const json_t *def)
{
	const json_t *on = json_object_get(def, "retry_on"), *v;
	char line[512], a[32], b[32];
	size_t i, n;

	n = (size_t)snprintf(line, sizeof line,
	    "%lld, first after %s, each wait x%g up to %s",
	    (long long)json_integer_value(json_object_get(def, "retries")),
	    duration_format(
	        (int64_t)json_number_value(json_object_get(def, "retry_delay")),
	        a, sizeof a),
	    json_number_value(json_object_get(def, "retry_backoff")),
	    duration_format((int64_t)json_number_value(
	                        json_object_get(def, "retry_max_delay")),
	        b, sizeof b));
	json_array_foreach(on, i, v)
	{
		if (n >= sizeof line) {
			break;
		}
		if (json_is_integer(v)) {
			n += (size_t)snprintf(line + n, sizeof line - n,
			    "%s exit %lld", i == 0 ? "; on" : ",",
			    (long long)json_integer_value(v));
		} else {
			n +=
			    (size_t)snprintf(line + n, sizeof line - n, "%s %s",
			        i == 0 ? "; on" : ",", json_string_value(v));
		}
	}
	if (json_array_size(on) == 0 && n < sizeof line) {
		snprintf(line + n, sizeof line - n, "; on any failure");
	}
	show_field("retries", line);
}

/* "keep 100 runs, 30 days, 50M of logs", or "all". */
static void
show_history(const json_t *h)
{
	const json_t *runs = json_object_get(h, "keep_runs"),
	             *days = json_object_get(h, "keep_days"),
	             *bytes = json_object_get(h, "max_bytes");
	char line[128], size[32];
	size_t n = 0;

	line[0] = '\0';
	if (json_is_integer(runs)) {
		n += (size_t)snprintf(line + n, sizeof line - n, "%s%lld runs",
		    n > 0 ? ", " : "", (long long)json_integer_value(runs));
	}
	if (json_is_integer(days)) {
		n += (size_t)snprintf(line + n, sizeof line - n, "%s%lld days",
		    n > 0 ? ", " : "", (long long)json_integer_value(days));
	}
	if (json_is_integer(bytes)) {
		snprintf(line + n, sizeof line - n, "%s%s of logs",
		    n > 0 ? ", " : "",
		    size_format(json_integer_value(bytes), size, sizeof size));
	}
	show_field("history", line[0] != '\0' ? line : "all kept");
}

/* "failure, recovery via desktop; again after 1d of failures". */
static void
show_notify(const json_t *def)
{
	const json_t *n = json_object_get(def, "notify"), *v;
	char line[512], every[32];
	size_t i, len = 0;

	line[0] = '\0';
	json_array_foreach(json_object_get(n, "on"), i, v)
	{
		len += (size_t)snprintf(line + len, sizeof line - len, "%s%s",
		    i > 0 ? ", " : "", json_string_value(v));
		if (len >= sizeof line) {
			break;
		}
	}
	if (json_array_size(json_object_get(n, "via")) == 0) {
		show_field("notify", "nobody");
		return;
	}
	json_array_foreach(json_object_get(n, "via"), i, v)
	{
		if (len >= sizeof line) {
			break;
		}
		len += (size_t)snprintf(line + len, sizeof line - len, "%s%s",
		    i > 0 ? ", " : " via ", json_string_value(v));
	}
	if (len < sizeof line) {
		snprintf(line + len, sizeof line - len, "; again after %s",
		    duration_format((int64_t)json_number_value(
		                        json_object_get(def, "notify_every")),
		        every, sizeof every));
	}
	show_field("notify", line);
}

/* Whether each field named after the task is one of the table's. */
static int
show_fields_check(struct cmd_ctx *ctx)
{
	const char *names[128], *hint;
	size_t n, i;
	int a;

	for (n = 0; n < 128 && (names[n] = config_field_at(n)) != NULL; n++) {
	}
	for (a = 1; a < ctx->argc; a++) {
		for (i = 0; i < n && strcmp(names[i], ctx->argv[a]) != 0; i++) {
		}
		if (i < n) {
			continue;
		}
		hint = suggest(ctx->argv[a], names, n);
		output_error(ctx->json, "usage",
		    "show: '%s' is no field of a task%s%s%s; twctl "
		    "list-values fields lists them",
		    ctx->argv[a], hint != NULL ? " (did you mean '" : "",
		    hint != NULL ? hint : "", hint != NULL ? "'?)" : "");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* pressure: "cpu 50%, memory 10%". */
static void
show_pressure(const json_t *p)
{
	char line[128];
	const char *kind;
	json_t *pct;
	size_t n = 0;

	if (!json_is_object(p)) {
		return;
	}
	line[0] = '\0';
	json_object_foreach((json_t *)p, kind, pct)
	{
		if (n < sizeof line) {
			n += (size_t)snprintf(line + n, sizeof line - n,
			    "%s%s %lld%%", n > 0 ? ", " : "", kind,
			    (long long)json_integer_value(pct));
		}
	}
	show_field("pressure", line);
}

/* How a task's change trigger is watched: what it saw, what is wrong. */
static void
show_watch(const json_t *w)
{
	const json_t *git = json_object_get(w, "git"), *path, *v;
	const char *name, *err = json_get_string(w, "error", NULL);
	char buf[256];
	size_t n = 0, i;
	json_t *id;

	if (git != NULL) {
		json_object_foreach(
		    (json_t *)json_object_get(git, "branches"), name, id)
		{
			n += (size_t)snprintf(buf + n,
			    n < sizeof buf ? sizeof buf - n : 0, "%s%s at %.7s",
			    n > 0 ? ", " : "", name, json_string_value(id));
		}
		show_field("branches", n > 0 ? buf : "none seen yet");
	}
	if ((path = json_object_get(w, "path")) != NULL) {
		n = (size_t)json_integer_value(
		    json_object_get(path, "watching"));
		snprintf(
		    buf, sizeof buf, "%zu director%s", n, n == 1 ? "y" : "ies");
		show_field("watching", buf);
		json_array_foreach(json_object_get(path, "waiting"), i, v)
		{
			snprintf(buf, sizeof buf, "%s (not there yet)",
			    json_string_value(v));
			show_field("waiting for", buf);
		}
	}
	if (err != NULL) {
		show_field("trigger error", err);
	}
}

/*
 * The fields named after the task, one value a line as a script reads
 * them (a string as it is, null as nothing, the rest as compact JSON), or
 * with --json an object of them. at, every and start_at are shown as the
 * schedule they make.
 */
static void
show_fields(struct cmd_ctx *ctx, const json_t *def)
{
	json_t *out = json_object(), *v;
	char *text;
	int a;

	for (a = 1; a < ctx->argc; a++) {
		if ((v = json_object_get(def, ctx->argv[a])) == NULL) {
			v = json_object_get(def, "schedule");
		}
		if (v == NULL) {
			v = json_null();
		}
		if (ctx->json) {
			json_object_set(out, ctx->argv[a], v);
		} else if (json_is_string(v)) {
			printf("%s\n", json_string_value(v));
		} else if (json_is_null(v)) {
			printf("\n");
		} else if (json_is_number(v)) {
			/* 3600, 0.5: as a script reads a number back. */
			printf("%.15g\n", json_number_value(v));
		} else {
			text = json_dumps(v,
			    JSON_COMPACT | JSON_ENCODE_ANY |
			        JSON_PRESERVE_ORDER | PROTO_REALS);
			printf("%s\n", text);
			free(text);
		}
	}
	if (ctx->json) {
		output_json(out);
	}
	json_decref(out);
}

static int
cmd_show_exec(struct cmd_ctx *ctx)
{
	struct proto_reply rep;
	json_t *args = json_object(), *d, *def, *v;
	char buf[64], started[32], dur[32];
	int64_t ms;
	int rc;

	if (ctx->argc > 1 && (rc = show_fields_check(ctx)) != EXIT_OK) {
		json_decref(args);
		return rc;
	}
	json_object_set_new(args, "task", json_string(ctx->argv[0]));
	if ((rc = cmd_call(ctx, "show", args, &rep)) != EXIT_OK) {
		return rc;
	}
	d = rep.data;
	if (ctx->argc > 1) {
		show_fields(ctx, json_object_get(d, "definition"));
		proto_reply_release(&rep);
		return EXIT_OK;
	}
	if (ctx->json) {
		output_json(d);
		proto_reply_release(&rep);
		return EXIT_OK;
	}
	def = json_object_get(d, "definition");
	show_field("task", json_get_string(d, "name", "?"));
	if (json_is_string(json_object_get(def, "description"))) {
		show_field(
		    "description", json_get_string(def, "description", ""));
	}
	show_field("state", json_get_string(d, "state", "?"));
	show_field("schedule", json_get_string(d, "schedule", "none (manual)"));
	if ((v = json_object_get(d, "on")) != NULL && json_is_string(v)) {
		show_field("on", json_string_value(v));
		show_watch(json_object_get(d, "watch"));
	}
	if ((v = json_object_get(d, "timezone")) != NULL && json_is_string(v)) {
		show_field("timezone", json_string_value(v));
	}
	if ((ms = json_get_time(d, "next_run")) != 0) {
		timefmt_local(ms, started, sizeof started);
		snprintf(buf, sizeof buf, "%s (%s)", started,
		    timefmt_relative(ms, timefmt_now_ms(), dur, sizeof dur));
		show_field("next run", buf);
	}
	if ((v = json_object_get(d, "after")) != NULL) {
		show_json_field("after", v);
		v = json_object_get(d, "waiting_for");
		show_json_field("waiting for", v);
	}
	show_field("priority", json_get_string(def, "priority", "?"));
	if ((v = json_object_get(def, "queue")) != NULL && json_is_string(v)) {
		show_field("queue", json_string_value(v));
	}
	show_field("executor", json_get_string(def, "executor", "local"));
	show_units("resources", json_object_get(def, "resources"));
	show_pressure(json_object_get(def, "pressure"));
	show_field("overlap", json_get_string(def, "overlap", "?"));
	if ((v = json_object_get(d, "jitter")) != NULL &&
	    json_number_value(v) > 0) {
		show_field("jitter",
		    duration_format(
		        (int64_t)json_number_value(v), buf, sizeof buf));
	}
	if (json_integer_value(json_object_get(def, "retries")) > 0) {
		show_retries(def);
	}
	if (strcmp(json_get_string(def, "catch_up", "none"), "none") != 0) {
		snprintf(buf, sizeof buf, "%s",
		    json_get_string(def, "catch_up", "?"));
		if (strcmp(buf, "all") == 0) {
			snprintf(buf, sizeof buf, "all, at most %lld",
			    (long long)json_integer_value(
			        json_object_get(def, "catch_up_max")));
		}
		show_field("catch_up", buf);
	}
	if ((v = json_object_get(def, "starting_deadline")) != NULL &&
	    json_is_number(v)) {
		show_field("starting_deadline",
		    duration_format(
		        (int64_t)json_number_value(v), buf, sizeof buf));
	}
	if ((v = json_object_get(def, "type")) != NULL && json_is_string(v)) {
		show_field("type", json_string_value(v));
		show_json_field("with", json_object_get(def, "with"));
	} else if ((v = json_object_get(def, "run")) != NULL) {
		show_json_field("run", v);
	} else {
		show_field("command", json_get_string(def, "command", "?"));
		show_json_field("shell", json_object_get(def, "shell"));
	}
	show_field("cwd", json_get_string(def, "cwd", "?"));
	if (json_object_size(json_object_get(def, "env")) > 0) {
		show_json_field("env", json_object_get(def, "env"));
	}
	if (json_is_true(json_object_get(def, "env_clear"))) {
		show_field("env_clear", "true");
	}
	if (json_object_size(json_object_get(def, "limits")) > 0) {
		show_units("limits", json_object_get(def, "limits"));
	}
	if ((v = json_object_get(def, "timeout")) != NULL &&
	    json_is_number(v)) {
		show_field("timeout",
		    duration_format(
		        (int64_t)json_number_value(v), buf, sizeof buf));
	}
	show_field("kill_grace",
	    duration_format(
	        (int64_t)json_number_value(json_object_get(def, "kill_grace")),
	        buf, sizeof buf));
	if ((v = json_object_get(def, "umask")) != NULL && json_is_string(v)) {
		show_field("umask", json_string_value(v));
	}
	if (json_integer_value(json_object_get(def, "nice")) != 0) {
		snprintf(buf, sizeof buf, "%lld",
		    (long long)json_integer_value(
		        json_object_get(def, "nice")));
		show_field("nice", buf);
	}
	ms = (int64_t)json_integer_value(json_object_get(def, "max_output"));
	show_field("max_output",
	    ms > 0 ? size_format(ms, buf, sizeof buf) : "unlimited");
	show_history(json_object_get(def, "history"));
	show_notify(def);
	if (json_array_size(json_object_get(d, "runs")) == 0) {
		printf("\nno runs yet\n");
		proto_reply_release(&rep);
		return EXIT_OK;
	}
	printf("\n");
	output_runs(json_object_get(d, "runs"), 0);
	proto_reply_release(&rep);
	return EXIT_OK;
}

const struct cmd_entry cmd_show_entry = {
	.name = "show",
	.summary = "show a task as loaded, its state and its last runs",
	.usage = "[--json] task [field ...]",
	.help = "With fields (twctl list-values fields), only their values, "
	        "one a line,\nas the task has them with the defaults "
	        "applied.\n",
	.args_min = 1,
	.args_max = -1,
	.flags = CMD_NEEDS_DAEMON | CMD_PAGED,
	.exec = cmd_show_exec,
};
