/*
 * twctl submit: one-off jobs through the same queue, limits, history and
 * logs as scheduled runs (the task-spooler use). --batch reads one shell
 * line per job from stdin and sends them in parts of at most
 * SUBMIT_PART_JOBS, each one request and one transaction in twd.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "cmd.h"
#include "duration.h"
#include "output.h"
#include "timefmt.h"
#include "tz.h"
#include "xmalloc.h"

/* As twd's limit per request; and well under PROTO_MAX_REQUEST in bytes. */
#define SUBMIT_PART_JOBS  1000
#define SUBMIT_PART_BYTES (256 * 1024)

static const struct option cmd_submit_longopts[] = {
	{ "after", required_argument, NULL, 'a' },
	{ "after-previous", no_argument, NULL, 'd' },
	{ "at", required_argument, NULL, 'A' },
	{ "batch", no_argument, NULL, 'b' },
	{ "clean-env", no_argument, NULL, 'E' },
	{ "cpus", required_argument, NULL, 'C' },
	{ "delay", required_argument, NULL, 'D' },
	{ "label", required_argument, NULL, 'l' },
	{ "memory", required_argument, NULL, 'M' },
	{ "name", required_argument, NULL, 'n' },
	{ "priority", required_argument, NULL, 'p' },
	{ "queue", required_argument, NULL, 'q' },
	{ "timeout", required_argument, NULL, 't' },
	{ "wait", no_argument, NULL, 'w' },
	{ NULL, 0, NULL, 0 },
};

/*
 * When --at says, as ISO 8601 into iso: a time of day (the next one to
 * come: 18:00 is tomorrow's once today's has passed), or a date and time
 * in the local zone. Returns 0, or -1 after a usage error.
 */
static int
submit_at(struct cmd_ctx *ctx, const char *v, char *iso, size_t len)
{
	char buf[64], *cause = NULL;
	struct tz *local;
	int64_t ms, now = timefmt_now_ms();
	time_t t = (time_t)(now / 1000);
	struct tm tm;
	int rc;

	localtime_r(&t, &tm);
	if (strlen(v) <= 8 && strchr(v, ':') != NULL &&
	    strchr(v, '-') == NULL) {
		snprintf(buf, sizeof buf, "%04d-%02d-%02dT%s",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, v);
	} else {
		snprintf(buf, sizeof buf, "%s", v);
		if (strlen(buf) > 10 && buf[10] == ' ') {
			buf[10] = 'T';
		}
	}
	local = tz_load(NULL, &cause);
	rc = local != NULL ? tz_parse_iso(local, buf, &ms, &cause) : -1;
	if (rc == 0 && strcmp(buf + 11, v) == 0 && ms <= now) {
		/* A time of day that has passed today: tomorrow's. */
		tm.tm_mday++;
		tm.tm_isdst = -1;
		t = mktime(&tm);
		localtime_r(&t, &tm);
		snprintf(buf, sizeof buf, "%04d-%02d-%02dT%s",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, v);
		rc = tz_parse_iso(local, buf, &ms, &cause);
	}
	tz_free(local);
	if (rc == -1) {
		output_error(ctx->json, "usage",
		    "--at: '%s' is neither a time of day (18:00) nor a date "
		    "and "
		    "time (2026-12-24 18:00)",
		    v);
		free(cause);
		return -1;
	}
	timefmt_iso(ms, iso, len);
	return 0;
}

/* The fields every job of this submit shares; NULL after a usage error. */
static json_t *
submit_common(struct cmd_ctx *ctx)
{
	json_t *job = json_object(), *res;
	const char *v;
	char *cwd, *cause, iso[TIMEFMT_ISO_LEN];
	int64_t secs, id;

	if ((v = ctx->opt['n']) != NULL) {
		json_object_set_new(job, "name", json_string(v));
	}
	if ((v = ctx->opt['l']) != NULL) {
		json_object_set_new(job, "label", json_string(v));
	}
	if ((v = ctx->opt['p']) != NULL) {
		json_object_set_new(job, "priority", json_string(v));
	}
	if ((v = ctx->opt['q']) != NULL) {
		json_object_set_new(job, "queue", json_string(v));
	}
	/* As the tasks file says them; twd checks them against capacity. */
	if (ctx->opt['C'] != NULL || ctx->opt['M'] != NULL) {
		res = json_object();
		if ((v = ctx->opt['C']) != NULL) {
			json_object_set_new(res, "cpus", json_string(v));
		}
		if ((v = ctx->opt['M']) != NULL) {
			json_object_set_new(res, "memory", json_string(v));
		}
		json_object_set_new(job, "resources", res);
	}
	if ((v = ctx->opt['t']) != NULL) {
		if (duration_parse(v, &secs, &cause) == -1) {
			output_error(
			    ctx->json, "usage", "--timeout: %s", cause);
			free(cause);
			json_decref(job);
			return NULL;
		}
		json_object_set_new(job, "timeout", json_integer(secs));
	}
	if (ctx->opt['D'] != NULL && ctx->opt['A'] != NULL) {
		output_error(ctx->json, "usage",
		    "--delay and --at both say when; give one");
		json_decref(job);
		return NULL;
	}
	if ((v = ctx->opt['D']) != NULL) {
		if (duration_parse(v, &secs, &cause) == -1) {
			output_error(ctx->json, "usage", "--delay: %s", cause);
			free(cause);
			json_decref(job);
			return NULL;
		}
		json_object_set_new(job, "at",
		    json_string(timefmt_iso(
		        timefmt_now_ms() + secs * 1000, iso, sizeof iso)));
	}
	if ((v = ctx->opt['A']) != NULL) {
		if (submit_at(ctx, v, iso, sizeof iso) == -1) {
			json_decref(job);
			return NULL;
		}
		json_object_set_new(job, "at", json_string(iso));
	}
	if (ctx->opt['d'] != NULL && ctx->opt['a'] != NULL) {
		output_error(ctx->json, "usage",
		    "--after-previous and --after both say what to wait for; "
		    "give one");
		json_decref(job);
		return NULL;
	}
	if (ctx->opt['d'] != NULL) {
		json_object_set_new(job, "after_previous", json_true());
	}
	if ((v = ctx->opt['a']) != NULL) {
		switch (cmd_run_id(ctx, "--after", v, &id)) {
		case -1:
			json_decref(job);
			return NULL;
		case 1:
			json_object_set_new(job, "after", json_integer(id));
			break;
		default:
			json_object_set_new(job, "after", json_string(v));
			break;
		}
	}
	/* A job runs where it was submitted from, as in a shell. */
	if ((cwd = getcwd(NULL, 0)) != NULL) {
		json_object_set_new(job, "cwd", json_string(cwd));
		free(cwd);
	}
	return job;
}

/*
 * The caller's environment, which the jobs run with as pueue's and tsp's
 * do; NULL with --clean-env (twd's environment, and the tasks file's env).
 */
static json_t *
submit_environment(struct cmd_ctx *ctx)
{
	extern char **environ;
	json_t *env;
	char **e, *eq, *name;

	if (ctx->opt['E'] != NULL) {
		return NULL;
	}
	env = json_object();
	for (e = environ; *e != NULL; e++) {
		/* Not text JSON can carry, or not a variable: left out. */
		if ((eq = strchr(*e, '=')) == NULL || eq == *e) {
			continue;
		}
		name = xstrndup(*e, (size_t)(eq - *e));
		json_object_set_new(env, name, json_string(eq + 1));
		free(name);
	}
	return env;
}

/* Send jobs (taken) with the environment env; append their ids to ids. */
static int
submit_send(struct cmd_ctx *ctx, json_t *jobs, const json_t *env, json_t *ids,
    json_t **reply)
{
	struct proto_reply rep;
	json_t *args = json_pack("{s:o}", "jobs", jobs);
	int rc;

	if (env != NULL) {
		json_object_set(args, "env", (json_t *)env);
	}
	rc = cmd_call(ctx, "submit", args, &rep);
	if (rc != EXIT_OK) {
		return rc;
	}
	json_array_extend(ids, json_object_get(rep.data, "ids"));
	if (reply != NULL) {
		*reply = json_incref(rep.data);
	}
	proto_reply_release(&rep);
	return EXIT_OK;
}

/* One job per line of stdin, blank lines and # comments left out. */
static int
submit_batch(
    struct cmd_ctx *ctx, const json_t *common, const json_t *env, json_t *ids)
{
	json_t *jobs = json_array(), *job;
	char *line = NULL;
	size_t cap = 0, bytes = 0, lineno = 0;
	ssize_t n;
	int rc = EXIT_OK;

	while (rc == EXIT_OK && (n = getline(&line, &cap, stdin)) != -1) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
			line[--n] = '\0';
		}
		if (line[strspn(line, " \t")] == '\0' ||
		    line[strspn(line, " \t")] == '#') {
			continue;
		}
		job = json_deep_copy(common);
		json_object_set_new(job, "command", json_string(line));
		json_array_append_new(jobs, job);
		bytes += (size_t)n + 64;
		if (json_array_size(jobs) == SUBMIT_PART_JOBS ||
		    bytes >= SUBMIT_PART_BYTES) {
			rc = submit_send(ctx, jobs, env, ids, NULL);
			jobs = json_array();
			bytes = 0;
		}
	}
	free(line);
	if (rc == EXIT_OK && json_array_size(jobs) > 0) {
		return submit_send(ctx, jobs, env, ids, NULL);
	}
	json_decref(jobs);
	if (rc == EXIT_OK && json_array_size(ids) == 0) {
		output_error(ctx->json, "usage",
		    "--batch: no jobs on stdin (one command line each)");
		return EXIT_USAGE;
	}
	if (rc != EXIT_OK && json_array_size(ids) > 0) {
		fprintf(stderr,
		    "twctl submit: the %zu jobs before line %zu were "
		    "queued\n",
		    json_array_size(ids), lineno);
	}
	return rc;
}

/* Say what became of the jobs; a single job that could not start fails. */
static int
submit_print(struct cmd_ctx *ctx, const json_t *ids, const json_t *reply)
{
	const json_t *run = json_object_get(reply, "run");
	const char *status = json_get_string(run, "status", "");
	json_t *o;

	if (ctx->json) {
		o = run != NULL ? json_incref((json_t *)run)
		                : json_pack("{s:O}", "ids", ids);
		output_json(o);
		json_decref(o);
	} else if (run == NULL) {
		printf("queued %zu jobs: runs %lld to %lld\n",
		    json_array_size(ids),
		    (long long)json_integer_value(json_array_get(ids, 0)),
		    (long long)json_integer_value(
		        json_array_get(ids, json_array_size(ids) - 1)));
	} else if (strcmp(status, "start_failed") == 0) {
		output_error(0, "failed", "run %lld '%s' could not start: %s",
		    (long long)json_integer_value(json_object_get(run, "id")),
		    json_get_string(run, "task", "?"),
		    json_get_string(run, "reason", "?"));
	} else if (strcmp(status, "queued") == 0) {
		printf("queued run %lld '%s': %s\n",
		    (long long)json_integer_value(json_object_get(run, "id")),
		    json_get_string(run, "task", "?"),
		    json_get_string(reply, "waiting", "waiting for a slot"));
	} else {
		printf("started run %lld '%s'\n",
		    (long long)json_integer_value(json_object_get(run, "id")),
		    json_get_string(run, "task", "?"));
	}
	return strcmp(status, "start_failed") == 0 ? EXIT_FAIL : EXIT_OK;
}

static int
cmd_submit_exec(struct cmd_ctx *ctx)
{
	json_t *common, *job, *ids = json_array(), *reply = NULL, *last = NULL;
	json_t *env;
	struct proto_reply rep;
	int rc = EXIT_OK, i;

	if ((ctx->argc > 0) == (ctx->opt['b'] != NULL)) {
		output_error(ctx->json, "usage",
		    "submit: give a command (twctl submit -- CMD ARGS...) "
		    "or --batch with one command line per line of stdin");
		json_decref(ids);
		return EXIT_USAGE;
	}
	if ((common = submit_common(ctx)) == NULL) {
		json_decref(ids);
		return EXIT_USAGE;
	}
	env = submit_environment(ctx);
	/* Before the jobs exist, so that none can end unseen. */
	if (ctx->opt['w'] != NULL &&
	    (rc = cmd_call(ctx, "subscribe",
	         json_pack("{s:[s]}", "events", "run.finished"), &rep)) ==
	        EXIT_OK) {
		proto_reply_release(&rep);
	} else if (ctx->opt['w'] != NULL) {
		goto done;
	}
	if (ctx->opt['b'] != NULL) {
		rc = submit_batch(ctx, common, env, ids);
	} else {
		job = json_deep_copy(common);
		json_object_set_new(job, "run", json_array());
		for (i = 0; i < ctx->argc; i++) {
			json_array_append_new(json_object_get(job, "run"),
			    json_string(ctx->argv[i]));
		}
		rc = submit_send(ctx, json_pack("[o]", job), env, ids, &reply);
	}
	if (rc != EXIT_OK) {
		goto done;
	}
	if (ctx->opt['w'] == NULL || !ctx->json) {
		rc = submit_print(ctx, ids, reply);
	}
	if (ctx->opt['w'] != NULL) {
		fflush(stdout);
		rc = cmd_wait_runs(ctx, ids, &last, NULL);
		if (last != NULL && json_array_size(ids) == 1) {
			cmd_print_ended(ctx, last);
		} else if (!ctx->json) {
			printf("all %zu jobs ended%s\n", json_array_size(ids),
			    rc == EXIT_OK ? ", every one ok" : "; some failed");
		}
	}
done:
	json_decref(env);
	json_decref(last);
	json_decref(reply);
	json_decref(common);
	json_decref(ids);
	return rc;
}

const struct cmd_entry cmd_submit_entry = {
	.name = "submit",
	.summary = "queue a one-off job (or many with --batch) and print "
	           "its run id",
	.usage =
	    "[--json] [-n name] [-l label] [-p priority] [-q queue] [-a "
	    "task|run | "
	    "-d] [--delay dur | --at time] [-t timeout] [--cpus n] [--memory "
	    "size] [-w] [--clean-env] "
	    "(-- command [arg ...] | -b)",
	.help = "  -n, --name NAME      the name its runs are recorded under\n"
	        "                       (default: the program's)\n"
	        "  -l, --label LABEL    a word of yours shown with it (queue, "
	        "history)\n"
	        "  -p, --priority P     critical, high, normal, low or 0-100\n"
	        "  -q, --queue QUEUE    a queue of the tasks file, and its "
	        "limit\n"
	        "  -a, --after T|ID     start once task T has succeeded "
	        "since, or\n"
	        "                       once run ID has (if it fails, the "
	        "job is skipped)\n"
	        "  -d, --after-previous start once the job submitted before "
	        "it has\n"
	        "                       succeeded (as tsp -d; with -b, each "
	        "after the last)\n"
	        "      --delay DUR      start no sooner than DUR from now, "
	        "as 10m\n"
	        "      --at TIME        start no sooner than TIME: 18:00 "
	        "(the next one),\n"
	        "                       or 2026-12-24 18:00\n"
	        "  -t, --timeout DUR    stop it after this long, as 10m\n"
	        "      --cpus N         the CPUs it needs, as 0.5 (resources: "
	        "cpus)\n"
	        "      --memory SIZE    the memory it needs, as 600M "
	        "(resources: memory)\n"
	        "  -w, --wait           wait for it to end and exit with its "
	        "exit status\n"
	        "  -b, --batch          one job per line of stdin, each a "
	        "shell command line\n"
	        "      --clean-env      run it with twd's environment, not "
	        "this shell's\n"
	        "\nThe job runs in the current directory with this shell's "
	        "environment and the\ntasks file's defaults, through the same "
	        "queue and limits as scheduled\nruns; its output is in twctl "
	        "logs NAME --run ID.\n",
	.getopt = "a:A:bC:dD:El:M:n:p:q:t:w",
	.longopts = cmd_submit_longopts,
	.args_min = 0,
	.args_max = -1,
	.flags = CMD_NEEDS_DAEMON | CMD_OPTIONS_FIRST,
	.exec = cmd_submit_exec,
};
