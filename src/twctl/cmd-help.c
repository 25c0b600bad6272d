/*
 * twctl help and list-commands, both read from the verb table so that
 * help, completions and the man page test cannot miss a verb.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "output.h"
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

	(void)ctx;
	for (i = 0; cmd_table[i] != NULL; i++) {
		printf("%s\n", cmd_table[i]->name);
	}
	return EXIT_OK;
}

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.summary = "list the commands, or explain one",
	.usage = "[--json] [command]",
	.args_min = 0,
	.args_max = 1,
	.exec = cmd_help_exec,
};

const struct cmd_entry cmd_list_commands_entry = {
	.name = "list-commands",
	.summary = "print every command name, one per line (for completions)",
	.usage = "",
	.args_min = 0,
	.args_max = 0,
	.exec = cmd_list_commands_exec,
};
