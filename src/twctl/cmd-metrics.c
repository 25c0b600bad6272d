/*
 * twctl metrics: what Prometheus would scrape, in its text format, from
 * the daemon itself (whether or not metrics: serves it over HTTP).
 */
#include <stdio.h>

#include "cmd.h"
#include "output.h"

static int
cmd_metrics_exec(struct cmd_ctx *ctx)
{
	struct proto_reply rep;
	const json_t *text;
	int rc;

	if ((rc = cmd_call(ctx, "metrics", NULL, &rep)) != EXIT_OK) {
		return rc;
	}
	if (ctx->json) {
		output_json(rep.data);
	} else {
		text = json_object_get(rep.data, "text");
		fwrite(json_string_value(text), 1, json_string_length(text),
		    stdout);
	}
	proto_reply_release(&rep);
	return EXIT_OK;
}

const struct cmd_entry cmd_metrics_entry = {
	.name = "metrics",
	.summary = "the metrics, as Prometheus scrapes them",
	.usage = "[--json]",
	.help = "Prints the Prometheus text format (0.0.4): the same text twd "
	        "serves at\n/metrics when the tasks file has metrics: "
	        "{listen: ...}. --json adds where\nit is served "
	        "(listen, listen_error).\n",
	.args_min = 0,
	.args_max = 0,
	.flags = CMD_NEEDS_DAEMON | CMD_PAGED,
	.exec = cmd_metrics_exec,
};
