/*
 * twctl help and list-commands, both read from the verb table so that
 * help, completions and the man page test cannot miss a verb; and
 * list-values, the values of options for the completions, from the places
 * that define them.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "output.h"
#include "run.h"
#include "tz.h"
#include "xmalloc.h"

void
cmd_help_print(FILE *fp)
{
	size_t i;

	fprintf(fp,
	    "usage: twctl [-j] [-s socket] command [args]\n\n"
	    "commands:\n");
	for (i = 0; cmd_table[i] != NULL; i++) {
		fprintf(fp, "  %-14s %s\n", cmd_table[i]->name,
		    cmd_table[i]->summary);
	}
	fprintf(fp,
	    "\noptions:\n"
	    "  -j, --json           print JSON only (also after a "
	    "command)\n"
	    "  -s, --socket PATH    the daemon's socket (TW_SOCKET)\n"
	    "  -V, --version        print the version\n"
	    "\n'twctl help COMMAND' tells more; see also twctl(1).\n");
}

/* A command as --json help gives it: name, summary, usage, help. */
static json_t *
cmd_help_json(const struct cmd_entry *e)
{
	char *usage = xasprintf(
	    "twctl %s%s%s", e->name, e->usage[0] != '\0' ? " " : "", e->usage);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s?}", "name", e->name,
	    "summary", e->summary, "usage", usage, "help", e->help);

	free(usage);
	return o;
}

static int
cmd_help_exec(struct cmd_ctx *ctx)
{
	const struct cmd_entry *e;
	json_t *out;
	size_t i;

	if (ctx->argc == 0 && ctx->json) {
		out = json_array();
		for (i = 0; cmd_table[i] != NULL; i++) {
			json_array_append_new(out, cmd_help_json(cmd_table[i]));
		}
		output_json(out);
		json_decref(out);
		return EXIT_OK;
	}
	if (ctx->argc == 0) {
		cmd_help_print(stdout);
		return EXIT_OK;
	}
	if ((e = cmd_find(ctx->argv[0])) == NULL) {
		output_error(ctx->json, "usage",
		    "no command named '%s'; see: twctl "
		    "help",
		    ctx->argv[0]);
		return EXIT_USAGE;
	}
	if (ctx->json) {
		out = cmd_help_json(e);
		output_json(out);
		json_decref(out);
		return EXIT_OK;
	}
	cmd_usage(e, stdout);
	printf("\n%s.\n", e->summary);
	if (e->help != NULL) {
		printf("\n%s", e->help);
	}
	return EXIT_OK;
}

static int
cmd_list_commands_exec(struct cmd_ctx *ctx)
{
	size_t i;

	for (i = 0; cmd_table[i] != NULL; i++) {
		if (ctx->opt['d'] != NULL) {
			printf("%s\t%s\n", cmd_table[i]->name,
			    cmd_table[i]->summary);
		} else {
			printf("%s\n", cmd_table[i]->name);
		}
	}
	return EXIT_OK;
}

static int
cmd_str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The values an option takes, for the completions; from where they live. */
static int
cmd_list_values_exec(struct cmd_ctx *ctx)
{
	const char *what = ctx->argv[0], *abbrev;
	char **v;
	size_t n, i;
	int sig;

	if (strcmp(what, "signals") == 0) {
		/* As twd reads them: the names the C library knows. */
		for (sig = 1; sig < NSIG; sig++) {
			if ((abbrev = sigabbrev_np(sig)) != NULL) {
				printf("%s\n", abbrev);
			}
		}
	} else if (strcmp(what, "statuses") == 0) {
		for (i = 0; i < RUN_STATUS_COUNT; i++) {
			printf("%s\n", run_status_name((enum run_status)i));
		}
	} else if (strcmp(what, "fields") == 0) {
		/* From the schema's table, as twd reads the tasks file. */
		for (i = 0; (abbrev = config_field_at(i)) != NULL; i++) {
			printf("%s\n", abbrev);
		}
	} else if (strcmp(what, "zones") == 0) {
		n = tz_names(&v);
		qsort(v, n, sizeof *v, cmd_str_cmp);
		for (i = 0; i < n; i++) {
			printf("%s\n", v[i]);
			free(v[i]);
		}
		free(v);
	} else {
		output_error(ctx->json, "usage",
		    "list-values takes fields, signals, statuses or zones, not "
		    "'%s'",
		    what);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.summary = "list the commands, or explain one",
	.usage = "[--json] [command]",
	.args_min = 0,
	.args_max = 1,
	.flags = CMD_PAGED,
	.exec = cmd_help_exec,
};

static const struct option cmd_list_commands_longopts[] = {
	{ "describe", no_argument, NULL, 'd' },
	{ NULL, 0, NULL, 0 },
};

const struct cmd_entry cmd_list_commands_entry = {
	.name = "list-commands",
	.summary = "print every command name, one per line (for completions)",
	.usage = "[-d]",
	.help = "  -d, --describe   each with its summary, after a tab\n",
	.getopt = "d",
	.longopts = cmd_list_commands_longopts,
	.args_min = 0,
	.args_max = 0,
	.exec = cmd_list_commands_exec,
};

const struct cmd_entry cmd_list_values_entry = {
	.name = "list-values",
	.summary = "print the values of an option, one per line (for "
	           "completions): fields, signals, statuses or zones",
	.usage = "fields|signals|statuses|zones",
	.args_min = 1,
	.args_max = 1,
	.exec = cmd_list_values_exec,
};
