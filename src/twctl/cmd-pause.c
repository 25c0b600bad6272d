/*
 * twctl pause and resume: a paused task starts no run (its fires are
 * recorded as skipped, its queued runs wait); a paused queue starts none
 * of its runs (they wait); --all pauses every task and submitted job.
 * Runs in flight go on.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "output.h"

static const struct option cmd_pause_longopts[] = {
	{ "all", no_argument, NULL, 'a' },
	{ "queue", required_argument, NULL, 'q' },
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

	if ((ctx->argc == 1) + (ctx->opt['a'] != NULL) +
	        (ctx->opt['q'] != NULL) !=
	    1) {
		json_decref(args);
		output_error(ctx->json, "usage",
		    "%s: give a task, --queue QUEUE or --all", verb);
		return EXIT_USAGE;
	}
	if (ctx->argc == 1) {
		json_object_set_new(args, "task", json_string(ctx->argv[0]));
	} else if (ctx->opt['q'] != NULL) {
		json_object_set_new(args, "queue", json_string(ctx->opt['q']));
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
		json_array_foreach(json_object_get(rep.data, "queues"), i, v)
		{
			printf("%s queue %s\n",
			    strcmp(verb, "pause") == 0 ? "paused" : "resumed",
			    json_string_value(v));
		}
		if (json_is_true(json_object_get(rep.data, "submitted"))) {
			printf("%s submitted jobs\n",
			    strcmp(verb, "pause") == 0 ? "paused" : "resumed");
		}
	}
	proto_reply_release(&rep);
	return EXIT_OK;
}

const struct cmd_entry cmd_pause_entry = {
	.name = "pause",
	.summary = "start no run of a task, a queue (or all) until resumed",
	.usage = "[--json] task | --queue queue | --all",
	.help = "  -q, --queue QUEUE  every run of a queue of the tasks file\n"
	        "  -a, --all          every task, and the submitted jobs\n"
	        "\nRuns in flight go on; fires of a paused task are recorded "
	        "as skipped,\nqueued runs wait (a paused queue's fires are "
	        "queued, and wait). It\nstays paused across restarts of "
	        "twd.\n",
	.getopt = "aq:",
	.longopts = cmd_pause_longopts,
	.args_min = 0,
	.args_max = 1,
	.flags = CMD_NEEDS_DAEMON,
	.exec = cmd_pause_exec,
};

const struct cmd_entry cmd_resume_entry = {
	.name = "resume",
	.summary = "let a paused task, queue (or all) run again",
	.usage = "[--json] task | --queue queue | --all",
	.help = "  -q, --queue QUEUE  every run of a queue of the tasks file\n"
	        "  -a, --all          every task, and the submitted jobs\n",
	.getopt = "aq:",
	.longopts = cmd_pause_longopts,
	.args_min = 0,
	.args_max = 1,
	.flags = CMD_NEEDS_DAEMON,
	.exec = cmd_pause_exec,
};
