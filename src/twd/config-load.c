/*
 * The tasks file's documents walked: the top-level keys, the defaults,
 * the files of include:, and the tasks, streamed as libyaml reads them
 * when what shapes them comes first. (Opening and parsing a file is
 * config-file.c's.)
 */
#include <sys/stat.h>

#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "paths.h"
#include "xmalloc.h"
#include "config-int.h"

static const char *const top_keys[] = { "audit", "capacity", "defaults",
	"executors", "include", "max_concurrent", "metrics", "notifiers",
	"plugin_path", "queues", "subscriptions", "tasks" };

void
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

/* A warning (taken; none when NULL) about what node means, for check. */
void
loader_warning(
    struct loader *l, const yaml_node_t *node, const char *what, char *msg)
{
	if (msg == NULL) {
		return;
	}
	errors_add(&l->config->warnings, l->file,
	    (unsigned)node->start_mark.line + 1,
	    (unsigned)node->start_mark.column + 1,
	    xasprintf("%s: %s", what, msg));
	free(msg);
}

const char *
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
int
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
const char *
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

const char *
node_text(const yaml_node_t *node)
{
	return (const char *)node->data.scalar.value;
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
/* Mappings up to this size (a task's fields) are checked in place. */
#define SMALL_MAPPING 16

int
loader_check_keys(struct loader *l, yaml_node_t *map, const char *what)
{
	size_t n = (size_t)(map->data.mapping.pairs.top -
	           map->data.mapping.pairs.start),
	       nkeys = 0, i, j, first = 0;
	yaml_node_t *small[SMALL_MAPPING], **keys = small, *k, *dup;
	yaml_node_pair_t *p;
	int bad = 0;

	/*
	 * A big mapping is sorted, so duplicates are neighbours: a tasks file
	 * of 100,000 is quick. A small one is compared key by key, nothing
	 * allocated: 100,000 tasks made as many arrays to sort.
	 */
	if (n > SMALL_MAPPING) {
		keys = xcalloc(n, sizeof *keys);
	}
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		if (k->type != YAML_SCALAR_NODE) {
			loader_error(l, k, "%s must be a plain name, not %s",
			    what, node_kind(k));
			bad = 1;
			continue;
		}
		keys[nkeys++] = k;
	}
	if (keys != small) {
		qsort(keys, nkeys, sizeof *keys, key_cmp);
	}
	for (i = 1; i < nkeys; i++) {
		if (keys == small) {
			for (j = 0; j < i &&
			     strcmp(node_text(keys[j]), node_text(keys[i])) !=
			         0;
			     j++) {
				;
			}
			if (j == i) {
				continue;
			}
			dup = keys[j];
		} else {
			if (strcmp(node_text(keys[i]),
			        node_text(keys[first])) != 0) {
				first = i;
				continue;
			}
			dup = keys[first];
		}
		loader_error(l, keys[i],
		    "duplicate %s '%s' (first at line %lu)", what,
		    node_text(keys[i]),
		    (unsigned long)dup->start_mark.line + 1);
		bad = 1;
	}
	if (keys != small) {
		free(keys);
	}
	return bad ? -1 : 0;
}

int
config_task_name_valid(const char *name)
{
	const char *p;

	/* All digits would read as a run id (twctl kill 12). */
	if (strspn(name, "0123456789") == strlen(name)) {
		return 0;
	}
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

/* Processors online: the default of max_concurrent. */
static int
loader_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 10000 ? 10000 : (int)n;
}

/* Whether the key k, naming a queue or a notifier, is a good name. */
int
loader_name_ok(struct loader *l, const yaml_node_t *k, const char *what)
{
	if (config_task_name_valid(node_text(k))) {
		return 1;
	}
	loader_error(l, k,
	    "%s name '%s' must be letters, digits, '-', '_' or '.'", what,
	    node_text(k));
	return 0;
}

static struct task_def *
loader_task(struct loader *l, const struct draft *defaults, yaml_node_t *key,
    yaml_node_t *body)
{
	const char *name = node_text(key);
	struct draft d = *defaults;
	struct task_policy policy = { 0 };
	struct task_def *t;
	size_t nerrs = l->errs->n;
	int ok;

	if (!config_task_name_valid(name)) {
		loader_error(l, key,
		    "task name '%s' must be 1 to %d letters, "
		    "digits, '-', '_' or '.', not all digits "
		    "and not starting with '-' or '.'",
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
	t->policy = &policy; /* built here, then kept by loader_policy */
	t->file = l->file;
	t->line = (unsigned)key->start_mark.line + 1;
	t->column = (unsigned)key->start_mark.column + 1;
	/* Report the rule's errors too, even when a field was bad. */
	ok = loader_fields(l, body, &d, 0) == 0;
	t->command = d.command != NULL ? xstrdup(d.command) : NULL;
	t->description = d.description != NULL ? xstrdup(d.description) : NULL;
	t->policy->jitter_ms = d.jitter_ms;
	draft_exec(l, &d, t, key, ok);
	draft_schedule(l, &d, t);
	if (d.after != NULL) {
		draft_after(l, d.after, t);
	}
	if (d.on != NULL) {
		draft_on(l, d.on, t);
	}
	if (l->errs->n != nerrs) {
		task_policy_clear(&policy);
		t->policy = NULL;
		task_def_free(t);
		return NULL;
	}
	t->policy = loader_policy(l, &policy);
	return t;
}

int
task_def_name_cmp(const void *a, const void *b)
{
	return strcmp((*(struct task_def *const *)a)->name,
	    (*(struct task_def *const *)b)->name);
}

/* By name, then in the order read: the first of a name comes first. */
static int
task_def_cmp(const void *a, const void *b, void *arg)
{
	const struct task_def *x = *(struct task_def *const *)a;
	const struct task_def *y = *(struct task_def *const *)b;
	const struct config *c = arg;
	size_t fx = 0, fy = 0;
	int d = task_def_name_cmp(a, b);

	if (d != 0) {
		return d;
	}
	if (x->file != y->file) {
		while (fx < c->nfiles && c->files[fx] != x->file) {
			fx++;
		}
		while (fy < c->nfiles && c->files[fy] != y->file) {
			fy++;
		}
		return fx < fy ? -1 : 1;
	}
	if (x->line != y->line) {
		return x->line < y->line ? -1 : 1;
	}
	return x->column < y->column ? -1 : x->column > y->column;
}

/*
 * A task with the first 16 bytes of its name, big-endian: most of the
 * sort's comparisons end there, without going through two pointers.
 */
struct task_sort_key {
	uint64_t hi, lo;
	struct task_def *t;
};

static int
task_sort_key_cmp(const void *a, const void *b, void *arg)
{
	const struct task_sort_key *x = a, *y = b;

	if (x->hi != y->hi) {
		return x->hi < y->hi ? -1 : 1;
	}
	if (x->lo != y->lo) {
		return x->lo < y->lo ? -1 : 1;
	}
	return task_def_cmp(&x->t, &y->t, arg);
}

/* Sort c's tasks as task_def_cmp does. */
static void
config_sort_tasks(struct config *c)
{
	struct task_sort_key *keys;
	const char *name;
	uint64_t *word;
	size_t i, j;

	keys = xreallocarray(NULL, c->ntasks + 1, sizeof *keys);
	for (i = 0; i < c->ntasks; i++) {
		keys[i].t = c->tasks[i];
		keys[i].hi = keys[i].lo = 0;
		name = c->tasks[i]->name;
		/* Bytes after the name's end are 0, as strcmp sees them. */
		for (j = 0; j < 16; j++) {
			word = j < 8 ? &keys[i].hi : &keys[i].lo;
			*word = *word << 8 | (unsigned char)*name;
			name += *name != '\0';
		}
	}
	qsort_r(keys, c->ntasks, sizeof *keys, task_sort_key_cmp, c);
	for (i = 0; i < c->ntasks; i++) {
		c->tasks[i] = keys[i].t;
	}
	free(keys);
}

/* One entry of a mapping of tasks, in l's file, into c. */
static void
loader_task_entry(
    struct loader *l, struct config *c, yaml_node_t *k, yaml_node_t *v)
{
	struct task_def *t;

	if (k->type != YAML_SCALAR_NODE) {
		loader_error(
		    l, k, "task must be a plain name, not %s", node_kind(k));
		return;
	}
	if ((t = loader_task(l, l->defaults, k, v)) == NULL) {
		/*
		 * Its errors are said, and the config is refused; its name
		 * stays, for after: and for a duplicate of it.
		 */
		t = xcalloc(1, sizeof *t);
		t->name = xstrdup(node_text(k));
		t->file = l->file;
		t->line = (unsigned)k->start_mark.line + 1;
		t->column = (unsigned)k->start_mark.column + 1;
	}
	if (c->ntasks + 1 >= l->tasks_cap) {
		l->tasks_cap = l->tasks_cap == 0 ? 64 : l->tasks_cap * 2;
		c->tasks =
		    xreallocarray(c->tasks, l->tasks_cap, sizeof *c->tasks);
	}
	c->tasks[c->ntasks++] = t;
	c->tasks[c->ntasks] = NULL;
}

/* The tasks of one mapping, in l's file, into c. */
static void
loader_task_map(struct loader *l, struct config *c, yaml_node_t *map)
{
	yaml_node_pair_t *p;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		loader_task_entry(l, c,
		    yaml_document_get_node(&l->doc.doc, p->key),
		    yaml_document_get_node(&l->doc.doc, p->value));
	}
}

/* After the main file's tasks: those of its includes, then the checks. */
static void
loader_tasks_end(struct loader *l, struct config *c)
{
	const char *main_file;
	struct ydoc main_doc;
	size_t i;

	for (i = 0; i < l->ninc; i++) {
		if (l->inc[i].tasks == NULL) {
			continue;
		}
		/* Errors name the file they are in. */
		main_doc = l->doc;
		main_file = l->file;
		l->doc = l->inc[i].doc;
		l->file = l->inc[i].file;
		if (l->inc[i].tasks->type != YAML_MAPPING_NODE) {
			loader_error(l, l->inc[i].tasks,
			    "'tasks' must be a mapping of task names to tasks, "
			    "not %s",
			    node_kind(l->inc[i].tasks));
		} else {
			loader_task_map(l, c, l->inc[i].tasks);
		}
		l->inc[i].doc = l->doc;
		l->doc = main_doc;
		l->file = main_file;
	}
	if (c->tasks == NULL) {
		c->tasks = xcalloc(1, sizeof *c->tasks); /* none, as {} says */
	}
	config_sort_tasks(c);
	config_check_duplicates(l, c);
	loader_check_afters(l, c);
	loader_check_executors(l, c);
	if (l->nafters > 0) { /* a cycle needs an after: */
		config_check_cycles(l, c);
	}
}

static void
loader_tasks(struct loader *l, struct config *c, yaml_node_t *map)
{
	/* NULL: the main file has no tasks of its own, its includes may. */
	if (map != NULL && node_is_null(map)) {
		map = NULL;
	}
	if (map != NULL && map->type != YAML_MAPPING_NODE) {
		loader_error(l, map,
		    "'tasks' must be a mapping of task names "
		    "to tasks, not %s",
		    node_kind(map));
		return;
	}
	if (map != NULL) {
		loader_task_map(l, c, map);
	}
	loader_tasks_end(l, c);
}

/* One included file: parsed, and holding nothing but tasks. */
static void
loader_include_file(
    struct loader *l, const char *path, const struct stat *st, yaml_mark_t by)
{
	struct loader_include *inc;
	yaml_node_pair_t *p;
	yaml_node_t *root, *k;

	l->inc = xreallocarray(l->inc, l->ninc + 1, sizeof *l->inc);
	inc = &l->inc[l->ninc];
	memset(inc, 0, sizeof *inc);
	inc->dev = st->st_dev;
	inc->ino = st->st_ino;
	inc->by = by;
	l->copy_budget += (size_t)st->st_size;
	l->bytes += (size_t)st->st_size;
	if (loader_parse(path, &inc->doc, l->errs, NULL) == -1) {
		return;
	}
	l->ninc++;
	l->config->files = xreallocarray(
	    l->config->files, l->config->nfiles + 1, sizeof *l->config->files);
	l->config->files[l->config->nfiles++] = xstrdup(path);
	inc->file = l->config->files[l->config->nfiles - 1];
	root = yaml_document_get_root_node(&inc->doc.doc);
	if (root == NULL || node_is_null(root)) {
		return;
	}
	if (root->type != YAML_MAPPING_NODE) {
		errors_add(l->errs, path, (unsigned)root->start_mark.line + 1,
		    (unsigned)root->start_mark.column + 1,
		    xstrdup("an included file must be a mapping with a "
		            "'tasks' key"));
		return;
	}
	for (p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		k = yaml_document_get_node(&inc->doc.doc, p->key);
		if (k->type == YAML_SCALAR_NODE &&
		    strcmp(node_text(k), "tasks") == 0) {
			inc->tasks =
			    yaml_document_get_node(&inc->doc.doc, p->value);
		} else {
			errors_add(l->errs, path,
			    (unsigned)k->start_mark.line + 1,
			    (unsigned)k->start_mark.column + 1,
			    xasprintf("an included file holds only 'tasks', "
			              "not '%s': defaults, queues and "
			              "notifiers belong in %s",
			        k->type == YAML_SCALAR_NODE ? node_text(k)
			                                    : "?",
			        l->file));
		}
	}
}

/*
 * The directory an include pattern looks in, when it names one (no
 * wildcard before its last '/'): watched, so that a file added there later,
 * even to a directory empty now, is loaded.
 */
static void
loader_include_dir(struct loader *l, const char *pat)
{
	struct config *c = l->config;
	char *dir = paths_dirname(pat);
	size_t i;

	if (strpbrk(dir, "*?[") != NULL) {
		free(dir);
		return;
	}
	for (i = 0; i < c->ninclude_dirs; i++) {
		if (strcmp(c->include_dirs[i], dir) == 0) {
			free(dir);
			return;
		}
	}
	c->include_dirs = xreallocarray(
	    c->include_dirs, c->ninclude_dirs + 1, sizeof *c->include_dirs);
	c->include_dirs[c->ninclude_dirs++] = dir;
}

/* The include already read that is the file of st, or NULL. */
static const struct loader_include *
loader_included(const struct loader *l, const struct stat *st)
{
	size_t i;

	for (i = 0; i < l->ninc; i++) {
		if (l->inc[i].dev == st->st_dev &&
		    l->inc[i].ino == st->st_ino) {
			return &l->inc[i];
		}
	}
	return NULL;
}

/* include: [PATTERN, ...]: globs, relative to the main file, sorted. */
static void
loader_includes(struct loader *l, yaml_node_t *node)
{
	char *dir = xstrdup(l->file), *slash = strrchr(dir, '/'), *pat;
	const struct loader_include *inc;
	yaml_node_item_t *it;
	yaml_node_t *item;
	struct stat st;
	glob_t g;
	size_t i;
	int rc;

	if (slash != NULL) {
		*slash = '\0';
	}
	if (node->type != YAML_SEQUENCE_NODE) {
		loader_error(l, node,
		    "'include' must be a list of files or patterns, such as "
		    "[tasks.d/*.yaml]");
		free(dir);
		return;
	}
	for (it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		item = yaml_document_get_node(&l->doc.doc, *it);
		if (item->type != YAML_SCALAR_NODE || node_is_null(item)) {
			loader_error(l, item,
			    "include: each item must be a "
			    "file or a pattern");
			continue;
		}
		pat = node_text(item)[0] == '/'
		    ? xstrdup(node_text(item))
		    : xasprintf(
		          "%s/%s", slash != NULL ? dir : ".", node_text(item));
		loader_include_dir(l, pat);
		rc = glob(pat, 0, NULL, &g);
		if (rc == GLOB_NOMATCH &&
		    strpbrk(node_text(item), "*?[") == NULL) {
			loader_error(l, item, "include: no file '%s'", pat);
		} else if (rc != 0 && rc != GLOB_NOMATCH) {
			loader_error(l, item, "include: cannot read '%s'", pat);
		}
		for (i = 0; rc == 0 && i < g.gl_pathc; i++) {
			if (stat(g.gl_pathv[i], &st) == -1) {
				loader_error(l, item, "include: '%s': %s",
				    g.gl_pathv[i], strerror(errno));
				continue;
			}
			if ((st.st_dev == l->dev && st.st_ino == l->ino) ||
			    strcmp(g.gl_pathv[i], l->file) == 0) {
				continue; /* the main file, by a pattern */
			}
			if (!S_ISREG(st.st_mode)) {
				loader_error(l, item,
				    "include: '%s' is %s, not a regular file",
				    g.gl_pathv[i],
				    config_file_kind(st.st_mode));
				continue;
			}
			if (l->bytes + (size_t)st.st_size > CONFIG_MAX_TOTAL) {
				loader_error(l, item,
				    "include: '%s' would make the files more "
				    "than %d MiB together",
				    g.gl_pathv[i], CONFIG_MAX_TOTAL >> 20);
				break;
			}
			if (l->ninc >= INCLUDE_MAX) {
				loader_error(l, item,
				    "include: more than %d files; the rest "
				    "of '%s' is not read",
				    INCLUDE_MAX, pat);
				break;
			}
			if ((inc = loader_included(l, &st)) != NULL) {
				loader_error(l, item,
				    "include: '%s' is included twice: "
				    "first at %s:%lu:%lu",
				    g.gl_pathv[i], l->file,
				    (unsigned long)inc->by.line + 1,
				    (unsigned long)inc->by.column + 1);
				continue;
			}
			loader_include_file(
			    l, g.gl_pathv[i], &st, item->start_mark);
		}
		if (rc == 0) {
			globfree(&g);
		}
		free(pat);
	}
	free(dir);
}

/* The value of a top-level key, or NULL. */
static yaml_node_t *
loader_top(struct loader *l, yaml_node_t *root, const char *key)
{
	yaml_node_pair_t *p;

	for (p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		if (strcmp(
		        node_text(yaml_document_get_node(&l->doc.doc, p->key)),
		        key) == 0) {
			return yaml_document_get_node(&l->doc.doc, p->value);
		}
	}
	return NULL;
}

/*
 * The defaults as a task of their own, for the jobs twctl submit brings.
 * Only for a file without errors, which the tasks reported already.
 */
static void
loader_defaults(
    struct loader *l, struct config *c, const struct draft *d, size_t nerrs)
{
	if (l->errs->n != nerrs) {
		return;
	}
	c->defaults = xcalloc(1, sizeof *c->defaults);
	c->defaults->name = xstrdup("defaults");
	c->defaults->policy = task_policy_new();
	draft_exec(l, d, c->defaults, NULL, 0);
}

/* The keys that say how the tasks are read: before them if streamed. */
static int
top_key_shapes_tasks(const char *key)
{
	return strcmp(key, "defaults") == 0 || strcmp(key, "queues") == 0 ||
	    strcmp(key, "executors") == 0 || strcmp(key, "plugin_path") == 0 ||
	    strcmp(key, "notifiers") == 0 || strcmp(key, "include") == 0 ||
	    strcmp(key, "subscriptions") == 0 ||
	    strcmp(key, "max_concurrent") == 0;
}

/* The top-level keys but tasks, of a root whose keys were checked. */
static void
loader_head(struct loader *l, struct config *c, yaml_node_t *root)
{
	yaml_node_t *v;
	long n;

	/* Plugins are looked for there first: before notifiers use them. */
	if ((v = loader_top(l, root, "plugin_path")) != NULL) {
		loader_plugin_path(l, c, v);
	}
	/* Queues and defaults apply wherever they stand in the file. */
	if ((v = loader_top(l, root, "queues")) != NULL) {
		loader_queues(l, c, v);
	}
	if ((v = loader_top(l, root, "notifiers")) != NULL) {
		loader_notifiers(l, c, v);
	}
	/* Notifiers of their own, after the file's. */
	if ((v = loader_top(l, root, "subscriptions")) != NULL) {
		loader_subscriptions(l, c, v);
	}
	if ((v = loader_top(l, root, "executors")) != NULL) {
		loader_executors(l, c, v);
	}

	if ((v = loader_top(l, root, "include")) != NULL) {
		loader_includes(l, v);
	}
	if ((v = loader_top(l, root, "max_concurrent")) != NULL &&
	    value_integer(l, "max_concurrent", v, 1, 10000, 10, &n) == 0) {
		c->max_concurrent = (int)n;
	}
	if ((v = loader_top(l, root, "defaults")) != NULL && !node_is_null(v)) {
		if (v->type != YAML_MAPPING_NODE) {
			loader_error(l, v,
			    "'defaults' must be a mapping of fields, not %s",
			    node_kind(v));
		} else {
			loader_fields(l, v, l->defaults, 1);
		}
	}
}

/*
 * The tasks mapping starts: read what came before it, unless a key there
 * is one loader_check_keys would refuse (it will, at the end).
 */
static int
loader_stream_begin(void *arg)
{
	struct loader *l = arg;
	yaml_node_t *root = yaml_document_get_root_node(&l->doc.doc), *k;
	yaml_node_pair_t *p, *q;

	for (p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		if (k->type != YAML_SCALAR_NODE) {
			return -1;
		}
		for (q = root->data.mapping.pairs.start; q < p; q++) {
			if (strcmp(node_text(k),
			        node_text(yaml_document_get_node(
			            &l->doc.doc, q->key))) == 0) {
				return -1;
			}
		}
	}
	loader_head(l, l->config, root);
	l->streamed = 1;
	return 0;
}

static void
loader_stream_entry(void *arg, yaml_node_t *key, yaml_node_t *value)
{
	struct loader *l = arg;

	loader_task_entry(l, l->config, key, value);
}

static void
loader_root(struct loader *l, struct config *c)
{
	yaml_node_t *root = yaml_document_get_root_node(&l->doc.doc), *k, *v;
	yaml_node_pair_t *p;
	int had_tasks = 0;

	if (root == NULL || node_is_null(root)) {
		/* An empty file. */
		loader_defaults(l, c, l->defaults, l->nerrs);
		return;
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
	if (!l->streamed) {
		loader_head(l, c, root);
	}
	for (p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		v = yaml_document_get_node(&l->doc.doc, p->value);
		if (strcmp(node_text(k), "tasks") == 0) {
			if (l->streamed) {
				loader_tasks_end(l, c);
			} else {
				loader_tasks(l, c, v);
			}
			had_tasks = 1;
		} else if (strcmp(node_text(k), "metrics") == 0) {
			loader_metrics(l, c, v);
		} else if (strcmp(node_text(k), "audit") == 0) {
			loader_audit(l, c, v);
		} else if (strcmp(node_text(k), "capacity") == 0) {
			loader_capacity(l, c, v);
		} else if (had_tasks && l->streamed &&
		    top_key_shapes_tasks(node_text(k))) {
			/* The tasks were read without it: again, whole. */
			l->restart = 1;
			return;
		} else if (!top_key_shapes_tasks(node_text(k))) {
			loader_unknown_key(
			    l, k, "key", top_keys, NITEMS(top_keys));
		}
	}
	if (!had_tasks && l->ninc > 0) {
		loader_tasks(l, c, NULL);
	}
	loader_defaults(l, c, l->defaults, l->nerrs);
	config_check_capacity(l, c);
}

static int
error_cmp(const void *a, const void *b)
{
	const struct config_error *x = a, *y = b;
	int c = strcmp(x->file, y->file);

	if (c != 0) {
		return c;
	}
	if (x->line != y->line) {
		return x->line < y->line ? -1 : 1;
	}
	return x->column < y->column ? -1 : x->column > y->column;
}

/* Drop the errors after the first n. */
static void
errors_truncate(struct config_errors *errs, size_t n)
{
	while (errs->n > n) {
		errs->n--;
		free(errs->v[errs->n].file);
		free(errs->v[errs->n].message);
	}
}

/*
 * Read path into a config, its tasks as the parser reads them (stream) or
 * from the whole document. NULL with errors, or with *restart when the
 * tasks could not be streamed after all.
 */
struct config *
config_read(
    const char *path, struct config_errors *errs, int stream, int *restart)
{
	struct loader l = { .file = path, .errs = errs, .nerrs = errs->n };
	struct ydoc_stream s = { "tasks", loader_stream_begin,
		loader_stream_entry, &l };
	struct config_error last;
	struct draft defaults;
	struct config *c;
	struct stat st;
	size_t i;

	draft_init(&defaults);
	l.defaults = &defaults;
	c = xcalloc(1, sizeof *c);
	c->path = xstrdup(path);
	c->files = xcalloc(1, sizeof *c->files);
	c->files[c->nfiles++] = xstrdup(path);
	c->max_concurrent = loader_cpus();
	c->metrics.interval_ms = METRICS_INTERVAL_MS;
	c->capacity.swap = -1;
	c->capacity.backfill_ms = CAPACITY_BACKFILL_MS;
	l.file = c->files[0];
	l.config = c;
	l.home = paths_home();
	l.copy_budget = 1000000;
	if (stat(path, &st) == 0) {
		l.dev = st.st_dev; /* no pattern includes the file itself */
		l.ino = st.st_ino;
		l.copy_budget += (size_t)st.st_size;
		l.bytes = (size_t)st.st_size;
	}
	if (loader_parse(path, &l.doc, errs, stream ? &s : NULL) == -1) {
		if (l.doc.overflow) {
			l.restart = 1;
		} else if (errs->n > l.nerrs + 1) {
			/* Broken YAML: what the tasks before it said is moot. */
			last = errs->v[--errs->n];
			errors_truncate(errs, l.nerrs);
			errs->v[errs->n++] = last;
		}
	} else {
		loader_root(&l, c);
	}
	free(l.home);
	ydoc_release(&l.doc);
	for (i = 0; i < l.ninc; i++) {
		ydoc_release(&l.inc[i].doc);
	}
	free(l.inc);
	for (i = 0; i < l.nafters; i++) {
		free(l.afters[i].name);
	}
	free(l.afters);
	intern_release(&l.rules, loader_rule_free);
	intern_release(&l.policies, task_policy_release);
	loader_plugins_free(&l);
	if ((*restart = l.restart)) {
		errors_truncate(errs, l.nerrs);
		config_free(c);
		return NULL;
	}
	if (errs->n != l.nerrs) {
		/* Rules are checked after fields: report in file order. */
		qsort(errs->v + l.nerrs, errs->n - l.nerrs, sizeof *errs->v,
		    error_cmp);
		config_free(c);
		return NULL;
	}
	return c;
}
