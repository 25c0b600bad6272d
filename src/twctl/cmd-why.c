/*
 * twctl why: why a task's last fire did or did not run, and what its next
 * run waits for, in words, from the history and the live queue.
 */
#include <stdio.h>

#include "cmd.h"
#include "output.h"

static const struct option cmd_why_longopts[] = {
	{ "at", required_argument, NULL, 'a' },
	{ NULL, 0, NULL, 0 },
};

static int
cmd_why_exec(struct cmd_ctx *ctx)
{
	struct proto_reply rep;
	json_t *args = json_object();
	char iso[64];
	int rc;

	json_object_set_new(args, "task", json_string(ctx->argv[0]));
	if (ctx->opt['a'] != NULL) {
		if (cmd_when_option(
		        ctx, "--at", ctx->opt['a'], iso, sizeof iso) == -1) {
			json_decref(args);
			return EXIT_USAGE;
		}
		json_object_set_new(args, "at", json_string(iso));
	}
	if ((rc = cmd_call(ctx, "why", args, &rep)) != EXIT_OK) {
		return rc;
	}
	if (ctx->json) {
		output_json(rep.data);
	} else {
		printf("%s: %s\n", ctx->opt['a'] != NULL ? "then" : "last",
		    json_get_string(rep.data, "last", "?"));
		if (json_object_get(rep.data, "next") != NULL) {
			printf("next: %s\n",
			    json_get_string(rep.data, "next", "?"));
		}
	}
	proto_reply_release(&rep);
	return EXIT_OK;
}

const struct cmd_entry cmd_why_entry = {
	.name = "why",
	.summary = "say why a task ran or did not, and what it waits for",
	.usage = "[--json] [--at when] task",
	.help = "  -a, --at WHEN    its fire or run at WHEN instead of the "
	        "last: a date and\n"
	        "                   time (2026-11-22T08:00, local) or a "
	        "duration back (2h)\n"
	        "\nFrom the history: a run and how it ended, or why a fire "
	        "did not run\n(skipped by overlap, paused, missed while twd "
	        "was down, past its\nstarting deadline), and what the next "
	        "run waits for (its schedule,\na slot, a dependency, a retry, "
	        "a pause).\n",
	.getopt = "a:",
	.longopts = cmd_why_longopts,
	.args_min = 1,
	.args_max = 1,
	.flags = CMD_NEEDS_DAEMON,
	.exec = cmd_why_exec,
};
