/*
 * twctl list: every task with its schedule, next run and last result.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "dash-model.h"
#include "output.h"
#include "timefmt.h"

/* What NEXT says for a task with no next run. */
static const char *
list_no_next(const char *state)
{
	if (strcmp(state, "done") == 0) {
		return "done";
	}
	if (strcmp(state, "boot") == 0) {
		return "at boot";
	}
	return "-";
}

static int
cmd_list_exec(struct cmd_ctx *ctx)
{
	static const char *const headers[] = { "TASK", "STATE", "SCHEDULE",
		"NEXT", "LAST", "RESULT", NULL };
	struct proto_reply rep;
	struct table *t;
	const char *cells[6];
	json_t *tasks, *task, *last;
	char next[32], when[32], result[64], sched[512];
	int64_t now = timefmt_now_ms(), ms;
	size_t i;
	int rc;

	if ((rc = cmd_call(ctx, "list", NULL, &rep)) != EXIT_OK) {
		return rc;
	}
	tasks = json_object_get(rep.data, "tasks");
	if (ctx->opt['q'] != NULL && !ctx->json) {
		json_array_foreach(tasks, i, task)
		{
			printf("%s\n", json_get_string(task, "name", "?"));
		}
		proto_reply_release(&rep);
		return EXIT_OK;
	}
	if (ctx->json) {
		output_json(tasks);
		proto_reply_release(&rep);
		return EXIT_OK;
	}
	if (json_array_size(tasks) == 0) {
		printf("no tasks; add some to the tasks file, see "
		       "taskweaver(5)\n");
		proto_reply_release(&rep);
		return EXIT_OK;
	}
	t = table_create(headers);
	json_array_foreach(tasks, i, task)
	{
		last = json_object_get(task, "last_run");
		cells[0] = json_get_string(task, "name", "?");
		cells[1] = dash_state_of(task);
		cells[2] = output_schedule(task, "manual", sched, sizeof sched);
		ms = json_get_time(task, "next_run");
		cells[3] = ms != 0
		    ? timefmt_relative(ms, now, next, sizeof next)
		    : list_no_next(json_get_string(task, "state", ""));
		ms = json_get_time(last, "started_at");
		cells[4] = ms != 0
		    ? timefmt_relative(ms, now, when, sizeof when)
		    : "never";
		cells[5] = json_is_object(last)
		    ? output_run_result(last, result, sizeof result)
		    : "-";
		table_add(t, cells);
	}
	table_print(t, stdout);
	proto_reply_release(&rep);
	return EXIT_OK;
}

static const struct option cmd_list_longopts[] = {
	{ "quiet", no_argument, NULL, 'q' },
	{ NULL, 0, NULL, 0 },
};

const struct cmd_entry cmd_list_entry = {
	.name = "list",
	.summary = "list tasks: state, schedule, next run, last run and its "
	           "result",
	.usage = "[--json] [-q]",
	.help = "  -q, --quiet  print only the task names, one per line\n",
	.getopt = "q",
	.longopts = cmd_list_longopts,
	.args_min = 0,
	.args_max = 0,
	.flags = CMD_NEEDS_DAEMON | CMD_PAGED,
	.exec = cmd_list_exec,
};
