/*
 * Tasks of a plugin's type (type: NAME, with: {...}): the plugin found on
 * the plugin path and described, and with: checked against the schema it
 * gives, each mistake where it is, before any run.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "duration.h"
#include "plugin.h"
#include "suggest.h"
#include "xmalloc.h"
#include "config-int.h"

/* A plugin as this load found it: described, or why not. */
struct loader_plugin {
	char *name;
	struct plugin *p; /* NULL: *cause says why */
	char *cause;
};

/* The plugin called name, found and described once per load. */
static struct loader_plugin *
loader_plugin(struct loader *l, const char *name)
{
	struct loader_plugin *lp;
	char *path, *cause = NULL;
	size_t i;

	for (i = 0; i < l->nplugins; i++) {
		if (strcmp(l->plugins[i].name, name) == 0) {
			return &l->plugins[i];
		}
	}
	if (l->plugin_dirs == NULL) {
		l->plugin_dirs = plugin_dirs(l->config->plugin_path, l->home);
	}
	l->plugins =
	    xreallocarray(l->plugins, l->nplugins + 1, sizeof *l->plugins);
	lp = &l->plugins[l->nplugins++];
	lp->name = xstrdup(name);
	lp->p = NULL;
	if ((path = plugin_find(l->plugin_dirs, name, &cause)) != NULL) {
		lp->p = plugin_describe(path, name, &cause);
		free(path);
	}
	lp->cause = cause;
	return lp;
}

/* plugin_path: [DIR, ...], searched before the usual places. */
void
loader_plugin_path(struct loader *l, struct config *c, yaml_node_t *node)
{
	char **dirs;
	size_t i, n = 0;

	if (node->type != YAML_SEQUENCE_NODE ||
	    (dirs = loader_words(l, node, "plugin_path")) == NULL) {
		if (node->type != YAML_SEQUENCE_NODE) {
			loader_error(l, node,
			    "'plugin_path' must be a list of directories, "
			    "not %s",
			    node_kind(node));
		}
		return;
	}
	for (i = 0; dirs[i] != NULL; i++) {
		if (dirs[i][0] == '~' &&
		    (dirs[i][1] == '/' || dirs[i][1] == '\0')) {
			strv_add(&c->plugin_path, &n,
			    xasprintf("%s%s", l->home, dirs[i] + 1));
		} else if (dirs[i][0] != '/') {
			strv_add(&c->plugin_path, &n,
			    xasprintf("%s/%s", l->home, dirs[i]));
		} else {
			strv_add(&c->plugin_path, &n, xstrdup(dirs[i]));
		}
	}
	strv_free(dirs);
}

void
loader_plugins_free(struct loader *l)
{
	size_t i;

	for (i = 0; i < l->nplugins; i++) {
		free(l->plugins[i].name);
		plugin_free(l->plugins[i].p);
		free(l->plugins[i].cause);
	}
	free(l->plugins);
	strv_free(l->plugin_dirs);
}

static json_t *param_value(
    struct loader *l, const char *key, const json_t *schema, yaml_node_t *node);

/* A YAML scalar as JSON by what it looks like (type: any). */
static json_t *
scalar_any(yaml_node_t *node)
{
	const char *v = node_text(node);
	char *end;
	long long n;
	double x;

	if (node->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
	    node->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE) {
		return json_string(v);
	}
	if (node_is_null(node)) {
		return json_null();
	}
	if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
		return json_boolean(*v == 't');
	}
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno == 0 && end != v && *end == '\0') {
		return json_integer(n);
	}
	x = strtod(v, &end);
	if (end != v && *end == '\0') {
		return json_real(x);
	}
	return json_string(v);
}

/* Any YAML value as JSON. */
static json_t *
node_any(struct loader *l, yaml_node_t *node)
{
	yaml_node_item_t *it;
	yaml_node_pair_t *p;
	json_t *o;

	switch (node->type) {
	case YAML_SEQUENCE_NODE:
		o = json_array();
		for (it = node->data.sequence.items.start;
		     it < node->data.sequence.items.top; it++) {
			json_array_append_new(o,
			    node_any(
			        l, yaml_document_get_node(&l->doc.doc, *it)));
		}
		return o;
	case YAML_MAPPING_NODE:
		o = json_object();
		for (p = node->data.mapping.pairs.start;
		     p < node->data.mapping.pairs.top; p++) {
			json_object_set_new(o,
			    node_text(
			        yaml_document_get_node(&l->doc.doc, p->key)),
			    node_any(l,
			        yaml_document_get_node(&l->doc.doc, p->value)));
		}
		return o;
	default:
		return scalar_any(node);
	}
}

/* A scalar of schema type type, or NULL after an error at node. */
static json_t *
scalar_typed(
    struct loader *l, const char *key, const char *type, yaml_node_t *node)
{
	const char *v = node_text(node);
	char *end, *cause = NULL;
	long long n;
	int64_t secs;
	double x;

	if (node->type != YAML_SCALAR_NODE || node_is_null(node)) {
		loader_error(l, node, "with: %s must be %s %s, not %s", key,
		    strcmp(type, "integer") == 0 ? "an" : "a", type,
		    node_kind(node));
		return NULL;
	}
	if (strcmp(type, "string") == 0) {
		return json_string(v);
	}
	if (strcmp(type, "integer") == 0) {
		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno == 0 && end != v && *end == '\0') {
			return json_integer(n);
		}
	} else if (strcmp(type, "number") == 0) {
		x = strtod(v, &end);
		if (end != v && *end == '\0') {
			return json_real(x);
		}
	} else if (strcmp(type, "boolean") == 0) {
		if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
			return json_boolean(*v == 't');
		}
	} else if (strcmp(type, "duration") == 0) {
		if (duration_parse(v, &secs, &cause) == 0) {
			return json_integer(secs);
		}
		loader_error(l, node, "with: %s: %s", key, cause);
		free(cause);
		return NULL;
	}
	loader_error(l, node, "with: %s: '%s' is not %s %s", key, v,
	    strcmp(type, "integer") == 0 ? "an" : "a", type);
	return NULL;
}

/* One parameter's value, by its schema; NULL after an error. */
static json_t *
param_value(
    struct loader *l, const char *key, const json_t *schema, yaml_node_t *node)
{
	const char *type = json_string_value(json_object_get(schema, "type"));
	const json_t *choices = json_object_get(schema, "enum"), *c;
	const char *names[64], *hint;
	yaml_node_item_t *it;
	json_t *v, *item, *items;
	size_t i, n = 0;

	if (strcmp(type, "any") == 0) {
		return node_any(l, node);
	}
	if (strcmp(type, "list") == 0) {
		if (node->type != YAML_SEQUENCE_NODE) {
			loader_error(l, node, "with: %s must be a list, not %s",
			    key, node_kind(node));
			return NULL;
		}
		items = json_object_get(schema, "items");
		v = json_array();
		for (it = node->data.sequence.items.start;
		     it < node->data.sequence.items.top; it++) {
			item = scalar_typed(l, key,
			    json_is_string(items) ? json_string_value(items)
			                          : "string",
			    yaml_document_get_node(&l->doc.doc, *it));
			if (item == NULL) {
				json_decref(v);
				return NULL;
			}
			json_array_append_new(v, item);
		}
		return v;
	}
	if (strcmp(type, "map") == 0) {
		if (node->type != YAML_MAPPING_NODE) {
			loader_error(l, node,
			    "with: %s must be a mapping, not %s", key,
			    node_kind(node));
			return NULL;
		}
		return node_any(l, node);
	}
	if ((v = scalar_typed(l, key, type, node)) == NULL ||
	    !json_is_array(choices)) {
		return v;
	}
	json_array_foreach(choices, i, c)
	{
		if (json_equal(c, v)) {
			return v;
		}
		if (json_is_string(c) && n < 64) {
			names[n++] = json_string_value(c);
		}
	}
	hint =
	    json_is_string(v) ? suggest(json_string_value(v), names, n) : NULL;
	loader_error(l, node, "with: %s: '%s' is not one of its values%s%s%s",
	    key, node_text(node), hint != NULL ? " (did you mean '" : "",
	    hint != NULL ? hint : "", hint != NULL ? "'?)" : "");
	json_decref(v);
	return NULL;
}

/* with: against p's schema: the parameters of its requests (JSON). */
static char *
plugin_params(struct loader *l, const struct plugin *p, yaml_node_t *with,
    yaml_node_t *where)
{
	const char *names[256], *key, *hint;
	json_t *params = json_object(), *schema, *v;
	yaml_node_pair_t *pair;
	char *text;
	yaml_node_t *k;
	size_t n = 0;

	json_object_foreach(p->params, key, schema)
	{
		if (n < 256) {
			names[n++] = key;
		}
	}
	for (pair = with != NULL ? with->data.mapping.pairs.start : NULL;
	     with != NULL && pair < with->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(&l->doc.doc, pair->key);
		key = node_text(k);
		if ((schema = json_object_get(p->params, key)) == NULL) {
			hint = suggest(key, names, n);
			loader_error(l, k,
			    "with: plugin '%s' has no parameter '%s'%s%s%s",
			    p->name, key,
			    hint != NULL ? " (did you mean '" : "",
			    hint != NULL ? hint : "",
			    hint != NULL ? "'?)"
			                 : "; twctl plugins show lists "
			                   "them");
			continue;
		}
		if ((v = param_value(l, key, schema,
		         yaml_document_get_node(&l->doc.doc, pair->value))) !=
		    NULL) {
			json_object_set_new(params, key, v);
		}
	}
	json_object_foreach(p->params, key, schema)
	{
		if (json_object_get(params, key) != NULL) {
			continue;
		}
		if ((v = json_object_get(schema, "default")) != NULL) {
			json_object_set(params, key, v);
		} else if (json_is_true(json_object_get(schema, "required"))) {
			loader_error(l, where,
			    "with: plugin '%s' needs '%s'%s%s%s", p->name, key,
			    json_is_string(
			        json_object_get(schema, "description"))
			        ? " ("
			        : "",
			    json_is_string(
			        json_object_get(schema, "description"))
			        ? json_string_value(
			              json_object_get(schema, "description"))
			        : "",
			    json_is_string(
			        json_object_get(schema, "description"))
			        ? ")"
			        : "");
		}
	}
	text = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(params);
	return text;
}

void
draft_plugin(struct loader *l, yaml_node_t *type, yaml_node_t *with,
    yaml_node_t *key, struct task_def *t)
{
	struct loader_plugin *lp;

	if (type == NULL) {
		if (with != NULL) {
			loader_error(l, with,
			    "'with' gives a plugin's parameters: the task "
			    "needs a 'type' (twctl plugins lists them)");
		}
		return;
	}
	if (with != NULL && with->type != YAML_MAPPING_NODE) {
		loader_error(l, with,
		    "'with' must be a mapping of the "
		    "plugin's parameters, not %s",
		    node_kind(with));
		return;
	}
	lp = loader_plugin(l, node_text(type));
	if (lp->p == NULL) {
		loader_error(l, type, "type: %s", lp->cause);
		return;
	}
	if (!(lp->p->kinds & PLUGIN_TASK)) {
		loader_error(l, type,
		    "type: plugin '%s' is a notifier, not a task type",
		    lp->p->name);
		return;
	}
	t->plugin = xstrdup(lp->p->name);
	strv_free(t->argv);
	t->argv = xcalloc(3, sizeof *t->argv);
	t->argv[0] = xstrdup(lp->p->path);
	t->argv[1] = xstrdup("run");
	t->with = plugin_params(l, lp->p, with, with != NULL ? with : key);
}

int
loader_notifier_plugin(struct loader *l, struct notifier_def *nd,
    yaml_node_t *type, yaml_node_t *with, yaml_node_t *key)
{
	struct loader_plugin *lp = loader_plugin(l, node_text(type));

	if (lp->p == NULL) {
		return -1; /* not a plugin either: the caller says what is */
	}
	if (!(lp->p->kinds & PLUGIN_NOTIFIER)) {
		loader_error(l, type,
		    "type: plugin '%s' is a task type, not a notifier",
		    lp->p->name);
		return 0;
	}
	if (with != NULL && with->type != YAML_MAPPING_NODE) {
		loader_error(l, with,
		    "'with' must be a mapping of the "
		    "plugin's parameters, not %s",
		    node_kind(with));
		return 0;
	}
	nd->type = NOTIFIER_COMMAND;
	nd->plugin = xstrdup(lp->p->name);
	strv_free(nd->program);
	nd->program = xcalloc(3, sizeof *nd->program);
	nd->program[0] = xstrdup(lp->p->path);
	nd->program[1] = xstrdup("notify");
	nd->params = plugin_params(l, lp->p, with, with != NULL ? with : key);
	return 0;
}
