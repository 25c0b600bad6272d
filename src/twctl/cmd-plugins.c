/*
 * twctl plugins: the plugins found on the plugin path (the tasks file's
 * plugin_path, then the usual places), each with what its describe says
 * or why it failed; twctl plugins show NAME gives its parameters. It runs
 * here, without the daemon, as twd would find them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "output.h"
#include "paths.h"
#include "plugin.h"
#include "xmalloc.h"

/* The directories searched: with the tasks file's plugin_path, if it loads. */
static char **
plugins_dirs(void)
{
	struct config_errors errs = { NULL, 0 };
	char *path = paths_config(NULL), *home = paths_home(), **dirs;
	struct config *c = config_load(path, &errs);

	dirs = plugin_dirs(c != NULL ? c->plugin_path : NULL, home);
	config_free(c);
	config_errors_release(&errs);
	free(path);
	free(home);
	return dirs;
}

/* One plugin's parameters as a table. */
static int
plugins_show(struct cmd_ctx *ctx, char **dirs, const char *name)
{
	static const char *const headers[] = { "PARAMETER", "TYPE", "REQUIRED",
		"DEFAULT", "DESCRIPTION", NULL };
	char *path, *cause = NULL, *dflt, *type;
	const char *cells[5], *key;
	struct plugin *p;
	struct table *t;
	json_t *s, *o;

	if ((path = plugin_find(dirs, name, &cause)) == NULL ||
	    (p = plugin_describe(path, name, &cause)) == NULL) {
		output_error(ctx->json, "not_found", "%s", cause);
		free(cause);
		free(path);
		return EXIT_FAIL;
	}
	free(path);
	if (ctx->json) {
		o = json_pack("{s:s, s:s, s:s, s:s, s:O}", "name", p->name,
		    "version", p->version, "kind", plugin_kinds_name(p->kinds),
		    "path", p->path, "params", p->params);
		output_json(o);
		json_decref(o);
		plugin_free(p);
		return EXIT_OK;
	}
	printf("%s %s (%s): %s\n%s\n\n", p->name, p->version,
	    plugin_kinds_name(p->kinds), p->summary, p->path);
	t = table_create(headers);
	json_object_foreach(p->params, key, s)
	{
		dflt = json_object_get(s, "default") != NULL
		    ? json_dumps(json_object_get(s, "default"), JSON_ENCODE_ANY)
		    : xstrdup("-");
		type = json_is_array(json_object_get(s, "enum"))
		    ? json_dumps(json_object_get(s, "enum"), JSON_COMPACT)
		    : xstrdup(json_string_value(json_object_get(s, "type")));
		cells[0] = key;
		cells[1] = type;
		cells[2] =
		    json_is_true(json_object_get(s, "required")) ? "yes" : "no";
		cells[3] = dflt;
		cells[4] = json_is_string(json_object_get(s, "description"))
		    ? json_string_value(json_object_get(s, "description"))
		    : "";
		table_add(t, cells);
		free(dflt);
		free(type);
	}
	table_print(t, stdout);
	plugin_free(p);
	return EXIT_OK;
}

static int
cmd_plugins_exec(struct cmd_ctx *ctx)
{
	static const char *const headers[] = { "NAME", "VERSION", "KIND",
		"PATH", "SUMMARY", NULL };
	char **dirs = plugins_dirs(), **names, *path, *cause;
	const char *cells[5];
	json_t *all = json_array(), *o;
	struct plugin *p;
	struct table *t;
	size_t i;
	int rc = EXIT_OK;

	if (ctx->argc > 0) {
		if (strcmp(ctx->argv[0], "show") != 0 || ctx->argc != 2) {
			output_error(ctx->json, "usage",
			    "plugins: give nothing, or show NAME");
			strv_free(dirs);
			json_decref(all);
			return EXIT_USAGE;
		}
		rc = plugins_show(ctx, dirs, ctx->argv[1]);
		strv_free(dirs);
		json_decref(all);
		return rc;
	}
	names = plugin_list(dirs);
	for (i = 0; names != NULL && names[i] != NULL; i++) {
		cause = NULL;
		path = plugin_find(dirs, names[i], &cause);
		p = path != NULL ? plugin_describe(path, names[i], &cause)
		                 : NULL;
		o = json_pack("{s:s, s:s}", "name", names[i], "path",
		    path != NULL ? path : "?");
		if (p != NULL) {
			json_object_set_new(
			    o, "version", json_string(p->version));
			json_object_set_new(o, "kind",
			    json_string(plugin_kinds_name(p->kinds)));
			json_object_set_new(
			    o, "summary", json_string(p->summary));
		} else {
			json_object_set_new(o, "error", json_string(cause));
		}
		json_array_append_new(all, o);
		plugin_free(p);
		free(path);
		free(cause);
	}
	if (ctx->json) {
		output_json(all);
	} else if (json_array_size(all) == 0) {
		printf("no plugins in:");
		for (i = 0; dirs[i] != NULL; i++) {
			printf(" %s", dirs[i]);
		}
		printf("\n");
	} else {
		t = table_create(headers);
		json_array_foreach(all, i, o)
		{
			cells[0] = json_get_string(o, "name", "?");
			cells[1] = json_get_string(o, "version", "-");
			cells[2] = json_get_string(o, "kind", "BROKEN");
			cells[3] = json_get_string(o, "path", "?");
			cells[4] = json_get_string(
			    o, "summary", json_get_string(o, "error", ""));
			table_add(t, cells);
		}
		table_print(t, stdout);
	}
	strv_free(names);
	strv_free(dirs);
	json_decref(all);
	return rc;
}

const struct cmd_entry cmd_plugins_entry = {
	.name = "plugins",
	.summary = "the plugins found (task types, notifiers), or one's "
	           "parameters",
	.usage = "[--json] [show NAME]",
	.help = "Plugins are looked for in the tasks file's plugin_path, "
	        "then in\n$XDG_DATA_HOME/taskweaver/plugins, then where twd "
	        "is installed\n(taskweaver-plugins(7)).\n",
	.args_min = 0,
	.args_max = 2,
	.flags = 0,
	.exec = cmd_plugins_exec,
};
