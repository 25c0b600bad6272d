/*
 * The verb table and what every verb shares: option parsing from the
 * entry's getopt string, the connection, and error reporting.
 *
 * To add a verb:
 *  1. cmd-VERB.c with its struct cmd_entry (name, summary, usage, help,
 *     arguments, options, flags) and exec, which prints text, or JSON
 *     with --json, and returns an EXIT_* status (usage errors: 2);
 *  2. its entry in cmd.h and in cmd_table[] below, in alphabetical order
 *     (a lint checks); the Makefile's TWCTL_SRCS;
 *  3. twctl(1), the README's command table, and the completions: they ask
 *     twctl for the verbs, but a verb that takes a task is listed in each
 *     of the three files (a lint checks against the usage);
 *  4. a test in tests/cli that drives it against a real twd.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "cmd.h"
#include "output.h"
#include "pager.h"
#include "duration.h"
#include "paths.h"
#include "timefmt.h"
#include "tz.h"
#include "xmalloc.h"

/* Keep alphabetized. */
const struct cmd_entry *const cmd_table[] = {
	&cmd_audit_entry,
	&cmd_check_entry,
	&cmd_clean_entry,
	&cmd_cron_entry,
	&cmd_dash_entry,
	&cmd_edit_entry,
	&cmd_events_entry,
	&cmd_executors_entry,
	&cmd_help_entry,
	&cmd_history_entry,
	&cmd_import_entry,
	&cmd_init_entry,
	&cmd_kill_entry,
	&cmd_list_entry,
	&cmd_list_commands_entry,
	&cmd_list_values_entry,
	&cmd_logs_entry,
	&cmd_metrics_entry,
	&cmd_next_entry,
	&cmd_notify_test_entry,
	&cmd_pause_entry,
	&cmd_plugins_entry,
	&cmd_queue_entry,
	&cmd_reload_entry,
	&cmd_report_entry,
	&cmd_restart_entry,
	&cmd_resume_entry,
	&cmd_run_entry,
	&cmd_show_entry,
	&cmd_shutdown_entry,
	&cmd_status_entry,
	&cmd_submit_entry,
	&cmd_wait_entry,
	&cmd_web_entry,
	&cmd_why_entry,
	NULL,
};

/* Every verb takes these besides its own. */
#define CMD_NO_PAGER 256 /* no short form: beyond any option letter */
static const struct option cmd_common_longopts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ "no-pager", no_argument, NULL, CMD_NO_PAGER },
};

#define NCOMMON (sizeof cmd_common_longopts / sizeof cmd_common_longopts[0])

const struct cmd_entry *
cmd_find(const char *name)
{
	size_t i;

	for (i = 0; cmd_table[i] != NULL; i++) {
		if (strcmp(cmd_table[i]->name, name) == 0) {
			return cmd_table[i];
		}
	}
	return NULL;
}

void
cmd_usage(const struct cmd_entry *e, FILE *fp)
{
	fprintf(fp, "usage: twctl %s%s%s\n", e->name,
	    *e->usage != '\0' ? " " : "", e->usage);
}

static int
cmd_parse(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *e = ctx->entry;
	struct option *longopts;
	size_t n = 0, i;
	char *shortopts;
	int ch, rc = 0;

	while (e->longopts != NULL && e->longopts[n].name != NULL) {
		n++;
	}
	longopts = xcalloc(n + NCOMMON + 1, sizeof *longopts);
	for (i = 0; i < n; i++) {
		longopts[i] = e->longopts[i];
	}
	for (i = 0; i < NCOMMON; i++) {
		longopts[n + i] = cmd_common_longopts[i];
	}
	/* Options may come after arguments too: "twctl cron EXPR --tz ZONE". */
	shortopts =
	    xasprintf("%s:jh%s", (e->flags & CMD_OPTIONS_FIRST) ? "+" : "",
	        e->getopt != NULL ? e->getopt : "");
	/* 0, not 1: GNU getopt then starts afresh, forgetting main's "+" mode. */
	optind = 0;
	while (
	    (ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (ch == 'j') {
			ctx->json = 1;
		} else if (ch == CMD_NO_PAGER) {
			pager_disable();
		} else if (ch == 'h') {
			cmd_usage(e, stdout);
			if (e->help != NULL) {
				printf("\n%s", e->help);
			}
			rc = -1;
			goto done;
		} else if (ch == '?' || ch == ':') {
			fprintf(stderr, "twctl %s: %s '%s'\n", e->name,
			    ch == '?' ? "unknown option"
			              : "missing value for option",
			    argv[optind - 1]);
			cmd_usage(e, stderr);
			rc = EXIT_USAGE;
			goto done;
		} else if (ch > 0 && ch < 128) {
			ctx->opt[ch] = optarg != NULL ? optarg : "";
		}
	}
	ctx->argc = argc - optind;
	ctx->argv = argv + optind;
	if (ctx->argc < e->args_min ||
	    (e->args_max >= 0 && ctx->argc > e->args_max)) {
		fprintf(stderr, "twctl %s: %s arguments\n", e->name,
		    ctx->argc < e->args_min ? "too few" : "too many");
		cmd_usage(e, stderr);
		rc = EXIT_USAGE;
	}
done:
	free(shortopts);
	free(longopts);
	return rc;
}

int
cmd_exec(const struct cmd_entry *e, int argc, char **argv,
    const char *socket_flag, int json)
{
	struct cmd_ctx ctx;
	char *path;
	int rc;

	memset(&ctx, 0, sizeof ctx);
	ctx.entry = e;
	ctx.json = json;
	if ((rc = cmd_parse(&ctx, argc, argv)) != 0) {
		return rc == -1 ? EXIT_OK : rc;
	}
	path = paths_socket(socket_flag);
	ctx.socket_path = path;
	ctx.socket_flag = socket_flag;
	if (e->flags & CMD_PAGED) {
		pager_start();
	}
	rc = e->exec(&ctx);
	conn_close(ctx.conn);
	free(path);
	return rc;
}

int
cmd_count_option(struct cmd_ctx *ctx, int dflt, int max)
{
	const char *v = ctx->opt['n'];
	char *end;
	long n;

	if (v == NULL) {
		return dflt;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > max) {
		output_error(ctx->json, "usage",
		    "-n: '%s' is not a number from 1 to %d", v, max);
		return -1;
	}
	return (int)n;
}

int
cmd_run_id(struct cmd_ctx *ctx, const char *flag, const char *v, int64_t *id)
{
	const char *p = v + (*v == '-' || *v == '+');
	char *end;
	long long n;

	/* Task names never start with a sign, nor are they all digits. */
	if (*p == '\0' || strspn(p, "0123456789") != strlen(p)) {
		return 0;
	}
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || n < 1) {
		output_error(ctx->json, "usage",
		    "%s%s'%s' is not a run id: run ids are whole numbers from "
		    "1",
		    flag != NULL ? flag : "", flag != NULL ? ": " : "", v);
		return -1;
	}
	*id = n;
	return 1;
}

/*
 * Connect on the first call, so that a usage error is reported as one even
 * when the daemon is not running. Returns 0, or an exit code after saying
 * why not.
 */
static int
cmd_connect(struct cmd_ctx *ctx)
{
	enum conn_failure why;
	char *cause;

	if (ctx->conn != NULL) {
		return 0;
	}
	if ((ctx->conn = conn_open(ctx->socket_path, &why, &cause)) != NULL) {
		return 0;
	}
	if (why == CONN_NOT_RUNNING) {
		/* twd reads TW_SOCKET too; only a flag must be repeated. */
		output_error(ctx->json, "daemon_unreachable",
		    "%s; start it with: twd%s%s", cause,
		    ctx->socket_flag != NULL ? " --socket " : "",
		    ctx->socket_flag != NULL ? ctx->socket_flag : "");
	} else {
		output_error(ctx->json, "daemon_unreachable", "%s", cause);
	}
	free(cause);
	return EXIT_UNREACHABLE;
}

int
cmd_call(
    struct cmd_ctx *ctx, const char *cmd, json_t *args, struct proto_reply *rep)
{
	char *cause;
	int rc;

	if ((rc = cmd_connect(ctx)) != 0) {
		json_decref(args);
		return rc;
	}
	if (conn_call(ctx->conn, cmd, args, rep, CMD_TIMEOUT_MS, &cause) ==
	    -1) {
		output_error(ctx->json, "daemon_unreachable", "%s", cause);
		free(cause);
		return EXIT_UNREACHABLE;
	}
	if (!rep->ok) {
		if (strcmp(rep->code, PROTO_E_PROTO_MISMATCH) == 0) {
			output_error(ctx->json, rep->code,
			    "%s; use the twctl "
			    "that came with "
			    "this twd",
			    rep->message);
		} else {
			output_error(ctx->json, rep->code, "%s", rep->message);
		}
		/* An argument the daemon refuses is a usage error too. */
		rc = strcmp(rep->code, PROTO_E_BAD_REQUEST) == 0 ? EXIT_USAGE
		                                                 : EXIT_FAIL;
		proto_reply_release(rep);
		return rc;
	}
	return EXIT_OK;
}

int
cmd_call_list(struct cmd_ctx *ctx, const char *cmd, json_t *args,
    const char *key, const char *empty, struct proto_reply *rep, json_t **list)
{
	int rc;

	if ((rc = cmd_call(ctx, cmd, args, rep)) != EXIT_OK) {
		return rc;
	}
	*list = json_object_get(rep->data, key);
	if (ctx->json) {
		output_json(*list);
	} else if (json_array_size(*list) == 0) {
		printf("%s\n", empty);
	} else {
		return -1;
	}
	proto_reply_release(rep);
	return EXIT_OK;
}

static int
id_cmp(const void *a, const void *b)
{
	const long long *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

int
cmd_wait_runs(
    struct cmd_ctx *ctx, const json_t *ids, json_t **last, json_t *ended)
{
	size_t n = json_array_size(ids), left = n, i;
	long long *v = xreallocarray(NULL, n, sizeof *v), id, *hit;
	char *cause, *seen = xcalloc(n, 1);
	json_t *ev, *run;
	int rc = EXIT_OK;

	for (i = 0; i < n; i++) {
		v[i] = (long long)json_integer_value(json_array_get(ids, i));
	}
	qsort(v, n, sizeof *v, id_cmp);
	while (left > 0) {
		if ((ev = conn_read_event(ctx->conn, &cause)) == NULL) {
			output_error(
			    ctx->json, "daemon_unreachable", "%s", cause);
			free(cause);
			free(v);
			free(seen);
			return EXIT_UNREACHABLE;
		}
		run = json_object_get(ev, "data");
		id = (long long)json_integer_value(json_object_get(run, "id"));
		if ((hit = bsearch(&id, v, n, sizeof *v, id_cmp)) != NULL &&
		    !seen[hit - v]) {
			seen[hit - v] = 1;
			left--;
			if (n == 1) {
				rc = cmd_run_exit_status(run);
			} else if (strcmp(json_get_string(run, "status", ""),
			               "ok") != 0) {
				rc = EXIT_FAIL;
			}
			json_decref(*last);
			*last = json_incref(run);
			if (ended != NULL) {
				json_array_append(ended, run);
			}
		}
		json_decref(ev);
	}
	free(v);
	free(seen);
	return rc;
}

int
cmd_run_started(struct cmd_ctx *ctx, const json_t *run, int wait)
{
	const char *status = json_get_string(run, "status", "");
	const char *task = json_get_string(run, "task", "?");
	long long id =
	    (long long)json_integer_value(json_object_get(run, "id"));
	json_t *ids, *last = NULL;
	int rc = EXIT_OK;

	if (ctx->json && !wait) {
		output_json(run);
	} else if (ctx->json) {
		/* The run as it ends, below. */
	} else if (strcmp(status, "queued") == 0) {
		printf("queued run %lld of '%s': %s\n", id, task,
		    json_get_string(run, "waiting", "waiting for a slot"));
	} else if (strcmp(status, "running") == 0) {
		printf("started run %lld of '%s'\n", id, task);
	}
	/* Skipped at once (its overlap policy, a pause): over already. */
	if (wait && strcmp(status, "running") != 0 &&
	    strcmp(status, "queued") != 0) {
		cmd_print_ended(ctx, run);
		rc = cmd_run_exit_status(run);
	} else if (wait) {
		fflush(stdout);
		ids = json_pack("[I]", (json_int_t)id);
		rc = cmd_wait_runs(ctx, ids, &last, NULL);
		if (last != NULL) {
			cmd_print_ended(ctx, last);
		}
		json_decref(ids);
		json_decref(last);
	} else if (!ctx->json && strcmp(status, "queued") != 0 &&
	    strcmp(status, "running") != 0) {
		printf("run %lld of '%s': %s\n", id, task, status);
	}
	return rc;
}

void
cmd_print_ended(struct cmd_ctx *ctx, const json_t *run)
{
	char buf[64];

	if (ctx->json) {
		output_json(run);
		return;
	}
	printf("run %lld '%s' ended: %s%s%s\n",
	    (long long)json_integer_value(json_object_get(run, "id")),
	    json_get_string(run, "task", "?"),
	    output_run_result(run, buf, sizeof buf),
	    json_is_string(json_object_get(run, "reason")) ? ": " : "",
	    json_get_string(run, "reason", ""));
}

int
cmd_run_exit_status(const json_t *run)
{
	json_t *code = json_object_get(run, "exit_code");
	json_t *sig = json_object_get(run, "signal");

	if (json_is_integer(code)) {
		return (int)json_integer_value(code);
	}
	if (json_is_integer(sig)) {
		return 128 + (int)json_integer_value(sig);
	}
	return EXIT_FAIL;
}

int
cmd_when_option(
    struct cmd_ctx *ctx, const char *flag, const char *v, char *iso, size_t len)
{
	const char *given = v;
	struct tz *local;
	char *cause = NULL, *ignored = NULL, day[32];
	int64_t secs, ms;
	time_t now;
	struct tm tm;

	if (strcmp(v, "today") == 0 || strcmp(v, "yesterday") == 0) {
		/* Local midnight, by mktime: a DST day is as long as it is. */
		now = time(NULL);
		localtime_r(&now, &tm);
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		tm.tm_mday -= v[0] == 'y';
		tm.tm_isdst = -1;
		ms = (int64_t)mktime(&tm) * 1000;
	} else if (duration_parse(v, &secs, &ignored) == 0) {
		ms = timefmt_now_ms() - secs * 1000;
	} else {
		/* A day alone (2026-11-22) is its first moment. */
		if (strlen(v) == 10 && v[4] == '-' && v[7] == '-') {
			snprintf(day, sizeof day, "%sT00:00", v);
			v = day;
		}
		free(ignored);
		local = tz_load(NULL, &cause);
		if (local == NULL ||
		    tz_parse_iso(local, v, &ms, &cause) == -1) {
			tz_free(local);
			output_error(ctx->json, "usage",
			    "%s: '%s' is neither a duration back (2h), today, "
			    "yesterday, a day (2026-11-22) nor a date and time "
			    "(2026-11-22T08:00)",
			    flag, given);
			free(cause);
			return -1;
		}
		tz_free(local);
	}
	timefmt_iso(ms, iso, len);
	return 0;
}

json_t *
cmd_window_args(struct cmd_ctx *ctx, int dflt, int max)
{
	json_t *args = json_object();
	char iso[TIMEFMT_ISO_LEN];
	int limit;

	if (max > 0) {
		if ((limit = cmd_count_option(ctx, dflt, max)) == -1) {
			json_decref(args);
			return NULL;
		}
		json_object_set_new(args, "limit", json_integer(limit));
	}
	if (ctx->opt['S'] != NULL) {
		if (cmd_when_option(
		        ctx, "--since", ctx->opt['S'], iso, sizeof iso) == -1) {
			json_decref(args);
			return NULL;
		}
		json_object_set_new(args, "since", json_string(iso));
	}
	return args;
}

const char *
cmd_sibling(const char *name, char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len);
	char *slash;

	if (n > 0 && (size_t)n < len) {
		buf[n] = '\0';
		if ((slash = strrchr(buf, '/')) != NULL &&
		    (size_t)(slash + 1 - buf) + strlen(name) < len) {
			strcpy(slash + 1, name);
			if (access(buf, X_OK) == 0) {
				return buf;
			}
		}
	}
	return name;
}
