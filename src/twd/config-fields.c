/*
 * The tasks file's schema: the table of a task's fields, what each value
 * must be, and the readers that turn a task's mapping (a draft) into its
 * definition, collecting every error.
 *
 * To add a tasks-file field:
 *  1. an entry in task_fields[], in its alphabetical place (a lint checks
 *     the order), with what its value must be, for the messages;
 *  2. where it lives: struct task_def, or struct task_policy when tasks
 *     may share it (task_policy_hash hashes its scalars; pointers need a
 *     line there and in task_policy_copy and task_policy_clear);
 *  3. its value read from the draft, default applied (draft_flow,
 *     draft_exec, or a draft_* of its own, in config-maps.c when the
 *     value is a mapping or a list);
 *  4. its view: how twctl show gives it and a reload and policy sharing
 *     compare it, by VIEW_AT for a policy's number or VIEW(name) with a
 *     show_name and a same_name in config-view.c; then twctl show's text
 *     (cmd-show.c): test 0037 fails until show has it;
 *  6. taskweaver(5), which the lint checks has an entry, the README's
 *     field list, and a test of its value and of its errors.
 */
#include <sys/resource.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "duration.h"
#include "hash.h"
#include "schedule.h"
#include "suggest.h"
#include "tz.h"
#include "xmalloc.h"
#include "config-int.h"

static int field_command(
    struct loader *, struct draft *, const struct field *, yaml_node_t *);
static int field_flow(
    struct loader *, struct draft *, const struct field *, yaml_node_t *);
static int field_jitter(
    struct loader *, struct draft *, const struct field *, yaml_node_t *);
static int field_list(
    struct loader *, struct draft *, const struct field *, yaml_node_t *);
static int field_merged(
    struct loader *, struct draft *, const struct field *, yaml_node_t *);
static int field_node(
    struct loader *, struct draft *, const struct field *, yaml_node_t *);
static int field_timezone(
    struct loader *, struct draft *, const struct field *, yaml_node_t *);
static int field_value(
    struct loader *, struct draft *, const struct field *, yaml_node_t *);
static int field_with(
    struct loader *, struct draft *, const struct field *, yaml_node_t *);

#define DATETIME_WANT "a date and time such as 2026-12-24T18:00"

/* Keep alphabetized; taskweaver(5) documents each entry. */
const struct field task_fields[] = {
	{ "after", field_list, "a list of task names",
	    offsetof(struct draft, after), 0, VIEW(after) },
	{ "at", field_node, DATETIME_WANT, offsetof(struct draft, at), 0,
	    .view = VIEW_PART },
	{ "catch_up", field_flow, "none, latest or all", 0, 1, VIEW(catch_up) },
	{ "catch_up_max", field_flow, "a number from 1 to 1000", 0, 1,
	    VIEW_AT(VIEW_INT, catch_up_max) },
	{ "command", field_command, "a shell command line", 0, 0,
	    VIEW(command) },
	{ "cwd", field_value, "a directory", offsetof(struct draft, cwd), 1,
	    VIEW(cwd) },
	{ "description", field_value, "a line of text",
	    offsetof(struct draft, description), 0, VIEW(description) },
	{ "enabled", field_flow, "true or false", 0, 1, VIEW(enabled) },
	{ "env", field_merged, "a mapping of variable names to values",
	    offsetof(struct draft, env), 1, VIEW(env) },
	{ "env_clear", field_value, "true or false",
	    offsetof(struct draft, env_clear), 1, VIEW(env_clear) },
	{ "every", field_node, "a duration such as 90s, 5m or 1h30m",
	    offsetof(struct draft, every), 0, .view = VIEW_PART },
	{ "executor", field_flow, "the name of an executor in 'executors'", 0,
	    1, VIEW(executor) },
	{ "history", field_merged,
	    "a mapping of keep_runs, keep_days and max_bytes",
	    offsetof(struct draft, history), 1, VIEW(history) },
	{ "jitter", field_jitter, "a duration such as 30s", 0, 1,
	    VIEW_AT(VIEW_SECONDS, jitter_ms) },
	{ "kill_grace", field_value, "a duration such as 10s",
	    offsetof(struct draft, kill_grace_ms), 1,
	    VIEW_AT(VIEW_SECONDS, kill_grace_ms) },
	{ "limits", field_merged,
	    "a mapping of limits (cpu, memory, nofile, nproc, fsize, core, "
	    "stack)",
	    offsetof(struct draft, limits), 1, VIEW(limits) },
	{ "max_output", field_value, "a size such as 10M",
	    offsetof(struct draft, max_output), 1,
	    VIEW_AT(VIEW_INT64, max_output) },
	{ "nice", field_value, "a number from -20 to 19",
	    offsetof(struct draft, nice), 1, VIEW(nice) },
	{ "notify", field_list, "a mapping such as {on: [failure], via: [me]}",
	    offsetof(struct draft, notify), 1, VIEW(notify) },
	{ "notify_every", field_flow, "a duration such as 1h",
	    offsetof(struct draft, notify_every_ms), 1,
	    VIEW_AT(VIEW_SECONDS, notify_every_ms) },
	{ "on", field_with, "a mapping of git: and path:",
	    offsetof(struct draft, on), 0, VIEW(on) },
	{ "overlap", field_flow, "skip, queue, allow or replace", 0, 1,
	    VIEW(overlap) },
	{ "pressure", field_merged,
	    "a mapping of cpu, memory and io, each a percentage such as 50%",
	    offsetof(struct draft, pressure), 1, VIEW(pressure) },
	{ "priority", field_flow,
	    "critical, high, normal, low or a number from 0 to 100", 0, 1,
	    VIEW(priority) },
	{ "queue", field_flow, "the name of a queue in 'queues'", 0, 1,
	    VIEW(queue) },
	{ "resources", field_merged,
	    "a mapping of cpus, memory, gpus and time (Slurm's)",
	    offsetof(struct draft, resources), 1, VIEW(resources) },
	{ "retries", field_flow, "a number from 0 to 100", 0, 1,
	    VIEW_AT(VIEW_INT, retries) },
	{ "retry_backoff", field_flow, "a number from 1 to 10, such as 2.0", 0,
	    1, VIEW(retry_backoff) },
	{ "retry_delay", field_flow, "a duration such as 30s",
	    offsetof(struct draft, retry_delay_ms), 1,
	    VIEW_AT(VIEW_SECONDS, retry_delay_ms) },
	{ "retry_max_delay", field_flow, "a duration such as 1h",
	    offsetof(struct draft, retry_max_delay_ms), 1,
	    VIEW_AT(VIEW_SECONDS, retry_max_delay_ms) },
	{ "retry_on", field_flow,
	    "a list of exit codes and of timeout, start_failed, signal", 0, 1,
	    VIEW(retry_on) },
	{ "run", field_list, "a list: the program and its arguments",
	    offsetof(struct draft, run), 0, VIEW(run) },
	{ "schedule", field_node,
	    "a cron expression such as \"30 2 * * *\" or @daily",
	    offsetof(struct draft, schedule), 0, VIEW(schedule) },
	{ "shell", field_list, "a shell and its options, as /bin/bash -c",
	    offsetof(struct draft, shell), 1, VIEW(shell) },
	{ "start_at", field_node, DATETIME_WANT,
	    offsetof(struct draft, start_at), 0, .view = VIEW_PART },
	{ "starting_deadline", field_flow, "a duration such as 10m",
	    offsetof(struct draft, starting_deadline_ms), 1,
	    VIEW_AT(VIEW_SECONDS_OR_NULL, starting_deadline_ms) },
	{ "timeout", field_value, "a duration such as 1h, or none",
	    offsetof(struct draft, timeout_ms), 1,
	    VIEW_AT(VIEW_SECONDS_OR_NULL, timeout_ms) },
	{ "timezone", field_timezone, "a zone such as Europe/Berlin", 0, 1,
	    VIEW(timezone) },
	{ "type", field_node, "the name of a plugin (twctl plugins)",
	    offsetof(struct draft, type), 0, VIEW(type) },
	{ "umask", field_value, "an octal mode such as 022",
	    offsetof(struct draft, umask), 1, VIEW(umask) },
	{ "with", field_with, "a mapping of the plugin's parameters",
	    offsetof(struct draft, with), 0, VIEW(with) },
};

const size_t ntask_fields = NITEMS(task_fields);

static const char *const overlap_names[] = {
	[OVERLAP_SKIP] = "skip",
	[OVERLAP_QUEUE] = "queue",
	[OVERLAP_ALLOW] = "allow",
	[OVERLAP_REPLACE] = "replace",
};

static int field_flow(struct loader *l, struct draft *d, const struct field *f,
    yaml_node_t *node);

static int
field_command(
    struct loader *l, struct draft *d, const struct field *f, yaml_node_t *node)
{
	if ((d->command = loader_scalar(l, node, f)) == NULL) {
		return -1;
	}
	return 0;
}

/*
 * A mapping kept whole: with: for its plugin's schema, once type: is
 * known; on: for its reader.
 */
static int
field_with(
    struct loader *l, struct draft *d, const struct field *f, yaml_node_t *node)
{
	(void)l;
	*(yaml_node_t **)((char *)d + f->slot) = node;
	return 0;
}

/* Keep the node for when the task is complete; check only its type now. */
static int
field_node(
    struct loader *l, struct draft *d, const struct field *f, yaml_node_t *node)
{
	if (loader_scalar(l, node, f) == NULL) {
		return -1;
	}
	*(yaml_node_t **)((char *)d + f->slot) = node;
	return 0;
}

static int
field_jitter(
    struct loader *l, struct draft *d, const struct field *f, yaml_node_t *node)
{
	const char *v;
	int64_t secs;
	char *cause;

	if ((v = loader_scalar(l, node, f)) == NULL) {
		return -1;
	}
	if (duration_parse(v, &secs, &cause) == -1) {
		loader_error(l, node, "jitter: %s", cause);
		free(cause);
		return -1;
	}
	if (secs > JITTER_MAX_SECS) {
		loader_error(
		    l, node, "jitter: '%s' is over the limit of 1d", v);
		return -1;
	}
	d->jitter_ms = secs * 1000;
	return 0;
}

static int
field_timezone(
    struct loader *l, struct draft *d, const struct field *f, yaml_node_t *node)
{
	const char *v;
	char *cause;

	if ((v = loader_scalar(l, node, f)) == NULL) {
		return -1;
	}
	if ((d->tz = config_zone(l->config, v, &cause)) == NULL) {
		loader_error(l, node, "timezone: %s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

/* A duration into *ms, at least min_secs. Returns 0, or -1 after an error. */
int
value_duration(struct loader *l, const struct field *f, yaml_node_t *node,
    int64_t min_secs, int64_t *ms)
{
	int64_t secs;
	char *cause;

	if (duration_parse(node_text(node), &secs, &cause) == -1) {
		loader_error(l, node, "%s: %s", f->name, cause);
		free(cause);
		return -1;
	}
	if (secs < min_secs || secs > EVERY_MAX_SECS) {
		loader_error(l, node, "%s: '%s' must be from %llds to 3650d",
		    f->name, node_text(node), (long long)min_secs);
		return -1;
	}
	*ms = secs * 1000;
	return 0;
}

/* A whole number from lo to hi. Returns 0, or -1 after an error. */
int
value_integer(struct loader *l, const char *what, yaml_node_t *node, long lo,
    long hi, int base, long *out)
{
	const char *v = node_text(node);
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, base);
	if (errno != 0 || end == v || *end != '\0' || n < lo || n > hi) {
		if (base == 8) {
			loader_error(l, node,
			    "%s: '%s' is not an octal mode from 0 to 0777",
			    what, v);
		} else {
			loader_error(l, node,
			    "%s: '%s' is not a number from %ld to %ld", what, v,
			    lo, hi);
		}
		return -1;
	}
	*out = n;
	return 0;
}

/* Lists (or words): checked when the task is complete. */
static int
field_list(
    struct loader *l, struct draft *d, const struct field *f, yaml_node_t *node)
{
	if (node_is_null(node)) {
		loader_error(
		    l, node, "'%s' is empty; expected %s", f->name, f->want);
		return -1;
	}
	*(yaml_node_t **)((char *)d + f->slot) = node;
	return 0;
}

/* Scalar fields whose value is known at once. */
/* "true"/"yes" or "false"/"no" into *out. */
int
value_bool(struct loader *l, const char *what, yaml_node_t *node, int *out)
{
	const char *v = node_text(node);

	if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0) {
		*out = 1;
	} else if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0) {
		*out = 0;
	} else {
		loader_error(l, node, "%s: '%s' is not true or false", what, v);
		return -1;
	}
	return 0;
}

static int
field_value(
    struct loader *l, struct draft *d, const struct field *f, yaml_node_t *node)
{
	void *slot = (char *)d + f->slot;
	const char *v;
	char *cause;
	long n;

	if ((v = loader_scalar(l, node, f)) == NULL) {
		return -1;
	}
	if (strcmp(f->name, "cwd") == 0) {
		d->cwd = v;
	} else if (strcmp(f->name, "description") == 0) {
		d->description = v;
	} else if (strcmp(f->name, "env_clear") == 0) {
		return value_bool(l, f->name, node, &d->env_clear);
	} else if (strcmp(f->name, "umask") == 0) {
		if (value_integer(l, "umask", node, 0, 0777, 8, &n) == -1) {
			return -1;
		}
		d->umask = (int)n;
	} else if (strcmp(f->name, "nice") == 0) {
		if (value_integer(l, "nice", node, -20, 19, 10, &n) == -1) {
			return -1;
		}
		d->nice = (int)n;
	} else if (strcmp(f->name, "max_output") == 0) {
		if (size_parse(v, slot, &cause) == -1) {
			loader_error(l, node, "max_output: %s", cause);
			free(cause);
			return -1;
		}
	} else if (strcmp(f->name, "timeout") == 0 && strcmp(v, "none") == 0) {
		/* No timeout, whatever the defaults say. */
		*(int64_t *)slot = 0;
	} else {
		/* timeout and kill_grace */
		return value_duration(
		    l, f, node, strcmp(f->name, "timeout") == 0 ? 1 : 0, slot);
	}
	return 0;
}

/* Mappings merged key by key with the defaults block's: env, limits. */
static int
field_merged(
    struct loader *l, struct draft *d, const struct field *f, yaml_node_t *node)
{
	yaml_node_t **slot = (yaml_node_t **)((char *)d + f->slot);

	if (node->type != YAML_MAPPING_NODE) {
		loader_error(l, node, "'%s' must be %s, not %s", f->name,
		    f->want, node_kind(node));
		return -1;
	}
	if (loader_check_keys(l, node,
	        strcmp(f->name, "env") == 0             ? "variable"
	            : strcmp(f->name, "history") == 0   ? "setting"
	            : strcmp(f->name, "resources") == 0 ? "resource"
	            : strcmp(f->name, "pressure") == 0  ? "pressure"
	                                                : "limit") == -1) {
		return -1;
	}
	slot[l->in_defaults ? 0 : 1] = node;
	return 0;
}

/* The zone a task's wall-clock times are in; NULL after an error. */
static const struct tz *
draft_zone(struct loader *l, const struct draft *d, yaml_node_t *where)
{
	const struct tz *tz;
	char *cause;

	if (d->tz != NULL) {
		return d->tz;
	}
	if ((tz = config_zone(l->config, "local", &cause)) == NULL) {
		loader_error(l, where, "%s", cause);
		free(cause);
	}
	return tz;
}

static int
draft_every(struct loader *l, const struct draft *d, struct task_def *t)
{
	const char *v = node_text(d->every);
	const struct tz *tz;
	int64_t secs, start;
	char *cause;

	if (duration_parse(v, &secs, &cause) == -1) {
		loader_error(l, d->every, "every: %s", cause);
		free(cause);
		return -1;
	}
	if (secs == 0 || secs > EVERY_MAX_SECS) {
		loader_error(l, d->every,
		    "every: interval must be from 1s to 3650d, not '%s'", v);
		return -1;
	}
	t->schedule = schedule_every(secs);
	if (d->start_at == NULL) {
		return 0;
	}
	if ((tz = draft_zone(l, d, d->start_at)) == NULL) {
		return -1;
	}
	if (tz_parse_iso(tz, node_text(d->start_at), &start, &cause) == -1) {
		loader_error(l, d->start_at, "start_at: %s", cause);
		free(cause);
		return -1;
	}
	schedule_set_start(t->schedule, start);
	return 0;
}

/*
 * The cron rule text in tz of the task named name, parsed or shared; NULL
 * with *cause. What it means that one may not expect is a warning at node.
 */
static struct schedule *
loader_cron(struct loader *l, const char *name, yaml_node_t *node,
    const struct tz *tz, char **cause)
{
	const char *text = node_text(node);
	struct loader_rule key = { (char *)text, tz, NULL }, *r;
	uint64_t h;
	struct intern_slot *slot;
	struct schedule *s;
	char *warning = NULL;

	/* Random ranges are the task's own: chosen from its name. */
	if (strchr(text, '~') != NULL) {
		if ((s = schedule_cron_seeded(
		         text, schedule_seed(name), &warning, cause)) != NULL) {
			schedule_set_tz(s, tz);
		}
		loader_warning(l, node, "schedule", warning);
		return s;
	}
	h = hash_str(hash_bytes(HASH_START, &tz, sizeof tz), text);
	slot = intern_slot(&l->rules, h, loader_rule_equal, &key);
	if (slot->item == NULL) {
		if ((s = schedule_cron_seeded(text, 0, &warning, cause)) ==
		    NULL) {
			return NULL;
		}
		loader_warning(l, node, "schedule", warning);
		schedule_set_tz(s, tz);
		r = xmalloc(sizeof *r);
		r->text = xstrdup(text);
		r->tz = tz;
		r->s = s;
		slot->hash = h;
		slot->item = r;
		l->rules.n++;
	}
	r = slot->item;
	return schedule_ref(r->s);
}

/* Build the task's rule from its draft; errors point at the values. */
int
draft_schedule(struct loader *l, const struct draft *d, struct task_def *t)
{
	yaml_node_t *given[3] = { d->schedule, d->every, d->at };
	static const char *const names[3] = { "schedule", "every", "at" };
	const struct tz *tz;
	char *cause;
	int64_t ms;
	int i, first = -1;

	for (i = 0; i < 3; i++) {
		if (given[i] == NULL) {
			continue;
		}
		if (first != -1) {
			loader_error(l, given[i],
			    "'%s' and '%s' cannot be used together: a task "
			    "has one of schedule, every or at",
			    names[first], names[i]);
			return -1;
		}
		first = i;
	}
	if (d->start_at != NULL && d->every == NULL) {
		loader_error(l, d->start_at, "'start_at' goes with 'every'");
		return -1;
	}
	if (d->every != NULL) {
		return draft_every(l, d, t);
	}
	if (first == -1) {
		return 0; /* runs only when asked */
	}
	if ((tz = draft_zone(l, d, given[first])) == NULL) {
		return -1;
	}
	t->tz = tz;
	if (d->at != NULL) {
		if (tz_parse_iso(tz, node_text(d->at), &ms, &cause) == -1) {
			loader_error(l, d->at, "at: %s", cause);
			free(cause);
			return -1;
		}
		t->schedule = schedule_at(ms);
		return 0;
	}
	if ((t->schedule = loader_cron(l, t->name, d->schedule, tz, &cause)) ==
	    NULL) {
		loader_error(l, d->schedule, "schedule: %s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

static const struct field *
field_find(const char *name)
{
	size_t i;

	for (i = 0; i < NITEMS(task_fields); i++) {
		if (strcmp(task_fields[i].name, name) == 0) {
			return &task_fields[i];
		}
	}
	return NULL;
}

void
loader_unknown_key(struct loader *l, const yaml_node_t *key, const char *where,
    const char *const *known, size_t nknown)
{
	const char *name = (const char *)key->data.scalar.value;
	const char *hint = suggest(name, known, nknown);

	if (hint != NULL) {
		loader_error(l, key, "unknown %s '%s' (did you mean '%s'?)",
		    where, name, hint);
	} else {
		loader_error(l, key, "unknown %s '%s'", where, name);
	}
}

/*
 * Count n more values copied; false (after an error at node, said once)
 * when that passes the budget.
 */
int
loader_copy(struct loader *l, yaml_node_t *node, size_t n)
{
	l->copied += n;
	if (l->copied <= l->copy_budget) {
		return 1;
	}
	if (!l->over_budget) {
		loader_error(l, node,
		    "aliases make this file more than %zu values (as many as "
		    "its files have bytes, and a million): name fewer, or "
		    "write them out",
		    l->copy_budget);
		l->over_budget = 1;
	}
	return 0;
}

/* A list of words from a sequence, or a scalar split at blanks. */
char **
loader_words(struct loader *l, yaml_node_t *node, const char *what)
{
	yaml_node_item_t *it;
	yaml_node_t *item;
	char **v = NULL, *copy, *w, *save = NULL;
	size_t n = 0;

	if (node->type == YAML_SEQUENCE_NODE &&
	    !loader_copy(l, node,
	        (size_t)(node->data.sequence.items.top -
	            node->data.sequence.items.start))) {
		return NULL;
	}
	if (node->type == YAML_SEQUENCE_NODE) {
		/* Its size known: one allocation, not one a word. */
		v = xreallocarray(NULL,
		    (size_t)(node->data.sequence.items.top -
		        node->data.sequence.items.start) +
		        1,
		    sizeof *v);
		v[0] = NULL;
	}

	if (node->type == YAML_SCALAR_NODE) {
		copy = xstrdup(node_text(node));
		for (w = strtok_r(copy, " \t", &save); w != NULL;
		     w = strtok_r(NULL, " \t", &save)) {
			strv_add(&v, &n, xstrdup(w));
		}
		free(copy);
		return v;
	}
	for (it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		item = yaml_document_get_node(&l->doc.doc, *it);
		if (item->type != YAML_SCALAR_NODE || node_is_null(item)) {
			loader_error(l, item,
			    "%s: each item must be a word, "
			    "not %s",
			    what, node_kind(item));
			strv_free(v);
			return NULL;
		}
		v[n++] = xstrdup(node_text(item));
		v[n] = NULL;
	}
	if (n == 0) {
		loader_error(l, node, "%s: the list is empty", what);
	}
	return v;
}

static const char *const catch_up_names[] = {
	[CATCH_UP_NONE] = "none",
	[CATCH_UP_LATEST] = "latest",
	[CATCH_UP_ALL] = "all",
};

const char *
config_catch_up_name(enum catch_up c)
{
	return catch_up_names[c];
}

static const struct {
	const char *name;
	int value;
} priority_names[] = {
	{ "low", PRIORITY_LOW },
	{ "normal", PRIORITY_NORMAL },
	{ "high", PRIORITY_HIGH },
	{ "critical", PRIORITY_CRITICAL },
};

const char *
config_overlap_name(enum overlap o)
{
	return overlap_names[o];
}

const char *
config_priority_name(int priority, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < NITEMS(priority_names); i++) {
		if (priority_names[i].value == priority) {
			return priority_names[i].name;
		}
	}
	snprintf(buf, len, "%d", priority);
	return buf;
}

int
config_priority_parse(const char *s, int *priority)
{
	char *end;
	long n;
	size_t i;

	for (i = 0; i < NITEMS(priority_names); i++) {
		if (strcmp(s, priority_names[i].name) == 0) {
			*priority = priority_names[i].value;
			return 0;
		}
	}
	if (*s < '0' || *s > '9') {
		return -1;
	}
	n = strtol(s, &end, 10);
	if (*end != '\0' || n > PRIORITY_CRITICAL) {
		return -1;
	}
	*priority = (int)n;
	return 0;
}

/* One of names into *out; an error naming them all otherwise. */
int
value_word(struct loader *l, const struct field *f, yaml_node_t *node,
    const char *const *names, size_t n, int *out)
{
	const char *v = node_text(node), *hint;
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(v, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	if ((hint = suggest(v, names, n)) != NULL) {
		loader_error(l, node, "%s: '%s' is not %s (did you mean '%s'?)",
		    f->name, v, f->want, hint);
	} else {
		loader_error(
		    l, node, "%s: '%s' is not %s", f->name, v, f->want);
	}
	return -1;
}

/* How the task is queued and retried: the fields of field_flow. */
static int
field_flow(
    struct loader *l, struct draft *d, const struct field *f, yaml_node_t *node)
{
	const char *names[NITEMS(priority_names)], *v, *name = f->name;
	char *end;
	double x;
	long n;
	size_t i;
	int w;

	if (strcmp(name, "queue") == 0 || strcmp(name, "retry_on") == 0 ||
	    strcmp(name, "executor") == 0) {
		/* Checked once the sections and the whole task are known. */
		if (node->type == YAML_MAPPING_NODE ||
		    (node->type == YAML_SCALAR_NODE && node_is_null(node)) ||
		    (node->type == YAML_SEQUENCE_NODE && *name != 'r')) {
			loader_error(l, node, "'%s' must be %s", name, f->want);
			return -1;
		}
		*(strcmp(name, "queue") == 0            ? &d->queue
		        : strcmp(name, "executor") == 0 ? &d->executor
		                                        : &d->retry_on) = node;
		return 0;
	}
	if ((v = loader_scalar(l, node, f)) == NULL) {
		return -1;
	}
	if (strcmp(name, "enabled") == 0) {
		return value_bool(l, name, node, &d->enabled);
	}
	if (strcmp(name, "catch_up") == 0) {
		if (value_word(l, f, node, catch_up_names,
		        NITEMS(catch_up_names), &w) == -1) {
			return -1;
		}
		d->catch_up = (enum catch_up)w;
		return 0;
	}
	if (strcmp(name, "catch_up_max") == 0) {
		if (value_integer(l, name, node, 1, CATCHUP_MAX_RUNS, 10, &n) ==
		    -1) {
			return -1;
		}
		d->catch_up_max = (int)n;
		return 0;
	}
	if (strcmp(name, "overlap") == 0) {
		if (value_word(l, f, node, overlap_names, NITEMS(overlap_names),
		        &w) == -1) {
			return -1;
		}
		d->overlap = (enum overlap)w;
		return 0;
	}
	if (strcmp(name, "priority") == 0) {
		for (i = 0; i < NITEMS(priority_names); i++) {
			names[i] = priority_names[i].name;
			if (strcmp(v, names[i]) == 0) {
				d->priority = priority_names[i].value;
				return 0;
			}
		}
		if (*v >= '0' && *v <= '9') {
			if (value_integer(l, name, node, 0, 100, 10, &n) ==
			    -1) {
				return -1;
			}
			d->priority = (int)n;
			return 0;
		}
		return value_word(
		    l, f, node, names, NITEMS(priority_names), &w);
	}
	if (strcmp(name, "retries") == 0) {
		if (value_integer(l, name, node, 0, 100, 10, &n) == -1) {
			return -1;
		}
		d->retries = (int)n;
		return 0;
	}
	if (strcmp(name, "retry_backoff") == 0) {
		errno = 0;
		x = strtod(v, &end);
		if (errno != 0 || end == v || *end != '\0' || !(x >= 1.0) ||
		    x > 10.0) {
			loader_error(l, node,
			    "retry_backoff: '%s' is not a number from 1 to 10",
			    v);
			return -1;
		}
		d->retry_backoff = x;
		return 0;
	}
	/* retry_delay, retry_max_delay, starting_deadline */
	return value_duration(l, f, node, 1, (int64_t *)((char *)d + f->slot));
}

/*
 * The index of the entry of a section (queues, executors) that node
 * names, n of them, each name at stride bytes from the last; -1 after an
 * error that says what there is.
 */
static int
draft_section_index(struct loader *l, yaml_node_t *node, const char *field,
    const char *section, const void *first, size_t stride, size_t n)
{
	const char *name = node_text(node), *hint;
	const char **names = xcalloc(n + 1, sizeof *names);
	size_t i;

	for (i = 0; i < n; i++) {
		names[i] = *(char *const *)((const char *)first + i * stride);
		if (strcmp(names[i], name) == 0) {
			free(names);
			return (int)i;
		}
	}
	hint = suggest(name, names, n);
	if (hint != NULL) {
		loader_error(l, node,
		    "%s: no %s named '%s' (did you mean '%s'?)", field, field,
		    name, hint);
	} else {
		loader_error(l, node,
		    "%s: no %s named '%s'; %ss are defined under '%s' at the "
		    "top of the file",
		    field, field, name, field, section);
	}
	free(names);
	return -1;
}

static void
draft_flow(struct loader *l, const struct draft *d, struct task_def *t)
{
	struct config *c = l->config;

	t->enabled = d->enabled;
	t->policy->priority = d->priority;
	t->policy->overlap = d->overlap;
	t->policy->retries = d->retries;
	t->policy->retry_delay_ms = d->retry_delay_ms;
	t->policy->retry_max_delay_ms = d->retry_max_delay_ms;
	t->policy->retry_backoff = d->retry_backoff;
	t->policy->catch_up = d->catch_up;
	t->policy->catch_up_max = d->catch_up_max;
	t->policy->starting_deadline_ms = d->starting_deadline_ms;
	t->policy->notify_every_ms = d->notify_every_ms;
	if (d->notify != NULL) {
		draft_notify(l, d->notify, t);
	}
	t->policy->queue = -1;
	t->policy->executor = -1;
	if (d->retry_on != NULL) {
		draft_retry_on(l, d->retry_on, t);
	}
	if (d->queue != NULL) {
		t->policy->queue = draft_section_index(l, d->queue, "queue",
		    "queues", c->queues != NULL ? &c->queues[0].name : NULL,
		    sizeof *c->queues, c->nqueues);
	}
	/* local: this machine, as a task with no executor runs. */
	if (d->executor != NULL &&
	    strcmp(node_text(d->executor), "local") != 0 &&
	    (t->policy->executor =
	            draft_section_index(l, d->executor, "executor", "executors",
	                c->executors != NULL ? &c->executors[0].name : NULL,
	                sizeof *c->executors, c->nexecutors)) >= 0) {
		c->executors[t->policy->executor].used = 1;
	}
}

/* after: a list of task names, each of a task in the file. */
void
draft_after(struct loader *l, yaml_node_t *node, struct task_def *t)
{
	struct loader_after *a;
	yaml_node_item_t *it;
	yaml_node_t *item;
	const char *name;
	size_t n = 0;

	if (node->type != YAML_SEQUENCE_NODE) {
		loader_error(l, node,
		    "'after' must be a list of task names, as [backup]");
		return;
	}
	for (it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		item = yaml_document_get_node(&l->doc.doc, *it);
		if (item->type != YAML_SCALAR_NODE || node_is_null(item)) {
			loader_error(l, item,
			    "after: each item must be a task name, not %s",
			    node_kind(item));
			continue;
		}
		name = node_text(item);
		if (strcmp(name, t->name) == 0) {
			loader_error(l, item,
			    "after: '%s' cannot run after itself", name);
			continue;
		}
		if (task_def_after(t, name)) {
			continue;
		}
		strv_add(&t->after, &n, xstrdup(name));
		/* It may be defined further down, or in an include. */
		l->afters =
		    xreallocarray(l->afters, l->nafters + 1, sizeof *l->afters);
		a = &l->afters[l->nafters++];
		a->name = xstrdup(name);
		a->file = l->file;
		a->line = (unsigned)item->start_mark.line + 1;
		a->column = (unsigned)item->start_mark.column + 1;
	}
}

void
draft_exec(struct loader *l, const struct draft *d, struct task_def *t,
    yaml_node_t *key, int fields_ok)
{
	if (d->type != NULL && (d->command != NULL || d->run != NULL)) {
		loader_error(l, d->type,
		    "'type' runs a plugin: a task has a type, a command or a "
		    "run, one of them");
	} else if (d->type != NULL || d->with != NULL) {
		draft_plugin(l, d->type, d->with, key, t);
	} else if (d->command != NULL && d->run != NULL) {
		loader_error(l, d->run,
		    "'command' and 'run' cannot be used "
		    "together: a task has one of them");
	} else if (d->run != NULL) {
		if (d->run->type != YAML_SEQUENCE_NODE) {
			loader_error(l, d->run,
			    "'run' must be a list: the "
			    "program and its arguments, as "
			    "[python3, report.py]");
		} else {
			t->argv = loader_words(l, d->run, "run");
		}
	} else if (d->command == NULL && fields_ok) {
		/* Not after a bad field: "comand" already says it all. */
		loader_error(l, key,
		    "task '%s' has no 'command', 'run' or 'type'", t->name);
	}
	if (d->shell != NULL) {
		if (d->shell->type == YAML_MAPPING_NODE) {
			loader_error(l, d->shell,
			    "'shell' must be a shell and "
			    "its options, as /bin/bash "
			    "-c, not a mapping");
		} else {
			t->policy->shell = loader_words(l, d->shell, "shell");
		}
	}
	if (d->cwd != NULL) {
		if (d->cwd[0] == '~' &&
		    (d->cwd[1] == '/' || d->cwd[1] == '\0')) {
			t->policy->cwd = xasprintf("%s%s", l->home, d->cwd + 1);
		} else if (d->cwd[0] != '/') {
			t->policy->cwd = xasprintf("%s/%s", l->home, d->cwd);
		} else {
			t->policy->cwd = xstrdup(d->cwd);
		}
	}
	loader_env(l, d->env, t);
	draft_limits(l, d->limits, t);
	draft_history(l, d->history, t);
	t->policy->env_clear = d->env_clear;
	t->policy->umask = d->umask;
	t->policy->nice = d->nice;
	t->policy->timeout_ms = d->timeout_ms;
	t->policy->kill_grace_ms = d->kill_grace_ms;
	t->policy->max_output = d->max_output;
	draft_flow(l, d, t);
	draft_resources(l, d->resources, t);
	draft_pressure(l, d->pressure, t);
	if (t->plugin != NULL && t->policy->executor >= 0) {
		loader_error(l, d->type,
		    "type: a plugin's task runs here, not on executor '%s'",
		    l->config->executors[t->policy->executor].name);
	}
}

/*
 * Read a mapping of fields into d. In the defaults block only fields that
 * make sense for every task are allowed. Returns 0 when all were good.
 */
int
loader_fields(
    struct loader *l, yaml_node_t *body, struct draft *d, int defaults)
{
	const char *names[NITEMS(task_fields)];
	const struct field *f;
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	size_t nerrs = l->errs->n, i;

	for (i = 0; i < NITEMS(task_fields); i++) {
		names[i] = task_fields[i].name;
	}
	if (loader_check_keys(l, body, "field") == -1) {
		return -1;
	}
	l->in_defaults = defaults;
	for (p = body->data.mapping.pairs.start;
	     p < body->data.mapping.pairs.top; p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		v = yaml_document_get_node(&l->doc.doc, p->value);
		if ((f = field_find(node_text(k))) == NULL) {
			loader_unknown_key(l, k, "field", names, NITEMS(names));
		} else if (defaults && !f->in_defaults) {
			loader_error(l, k,
			    "'%s' cannot be in defaults: it belongs to one "
			    "task",
			    f->name);
		} else {
			f->set(l, d, f, v);
		}
	}
	l->in_defaults = 0;
	return l->errs->n == nerrs ? 0 : -1;
}

/* What a task is when the defaults block says nothing. */
void
draft_init(struct draft *d)
{
	memset(d, 0, sizeof *d);
	d->umask = -1;
	d->kill_grace_ms = DEFAULT_KILL_GRACE_MS;
	d->max_output = DEFAULT_MAX_OUTPUT;
	d->enabled = 1;
	d->priority = PRIORITY_NORMAL;
	d->overlap = OVERLAP_SKIP;
	d->retry_delay_ms = DEFAULT_RETRY_DELAY_MS;
	d->retry_max_delay_ms = DEFAULT_RETRY_MAX_DELAY_MS;
	d->retry_backoff = 2.0;
	d->catch_up = CATCH_UP_NONE;
	d->catch_up_max = DEFAULT_CATCH_UP_MAX;
	d->notify_every_ms = DEFAULT_NOTIFY_EVERY_MS;
}
