/*
 * twctl help and list-commands, both read from the verb table so that
 * help, completions and the man page test cannot miss a verb.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "output.h"

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

static int
cmd_help_exec(struct cmd_ctx *ctx)
{
	const struct cmd_entry *e;

	if (ctx->argc == 0) {
		cmd_help_print(stdout);
		return EXIT_OK;
	}
	if ((e = cmd_find(ctx->argv[0])) == NULL) {
		output_error(0, "usage",
		    "no command named '%s'; see: twctl "
		    "help",
		    ctx->argv[0]);
		return EXIT_USAGE;
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
	.usage = "[command]",
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
