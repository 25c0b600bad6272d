/*
 * twctl: the TaskWeaver command line. Global options, then a verb from the
 * table in cmd.c; the verb does the rest.
 */
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd.h"
#include "output.h"
#include "pager.h"
#include "suggest.h"
#include "version.h"

static const struct option twctl_longopts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "no-pager", no_argument, NULL, 'P' },
	{ "socket", required_argument, NULL, 's' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void
twctl_unknown(const char *name, int json)
{
	const char *names[64], *hint;
	size_t n;

	for (n = 0; cmd_table[n] != NULL && n < 64; n++) {
		names[n] = cmd_table[n]->name;
	}
	if ((hint = suggest(name, names, n)) != NULL) {
		output_error(json, "usage",
		    "unknown command '%s' (did you mean '%s'?)", name, hint);
	} else {
		output_error(json, "usage",
		    "unknown command '%s'; see: twctl help", name);
	}
}

int
main(int argc, char **argv)
{
	const struct cmd_entry *e;
	const char *socket_flag = NULL;
	int ch, json = 0;

	/*
	 * The character set alone: widths of UTF-8 text, the dashboard's
	 * line drawing. Numbers and times are printed the same everywhere
	 * (JSON too), and the other categories cost a dozen file opens.
	 */
	setlocale(LC_CTYPE, "");
	/* A seed of our own spares jansson a read of /dev/urandom. */
	json_object_seed((size_t)getpid() ^ (size_t)time(NULL));
	while ((ch = getopt_long(
	            argc, argv, "+js:PVh", twctl_longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 'P':
			pager_disable();
			break;
		case 's':
			socket_flag = optarg;
			break;
		case 'V':
			printf("twctl %s (protocol %d)\n", TW_VERSION,
			    PROTO_VERSION);
			return EXIT_OK;
		case 'h':
			cmd_help_print(stdout);
			return EXIT_OK;
		default:
			cmd_help_print(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind == argc) {
		cmd_help_print(stderr);
		return EXIT_USAGE;
	}
	if ((e = cmd_find(argv[optind])) == NULL) {
		twctl_unknown(argv[optind], json);
		return EXIT_USAGE;
	}
	return cmd_exec(e, argc - optind, argv + optind, socket_flag, json);
}
