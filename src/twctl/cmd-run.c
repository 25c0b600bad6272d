/*
 * twctl run: start a task now, whatever its schedule.
 */
#include <stdio.h>

#include "cmd.h"
#include "output.h"

static int
cmd_run_exec(struct cmd_ctx *ctx)
{
	struct proto_reply rep;
	json_t *args = json_object();
	int rc;

	json_object_set_new(args, "task", json_string(ctx->argv[0]));
	if ((rc = cmd_call(ctx, "run", args, &rep)) != EXIT_OK) {
		return rc;
	}
	if (ctx->json) {
		output_json(rep.data);
	} else {
		printf("started run %lld of '%s'\n",
		    (long long)json_integer_value(
		        json_object_get(rep.data, "id")),
		    ctx->argv[0]);
	}
	proto_reply_release(&rep);
	return EXIT_OK;
}

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.summary = "start a task now and print its run id",
	.usage = "[--json] task",
	.help = "The run is recorded like a scheduled one, with trigger "
	        "\"manual\".\nSee its result with: twctl history TASK\n",
	.args_min = 1,
	.args_max = 1,
	.flags = CMD_NEEDS_DAEMON,
	.exec = cmd_run_exec,
};
