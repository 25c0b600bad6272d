/*
 * Shared by the two rooms of the change triggers: watch.c (the inotify
 * descriptor, the directories it watches and their subscribers, path
 * triggers, the API of watch.h) and watch-git.c (git triggers: a local
 * repository's refs, a remote's polls).
 */
#ifndef TW_WATCH_INT_H
#define TW_WATCH_INT_H

#include <sys/inotify.h>

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "gitref.h"
#include "watch.h"

struct event;
struct event_base;
struct job;
struct job_list;

enum role {
	ROLE_GIT_DIR,   /* the repository's directory: packed-refs */
	ROLE_GIT_HEADS, /* a directory of refs/heads */
	ROLE_DIR,       /* a path trigger's directory */
	ROLE_WAIT,      /* an ancestor of one not there: for its next part */
};

struct wsub {
	struct watch *w;
	enum role role;
	int top;    /* ROLE_DIR, ROLE_WAIT: which of watch:; else -1 */
	int below;  /* ROLE_DIR: a directory below it (recursive) */
	char *path; /* the directory as this watch names it */
};

struct wdir {
	int wd;
	struct wsub *subs;
	size_t nsubs;
};

struct watch {
	struct watch_set *ws;
	void *owner;
	char *task;
	const struct trigger_def *on; /* borrowed from the task's config */
	char *error; /* why it does not watch all it should; or NULL */
	/* git */
	char *gitdir;         /* a local repository's refs are here */
	int gone;             /* and it could not be watched, or went */
	struct gitrefs refs;  /* the branches as last seen */
	int have_refs;        /* refs is a baseline */
	struct gitrefs saved; /* as the last twd saw them, */
	int have_saved;       /* if it did, for the same source */
	int starting;         /* twd has just started */
	struct event *ev_git; /* read the refs again; or poll the remote */
	struct job *poll;     /* git ls-remote going on */
	char *poll_out;       /* its standard output so far */
	size_t poll_len;
	char *poll_err;    /* its first line of standard error */
	int64_t polled_ms; /* the last poll that answered */
	/* path */
	struct event *ev_quiet; /* the debounce */
	char **paths;           /* collected since the last fire */
	size_t npaths, cap;
	int overflow;
	int64_t first_ms; /* the first of them came then */
	size_t ndirs;     /* directories watched, for max_watches */
	int64_t since_ms; /* at the start: files changed since count; or 0 */
	int down;         /* the paths collected changed while twd was down */
};

struct watch_set {
	struct event_base *base;
	struct job_list *jobs;
	struct tw_clock clock;
	char *log_dir;
	struct watch_cbs cbs;
	int fd;
	struct event *ev_read;
	struct wdir *dirs; /* by wd, which the kernel hands out rising */
	size_t ndirs;
	struct watch **watches;
	size_t nwatches;
	int64_t poll_ms; /* TW_GIT_POLL_MS: every remote this often; or 0 */
	int stopping;    /* twd stops: the last events read are paths' only */
};

/* watch.c */

/* Say (once) why w does not watch all it should; takes msg. */
void watch_error(struct watch *w, char *msg);
/* It does now. */
void watch_ok(struct watch *w);
/* inotify refused to watch path (errno says why): said, with the fix. */
void watch_failed(struct watch *w, const char *path);
/*
 * Subscribe w to the directory path in role. Returns 0, or -1 with errno
 * from inotify (ENOENT: not there; ENOSPC: the system's limit).
 */
int wdir_add(struct watch *w, const char *path, enum role role, int top,
    int below, uint32_t mask);
/* Call fn for path and each directory below it, depth first. */
int walk_dirs(const char *path, int depth,
    int (*fn)(const char *path, void *arg), void *arg);

/* watch-git.c */

/* Start w's git trigger from saved, what its save last gave (or NULL). */
void git_start(struct watch *w, const char *saved);
/* Watch a local repository's directory again and read its branches. */
void git_local(struct watch *w);
/* Read a local repository's branches again, and its heads' directories. */
void git_reread(struct watch *w);
/* An event of a directory w watches in role ROLE_GIT_DIR or GIT_HEADS. */
void
git_dir_event(struct watch *w, enum role role, const struct inotify_event *ev);
/* The repository of w, watched at path, went away. */
void git_gone(struct watch *w, const char *path);
/* How w's git trigger goes, for watch_json: {branches, polled}. */
json_t *git_json(const struct watch *w);
/* Stop w's git trigger and free what it holds. */
void git_release(struct watch *w);

#endif
