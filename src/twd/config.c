/*
 * Tasks file loader: its API (config_load, config_free, names and
 * indices), the cron rules and policies tasks share (interned), and the
 * comparisons a reload makes. The parts are listed in config-int.h.
 */

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "schedule.h"
#include "tz.h"
#include "xmalloc.h"
#include "config-int.h"

static struct task_policy *task_policy_ref(struct task_policy *p);

void
errors_add(struct config_errors *errs, const char *file, unsigned line,
    unsigned column, char *message)
{
	struct config_error *e;
	size_t i;

	/* A defaults field is read for each task: say what is wrong once. */
	for (i = 0; i < errs->n; i++) {
		if (errs->v[i].line == line && errs->v[i].column == column &&
		    line != 0 && strcmp(errs->v[i].message, message) == 0) {
			free(message);
			return;
		}
	}
	errs->v = xreallocarray(errs->v, errs->n + 1, sizeof *errs->v);
	e = &errs->v[errs->n++];
	e->file = xstrdup(file);
	e->line = line;
	e->column = column;
	e->message = message;
}

/*
 * The slot of key in in: the item equal to it, or the free slot for it
 * (which the caller fills, counting it in in->n).
 */
struct intern_slot *
intern_slot(struct intern *in, uint64_t hash,
    int (*equal)(const void *item, const void *key), const void *key)
{
	struct intern_slot *old = in->v, *slot;
	size_t cap = in->cap, mask, i;

	if ((in->n + 1) * 2 > in->cap) {
		in->cap = cap == 0 ? 16 : cap * 2;
		in->v = xcalloc(in->cap, sizeof *in->v);
		for (i = 0; i < cap; i++) {
			/* Items are all different: each takes the first free. */
			if (old[i].item != NULL) {
				*intern_slot(in, old[i].hash, NULL, NULL) =
				    old[i];
			}
		}
		free(old);
	}
	mask = in->cap - 1;
	for (i = (size_t)(hash ^ hash >> 32) & mask;; i = (i + 1) & mask) {
		slot = &in->v[i];
		if (slot->item == NULL ||
		    (equal != NULL && slot->hash == hash &&
		        equal(slot->item, key))) {
			return slot;
		}
	}
}

/* Free each item with release, and the table. */
void
intern_release(struct intern *in, void (*release)(void *))
{
	size_t i;

	for (i = 0; i < in->cap; i++) {
		if (in->v[i].item != NULL) {
			release(in->v[i].item);
		}
	}
	free(in->v);
}

int
loader_rule_equal(const void *item, const void *key)
{
	const struct loader_rule *a = item, *b = key;

	return a->tz == b->tz && strcmp(a->text, b->text) == 0;
}

void
loader_rule_free(void *item)
{
	struct loader_rule *r = item;

	free(r->text);
	schedule_free(r->s);
	free(r);
}

/* Whether two policies are alike: as two tasks alike in all else. */
static int
task_policy_equal(const void *item, const void *key)
{
	struct task_def a = { .policy = (struct task_policy *)item };
	struct task_def b = { .policy = (struct task_policy *)key };

	return task_def_changes(&a, &b, NULL, 0) == 0;
}

static uint64_t
task_policy_hash(const struct task_policy *p)
{
	const unsigned char *scalars = (const unsigned char *)&p->timeout_ms;
	uint64_t h = HASH_START, word;
	size_t i;

	/* The scalars, from timeout_ms to notify_every_ms, a word at a time. */
	for (i = 0; i < offsetof(struct task_policy, nlimits) -
	         offsetof(struct task_policy, timeout_ms);
	     i += sizeof word) {
		memcpy(&word, scalars + i, sizeof word);
		h = (h ^ word) * UINT64_C(0x9e3779b97f4a7c15);
		h ^= h >> 29;
	}
	h = hash_bytes(h, &p->retries, sizeof p->retries);
	h = hash_bytes(h, &p->queue, sizeof p->queue);
	h = hash_bytes(h, &p->notify_on, sizeof p->notify_on);
	h = hash_bytes(h, &p->priority, sizeof p->priority);
	h = hash_str(h, p->cwd);
	for (i = 0; p->shell != NULL && p->shell[i] != NULL; i++) {
		h = hash_str(h, p->shell[i]);
	}
	for (i = 0; p->env != NULL && p->env[i] != NULL; i++) {
		h = hash_str(h, p->env[i]);
	}
	/* Limits, retry codes and notifiers are left to the equality. */
	return h;
}

/*
 * The policy alike to *p (a task's, as built, not yet on the heap), kept
 * once: a copy of it, which takes what it holds, or one kept before, and
 * *p's then let go. Tasks side by side are mostly alike: the last policy
 * is tried before any hashing.
 */
struct task_policy *
loader_policy(struct loader *l, struct task_policy *p)
{
	struct task_policy *kept = l->last_policy;
	struct intern_slot *slot;
	uint64_t h;

	if (kept == NULL || !task_policy_equal(kept, p)) {
		h = task_policy_hash(p);
		slot = intern_slot(&l->policies, h, task_policy_equal, p);
		if (slot->item == NULL) {
			kept = xmalloc(sizeof *kept);
			*kept = *p;
			kept->refs = 1; /* the table's */
			memset(p, 0, sizeof *p);
			slot->hash = h;
			slot->item = kept;
			l->policies.n++;
		}
		kept = slot->item;
		l->last_policy = kept;
	}
	task_policy_clear(p);
	return task_policy_ref(kept);
}

struct task_policy *
task_policy_new(void)
{
	struct task_policy *p = xcalloc(1, sizeof *p);

	p->refs = 1;
	return p;
}

static struct task_policy *
task_policy_ref(struct task_policy *p)
{
	p->refs++;
	return p;
}

/* Free what p holds, leaving it empty. */
void
task_policy_clear(struct task_policy *p)
{
	strv_free(p->shell);
	free(p->cwd);
	strv_free(p->env);
	free(p->limits);
	free(p->retry_codes);
	free(p->notify_via);
	memset(p, 0, sizeof *p);
}

static void
task_policy_free(struct task_policy *p)
{
	if (p == NULL || --p->refs > 0) {
		return;
	}
	task_policy_clear(p);
	free(p);
}

void
task_policy_release(void *p)
{
	task_policy_free(p);
}

void
task_def_free(struct task_def *t)
{
	if (t == NULL) {
		return;
	}
	free(t->name);
	free(t->description);
	free(t->command);
	strv_free(t->argv);
	free(t->plugin);
	free(t->with);
	task_policy_free(t->policy);
	strv_free(t->after);
	trigger_def_free(t->on);
	schedule_free(t->schedule);
	free(t);
}

static void *
mem_copy(const void *p, size_t n, size_t size)
{
	void *c;

	if (p == NULL || n == 0) {
		return NULL;
	}
	c = xreallocarray(NULL, n, size);
	memcpy(c, p, n * size);
	return c;
}

/* A policy of its own, to be written, like p. */
static struct task_policy *
task_policy_copy(const struct task_policy *p)
{
	struct task_policy *c = xmalloc(sizeof *c);

	*c = *p;
	c->refs = 1;
	c->shell = strv_copy(p->shell);
	c->cwd = p->cwd != NULL ? xstrdup(p->cwd) : NULL;
	c->env = strv_copy(p->env);
	c->limits = mem_copy(p->limits, p->nlimits, sizeof *p->limits);
	c->retry_codes =
	    mem_copy(p->retry_codes, p->nretry_codes, sizeof *p->retry_codes);
	c->notify_via =
	    mem_copy(p->notify_via, p->nnotify_via, sizeof *p->notify_via);
	return c;
}

const struct executor_def *
config_executor(const struct config *c, const struct task_def *d)
{
	int e = d->policy->executor;

	return e >= 0 && (size_t)e < c->nexecutors ? &c->executors[e] : NULL;
}

struct task_def *
task_def_copy(const struct task_def *d)
{
	struct task_def *c = xmalloc(sizeof *c);

	*c = *d;
	c->name = d->name != NULL ? xstrdup(d->name) : NULL;
	c->file = NULL; /* a copy outlives the config it was in */
	c->description =
	    d->description != NULL ? xstrdup(d->description) : NULL;
	c->command = d->command != NULL ? xstrdup(d->command) : NULL;
	c->argv = strv_copy(d->argv);
	c->plugin = d->plugin != NULL ? xstrdup(d->plugin) : NULL;
	c->with = d->with != NULL ? xstrdup(d->with) : NULL;
	c->policy = task_policy_copy(d->policy);
	c->after = NULL;
	c->on = NULL;
	c->schedule = NULL;
	return c;
}

/*
 * The tasks are read as libyaml parses them, each then dropped from the
 * document, when what shapes them (defaults, queues, notifiers, include)
 * comes before them, as it does in the examples: 100,000 tasks no longer
 * sit in memory as 600,000 nodes. A file laid out otherwise is read again,
 * whole.
 */
struct config *
config_load(const char *path, struct config_errors *errs)
{
	struct config *c;
	int restart;

	if ((c = config_read(path, errs, 1, &restart)) == NULL && restart) {
		c = config_read(path, errs, 0, &restart);
	}
	return c;
}

const struct tz *
config_zone(struct config *c, const char *name, char **cause)
{
	struct tz *z;
	size_t i;

	for (i = 0; i < c->nzones; i++) {
		if (strcmp(tz_name(c->zones[i]), name) == 0) {
			return c->zones[i];
		}
	}
	if ((z = tz_load(name, cause)) == NULL) {
		return NULL;
	}
	c->zones = xreallocarray(c->zones, c->nzones + 1, sizeof *c->zones);
	c->zones[c->nzones++] = z;
	return z;
}

void
config_free(struct config *c)
{
	size_t i;

	if (c == NULL) {
		return;
	}
	for (i = 0; i < c->ntasks; i++) {
		task_def_free(c->tasks[i]);
	}
	free(c->tasks);
	task_def_free(c->defaults);
	free(c->metrics.host);
	free(c->metrics.textfile);
	for (i = 0; i < c->nfiles; i++) {
		free(c->files[i]);
	}
	free(c->files);
	for (i = 0; i < c->ninclude_dirs; i++) {
		free(c->include_dirs[i]);
	}
	free(c->include_dirs);
	config_errors_release(&c->warnings);
	for (i = 0; i < c->nzones; i++) {
		tz_free(c->zones[i]);
	}
	free(c->zones);
	for (i = 0; i < c->nqueues; i++) {
		free(c->queues[i].name);
	}
	free(c->queues);
	for (i = 0; i < c->nnotifiers; i++) {
		free(c->notifiers[i].name);
		free(c->notifiers[i].to);
		free(c->notifiers[i].from);
		strv_free(c->notifiers[i].program);
		free(c->notifiers[i].url);
		free(c->notifiers[i].plugin);
		free(c->notifiers[i].params);
		free(c->notifiers[i].secret);
	}
	for (i = 0; i < c->nsubscriptions; i++) {
		free(c->subscriptions[i].name);
		free(c->subscriptions[i].task);
		free(c->subscriptions[i].status);
	}
	free(c->subscriptions);
	free(c->notifiers);
	for (i = 0; i < c->nexecutors; i++) {
		free(c->executors[i].name);
		free(c->executors[i].host);
		free(c->executors[i].user);
		free(c->executors[i].identity);
		free(c->executors[i].ssh_config);
		strv_free(c->executors[i].options);
		free(c->executors[i].partition);
		free(c->executors[i].account);
		strv_free(c->executors[i].args);
	}
	free(c->executors);
	strv_free(c->plugin_path);
	free(c->path);
	free(c);
}

const struct task_def *
config_find(const struct config *c, const char *name)
{
	struct task_def key = { .name = (char *)name }, *kp = &key, **found;

	if (c->ntasks == 0) {
		return NULL; /* and no array to search: bsearch wants one */
	}
	found = bsearch(
	    &kp, c->tasks, c->ntasks, sizeof *c->tasks, task_def_name_cmp);
	return found != NULL ? *found : NULL;
}

int
task_def_equal(const struct task_def *a, const struct task_def *b)
{
	return strcmp(a->name, b->name) == 0 &&
	    task_def_changes(a, b, NULL, 0) == 0;
}

void
config_errors_print(const struct config_errors *errs, FILE *fp)
{
	char *line;
	size_t i;

	for (i = 0; i < errs->n; i++) {
		line = config_error_format(&errs->v[i]);
		fprintf(fp, "%s\n", line);
		free(line);
	}
}

char *
config_error_format(const struct config_error *e)
{
	if (e->line == 0) {
		return xasprintf("%s: %s", e->file, e->message);
	}
	return xasprintf(
	    "%s:%u:%u: %s", e->file, e->line, e->column, e->message);
}

void
config_errors_release(struct config_errors *errs)
{
	size_t i;

	if (errs == NULL) {
		return;
	}
	for (i = 0; i < errs->n; i++) {
		free(errs->v[i].file);
		free(errs->v[i].message);
	}
	free(errs->v);
	errs->v = NULL;
	errs->n = 0;
}
