/*
 * twctl pause and resume: a paused task starts no run (its fires are
 * recorded as skipped, its queued runs wait); runs in flight go on.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "output.h"

static const struct option cmd_pause_longopts[] = {
	{ "all", no_argument, NULL, 'a' },
	{ NULL, 0, NULL, 0 },
};

static int
cmd_pause_exec(struct cmd_ctx *ctx)
{
	const char *verb = ctx->entry->name;
	struct proto_reply rep;
	json_t *args = json_object(), *v;
	size_t i;
	int rc;

	if ((ctx->argc == 1) == (ctx->opt['a'] != NULL)) {
		json_decref(args);
		output_error(
		    ctx->json, "usage", "%s: give a task or --all", verb);
		return EXIT_USAGE;
	}
	if (ctx->argc == 1) {
		json_object_set_new(args, "task", json_string(ctx->argv[0]));
	} else {
		json_object_set_new(args, "all", json_true());
	}
	if ((rc = cmd_call(ctx, verb, args, &rep)) != EXIT_OK) {
		return rc;
	}
	if (ctx->json) {
		output_json(rep.data);
	} else {
		json_array_foreach(json_object_get(rep.data, "tasks"), i, v)
		{
			printf("%s %s\n",
			    strcmp(verb, "pause") == 0 ? "paused" : "resumed",
			    json_string_value(v));
		}
	}
	proto_reply_release(&rep);
	return EXIT_OK;
}

const struct cmd_entry cmd_pause_entry = {
	.name = "pause",
	.summary = "start no run of a task (or of all) until resumed",
	.usage = "[--json] task | --all",
	.help = "  -a, --all        every task\n"
	        "\nRuns in flight go on; fires while paused are recorded "
	        "as skipped,\nqueued runs wait. It stays paused across "
	        "restarts of twd.\n",
	.getopt = "a",
	.longopts = cmd_pause_longopts,
	.args_min = 0,
	.args_max = 1,
	.flags = CMD_NEEDS_DAEMON,
	.exec = cmd_pause_exec,
};

const struct cmd_entry cmd_resume_entry = {
	.name = "resume",
	.summary = "let a paused task (or all) run again",
	.usage = "[--json] task | --all",
	.help = "  -a, --all        every task\n",
	.getopt = "a",
	.longopts = cmd_pause_longopts,
	.args_min = 0,
	.args_max = 1,
	.flags = CMD_NEEDS_DAEMON,
	.exec = cmd_pause_exec,
};
