/*
 * twctl reload: load the tasks file again, all or nothing, and say what
 * changed; --dry-run says it without changing anything.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "output.h"
#include "timefmt.h"

static const struct option cmd_reload_longopts[] = {
	{ "dry-run", no_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 },
};

/* "2026-12-01 02:30:00", or "none" for a null. */
static const char *
reload_when(const json_t *v, char *buf, size_t len)
{
	int64_t ms;

	if (!json_is_string(v) ||
	    timefmt_parse_iso(json_string_value(v), &ms) == -1) {
		return "none";
	}
	return timefmt_local(ms, buf, len);
}

static int
cmd_reload_exec(struct cmd_ctx *ctx)
{
	struct proto_reply rep;
	json_t *args = json_object(), *v, *f;
	const char *before, *after;
	char a[32], b[32];
	size_t i, j, n = 0;
	int rc;

	if (ctx->opt['n'] != NULL) {
		json_object_set_new(args, "dry_run", json_true());
	}
	if ((rc = cmd_call(ctx, "reload", args, &rep)) != EXIT_OK) {
		return rc;
	}
	if (ctx->json) {
		output_json(rep.data);
		proto_reply_release(&rep);
		return EXIT_OK;
	}
	json_array_foreach(json_object_get(rep.data, "added"), i, v)
	{
		printf("+ %s (next: %s)\n", json_get_string(v, "task", "?"),
		    reload_when(json_object_get(v, "next"), a, sizeof a));
		n++;
	}
	json_array_foreach(json_object_get(rep.data, "removed"), i, v)
	{
		printf("- %s\n", json_string_value(v));
		n++;
	}
	json_array_foreach(json_object_get(rep.data, "changed"), i, v)
	{
		printf("~ %s:", json_get_string(v, "task", "?"));
		json_array_foreach(json_object_get(v, "fields"), j, f)
		{
			printf("%s %s", j > 0 ? "," : "", json_string_value(f));
		}
		before =
		    reload_when(json_object_get(v, "next_before"), a, sizeof a);
		after =
		    reload_when(json_object_get(v, "next_after"), b, sizeof b);
		printf(" (next: %s%s%s)\n", before,
		    strcmp(before, after) != 0 ? " -> " : "",
		    strcmp(before, after) != 0 ? after : "");
		n++;
	}
	printf("%s%s\n", n == 0 ? "no changes" : "",
	    ctx->opt['n'] != NULL ? (n == 0 ? " (dry run)"
	                                    : "(dry run: nothing "
	                                      "was changed)")
	                          : "");
	proto_reply_release(&rep);
	return EXIT_OK;
}

const struct cmd_entry cmd_reload_entry = {
	.name = "reload",
	.summary = "load the tasks file again and say what changed",
	.usage = "[--json] [-n]",
	.help = "  -n, --dry-run    say what would change, and change nothing\n"
	        "\nThe file is checked whole first: with any error, nothing "
	        "changes, the\nerrors are printed and the exit status is 1. "
	        "Each change is a line:\n+ an added task, - a removed one, ~ a "
	        "changed one with its fields\nand its next fire before and "
	        "after.\n",
	.getopt = "n",
	.longopts = cmd_reload_longopts,
	.args_min = 0,
	.args_max = 0,
	.flags = CMD_NEEDS_DAEMON,
	.exec = cmd_reload_exec,
};
