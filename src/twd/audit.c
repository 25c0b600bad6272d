/*
 * The audit log: who asked twd to change what, and how it went.
 *
 * A request is recorded once its outcome is known: when it is answered,
 * or for one answered later (reload), when that answer goes. The peer is
 * the socket's SO_PEERCRED uid and pid, with the program and its
 * arguments read from /proc at the time (best effort: it may be gone).
 * A reload no one asked for (the file changed, SIGHUP) is recorded as
 * twd's own. Rows go through the history's writes, so they outlive a
 * kill -9 once written, and are pruned by age once an hour.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "audit.h"
#include "config.h"
#include "history.h"
#include "log.h"
#include "server.h"
#include "tasks.h"
#include "twd.h"
#include "xmalloc.h"

/* Arguments kept of a request, as JSON text; a longer one is summed up. */
#define AUDIT_ARGS_MAX 16384
/* Of a peer's command line. */
#define AUDIT_CMDLINE_MAX 4096
/* Of the name a client gives for whom it asks. */
#define AUDIT_ACTOR_MAX      256
#define AUDIT_PRUNE_EVERY_MS (3600 * 1000)

/* A request answered later, until it is. */
struct audit_pending {
	unsigned long client;
	struct audit_record rec;
};

struct audit {
	struct twd *twd;
	struct audit_pending *pending;
	size_t npending;
	struct event *ev_prune;
};

/* A copy of args fit to keep: environments are said by their size only. */
static json_t *
audit_args_clean(json_t *v, int depth)
{
	json_t *out, *x;
	const char *key;
	size_t i;

	if (json_is_object(v) && depth < 4) {
		out = json_object();
		json_object_foreach(v, key, x)
		{
			if (strcmp(key, "env") == 0 && json_is_object(x)) {
				json_object_set_new(out, "env",
				    json_sprintf("(%zu variables)",
				        json_object_size(x)));
			} else {
				json_object_set_new(
				    out, key, audit_args_clean(x, depth + 1));
			}
		}
		return out;
	}
	if (json_is_array(v) && depth < 4) {
		out = json_array();
		json_array_foreach(v, i, x)
		{
			json_array_append_new(
			    out, audit_args_clean(x, depth + 1));
		}
		return out;
	}
	return json_deep_copy(v);
}

static char *
audit_args_text(json_t *args)
{
	json_t *clean, *sum;
	char *text;
	size_t len;

	if (args == NULL || json_is_null(args) ||
	    (json_is_object(args) && json_object_size(args) == 0)) {
		return NULL;
	}
	clean = audit_args_clean(args, 0);
	text = json_dumps(clean, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(clean);
	if (text != NULL && (len = strlen(text)) > AUDIT_ARGS_MAX) {
		free(text);
		sum = json_pack("{s:b, s:I, s:I}", "truncated", 1, "bytes",
		    (json_int_t)len, "jobs",
		    (json_int_t)json_array_size(json_object_get(args, "jobs")));
		text = json_dumps(sum, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(sum);
	}
	return text;
}

/* /proc/PID/exe, and the command line with spaces for its NULs. */
static void
audit_peer_program(struct audit_record *r)
{
	char path[64], buf[AUDIT_CMDLINE_MAX];
	ssize_t n, i;
	int fd;

	if (r->pid <= 0) {
		return;
	}
	snprintf(path, sizeof path, "/proc/%ld/exe", r->pid);
	if ((n = readlink(path, buf, sizeof buf - 1)) > 0) {
		buf[n] = '\0';
		r->exe = xstrdup(buf);
	}
	snprintf(path, sizeof path, "/proc/%ld/cmdline", r->pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		return;
	}
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0) {
		return;
	}
	while (n > 0 && buf[n - 1] == '\0') {
		n--;
	}
	for (i = 0; i < n; i++) {
		if (buf[i] == '\0') {
			buf[i] = ' ';
		}
	}
	buf[n] = '\0';
	r->cmdline = xstrdup(buf);
}

static void
audit_record_init(struct audit *a, struct audit_record *r, struct client *c,
    const char *cmd, json_t *args, const char *actor)
{
	memset(r, 0, sizeof *r);
	r->at_ms = tw_now(&a->twd->clock);
	r->uid = r->pid = -1;
	if (c != NULL) {
		client_peer(c, &r->uid, &r->pid);
		audit_peer_program(r);
	}
	r->request = xstrdup(cmd);
	r->args = audit_args_text(args);
	r->actor = actor != NULL ? xstrndup(actor, AUDIT_ACTOR_MAX) : NULL;
}

static void
audit_record_release(struct audit_record *r)
{
	free(r->exe);
	free(r->cmdline);
	free(r->request);
	free(r->args);
	free(r->error);
	free(r->changes);
	free(r->actor);
}

/* Write r with its outcome, and release it. */
static void
audit_put(struct audit *a, struct audit_record *r, int ok, const char *error,
    json_t *changes)
{
	r->ok = ok;
	r->error = !ok && error != NULL ? xstrdup(error) : NULL;
	r->changes = changes != NULL
	    ? json_dumps(changes, JSON_COMPACT | JSON_SORT_KEYS)
	    : NULL;
	history_put_audit(a->twd->history, r);
	audit_record_release(r);
}

void
audit_request(struct audit *a, struct client *c, const char *cmd, json_t *args,
    const char *actor, int ok, const char *error)
{
	struct audit_record r;

	audit_record_init(a, &r, c, cmd, args, actor);
	audit_put(a, &r, ok, error, NULL);
}

void
audit_hold(struct audit *a, struct client *c, const char *cmd, json_t *args,
    const char *actor)
{
	struct audit_pending *p;

	a->pending =
	    xreallocarray(a->pending, a->npending + 1, sizeof *a->pending);
	p = &a->pending[a->npending++];
	p->client = client_id(c);
	audit_record_init(a, &p->rec, c, cmd, args, actor);
}

int
audit_answered(struct audit *a, unsigned long client, int ok, const char *error,
    json_t *changes)
{
	size_t i;

	for (i = 0; i < a->npending; i++) {
		if (a->pending[i].client == client) {
			audit_put(a, &a->pending[i].rec, ok, error, changes);
			a->pending[i] = a->pending[--a->npending];
			return 1;
		}
	}
	return 0;
}

void
audit_own(struct audit *a, const char *cmd, json_t *args, int ok,
    const char *error, json_t *changes)
{
	struct audit_record r;

	audit_record_init(a, &r, NULL, cmd, args, NULL);
	audit_put(a, &r, ok, error, changes);
}

/* How many days of rows are kept: audit:'s, else the history's; 0: all. */
static int64_t
audit_keep_days(const struct audit *a)
{
	const struct config *c = tasks_config(a->twd->tasks);

	if (c == NULL) {
		return 0;
	}
	if (c->audit.keep_days > 0) {
		return c->audit.keep_days;
	}
	return c->defaults != NULL ? c->defaults->policy->keep_days : 0;
}

static void
audit_prune(evutil_socket_t fd, short what, void *arg)
{
	struct audit *a = arg;
	struct timeval tv = { AUDIT_PRUNE_EVERY_MS / 1000, 0 };
	int64_t days = audit_keep_days(a), n;
	char *cause = NULL;

	(void)fd;
	(void)what;
	if (days > 0) {
		n = history_audit_prune(a->twd->history,
		    tw_now(&a->twd->clock) - days * INT64_C(86400000), &cause);
		if (n == -1) {
			log_warn("%s", cause);
			free(cause);
		} else if (n > 0) {
			log_info("audit: %" PRId64 " rows older than %" PRId64
			         " days dropped",
			    n, days);
		}
	}
	evtimer_add(a->ev_prune, &tv);
}

struct audit *
audit_create(struct twd *twd)
{
	struct audit *a = xcalloc(1, sizeof *a);
	struct timeval now = { 0, 0 };

	a->twd = twd;
	a->ev_prune = evtimer_new(twd->base, audit_prune, a);
	event_priority_set(a->ev_prune, 2);
	evtimer_add(a->ev_prune, &now);
	return a;
}

void
audit_free(struct audit *a)
{
	size_t i;

	if (a == NULL) {
		return;
	}
	/* Held to the end (a reload at shutdown): its answer was an error. */
	for (i = 0; i < a->npending; i++) {
		audit_put(a, &a->pending[i].rec, 0, "twd shut down", NULL);
	}
	free(a->pending);
	event_free(a->ev_prune);
	free(a);
}
