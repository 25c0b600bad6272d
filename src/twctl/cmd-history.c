/*
 * twctl history: recent runs, newest first, of one task or of all.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "duration.h"
#include "output.h"
#include "timefmt.h"
#include "tz.h"

#define HISTORY_LIMIT_DEFAULT 20
#define HISTORY_LIMIT_MAX     1000

static const struct option cmd_history_longopts[] = {
	{ "limit", required_argument, NULL, 'n' },
	{ "status", required_argument, NULL, 's' },
	{ "since", required_argument, NULL, 'S' },
	{ NULL, 0, NULL, 0 },
};

static int
cmd_history_exec(struct cmd_ctx *ctx)
{
	struct proto_reply rep;
	json_t *args, *runs;
	int rc;

	if ((args = cmd_window_args(
	         ctx, HISTORY_LIMIT_DEFAULT, HISTORY_LIMIT_MAX)) == NULL) {
		return EXIT_USAGE;
	}
	if (ctx->opt['s'] != NULL) {
		json_object_set_new(args, "status", json_string(ctx->opt['s']));
	}
	if (ctx->argc == 1) {
		json_object_set_new(args, "task", json_string(ctx->argv[0]));
	}
	if ((rc = cmd_call_list(ctx, "history", args, "runs", "no runs yet",
	         &rep, &runs)) != -1) {
		return rc;
	}
	output_runs(runs, 1);
	proto_reply_release(&rep);
	return EXIT_OK;
}

const struct cmd_entry cmd_history_entry = {
	.name = "history",
	.summary = "show recent runs, newest first",
	.usage = "[--json] [-n count] [--status status] [--since when] [task]",
	.help = "  -n, --limit COUNT    show at most COUNT runs (default 20)\n"
	        "  -s, --status S       only runs that ended so (ok, failed, "
	        "timeout, killed,\n"
	        "                       start_failed, lost) or are running\n"
	        "  -S, --since WHEN     only runs started since WHEN: a "
	        "duration back (2h)\n"
	        "                       or a date and time "
	        "(2026-11-22T08:00)\n",
	.getopt = "n:s:S:",
	.longopts = cmd_history_longopts,
	.args_min = 0,
	.args_max = 1,
	.flags = CMD_NEEDS_DAEMON | CMD_PAGED,
	.exec = cmd_history_exec,
};
