/*
 * twctl next: the coming fires of the configured tasks, soonest first:
 * each task's next one, all fires merged (--all), or one task's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "output.h"
#include "timefmt.h"
#include "tz.h"
#include "xmalloc.h"

#define NEXT_DEFAULT_COUNT 10
#define NEXT_MAX_COUNT     1000

static const struct option cmd_next_longopts[] = {
	{ "count", required_argument, NULL, 'n' },
	{ "all", no_argument, NULL, 'a' },
	{ NULL, 0, NULL, 0 },
};

/* Each zone once: loading one reads decades of its transitions. */
static struct tz *
next_zone(struct tz ***zones, size_t *n, const char *name)
{
	char *cause = NULL;
	struct tz *z;
	size_t i;

	for (i = 0; i < *n; i++) {
		if (strcmp(tz_name((*zones)[i]), name) == 0) {
			return (*zones)[i];
		}
	}
	if ((z = tz_load(name, &cause)) == NULL) {
		free(cause);
		return NULL;
	}
	*zones = xreallocarray(*zones, *n + 1, sizeof **zones);
	(*zones)[(*n)++] = z;
	return z;
}

static int
cmd_next_exec(struct cmd_ctx *ctx)
{
	static const char *const headers[] = { "WHEN", "IN", "TASK", "NOTE",
		NULL };
	struct proto_reply rep;
	struct table *t;
	struct tz *local, *z, **zones = NULL;
	size_t nzones = 0;
	const char *cells[4], *zone;
	json_t *args = json_object(), *fires, *f;
	char when[40], in[32], *cause = NULL;
	int64_t now, at;
	size_t i;
	int count, rc, each;

	/* Each task once: as many as there are (up to the most) by default. */
	each = ctx->argc == 0 && ctx->opt['a'] == NULL;
	if ((count = cmd_count_option(ctx,
	         each ? NEXT_MAX_COUNT : NEXT_DEFAULT_COUNT, NEXT_MAX_COUNT)) ==
	    -1) {
		json_decref(args);
		return EXIT_USAGE;
	}
	if (ctx->argc == 1 && ctx->opt['a'] != NULL) {
		json_decref(args);
		output_error(ctx->json, "usage",
		    "--all merges every task's fires; with a task, its own "
		    "fires are shown");
		return EXIT_USAGE;
	}
	json_object_set_new(args, "count", json_integer(count));
	json_object_set_new(args, "each", json_boolean(each));
	if (ctx->argc == 1) {
		json_object_set_new(args, "task", json_string(ctx->argv[0]));
	}
	if ((rc = cmd_call_list(ctx, "next", args, "fires",
	         "nothing is scheduled", &rep, &fires)) != -1) {
		return rc;
	}
	local = tz_load(NULL, &cause);
	now = timefmt_now_ms();
	t = table_create(headers);
	json_array_foreach(fires, i, f)
	{
		at = json_get_time(f, "at");
		/* Each task's times read in its own zone, as its rule does. */
		zone = json_get_string(f, "timezone", NULL);
		z = zone != NULL ? next_zone(&zones, &nzones, zone) : NULL;
		tz_format_iso(z != NULL ? z : local, at, when, sizeof when);
		/* A task a change runs has no time: its note says what. */
		cells[0] = at != 0 ? when : "-";
		cells[1] =
		    at != 0 ? timefmt_relative(at, now, in, sizeof in) : "-";
		cells[2] = json_get_string(f, "task", "?");
		cells[3] = json_get_string(f, "note", "");
		table_add(t, cells);
	}
	table_print(t, stdout);
	tz_free(local);
	for (i = 0; i < nzones; i++) {
		tz_free(zones[i]);
	}
	free(zones);
	proto_reply_release(&rep);
	return EXIT_OK;
}

const struct cmd_entry cmd_next_entry = {
	.name = "next",
	.summary = "show when each task fires next, or all coming fires",
	.usage = "[--json] [-a] [-n count] [task]",
	.help = "  -a, --all          every task's coming fires merged, not "
	        "each task's next\n"
	        "  -n, --count COUNT  show COUNT fires (default: one a task; "
	        "10 with --all\n"
	        "                     or a task)\n",
	.getopt = "an:",
	.longopts = cmd_next_longopts,
	.args_min = 0,
	.args_max = 1,
	.flags = CMD_NEEDS_DAEMON | CMD_PAGED,
	.exec = cmd_next_exec,
};
