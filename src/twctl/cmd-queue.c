/*
 * twctl queue: the runs in flight and those waiting, in the order they
 * would start, with what each waits for: the one view of the one-off
 * queue, as task-spooler gives with no arguments.
 */
#include <stdio.h>

#include "cmd.h"
#include "output.h"
#include "timefmt.h"

static int
cmd_queue_exec(struct cmd_ctx *ctx)
{
	static const char *const headers[] = { "ID", "STATE", "POS", "TASK",
		"QUEUE", "SINCE", "WAITING FOR", NULL };
	struct proto_reply rep;
	struct table *t;
	const char *cells[7];
	json_t *runs, *r;
	char id[24], pos[24], since[32], name[160];
	int64_t now = timefmt_now_ms();
	size_t i;
	int rc;

	if ((rc = cmd_call_list(ctx, "queue", NULL, "runs",
	         "nothing is running or queued", &rep, &runs)) != -1) {
		return rc;
	}
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
	proto_reply_release(&rep);
	return EXIT_OK;
}

const struct cmd_entry cmd_queue_entry = {
	.name = "queue",
	.summary = "the runs going and waiting, in the order they start, and "
	           "what each waits for",
	.usage = "[--json]",
	.args_min = 0,
	.args_max = 0,
	.flags = CMD_NEEDS_DAEMON | CMD_PAGED,
	.exec = cmd_queue_exec,
};
