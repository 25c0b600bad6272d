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
	{ NULL, 0, NULL, 0 },
};

static int
cmd_run_exec(struct cmd_ctx *ctx)
{
	struct proto_reply rep;
	json_t *args = json_object();
	const char *status;
	long long id;
	int rc;

	json_object_set_new(args, "task", json_string(ctx->argv[0]));
	if (ctx->opt['f'] != NULL) {
		json_object_set_new(args, "force", json_true());
	}
	if ((rc = cmd_call(ctx, "run", args, &rep)) != EXIT_OK) {
		return rc;
	}
	id = (long long)json_integer_value(json_object_get(rep.data, "id"));
	status = json_get_string(rep.data, "status", "");
	if (ctx->json) {
		output_json(rep.data);
	} else if (strcmp(status, "queued") == 0) {
		printf("queued run %lld of '%s': %s\n", id, ctx->argv[0],
		    json_get_string(rep.data, "waiting", "waiting for a slot"));
	} else {
		printf("started run %lld of '%s'\n", id, ctx->argv[0]);
	}
	proto_reply_release(&rep);
	return EXIT_OK;
}

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.summary = "run a task now, through the queue, and print its run id",
	.usage = "[--json] [-f] task",
	.help = "  -f, --force      run it even if a run of it is going "
	        "(its overlap\n"
	        "                   policy would skip or queue it)\n"
	        "\nThe run is recorded like a scheduled one, with trigger "
	        "\"manual\".\nIt starts at once when a slot is free, else "
	        "it is queued.\nSee its result with: twctl history TASK\n",
	.getopt = "f",
	.longopts = cmd_run_longopts,
	.args_min = 1,
	.args_max = 1,
	.flags = CMD_NEEDS_DAEMON,
	.exec = cmd_run_exec,
};
