/*
 * twctl import-crontab: a crontab as a tasks file, on stdout. What cannot
 * be converted is listed with its line number, never dropped silently.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "cmd.h"
#include "config.h"
#include "crontab.h"
#include "output.h"
#include "paths.h"
#include "xmalloc.h"

/* What was not converted, and what was but is worth a look. */
static void
import_notes(const struct crontab_result *res, const char *source)
{
	size_t i;

	for (i = 0; i < res->nwarnings; i++) {
		fprintf(stderr, "twctl import-crontab: %s: warning: %s\n",
		    source, res->warnings[i]);
	}
	for (i = 0; i < res->nproblems; i++) {
		fprintf(stderr, "twctl import-crontab: %s: not converted: %s\n",
		    source, res->problems[i]);
	}
	for (i = 0; i < res->nknown; i++) {
		fprintf(stderr,
		    "twctl import-crontab: %s: not added again: %s\n", source,
		    res->known[i]);
	}
}

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

static const struct option cmd_import_longopts[] = {
	{ "merge", no_argument, NULL, 'm' },
	{ NULL, 0, NULL, 0 },
};

/* A block mapping's insertion point: the end of its last line. */
struct spot {
	size_t at;  /* offset in the text */
	int found;  /* the key is there */
	int flow;   /* {...}: lines cannot be added to it */
	int indent; /* of its keys */
};

/* Where the top-level key's mapping ends, in text parsed as doc. */
static struct spot
merge_spot(yaml_document_t *doc, const char *text, const char *key)
{
	yaml_node_t *root = yaml_document_get_root_node(doc), *k, *v, *fk;
	struct spot sp = { strlen(text), 0, 0, 2 };
	yaml_node_pair_t *p;

	for (p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		k = yaml_document_get_node(doc, p->key);
		v = yaml_document_get_node(doc, p->value);
		if (k->type != YAML_SCALAR_NODE ||
		    strcmp((const char *)k->data.scalar.value, key) != 0) {
			continue;
		}
		sp.found = 1;
		if (v->type != YAML_MAPPING_NODE ||
		    v->data.mapping.style == YAML_FLOW_MAPPING_STYLE ||
		    v->data.mapping.pairs.start == v->data.mapping.pairs.top) {
			sp.flow = 1;
			return sp;
		}
		fk = yaml_document_get_node(
		    doc, v->data.mapping.pairs.start->key);
		sp.indent = (int)fk->start_mark.column;
		/* After the newline that ends its last value. */
		sp.at = v->end_mark.index;
		while (sp.at > 0 && text[sp.at - 1] != '\n') {
			sp.at--;
		}
		if (sp.at == 0) {
			sp.at = strlen(text);
		}
		/* Before the blank lines that end it, next to its last task. */
		while (sp.at >= 2 && text[sp.at - 1] == '\n' &&
		    text[sp.at - 2] == '\n') {
			sp.at--;
		}
		return sp;
	}
	return sp;
}

/* lines (indented by two) re-indented for a mapping indented by indent. */
static char *
merge_indent(const char *lines, int indent)
{
	char *out = xstrdup(""), *tmp;
	const char *p, *nl;

	for (p = lines; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		tmp = xasprintf(
		    "%s%*s%.*s\n", out, indent - 2, "", (int)(nl - p), p);
		free(out);
		out = tmp;
	}
	return out;
}

/*
 * Add the converted tasks (and MAILTO's notifiers) to the tasks file,
 * through the same checks as twctl edit: a copy, loaded whole, renamed
 * over the file.
 */
static int
import_merge(struct cmd_ctx *ctx, const char *text, const char *source)
{
	struct config_errors errs = { NULL, 0 };
	struct crontab_result res;
	struct spot tasks, notifiers;
	yaml_document_t doc;
	yaml_parser_t parser;
	struct config *c;
	json_t *taken = json_object(), *known = json_object();
	char *path = paths_config(NULL), *old, *new, *a, *b, *copy, *key;
	char *reload_argv[] = { (char *)"reload", NULL };
	size_t i, len = 0;
	FILE *fp;
	int rc = EXIT_FAIL, fd;

	if ((c = config_load(path, &errs)) == NULL) {
		config_errors_print(&errs, stderr);
		config_errors_release(&errs);
		output_error(ctx->json, "failed",
		    "the tasks file has errors: fix them first (twctl edit)");
		goto out_path;
	}
	for (i = 0; i < c->ntasks; i++) {
		json_object_set_new(taken, c->tasks[i]->name, json_true());
		if (c->tasks[i]->schedule != NULL &&
		    c->tasks[i]->command != NULL) {
			key = crontab_key(
			    c->tasks[i]->schedule, c->tasks[i]->command);
			json_object_set_new(
			    known, key, json_string(c->tasks[i]->name));
			free(key);
		}
	}
	for (i = 0; i < c->nnotifiers; i++) {
		json_object_set_new(taken, c->notifiers[i].name, json_true());
	}
	config_free(c);
	if ((fp = fopen(path, "r")) == NULL) {
		output_error(ctx->json, "failed", "cannot read %s: %s", path,
		    strerror(errno));
		goto out_path;
	}
	old = import_read(fp);
	fclose(fp);
	crontab_convert(text, source, taken, known, &res);
	if (res.ntasks == 0 && res.nknown > 0) {
		printf("every job is in %s already; nothing added\n", path);
		import_notes(&res, source);
		rc = res.nproblems > 0 ? EXIT_FAIL : EXIT_OK;
		goto out_res;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(
	    &parser, (const unsigned char *)old, strlen(old));
	if (!yaml_parser_load(&parser, &doc) ||
	    yaml_document_get_root_node(&doc) == NULL ||
	    yaml_document_get_root_node(&doc)->type != YAML_MAPPING_NODE) {
		output_error(ctx->json, "failed", "%s is not a mapping", path);
		yaml_parser_delete(&parser);
		goto out_res;
	}
	yaml_parser_delete(&parser);
	tasks = merge_spot(&doc, old, "tasks");
	notifiers = merge_spot(&doc, old, "notifiers");
	yaml_document_delete(&doc);
	if ((tasks.found && tasks.flow) ||
	    (notifiers.found && notifiers.flow && *res.notifiers_yaml)) {
		output_error(ctx->json, "failed",
		    "%s writes %s in flow style ({...}) or empty; write it as "
		    "a block to merge into it, or save the output of twctl "
		    "import-crontab and include it",
		    path, tasks.found && tasks.flow ? "tasks:" : "notifiers:");
		goto out_res;
	}
	/* From the end of the file backwards, so offsets stay right. */
	a = tasks.found ? merge_indent(res.tasks_yaml, tasks.indent)
	                : xasprintf("tasks:\n%s", res.tasks_yaml);
	b = !*res.notifiers_yaml ? xstrdup("")
	    : notifiers.found
	    ? merge_indent(res.notifiers_yaml, notifiers.indent)
	    : xasprintf("notifiers:\n%s", res.notifiers_yaml);
	len = strlen(old);
	if (len > 0 && old[len - 1] != '\n') {
		new = xasprintf("%s\n", old);
		free(old);
		old = new;
		tasks.at += tasks.at == len;
		notifiers.at += notifiers.at == len;
		len++;
	}
	if (notifiers.at >= tasks.at) {
		new = xasprintf("%.*s%s%.*s%s%s", (int)tasks.at, old, a,
		    (int)(notifiers.at - tasks.at), old + tasks.at, b,
		    old + notifiers.at);
	} else {
		new = xasprintf("%.*s%s%.*s%s%s", (int)notifiers.at, old, b,
		    (int)(tasks.at - notifiers.at), old + notifiers.at, a,
		    old + tasks.at);
	}
	free(a);
	free(b);
	copy = xasprintf("%s.import-XXXXXX", path);
	if ((fd = mkstemp(copy)) == -1 ||
	    write(fd, new, strlen(new)) != (ssize_t)strlen(new) ||
	    fsync(fd) == -1 || close(fd) == -1) {
		output_error(ctx->json, "failed", "cannot write %s: %s", copy,
		    strerror(errno));
	} else if ((c = config_load(copy, &errs)) == NULL) {
		config_errors_print(&errs, stderr);
		config_errors_release(&errs);
		output_error(ctx->json, "failed",
		    "the merged file does not load; %s is as it was", path);
	} else if (rename(copy, path) == -1) {
		config_free(c);
		output_error(ctx->json, "failed", "cannot replace %s: %s", path,
		    strerror(errno));
	} else {
		config_free(c);
		printf("added %zu task%s to %s\n", res.ntasks,
		    res.ntasks == 1 ? "" : "s", path);
		fflush(stdout);
		/* A running twd takes them now; without one, at its start. */
		cmd_exec(cmd_find("reload"), 1, reload_argv, ctx->socket_flag,
		    ctx->json);
		rc = EXIT_OK;
	}
	unlink(copy);
	free(copy);
	free(new);
	import_notes(&res, source);
	if (rc == EXIT_OK && res.nproblems > 0) {
		rc = EXIT_FAIL;
	}
out_res:
	crontab_result_release(&res);
	free(old);
out_path:
	json_decref(taken);
	json_decref(known);
	free(path);
	return rc;
}

static int
cmd_import_exec(struct cmd_ctx *ctx)
{
	const char *arg = ctx->argc == 1 ? ctx->argv[0] : NULL;
	struct crontab_result res;
	char *text, *source;
	FILE *fp;
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
	if (ctx->opt['m'] != NULL) {
		rc = import_merge(ctx, text, source);
		free(text);
		free(source);
		return rc;
	}
	crontab_convert(text, source, NULL, NULL, &res);
	fputs(res.yaml, stdout);
	import_notes(&res, source);
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
	.usage = "[-m] [file | -]",
	.help = "The crontab is crontab -l's unless a file (or - for standard "
	        "input) is\nnamed. Each entry becomes a task named after what "
	        "it runs (backup for\n/usr/local/bin/backup.sh, rsync-docs, "
	        "curl-example.com); environment\nlines become its env, shell "
	        "and timezone; MAILTO a mail notifier; a\ncommented-out entry "
	        "a disabled task; the comment above an entry its\ndescription. "
	        "Each task keeps cron's meaning under any defaults: an\n"
	        "explicit timezone and timeout: none. Lines that are not "
	        "converted are\nlisted on stderr with their numbers, and the "
	        "exit status is then 1.\nSave the output as the tasks file, or "
	        "include it from yours.\n"
	        "\n  -m, --merge    add the tasks to the tasks file instead, "
	        "checked as\n                 twctl edit checks (names that "
	        "are taken get told apart);\n                 a job the file "
	        "has (same schedule and command) is not\n                 "
	        "added again\n",
	.getopt = "m",
	.longopts = cmd_import_longopts,
	.args_min = 0,
	.args_max = 1,
	.exec = cmd_import_exec,
};
