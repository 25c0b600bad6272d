/*
 * The protocol methods for watching twd from outside: metrics (the
 * Prometheus text), audit (who asked for what) and report (what the runs
 * of a span did). A report reads the history on a thread of its own, on
 * a read-only connection: a month of a busy history is a second's work,
 * which the loop does not wait for.
 */
#include <sys/queue.h>

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
#include "history.h"
#include "metrics.h"
#include "observe.h"
#include "log.h"
#include "proto.h"
#include "report.h"
#include "request-int.h"
#include "request.h"
#include "server.h"
#include "subscriptions.h"
#include "tasks.h"
#include "timefmt.h"
#include "twd.h"
#include "xmalloc.h"

#define AUDIT_DEFAULT_LIMIT 50
#define AUDIT_MAX_LIMIT     10000

/* metrics: the Prometheus text, and where it is served. */
json_t *
req_metrics(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	struct metrics_globals g;
	struct metrics_text text = { NULL, 0, 0 };
	const char *listen, *error;
	json_t *data;

	(void)c;
	(void)args;
	(void)err;
	observe_globals(twd, &g);
	metrics_write_all(&g, twd->tasks, &text);
	json_decref(g.notifiers);
	listen = observe_listening(twd->observe, &error);
	data = json_pack("{s:s%, s:s?, s:s?}", "text", text.s, text.len,
	    "listen", listen, "listen_error", error);
	free(text.s);
	return data;
}

/* Text that is JSON, as JSON; else as the string it is. */
static json_t *
json_or_text(const char *text)
{
	json_t *v;

	if (text == NULL) {
		return json_null();
	}
	if ((v = json_loads(text, JSON_DECODE_ANY, NULL)) == NULL) {
		v = json_string(text);
	}
	return v;
}

static json_t *
id_or_null(long v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

static void
audit_collect(const struct audit_record *a, void *arg)
{
	char at[40];

	json_array_append_new(arg,
	    json_pack("{s:I, s:s, s:o, s:o, s:s?, s:s?, s:s?, s:s, s:o, s:b, "
	              "s:s?, s:o}",
	        "id", (json_int_t)a->id, "at",
	        timefmt_iso(a->at_ms, at, sizeof at), "uid", id_or_null(a->uid),
	        "pid", id_or_null(a->pid), "exe", a->exe, "cmdline", a->cmdline,
	        "actor", a->actor, "request", a->request, "args",
	        json_or_text(a->args), "ok", a->ok, "error", a->error,
	        "changes", json_or_text(a->changes)));
}

/* audit: {"since", "limit"}: the newest rows first. */
json_t *
req_audit(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	int64_t since_ms = 0;
	int limit = AUDIT_DEFAULT_LIMIT;
	json_t *rows;
	char *cause;

	(void)c;
	if (arg_since_limit(args, &since_ms, &limit, AUDIT_MAX_LIMIT, err) ==
	    -1) {
		return NULL;
	}
	rows = json_array();
	if (history_audit_each(twd->history, since_ms, limit, audit_collect,
	        rows, &cause) == -1) {
		json_decref(rows);
		return request_fail(err, PROTO_E_FAILED, cause);
	}
	return json_pack("{s:o}", "entries", rows);
}

/* A report being made on its thread. */
struct report_job {
	struct twd *twd; /* the loop's: the thread does not touch it */
	unsigned long client;
	char *path;
	struct report_query q;
	json_t *result; /* the thread's, until it is done */
	char *cause;
	int wake[2]; /* the thread writes once done */
	struct event *ev;
	pthread_t thread;
	LIST_ENTRY(report_job) entry;
};

/* The reports under way, waited for at shutdown. */
static LIST_HEAD(, report_job) report_jobs = LIST_HEAD_INITIALIZER(report_jobs);

static void *
report_thread(void *arg)
{
	struct report_job *j = arg;
	ssize_t n;

	j->result = report_build(j->path, &j->q, &j->cause);
	do {
		n = write(j->wake[1], "", 1);
	} while (n == -1 && errno == EINTR);
	return NULL;
}

static void
report_job_free(struct report_job *j)
{
	LIST_REMOVE(j, entry);
	event_free(j->ev);
	close(j->wake[0]);
	close(j->wake[1]);
	report_query_release(&j->q);
	json_decref(j->result);
	free(j->cause);
	free(j->path);
	free(j);
}

static void
report_done(evutil_socket_t fd, short what, void *arg)
{
	struct report_job *j = arg;

	(void)fd;
	(void)what;
	pthread_join(j->thread, NULL);
	/* Held for the audit log too, when reads are recorded. */
	audit_answered(
	    j->twd->audit, j->client, j->result != NULL, j->cause, NULL);
	server_answer(j->twd->server, j->client, j->result,
	    j->result != NULL ? NULL : PROTO_E_FAILED, j->cause);
	j->result = NULL;
	report_job_free(j);
}

/* report: {"since", "tasks"}: answered once its thread is done. */
json_t *
req_report(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	struct report_job *j = xcalloc(1, sizeof *j);
	sigset_t all, saved;
	char *cause = NULL;
	json_t *data;
	int rc;

	if (report_query_parse(args, tw_now(&twd->clock), &j->q, &cause) ==
	    -1) {
		free(j);
		return request_fail(err, PROTO_E_BAD_REQUEST, cause);
	}
	if (pipe2(j->wake, O_CLOEXEC) == -1) {
		report_query_release(&j->q);
		free(j);
		return request_fail(err, PROTO_E_FAILED,
		    xasprintf("report: %s", strerror(errno)));
	}
	j->twd = twd;
	j->path = xasprintf("%s/twd.db", twd->state_dir);
	j->ev = event_new(twd->base, j->wake[0], EV_READ, report_done, j);
	event_add(j->ev, NULL);
	LIST_INSERT_HEAD(&report_jobs, j, entry);
	/* Signals are the loop's: the thread takes none. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	rc = pthread_create(&j->thread, NULL, report_thread, j);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (rc != 0) {
		log_warn(
		    "report: no thread (%s); made on the loop", strerror(rc));
		data = report_build(j->path, &j->q, &cause);
		report_job_free(j);
		return data != NULL ? data
		                    : request_fail(err, PROTO_E_FAILED, cause);
	}
	j->client = client_hold(c);
	err->later = 1;
	return NULL;
}

void
reports_wait(void)
{
	struct report_job *j;

	while ((j = LIST_FIRST(&report_jobs)) != NULL) {
		pthread_join(j->thread, NULL);
		report_job_free(j);
	}
}

/* subscriptions: those of the tasks file and those made here. */
json_t *
req_subscriptions(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	(void)c;
	(void)args;
	(void)err;
	return json_pack("{s:o}", "subscriptions", subscriptions_json(twd));
}

/* subscription-add: {"name", "events", "url", ...}, kept across restarts. */
json_t *
req_subscription_add(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	char *cause = NULL;

	(void)c;
	if (subscriptions_add(twd, args, &cause) == -1) {
		return request_fail(err, PROTO_E_BAD_REQUEST, cause);
	}
	return json_pack("{s:o}", "subscriptions", subscriptions_json(twd));
}

/* subscription-delete: {"name"}; one of the tasks file's stays. */
json_t *
req_subscription_delete(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	const char *name = arg_string(args, "name", 1, err);

	(void)c;
	if (name == NULL) {
		return NULL;
	}
	if (!subscriptions_delete(twd, name)) {
		return request_fail(err, PROTO_E_NOT_FOUND,
		    xasprintf("no subscription '%s' made at run time (those "
		              "of the tasks file are changed there)",
		        name));
	}
	return json_pack("{s:o}", "subscriptions", subscriptions_json(twd));
}
