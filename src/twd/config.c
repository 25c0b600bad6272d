/*
 * Tasks file loader. libyaml builds the document (resolving anchors and
 * aliases); a table of fields then checks each task, collecting every error.
 */
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config.h"
#include "duration.h"
#include "schedule.h"
#include "suggest.h"
#include "tz.h"
#include "xmalloc.h"

#define TASK_NAME_MAX   64
#define EVERY_MAX_SECS  (3650 * INT64_C(86400))
#define JITTER_MAX_SECS 86400

struct loader {
	const char *file;
	yaml_document_t doc;
	struct config_errors *errs;
	struct config *config;
};

/*
 * A task as read so far. Rules are built when the whole mapping is read,
 * since the zone they need may come after them.
 */
struct draft {
	const char *command;
	yaml_node_t *schedule;
	yaml_node_t *every;
	yaml_node_t *at;
	yaml_node_t *start_at;
	const struct tz *tz; /* NULL: the local zone */
	int64_t jitter_ms;
};

struct field;
typedef int (*field_fn)(
    struct loader *, struct draft *, const struct field *, yaml_node_t *);

struct field {
	const char *name;
	field_fn set;
	const char *want; /* what the value must be, for messages */
	size_t slot;      /* field_node: where in the draft the node goes */
	int in_defaults;  /* may be set in the defaults block */
};

static int field_command(
    struct loader *, struct draft *, const struct field *, yaml_node_t *);
static int field_jitter(
    struct loader *, struct draft *, const struct field *, yaml_node_t *);
static int field_node(
    struct loader *, struct draft *, const struct field *, yaml_node_t *);
static int field_timezone(
    struct loader *, struct draft *, const struct field *, yaml_node_t *);

#define DATETIME_WANT "a date and time such as 2026-12-24T18:00"

/* Keep alphabetized; taskweaver(5) documents each entry. */
static const struct field task_fields[] = {
	{ "at", field_node, DATETIME_WANT, offsetof(struct draft, at), 0 },
	{ "command", field_command, "a shell command line", 0, 0 },
	{ "every", field_node, "a duration such as 90s, 5m or 1h30m",
	    offsetof(struct draft, every), 0 },
	{ "jitter", field_jitter, "a duration such as 30s", 0, 1 },
	{ "schedule", field_node,
	    "a cron expression such as \"30 2 * * *\" or @daily",
	    offsetof(struct draft, schedule), 0 },
	{ "start_at", field_node, DATETIME_WANT,
	    offsetof(struct draft, start_at), 0 },
	{ "timezone", field_timezone, "a zone such as Europe/Berlin", 0, 1 },
};

static const char *const top_keys[] = { "defaults", "tasks" };

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

static void loader_error(struct loader *, const yaml_node_t *, const char *,
    ...) __attribute__((format(printf, 3, 4)));

static void
errors_add(struct config_errors *errs, const char *file, unsigned line,
    unsigned column, char *message)
{
	struct config_error *e;

	errs->v = xreallocarray(errs->v, errs->n + 1, sizeof *errs->v);
	e = &errs->v[errs->n++];
	e->file = xstrdup(file);
	e->line = line;
	e->column = column;
	e->message = message;
}

static void
loader_error(struct loader *l, const yaml_node_t *node, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	errors_add(l->errs, l->file,
	    node != NULL ? (unsigned)node->start_mark.line + 1 : 0,
	    node != NULL ? (unsigned)node->start_mark.column + 1 : 0, msg);
}

static const char *
node_kind(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

/* A plain ~, null or empty scalar is YAML's null. */
static int
node_is_null(const yaml_node_t *node)
{
	const char *v;

	if (node->type != YAML_SCALAR_NODE ||
	    node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
		return 0;
	}
	v = (const char *)node->data.scalar.value;
	return *v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	    strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/* The node's text if it is a non-null scalar, else NULL after an error. */
static const char *
loader_scalar(struct loader *l, const yaml_node_t *node, const struct field *f)
{
	if (node->type != YAML_SCALAR_NODE) {
		loader_error(l, node, "'%s' must be %s, not %s", f->name,
		    f->want, node_kind(node));
		return NULL;
	}
	if (node_is_null(node)) {
		loader_error(
		    l, node, "'%s' is empty; expected %s", f->name, f->want);
		return NULL;
	}
	return (const char *)node->data.scalar.value;
}

static int
field_command(
    struct loader *l, struct draft *d, const struct field *f, yaml_node_t *node)
{
	if ((d->command = loader_scalar(l, node, f)) == NULL) {
		return -1;
	}
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

static const char *
node_text(const yaml_node_t *node)
{
	return (const char *)node->data.scalar.value;
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

/* Build the task's rule from its draft; errors point at the values. */
static int
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
	if ((t->schedule = schedule_cron(node_text(d->schedule), &cause)) ==
	    NULL) {
		loader_error(l, d->schedule, "schedule: %s", cause);
		free(cause);
		return -1;
	}
	schedule_set_tz(t->schedule, tz);
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

static void
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

/* Keys by text, then by place, so the first of equals comes first. */
static int
key_cmp(const void *a, const void *b)
{
	const yaml_node_t *x = *(yaml_node_t *const *)a;
	const yaml_node_t *y = *(yaml_node_t *const *)b;
	int c = strcmp((const char *)x->data.scalar.value,
	    (const char *)y->data.scalar.value);

	if (c != 0) {
		return c;
	}
	return x->start_mark.index < y->start_mark.index
	    ? -1
	    : x->start_mark.index > y->start_mark.index;
}

/*
 * Check that a mapping's keys are scalars and unique; reports each bad one.
 * Returns 0 when every key can be used.
 */
static int
loader_check_keys(struct loader *l, yaml_node_t *map, const char *what)
{
	size_t n = (size_t)(map->data.mapping.pairs.top -
	           map->data.mapping.pairs.start),
	       nkeys = 0, i, first = 0;
	yaml_node_t **keys, *k;
	yaml_node_pair_t *p;
	int bad = 0;

	/* Sorted, duplicates are neighbours: a tasks file of 100,000 is quick. */
	keys = xcalloc(n, sizeof *keys);
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = yaml_document_get_node(&l->doc, p->key);
		if (k->type != YAML_SCALAR_NODE) {
			loader_error(l, k, "%s must be a plain name, not %s",
			    what, node_kind(k));
			bad = 1;
			continue;
		}
		keys[nkeys++] = k;
	}
	qsort(keys, nkeys, sizeof *keys, key_cmp);
	for (i = 1; i < nkeys; i++) {
		if (strcmp(node_text(keys[i]), node_text(keys[first])) != 0) {
			first = i;
			continue;
		}
		loader_error(l, keys[i],
		    "duplicate %s '%s' (first at line %lu)", what,
		    node_text(keys[i]),
		    (unsigned long)keys[first]->start_mark.line + 1);
		bad = 1;
	}
	free(keys);
	return bad ? -1 : 0;
}

static int
task_name_valid(const char *name)
{
	const char *p;

	if (*name == '\0' || *name == '.' || *name == '-' ||
	    strlen(name) > TASK_NAME_MAX) {
		return 0;
	}
	for (p = name; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		        *p == '.')) {
			return 0;
		}
	}
	return 1;
}

static void
task_def_free(struct task_def *t)
{
	if (t == NULL) {
		return;
	}
	free(t->name);
	free(t->command);
	schedule_free(t->schedule);
	free(t);
}

/*
 * Read a mapping of fields into d. In the defaults block only fields that
 * make sense for every task are allowed. Returns 0 when all were good.
 */
static int
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
	for (p = body->data.mapping.pairs.start;
	     p < body->data.mapping.pairs.top; p++) {
		k = yaml_document_get_node(&l->doc, p->key);
		v = yaml_document_get_node(&l->doc, p->value);
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
	return l->errs->n == nerrs ? 0 : -1;
}

static struct task_def *
loader_task(struct loader *l, const struct draft *defaults, yaml_node_t *key,
    yaml_node_t *body)
{
	const char *name = node_text(key);
	struct draft d = *defaults;
	struct task_def *t;
	size_t nerrs = l->errs->n;

	if (!task_name_valid(name)) {
		loader_error(l, key,
		    "task name '%s' must be 1 to %d letters, "
		    "digits, '-', '_' or '.', not starting "
		    "with '-' or '.'",
		    name, TASK_NAME_MAX);
	}
	if (body->type != YAML_MAPPING_NODE) {
		loader_error(l, body,
		    "task '%s' must be a mapping of fields "
		    "(command, schedule ...), not %s",
		    name, node_kind(body));
		return NULL;
	}
	t = xcalloc(1, sizeof *t);
	t->name = xstrdup(name);
	t->line = (unsigned)key->start_mark.line + 1;
	t->column = (unsigned)key->start_mark.column + 1;
	/* Report the rule's errors too, even when a field was bad. */
	if (loader_fields(l, body, &d, 0) == 0 && d.command == NULL) {
		loader_error(l, key, "task '%s' has no 'command'", name);
	}
	t->command = xstrdup(d.command != NULL ? d.command : "");
	t->jitter_ms = d.jitter_ms;
	draft_schedule(l, &d, t);
	if (l->errs->n != nerrs) {
		task_def_free(t);
		return NULL;
	}
	return t;
}

static int
task_def_cmp(const void *a, const void *b)
{
	const struct task_def *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

static void
loader_tasks(struct loader *l, struct config *c, const struct draft *defaults,
    yaml_node_t *map)
{
	yaml_node_pair_t *p;
	yaml_node_t *k;
	struct task_def *t;
	size_t n;

	if (node_is_null(map)) {
		return;
	}
	if (map->type != YAML_MAPPING_NODE) {
		loader_error(l, map,
		    "'tasks' must be a mapping of task names "
		    "to tasks, not %s",
		    node_kind(map));
		return;
	}
	loader_check_keys(l, map, "task");
	n = (size_t)(map->data.mapping.pairs.top -
	    map->data.mapping.pairs.start);
	c->tasks = xcalloc(n, sizeof *c->tasks);
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = yaml_document_get_node(&l->doc, p->key);
		if (k->type != YAML_SCALAR_NODE) {
			continue;
		}
		t = loader_task(
		    l, defaults, k, yaml_document_get_node(&l->doc, p->value));
		if (t != NULL) {
			c->tasks[c->ntasks++] = t;
		}
	}
	qsort(c->tasks, c->ntasks, sizeof *c->tasks, task_def_cmp);
}

/* The value of a top-level key, or NULL. */
static yaml_node_t *
loader_top(struct loader *l, yaml_node_t *root, const char *key)
{
	yaml_node_pair_t *p;

	for (p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		if (strcmp(node_text(yaml_document_get_node(&l->doc, p->key)),
		        key) == 0) {
			return yaml_document_get_node(&l->doc, p->value);
		}
	}
	return NULL;
}

static void
loader_root(struct loader *l, struct config *c)
{
	yaml_node_t *root = yaml_document_get_root_node(&l->doc), *k, *v;
	struct draft defaults;
	yaml_node_pair_t *p;

	memset(&defaults, 0, sizeof defaults);

	if (root == NULL || node_is_null(root)) {
		return; /* an empty file: no tasks */
	}
	if (root->type != YAML_MAPPING_NODE) {
		loader_error(l, root,
		    "the tasks file must be a mapping with a "
		    "'tasks' key, not %s",
		    node_kind(root));
		return;
	}
	if (loader_check_keys(l, root, "key") == -1) {
		return;
	}
	/* Defaults apply wherever they stand in the file. */
	if ((v = loader_top(l, root, "defaults")) != NULL && !node_is_null(v)) {
		if (v->type != YAML_MAPPING_NODE) {
			loader_error(l, v,
			    "'defaults' must be a mapping of fields, not %s",
			    node_kind(v));
		} else {
			loader_fields(l, v, &defaults, 1);
		}
	}
	for (p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		k = yaml_document_get_node(&l->doc, p->key);
		v = yaml_document_get_node(&l->doc, p->value);
		if (strcmp(node_text(k), "tasks") == 0) {
			loader_tasks(l, c, &defaults, v);
		} else if (strcmp(node_text(k), "defaults") != 0) {
			loader_unknown_key(
			    l, k, "key", top_keys, NITEMS(top_keys));
		}
	}
}

static int
error_cmp(const void *a, const void *b)
{
	const struct config_error *x = a, *y = b;

	if (x->line != y->line) {
		return x->line < y->line ? -1 : 1;
	}
	return x->column < y->column ? -1 : x->column > y->column;
}

struct config *
config_load(const char *path, struct config_errors *errs)
{
	struct loader l = { .file = path, .errs = errs };
	yaml_parser_t parser;
	struct config *c;
	size_t nerrs = errs->n;
	FILE *fp;
	char *msg;

	if ((fp = fopen(path, "r")) == NULL) {
		errors_add(errs, path, 0, 0,
		    xasprintf("cannot open: %s", strerror(errno)));
		return NULL;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, fp);
	if (!yaml_parser_load(&parser, &l.doc)) {
		if (parser.context != NULL) {
			/* libyaml's context reads "while parsing a block ...". */
			msg = xasprintf("%s (%s started at line %lu, column "
			                "%lu)",
			    parser.problem, parser.context,
			    (unsigned long)parser.context_mark.line + 1,
			    (unsigned long)parser.context_mark.column + 1);
		} else {
			msg = xstrdup(parser.problem != NULL ? parser.problem
			                                     : "invalid YAML");
		}
		errors_add(errs, path, (unsigned)parser.problem_mark.line + 1,
		    (unsigned)parser.problem_mark.column + 1, msg);
		yaml_parser_delete(&parser);
		fclose(fp);
		return NULL;
	}
	yaml_parser_delete(&parser);
	fclose(fp);

	c = xcalloc(1, sizeof *c);
	c->path = xstrdup(path);
	l.config = c;
	loader_root(&l, c);
	yaml_document_delete(&l.doc);
	if (errs->n != nerrs) {
		/* Rules are checked after fields: report in file order. */
		qsort(errs->v + nerrs, errs->n - nerrs, sizeof *errs->v,
		    error_cmp);
		config_free(c);
		return NULL;
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
	for (i = 0; i < c->nzones; i++) {
		tz_free(c->zones[i]);
	}
	free(c->zones);
	free(c->path);
	free(c);
}

const struct task_def *
config_find(const struct config *c, const char *name)
{
	struct task_def key = { .name = (char *)name }, *kp = &key, **found;

	found =
	    bsearch(&kp, c->tasks, c->ntasks, sizeof *c->tasks, task_def_cmp);
	return found != NULL ? *found : NULL;
}

int
task_def_equal(const struct task_def *a, const struct task_def *b)
{
	return strcmp(a->name, b->name) == 0 &&
	    strcmp(a->command, b->command) == 0 &&
	    a->jitter_ms == b->jitter_ms &&
	    schedule_equal(a->schedule, b->schedule);
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
