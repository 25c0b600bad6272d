/*
 * Change triggers: a git branch that moved (a local repository's refs
 * watched through inotify; a remote's read by git ls-remote, a job of
 * the executor, every poll) and files that changed in directories
 * (inotify, debounced). One inotify descriptor for all of them: an idle
 * twd wakes for none of it until something changes. Knows nothing of
 * tasks, queues or the history: what it sees goes to its callbacks, and
 * what a git trigger has seen is handed out as text to keep and handed
 * back at the next start.
 */
#ifndef TW_WATCH_H
#define TW_WATCH_H

#include <jansson.h>
#include <stddef.h>

#include "context.h"

struct event_base;
struct job_list;
struct trigger_def;
struct watch;
struct watch_set;

enum watch_kind {
	WATCH_GIT,
	WATCH_PATH,
};

/* What changed: one branch that moved, or the paths of a quiet spell. */
struct watch_change {
	enum watch_kind kind;
	const char *repo;   /* git: the repository or remote, as configured */
	const char *branch; /* git: "main" */
	const char *old_id; /* git: "" for a branch that is new */
	const char *new_id;
	int while_down;     /* it changed while twd was not running */
	char *const *paths; /* path: what changed, sorted, absolute */
	size_t npaths;
	int overflow; /* path: events were lost; paths is not all of them */
};

struct watch_cbs {
	/* Something changed for the watch of owner. */
	void (*fire)(void *owner, const struct watch_change *, void *arg);
	/*
	 * What a trigger of kind has seen, state to keep for watch_add: a
	 * git trigger's branches; until when a path trigger saw changes.
	 */
	void (*save)(
	    void *owner, enum watch_kind, const char *state, void *arg);
	/*
	 * Around the fires of one look (a git trigger's branches, a path
	 * trigger's quiet spell) and the save after them (begin 1, then 0):
	 * one commit, so that a crash between them cannot run a change
	 * again or lose one.
	 */
	void (*batch)(void *arg, int begin);
	void *arg;
};

/*
 * The set (caller frees), or NULL with *cause when inotify cannot be had.
 * git ls-remote's output goes to log_dir/.triggers/TASK.log.
 */
struct watch_set *watch_set_create(struct event_base *, struct job_list *,
    const struct tw_clock *, const char *log_dir, const struct watch_cbs *,
    char **cause);
/* Frees the set and its watches; polls going on are forgotten. */
void watch_set_free(struct watch_set *);

/* What save last gave for a watch, by kind; NULL: nothing. */
struct watch_saved {
	const char *git;
	const char *path;
};

/*
 * Start watching what on names for owner, the task called task. starting
 * says twd has just started: a branch that moved since saved, or a file
 * changed since, changed while it was down. Returns the watch (the set
 * owns it).
 */
struct watch *
watch_add(struct watch_set *, const char *task, const struct trigger_def *on,
    const struct watch_saved *saved, int starting, void *owner);
/*
 * Its on: is now this one, alike, of a config reloaded; a local
 * repository that went away is looked for again.
 */
void watch_rebind(struct watch *, const struct trigger_def *on);
/*
 * twd stops: each path trigger saves until when it has seen changes
 * (those it has not run for yet not included, nor those the kernel told
 * and twd had not read), so that the next start finds what changed
 * after. No watch fires after it. Accepts NULL.
 */
void watch_set_checkpoint(struct watch_set *);
/* Stop it and free it; accepts NULL. */
void watch_remove(struct watch_set *, struct watch *);
/*
 * How it goes, for twctl show and why: {git: {branches: {NAME: ID},
 * polled, error}, path: {watching, waiting: [DIR], pending, error}}.
 */
json_t *watch_json(const struct watch *);
/* Why it does not watch all it should, in words; NULL when it does. */
const char *watch_problem(const struct watch *);

#endif
