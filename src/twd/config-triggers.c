/*
 * A task's on: what runs it besides the clock. git: a branch of a local
 * repository (watched) or of a remote (polled) moved; path: files changed
 * in directories. Checked at load, each error at its line and column: a
 * repository that is none, a branch no ref could be, a poll too often; a
 * directory not there yet is a warning (it is watched once it appears).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-int.h"
#include "config.h"
#include "duration.h"
#include "gitref.h"
#include "xmalloc.h"

static const char *const path_event_names[] = {
	"created",
	"modified",
	"deleted",
	"moved_to",
	"moved_from",
	"attrib",
};

const char *
config_path_event_name(unsigned event)
{
	size_t i;

	for (i = 0; i < NITEMS(path_event_names); i++) {
		if (event == 1u << i) {
			return path_event_names[i];
		}
	}
	return NULL;
}

void
trigger_def_free(struct trigger_def *on)
{
	if (on == NULL) {
		return;
	}
	if (on->git != NULL) {
		free(on->git->repo);
		free(on->git->remote);
		free(on->git->branch);
		free(on->git);
	}
	if (on->path != NULL) {
		strv_free(on->path->watch);
		free(on->path->glob);
		free(on->path);
	}
	free(on);
}

/* The scalar value of an on: setting; NULL after an error. */
static const char *
setting_text(
    struct loader *l, yaml_node_t *v, const char *name, const char *want)
{
	struct field f = { .name = name, .want = want };

	return loader_scalar(l, v, &f);
}

/* A path of on:, absolute: ~ is home, a relative one is below home. */
static char *
trigger_path(struct loader *l, const char *v)
{
	if (v[0] == '/' || v[0] == '~') {
		return section_path(l, v);
	}
	return xasprintf("%s/%s", l->home, v);
}

/* git: {repo: DIR | remote: URL, branch: NAME-OR-GLOB, poll: DURATION} */
static struct git_trigger *
draft_git(struct loader *l, yaml_node_t *map)
{
	static const char *const keys[] = { "branch", "poll", "remote",
		"repo" };
	static const struct field poll = { .name = "poll",
		.want = "a duration" };
	struct git_trigger *g = xcalloc(1, sizeof *g);
	yaml_node_t *k, *v, *repo_node = NULL, *poll_node = NULL;
	yaml_node_pair_t *p;
	const char *val;
	char *cause, *dir;
	size_t nerrs = l->errs->n;

	g->poll_ms = GIT_POLL_DEFAULT_SECS * 1000;
	if (map->type != YAML_MAPPING_NODE) {
		loader_error(l, map,
		    "on: git: must be a mapping such as {repo: ~/src/proj, "
		    "branch: main}, not %s",
		    node_kind(map));
		goto fail;
	}
	if (loader_check_keys(l, map, "git setting") == -1) {
		goto fail;
	}
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		v = yaml_document_get_node(&l->doc.doc, p->value);
		if (strcmp(node_text(k), "repo") == 0) {
			if ((val = setting_text(l, v, "repo",
			         "a local repository's directory")) != NULL) {
				g->repo = trigger_path(l, val);
				repo_node = v;
			}
		} else if (strcmp(node_text(k), "remote") == 0) {
			if ((val = setting_text(l, v, "remote",
			         "a URL git ls-remote reads")) != NULL) {
				g->remote = xstrdup(val);
			}
		} else if (strcmp(node_text(k), "branch") == 0) {
			if ((val = setting_text(l, v, "branch",
			         "a branch, or a pattern such as release/*")) ==
			    NULL) {
				continue;
			}
			if (gitref_pattern_check(val, &cause) == -1) {
				loader_error(l, v, "branch: %s", cause);
				free(cause);
				continue;
			}
			g->branch = xstrdup(val);
		} else if (strcmp(node_text(k), "poll") == 0) {
			poll_node = v;
			value_duration(
			    l, &poll, v, GIT_POLL_MIN_SECS, &g->poll_ms);
		} else {
			loader_unknown_key(
			    l, k, "git setting", keys, NITEMS(keys));
		}
	}
	if ((g->repo != NULL) == (g->remote != NULL)) {
		loader_error(l, map,
		    "on: git: needs one of repo (a local repository, "
		    "watched) or remote (a URL, polled)");
	} else if (g->repo != NULL) {
		if (poll_node != NULL) {
			loader_error(l, poll_node,
			    "poll: a local repository is watched, not "
			    "polled: poll is for a remote");
		}
		if ((dir = gitref_dir(g->repo, &cause)) == NULL) {
			loader_error(l, repo_node, "repo: %s", cause);
			free(cause);
		}
		free(dir);
	}
	if (g->branch == NULL && l->errs->n == nerrs) {
		loader_error(l, map,
		    "on: git: needs a branch (a name such as main, or a "
		    "pattern such as release/*)");
	}
	if (l->errs->n == nerrs) {
		return g;
	}
fail:
	free(g->repo);
	free(g->remote);
	free(g->branch);
	free(g);
	return NULL;
}

/* A value that is one item or a list of them: how many items. */
static size_t
items_count(const yaml_node_t *v)
{
	return v->type == YAML_SEQUENCE_NODE
	    ? (size_t)(v->data.sequence.items.top -
	          v->data.sequence.items.start)
	    : 1;
}

/* ... and the i-th of them. */
static yaml_node_t *
items_at(struct loader *l, yaml_node_t *v, size_t i)
{
	return v->type == YAML_SEQUENCE_NODE
	    ? yaml_document_get_node(
	          &l->doc.doc, v->data.sequence.items.start[i])
	    : v;
}

/* watch: DIR or [DIR ...]: each absolute; a warning for one not there. */
static void
path_watch(struct loader *l, struct path_trigger *pt, yaml_node_t *v)
{
	yaml_node_t *item;
	struct stat st;
	size_t n = 0, i;
	char *path;

	if (v->type == YAML_MAPPING_NODE) {
		loader_error(l, v,
		    "watch: must be a directory or a list of them, not a "
		    "mapping");
		return;
	}
	for (i = 0; i < items_count(v); i++) {
		item = items_at(l, v, i);
		if (item->type != YAML_SCALAR_NODE || node_is_null(item)) {
			loader_error(l, item,
			    "watch: each item must be a directory, not %s",
			    node_kind(item));
			continue;
		}
		path = trigger_path(l, node_text(item));
		if (stat(path, &st) == -1) {
			loader_warning(l, item, "watch",
			    xasprintf("'%s': %s; watched once it appears", path,
			        strerror(errno)));
		} else if (!S_ISDIR(st.st_mode)) {
			loader_error(l, item,
			    "watch: '%s' is not a directory (watch the "
			    "directory it is in, with a glob)",
			    path);
		}
		strv_add(&pt->watch, &n, path);
	}
}

/* events: [created, modified ...] */
static void
path_events(struct loader *l, struct path_trigger *pt, yaml_node_t *v)
{
	const char *name;
	yaml_node_t *item;
	size_t i, j;

	if (v->type == YAML_MAPPING_NODE) {
		loader_error(
		    l, v, "events: must be a list such as [created, moved_to]");
		return;
	}
	pt->events = 0;
	for (i = 0; i < items_count(v); i++) {
		item = items_at(l, v, i);
		name = node_text(item);
		for (j = 0; j < NITEMS(path_event_names); j++) {
			if (strcmp(name, path_event_names[j]) == 0) {
				pt->events |= 1u << j;
				break;
			}
		}
		if (j == NITEMS(path_event_names)) {
			loader_error(l, item,
			    "events: '%s' is not created, modified, deleted, "
			    "moved_to, moved_from or attrib",
			    name);
		}
	}
	if (items_count(v) == 0) {
		loader_error(l, v, "events: the list is empty");
	}
}

/* path: {watch, events, glob, debounce, per_file, recursive, max_watches} */
static struct path_trigger *
draft_path(struct loader *l, yaml_node_t *map)
{
	static const char *const keys[] = { "debounce", "events", "glob",
		"max_watches", "per_file", "recursive", "watch" };
	static const struct field debounce = { .name = "debounce",
		.want = "a duration" };
	struct path_trigger *pt = xcalloc(1, sizeof *pt);
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	const char *key, *val;
	int b;
	long n;
	size_t nerrs = l->errs->n;

	pt->events = PATH_EV_DEFAULT;
	pt->debounce_ms = 1000;
	pt->max_watches = PATH_MAX_WATCHES_DEFAULT;
	if (map->type != YAML_MAPPING_NODE) {
		loader_error(l, map,
		    "on: path: must be a mapping such as {watch: [~/inbox], "
		    "glob: \"*.csv\"}, not %s",
		    node_kind(map));
		goto fail;
	}
	if (loader_check_keys(l, map, "path setting") == -1) {
		goto fail;
	}
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		v = yaml_document_get_node(&l->doc.doc, p->value);
		key = node_text(k);
		if (strcmp(key, "watch") == 0) {
			path_watch(l, pt, v);
		} else if (strcmp(key, "events") == 0) {
			path_events(l, pt, v);
		} else if (strcmp(key, "glob") == 0) {
			if ((val = setting_text(l, v, "glob",
			         "a pattern of names such as \"*.csv\"")) !=
			    NULL) {
				free(pt->glob);
				pt->glob = xstrdup(val);
			}
		} else if (strcmp(key, "debounce") == 0) {
			value_duration(l, &debounce, v, 0, &pt->debounce_ms);
		} else if (strcmp(key, "per_file") == 0) {
			if (value_bool(l, "per_file", v, &b) == 0) {
				pt->per_file = (uint8_t)b;
			}
		} else if (strcmp(key, "recursive") == 0) {
			if (value_bool(l, "recursive", v, &b) == 0) {
				pt->recursive = (uint8_t)b;
			}
		} else if (strcmp(key, "max_watches") == 0) {
			if (value_integer(
			        l, "max_watches", v, 1, 1000000, 10, &n) == 0) {
				pt->max_watches = (int)n;
			}
		} else {
			loader_unknown_key(
			    l, k, "path setting", keys, NITEMS(keys));
		}
	}
	if (pt->watch == NULL && l->errs->n == nerrs) {
		loader_error(l, map,
		    "on: path: needs watch, the directories to watch (as "
		    "[~/inbox])");
	}
	if (l->errs->n == nerrs) {
		return pt;
	}
fail:
	strv_free(pt->watch);
	free(pt->glob);
	free(pt);
	return NULL;
}

void
draft_on(struct loader *l, yaml_node_t *map, struct task_def *t)
{
	static const char *const keys[] = { "git", "path" };
	struct trigger_def *on;
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;

	if (map->type != YAML_MAPPING_NODE || MAPPING_SIZE(map) == 0) {
		loader_error(l, map,
		    "'on' must be a mapping of git: or path: (or both), "
		    "such as {git: {repo: ~/src/proj, branch: main}}");
		return;
	}
	if (loader_check_keys(l, map, "trigger") == -1) {
		return;
	}
	on = xcalloc(1, sizeof *on);
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		v = yaml_document_get_node(&l->doc.doc, p->value);
		if (strcmp(node_text(k), "git") == 0) {
			on->git = draft_git(l, v);
		} else if (strcmp(node_text(k), "path") == 0) {
			on->path = draft_path(l, v);
		} else {
			loader_unknown_key(l, k, "trigger", keys, NITEMS(keys));
		}
	}
	if (on->git == NULL && on->path == NULL) {
		free(on);
		return;
	}
	t->on = on;
}

char *
config_trigger_text(const struct trigger_def *on)
{
	const struct git_trigger *g = on->git;
	const struct path_trigger *pt = on->path;
	char *text = NULL, dur[32];
	size_t len = 0, i;
	FILE *fp = open_memstream(&text, &len);

	if (fp == NULL) {
		return xstrdup("on change");
	}
	if (g != NULL) {
		fprintf(fp, "on push to %s%s %s %s",
		    strchr(g->branch, '*') != NULL ? "branches " : "",
		    g->branch, g->repo != NULL ? "in" : "of",
		    g->repo != NULL ? g->repo : g->remote);
		if (g->remote != NULL) {
			fprintf(fp, " (polled every %s)",
			    duration_format(
			        g->poll_ms / 1000, dur, sizeof dur));
		}
	}
	if (pt != NULL) {
		fprintf(fp, "%son change%s%s in ", g != NULL ? "; " : "",
		    pt->glob != NULL ? " to " : "",
		    pt->glob != NULL ? pt->glob : "");
		for (i = 0; pt->watch[i] != NULL; i++) {
			fprintf(fp, "%s%s", i > 0 ? ", " : "", pt->watch[i]);
		}
	}
	if (fclose(fp) != 0 || text == NULL) {
		free(text);
		return xstrdup("on change");
	}
	return text;
}

json_t *
show_on(const struct task_def *d, const struct field_ctx *x)
{
	const struct git_trigger *g;
	const struct path_trigger *pt;
	json_t *o, *v, *events;
	unsigned bit;

	(void)x;
	if (d->on == NULL) {
		return NULL;
	}
	o = json_object();
	if ((g = d->on->git) != NULL) {
		v = json_pack("{s:s}", "branch", g->branch);
		if (g->repo != NULL) {
			json_object_set_new(v, "repo", json_string(g->repo));
		} else {
			json_object_set_new(
			    v, "remote", json_string(g->remote));
			json_object_set_new(
			    v, "poll", json_real((double)g->poll_ms / 1000));
		}
		json_object_set_new(o, "git", v);
	}
	if ((pt = d->on->path) != NULL) {
		events = json_array();
		for (bit = 1; bit <= pt->events; bit <<= 1) {
			if (pt->events & bit) {
				json_array_append_new(events,
				    json_string(config_path_event_name(bit)));
			}
		}
		v = json_pack("{s:o, s:o, s:o, s:f, s:b, s:b, s:i}", "watch",
		    strv_json(pt->watch), "events", events, "glob",
		    pt->glob != NULL ? json_string(pt->glob) : json_null(),
		    "debounce", (double)pt->debounce_ms / 1000, "per_file",
		    pt->per_file, "recursive", pt->recursive, "max_watches",
		    pt->max_watches);
		json_object_set_new(o, "path", v);
	}
	return o;
}

int
same_on(const struct task_def *a, const struct task_def *b)
{
	json_t *x = show_on(a, NULL), *y = show_on(b, NULL);
	int same = (x == NULL && y == NULL) ||
	    (x != NULL && y != NULL && json_equal(x, y));

	json_decref(x);
	json_decref(y);
	return same;
}

int
task_def_on_equal(const struct task_def *a, const struct task_def *b)
{
	return same_on(a, b);
}
