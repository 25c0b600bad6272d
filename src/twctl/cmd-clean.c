/*
 * twctl clean: the submitted jobs that have ended go off twctl queue's
 * list (as pueue clean does); their runs stay in the history.
 */
#include <stdio.h>

#include "cmd.h"
#include "output.h"

static const struct option cmd_clean_longopts[] = {
	{ "successful", no_argument, NULL, 's' },
	{ NULL, 0, NULL, 0 },
};

static int
cmd_clean_exec(struct cmd_ctx *ctx)
{
	struct proto_reply rep;
	long long n;
	int rc;

	rc = cmd_call(ctx, "clean",
	    json_pack("{s:b}", "ok_only", ctx->opt['s'] != NULL), &rep);
	if (rc != EXIT_OK) {
		return rc;
	}
	n = (long long)json_integer_value(json_object_get(rep.data, "cleaned"));
	if (ctx->json) {
		output_json(rep.data);
	} else {
		printf("%lld finished job%s off the queue's list (twctl "
		       "history still has %s)\n",
		    n, n == 1 ? "" : "s", n == 1 ? "it" : "them");
	}
	proto_reply_release(&rep);
	return EXIT_OK;
}

const struct cmd_entry cmd_clean_entry = {
	.name = "clean",
	.summary = "take the submitted jobs that ended off twctl queue's list",
	.usage = "[--json] [-s]",
	.help = "  -s, --successful     only those that succeeded\n"
	        "\nTheir runs stay in the history (twctl history).\n",
	.getopt = "s",
	.longopts = cmd_clean_longopts,
	.args_min = 0,
	.args_max = 0,
	.flags = CMD_NEEDS_DAEMON,
	.exec = cmd_clean_exec,
};
