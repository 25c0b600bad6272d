/*
 * twctl kill: stop a task's running jobs, or one run.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "output.h"

static const struct option cmd_kill_longopts[] = {
	{ "signal", required_argument, NULL, 's' },
	{ NULL, 0, NULL, 0 },
};

static int
cmd_kill_exec(struct cmd_ctx *ctx)
{
	struct proto_reply rep;
	json_t *args = json_object();
	const char *what = ctx->argv[0];
	int64_t id;
	long long n;
	int rc;

	if ((rc = cmd_run_id(ctx, NULL, what, &id)) == -1) {
		json_decref(args);
		return EXIT_USAGE;
	}
	if (rc == 1) {
		json_object_set_new(args, "run", json_integer(id));
	} else {
		json_object_set_new(args, "task", json_string(what));
	}
	if (ctx->opt['s'] != NULL) {
		json_object_set_new(args, "signal", json_string(ctx->opt['s']));
	}
	if ((rc = cmd_call(ctx, "kill", args, &rep)) != EXIT_OK) {
		return rc;
	}
	if (ctx->json) {
		output_json(rep.data);
	} else {
		n = (long long)json_integer_value(
		    json_object_get(rep.data, "killed"));
		printf(
		    "signalled %lld run%s of %s\n", n, n == 1 ? "" : "s", what);
	}
	proto_reply_release(&rep);
	return EXIT_OK;
}

const struct cmd_entry cmd_kill_entry = {
	.name = "kill",
	.summary = "stop a task's running jobs, or one run by its id",
	.usage = "[--json] [-s signal] task|run-id",
	.help = "  -s, --signal SIG  send SIG (TERM, KILL, INT, 9 ...) to the "
	        "job's process\n"
	        "                    group once; without it, SIGTERM and then "
	        "SIGKILL after\n"
	        "                    the task's kill_grace\n"
	        "\nThe run is recorded as killed.\n",
	.getopt = "s:",
	.longopts = cmd_kill_longopts,
	.args_min = 1,
	.args_max = 1,
	.flags = CMD_NEEDS_DAEMON,
	.exec = cmd_kill_exec,
};
