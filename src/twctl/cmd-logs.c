/*
 * twctl logs: a run's output, the newest run of a task by default, read from
 * its log file (logfmt.h); --stdout and --stderr keep one stream. -f follows
 * a running job, woken by the daemon's run.output events, until it ends, and
 * exits with its status.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "cmd.h"
#include "logfmt.h"
#include "logread.h"
#include "output.h"
#include "pager.h"
#include "proto.h"
#include "timefmt.h"
#include "xmalloc.h"

static const struct option cmd_logs_longopts[] = {
	{ "run", required_argument, NULL, 'r' },
	{ "follow", no_argument, NULL, 'f' },
	{ "lines", required_argument, NULL, 'n' },
	{ "stdout", no_argument, NULL, 'O' },
	{ "stderr", no_argument, NULL, 'E' },
	{ "since", required_argument, NULL, 'S' },
	{ NULL, 0, NULL, 0 },
};

/* --since: at most this many runs, the newest (history's own bound). */
#define LOGS_SINCE_MAX_RUNS 1000

static void
print_record(
    struct log_reader *lr, const struct logfmt_record *rec, off_t at, void *arg)
{
	const json_t *run = arg;
	json_t *o;

	(void)at;
	if (!log_reader_wants(lr, rec)) {
		return;
	}
	if (lr->json) {
		o = json_pack("{s:s, s:o, s:b}", "stream",
		    logfmt_stream_name(rec->stream), "text",
		    proto_string_lossy(rec->text, rec->len), "complete",
		    rec->complete);
		if (run != NULL) {
			/* Of several runs (--since): which one's. */
			json_object_set(o, "run", json_object_get(run, "id"));
		}
		json_dumpf(o, stdout,
		    JSON_COMPACT | JSON_PRESERVE_ORDER | PROTO_REALS);
		putchar('\n');
		json_decref(o);
		return;
	}
	if (rec->stream == LOGFMT_NOTE) {
		printf("[taskweaver: %.*s]\n", (int)rec->len, rec->text);
		return;
	}
	fwrite(rec->text, 1, rec->len, stdout);
	if (rec->complete) {
		putchar('\n');
	}
}

/*
 * Print what the log has from the reader's position on; run (or NULL) is
 * named in each JSON record.
 */
static void
log_reader_print(struct log_reader *lr, int final, const json_t *run)
{
	log_reader_each(lr, final, print_record, (void *)run);
	fflush(stdout);
}

/* Where each of the last lines began, for -n. */
struct tail_state {
	off_t *starts; /* a ring of lines offsets */
	long lines, seen;
	int open[LOGFMT_NOTE + 1]; /* a stream's line is not ended yet */
};

static void
tail_record(
    struct log_reader *lr, const struct logfmt_record *rec, off_t at, void *arg)
{
	struct tail_state *ts = arg;

	if (!log_reader_wants(lr, rec)) {
		return;
	}
	if (!ts->open[rec->stream]) {
		ts->starts[ts->seen++ % ts->lines] = at;
	}
	ts->open[rec->stream] = !rec->complete;
}

/* Put the reader where the last lines (of the streams it shows) begin. */
static void
log_reader_tail(struct log_reader *lr, long lines)
{
	struct tail_state ts;
	off_t start = 0;

	memset(&ts, 0, sizeof ts);
	ts.lines = lines;
	ts.starts = xreallocarray(NULL, (size_t)lines, sizeof *ts.starts);
	log_reader_each(lr, 1, tail_record, &ts);
	if (ts.seen >= lines) {
		start = ts.starts[ts.seen % lines];
	}
	free(ts.starts);
	if (lr->fd != -1) {
		lseek(lr->fd, start, SEEK_SET);
	}
	lr->len = 0;
}

static int
run_is_running(const json_t *run)
{
	return strcmp(json_get_string(run, "status", ""), "running") == 0;
}

/* The run is over: with --json, its record as the last line; its status. */
static int
follow_end(struct log_reader *lr, json_t *run)
{
	json_t *o;

	if (lr->json) {
		o = json_pack("{s:O}", "run", run);
		json_dumpf(o, stdout,
		    JSON_COMPACT | JSON_PRESERVE_ORDER | PROTO_REALS);
		putchar('\n');
		fflush(stdout);
		json_decref(o);
	}
	return cmd_run_exit_status(run);
}

/*
 * Follow the run until it ends: each event says the log has grown. Returns
 * the exit status for -f.
 */
static int
follow(struct cmd_ctx *ctx, struct log_reader *lr, json_t *run)
{
	struct proto_reply rep;
	json_t *args, *ev;
	const char *name;
	char *cause;
	int rc;

	args = json_pack("{s:[s,s], s:O}", "events", "run.output",
	    "run.finished", "run", json_object_get(run, "id"));
	if ((rc = cmd_call(ctx, "subscribe", args, &rep)) != EXIT_OK) {
		return rc;
	}
	/* The run as it was when the subscription began: over already? */
	if (!run_is_running(json_object_get(rep.data, "run"))) {
		log_reader_print(lr, 1, NULL);
		rc = follow_end(lr, json_object_get(rep.data, "run"));
		proto_reply_release(&rep);
		return rc;
	}
	proto_reply_release(&rep);
	for (;;) {
		log_reader_print(lr, 0, NULL);
		if ((ev = conn_read_event(ctx->conn, &cause)) == NULL) {
			output_error(0, "daemon_unreachable", "%s", cause);
			free(cause);
			return EXIT_UNREACHABLE;
		}
		name = json_get_string(ev, "event", "");
		if (strcmp(name, "run.finished") == 0) {
			log_reader_print(lr, 1, NULL);
			rc = follow_end(lr, json_object_get(ev, "data"));
			json_decref(ev);
			return rc;
		}
		json_decref(ev);
	}
}

/*
 * -f on a run that waits in the queue (or for its retry): wait until it
 * starts, or ends without starting. Returns the run as it is then (caller
 * owns), or NULL after an error, with *rc.
 */
static json_t *
wait_start(struct cmd_ctx *ctx, const json_t *run, int *rc)
{
	struct proto_reply rep;
	json_t *args, *ev, *now;
	char *cause;

	args = json_pack("{s:[s,s], s:O}", "events", "run.started",
	    "run.finished", "run", json_object_get(run, "id"));
	if ((*rc = cmd_call(ctx, "subscribe", args, &rep)) != EXIT_OK) {
		return NULL;
	}
	now = json_incref(json_object_get(rep.data, "run"));
	proto_reply_release(&rep);
	while (strcmp(json_get_string(now, "status", ""), "queued") == 0) {
		json_decref(now);
		if ((ev = conn_read_event(ctx->conn, &cause)) == NULL) {
			output_error(
			    ctx->json, "daemon_unreachable", "%s", cause);
			free(cause);
			*rc = EXIT_UNREACHABLE;
			return NULL;
		}
		now = json_incref(json_object_get(ev, "data"));
		json_decref(ev);
	}
	return now;
}

/* The streams the options keep, on a reader. */
static void
logs_streams(struct cmd_ctx *ctx, struct log_reader *lr)
{
	if (ctx->opt['O'] != NULL || ctx->opt['E'] != NULL) {
		lr->streams =
		    (ctx->opt['O'] != NULL ? STREAM_BIT(LOGFMT_STDOUT) : 0) |
		    (ctx->opt['E'] != NULL ? STREAM_BIT(LOGFMT_STDERR) : 0);
	}
}

/*
 * --since: the output of every run of task started since then, oldest
 * first, each under a line that names it (in JSON, each record names its
 * run); -n keeps the last lines of each.
 */
static int
logs_since(struct cmd_ctx *ctx, const char *task, int lines)
{
	struct proto_reply rep;
	struct log_reader lr;
	char iso[TIMEFMT_ISO_LEN], result[64], when[TIMEFMT_ISO_LEN];
	const json_t *run, *runs;
	const char *path;
	size_t i, n;
	int64_t ms;
	int rc;

	if (cmd_when_option(ctx, "--since", ctx->opt['S'], iso, sizeof iso) ==
	    -1) {
		return EXIT_USAGE;
	}
	rc = cmd_call(ctx, "history",
	    json_pack("{s:s, s:s, s:i}", "task", task, "since", iso, "limit",
	        LOGS_SINCE_MAX_RUNS),
	    &rep);
	if (rc != EXIT_OK) {
		return rc;
	}
	runs = json_object_get(rep.data, "runs");
	n = json_array_size(runs);
	if (n == 0 && !ctx->json) {
		fprintf(stderr, "twctl logs: no run of '%s' since %s\n", task,
		    ctx->opt['S']);
	}
	if (n == LOGS_SINCE_MAX_RUNS) {
		fprintf(stderr,
		    "twctl logs: the newest %d runs only; give a later "
		    "--since for the others\n",
		    LOGS_SINCE_MAX_RUNS);
	}
	pager_start();
	/* The history gives the newest first; a log reads oldest first. */
	for (i = n; i-- > 0;) {
		run = json_array_get(runs, i);
		if (!ctx->json) {
			ms = json_get_time(run, "started_at");
			printf("%s── run %lld, %s: %s ──\n",
			    i + 1 < n ? "\n" : "",
			    (long long)json_integer_value(
			        json_object_get(run, "id")),
			    ms != 0 ? timefmt_local(ms, when, sizeof when)
			            : "not started",
			    output_run_result(run, result, sizeof result));
		}
		if ((path = json_get_string(run, "log", NULL)) == NULL) {
			continue;
		}
		log_reader_init(&lr, path);
		lr.json = ctx->json;
		lr.fd = open(path, O_RDONLY | O_CLOEXEC);
		logs_streams(ctx, &lr);
		if (lines > 0) {
			log_reader_tail(&lr, lines);
		}
		log_reader_print(&lr, 1, run);
		log_reader_close(&lr);
	}
	proto_reply_release(&rep);
	return EXIT_OK;
}

static int
cmd_logs_exec(struct cmd_ctx *ctx)
{
	struct proto_reply rep;
	struct log_reader *lr;
	json_t *args = json_object(), *run, *waited = NULL;
	const char *path;
	int64_t id;
	int rc, lines = 0;

	if (ctx->opt['n'] != NULL &&
	    (lines = cmd_count_option(ctx, 0, 1000000)) == -1) {
		json_decref(args);
		return EXIT_USAGE;
	}
	if (ctx->opt['S'] != NULL) {
		json_decref(args);
		if (ctx->argc != 1 || ctx->opt['r'] != NULL ||
		    ctx->opt['f'] != NULL) {
			output_error(ctx->json, "usage",
			    "logs --since: name a task (not a --run, and no "
			    "-f): the runs of it since then are printed");
			return EXIT_USAGE;
		}
		return logs_since(ctx, ctx->argv[0], lines);
	}
	if (ctx->argc == 1) {
		json_object_set_new(args, "task", json_string(ctx->argv[0]));
	} else if (ctx->opt['r'] == NULL) {
		output_error(ctx->json, "usage",
		    "logs: name a task, or a run with --run ID");
		json_decref(args);
		return EXIT_USAGE;
	}
	if (ctx->opt['r'] != NULL) {
		if ((rc = cmd_run_id(ctx, "--run", ctx->opt['r'], &id)) != 1) {
			if (rc == 0) {
				output_error(ctx->json, "usage",
				    "--run: '%s' is not a run id",
				    ctx->opt['r']);
			}
			json_decref(args);
			return EXIT_USAGE;
		}
		json_object_set_new(args, "run", json_integer(id));
	}
	if ((rc = cmd_call(ctx, "logs", args, &rep)) != EXIT_OK) {
		return rc;
	}
	run = json_object_get(rep.data, "run");
	/* -f on a run not started yet follows it once it starts. */
	if (ctx->opt['f'] != NULL &&
	    strcmp(json_get_string(run, "status", ""), "queued") == 0) {
		if ((waited = wait_start(ctx, run, &rc)) == NULL) {
			goto done;
		}
		run = waited;
	}
	/* --json: the run; with -f, its output as JSON lines, then the run. */
	if (ctx->json && ctx->opt['f'] == NULL) {
		output_json(run);
		goto done;
	}
	if ((path = json_get_string(run, "log", NULL)) == NULL) {
		output_error(ctx->json, "not_found", "run %lld has no log: %s",
		    (long long)json_integer_value(json_object_get(run, "id")),
		    json_get_string(run, "reason", "it did not start"));
		rc = EXIT_FAIL;
		goto done;
	}
	lr = xcalloc(1, sizeof *lr);
	log_reader_init(lr, path);
	lr->json = ctx->json;
	/* No file: the run has written nothing (yet). */
	if ((lr->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 &&
	    (errno != ENOENT ||
	        (!run_is_running(run) &&
	            json_integer_value(json_object_get(run, "output_bytes")) >
	                0))) {
		output_error(ctx->json, "failed", "cannot read '%s': %s", path,
		    strerror(errno));
		free(lr);
		rc = EXIT_FAIL;
		goto done;
	}
	logs_streams(ctx, lr);
	if (lines > 0) {
		log_reader_tail(lr, lines);
	}
	if (ctx->opt['f'] != NULL && run_is_running(run)) {
		rc = follow(ctx, lr, run);
	} else {
		/* What is written already, read at leisure. */
		pager_start();
		log_reader_print(lr, 1, NULL);
		if (ctx->opt['f'] != NULL) {
			rc = follow_end(lr, run);
		}
	}
	log_reader_close(lr);
	free(lr);
done:
	json_decref(waited);
	proto_reply_release(&rep);
	return rc;
}

const struct cmd_entry cmd_logs_entry = {
	.name = "logs",
	.summary = "print a run's output, the newest of a task by default",
	.usage = "[--json] [-f] [-n lines] [--run id | --since when] [--stdout "
	         "| --stderr] [task]",
	.help = "  -r, --run ID     that run instead of the newest (the task "
	        "may be left out)\n"
	        "  -S, --since WHEN every run of the task since WHEN (2h, "
	        "today,\n"
	        "                   yesterday, 2026-11-22, "
	        "2026-11-22T08:00), oldest\n"
	        "                   first, each under a line naming it\n"
	        "  -n, --lines N    only the last N lines\n"
	        "      --stdout     only what the job wrote to stdout\n"
	        "      --stderr     only what the job wrote to stderr\n"
	        "  -f, --follow     follow a running job (or a queued one, "
	        "once it starts)\n"
	        "                   until it ends, then exit with its\n"
	        "                   exit status (128 + N for signal N); "
	        "with --json, a line\n"
	        "                   {stream, text, complete} a record, "
	        "then {run}\n",
	.getopt = "r:fn:S:",
	.longopts = cmd_logs_longopts,
	.args_min = 0,
	.args_max = 1,
	.flags = CMD_NEEDS_DAEMON,
	.exec = cmd_logs_exec,
};
