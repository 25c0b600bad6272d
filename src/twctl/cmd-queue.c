/*
 * twctl queue: the runs in flight and those waiting, in the order they
 * would start, with what each waits for: the one view of the one-off
 * queue, as task-spooler gives with no arguments; and the submitted jobs
 * that have ended since twctl clean.
 */
#include <stdio.h>

#include "cmd.h"
#include "output.h"
#include "timefmt.h"

/* The runs in flight and waiting, as a table. */
static void
queue_print_active(const json_t *runs)
{
	static const char *const headers[] = { "ID", "STATE", "POS", "TASK",
		"QUEUE", "SINCE", "WAITING FOR", NULL };
	struct table *t;
	const char *cells[7];
	char id[24], pos[24], since[32], name[160];
	int64_t now = timefmt_now_ms();
	json_t *r;
	size_t i;

	t = table_create(headers);
	json_array_foreach(runs, i, r)
	{
		snprintf(id, sizeof id, "%lld",
		    (long long)json_integer_value(json_object_get(r, "id")));
		if (json_is_integer(json_object_get(r, "position"))) {
			snprintf(pos, sizeof pos, "%lld",
			    (long long)json_integer_value(
			        json_object_get(r, "position")));
		} else {
			snprintf(pos, sizeof pos, "-");
		}
		cells[0] = id;
		cells[1] = json_get_string(r, "status", "?");
		cells[2] = pos;
		cells[3] = output_run_name(r, name, sizeof name);
		cells[4] = json_get_string(r, "queue", "-");
		/* Running: since it started; queued: since it was queued. */
		cells[5] = timefmt_relative(
		    json_get_time(r, "started_at"), now, since, sizeof since);
		cells[6] = json_get_string(r, "waiting", "");
		table_add(t, cells);
	}
	table_print(t, stdout);
}

static int
cmd_queue_exec(struct cmd_ctx *ctx)
{
	struct proto_reply rep;
	json_t *runs, *done, *all;
	json_int_t total;
	int rc;

	if ((rc = cmd_call(ctx, "queue", NULL, &rep)) != EXIT_OK) {
		return rc;
	}
	runs = json_object_get(rep.data, "runs");
	done = json_object_get(rep.data, "done");
	total = json_integer_value(json_object_get(rep.data, "done_total"));
	if (ctx->json) {
		/* One list: in flight and waiting, then finished. */
		all = json_array();
		json_array_extend(all, runs);
		json_array_extend(all, done);
		output_json(all);
		json_decref(all);
	} else {
		if (json_array_size(runs) == 0) {
			printf("nothing is running or queued\n");
		} else {
			queue_print_active(runs);
		}
		if (json_array_size(done) > 0) {
			printf("\nfinished (twctl clean takes them off this "
			       "list, not out of the history):\n");
			output_runs(done, 1);
		}
		if (total > (json_int_t)json_array_size(done)) {
			printf(
			    "and %lld finished before them (twctl history)\n",
			    (long long)(total -
			        (json_int_t)json_array_size(done)));
		}
	}
	proto_reply_release(&rep);
	return EXIT_OK;
}

const struct cmd_entry cmd_queue_entry = {
	.name = "queue",
	.summary = "the runs going and waiting, in the order they start, "
	           "what each waits for, and the submitted jobs that ended",
	.usage = "[--json]",
	.args_min = 0,
	.args_max = 0,
	.flags = CMD_NEEDS_DAEMON | CMD_PAGED,
	.exec = cmd_queue_exec,
};
