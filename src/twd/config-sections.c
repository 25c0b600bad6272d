/*
 * The sections besides tasks: queues: (limits shared by tasks),
 * notifiers: (where failures are told) and executors: (machines a task's
 * runs go to).
 */

#include <string.h>
#include <yaml.h>

#include "suggest.h"
#include "xmalloc.h"
#include "config-int.h"

/* queues: {NAME: {max_concurrent: N}, ...} */
void
loader_queues(struct loader *l, struct config *c, yaml_node_t *map)
{
	static const char *const keys[] = { "max_concurrent" };
	yaml_node_pair_t *p, *q;
	yaml_node_t *k, *v, *qk, *qv;
	struct queue_def *qd;
	long n;

	if (node_is_null(map)) {
		return;
	}
	if (map->type != YAML_MAPPING_NODE ||
	    loader_check_keys(l, map, "queue") == -1) {
		if (map->type != YAML_MAPPING_NODE) {
			loader_error(l, map,
			    "'queues' must be a mapping of queue names to "
			    "{max_concurrent: N}, not %s",
			    node_kind(map));
		}
		return;
	}
	c->queues = xcalloc(MAPPING_SIZE(map), sizeof *c->queues);
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		v = yaml_document_get_node(&l->doc.doc, p->value);
		if (!loader_name_ok(l, k, "queue")) {
			continue;
		}
		qd = &c->queues[c->nqueues++];
		qd->name = xstrdup(node_text(k));
		qd->max_concurrent = 1;
		if (v->type != YAML_MAPPING_NODE) {
			loader_error(l, v,
			    "queue '%s' must be a mapping such as "
			    "{max_concurrent: 2}, not %s",
			    qd->name, node_kind(v));
			continue;
		}
		for (q = v->data.mapping.pairs.start;
		     q < v->data.mapping.pairs.top; q++) {
			qk = yaml_document_get_node(&l->doc.doc, q->key);
			qv = yaml_document_get_node(&l->doc.doc, q->value);
			if (strcmp(node_text(qk), "max_concurrent") != 0) {
				loader_unknown_key(
				    l, qk, "queue setting", keys, NITEMS(keys));
			} else if (value_integer(l, "max_concurrent", qv, 1,
			               10000, 10, &n) == 0) {
				qd->max_concurrent = (int)n;
			}
		}
	}
}

static const char *const notifier_type_names[] = {
	[NOTIFIER_DESKTOP] = "desktop",
	[NOTIFIER_MAIL] = "mail",
	[NOTIFIER_WEBHOOK] = "webhook",
	[NOTIFIER_COMMAND] = "command",
};

const char *
config_notifier_type_name(enum notifier_type t)
{
	return notifier_type_names[t];
}

int
config_notifier_index(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nnotifiers; i++) {
		if (strcmp(c->notifiers[i].name, name) == 0) {
			return (int)i;
		}
	}
	return -1;
}

/* One setting of a notifier into nd; key checked against its type. */
static void
notifier_setting(
    struct loader *l, struct notifier_def *nd, yaml_node_t *k, yaml_node_t *v)
{
	static const struct field timeout = { .name = "timeout",
		.want = "a duration such as 30s" };
	static const struct field format = { .name = "format",
		.want = "generic or slack" };
	static const char *const formats[] = { "generic", "slack" };
	const char *key = node_text(k), *val;
	int w;

	if (strcmp(key, "timeout") == 0) {
		value_duration(l, &timeout, v, 1, &nd->timeout_ms);
		return;
	}
	if (strcmp(key, "run") == 0 || strcmp(key, "sendmail") == 0) {
		if (v->type == YAML_MAPPING_NODE || node_is_null(v)) {
			loader_error(l, v,
			    "%s: must be a program and its arguments, as "
			    "[logger, -t, taskweaver]",
			    key);
			return;
		}
		strv_free(nd->program);
		nd->program = loader_words(l, v, key);
		return;
	}
	if (v->type != YAML_SCALAR_NODE || node_is_null(v)) {
		loader_error(
		    l, v, "%s: must be a value, not %s", key, node_kind(v));
		return;
	}
	val = node_text(v);
	if (strcmp(key, "to") == 0 || strcmp(key, "from") == 0) {
		if (strchr(val, '@') == NULL || strpbrk(val, "\r\n") != NULL) {
			loader_error(
			    l, v, "%s: '%s' is not a mail address", key, val);
			return;
		}
		*(strcmp(key, "to") == 0 ? &nd->to : &nd->from) = xstrdup(val);
	} else if (strcmp(key, "url") == 0) {
		if (strncmp(val, "http://", 7) != 0 &&
		    strncmp(val, "https://", 8) != 0) {
			loader_error(l, v,
			    "url: '%s' is not an http:// or https:// URL", val);
			return;
		}
		nd->url = xstrdup(val);
	} else if (strcmp(key, "format") == 0 &&
	    value_word(l, &format, v, formats, NITEMS(formats), &w) == 0) {
		nd->slack = w == 1;
	}
}

/* Whether key belongs to a notifier of type t; an error if it does not. */
static int
notifier_key_fits(struct loader *l, yaml_node_t *k, enum notifier_type t)
{
	static const struct {
		const char *key;
		int type; /* -1: any */
	} keys[] = {
		{ "format", NOTIFIER_WEBHOOK },
		{ "from", NOTIFIER_MAIL },
		{ "run", NOTIFIER_COMMAND },
		{ "sendmail", NOTIFIER_MAIL },
		{ "timeout", -1 },
		{ "to", NOTIFIER_MAIL },
		{ "type", -1 },
		{ "url", NOTIFIER_WEBHOOK },
	};
	const char *names[NITEMS(keys)];
	size_t i;

	for (i = 0; i < NITEMS(keys); i++) {
		names[i] = keys[i].key;
		if (strcmp(node_text(k), keys[i].key) != 0) {
			continue;
		}
		if (keys[i].type != -1 && keys[i].type != (int)t) {
			loader_error(l, k,
			    "'%s' is a setting of %s notifiers, not of %s "
			    "ones",
			    keys[i].key, notifier_type_names[keys[i].type],
			    notifier_type_names[t]);
			return 0;
		}
		return 1;
	}
	loader_unknown_key(l, k, "notifier setting", names, NITEMS(names));
	return 0;
}

/* A notifier of a plugin's type: {type: NAME, with: {...}, timeout}. */
static void
notifier_of_plugin(struct loader *l, struct notifier_def *nd, yaml_node_t *key,
    yaml_node_t *map, yaml_node_t *type)
{
	static const struct field timeout = { .name = "timeout",
		.want = "a duration such as 30s" };
	static const char *const keys[] = { "timeout", "type", "with" };
	yaml_node_t *k, *v, *with = NULL;
	yaml_node_pair_t *p;
	const char *hint;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		v = yaml_document_get_node(&l->doc.doc, p->value);
		if (strcmp(node_text(k), "with") == 0) {
			with = v;
		} else if (strcmp(node_text(k), "timeout") == 0) {
			value_duration(l, &timeout, v, 1, &nd->timeout_ms);
		} else if (strcmp(node_text(k), "type") != 0) {
			loader_unknown_key(l, k,
			    "setting of a plugin's notifier", keys,
			    NITEMS(keys));
		}
	}
	if (loader_notifier_plugin(l, nd, type, with, key) == -1) {
		hint = suggest(node_text(type), notifier_type_names,
		    NITEMS(notifier_type_names));
		loader_error(l, type,
		    "type: '%s' is not desktop, mail, webhook or command%s%s%s",
		    node_text(type), hint != NULL ? " (did you mean '" : "",
		    hint != NULL ? hint : "",
		    hint != NULL ? "'?)"
		                 : ", nor a plugin on the plugin path (twctl "
		                   "plugins)");
	}
}

/* One notifier: {type: T, ...} into nd. */
static void
loader_notifier(struct loader *l, struct notifier_def *nd, yaml_node_t *key,
    yaml_node_t *map)
{
	static const struct field type = { .name = "type",
		.want = "desktop, mail, webhook or command" };
	static const char *const sendmail[] = { "/usr/sbin/sendmail", "-t",
		"-oi" };
	yaml_node_pair_t *p;
	yaml_node_t *k, *v = NULL;
	size_t i;
	int w;

	nd->timeout_ms = DEFAULT_NOTIFY_TIMEOUT_MS;
	if (map->type == YAML_MAPPING_NODE) {
		for (p = map->data.mapping.pairs.start;
		     p < map->data.mapping.pairs.top; p++) {
			k = yaml_document_get_node(&l->doc.doc, p->key);
			if (strcmp(node_text(k), "type") == 0) {
				v = yaml_document_get_node(
				    &l->doc.doc, p->value);
			}
		}
	}
	if (v == NULL) {
		loader_error(l, map->type == YAML_MAPPING_NODE ? map : key,
		    "notifier '%s' must be a mapping with a type: desktop, "
		    "mail, webhook or command",
		    nd->name);
		return;
	}
	if (loader_check_keys(l, map, "notifier setting") == -1) {
		return;
	}
	for (i = 0; i < NITEMS(notifier_type_names) &&
	     strcmp(node_text(v), notifier_type_names[i]) != 0;
	     i++) {
	}
	if (i == NITEMS(notifier_type_names)) {
		notifier_of_plugin(l, nd, key, map, v);
		return;
	}
	if (value_word(l, &type, v, notifier_type_names,
	        NITEMS(notifier_type_names), &w) == -1) {
		return;
	}
	nd->type = (enum notifier_type)w;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		if (notifier_key_fits(l, k, nd->type) &&
		    strcmp(node_text(k), "type") != 0) {
			notifier_setting(l, nd, k,
			    yaml_document_get_node(&l->doc.doc, p->value));
		}
	}
	if (nd->type == NOTIFIER_MAIL && nd->to == NULL) {
		loader_error(l, key, "notifier '%s' (mail) has no 'to' address",
		    nd->name);
	} else if (nd->type == NOTIFIER_WEBHOOK && nd->url == NULL) {
		loader_error(
		    l, key, "notifier '%s' (webhook) has no 'url'", nd->name);
	} else if (nd->type == NOTIFIER_COMMAND && nd->program == NULL) {
		loader_error(l, key,
		    "notifier '%s' (command) has no 'run': the program and "
		    "its arguments",
		    nd->name);
	}
	if (nd->type == NOTIFIER_MAIL && nd->program == NULL) {
		nd->program =
		    xcalloc(NITEMS(sendmail) + 1, sizeof *nd->program);
		for (i = 0; i < NITEMS(sendmail); i++) {
			nd->program[i] = xstrdup(sendmail[i]);
		}
	}
}

/* notifiers: {NAME: {type: desktop|mail|webhook|command, ...}, ...} */
void
loader_notifiers(struct loader *l, struct config *c, yaml_node_t *map)
{
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	struct notifier_def *nd;

	if (node_is_null(map)) {
		return;
	}
	if (map->type != YAML_MAPPING_NODE) {
		loader_error(l, map,
		    "'notifiers' must be a mapping of names to notifiers, "
		    "such as {me: {type: mail, to: me@example.org}}, not %s",
		    node_kind(map));
		return;
	}
	if (loader_check_keys(l, map, "notifier") == -1) {
		return;
	}
	c->notifiers = xcalloc(MAPPING_SIZE(map), sizeof *c->notifiers);
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		v = yaml_document_get_node(&l->doc.doc, p->value);
		if (!loader_name_ok(l, k, "notifier")) {
			continue;
		}
		nd = &c->notifiers[c->nnotifiers++];
		nd->name = xstrdup(node_text(k));
		loader_notifier(l, nd, k, v);
	}
}

/* A path of the tasks file's: ~ is the home directory. */
char *
section_path(struct loader *l, const char *v)
{
	if (v[0] == '~' && (v[1] == '/' || v[1] == '\0')) {
		return xasprintf("%s%s", l->home, v + 1);
	}
	return xstrdup(v);
}

/* One setting of an ssh executor into ed. */
static void
executor_setting(
    struct loader *l, struct executor_def *ed, yaml_node_t *k, yaml_node_t *v)
{
	static const struct field text = { .want = "a value" };
	const char *key = node_text(k), *val;
	struct field f = text;
	size_t i;
	long n;

	f.name = key;
	if (strcmp(key, "args") == 0) {
		if (v->type == YAML_MAPPING_NODE || node_is_null(v)) {
			loader_error(l, v,
			    "args: must be a list of srun arguments, as "
			    "[--qos=normal]");
			return;
		}
		strv_free(ed->args);
		ed->args = loader_words(l, v, key);
		return;
	}
	if (strcmp(key, "options") == 0) {
		if (v->type == YAML_MAPPING_NODE || node_is_null(v) ||
		    (ed->options = loader_words(l, v, key)) == NULL) {
			if (v->type == YAML_MAPPING_NODE || node_is_null(v)) {
				loader_error(l, v,
				    "options: must be a list of ssh options, "
				    "as [ServerAliveInterval=15]");
			}
			return;
		}
		for (i = 0; ed->options[i] != NULL; i++) {
			if (strchr(ed->options[i], '=') == NULL ||
			    ed->options[i][0] == '=' ||
			    ed->options[i][0] == '-') {
				loader_error(l, v,
				    "options: '%s' is not an ssh option such "
				    "as ServerAliveInterval=15 (Name=value, "
				    "as ssh -o takes it)",
				    ed->options[i]);
				return;
			}
		}
		return;
	}
	if (strcmp(key, "port") == 0) {
		if (value_integer(l, key, v, 1, 65535, 10, &n) == 0) {
			ed->port = (int)n;
		}
		return;
	}
	if (strcmp(key, "max_concurrent") == 0) {
		if (value_integer(l, key, v, 1, 10000, 10, &n) == 0) {
			ed->max_concurrent = (int)n;
		}
		return;
	}
	if ((val = loader_scalar(l, v, &f)) == NULL) {
		return;
	}
	/* Words for ssh's command line: none may pass for an option. */
	if (*val == '\0' || *val == '-' || strpbrk(val, " \t\r\n") != NULL) {
		loader_error(l, v,
		    "%s: '%s' must be one word, not starting with '-'", key,
		    val);
		return;
	}
	if (strcmp(key, "host") == 0) {
		ed->host = xstrdup(val);
	} else if (strcmp(key, "user") == 0) {
		ed->user = xstrdup(val);
	} else if (strcmp(key, "identity") == 0) {
		ed->identity = section_path(l, val);
	} else if (strcmp(key, "config") == 0) {
		ed->ssh_config = section_path(l, val);
	} else if (strcmp(key, "partition") == 0) {
		ed->partition = xstrdup(val);
	} else if (strcmp(key, "account") == 0) {
		ed->account = xstrdup(val);
	}
}

/* One executor: {type: ssh, host: H, ...} into ed. */
static void
loader_executor(struct loader *l, struct executor_def *ed, yaml_node_t *key,
    yaml_node_t *map)
{
	static const struct {
		const char *key;
		int type; /* -1: any */
	} keys[] = {
		{ "account", EXECUTOR_SLURM },
		{ "args", EXECUTOR_SLURM },
		{ "config", EXECUTOR_SSH },
		{ "host", EXECUTOR_SSH },
		{ "identity", EXECUTOR_SSH },
		{ "max_concurrent", -1 },
		{ "options", EXECUTOR_SSH },
		{ "partition", EXECUTOR_SLURM },
		{ "port", EXECUTOR_SSH },
		{ "type", -1 },
		{ "user", EXECUTOR_SSH },
	};
	static const char *const types[] = {
		[EXECUTOR_SSH] = "ssh", [EXECUTOR_SLURM] = "slurm"
	};
	static const struct field type = { .name = "type",
		.want = "ssh (a machine reached with your ssh) or slurm (a "
		        "cluster, through srun)" };
	const char *names[NITEMS(keys)];
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	size_t i;
	int w, typed = 0, hosted = 0;

	if (map->type != YAML_MAPPING_NODE) {
		loader_error(l, map,
		    "executor '%s' must be a mapping such as {type: ssh, "
		    "host: nas.lan}, not %s",
		    ed->name, node_kind(map));
		return;
	}
	if (loader_check_keys(l, map, "executor setting") == -1) {
		return;
	}
	/* Its type first: which settings it has depends on it. */
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		v = yaml_document_get_node(&l->doc.doc, p->value);
		if (strcmp(node_text(k), "type") == 0) {
			typed = 1; /* a wrong one is said where it is */
			if (value_word(l, &type, v, types, NITEMS(types), &w) ==
			    0) {
				ed->type = (enum executor_type)w;
			} else {
				return;
			}
		}
	}
	for (i = 0; i < NITEMS(keys); i++) {
		names[i] = keys[i].key;
	}
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		v = yaml_document_get_node(&l->doc.doc, p->value);
		for (i = 0;
		     i < NITEMS(keys) && strcmp(node_text(k), keys[i].key);
		     i++) {
		}
		if (i == NITEMS(keys)) {
			loader_unknown_key(
			    l, k, "executor setting", names, NITEMS(names));
		} else if (typed && keys[i].type != -1 &&
		    keys[i].type != (int)ed->type) {
			loader_error(l, k,
			    "'%s' is a setting of %s executors, not of %s "
			    "ones",
			    keys[i].key, types[keys[i].type], types[ed->type]);
		} else if (strcmp(keys[i].key, "type") != 0) {
			hosted |= strcmp(keys[i].key, "host") == 0;
			executor_setting(l, ed, k, v);
		}
	}
	if (!typed) {
		loader_error(l, key,
		    "executor '%s' has no 'type': ssh (a machine reached "
		    "with your ssh) or slurm (a cluster, through srun)",
		    ed->name);
	} else if (ed->type == EXECUTOR_SSH && !hosted) {
		loader_error(l, key,
		    "executor '%s' (ssh) has no 'host': the machine, as "
		    "ssh takes it (a name of your ssh_config, or an address)",
		    ed->name);
	}
}

/* executors: {NAME: {type: ssh, host: H, ...}, ...} */
void
loader_executors(struct loader *l, struct config *c, yaml_node_t *map)
{
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	struct executor_def *ed;

	if (node_is_null(map)) {
		return;
	}
	if (map->type != YAML_MAPPING_NODE) {
		loader_error(l, map,
		    "'executors' must be a mapping of names to executors, "
		    "such as {nas: {type: ssh, host: nas.lan}}, not %s",
		    node_kind(map));
		return;
	}
	if (loader_check_keys(l, map, "executor") == -1) {
		return;
	}
	c->executors = xcalloc(MAPPING_SIZE(map), sizeof *c->executors);
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		v = yaml_document_get_node(&l->doc.doc, p->value);
		if (!loader_name_ok(l, k, "executor")) {
			continue;
		}
		if (strcmp(node_text(k), "local") == 0) {
			loader_error(l, k,
			    "'local' is this machine, the executor of a task "
			    "that names none: give the executor another "
			    "name");
			continue;
		}
		ed = &c->executors[c->nexecutors++];
		ed->name = xstrdup(node_text(k));
		ed->file = l->file;
		ed->line = (unsigned)k->start_mark.line + 1;
		ed->column = (unsigned)k->start_mark.column + 1;
		loader_executor(l, ed, k, v);
	}
}

/* An executor no task runs on is a warning: a typo, or a leftover. */
void
loader_check_executors(struct loader *l, struct config *c)
{
	size_t i;

	for (i = 0; i < c->nexecutors; i++) {
		if (!c->executors[i].used) {
			errors_add(&c->warnings, c->executors[i].file,
			    c->executors[i].line, c->executors[i].column,
			    xasprintf("executor '%s': no task runs on it",
			        c->executors[i].name));
		}
	}
	(void)l;
}

int
config_queue_index(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nqueues; i++) {
		if (strcmp(c->queues[i].name, name) == 0) {
			return (int)i;
		}
	}
	return -1;
}
