/*
 * twctl executors: the machines tasks' runs may go to, how many runs each
 * has, whether its shared connection is up, and with --check, whether it
 * can be reached now: the command twd would run there, run from here.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "duration.h"
#include "output.h"
#include "timefmt.h"
#include "xmalloc.h"

extern char **environ;

static const struct option cmd_executors_longopts[] = {
	{ "check", no_argument, NULL, 'c' },
	{ NULL, 0, NULL, 0 },
};

/* "me@nas.lan:2222" of executor e into buf. */
const char *
executor_where(const json_t *e, char *buf, size_t len)
{
	const json_t *port = json_object_get(e, "port");
	const char *user = json_get_string(e, "user", NULL);
	int n;

	n = snprintf(buf, len, "%s%s%s", user != NULL ? user : "",
	    user != NULL ? "@" : "", json_get_string(e, "host", "?"));
	if (json_is_integer(port) && n >= 0 && (size_t)n < len) {
		snprintf(buf + n, len - (size_t)n, ":%lld",
		    (long long)json_integer_value(port));
	}
	return buf;
}

/*
 * Run check (an argv) and say into e how it went: check_ok, check_ms and,
 * when it failed, check_error (what ssh said last).
 */
static void
executor_check(json_t *e, const json_t *check)
{
	posix_spawn_file_actions_t fa;
	size_t n = json_array_size(check), i, got = 0;
	char **argv = xcalloc(n + 1, sizeof *argv), buf[4096], *nl;
	int64_t t0 = timefmt_mono_ms();
	int err[2], st = -1, rc;
	ssize_t r;
	pid_t pid;

	for (i = 0; i < n; i++) {
		argv[i] = (char *)json_string_value(json_array_get(check, i));
	}
	if (n == 0 || pipe(err) == -1) {
		free(argv);
		json_object_set_new(e, "check_ok", json_false());
		json_object_set_new(e, "check_error",
		    json_string("twd gave no command to check it with"));
		return;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	posix_spawn_file_actions_addclose(&fa, err[0]);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(err[1]);
	while (rc == 0 &&
	    (r = read(err[0], buf + got, sizeof buf - 1 - got)) != 0) {
		if (r == -1 && errno == EINTR) {
			continue;
		}
		if (r == -1) {
			break;
		}
		got += (size_t)r;
		if (got == sizeof buf - 1) {
			got = 0; /* only the end is told */
		}
	}
	close(err[0]);
	buf[got] = '\0';
	while (rc == 0 && waitpid(pid, &st, 0) == -1 && errno == EINTR) {
	}
	json_object_set_new(
	    e, "check_ms", json_integer((json_int_t)(timefmt_mono_ms() - t0)));
	if (rc == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		json_object_set_new(e, "check_ok", json_true());
	} else {
		while (
		    got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == '\r')) {
			buf[--got] = '\0';
		}
		nl = strrchr(buf, '\n');
		json_object_set_new(e, "check_ok", json_false());
		json_object_set_new(e, "check_error",
		    json_string(rc != 0 ? strerror(rc)
		            : got > 0   ? (nl != NULL ? nl + 1 : buf)
		                        : "ssh failed and said nothing"));
	}
	free(argv);
}

static int
cmd_executors_exec(struct cmd_ctx *ctx)
{
	static const char *const headers[] = { "NAME", "TYPE", "WHERE",
		"RUNNING", "CONNECTION", "CHECK", NULL };
	char where[300], running[48], check[300], took[32];
	struct proto_reply rep;
	const char *cells[6];
	json_t *all, *e;
	struct table *t;
	int rc, failed = 0;
	size_t i;

	if ((rc = cmd_call(ctx, "executors", NULL, &rep)) != EXIT_OK) {
		return rc;
	}
	all = json_object_get(rep.data, "executors");
	json_array_foreach(all, i, e)
	{
		if (ctx->opt['c'] != NULL) {
			executor_check(e, json_object_get(e, "check"));
			failed += !json_is_true(json_object_get(e, "check_ok"));
		}
		json_object_del(e, "check");
	}
	if (ctx->json) {
		output_json(all);
	} else if (json_array_size(all) == 0) {
		printf("no executors: every task runs here (see EXECUTORS in "
		       "taskweaver(5))\n");
	} else {
		t = table_create(headers);
		json_array_foreach(all, i, e)
		{
			if (json_is_integer(
			        json_object_get(e, "max_concurrent"))) {
				snprintf(running, sizeof running,
				    "%lld of %lld",
				    (long long)json_integer_value(
				        json_object_get(e, "running")),
				    (long long)json_integer_value(
				        json_object_get(e, "max_concurrent")));
			} else {
				snprintf(running, sizeof running, "%lld",
				    (long long)json_integer_value(
				        json_object_get(e, "running")));
			}
			if (ctx->opt['c'] == NULL) {
				snprintf(check, sizeof check, "-");
			} else if (json_is_true(
			               json_object_get(e, "check_ok"))) {
				snprintf(check, sizeof check, "ok in %s",
				    duration_format_ms(
				        json_integer_value(
				            json_object_get(e, "check_ms")),
				        took, sizeof took));
			} else {
				snprintf(check, sizeof check, "FAILED: %s",
				    json_get_string(e, "check_error", "?"));
			}
			cells[0] = json_get_string(e, "name", "?");
			cells[1] = json_get_string(e, "type", "?");
			cells[2] = executor_where(e, where, sizeof where);
			cells[3] = running;
			cells[4] =
			    json_is_true(json_object_get(e, "connection"))
			    ? "up"
			    : "-";
			cells[5] = check;
			table_add(t, cells);
		}
		table_print(t, stdout);
	}
	proto_reply_release(&rep);
	return failed > 0 ? EXIT_FAIL : EXIT_OK;
}

const struct cmd_entry cmd_executors_entry = {
	.name = "executors",
	.summary = "the machines tasks run on, and with --check whether each "
	           "answers",
	.usage = "[--json] [-c]",
	.help = "  -c, --check          try each now (ssh ... true), as a run "
	        "would, and say\n"
	        "                       how long it took; exit 1 if one "
	        "failed\n",
	.getopt = "c",
	.longopts = cmd_executors_longopts,
	.args_min = 0,
	.args_max = 0,
	.flags = CMD_NEEDS_DAEMON,
	.exec = cmd_executors_exec,
};
