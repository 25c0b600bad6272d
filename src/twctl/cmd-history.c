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

#define HISTORY_LIMIT_DEFAULT 20
#define HISTORY_LIMIT_MAX     1000

static const struct option cmd_history_longopts[] = {
	{ "limit", required_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 },
};

static int
cmd_history_exec(struct cmd_ctx *ctx)
{
	static const char *const headers[] = { "ID", "TASK", "STARTED",
		"DURATION", "RESULT", NULL };
	struct proto_reply rep;
	struct table *t;
	const char *cells[5];
	json_t *args = json_object(), *runs, *run;
	char id[24], started[32], dur[32], result[64];
	int64_t start, finish;
	int limit;
	size_t i;
	int rc;

	if ((limit = cmd_count_option(
	         ctx, HISTORY_LIMIT_DEFAULT, HISTORY_LIMIT_MAX)) == -1) {
		json_decref(args);
		return EXIT_USAGE;
	}
	json_object_set_new(args, "limit", json_integer(limit));
	if (ctx->argc == 1) {
		json_object_set_new(args, "task", json_string(ctx->argv[0]));
	}
	if ((rc = cmd_call(ctx, "history", args, &rep)) != EXIT_OK) {
		return rc;
	}
	runs = json_object_get(rep.data, "runs");
	if (ctx->json) {
		output_json(runs);
		proto_reply_release(&rep);
		return EXIT_OK;
	}
	if (json_array_size(runs) == 0) {
		printf("no runs yet\n");
		proto_reply_release(&rep);
		return EXIT_OK;
	}
	t = table_create(headers);
	json_array_foreach(runs, i, run)
	{
		snprintf(id, sizeof id, "%lld",
		    (long long)json_integer_value(json_object_get(run, "id")));
		start = json_get_time(run, "started_at");
		finish = json_get_time(run, "finished_at");
		cells[0] = id;
		cells[1] = json_get_string(run, "task", "?");
		cells[2] = timefmt_local(start, started, sizeof started);
		cells[3] = finish != 0
		    ? duration_format_ms(finish - start, dur, sizeof dur)
		    : "-";
		cells[4] = output_run_result(run, result, sizeof result);
		table_add(t, cells);
	}
	table_print(t, stdout);
	proto_reply_release(&rep);
	return EXIT_OK;
}

const struct cmd_entry cmd_history_entry = {
	.name = "history",
	.summary = "show recent runs, newest first",
	.usage = "[--json] [-n count] [task]",
	.help = "  -n, --limit COUNT  show at most COUNT runs (default 20)\n",
	.getopt = "n:",
	.longopts = cmd_history_longopts,
	.args_min = 0,
	.args_max = 1,
	.flags = CMD_NEEDS_DAEMON,
	.exec = cmd_history_exec,
};
