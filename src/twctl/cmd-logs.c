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
#include "xmalloc.h"

static const struct option cmd_logs_longopts[] = {
	{ "run", required_argument, NULL, 'r' },
	{ "follow", no_argument, NULL, 'f' },
	{ "lines", required_argument, NULL, 'n' },
	{ "stdout", no_argument, NULL, 'O' },
	{ "stderr", no_argument, NULL, 'E' },
	{ NULL, 0, NULL, 0 },
};

static void
print_record(
    struct log_reader *lr, const struct logfmt_record *rec, off_t at, void *arg)
{
	(void)at;
	(void)arg;
	json_t *o;

	if (!log_reader_wants(lr, rec)) {
		return;
	}
	if (lr->json) {
		o = json_pack("{s:s, s:o, s:b}", "stream",
		    logfmt_stream_name(rec->stream), "text",
		    proto_string_lossy(rec->text, rec->len), "complete",
		    rec->complete);
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

/* Print what the log has from the reader's position on. */
static void
log_reader_print(struct log_reader *lr, int final)
{
	log_reader_each(lr, final, print_record, NULL);
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
		log_reader_print(lr, 1);
		rc = follow_end(lr, json_object_get(rep.data, "run"));
		proto_reply_release(&rep);
		return rc;
	}
	proto_reply_release(&rep);
	for (;;) {
		log_reader_print(lr, 0);
		if ((ev = conn_read_event(ctx->conn, &cause)) == NULL) {
			output_error(0, "daemon_unreachable", "%s", cause);
			free(cause);
			return EXIT_UNREACHABLE;
		}
		name = json_get_string(ev, "event", "");
		if (strcmp(name, "run.finished") == 0) {
			log_reader_print(lr, 1);
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
	if (ctx->opt['O'] != NULL || ctx->opt['E'] != NULL) {
		lr->streams =
		    (ctx->opt['O'] != NULL ? STREAM_BIT(LOGFMT_STDOUT) : 0) |
		    (ctx->opt['E'] != NULL ? STREAM_BIT(LOGFMT_STDERR) : 0);
	}
	if (lines > 0) {
		log_reader_tail(lr, lines);
	}
	if (ctx->opt['f'] != NULL && run_is_running(run)) {
		rc = follow(ctx, lr, run);
	} else {
		/* What is written already, read at leisure. */
		pager_start();
		log_reader_print(lr, 1);
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
	.usage = "[--json] [-f] [-n lines] [--run id] [--stdout | --stderr] "
	         "[task]",
	.help = "  -r, --run ID     that run instead of the newest (the task "
	        "may be left out)\n"
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
	.getopt = "r:fn:",
	.longopts = cmd_logs_longopts,
	.args_min = 0,
	.args_max = 1,
	.flags = CMD_NEEDS_DAEMON,
	.exec = cmd_logs_exec,
};
