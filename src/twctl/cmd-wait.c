/*
 * twctl wait: wait until runs end, as pueue wait does: runs by their ids,
 * or the newest run of tasks; exits with the run's status.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "output.h"

/* Whether a run's record says it has not ended yet. */
static int
wait_in_flight(const json_t *run)
{
	const char *status = json_get_string(run, "status", "");

	return strcmp(status, "running") == 0 || strcmp(status, "queued") == 0;
}

static int
cmd_wait_exec(struct cmd_ctx *ctx)
{
	struct proto_reply rep;
	json_t *pending = json_array(), *ended = json_array(), *last = NULL;
	json_t *args, *run, *v;
	int64_t id;
	size_t i;
	int rc, r, n, failed = 0;

	/* First: a run that ends from here on cannot pass unseen. */
	if ((rc = cmd_call(ctx, "subscribe",
	         json_pack("{s:[s]}", "events", "run.finished"), &rep)) !=
	    EXIT_OK) {
		goto done;
	}
	proto_reply_release(&rep);
	for (n = 0; n < ctx->argc; n++) {
		if ((r = cmd_run_id(ctx, NULL, ctx->argv[n], &id)) == -1) {
			rc = EXIT_USAGE;
			goto done;
		}
		args = r == 1 ? json_pack("{s:I}", "run", (json_int_t)id)
		              : json_pack("{s:s}", "task", ctx->argv[n]);
		if ((rc = cmd_call(ctx, "logs", args, &rep)) != EXIT_OK) {
			goto done;
		}
		run = json_object_get(rep.data, "run");
		if (wait_in_flight(run)) {
			json_array_append(pending, json_object_get(run, "id"));
		} else {
			json_array_append(ended, run);
		}
		proto_reply_release(&rep);
	}
	rc = EXIT_OK;
	if (json_array_size(pending) > 0) {
		rc = cmd_wait_runs(ctx, pending, &last, ended);
		if (rc == EXIT_UNREACHABLE) {
			goto done;
		}
	}
	json_array_foreach(ended, i, v)
	{
		failed |= strcmp(json_get_string(v, "status", ""), "ok") != 0;
		if (!ctx->json) {
			cmd_print_ended(ctx, v);
		}
	}
	if (ctx->json) {
		output_json(ended);
	}
	rc = json_array_size(ended) == 1
	    ? cmd_run_exit_status(json_array_get(ended, 0))
	    : (failed ? EXIT_FAIL : EXIT_OK);
done:
	json_decref(last);
	json_decref(pending);
	json_decref(ended);
	return rc;
}

const struct cmd_entry cmd_wait_entry = {
	.name = "wait",
	.summary = "wait until runs end, by run id or a task's newest run",
	.usage = "[--json] run-id|task ...",
	.help = "Each task stands for its newest run; one that has ended is "
	        "reported at once.\nThe exit status is the run's own (128 + "
	        "N for signal N, 1 if it did not run);\nwith several, 0 when "
	        "every one succeeded, else 1.\n",
	.args_min = 1,
	.args_max = 64,
	.flags = CMD_NEEDS_DAEMON,
	.exec = cmd_wait_exec,
};
