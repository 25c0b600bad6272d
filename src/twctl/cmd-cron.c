/*
 * twctl cron: preview a cron expression's next fires, DST notes included,
 * without the daemon.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "output.h"
#include "schedule.h"
#include "timefmt.h"
#include "tz.h"
#include "xmalloc.h"

#define CRON_DEFAULT_COUNT 5
#define CRON_MAX_COUNT     1000

static const struct option cmd_cron_longopts[] = {
	{ "tz", required_argument, NULL, 'z' },
	{ "from", required_argument, NULL, 'f' },
	{ "count", required_argument, NULL, 'n' },
	{ "task", required_argument, NULL, 't' },
	{ NULL, 0, NULL, 0 },
};

/* "Mon": the weekday of instant ms on the zone's wall clock. */
static const char *
cron_weekday(const struct tz *z, int64_t ms)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
		"Fri", "Sat" };
	int64_t t = ms / 1000, local = t + tz_offset(z, t);
	int64_t d = (local >= 0 ? local : local - 86399) / 86400;

	return days[((d + 4) % 7 + 7) % 7]; /* 1970-01-01 was a Thursday */
}

static int
cmd_cron_exec(struct cmd_ctx *ctx)
{
	struct schedule_fire fire;
	struct schedule *s = NULL;
	struct tz *z;
	json_t *out = json_array(), *o;
	char *cause = NULL, *warning = NULL, when[40], note[128], rel[48];
	const char *task = ctx->opt['t'] != NULL ? ctx->opt['t'] : "";
	int64_t now, from;
	int count, i, rc = EXIT_FAIL;

	if ((count = cmd_count_option(
	         ctx, CRON_DEFAULT_COUNT, CRON_MAX_COUNT)) == -1) {
		json_decref(out);
		return EXIT_USAGE;
	}
	if ((z = tz_load(ctx->opt['z'], &cause)) == NULL) {
		goto fail;
	}
	if ((s = schedule_cron_seeded(ctx->argv[0], schedule_seed(task),
	         &warning, &cause)) == NULL) {
		goto fail;
	}
	/* Said apart from the times: the JSON list stays a list of them. */
	if (warning != NULL) {
		fprintf(stderr, "twctl: warning: %s\n", warning);
		free(warning);
	}
	if (strcmp(schedule_text(s), ctx->argv[0]) != 0 &&
	    strchr(ctx->argv[0], '~') != NULL) {
		fprintf(stderr, "twctl: %s, for a task named '%s'\n",
		    schedule_text(s), task);
	}
	schedule_set_tz(s, z);
	now = timefmt_now_ms();
	if (ctx->opt['f'] != NULL &&
	    tz_parse_iso(z, ctx->opt['f'], &now, &cause) == -1) {
		goto fail;
	}
	/* Each fire is told relative to the start: now, or --from. */
	from = now;
	if (schedule_is_reboot(s)) {
		cause = xasprintf("@reboot fires once per boot of the machine, "
		                  "when twd starts; it has no times to show");
		goto fail;
	}
	for (i = 0; i < count && schedule_next_fire(s, 0, now, &fire); i++) {
		tz_format_iso(z, fire.at_ms, when, sizeof when);
		if (fire.note != SCHEDULE_NOTE_NONE) {
			schedule_note_text(&fire, note, sizeof note);
		}
		timefmt_relative(fire.at_ms, from, rel, sizeof rel);
		if (ctx->json) {
			o = json_object();
			json_object_set_new(o, "at", json_string(when));
			json_object_set_new(o, "weekday",
			    json_string(cron_weekday(z, fire.at_ms)));
			json_object_set_new(o, "in",
			    json_real((double)(fire.at_ms - from) / 1000));
			json_object_set_new(o, "note",
			    fire.note != SCHEDULE_NOTE_NONE ? json_string(note)
			                                    : json_null());
			json_array_append_new(out, o);
		} else if (fire.note != SCHEDULE_NOTE_NONE) {
			printf("%s %s  %-10s  # %s\n",
			    cron_weekday(z, fire.at_ms), when, rel, note);
		} else {
			printf("%s %s  %s\n", cron_weekday(z, fire.at_ms), when,
			    rel);
		}
		now = fire.at_ms;
	}
	if (ctx->json) {
		output_json(out);
	}
	rc = EXIT_OK;
	goto done;

fail:
	output_error(ctx->json, "invalid", "%s", cause);
	free(cause);
done:
	json_decref(out);
	schedule_free(s);
	tz_free(z);
	return rc;
}

const struct cmd_entry cmd_cron_entry = {
	.name = "cron",
	.summary = "show when a cron expression fires next, DST included",
	.usage =
	    "[--json] [-n count] [--tz zone] [--from datetime] [--task name] "
	    "expression",
	.help = "  -n, --count COUNT     how many fires (default 5)\n"
	        "  -z, --tz ZONE         read the expression in ZONE "
	        "(default: local)\n"
	        "  -f, --from DATETIME   start after DATETIME, as "
	        "2026-03-08T00:00 (default: now)\n"
	        "  -t, --task NAME       choose random ranges (0~30) as for "
	        "the task NAME\n"
	        "\nNeeds no daemon. Quote the expression: twctl cron '30 2 * * "
	        "*'\n",
	.getopt = "z:f:n:t:",
	.longopts = cmd_cron_longopts,
	.args_min = 1,
	.args_max = 1,
	.flags = CMD_PAGED,
	.exec = cmd_cron_exec,
};
