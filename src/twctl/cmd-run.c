/*
 * twctl run: a run of a task now, whatever its schedule. It goes through
 * the queue like any run: started at once when a slot is free, else queued.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "output.h"

static const struct option cmd_run_longopts[] = {
	{ "force", no_argument, NULL, 'f' },
	{ "wait", no_argument, NULL, 'w' },
	{ NULL, 0, NULL, 0 },
};

static int
cmd_run_exec(struct cmd_ctx *ctx)
{
	struct proto_reply rep;
	json_t *args = json_object();
	int rc, wait = ctx->opt['w'] != NULL;

	json_object_set_new(args, "task", json_string(ctx->argv[0]));
	if (ctx->opt['f'] != NULL) {
		json_object_set_new(args, "force", json_true());
	}
	/* Before the run exists, so that its end cannot pass unseen. */
	if (wait &&
	    (rc = cmd_call(ctx, "subscribe",
	         json_pack("{s:[s]}", "events", "run.finished"), &rep)) !=
	        EXIT_OK) {
		json_decref(args);
		return rc;
	}
	if (wait) {
		proto_reply_release(&rep);
	}
	if ((rc = cmd_call(ctx, "run", args, &rep)) != EXIT_OK) {
		return rc;
	}
	rc = cmd_run_started(ctx, rep.data, wait);
	proto_reply_release(&rep);
	return rc;
}

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.summary = "run a task now, through the queue, and print its run id",
	.usage = "[--json] [-f] [-w] task",
	.help = "  -f, --force      run it even if a run of it is going "
	        "(its overlap\n"
	        "                   policy would skip or queue it)\n"
	        "  -w, --wait       wait until the run ends and exit with its "
	        "status\n"
	        "                   (128 + N for signal N, 1 if it did not "
	        "run)\n"
	        "\nThe run is recorded like a scheduled one, with trigger "
	        "\"manual\".\nIt starts at once when a slot is free, else "
	        "it is queued.\nSee its result with: twctl history TASK\n",
	.getopt = "fw",
	.longopts = cmd_run_longopts,
	.args_min = 1,
	.args_max = 1,
	.flags = CMD_NEEDS_DAEMON,
	.exec = cmd_run_exec,
};
