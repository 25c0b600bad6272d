/*
 * twctl check: load a tasks file as twd would, without the daemon, and
 * say what is wrong with it, every error at once, or that it is good.
 */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "cmd.h"
#include "output.h"
#include "paths.h"
#include "schedule.h"
#include "timefmt.h"

static int
cmd_check_exec(struct cmd_ctx *ctx)
{
	struct config_errors errs = { NULL, 0 };
	const struct task_def *next = NULL;
	struct config *c;
	json_t *out, *e, *warnings;
	char *path, *line, when[32], rel[32], change[48] = "";
	int64_t now = timefmt_now_ms(), at, next_at = 0;
	size_t i, on_change = 0;

	path = paths_config(ctx->argc == 1 ? ctx->argv[0] : NULL);
	if ((c = config_load(path, &errs)) == NULL) {
		out = json_array();
		for (i = 0; i < errs.n; i++) {
			e = json_pack("{s:s, s:i, s:i, s:s}", "file",
			    errs.v[i].file, "line", errs.v[i].line, "column",
			    errs.v[i].column, "message", errs.v[i].message);
			json_array_append_new(out, e);
			line = config_error_format(&errs.v[i]);
			if (!ctx->json) {
				fprintf(stderr, "%s\n", line);
			}
			free(line);
		}
		if (ctx->json) {
			output_json(out);
		} else {
			fprintf(stderr, "%zu error%s in %s\n", errs.n,
			    errs.n == 1 ? "" : "s", path);
		}
		json_decref(out);
		config_errors_release(&errs);
		free(path);
		return EXIT_FAIL;
	}
	/* Warnings: good, but meaning what one may not expect. */
	warnings = json_array();
	for (i = 0; i < c->warnings.n; i++) {
		line = config_error_format(&c->warnings.v[i]);
		json_array_append_new(warnings, json_string(line));
		if (!ctx->json) {
			fprintf(stderr, "warning: %s\n", line);
		}
		free(line);
	}
	for (i = 0; i < c->ntasks; i++) {
		if (c->tasks[i]->on != NULL && c->tasks[i]->enabled) {
			on_change++;
		}
		if (c->tasks[i]->schedule == NULL || !c->tasks[i]->enabled) {
			continue;
		}
		at = schedule_next(c->tasks[i]->schedule, 0, now);
		if (at != 0 && (next_at == 0 || at < next_at)) {
			next_at = at;
			next = c->tasks[i];
		}
	}
	if (ctx->json) {
		out = json_pack("{s:s, s:I, s:s?, s:s?, s:I, s:O}", "file",
		    path, "tasks", (json_int_t)c->ntasks, "next_task",
		    next != NULL ? next->name : NULL, "next_at",
		    next != NULL ? timefmt_iso(next_at, when, sizeof when)
		                 : NULL,
		    "on_change", (json_int_t)on_change, "warnings", warnings);
		output_json(out);
		json_decref(out);
	} else {
		if (on_change > 0) {
			snprintf(change, sizeof change, "; %zu run%s on change",
			    on_change, on_change == 1 ? "s" : "");
		}
		if (next != NULL) {
			printf("%s: %zu task%s OK; next: %s at %s (%s)%s\n",
			    path, c->ntasks, c->ntasks == 1 ? "" : "s",
			    next->name,
			    timefmt_local(next_at, when, sizeof when),
			    timefmt_relative(next_at, now, rel, sizeof rel),
			    change);
		} else {
			printf("%s: %zu task%s OK; none is scheduled%s\n", path,
			    c->ntasks, c->ntasks == 1 ? "" : "s", change);
		}
	}
	json_decref(warnings);
	config_free(c);
	free(path);
	return EXIT_OK;
}

const struct cmd_entry cmd_check_entry = {
	.name = "check",
	.summary = "check a tasks file as twd would load it (no daemon needed)",
	.usage = "[--json] [file]",
	.help = "Every error is printed as FILE:LINE:COL: message, all of "
	        "them at once, and\nthe exit status is 1; a good file gets a "
	        "one-line summary. The file is\nthe configured one unless "
	        "named (see twd(1) for where that is).\n",
	.args_min = 0,
	.args_max = 1,
	.exec = cmd_check_exec,
};
