/*
 * Git triggers (watch.h): a local repository's directory and every
 * directory of refs/heads watched through the set's inotify descriptor;
 * a change makes the branches be read again a moment later from git's own
 * files (gitref.c). A remote's are read by git ls-remote, a job of the
 * executor, every poll. Either way a branch whose commit differs from the
 * last seen has moved.
 */
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "job.h"
#include "log.h"
#include "timefmt.h"
#include "watch-int.h"
#include "xmalloc.h"

/* A branch file renamed in, then its reflog: read the refs once after. */
#define GIT_SETTLE_MS 50
/* git ls-remote may take this long at most (less when polled oftener). */
#define GIT_POLL_TIMEOUT_MS (120 * 1000)
/* git ls-remote's output kept: more is a remote of absurd many branches. */
#define GIT_OUTPUT_MAX (16 << 20)
/* What of a branch's directory may be a branch that moved. */
#define GIT_MASK                                                               \
	(IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM)

/* How long until w's next poll of its remote. */
static struct timeval
poll_wait(const struct watch *w)
{
	int64_t ms = w->ws->poll_ms > 0 ? w->ws->poll_ms : w->on->git->poll_ms;
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	return tv;
}

static int
git_heads_dir(const char *path, void *arg)
{
	struct watch *w = arg;

	if (wdir_add(w, path, ROLE_GIT_HEADS, -1, 0, GIT_MASK) == -1 &&
	    errno != ENOENT) {
		watch_failed(w, path);
		return 1;
	}
	return 0;
}

/* The state save keeps: the source, and the branches as seen. */
static char *
git_state(const struct watch *w)
{
	const struct git_trigger *g = w->on->git;
	json_t *o = json_object(), *refs = json_object();
	char *text;
	size_t i;

	for (i = 0; i < w->refs.n; i++) {
		json_object_set_new(
		    refs, w->refs.v[i].name, json_string(w->refs.v[i].id));
	}
	json_object_set_new(
	    o, "source", json_string(g->repo != NULL ? g->repo : g->remote));
	json_object_set_new(o, "branch", json_string(g->branch));
	json_object_set_new(o, "branches", refs);
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return text;
}

/* saved, if it is of this trigger's source and branch, into w->saved. */
static void
git_load_saved(struct watch *w, const char *saved)
{
	const struct git_trigger *g = w->on->git;
	json_t *o = saved != NULL ? json_loads(saved, 0, NULL) : NULL;
	const char *src, *br, *name;
	json_t *refs, *id;

	src = json_string_value(json_object_get(o, "source"));
	br = json_string_value(json_object_get(o, "branch"));
	refs = json_object_get(o, "branches");
	if (src != NULL && br != NULL && json_is_object(refs) &&
	    strcmp(src, g->repo != NULL ? g->repo : g->remote) == 0 &&
	    strcmp(br, g->branch) == 0) {
		json_object_foreach(refs, name, id)
		{
			if (json_is_string(id) &&
			    strlen(json_string_value(id)) <= GITREF_ID_MAX) {
				w->saved.v = xreallocarray(w->saved.v,
				    w->saved.n + 1, sizeof *w->saved.v);
				w->saved.v[w->saved.n].name = xstrdup(name);
				snprintf(w->saved.v[w->saved.n].id,
				    sizeof w->saved.v[0].id, "%s",
				    json_string_value(id));
				w->saved.n++;
			}
		}
		w->have_saved = 1;
	}
	json_decref(o);
}

/*
 * The branches are now: fire for each that moved since the baseline (the
 * last seen, or what the last twd saved), then keep them.
 */
static void
git_seen(struct watch *w, struct gitrefs *now)
{
	struct watch_set *ws = w->ws;
	const struct gitrefs *before = w->have_refs ? &w->refs : &w->saved;
	const struct gitref *was;
	struct watch_change c;
	int changed = 0, while_down = !w->have_refs && w->starting;
	size_t i;
	char *state;

	ws->cbs.batch(ws->cbs.arg, 1);
	if (!w->have_refs && !w->have_saved) {
		/* The first sight of them: a baseline, nothing moved. */
		changed = 1;
	} else {
		changed = before->n != now->n;
		for (i = 0; i < now->n; i++) {
			was = gitref_find(before, now->v[i].name);
			if (was != NULL && strcmp(was->id, now->v[i].id) == 0) {
				continue;
			}
			changed = 1;
			memset(&c, 0, sizeof c);
			c.kind = WATCH_GIT;
			c.repo = w->on->git->repo != NULL ? w->on->git->repo
			                                  : w->on->git->remote;
			c.branch = now->v[i].name;
			c.old_id = was != NULL ? was->id : "";
			c.new_id = now->v[i].id;
			c.while_down = while_down;
			ws->cbs.fire(w->owner, &c, ws->cbs.arg);
		}
	}
	gitrefs_release(&w->refs);
	w->refs = *now;
	memset(now, 0, sizeof *now);
	w->have_refs = 1;
	gitrefs_release(&w->saved);
	w->have_saved = 0;
	if (changed) {
		state = git_state(w);
		ws->cbs.save(w->owner, WATCH_GIT, state, ws->cbs.arg);
		free(state);
	}
	ws->cbs.batch(ws->cbs.arg, 0);
}

/* Read a local repository's branches again, and its heads' directories. */
void
git_reread(struct watch *w)
{
	struct gitrefs now = { NULL, 0 };
	char *cause = NULL, *heads;

	heads = xasprintf("%s/refs/heads", w->gitdir);
	walk_dirs(heads, 0, git_heads_dir, w);
	free(heads);
	if (gitref_read(w->gitdir, w->on->git->branch, &now, &cause) == -1) {
		watch_error(w, cause);
		return;
	}
	watch_ok(w);
	git_seen(w, &now);
	gitrefs_release(&now);
}

static void
git_settled(evutil_socket_t fd, short what, void *arg)
{
	struct watch *w = arg;

	(void)fd;
	(void)what;
	/* Its repository went away since the change that set this off. */
	if (!w->gone) {
		git_reread(w);
	}
}

static void git_poll(evutil_socket_t fd, short what, void *arg);

static void
git_poll_output(
    struct job *job, const struct logfmt_record *rec, uint64_t seq, void *arg)
{
	struct watch *w = arg;

	(void)job;
	(void)seq;
	if (rec->stream == LOGFMT_STDERR) {
		/* git's first line says what; the rest is advice. */
		if (rec->len > 0 && w->poll_err == NULL) {
			w->poll_err =
			    xasprintf("%.*s", (int)rec->len, rec->text);
		}
		return;
	}
	if (rec->stream != LOGFMT_STDOUT ||
	    w->poll_len + rec->len + 2 > GIT_OUTPUT_MAX) {
		return;
	}
	w->poll_out = xreallocarray(w->poll_out, w->poll_len + rec->len + 2, 1);
	memcpy(w->poll_out + w->poll_len, rec->text, rec->len);
	w->poll_len += rec->len;
	if (rec->complete) {
		w->poll_out[w->poll_len++] = '\n';
	}
	w->poll_out[w->poll_len] = '\0';
}

static void
git_poll_done(struct job *job, const struct job_result *res, void *arg)
{
	struct watch *w = arg;
	struct gitrefs now = { NULL, 0 };
	struct timeval tv;

	(void)job;
	w->poll = NULL;
	if (res->how == JOB_END_EXITED && res->exit_code == 0) {
		gitref_parse_remote(w->poll_out != NULL ? w->poll_out : "",
		    w->on->git->branch, &now);
		w->polled_ms = tw_now(&w->ws->clock);
		watch_ok(w);
		git_seen(w, &now);
		gitrefs_release(&now);
	} else {
		watch_error(w,
		    xasprintf("git ls-remote %s %s%s%s", w->on->git->remote,
		        res->timed_out ? "took too long" : "failed",
		        w->poll_err != NULL ? ": " : "",
		        w->poll_err != NULL ? w->poll_err : ""));
	}
	/* A failed first poll is no baseline: twd is still starting. */
	free(w->poll_out);
	w->poll_out = NULL;
	w->poll_len = 0;
	free(w->poll_err);
	w->poll_err = NULL;
	tv = poll_wait(w);
	evtimer_add(w->ev_git, &tv);
}

/* Ask the remote for its branches, through the system's git. */
static void
git_poll(evutil_socket_t fd, short what, void *arg)
{
	struct watch *w = arg;
	const char *argv[] = { "git", "ls-remote", "--heads", "--",
		w->on->git->remote, NULL };
	const char *env[] = { "GIT_TERMINAL_PROMPT=0", "LC_ALL=C", NULL };
	struct job_spec spec;
	struct timeval tv;
	char *log, *dir, *cause = NULL;

	(void)fd;
	(void)what;
	if (w->poll != NULL) {
		return;
	}
	dir = xasprintf("%s/.triggers", w->ws->log_dir);
	log = xasprintf("%s/%s.log", dir, w->task);
	/* It holds the last poll's output, no more. */
	unlink(log);
	free(dir);
	memset(&spec, 0, sizeof spec);
	spec.argv = argv;
	spec.log_path = log;
	spec.env = env;
	spec.umask = -1;
	spec.timeout_ms = w->on->git->poll_ms < GIT_POLL_TIMEOUT_MS
	    ? w->on->git->poll_ms
	    : GIT_POLL_TIMEOUT_MS;
	spec.kill_grace_ms = 2000;
	w->poll = job_start(
	    w->ws->jobs, &spec, git_poll_done, git_poll_output, w, &cause);
	free(log);
	if (w->poll == NULL) {
		watch_error(
		    w, xasprintf("cannot run git ls-remote: %s", cause));
		free(cause);
		tv = poll_wait(w);
		evtimer_add(w->ev_git, &tv);
	}
}

/*
 * Watch a local repository's directory and read its branches: at the
 * start, and again once a reload finds it went away.
 */
void
git_local(struct watch *w)
{
	char *cause = NULL;

	free(w->gitdir);
	w->gone = 0;
	if ((w->gitdir = gitref_dir(w->on->git->repo, &cause)) == NULL) {
		watch_error(w, cause);
		w->gone = 1;
		return;
	}
	if (wdir_add(w, w->gitdir, ROLE_GIT_DIR, -1, 0, GIT_MASK) == -1) {
		watch_failed(w, w->gitdir);
		w->gone = 1;
		return;
	}
	git_reread(w);
}

void
git_start(struct watch *w, const char *saved)
{
	struct timeval now = { 0, 0 };

	git_load_saved(w, saved);
	if (w->on->git->remote != NULL) {
		w->ev_git = evtimer_new(w->ws->base, git_poll, w);
		evtimer_add(w->ev_git, &now);
		return;
	}
	w->ev_git = evtimer_new(w->ws->base, git_settled, w);
	git_local(w);
}

void
git_dir_event(struct watch *w, enum role role, const struct inotify_event *ev)
{
	struct timeval settle = { 0, GIT_SETTLE_MS * 1000 };
	size_t n = ev->len > 0 ? strlen(ev->name) : 0;

	if (role == ROLE_GIT_DIR) {
		/* packed-refs renamed into place (git gc, git pack-refs). */
		if (n > 0 && strcmp(ev->name, "packed-refs") == 0) {
			evtimer_add(w->ev_git, &settle);
		}
		return;
	}
	/* A branch's file; its lock file is git at work, not done yet. */
	if (n >= 5 && strcmp(ev->name + n - 5, ".lock") == 0) {
		return;
	}
	evtimer_add(w->ev_git, &settle);
}

void
git_gone(struct watch *w, const char *path)
{
	w->gone = 1;
	/* A read of the branches the removal set off would say otherwise. */
	evtimer_del(w->ev_git);
	watch_error(w,
	    xasprintf("the repository %s went away: its branches are no "
	              "longer watched (twctl reload watches it again)",
	        path));
}

json_t *
git_json(const struct watch *w)
{
	json_t *refs = json_object(), *v;
	char when[TIMEFMT_ISO_LEN];
	size_t i;

	for (i = 0; i < w->refs.n; i++) {
		json_object_set_new(
		    refs, w->refs.v[i].name, json_string(w->refs.v[i].id));
	}
	v = json_pack("{s:o}", "branches", refs);
	if (w->on->git->remote != NULL) {
		json_object_set_new(v, "polled",
		    w->polled_ms != 0 ? json_string(timefmt_iso(
		                            w->polled_ms, when, sizeof when))
		                      : json_null());
	}
	return v;
}

void
git_release(struct watch *w)
{
	if (w->poll != NULL) {
		/* Its end is nobody's now: stop it, and let it be reaped. */
		job_stop(w->poll, 0);
		job_forget(w->poll);
	}
	if (w->ev_git != NULL) {
		event_free(w->ev_git);
	}
	gitrefs_release(&w->refs);
	gitrefs_release(&w->saved);
	free(w->poll_out);
	free(w->poll_err);
	free(w->gitdir);
}
