/*
 * Reloading the tasks file. A big file takes a while to read (100,000
 * tasks: about 0.3 s), and a hostile one up to the loader's bounds, so it
 * is read and checked on a thread of its own while the loop goes on
 * answering clients and starting jobs. config_load shares nothing with the
 * loop: it builds a config of its own, reads no variable the loop writes
 * (zones come from their files, the job child leaves environ alone), and
 * logs nothing. Only the end is on the loop: the changes are worked out
 * and the new config swapped in.
 *
 * One load runs at a time. What is asked during it waits for the next,
 * which starts as soon as it ends: the file may have changed after the
 * running load read it. Everything asked meanwhile shares that next load.
 */
#include <sys/inotify.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "audit.h"
#include "config.h"
#include "heap.h"
#include "log.h"
#include "notifiers.h"
#include "notify.h"
#include "observe.h"
#include "paths.h"
#include "proto.h"
#include "reload.h"
#include "server.h"
#include "tasks.h"
#include "twd.h"
#include "xmalloc.h"

/* Quiet for a moment after a change: editors write in several steps. */
#define RELOAD_SETTLE_MS 200

/* The askers of one load. */
struct reload_batch {
	char *why;   /* the first to ask, for the log */
	int apply;   /* someone wants it made the running schedule */
	int pending; /* anyone asked at all */
	struct reload_waiter {
		unsigned long client;
		int dry_run;
	} * waiters;
	size_t nwaiters;
};

struct reload {
	struct twd *twd;

	/* The load on its thread: the thread writes only these three. */
	struct config *loaded;
	struct config_errors errs;
	int done_fd; /* written once it has loaded */

	pthread_t thread;
	int running;
	int64_t since_ms;
	int wake[2]; /* the thread's end, the loop's */
	struct event *ev_done;
	struct reload_batch now, next;

	int watch;
	int inotify_fd;
	struct event *ev_inotify; /* a watched directory changed */
	struct event *ev_settle;  /* ... and has been quiet for a moment */
};

static void
reload_batch_release(struct reload_batch *b)
{
	free(b->why);
	free(b->waiters);
	memset(b, 0, sizeof *b);
}

/* Tell b's waiters that nothing was loaded, and why. */
static void
reload_batch_fail(struct reload *r, struct reload_batch *b, const char *why)
{
	size_t i;

	for (i = 0; i < b->nwaiters; i++) {
		server_answer(r->twd->server, b->waiters[i].client, NULL,
		    PROTO_E_FAILED, why);
		audit_answered(
		    r->twd->audit, b->waiters[i].client, 0, why, NULL);
	}
	reload_batch_release(b);
}

static void *
reload_thread(void *arg)
{
	struct reload *r = arg;
	ssize_t n;

	r->loaded = config_load(r->twd->config_path, &r->errs);
	do {
		n = write(r->done_fd, "", 1);
	} while (n == -1 && errno == EINTR);
	return NULL;
}

static void reload_finish(struct reload *);

/* Start the load the next batch waits for. */
static void
reload_start(struct reload *r)
{
	sigset_t all, saved;
	int rc;

	r->now = r->next;
	memset(&r->next, 0, sizeof r->next);
	r->loaded = NULL;
	r->errs.v = NULL;
	r->errs.n = 0;
	r->since_ms = tw_now(&r->twd->clock);
	heap_expect(r->twd->config_path);
	/* Signals are the loop's: the thread takes none. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	rc = pthread_create(&r->thread, NULL, reload_thread, r);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (rc == 0) {
		r->running = 1;
		return;
	}
	log_warn("cannot start a thread to load the tasks file (%s); "
	         "loading it on the loop",
	    strerror(rc));
	r->running = 1;
	r->loaded = config_load(r->twd->config_path, &r->errs);
	r->running = 0;
	reload_finish(r);
}

/* The thread has loaded: take what it made, and start the next load. */
static void
reload_done(evutil_socket_t fd, short what, void *arg)
{
	struct reload *r = arg;
	char buf[16];

	(void)what;
	while (read(fd, buf, sizeof buf) > 0) {
		;
	}
	if (!r->running) {
		return;
	}
	pthread_join(r->thread, NULL);
	r->running = 0;
	reload_finish(r);
	if (r->next.pending && !r->running && !r->twd->stopping) {
		reload_start(r);
	}
}

/* Every error of a failed load: as lines, and as one message. */
static json_t *
reload_error_lines(const struct config_errors *errs, char **text)
{
	json_t *lines = json_array();
	char *line, *all;
	size_t i;

	*text = xasprintf("%zu error%s in the tasks file; nothing changed",
	    errs->n, errs->n == 1 ? "" : "s");
	for (i = 0; i < errs->n; i++) {
		line = config_error_format(&errs->v[i]);
		json_array_append_new(lines, json_string(line));
		all = xasprintf("%s\n%s", *text, line);
		free(*text);
		*text = all;
		free(line);
	}
	return lines;
}

/* A load that failed: the running schedule goes on, and says why. */
static void
reload_failed(struct reload *r, const char *why, json_t *lines)
{
	struct twd *twd = r->twd;
	const struct task_def *d = tasks_config(twd->tasks)->defaults;
	size_t i;
	json_t *v;

	json_array_foreach(lines, i, v)
	{
		log_error("%s", json_string_value(v));
	}
	log_error("reload (%s) failed; the running schedule is unchanged", why);
	twd->reloads_failed++;
	/* The defaults' notify: of the config that goes on running. */
	if (d != NULL && (d->policy->notify_on & NOTIFY_CONFIG_ERROR)) {
		notifiers_send(twd->notifiers, d->policy->notify_via,
		    d->policy->nnotify_via,
		    notify_config_error_json(twd->config_path, lines));
	}
	if (tw_wants(&twd->events, PROTO_EV_CONFIG_ERROR, NULL, 0)) {
		tw_publish(&twd->events, PROTO_EV_CONFIG_ERROR, NULL, 0, 0,
		    json_pack("{s:s, s:O}", "file", twd->config_path, "errors",
		        lines));
	}
	json_decref(twd->config_errors);
	twd->config_errors = json_incref(lines);
}

/* The new config becomes the running schedule. */
static void
reload_apply(struct reload *r, const char *why, struct config *c, json_t *diff)
{
	struct twd *twd = r->twd;
	struct tasks_applied n;

	json_decref(twd->config_errors);
	twd->config_errors = NULL;
	twd_log_warnings(c);
	tasks_apply(twd->tasks, c, &n);
	twd->reloads_ok++;
	twd->last_reload_ok_ms = tw_now(&twd->clock);
	observe_configure(twd->observe, c);
	log_info("reloaded %s (%s): %zu tasks, %zu added, %zu removed, %zu "
	         "changed",
	    twd->config_path, why, tasks_count(twd->tasks), n.added, n.removed,
	    n.changed);
	reload_watch(r); /* the files it includes may be others now */
	if (tw_wants(&twd->events, PROTO_EV_CONFIG_RELOADED, NULL, 0)) {
		tw_publish(&twd->events, PROTO_EV_CONFIG_RELOADED, NULL, 0, 0,
		    json_deep_copy(diff));
	}
}

/*
 * On the loop, the thread gone: swap the config in, answer the askers. An
 * answered client's next request may start the next load from here.
 */
static void
reload_finish(struct reload *r)
{
	struct reload_batch b = r->now;
	struct config *c = r->loaded;
	json_t *diff = NULL, *lines, *data, *why;
	char *text = NULL;
	size_t i;
	int asked = 0;

	memset(&r->now, 0, sizeof r->now);
	r->loaded = NULL;
	if (r->twd->stopping) {
		config_free(c);
		config_errors_release(&r->errs);
		reload_batch_fail(
		    r, &b, "twd is shutting down; nothing changed");
		return;
	}
	if (c == NULL) {
		lines = reload_error_lines(&r->errs, &text);
		config_errors_release(&r->errs);
		if (b.apply) {
			reload_failed(r, b.why, lines);
		}
		json_decref(lines);
	} else {
		diff = tasks_diff(r->twd->tasks, c);
		if (b.apply) {
			reload_apply(r, b.why, c, diff);
		} else {
			config_free(c);
		}
	}
	twd_give_back(r->twd);
	for (i = 0; i < b.nwaiters; i++) {
		asked |= !b.waiters[i].dry_run;
		audit_answered(r->twd->audit, b.waiters[i].client, diff != NULL,
		    text, b.waiters[i].dry_run ? NULL : diff);
		if (diff == NULL) {
			server_answer(r->twd->server, b.waiters[i].client, NULL,
			    PROTO_E_FAILED, text);
			continue;
		}
		data = json_deep_copy(diff);
		json_object_set_new(
		    data, "dry_run", json_boolean(b.waiters[i].dry_run));
		server_answer(
		    r->twd->server, b.waiters[i].client, data, NULL, NULL);
	}
	/* A change no one asked for (the file, SIGHUP) is twd's own. */
	if (b.apply && !asked) {
		why = json_pack("{s:s}", "why", b.why);
		audit_own(
		    r->twd->audit, "reload", why, diff != NULL, text, diff);
		json_decref(why);
	}
	json_decref(diff);
	free(text);
	reload_batch_release(&b);
}

void
reload_request(
    struct reload *r, const char *why, int dry_run, unsigned long client)
{
	struct reload_batch *b = &r->next;

	if (r->twd->stopping) {
		if (client != 0) {
			server_answer(r->twd->server, client, NULL,
			    PROTO_E_SHUTTING_DOWN, "twd is shutting down");
		}
		return;
	}
	if (b->why == NULL) {
		b->why = xstrdup(why);
	}
	b->pending = 1;
	b->apply |= !dry_run;
	if (client != 0) {
		b->waiters = xreallocarray(
		    b->waiters, b->nwaiters + 1, sizeof *b->waiters);
		b->waiters[b->nwaiters].client = client;
		b->waiters[b->nwaiters].dry_run = dry_run;
		b->nwaiters++;
	}
	if (!r->running) {
		reload_start(r);
	} else {
		log_debug("reload (%s) waits for the one running (%s)", why,
		    r->now.why);
	}
}

int64_t
reload_running(const struct reload *r, const char **why)
{
	if (!r->running) {
		return 0;
	}
	*why = r->now.why;
	return r->since_ms;
}

static void
reload_settled(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	reload_request(arg, "the tasks file changed", 0, 0);
}

/* Whether a file called name in a watched directory may be a tasks file. */
static int
reload_watched_name(const struct reload *r, const char *name)
{
	const char *base = strrchr(r->twd->config_path, '/') + 1;
	size_t n = strlen(name);

	return strcmp(name, base) == 0 ||
	    (name[0] != '.' &&
	        ((n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	            (n > 4 && strcmp(name + n - 4, ".yml") == 0)));
}

/*
 * Something changed in a watched directory: if it is the tasks file or
 * may be an included one (an editor may write a new file and rename it
 * over), reload once it settles.
 */
static void
reload_inotify(evutil_socket_t fd, short what, void *arg)
{
	struct reload *r = arg;
	char buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	struct timeval tv = { 0, RELOAD_SETTLE_MS * 1000 };
	ssize_t n;
	char *p;
	int hit = 0;

	(void)what;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (p = buf; p < buf + n; p += sizeof *ev + ev->len) {
			ev = (const struct inotify_event *)p;
			if (ev->len > 0 && reload_watched_name(r, ev->name)) {
				hit = 1;
			}
		}
	}
	if (hit) {
		evtimer_add(r->ev_settle, &tv);
	}
}

/* Stop watching (before a new set of files is watched, or at exit). */
static void
reload_unwatch(struct reload *r)
{
	if (r->ev_inotify != NULL) {
		event_free(r->ev_inotify);
		r->ev_inotify = NULL;
		close(r->inotify_fd);
	}
	r->inotify_fd = -1;
}

/*
 * Watch the directories of the tasks file and of the files it includes;
 * without inotify, SIGHUP and twctl reload still work.
 */
void
reload_watch(struct reload *r)
{
	const struct config *c = tasks_config(r->twd->tasks);
	char *dir;
	size_t i;

	reload_unwatch(r);
	if (!r->watch) {
		return;
	}
	if ((r->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		log_warn("cannot watch the tasks file for changes (%s); reload "
		         "with twctl reload or SIGHUP",
		    strerror(errno));
		return;
	}
	/* The same directory twice is one watch. */
	for (i = 0; i < c->nfiles + c->ninclude_dirs; i++) {
		dir = i < c->nfiles ? paths_dirname(c->files[i])
		                    : xstrdup(c->include_dirs[i - c->nfiles]);
		/* An include directory may not be there (yet): no warning. */
		if (inotify_add_watch(r->inotify_fd, dir,
		        IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE) ==
		        -1 &&
		    i < c->nfiles) {
			log_warn("cannot watch %s for changes: %s", dir,
			    strerror(errno));
		}
		free(dir);
	}
	r->ev_inotify = event_new(r->twd->base, r->inotify_fd,
	    EV_READ | EV_PERSIST, reload_inotify, r);
	event_add(r->ev_inotify, NULL);
}

struct reload *
reload_create(struct twd *twd, int watch)
{
	struct reload *r = xcalloc(1, sizeof *r);

	r->twd = twd;
	r->watch = watch;
	r->inotify_fd = -1;
	if (pipe2(r->wake, O_CLOEXEC | O_NONBLOCK) == -1) {
		fatal("pipe");
	}
	r->done_fd = r->wake[1];
	r->ev_done = event_new(
	    twd->base, r->wake[0], EV_READ | EV_PERSIST, reload_done, r);
	event_add(r->ev_done, NULL);
	r->ev_settle = evtimer_new(twd->base, reload_settled, r);
	return r;
}

void
reload_free(struct reload *r)
{
	const char *why = "twd is shutting down; nothing changed";

	if (r == NULL) {
		return;
	}
	if (r->running) {
		pthread_join(r->thread, NULL);
		config_free(r->loaded);
		config_errors_release(&r->errs);
	}
	reload_batch_fail(r, &r->now, why);
	reload_batch_fail(r, &r->next, why);
	reload_unwatch(r);
	event_free(r->ev_settle);
	event_free(r->ev_done);
	close(r->wake[0]);
	close(r->wake[1]);
	free(r);
}
