/*
 * Plugins: programs, in any language, found by name on a plugin path, that
 * describe themselves (PLUGIN describe: one JSON document) and then run a
 * task (PLUGIN run, a JSON request on stdin). They run as jobs, so their
 * crash, hang or flood is a job's (taskweaver-plugins(7)). This module
 * finds and describes them; it knows no tasks and no YAML.
 */
#ifndef TW_PLUGIN_H
#define TW_PLUGIN_H

#include <jansson.h>

/* The protocol this twd speaks; a plugin's describe must say it. */
#define PLUGIN_PROTOCOL 1
/* A run's exit status that asks to be tried again (EX_TEMPFAIL). */
#define PLUGIN_EXIT_RETRY 75
/* How long describe may take, and how much it may say. */
#define PLUGIN_DESCRIBE_MS    5000
#define PLUGIN_DESCRIBE_BYTES (1 << 20)

enum plugin_kind {
	PLUGIN_TASK = 1,
	PLUGIN_NOTIFIER = 2,
};

struct plugin {
	char *name;
	char *path;
	char *version;
	char *summary;
	unsigned kinds; /* PLUGIN_* */
	json_t *params; /* {NAME: {type, required, default, enum, ...}} */
};

/*
 * The directories searched, in order: dirs (the tasks file's
 * plugin_path; may be NULL), $XDG_DATA_HOME/taskweaver/plugins (by
 * default under home's .local/share), then the installed ones. Caller
 * frees (strv_free).
 */
char **plugin_dirs(char *const *dirs, const char *home);
/* The path of plugin name in dirs, or NULL with *cause naming them. */
char *plugin_find(char *const *dirs, const char *name, char **cause);
/*
 * What the plugin at path says of itself (caller frees with
 * plugin_free), from a cache kept by path, size and modification time;
 * NULL with *cause when it cannot run, takes too long, says too much or
 * says it in a form this twd does not read.
 */
struct plugin *
plugin_describe(const char *path, const char *name, char **cause);
void plugin_free(struct plugin *);
/* "task", "notifier" or "task, notifier". */
const char *plugin_kinds_name(unsigned kinds);
/* The names of the plugins in dirs, each once, sorted (strv_free). */
char **plugin_list(char *const *dirs);

#endif
