/*
 * The task fields whose values are mappings or lists of their own, read
 * from a draft into a task: env (merged over the defaults' by name),
 * limits and history (likewise, key by key), notify and retry_on.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "duration.h"
#include "hash.h"
#include "suggest.h"
#include "xmalloc.h"
#include "config-int.h"

/* In the order of the NOTIFY_* bits. */
static const char *const notify_event_names[] = { "failure", "retry",
	"recovery", "success", "skipped", "config_error", "state_error" };

const char *
config_notify_event_name(unsigned event)
{
	size_t i;

	for (i = 0; i < NITEMS(notify_event_names); i++) {
		if (event == 1U << i) {
			return notify_event_names[i];
		}
	}
	return NULL;
}

/* limits: names, the resource, and whether the value is a size. */
static const struct {
	const char *name;
	int resource;
	enum limit_kind kind;
} limit_names[] = {
	{ "core", RLIMIT_CORE, LIMIT_SIZE },
	{ "cpu", RLIMIT_CPU, LIMIT_SECONDS },
	{ "fsize", RLIMIT_FSIZE, LIMIT_SIZE },
	{ "memory", RLIMIT_AS, LIMIT_SIZE },
	{ "nofile", RLIMIT_NOFILE, LIMIT_COUNT },
	{ "nproc", RLIMIT_NPROC, LIMIT_COUNT },
	{ "stack", RLIMIT_STACK, LIMIT_SIZE },
};

const char *
config_limit_name(int resource)
{
	size_t i;

	for (i = 0; i < NITEMS(limit_names); i++) {
		if (limit_names[i].resource == resource) {
			return limit_names[i].name;
		}
	}
	return "unknown";
}

static int
env_name_valid(const char *name)
{
	const char *p = name;

	if (!(*p == '_' || (*p >= 'A' && *p <= 'Z') ||
	        (*p >= 'a' && *p <= 'z'))) {
		return 0;
	}
	for (p++; *p != '\0'; p++) {
		if (!(*p == '_' || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))) {
			return 0;
		}
	}
	return 1;
}

typedef void (*pair_fn)(
    struct loader *, yaml_node_t *, yaml_node_t *, struct task_def *);

/* Call fn for each pair of the defaults' mapping, then of the task's. */
static void
merged_each(struct loader *l, yaml_node_t *const maps[2], pair_fn fn,
    struct task_def *t)
{
	yaml_node_pair_t *p;
	int m;

	for (m = 0; m < 2; m++) {
		if (maps[m] == NULL) {
			continue;
		}
		for (p = maps[m]->data.mapping.pairs.start;
		     p < maps[m]->data.mapping.pairs.top; p++) {
			fn(l, yaml_document_get_node(&l->doc.doc, p->key),
			    yaml_document_get_node(&l->doc.doc, p->value), t);
		}
	}
}

/* One env variable, appended to the task's (no other has its name). */
static void
env_pair(struct loader *l, yaml_node_t *k, yaml_node_t *v, struct task_def *t)
{
	size_t n;
	char *var;

	if (!env_name_valid(node_text(k))) {
		loader_error(l, k,
		    "env: '%s' is not a variable name (letters, digits and _)",
		    node_text(k));
		return;
	}
	if (v->type != YAML_SCALAR_NODE) {
		loader_error(l, v, "env: %s must be a string, not %s",
		    node_text(k), node_kind(v));
		return;
	}
	var = xasprintf(
	    "%s=%s", node_text(k), node_is_null(v) ? "" : node_text(v));
	n = l->env_n;
	if (n + 2 > l->env_cap) {
		l->env_cap = l->env_cap * 2 + 16;
		t->policy->env = xreallocarray(
		    t->policy->env, l->env_cap, sizeof *t->policy->env);
	}
	t->policy->env[n] = var;
	t->policy->env[n + 1] = NULL;
	l->env_n = n + 1;
}

/* The slot of name in a table of cap (a power of 2) names, or its free one. */
static size_t
name_slot(const char **set, size_t cap, const char *name)
{
	size_t i = (size_t)hash_str(HASH_START, name) & (cap - 1);

	while (set[i] != NULL && strcmp(set[i], name) != 0) {
		i = (i + 1) & (cap - 1);
	}
	return i;
}

/*
 * env: the defaults' variables, then the task's; one of the task's
 * replaces the defaults' of its name. Linear: the task's names are looked
 * up in a table, not each against all (5,000 variables in 2,000 tasks
 * took a minute).
 */
void
loader_env(struct loader *l, yaml_node_t *const maps[2], struct task_def *t)
{
	yaml_node_t *const own[2] = { NULL, maps[1] };
	yaml_node_pair_t *p;
	const char **set = NULL, *name;
	size_t cap = 16;

	l->env_n = 0;
	l->env_cap = 0;
	if (!loader_copy(l, maps[1] != NULL ? maps[1] : maps[0],
	        (maps[0] != NULL ? (size_t)(maps[0]->data.mapping.pairs.top -
	                               maps[0]->data.mapping.pairs.start)
	                         : 0) +
	            (maps[1] != NULL
	                    ? (size_t)(maps[1]->data.mapping.pairs.top -
	                          maps[1]->data.mapping.pairs.start)
	                    : 0))) {
		return;
	}
	if (maps[0] != NULL && maps[1] != NULL) {
		while (cap < 2 *
		        (size_t)(maps[1]->data.mapping.pairs.top -
		            maps[1]->data.mapping.pairs.start)) {
			cap *= 2;
		}
		set = xcalloc(cap, sizeof *set);
		for (p = maps[1]->data.mapping.pairs.start;
		     p < maps[1]->data.mapping.pairs.top; p++) {
			name = node_text(
			    yaml_document_get_node(&l->doc.doc, p->key));
			set[name_slot(set, cap, name)] = name;
		}
	}
	for (p = maps[0] != NULL ? maps[0]->data.mapping.pairs.start : NULL;
	     p != NULL && p < maps[0]->data.mapping.pairs.top; p++) {
		name = node_text(yaml_document_get_node(&l->doc.doc, p->key));
		if (set != NULL && set[name_slot(set, cap, name)] != NULL) {
			continue; /* the task's own comes later */
		}
		env_pair(l, yaml_document_get_node(&l->doc.doc, p->key),
		    yaml_document_get_node(&l->doc.doc, p->value), t);
	}
	free(set);
	merged_each(l, own, env_pair, t);
}

/* One resource limit; a later one of the same resource wins. */
static void
limit_pair(
    struct loader *l, yaml_node_t *k, yaml_node_t *val, struct task_def *t)
{
	const char *names[NITEMS(limit_names)], *v;
	char *cause = NULL, *end;
	size_t i, j;
	int64_t n = 0;

	for (i = 0; i < NITEMS(limit_names); i++) {
		names[i] = limit_names[i].name;
	}
	for (i = 0; i < NITEMS(limit_names); i++) {
		if (strcmp(node_text(k), names[i]) == 0) {
			break;
		}
	}
	if (i == NITEMS(limit_names)) {
		loader_unknown_key(l, k, "limit", names, NITEMS(names));
		return;
	}
	if (val->type != YAML_SCALAR_NODE || node_is_null(val)) {
		loader_error(l, val, "limits: %s must be a value, not %s",
		    names[i], node_kind(val));
		return;
	}
	v = node_text(val);
	if (limit_names[i].kind == LIMIT_SIZE) {
		size_parse(v, &n, &cause);
	} else if (limit_names[i].kind == LIMIT_SECONDS) {
		if (duration_parse(v, &n, &cause) == 0 && n == 0) {
			cause = xasprintf("'%s' must be at least 1s", v);
		}
	} else {
		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno != 0 || *end != '\0' || end == v || n < 0) {
			cause = xasprintf("'%s' is not a count", v);
		}
	}
	if (cause != NULL) {
		loader_error(l, val, "limits: %s: %s", names[i], cause);
		free(cause);
		return;
	}
	for (j = 0; j < t->policy->nlimits; j++) {
		if (t->policy->limits[j].resource == limit_names[i].resource) {
			break;
		}
	}
	if (j == t->policy->nlimits) {
		t->policy->limits = xreallocarray(t->policy->limits,
		    t->policy->nlimits + 1, sizeof *t->policy->limits);
		t->policy->nlimits++;
	}
	t->policy->limits[j].resource = limit_names[i].resource;
	t->policy->limits[j].value = (uint64_t)n;
	t->policy->limits[j].name = limit_names[i].name;
}

/* One history retention setting; a later one of the same name wins. */
static void
history_pair(
    struct loader *l, yaml_node_t *k, yaml_node_t *val, struct task_def *t)
{
	static const char *const names[] = { "keep_days", "keep_runs",
		"max_bytes" };
	const char *v;
	char *cause = NULL, *end;
	int64_t n = 0;

	if (val->type != YAML_SCALAR_NODE || node_is_null(val)) {
		loader_error(l, val, "history: %s must be a value, not %s",
		    node_text(k), node_kind(val));
		return;
	}
	v = node_text(val);
	if (strcmp(node_text(k), "max_bytes") == 0) {
		if (size_parse(v, &t->policy->keep_bytes, &cause) == -1) {
			loader_error(l, val, "history: max_bytes: %s", cause);
			free(cause);
		}
		return;
	}
	if (strcmp(node_text(k), "keep_runs") != 0 &&
	    strcmp(node_text(k), "keep_days") != 0) {
		loader_unknown_key(
		    l, k, "history setting", names, NITEMS(names));
		return;
	}
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0' || end == v || n < 1) {
		loader_error(l, val, "history: %s: '%s' is not a number from 1",
		    node_text(k), v);
		return;
	}
	*(strcmp(node_text(k), "keep_runs") == 0 ? &t->policy->keep_runs
	                                         : &t->policy->keep_days) = n;
}

/*
 * notify: {on: [events], via: [notifiers]}: on defaults to failure and
 * recovery, via to every notifier of the file.
 */
void
draft_notify(struct loader *l, yaml_node_t *node, struct task_def *t)
{
	static const char *const keys[] = { "on", "via" };
	yaml_node_t *on = NULL, *via = NULL, *k, *item;
	yaml_node_pair_t *p;
	yaml_node_item_t *it;
	const char *hint, *names[64];
	size_t i, n;
	int idx;

	if (node->type != YAML_MAPPING_NODE) {
		loader_error(l, node,
		    "'notify' must be a mapping such as {on: [failure, "
		    "recovery], via: [desktop]}, not %s",
		    node_kind(node));
		return;
	}
	for (p = node->data.mapping.pairs.start;
	     p < node->data.mapping.pairs.top; p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		if (strcmp(node_text(k), "on") == 0) {
			on = yaml_document_get_node(&l->doc.doc, p->value);
		} else if (strcmp(node_text(k), "via") == 0) {
			via = yaml_document_get_node(&l->doc.doc, p->value);
		} else {
			loader_unknown_key(
			    l, k, "notify setting", keys, NITEMS(keys));
		}
	}
	t->policy->notify_on = NOTIFY_FAILURE | NOTIFY_RECOVERY;
	if (on != NULL) {
		t->policy->notify_on = 0;
		if (on->type != YAML_SEQUENCE_NODE) {
			loader_error(l, on,
			    "notify: on: must be a list of events, such as "
			    "[failure, recovery]");
			return;
		}
		for (it = on->data.sequence.items.start;
		     it < on->data.sequence.items.top; it++) {
			item = yaml_document_get_node(&l->doc.doc, *it);
			for (i = 0; i < NITEMS(notify_event_names); i++) {
				if (item->type == YAML_SCALAR_NODE &&
				    strcmp(node_text(item),
				        notify_event_names[i]) == 0) {
					t->policy->notify_on |= 1U << i;
					break;
				}
			}
			if (i == NITEMS(notify_event_names)) {
				hint = item->type == YAML_SCALAR_NODE
				    ? suggest(node_text(item),
				          notify_event_names,
				          NITEMS(notify_event_names))
				    : NULL;
				loader_error(l, item,
				    "notify: on: '%s' is not failure, retry, "
				    "recovery, success, skipped, config_error "
				    "or state_error%s%s%s",
				    item->type == YAML_SCALAR_NODE
				        ? node_text(item)
				        : "?",
				    hint != NULL ? " (did you mean '" : "",
				    hint != NULL ? hint : "",
				    hint != NULL ? "'?)" : "");
			}
		}
	}
	free(t->policy->notify_via);
	t->policy->notify_via = NULL;
	t->policy->nnotify_via = 0;
	if (via == NULL) {
		/* Every notifier of the file. */
		n = l->config->nnotifiers;
		t->policy->notify_via =
		    n > 0 ? xcalloc(n, sizeof *t->policy->notify_via) : NULL;
		for (i = 0; i < n; i++) {
			t->policy->notify_via[t->policy->nnotify_via++] =
			    (int)i;
		}
		return;
	}
	if (via->type != YAML_SEQUENCE_NODE) {
		loader_error(l, via,
		    "notify: via: must be a list of notifiers, such as "
		    "[desktop, me]");
		return;
	}
	for (i = 0; i < l->config->nnotifiers && i < NITEMS(names); i++) {
		names[i] = l->config->notifiers[i].name;
	}
	for (it = via->data.sequence.items.start;
	     it < via->data.sequence.items.top; it++) {
		item = yaml_document_get_node(&l->doc.doc, *it);
		if (item->type == YAML_SCALAR_NODE &&
		    (idx = config_notifier_index(l->config, node_text(item))) >=
		        0) {
			t->policy->notify_via = xreallocarray(
			    t->policy->notify_via, t->policy->nnotify_via + 1,
			    sizeof *t->policy->notify_via);
			t->policy->notify_via[t->policy->nnotify_via++] = idx;
			continue;
		}
		hint = item->type == YAML_SCALAR_NODE
		    ? suggest(node_text(item), names, i)
		    : NULL;
		loader_error(l, item,
		    "notify: via: no notifier named '%s'%s%s%s",
		    item->type == YAML_SCALAR_NODE ? node_text(item) : "?",
		    hint != NULL ? " (did you mean '" : "",
		    hint != NULL ? hint : "",
		    hint != NULL ? "'?)"
		                 : "; notifiers are defined under "
		                   "'notifiers' at the top of the file");
	}
}

/* Exit codes and words of retry_on into t. */
void
draft_retry_on(struct loader *l, yaml_node_t *node, struct task_def *t)
{
	static const char *const words[] = { "timeout", "start_failed",
		"signal" };
	static const int flags[] = { RETRY_ON_TIMEOUT, RETRY_ON_START_FAILED,
		RETRY_ON_SIGNAL };
	yaml_node_item_t *it;
	yaml_node_t *item;
	const char *v, *hint;
	size_t i;
	long n;

	if (node->type != YAML_SEQUENCE_NODE) {
		loader_error(l, node,
		    "'retry_on' must be a list, such as [1, 75, timeout]");
		return;
	}
	for (it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		item = yaml_document_get_node(&l->doc.doc, *it);
		v = node_text(item);
		if (item->type != YAML_SCALAR_NODE || node_is_null(item)) {
			loader_error(l, item,
			    "retry_on: each item must be an exit code or a "
			    "word, not %s",
			    node_kind(item));
			continue;
		}
		for (i = 0; i < NITEMS(words); i++) {
			if (strcmp(v, words[i]) == 0) {
				t->policy->retry_flags |= flags[i];
				break;
			}
		}
		if (i < NITEMS(words)) {
			continue;
		}
		if (*v >= '0' && *v <= '9') {
			if (value_integer(
			        l, "retry_on", item, 1, 255, 10, &n) == 0) {
				t->policy->retry_codes =
				    xreallocarray(t->policy->retry_codes,
				        t->policy->nretry_codes + 1,
				        sizeof *t->policy->retry_codes);
				t->policy
				    ->retry_codes[t->policy->nretry_codes++] =
				    (int)n;
			}
			continue;
		}
		hint = suggest(v, words, NITEMS(words));
		loader_error(l, item,
		    "retry_on: '%s' is not an exit code (1 to 255), timeout, "
		    "start_failed or signal%s%s%s",
		    v, hint != NULL ? " (did you mean '" : "",
		    hint != NULL ? hint : "", hint != NULL ? "'?)" : "");
	}
}

void
draft_limits(struct loader *l, yaml_node_t *const maps[2], struct task_def *t)
{
	merged_each(l, maps, limit_pair, t);
}

void
draft_history(struct loader *l, yaml_node_t *const maps[2], struct task_def *t)
{
	merged_each(l, maps, history_pair, t);
}

int64_t
cpus_parse(const char *v)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(v, &end);
	if (end == v || *end != '\0' || errno != 0 || !(x >= 0.001) ||
	    x > 100000) {
		return -1;
	}
	return (int64_t)(x * 1000 + 0.5);
}

int
config_resource_set(
    struct task_policy *p, const char *key, const char *v, char **cause)
{
	int64_t n = 0;

	if (strcmp(key, "cpus") == 0) {
		if ((n = cpus_parse(v)) <= 0) {
			*cause = xasprintf("'%s' is not a number of CPUs from "
			                   "0.001 to 100000, such as 2 or 0.25",
			    v);
			return -1;
		}
		p->res_mcpus = (int32_t)n;
		return 0;
	}
	if (size_parse(v, &n, cause) == -1) {
		return -1;
	}
	if (n < 1024 * 1024) {
		*cause = xasprintf("'%s' is less than 1M", v);
		return -1;
	}
	p->res_memory = n;
	return 0;
}

/* One resource of resources: into t's policy. */
static void
resources_pair(
    struct loader *l, yaml_node_t *k, yaml_node_t *val, struct task_def *t)
{
	static const char *const names[] = { "cpus", "gpus", "memory", "time" };
	struct task_policy *p = t->policy;
	const char *key = node_text(k), *v;
	char *cause = NULL;
	int64_t n = 0;
	long count;

	if (val->type != YAML_SCALAR_NODE || node_is_null(val)) {
		loader_error(l, val, "resources: %s must be a value, not %s",
		    key, node_kind(val));
		return;
	}
	v = node_text(val);
	if (strcmp(key, "cpus") == 0 || strcmp(key, "memory") == 0) {
		config_resource_set(p, key, v, &cause);
	} else if (strcmp(key, "gpus") == 0) {
		if (value_integer(l, key, val, 1, 100000, 10, &count) == 0) {
			p->res_gpus = (int32_t)count;
		}
	} else if (strcmp(key, "time") == 0) {
		if (duration_parse(v, &n, &cause) == 0 && n < 60) {
			cause = xasprintf("'%s' is less than Slurm's 1m", v);
		}
		p->res_time_ms = n * 1000;
	} else {
		loader_unknown_key(l, k, "resource", names, NITEMS(names));
	}
	if (cause != NULL) {
		loader_error(l, val, "resources: %s: %s", key, cause);
		free(cause);
	}
}

/* The memory limit t has of its own (limits: memory), or 0. */
static uint64_t
limit_memory(const struct task_def *t)
{
	unsigned i;

	for (i = 0; i < t->policy->nlimits; i++) {
		if (t->policy->limits[i].resource == RLIMIT_AS) {
			return t->policy->limits[i].value;
		}
	}
	return 0;
}

/*
 * resources: what a run asks of Slurm. A run elsewhere gets what it
 * asks; gpus and time mean nothing here, and memory here is limits:'s.
 */
void
draft_resources(
    struct loader *l, yaml_node_t *const maps[2], struct task_def *t)
{
	const struct executor_def *ex;
	yaml_node_t *where = maps[1] != NULL ? maps[1] : maps[0];
	uint64_t mem;

	if (where == NULL) {
		return;
	}
	merged_each(l, maps, resources_pair, t);
	ex = config_executor(l->config, t);
	/* The defaults' are checked in each task that takes them. */
	if ((ex != NULL && ex->type == EXECUTOR_SLURM) ||
	    t == l->config->defaults) {
		return;
	}
	if (t->policy->res_gpus > 0 || t->policy->res_time_ms > 0) {
		loader_error(l, where,
		    "resources: gpus and time are asked of Slurm, and '%s' "
		    "runs %s%s%s: give it a slurm executor, or use timeout "
		    "for its time",
		    t->name, ex != NULL ? "on executor '" : "here",
		    ex != NULL ? ex->name : "", ex != NULL ? "'" : "");
	}
	mem = limit_memory(t);
	if (t->policy->res_memory > 0 && mem > 0 &&
	    (uint64_t)t->policy->res_memory > mem) {
		loader_error(l, where,
		    "resources: memory (%" PRId64 " bytes) is more than "
		    "limits: memory (%" PRIu64 " bytes), which would stop "
		    "the run first",
		    t->policy->res_memory, mem);
	}
}

/* One bound of pressure: (cpu, memory, io: N%) into t's policy. */
static void
pressure_pair(
    struct loader *l, yaml_node_t *k, yaml_node_t *val, struct task_def *t)
{
	static const char *const names[] = { "cpu", "io", "memory" };
	const char *key = node_text(k), *v = node_text(val);
	uint8_t *slot = strcmp(key, "cpu") == 0 ? &t->policy->press_cpu
	    : strcmp(key, "memory") == 0        ? &t->policy->press_memory
	    : strcmp(key, "io") == 0            ? &t->policy->press_io
	                                        : NULL;
	struct stat st;
	char *end, *file;
	long pct;

	if (slot == NULL) {
		loader_unknown_key(l, k, "pressure kind", names, NITEMS(names));
		return;
	}
	errno = 0;
	pct = val->type == YAML_SCALAR_NODE ? strtol(v, &end, 10) : -1;
	if (val->type != YAML_SCALAR_NODE || end == v ||
	    strcmp(end, "%") != 0 || errno != 0 || pct < 1 || pct > 100) {
		loader_error(l, val,
		    "pressure: %s: '%s' is not a percentage from 1%% to 100%% "
		    "(of time some task stalled, PSI's some avg10)",
		    key, val->type == YAML_SCALAR_NODE ? v : node_kind(val));
		return;
	}
	*slot = (uint8_t)pct;
	/* No PSI in this kernel: said, and the bound means nothing. */
	file = xasprintf("%s/%s", config_psi_dir(), key);
	if (stat(file, &st) == -1) {
		loader_warning(l, val, "pressure",
		    xasprintf("%s: %s: this kernel has no PSI (Linux 4.20, "
		              "CONFIG_PSI): the bound is ignored",
		        file, strerror(errno)));
		*slot = 0;
	}
	free(file);
}

/* pressure: the machine's stall above which t's runs wait. */
void
draft_pressure(struct loader *l, yaml_node_t *const maps[2], struct task_def *t)
{
	if (maps[0] == NULL && maps[1] == NULL) {
		return;
	}
	merged_each(l, maps, pressure_pair, t);
}
