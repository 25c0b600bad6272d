/*
 * twctl import-crontab: a crontab as a tasks file, on stdout. What cannot
 * be converted is listed with its line number, never dropped silently.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "crontab.h"
#include "output.h"
#include "xmalloc.h"

/* All of fp, NUL-terminated. */
static char *
import_read(FILE *fp)
{
	char *data = NULL;
	size_t len = 0, cap = 0, n;

	do {
		if (cap - len < 4096) {
			cap = cap == 0 ? 8192 : cap * 2;
			data = xreallocarray(data, cap, 1);
		}
		n = fread(data + len, 1, cap - len - 1, fp);
		len += n;
	} while (n > 0);
	data[len] = '\0';
	return data;
}

static int
cmd_import_exec(struct cmd_ctx *ctx)
{
	const char *arg = ctx->argc == 1 ? ctx->argv[0] : NULL;
	struct crontab_result res;
	char *text, *source;
	FILE *fp;
	size_t i;
	int status = 0, rc;

	if (arg == NULL) {
		/* The user's own crontab, as cron has it. */
		fp = popen("crontab -l", "r");
		source = xstrdup("crontab -l");
	} else if (strcmp(arg, "-") == 0) {
		fp = stdin;
		source = xstrdup("standard input");
	} else {
		fp = fopen(arg, "r");
		source = xstrdup(arg);
	}
	if (fp == NULL) {
		output_error(ctx->json, "failed", "cannot read %s: %s", source,
		    strerror(errno));
		free(source);
		return EXIT_FAIL;
	}
	text = import_read(fp);
	if (arg == NULL) {
		status = pclose(fp);
	} else if (fp != stdin) {
		fclose(fp);
	}
	if (status != 0) {
		output_error(ctx->json, "failed",
		    "crontab -l failed (no crontab, or no cron here); name a "
		    "file, or - for standard input");
		free(text);
		free(source);
		return EXIT_FAIL;
	}
	crontab_convert(text, source, &res);
	fputs(res.yaml, stdout);
	for (i = 0; i < res.nproblems; i++) {
		fprintf(stderr, "twctl import-crontab: %s: not converted: %s\n",
		    source, res.problems[i]);
	}
	rc = res.nproblems > 0 ? EXIT_FAIL : EXIT_OK;
	fprintf(stderr, "%zu task%s from %s%s\n", res.ntasks,
	    res.ntasks == 1 ? "" : "s", source,
	    res.nproblems > 0 ? "; some lines were not converted" : "");
	crontab_result_release(&res);
	free(text);
	free(source);
	return rc;
}

const struct cmd_entry cmd_import_entry = {
	.name = "import-crontab",
	.summary = "print a crontab as a tasks file",
	.usage = "[file | -]",
	.help = "The crontab is crontab -l's unless a file (or - for standard "
	        "input) is\nnamed. Each entry becomes a task named after its "
	        "program; environment\nlines become its env, shell and "
	        "timezone; MAILTO a mail notifier; a\ncommented-out entry a "
	        "disabled task; the comment above an entry its\ndescription. "
	        "Lines that are not converted are listed on stderr with\n"
	        "their numbers, and the exit status is then 1. Save the output "
	        "as the\ntasks file, or include it from yours.\n",
	.args_min = 0,
	.args_max = 1,
	.exec = cmd_import_exec,
};
