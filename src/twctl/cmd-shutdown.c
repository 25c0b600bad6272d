/*
 * twctl shutdown: stop the daemon, by default waiting until it has gone,
 * so that "twctl shutdown && twd" restarts it reliably.
 */
#include <stdio.h>

#include "client.h"
#include "cmd.h"
#include "output.h"

static const struct option cmd_shutdown_longopts[] = {
	{ "no-wait", no_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 },
};

static int
cmd_shutdown_exec(struct cmd_ctx *ctx)
{
	struct proto_reply rep;
	long long pid, running;
	int rc;

	if ((rc = cmd_call(ctx, "shutdown", NULL, &rep)) != EXIT_OK) {
		return rc;
	}
	pid = (long long)json_integer_value(json_object_get(rep.data, "pid"));
	running =
	    (long long)json_integer_value(json_object_get(rep.data, "running"));
	if (!ctx->json) {
		if (running > 0) {
			printf("twd (pid %lld) is stopping; %lld running "
			       "job%s may finish for %gs\n",
			    pid, running, running == 1 ? "" : "s",
			    json_number_value(
			        json_object_get(rep.data, "grace")));
		} else {
			printf("twd (pid %lld) is stopping\n", pid);
		}
		fflush(stdout);
	}
	if (ctx->opt['n'] == NULL) {
		conn_wait_close(ctx->conn);
		if (!ctx->json) {
			printf("twd stopped\n");
		}
	}
	if (ctx->json) {
		output_json(rep.data);
	}
	proto_reply_release(&rep);
	return EXIT_OK;
}

const struct cmd_entry cmd_shutdown_entry = {
	.name = "shutdown",
	.summary = "stop the daemon after running jobs finish",
	.usage = "[--json] [-n]",
	.help = "Running jobs may finish within twd's grace period (twd "
	        "--grace), then are\nstopped and recorded as killed. "
	        "Asking twice skips the rest of the grace.\n\n"
	        "  -n, --no-wait  return at once instead of waiting for twd "
	        "to exit\n",
	.getopt = "n",
	.longopts = cmd_shutdown_longopts,
	.args_min = 0,
	.args_max = 0,
	.flags = CMD_NEEDS_DAEMON,
	.exec = cmd_shutdown_exec,
};
