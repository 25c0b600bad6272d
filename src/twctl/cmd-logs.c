/*
 * twctl logs: a run's output, the newest run of a task by default; -f
 * follows a running job until it ends and exits with its status.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "output.h"

/* How often -f looks for more output and asks whether the run ended. */
#define FOLLOW_POLL_US (200 * 1000)

static const struct option cmd_logs_longopts[] = {
	{ "run", required_argument, NULL, 'r' },
	{ "follow", no_argument, NULL, 'f' },
	{ "lines", required_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 },
};

/* Where to start so that only the last lines are printed. */
static off_t
tail_offset(int fd, long lines)
{
	char buf[8192];
	off_t end = lseek(fd, 0, SEEK_END), pos = end;
	long seen = 0;
	ssize_t n, i;

	while (pos > 0) {
		n = pos < (off_t)sizeof buf ? (ssize_t)pos
		                            : (ssize_t)sizeof buf;
		pos -= n;
		if (pread(fd, buf, (size_t)n, pos) != n) {
			return 0;
		}
		for (i = n - 1; i >= 0; i--) {
			/* The last byte's newline ends the last line. */
			if (buf[i] == '\n' && pos + i != end - 1 &&
			    ++seen == lines) {
				return pos + i + 1;
			}
		}
	}
	return 0;
}

/* Copy from fd's position to stdout. Returns 0, or -1 on a write error. */
static int
copy_out(int fd)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof buf)) > 0) {
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
			return -1;
		}
	}
	fflush(stdout);
	return 0;
}

/* The exit status -f ends with: the job's own, as a shell would give it. */
static int
run_exit_status(const json_t *run)
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

static int
cmd_logs_exec(struct cmd_ctx *ctx)
{
	struct proto_reply rep;
	json_t *args = json_object(), *run;
	const char *path;
	char *end;
	long long id;
	int fd, rc, lines = 0;

	if (ctx->opt['n'] != NULL &&
	    (lines = cmd_count_option(ctx, 0, 1000000)) == -1) {
		json_decref(args);
		return EXIT_USAGE;
	}
	json_object_set_new(args, "task", json_string(ctx->argv[0]));
	if (ctx->opt['r'] != NULL) {
		id = strtoll(ctx->opt['r'], &end, 10);
		if (*end != '\0' || end == ctx->opt['r'] || id < 1) {
			json_decref(args);
			output_error(ctx->json, "usage",
			    "--run: '%s' is not a run id", ctx->opt['r']);
			return EXIT_USAGE;
		}
		json_object_set_new(args, "run", json_integer(id));
	}
	if ((rc = cmd_call(ctx, "logs", json_deep_copy(args), &rep)) !=
	    EXIT_OK) {
		json_decref(args);
		return rc;
	}
	run = json_object_get(rep.data, "run");
	if (ctx->json) {
		output_json(run);
		goto done;
	}
	if ((path = json_get_string(run, "log", NULL)) == NULL) {
		output_error(0, "not_found", "run %lld has no log: %s",
		    (long long)json_integer_value(json_object_get(run, "id")),
		    json_get_string(run, "reason", "it did not start"));
		rc = EXIT_FAIL;
		goto done;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		output_error(
		    0, "failed", "cannot read '%s': %s", path, strerror(errno));
		rc = EXIT_FAIL;
		goto done;
	}
	if (lines > 0) {
		lseek(fd, tail_offset(fd, lines), SEEK_SET);
	}
	copy_out(fd);
	if (ctx->opt['f'] != NULL) {
		/* Pin the run, so a newer one does not take its place. */
		json_object_set(args, "run", json_object_get(run, "id"));
		while (strcmp(json_get_string(run, "status", ""), "running") ==
		    0) {
			usleep(FOLLOW_POLL_US);
			copy_out(fd);
			proto_reply_release(&rep);
			if ((rc = cmd_call(ctx, "logs", json_deep_copy(args),
			         &rep)) != EXIT_OK) {
				close(fd);
				json_decref(args);
				return rc;
			}
			run = json_object_get(rep.data, "run");
		}
		copy_out(fd);
		rc = run_exit_status(run);
	}
	close(fd);
done:
	json_decref(args);
	proto_reply_release(&rep);
	return rc;
}

const struct cmd_entry cmd_logs_entry = {
	.name = "logs",
	.summary = "print a run's output, the newest of a task by default",
	.usage = "[--json] [-f] [-n lines] [--run id] task",
	.help = "  -r, --run ID     that run instead of the newest\n"
	        "  -n, --lines N    only the last N lines\n"
	        "  -f, --follow     follow a running job until it ends, "
	        "then exit with its\n"
	        "                   exit status (128 + N for signal N)\n",
	.getopt = "r:fn:",
	.longopts = cmd_logs_longopts,
	.args_min = 1,
	.args_max = 1,
	.flags = CMD_NEEDS_DAEMON,
	.exec = cmd_logs_exec,
};
