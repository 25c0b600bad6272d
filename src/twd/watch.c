/*
 * Change triggers through one inotify descriptor. Each directory the
 * kernel watches (a wdir) is shared by every watch that wants it: inotify
 * gives one watch descriptor per directory and descriptor, whoever asks,
 * so the watches that asked are its subscribers, each with its role.
 *
 * A local git trigger (watch-git.c) watches the repository's directory
 * (packed-refs renamed into place by git gc and git pack-refs) and every
 * directory of refs/heads (a branch's file renamed into place by a commit,
 * a merge, a push into it). Any of that makes it read the branches again
 * a moment later, and a branch whose commit differs from the last seen has
 * moved: packing changes no commit, so it fires nothing.
 *
 * A path trigger watches its directories (and those below, when
 * recursive); a directory not there, or removed, is waited for on the
 * nearest one that is, and watched again when it appears, what is in it
 * then counting as created.
 */
#include <sys/inotify.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "job.h"
#include "log.h"
#include "watch-int.h"
#include "xmalloc.h"

/* Paths a path trigger collects before it dedups them; past it, lost. */
#define PATH_COLLECT_MAX 100000
/* A burst that never goes quiet still fires after this many debounces. */
#define PATH_MAX_WAIT_FACTOR 10

static void watch_resolve(struct watch *w, int top, int appeared);

void
watch_error(struct watch *w, char *msg)
{
	if (w->error == NULL || strcmp(w->error, msg) != 0) {
		log_warn("task '%s': %s", w->task, msg);
	}
	free(w->error);
	w->error = msg;
}

void
watch_ok(struct watch *w)
{
	free(w->error);
	w->error = NULL;
}

/* The wdir of wd, or NULL; *at is where it is or would go. */
static struct wdir *
wdir_find(struct watch_set *ws, int wd, size_t *at)
{
	size_t lo = 0, hi = ws->ndirs, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ws->dirs[mid].wd < wd) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	if (at != NULL) {
		*at = lo;
	}
	return lo < ws->ndirs && ws->dirs[lo].wd == wd ? &ws->dirs[lo] : NULL;
}

static void
wdir_drop(struct watch_set *ws, struct wdir *d, int rm)
{
	size_t i = (size_t)(d - ws->dirs), j;

	for (j = 0; j < d->nsubs; j++) {
		if (d->subs[j].role == ROLE_DIR) {
			d->subs[j].w->ndirs--;
		}
		free(d->subs[j].path);
	}
	free(d->subs);
	if (rm) {
		inotify_rm_watch(ws->fd, d->wd);
	}
	memmove(d, d + 1, (ws->ndirs - i - 1) * sizeof *d);
	ws->ndirs--;
}

/*
 * Subscribe w to the directory path in role. Returns 0, or -1 with errno
 * from inotify (ENOENT: not there; ENOSPC: the system's limit).
 */
int
wdir_add(struct watch *w, const char *path, enum role role, int top, int below,
    uint32_t mask)
{
	struct watch_set *ws = w->ws;
	struct wdir *d;
	struct wsub *s;
	size_t at, j;
	int wd;

	wd = inotify_add_watch(ws->fd, path, mask | IN_ONLYDIR | IN_MASK_ADD);
	if (wd == -1) {
		return -1;
	}
	if ((d = wdir_find(ws, wd, &at)) == NULL) {
		ws->dirs = xreallocarray(ws->dirs, ws->ndirs + 1, sizeof *d);
		memmove(&ws->dirs[at + 1], &ws->dirs[at],
		    (ws->ndirs - at) * sizeof *d);
		ws->ndirs++;
		d = &ws->dirs[at];
		memset(d, 0, sizeof *d);
		d->wd = wd;
	}
	for (j = 0; j < d->nsubs; j++) {
		if (d->subs[j].w == w && d->subs[j].role == role &&
		    d->subs[j].top == top && d->subs[j].below == below) {
			return 0;
		}
	}
	d->subs = xreallocarray(d->subs, d->nsubs + 1, sizeof *d->subs);
	s = &d->subs[d->nsubs++];
	s->w = w;
	s->role = role;
	s->top = top;
	s->below = below;
	s->path = xstrdup(path);
	if (role == ROLE_DIR) {
		w->ndirs++;
	}
	return 0;
}

/* Take w's subscriptions off: all, or (wait_of >= 0) its waits for one. */
static void
wdir_unsubscribe(struct watch *w, int wait_of)
{
	struct watch_set *ws = w->ws;
	struct wdir *d;
	struct wsub *sub;
	size_t i = 0, j;

	while (i < ws->ndirs) {
		d = &ws->dirs[i];
		for (j = 0; j < d->nsubs;) {
			sub = &d->subs[j];
			if (sub->w != w ||
			    (wait_of >= 0 &&
			        (sub->role != ROLE_WAIT ||
			            sub->top != wait_of))) {
				j++;
				continue;
			}
			if (sub->role == ROLE_DIR) {
				w->ndirs--;
			}
			free(sub->path);
			*sub = d->subs[--d->nsubs];
		}
		if (d->nsubs == 0) {
			wdir_drop(ws, d, 1);
		} else {
			i++;
		}
	}
}

/* Call fn for path and each directory below it, depth first. */
int
walk_dirs(const char *path, int depth, int (*fn)(const char *path, void *arg),
    void *arg)
{
	struct dirent *de;
	char *sub;
	DIR *dir;
	int rc;

	if ((rc = fn(path, arg)) != 0) {
		return rc;
	}
	if (depth > 64 || (dir = opendir(path)) == NULL) {
		return 0;
	}
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0) {
			continue;
		}
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN) {
			continue;
		}
		sub = xasprintf("%s/%s", path, de->d_name);
		if (de->d_type == DT_UNKNOWN) {
			struct stat st;

			if (lstat(sub, &st) == -1 || !S_ISDIR(st.st_mode)) {
				free(sub);
				continue;
			}
		}
		rc = walk_dirs(sub, depth + 1, fn, arg);
		free(sub);
		if (rc != 0) {
			break;
		}
	}
	closedir(dir);
	return rc;
}

/* inotify refused to watch path (errno says why): said, with the fix. */
void
watch_failed(struct watch *w, const char *path)
{
	watch_error(w,
	    xasprintf("cannot watch %s: %s", path,
	        errno == ENOSPC ? "the system's limit of inotify watches is "
	                          "reached (sysctl fs.inotify.max_user_watches)"
	                        : strerror(errno)));
}
/* path */

static int
path_event_wanted(const struct path_trigger *pt, uint32_t mask)
{
	return ((mask & IN_CREATE) && (pt->events & PATH_EV_CREATED)) ||
	    ((mask & IN_CLOSE_WRITE) && (pt->events & PATH_EV_MODIFIED)) ||
	    ((mask & IN_DELETE) && (pt->events & PATH_EV_DELETED)) ||
	    ((mask & IN_MOVED_TO) && (pt->events & PATH_EV_MOVED_TO)) ||
	    ((mask & IN_MOVED_FROM) && (pt->events & PATH_EV_MOVED_FROM)) ||
	    ((mask & IN_ATTRIB) && (pt->events & PATH_EV_ATTRIB));
}

static uint32_t
path_mask(const struct path_trigger *pt)
{
	uint32_t m = IN_DELETE_SELF | IN_MOVE_SELF;

	m |= (pt->events & PATH_EV_CREATED) ? IN_CREATE : 0;
	m |= (pt->events & PATH_EV_MODIFIED) ? IN_CLOSE_WRITE : 0;
	m |= (pt->events & PATH_EV_DELETED) ? IN_DELETE : 0;
	m |= (pt->events & PATH_EV_MOVED_TO) ? IN_MOVED_TO : 0;
	m |= (pt->events & PATH_EV_MOVED_FROM) ? IN_MOVED_FROM : 0;
	m |= (pt->events & PATH_EV_ATTRIB) ? IN_ATTRIB : 0;
	/* New directories below, to watch them too. */
	m |= pt->recursive ? IN_CREATE | IN_MOVED_TO : 0;
	return m;
}

static int
paths_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort the paths collected and drop repeats. */
static void
paths_dedup(struct watch *w)
{
	size_t i, n = 0;

	if (w->npaths < 2) {
		return;
	}
	qsort(w->paths, w->npaths, sizeof *w->paths, paths_cmp);
	for (i = 0; i < w->npaths; i++) {
		if (n > 0 && strcmp(w->paths[n - 1], w->paths[i]) == 0) {
			free(w->paths[i]);
		} else {
			w->paths[n++] = w->paths[i];
		}
	}
	w->npaths = n;
}

/*
 * The state save keeps of a path trigger: its directories and glob, and
 * until when it has seen what changed in them (ms, the wall clock's, as
 * files' ctimes are).
 */
static void
path_save(struct watch *w, int64_t until_ms)
{
	const struct path_trigger *pt = w->on->path;
	json_t *o = json_object(), *dirs = json_array();
	char *text;
	size_t i;

	for (i = 0; pt->watch[i] != NULL; i++) {
		json_array_append_new(dirs, json_string(pt->watch[i]));
	}
	json_object_set_new(o, "watch", dirs);
	json_object_set_new(
	    o, "glob", pt->glob != NULL ? json_string(pt->glob) : json_null());
	json_object_set_new(o, "until", json_integer(until_ms));
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	w->ws->cbs.save(w->owner, WATCH_PATH, text, w->ws->cbs.arg);
	free(text);
}

/* saved's until, if it is of these directories and glob; else 0. */
static int64_t
path_saved_until(const struct watch *w, const char *saved)
{
	const struct path_trigger *pt = w->on->path;
	json_t *o = saved != NULL ? json_loads(saved, 0, NULL) : NULL;
	json_t *dirs = json_object_get(o, "watch");
	json_t *glob = json_object_get(o, "glob");
	json_t *until = json_object_get(o, "until");
	int64_t ms = 0;
	size_t i;
	int same = json_is_array(dirs) && json_is_integer(until) &&
	    (pt->glob != NULL ? json_is_string(glob) &&
	                strcmp(json_string_value(glob), pt->glob) == 0
	                      : json_is_null(glob));

	for (i = 0; same && pt->watch[i] != NULL; i++) {
		same = json_is_string(json_array_get(dirs, i)) &&
		    strcmp(json_string_value(json_array_get(dirs, i)),
		        pt->watch[i]) == 0;
	}
	if (same && i == json_array_size(dirs)) {
		ms = (int64_t)json_integer_value(until);
	}
	json_decref(o);
	return ms > 0 ? ms : 0;
}

static void
path_quiet(evutil_socket_t fd, short what, void *arg)
{
	struct watch *w = arg;
	struct watch_change c;
	size_t i;

	(void)fd;
	(void)what;
	paths_dedup(w);
	memset(&c, 0, sizeof c);
	c.kind = WATCH_PATH;
	c.paths = w->paths;
	c.npaths = w->npaths;
	c.overflow = w->overflow;
	c.while_down = w->down;
	w->paths = NULL;
	w->npaths = w->cap = 0;
	w->overflow = 0;
	w->first_ms = 0;
	if (c.npaths > 0 || c.overflow) {
		/* The runs, and that what came before them is seen: one commit. */
		w->ws->cbs.batch(w->ws->cbs.arg, 1);
		w->ws->cbs.fire(w->owner, &c, w->ws->cbs.arg);
		path_save(w, tw_now(&w->ws->clock));
		w->ws->cbs.batch(w->ws->cbs.arg, 0);
	}
	for (i = 0; i < c.npaths; i++) {
		free(c.paths[i]);
	}
	free((char **)c.paths);
}

/* Count path (taken) changed, and wait for the quiet after it. */
static void
path_collect(struct watch *w, char *path)
{
	const struct path_trigger *pt = w->on->path;
	int64_t now = tw_now(&w->ws->clock), wait = pt->debounce_ms, most;
	struct timeval tv;

	if (path != NULL && w->npaths == PATH_COLLECT_MAX) {
		paths_dedup(w);
	}
	if (path != NULL && w->npaths == PATH_COLLECT_MAX) {
		w->overflow = 1;
		free(path);
	} else if (path != NULL) {
		if (w->npaths == w->cap) {
			w->cap = w->cap == 0 ? 16 : w->cap * 2;
			w->paths =
			    xreallocarray(w->paths, w->cap, sizeof *w->paths);
		}
		w->paths[w->npaths++] = path;
	}
	if (w->first_ms == 0) {
		w->first_ms = now;
	}
	/* A burst that never stops still fires, at the latest this late. */
	most = w->first_ms + pt->debounce_ms * PATH_MAX_WAIT_FACTOR - now;
	if (wait > most) {
		wait = most > 0 ? most : 0;
	}
	tv.tv_sec = (time_t)(wait / 1000);
	tv.tv_usec = (suseconds_t)(wait % 1000) * 1000;
	evtimer_add(w->ev_quiet, &tv);
}

static int
name_wanted(const struct path_trigger *pt, const char *name)
{
	return pt->glob == NULL || fnmatch(pt->glob, name, FNM_PERIOD) == 0;
}

/* What is in a directory that appeared counts as created in it. */
static int
path_scan(const char *dir, void *arg)
{
	struct watch *w = arg;
	const struct path_trigger *pt = w->on->path;
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 &&
		    (pt->events & PATH_EV_CREATED) &&
		    name_wanted(pt, de->d_name)) {
			path_collect(w, xasprintf("%s/%s", dir, de->d_name));
		}
	}
	closedir(d);
	return 0;
}

/* The files in a directory changed since w->since_ms (twd was down). */
static void
path_scan_since(const char *dir, struct watch *w)
{
	const struct path_trigger *pt = w->on->path;
	struct dirent *de;
	struct stat st;
	int64_t ctime_ms;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    !name_wanted(pt, de->d_name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		        -1 ||
		    S_ISDIR(st.st_mode)) {
			continue;
		}
		/* Made, written, moved in, or its attributes: ctime moves. */
		ctime_ms = (int64_t)st.st_ctim.tv_sec * 1000 +
		    st.st_ctim.tv_nsec / 1000000;
		if (ctime_ms > w->since_ms) {
			path_collect(w, xasprintf("%s/%s", dir, de->d_name));
		}
	}
	closedir(d);
}

struct dir_add {
	struct watch *w;
	int top;
	int appeared;
};

static int
path_dir(const char *path, void *arg)
{
	struct dir_add *a = arg;
	struct watch *w = a->w;
	const struct path_trigger *pt = w->on->path;

	if (w->ndirs >= (size_t)pt->max_watches) {
		watch_error(w,
		    xasprintf("more than %d directories under %s: those past "
		              "it are not watched (raise max_watches)",
		        pt->max_watches, pt->watch[a->top]));
		return 1;
	}
	if (wdir_add(w, path, ROLE_DIR, a->top,
	        strcmp(path, pt->watch[a->top]) != 0, path_mask(pt)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR) {
			return 0; /* gone already */
		}
		watch_failed(w, path);
		return 1;
	}
	if (a->appeared) {
		path_scan(path, w);
	} else if (w->since_ms > 0) {
		path_scan_since(path, w);
	}
	return pt->recursive ? 0 : 1;
}

/*
 * Watch the top'th directory of watch:, or, while it is not there, the
 * nearest directory above it for its next part to appear. appeared: it
 * came after twd looked, so what is in it is new.
 */
static void
watch_resolve(struct watch *w, int top, int appeared)
{
	const char *target = w->on->path->watch[top];
	struct dir_add a = { w, top, appeared };
	char *dir, *slash, *next;
	struct stat st;
	int tries, waiting;

	/*
	 * A part may appear between the look and the watch that waits for
	 * it (mkdir -p): after the watch, look again, and go on down.
	 */
	for (tries = 0; tries < 64; tries++) {
		wdir_unsubscribe(w, top);
		if (stat(target, &st) == 0 && S_ISDIR(st.st_mode)) {
			walk_dirs(target, 0, path_dir, &a);
			return;
		}
		/* Up to the first that is there: wait there for the next part. */
		dir = xstrdup(target);
		waiting = 0;
		while (!waiting && (slash = strrchr(dir, '/')) != NULL) {
			*slash = '\0';
			if (wdir_add(w, dir[0] != '\0' ? dir : "/", ROLE_WAIT,
			        top, 0,
			        IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF |
			            IN_MOVE_SELF) == 0) {
				waiting = 1;
			} else if (errno != ENOENT && errno != ENOTDIR) {
				watch_error(w,
				    xasprintf(
				        "cannot watch %s for %s to appear: "
				        "%s",
				        dir, target, strerror(errno)));
				free(dir);
				return;
			}
		}
		if (!waiting) {
			free(dir);
			return;
		}
		/* The part after dir, there already? */
		next = xasprintf("%s/%.*s", dir,
		    (int)strcspn(target + strlen(dir) + 1, "/"),
		    target + strlen(dir) + 1);
		free(dir);
		if (stat(next, &st) == -1) {
			free(next);
			return;
		}
		free(next);
		a.appeared = 1;
	}
}

/* An event of the wdir d for its subscriber s. */
static void
sub_event(struct wsub *s, const struct inotify_event *ev)
{
	struct watch *w = s->w;
	const struct path_trigger *pt = w->on->path;
	const char *target;
	char *path;
	size_t n;

	switch (s->role) {
	case ROLE_GIT_DIR:
	case ROLE_GIT_HEADS:
		git_dir_event(w, s->role, ev);
		return;
	case ROLE_WAIT:
		/* Its next part, after s->path and a slash, appeared? */
		target = pt->watch[s->top];
		n = strcmp(s->path, "/") == 0 ? 1 : strlen(s->path) + 1;
		if (ev->len > 0 && strlen(target) > n &&
		    strncmp(target + n, ev->name, strlen(ev->name)) == 0 &&
		    (target[n + strlen(ev->name)] == '/' ||
		        target[n + strlen(ev->name)] == '\0')) {
			watch_resolve(w, s->top, 1);
		}
		return;
	case ROLE_DIR:
		break;
	}
	if (ev->len == 0) {
		return;
	}
	path = xasprintf("%s/%s", s->path, ev->name);
	if (pt->recursive && (ev->mask & IN_ISDIR) &&
	    (ev->mask & (IN_CREATE | IN_MOVED_TO))) {
		struct dir_add a = { w, s->top >= 0 ? s->top : 0, 1 };

		walk_dirs(path, 0, path_dir, &a);
	}
	if (path_event_wanted(pt, ev->mask) && name_wanted(pt, ev->name)) {
		path_collect(w, path);
	} else {
		free(path);
	}
}

/* The kernel no longer watches d's directory (removed, moved away). */
static void
wdir_gone(struct watch_set *ws, struct wdir *d, int rm)
{
	struct watch **tops = NULL;
	int *which = NULL;
	size_t n = 0, i;

	for (i = 0; i < d->nsubs; i++) {
		if (d->subs[i].role == ROLE_GIT_DIR) {
			git_gone(d->subs[i].w, d->subs[i].path);
		}
		if (d->subs[i].top >= 0 && !d->subs[i].below) {
			tops = xreallocarray(tops, n + 1, sizeof *tops);
			which = xreallocarray(which, n + 1, sizeof *which);
			tops[n] = d->subs[i].w;
			which[n++] = d->subs[i].top;
		}
	}
	wdir_drop(ws, d, rm);
	/* Wait for each to come back. */
	for (i = 0; i < n; i++) {
		watch_resolve(tops[i], which[i], 1);
	}
	free(tops);
	free(which);
}

static void
watch_read(evutil_socket_t fd, short what, void *arg)
{
	struct watch_set *ws = arg;
	char buf[65536]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	struct wdir *d;
	ssize_t n;
	size_t i, j, nsubs;
	struct wsub *subs;

	(void)what;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (i = 0; i < (size_t)n; i += sizeof *ev + ev->len) {
			ev = (const struct inotify_event *)(buf + i);
			if (ev->mask & IN_Q_OVERFLOW) {
				/* Lost events: every watch may have missed some. */
				for (j = 0; j < ws->nwatches; j++) {
					if (ws->watches[j]->on->path != NULL) {
						ws->watches[j]->overflow = 1;
						path_collect(
						    ws->watches[j], NULL);
					}
					if (ws->watches[j]->gitdir != NULL &&
					    !ws->stopping) {
						git_reread(ws->watches[j]);
					}
				}
				continue;
			}
			if ((d = wdir_find(ws, ev->wd, NULL)) == NULL) {
				continue;
			}
			if (ev->mask & IN_IGNORED) {
				wdir_gone(ws, d, 0);
				continue;
			}
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
				wdir_gone(ws, d, 1);
				continue;
			}
			/*
			 * A subscriber's event may add or drop wdirs: work on
			 * a copy of the list, not the table's.
			 */
			nsubs = d->nsubs;
			subs = xreallocarray(NULL, nsubs, sizeof *subs);
			for (j = 0; j < nsubs; j++) {
				subs[j] = d->subs[j];
				subs[j].path = xstrdup(d->subs[j].path);
			}
			for (j = 0; j < nsubs; j++) {
				/* A branch's move is read again at the start. */
				if (!ws->stopping || subs[j].role == ROLE_DIR) {
					sub_event(&subs[j], ev);
				}
			}
			for (j = 0; j < nsubs; j++) {
				free(subs[j].path);
			}
			free(subs);
		}
	}
}

struct watch_set *
watch_set_create(struct event_base *base, struct job_list *jobs,
    const struct tw_clock *clock, const char *log_dir,
    const struct watch_cbs *cbs, char **cause)
{
	struct watch_set *ws;
	const char *env;
	int fd;

	if ((fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		*cause = xasprintf("inotify: %s", strerror(errno));
		return NULL;
	}
	ws = xcalloc(1, sizeof *ws);
	ws->base = base;
	ws->jobs = jobs;
	ws->clock = *clock;
	ws->log_dir = xstrdup(log_dir);
	ws->cbs = *cbs;
	ws->fd = fd;
	/* The tests poll within a second, not the 30 s a tasks file may. */
	if ((env = getenv("TW_GIT_POLL_MS")) != NULL && atoll(env) > 0) {
		ws->poll_ms = atoll(env);
	}
	ws->ev_read = event_new(base, fd, EV_READ | EV_PERSIST, watch_read, ws);
	event_add(ws->ev_read, NULL);
	return ws;
}

void
watch_set_free(struct watch_set *ws)
{
	if (ws == NULL) {
		return;
	}
	while (ws->nwatches > 0) {
		watch_remove(ws, ws->watches[ws->nwatches - 1]);
	}
	free(ws->watches);
	free(ws->dirs);
	event_free(ws->ev_read);
	close(ws->fd);
	free(ws->log_dir);
	free(ws);
}

struct watch *
watch_add(struct watch_set *ws, const char *task, const struct trigger_def *on,
    const struct watch_saved *saved, int starting, void *owner)
{
	struct watch *w = xcalloc(1, sizeof *w);
	size_t i;

	w->ws = ws;
	w->owner = owner;
	w->task = xstrdup(task);
	w->on = on;
	w->starting = starting;
	ws->watches =
	    xreallocarray(ws->watches, ws->nwatches + 1, sizeof *ws->watches);
	ws->watches[ws->nwatches++] = w;
	/* logs/.triggers is made as job logs' directories are: at need. */
	if (on->git != NULL) {
		git_start(w, saved->git);
	}
	if (on->path != NULL) {
		w->ev_quiet = evtimer_new(ws->base, path_quiet, w);
		/* At the start, what changed since the last twd saw is new. */
		w->since_ms = starting ? path_saved_until(w, saved->path) : 0;
		for (i = 0; on->path->watch[i] != NULL; i++) {
			watch_resolve(w, (int)i, 0);
		}
		w->since_ms = 0;
		if (w->npaths > 0 || w->overflow) {
			/* Now, not after a debounce: it is all there. */
			evtimer_del(w->ev_quiet);
			w->down = 1;
			path_quiet(-1, 0, w);
			w->down = 0;
		} else {
			path_save(w, tw_now(&ws->clock));
		}
	}
	return w;
}

void
watch_rebind(struct watch *w, const struct trigger_def *on)
{
	w->on = on;
	/* A repository that went away (or never was) is looked for again. */
	if (w->gone && on->git != NULL && on->git->repo != NULL) {
		git_local(w);
	}
}

void
watch_set_checkpoint(struct watch_set *ws)
{
	struct watch *w;
	int64_t now;
	size_t i;

	if (ws == NULL) {
		return;
	}
	/* What the kernel has told and twd not read yet counts too. */
	ws->stopping = 1;
	watch_read(ws->fd, EV_READ, ws);
	now = tw_now(&ws->clock);
	for (i = 0; i < ws->nwatches; i++) {
		w = ws->watches[i];
		if (w->on->path == NULL) {
			continue;
		}
		/*
		 * Changes collected and not run for are found again by the next
		 * start: from a second before the first, the time it took to be
		 * told of it.
		 */
		path_save(
		    w, w->npaths > 0 || w->overflow ? w->first_ms - 1000 : now);
	}
}

void
watch_remove(struct watch_set *ws, struct watch *w)
{
	size_t i;

	if (w == NULL) {
		return;
	}
	wdir_unsubscribe(w, -1);
	for (i = 0; i < ws->nwatches; i++) {
		if (ws->watches[i] == w) {
			ws->watches[i] = ws->watches[--ws->nwatches];
			break;
		}
	}
	git_release(w);
	if (w->ev_quiet != NULL) {
		event_free(w->ev_quiet);
	}
	for (i = 0; i < w->npaths; i++) {
		free(w->paths[i]);
	}
	free(w->paths);
	free(w->error);
	free(w->task);
	free(w);
}

const char *
watch_problem(const struct watch *w)
{
	return w->error;
}

json_t *
watch_json(const struct watch *w)
{
	json_t *o = json_object(), *waiting;
	const struct watch_set *ws = w->ws;
	size_t i, j;

	if (w->on->git != NULL) {
		json_object_set_new(o, "git", git_json(w));
	}
	if (w->on->path != NULL) {
		waiting = json_array();
		for (i = 0; i < ws->ndirs; i++) {
			for (j = 0; j < ws->dirs[i].nsubs; j++) {
				if (ws->dirs[i].subs[j].w == w &&
				    ws->dirs[i].subs[j].role == ROLE_WAIT) {
					json_array_append_new(waiting,
					    json_string(
					        w->on->path->watch
					            [ws->dirs[i].subs[j].top]));
				}
			}
		}
		json_object_set_new(o, "path",
		    json_pack("{s:I, s:o, s:I}", "watching",
		        (json_int_t)w->ndirs, "waiting", waiting, "pending",
		        (json_int_t)w->npaths));
	}
	json_object_set_new(
	    o, "error", w->error != NULL ? json_string(w->error) : json_null());
	return o;
}
