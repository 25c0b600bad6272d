/*
 * Checks across tasks, once all are read: names given twice, after: names
 * that are no task, and after: cycles.
 */

#include <stdlib.h>
#include <string.h>

#include "suggest.h"
#include "xmalloc.h"
#include "config-int.h"

/* Each name after: gave is a task's, of any file; c is sorted. */
void
loader_check_afters(struct loader *l, const struct config *c)
{
	const struct loader_after *a;
	const char **names = NULL, *hint;
	size_t i, j;

	for (i = 0; i < l->nafters; i++) {
		a = &l->afters[i];
		if (config_find(c, a->name) != NULL) {
			continue;
		}
		if (names == NULL) {
			names = xcalloc(c->ntasks + 1, sizeof *names);
			for (j = 0; j < c->ntasks; j++) {
				names[j] = c->tasks[j]->name;
			}
		}
		hint = suggest(a->name, names, c->ntasks);
		errors_add(l->errs, a->file, a->line, a->column,
		    xasprintf("after: no task named '%s'%s%s%s", a->name,
		        hint != NULL ? " (did you mean '" : "",
		        hint != NULL ? hint : "", hint != NULL ? "'?)" : ""));
	}
	free(names);
}

int
task_def_after(const struct task_def *d, const char *name)
{
	size_t i;

	for (i = 0; d->after != NULL && d->after[i] != NULL; i++) {
		if (strcmp(d->after[i], name) == 0) {
			return 1;
		}
	}
	return 0;
}

/* Depth-first search for a cycle of after:, keeping the path for words. */
struct cycle_walk {
	const struct config *c;
	int *state; /* per task: 0 unseen, 1 on the path, 2 done */
	size_t *path;
	size_t depth;
};

static size_t
config_index(const struct config *c, const char *name)
{
	const struct task_def *d = config_find(c, name);
	size_t i;

	for (i = 0; i < c->ntasks; i++) {
		if (c->tasks[i] == d) {
			return i;
		}
	}
	return c->ntasks;
}

static int
cycle_visit(struct cycle_walk *w, size_t i)
{
	const struct task_def *t = w->c->tasks[i];
	size_t j, k;

	if (w->state[i] == 2) {
		return 0;
	}
	w->path[w->depth++] = i;
	if (w->state[i] == 1) {
		return 1;
	}
	w->state[i] = 1;
	for (j = 0; t->after != NULL && t->after[j] != NULL; j++) {
		k = config_index(w->c, t->after[j]);
		if (k < w->c->ntasks && cycle_visit(w, k) == 1) {
			return 1;
		}
	}
	w->state[i] = 2;
	w->depth--;
	return 0;
}

/* Report a cycle of after: as "a -> b -> c -> a", at its first task. */
void
config_check_cycles(struct loader *l, struct config *c)
{
	struct cycle_walk w = { c, NULL, NULL, 0 };
	size_t i, j, start;
	char *words, *more;

	w.state = xcalloc(c->ntasks + 1, sizeof *w.state);
	w.path = xcalloc(c->ntasks + 1, sizeof *w.path);
	for (i = 0; i < c->ntasks; i++) {
		w.depth = 0;
		if (cycle_visit(&w, i) == 0) {
			continue;
		}
		/* The path ends where the cycle closes; find where it began. */
		for (start = 0; w.path[start] != w.path[w.depth - 1]; start++) {
			;
		}
		words = xstrdup(c->tasks[w.path[start]]->name);
		for (j = start + 1; j < w.depth; j++) {
			more = xasprintf(
			    "%s -> %s", words, c->tasks[w.path[j]]->name);
			free(words);
			words = more;
		}
		errors_add(l->errs, c->tasks[w.path[start]]->file,
		    c->tasks[w.path[start]]->line,
		    c->tasks[w.path[start]]->column,
		    xasprintf("after: the tasks depend on each other in a "
		              "cycle: %s",
		        words));
		free(words);
		break;
	}
	free(w.state);
	free(w.path);
}

/*
 * A task defined twice: in one file, a duplicate key; in two, said with
 * where the other is. The tasks are sorted, the first read first.
 */
void
config_check_duplicates(struct loader *l, struct config *c)
{
	const struct task_def *a, *b;
	size_t i;

	for (i = 1; i < c->ntasks; i++) {
		a = c->tasks[i - 1];
		b = c->tasks[i];
		if (strcmp(a->name, b->name) != 0) {
			continue;
		}
		errors_add(l->errs, b->file, b->line, b->column,
		    a->file == b->file
		        ? xasprintf("duplicate task '%s' (first at line %u)",
		              b->name, a->line)
		        : xasprintf("task '%s' is defined twice: also at "
		                    "%s:%u:%u",
		              b->name, a->file, a->line, a->column));
	}
}
