/*
 * Protocol methods. The table is data: taskweaver-ipc(7) documents each
 * entry, and a test checks that every one is there.
 *
 * To add a method:
 *  1. a req_NAME function: arguments through arg_* (each error names the
 *     argument), failures through request_fail with a PROTO_E_* code, and
 *     the data as a JSON object; one that answers later holds the client
 *     (client_hold) and sets err->later;
 *  2. its entry in request_table[], in alphabetical order (a lint checks),
 *     with REQ_READS if it changes nothing (else it is audited);
 *  3. its entry in taskweaver-ipc(7), arguments and data (a lint checks);
 *  4. a twctl verb if users need one (see cmd.c), and a test driving it.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "config.h"
#include "history.h"
#include "log.h"
#include "notifiers.h"
#include "job.h"
#include "proto.h"
#include "reload.h"
#include "request-int.h"
#include "request.h"
#include "server.h"
#include "suggest.h"
#include "tasks.h"
#include "timefmt.h"
#include "twd.h"
#include "version.h"
#include "xmalloc.h"

#define HISTORY_DEFAULT_LIMIT 20
#define SHOW_RUNS             5
/* Tasks past which a misspelt name gets no suggestion (a search each). */
#define SUGGEST_MAX_TASKS  10000
#define NEXT_DEFAULT_COUNT 10
#define NEXT_MAX_COUNT     1000
#define HISTORY_MAX_LIMIT  1000 /* keeps a reply well under 1 MiB */

static json_t *
req_history(struct twd *, struct client *, json_t *, struct request_error *);
static json_t *
req_kill(struct twd *, struct client *, json_t *, struct request_error *);
static json_t *
req_list(struct twd *, struct client *, json_t *, struct request_error *);
static json_t *
req_logs(struct twd *, struct client *, json_t *, struct request_error *);
static json_t *
req_next(struct twd *, struct client *, json_t *, struct request_error *);
static json_t *
req_run(struct twd *, struct client *, json_t *, struct request_error *);
static json_t *
req_show(struct twd *, struct client *, json_t *, struct request_error *);
static json_t *
req_submit(struct twd *, struct client *, json_t *, struct request_error *);
static json_t *
req_why(struct twd *, struct client *, json_t *, struct request_error *);
static json_t *
req_shutdown(struct twd *, struct client *, json_t *, struct request_error *);
static json_t *
req_subscribe(struct twd *, struct client *, json_t *, struct request_error *);
static json_t *
req_pause(struct twd *, struct client *, json_t *, struct request_error *);
static json_t *
req_resume(struct twd *, struct client *, json_t *, struct request_error *);
static json_t *
req_status(struct twd *, struct client *, json_t *, struct request_error *);
static json_t *req_notify_test(
    struct twd *, struct client *, json_t *, struct request_error *);
static json_t *
req_reload(struct twd *, struct client *, json_t *, struct request_error *);
static json_t *
req_queue(struct twd *, struct client *, json_t *, struct request_error *);
static json_t *
req_restart(struct twd *, struct client *, json_t *, struct request_error *);
static json_t *
req_amend(struct twd *, struct client *, json_t *, struct request_error *);
static json_t *
req_clean(struct twd *, struct client *, json_t *, struct request_error *);
static json_t *
req_executors(struct twd *, struct client *, json_t *, struct request_error *);

static void history_collect(const struct run_record *, void *);

/* Finished submitted jobs twctl queue shows, the newest of them. */
#define QUEUE_DONE_MAX 1000

/*
 * Whether a request changes something: those that do are audited, the
 * others only with audit: {reads: true}. Say it of each new one.
 */
enum request_kind { REQ_READS = 1, REQ_CHANGES };

/* Keep alphabetized. */
static const struct {
	const char *name;
	request_fn fn;
	enum request_kind kind;
} request_table[] = {
	{ "amend", req_amend, REQ_CHANGES },
	{ "audit", req_audit, REQ_READS },
	{ "clean", req_clean, REQ_CHANGES },
	{ "executors", req_executors, REQ_READS },
	{ "history", req_history, REQ_READS },
	{ "kill", req_kill, REQ_CHANGES },
	{ "list", req_list, REQ_READS },
	{ "logs", req_logs, REQ_READS },
	{ "metrics", req_metrics, REQ_READS },
	{ "next", req_next, REQ_READS },
	{ "notify-test", req_notify_test, REQ_CHANGES },
	{ "pause", req_pause, REQ_CHANGES },
	{ "queue", req_queue, REQ_READS },
	{ "reload", req_reload, REQ_CHANGES },
	{ "report", req_report, REQ_READS },
	{ "restart", req_restart, REQ_CHANGES },
	{ "resume", req_resume, REQ_CHANGES },
	{ "run", req_run, REQ_CHANGES },
	{ "show", req_show, REQ_READS },
	{ "shutdown", req_shutdown, REQ_CHANGES },
	{ "status", req_status, REQ_READS },
	{ "submit", req_submit, REQ_CHANGES },
	{ "subscribe", req_subscribe, REQ_READS },
	{ "subscription-add", req_subscription_add, REQ_CHANGES },
	{ "subscription-delete", req_subscription_delete, REQ_CHANGES },
	{ "subscriptions", req_subscriptions, REQ_READS },
	{ "why", req_why, REQ_READS },
};

#define NREQUESTS (sizeof request_table / sizeof request_table[0])

/* The first error of a request is the one told; later ones are dropped. */
json_t *
request_fail(struct request_error *err, const char *code, char *message)
{
	if (err->code != NULL) {
		free(message);
		return NULL;
	}
	err->code = code;
	err->message = message;
	return NULL;
}

/* args[key] as a string, or NULL (and an error when required). */
const char *
arg_string(
    json_t *args, const char *key, int required, struct request_error *err)
{
	json_t *v = json_object_get(args, key);

	if (v == NULL || json_is_null(v)) {
		if (required) {
			request_fail(err, PROTO_E_BAD_REQUEST,
			    xasprintf("missing argument '%s'", key));
		}
		return NULL;
	}
	if (!json_is_string(v)) {
		request_fail(err, PROTO_E_BAD_REQUEST,
		    xasprintf("argument '%s' must be a string", key));
		return NULL;
	}
	return json_string_value(v);
}

int
arg_since_limit(json_t *args, int64_t *since_ms, int *limit, int max,
    struct request_error *err)
{
	const char *since = arg_string(args, "since", 0, err);
	json_t *v;

	if (since != NULL && timefmt_parse_iso(since, since_ms) == -1) {
		request_fail(err, PROTO_E_BAD_REQUEST,
		    xasprintf("argument 'since' must be an RFC 3339 instant, "
		              "not '%s'",
		        since));
		return -1;
	}
	if ((v = json_object_get(args, "limit")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > max) {
			request_fail(err, PROTO_E_BAD_REQUEST,
			    xasprintf("argument 'limit' must be an integer "
			              "from 1 to %d",
			        max));
			return -1;
		}
		*limit = (int)json_integer_value(v);
	}
	return err->code != NULL ? -1 : 0;
}

/*
 * args[key] as a run id, a whole number from 1: 1 with *id, 0 when it is
 * absent, -1 with an error.
 */
static int
arg_run_id(
    json_t *args, const char *key, int64_t *id, struct request_error *err)
{
	json_t *v = json_object_get(args, key);

	if (v == NULL || json_is_null(v)) {
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		request_fail(err, PROTO_E_BAD_REQUEST,
		    xasprintf("argument '%s' must be a run id, a whole number "
		              "from 1",
		        key));
		return -1;
	}
	*id = json_integer_value(v);
	return 1;
}

/*
 * "no task named 'bakup' (did you mean 'backup'?)" and what follows it
 * (rest, may be ""): a message for a name that is no task; caller frees.
 */
static char *
no_task(struct twd *twd, const char *name, const char *rest)
{
	const char **names =
	    xreallocarray(NULL, tasks_count(twd->tasks) + 1, sizeof *names);
	const char *hint = NULL;
	char *msg;
	size_t i;

	/* A search of its own per request: not over a crowd of tasks. */
	for (i = 0; i < tasks_count(twd->tasks) &&
	     tasks_count(twd->tasks) <= SUGGEST_MAX_TASKS;
	     i++) {
		names[i] = task_name(tasks_at(twd->tasks, i));
	}
	if (tasks_count(twd->tasks) <= SUGGEST_MAX_TASKS) {
		hint = suggest(name, names, tasks_count(twd->tasks));
	}
	msg = hint != NULL ? xasprintf("no task named '%s'%s (did you mean "
	                               "'%s'?)",
	                         name, rest, hint)
	                   : xasprintf("no task named '%s'%s", name, rest);
	free(names);
	return msg;
}

static struct task *
arg_task(struct twd *twd, json_t *args, struct request_error *err)
{
	const char *name = arg_string(args, "task", 1, err);
	struct task *t;

	if (name == NULL) {
		return NULL;
	}
	if ((t = tasks_find(twd->tasks, name)) == NULL) {
		request_fail(err, PROTO_E_NOT_FOUND, no_task(twd, name, ""));
	}
	return t;
}

static json_t *
req_status(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	json_t *o = json_object();
	char buf[TIMEFMT_ISO_LEN];
	int64_t now = tw_now(&twd->clock), since;
	const char *why;

	(void)c;
	(void)args;
	(void)err;
	json_object_set_new(o, "version", json_string(TW_VERSION));
	json_object_set_new(o, "protocol", json_integer(PROTO_VERSION));
	json_object_set_new(o, "pid", json_integer(getpid()));
	json_object_set_new(o, "started_at",
	    json_string(timefmt_iso(twd->started_ms, buf, sizeof buf)));
	json_object_set_new(
	    o, "uptime", json_real((double)(now - twd->started_ms) / 1000));
	json_object_set_new(o, "config", json_string(twd->config_path));
	json_object_set_new(o, "state_dir", json_string(twd->state_dir));
	json_object_set_new(o, "socket", json_string(twd->socket_path));
	json_object_set_new(
	    o, "tasks", json_integer((json_int_t)tasks_count(twd->tasks)));
	json_object_set_new(
	    o, "running", json_integer((json_int_t)tasks_running(twd->tasks)));
	json_object_set_new(
	    o, "queued", json_integer((json_int_t)tasks_queued(twd->tasks)));
	json_object_set_new(o, "clients",
	    json_integer((json_int_t)server_clients(twd->server)));
	json_object_set_new(o, "stopping", json_boolean(twd->stopping));
	json_object_set_new(o, "notifiers", notifiers_status(twd->notifiers));
	json_object_set_new(o, "executors", tasks_executors_json(twd->tasks));
	json_object_update_new(o, tasks_capacity_json(twd->tasks));
	if ((since = reload_running(twd->reload, &why)) != 0) {
		json_object_set_new(o, "reloading",
		    json_pack("{s:s, s:s}", "since",
		        timefmt_iso(since, buf, sizeof buf), "why", why));
	} else {
		json_object_set_new(o, "reloading", json_null());
	}
	json_object_set_new(o, "config_errors",
	    twd->config_errors != NULL ? json_incref(twd->config_errors)
	                               : json_array());
	json_object_set_new(o, "state_error",
	    history_failing(twd->history) == NULL
	        ? json_null()
	        : json_pack("{s:s, s:s, s:I}", "error",
	              history_failing(twd->history), "since",
	              timefmt_iso(twd->state_error_ms, buf, sizeof buf),
	              "unwritten",
	              (json_int_t)history_unwritten(twd->history)));
	return o;
}

static json_t *
req_reload(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	int dry_run = json_is_true(json_object_get(args, "dry_run"));

	/* The file loads on its own thread; the answer comes when it has. */
	reload_request(twd->reload, "twctl reload", dry_run, client_hold(c));
	err->later = 1;
	return NULL;
}

static json_t *
req_queue(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	struct history_filter f = { .limit = QUEUE_DONE_MAX, .done = 1 };
	json_t *o, *done = json_array(), *oldest_first = json_array();
	char *cause = NULL;
	int64_t total;
	size_t i;

	(void)c;
	(void)args;
	if (history_query(twd->history, &f, history_collect, done, &cause) ==
	        -1 ||
	    (total = history_count_done(twd->history, &cause)) == -1) {
		json_decref(done);
		json_decref(oldest_first);
		return request_fail(err, PROTO_E_FAILED, cause);
	}
	for (i = json_array_size(done); i > 0; i--) {
		json_array_append(oldest_first, json_array_get(done, i - 1));
	}
	json_decref(done);
	o = json_object();
	json_object_set_new(o, "runs", tasks_queue_json(twd->tasks));
	json_object_set_new(o, "done", oldest_first);
	json_object_set_new(o, "done_total", json_integer(total));
	return o;
}

/* executors: where tasks' runs may go, and how it is with each. */
static json_t *
req_executors(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	(void)c;
	(void)args;
	(void)err;
	return json_pack(
	    "{s:o}", "executors", tasks_executors_json(twd->tasks));
}

/* clean: {"ok_only": BOOL}: finished submitted jobs out of queue's view. */
static json_t *
req_clean(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	char *cause = NULL;
	int64_t n;

	(void)c;
	if ((n = history_clean(twd->history,
	         json_is_true(json_object_get(args, "ok_only")), &cause)) ==
	    -1) {
		return request_fail(err, PROTO_E_FAILED, cause);
	}
	return json_pack("{s:I}", "cleaned", (json_int_t)n);
}

static json_t *
req_notify_test(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	const char *name = arg_string(args, "notifier", 0, err);
	json_t *tests, *o;
	char *cause;

	(void)c;
	if (err->code != NULL) {
		return NULL;
	}
	if ((tests = notifiers_test(twd->notifiers, name, &cause)) == NULL) {
		return request_fail(err, PROTO_E_NOT_FOUND, cause);
	}
	o = json_object();
	json_object_set_new(o, "tests", tests);
	return o;
}

static json_t *
req_list(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	json_t *tasks = json_array(), *o;
	size_t i;

	(void)c;
	(void)args;
	(void)err;
	for (i = 0; i < tasks_count(twd->tasks); i++) {
		json_array_append_new(
		    tasks, task_json(tasks_at(twd->tasks, i)));
	}
	o = json_object();
	json_object_set_new(o, "tasks", tasks);
	return o;
}

static json_t *
req_next(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	json_int_t count = NEXT_DEFAULT_COUNT;
	struct task *t = NULL;
	json_t *o, *v;

	(void)c;
	if (json_object_get(args, "task") != NULL &&
	    (t = arg_task(twd, args, err)) == NULL) {
		return NULL;
	}
	if ((v = json_object_get(args, "count")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > NEXT_MAX_COUNT) {
			return request_fail(err, PROTO_E_BAD_REQUEST,
			    xasprintf("argument 'count' must be an integer "
			              "from 1 to %d",
			        NEXT_MAX_COUNT));
		}
		count = json_integer_value(v);
	}
	if ((v = json_object_get(args, "each")) != NULL &&
	    !json_is_boolean(v)) {
		return request_fail(err, PROTO_E_BAD_REQUEST,
		    xstrdup("argument 'each' must be true or false"));
	}
	o = json_object();
	json_object_set_new(o, "fires",
	    tasks_next_fires(twd->tasks, t, (int)count, json_is_true(v)));
	return o;
}

static json_t *
req_run(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	struct run_record r;
	struct task *t;
	char *cause = NULL, *why;
	int64_t id;
	json_t *o;
	int force;

	(void)c;
	if ((t = arg_task(twd, args, err)) == NULL) {
		return NULL;
	}
	if (twd->stopping) {
		return request_fail(err, PROTO_E_SHUTTING_DOWN,
		    xstrdup("twd is shutting down and starts no new runs"));
	}
	force = json_is_true(json_object_get(args, "force"));
	if ((id = tasks_run(
	         twd->tasks, t, RUN_TRIGGER_MANUAL, 0, force, &cause)) == -1) {
		return request_fail(err, PROTO_E_FAILED, cause);
	}
	if (history_get(twd->history, id, &r, &cause) != 1) {
		free(cause);
		return request_fail(err, PROTO_E_FAILED,
		    xasprintf("run %" PRId64 " is gone", id));
	}
	/* What became of it: a run not started is an error, with why. */
	if (r.status == RUN_START_FAILED || r.status == RUN_SKIPPED) {
		request_fail(err, PROTO_E_FAILED,
		    xasprintf("run %" PRId64 " of '%s' %s: %s%s", id, r.task,
		        r.status == RUN_SKIPPED ? "was skipped"
		                                : "could not start",
		        r.reason,
		        r.status == RUN_SKIPPED ? " (--force runs it anyway)"
		                                : ""));
		run_record_release(&r);
		return NULL;
	}
	o = run_record_json(&r);
	run_record_release(&r);
	if ((why = tasks_wait_reason(twd->tasks, id)) != NULL) {
		json_object_set_new(o, "waiting", json_string(why));
		free(why);
	}
	return o;
}

/* args["run"], which the request needs: 0, or -1 after an error. */
static int
arg_run_required(json_t *args, int64_t *id, struct request_error *err)
{
	int rc;

	if (err->code != NULL ||
	    (rc = arg_run_id(args, "run", id, err)) == -1) {
		return -1;
	}
	if (rc == 0) {
		request_fail(err, PROTO_E_BAD_REQUEST,
		    xstrdup("missing argument 'run'"));
		return -1;
	}
	return 0;
}

/* The record of run id into *r (caller releases): 0, or -1 after an error. */
static int
run_get(struct twd *twd, int64_t id, struct run_record *r,
    struct request_error *err)
{
	char *cause = NULL;
	int rc;

	if ((rc = history_get(twd->history, id, r, &cause)) == 1) {
		return 0;
	}
	request_fail(err, rc == 0 ? PROTO_E_NOT_FOUND : PROTO_E_FAILED,
	    rc == 0 ? xasprintf("there is no run %" PRId64, id) : cause);
	return -1;
}

/*
 * amend: {"run": ID, "command": LINE}: the queued submitted job ID runs
 * LINE instead. The data is its RUN.
 */
static json_t *
req_amend(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	const char *command = arg_string(args, "command", 1, err);
	struct run_record r;
	char *cause = NULL;
	json_t *o;
	int64_t id;

	(void)c;
	if (arg_run_required(args, &id, err) == -1) {
		return NULL;
	}
	if (tasks_amend(twd->tasks, id, command, &cause) == -1) {
		return request_fail(err, PROTO_E_BAD_REQUEST, cause);
	}
	if (run_get(twd, id, &r, err) == -1) {
		return NULL;
	}
	if (r.status != RUN_QUEUED) {
		request_fail(err, PROTO_E_FAILED,
		    xasprintf(
		        "run %" PRId64 " is %s, not queued: only a queued "
		        "job's command can change (twctl restart -e %" PRId64
		        " runs it again, changed)",
		        id, run_status_name(r.status), id));
		run_record_release(&r);
		return NULL;
	}
	o = run_record_json(&r);
	run_record_release(&r);
	return o;
}

/*
 * restart: {"run": ID, "command": LINE}: run ID again as it was, as a new
 * run: a submitted job submitted anew from what it ran (its command
 * replaced by LINE, when given), a task's run as twctl run runs it. The
 * reply is submit's, or run's.
 */
static json_t *
req_restart(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	const char *command = arg_string(args, "command", 0, err);
	struct run_record r;
	json_t *job, *again, *o;
	int64_t id;

	if (arg_run_required(args, &id, err) == -1 ||
	    run_get(twd, id, &r, err) == -1) {
		return NULL;
	}
	if (r.status == RUN_RUNNING || r.status == RUN_QUEUED) {
		request_fail(err, PROTO_E_FAILED,
		    xasprintf("run %" PRId64 " is %s: wait for it (twctl wait "
		              "%" PRId64 "), or kill it first",
		        id, run_status_name(r.status), id));
		run_record_release(&r);
		return NULL;
	}
	if (r.trigger != RUN_TRIGGER_SUBMIT) {
		again =
		    command != NULL ? NULL : json_pack("{s:s}", "task", r.task);
		run_record_release(&r);
		if (again == NULL) {
			return request_fail(err, PROTO_E_BAD_REQUEST,
			    xstrdup("only a submitted job's command can be "
			            "changed; a task's is in the tasks file "
			            "(twctl edit)"));
		}
		o = req_run(twd, c, again, err);
		json_decref(again);
		return o;
	}
	if (r.spec == NULL || (job = json_loads(r.spec, 0, NULL)) == NULL) {
		run_record_release(&r);
		return request_fail(err, PROTO_E_FAILED,
		    xasprintf("what run %" PRId64 " ran was not recorded", id));
	}
	/* As it was, but now: what it waited for is not waited for again. */
	json_object_del(job, "after");
	json_object_del(job, "after_previous");
	json_object_del(job, "at");
	json_object_set_new(job, "name", json_string(r.task));
	submit_spec_env(job, r.env);
	if (command != NULL) {
		json_object_del(job, "run");
		json_object_set_new(job, "command", json_string(command));
	}
	run_record_release(&r);
	again = json_pack("{s:[o]}", "jobs", job);
	o = req_submit(twd, c, again, err);
	json_decref(again);
	return o;
}

/*
 * pause and resume: {"task": NAME}, {"queue": NAME}, or {"all": true}
 * (every task of the file, and the submitted jobs).
 */
static json_t *
pause_or_resume(
    struct twd *twd, json_t *args, int paused, struct request_error *err)
{
	const char *name = arg_string(args, "task", 0, err);
	const char *queue = arg_string(args, "queue", 0, err);
	int all = json_is_true(json_object_get(args, "all"));
	json_t *done = json_array(), *o;
	struct task *t;
	size_t i;

	if (err->code != NULL) {
		json_decref(done);
		return NULL;
	}
	if ((name != NULL) + (queue != NULL) + all != 1) {
		json_decref(done);
		return request_fail(err, PROTO_E_BAD_REQUEST,
		    xstrdup("give one of 'task', 'queue' or 'all': true"));
	}
	o = json_object();
	if (queue != NULL) {
		if (tasks_pause_queue(twd->tasks, queue, paused) == -1) {
			json_decref(done);
			json_decref(o);
			return request_fail(err, PROTO_E_NOT_FOUND,
			    xasprintf("no queue named '%s' in the tasks file",
			        queue));
		}
		json_array_append_new(done, json_string(queue));
		json_object_set_new(o, "queues", done);
		return o;
	}
	for (i = 0; i < tasks_count(twd->tasks); i++) {
		t = tasks_at(twd->tasks, i);
		if (name != NULL && strcmp(task_name(t), name) != 0) {
			continue;
		}
		tasks_pause(twd->tasks, t, paused);
		json_array_append_new(done, json_string(task_name(t)));
	}
	if (name != NULL && json_array_size(done) == 0) {
		json_decref(done);
		json_decref(o);
		return request_fail(
		    err, PROTO_E_NOT_FOUND, no_task(twd, name, ""));
	}
	if (all) {
		tasks_pause_submits(twd->tasks, paused);
		json_object_set_new(o, "submitted", json_true());
	}
	json_object_set_new(o, "tasks", done);
	return o;
}

static json_t *
req_pause(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	(void)c;
	return pause_or_resume(twd, args, 1, err);
}

static json_t *
req_resume(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	(void)c;
	return pause_or_resume(twd, args, 0, err);
}

static void
history_ignore(const struct run_record *r, void *arg)
{
	(void)r;
	(void)arg;
}

static void
history_collect(const struct run_record *r, void *arg)
{
	json_array_append_new(arg, run_record_json(r));
}

static json_t *
req_history(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	struct history_filter f = { .limit = HISTORY_DEFAULT_LIMIT };
	enum run_status status;
	json_t *runs, *o;
	char *cause;

	(void)c;
	f.task = arg_string(args, "task", 0, err);
	f.status = arg_string(args, "status", 0, err);
	if (err->code != NULL) {
		return NULL;
	}
	if (f.status != NULL && run_status_parse(f.status, &status) == -1) {
		return request_fail(err, PROTO_E_BAD_REQUEST,
		    xasprintf("no run status '%s' (ok, failed, timeout, "
		              "killed, start_failed, lost, running)",
		        f.status));
	}
	if (arg_since_limit(
	        args, &f.since_ms, &f.limit, HISTORY_MAX_LIMIT, err) == -1 ||
	    arg_run_id(args, "before", &f.before_id, err) == -1) {
		return NULL;
	}
	runs = json_array();
	if (history_query(twd->history, &f, history_collect, runs, &cause) ==
	    -1) {
		json_decref(runs);
		return request_fail(err, PROTO_E_FAILED, cause);
	}
	/* A removed task's runs are still history; unknown only if none. */
	if (f.task != NULL && json_array_size(runs) == 0 &&
	    tasks_find(twd->tasks, f.task) == NULL &&
	    history_each(
	        twd->history, f.task, 1, history_ignore, NULL, &cause) == 0) {
		json_decref(runs);
		return request_fail(err, PROTO_E_NOT_FOUND,
		    no_task(twd, f.task, " and no runs of it"));
	}
	o = json_object();
	json_object_set_new(o, "runs", runs);
	return o;
}

/* The run a request names: "run" (an id), else the newest of "task". */
static json_t *
arg_run(struct twd *twd, json_t *args, struct request_error *err)
{
	struct run_record r;
	json_t *o;
	const char *task;
	char *cause = NULL;
	int64_t id = 0;
	int found;

	if ((found = arg_run_id(args, "run", &id, err)) == -1) {
		return NULL;
	}
	if (found == 1) {
		found = history_get(twd->history, id, &r, &cause);
	} else {
		if ((task = arg_string(args, "task", 1, err)) == NULL) {
			return NULL;
		}
		found = history_last(twd->history, task, &r, &cause);
		if (found == 0 && tasks_find(twd->tasks, task) == NULL) {
			return request_fail(
			    err, PROTO_E_NOT_FOUND, no_task(twd, task, ""));
		}
	}
	if (found == -1) {
		return request_fail(err, PROTO_E_FAILED, cause);
	}
	if (found == 0) {
		return request_fail(err, PROTO_E_NOT_FOUND,
		    id != 0 ? xasprintf("no run %" PRId64, id)
		            : xstrdup("it has not run yet"));
	}
	o = run_record_json(&r);
	run_record_release(&r);
	return o;
}

static json_t *
req_logs(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	json_t *run, *tail, *o;

	(void)c;
	if ((run = arg_run(twd, args, err)) == NULL) {
		return NULL;
	}
	o = json_object();
	if ((tail = tasks_run_tail(twd->tasks,
	         json_integer_value(json_object_get(run, "id")))) != NULL) {
		json_object_set_new(o, "tail", tail);
	}
	json_object_set_new(o, "run", run);
	return o;
}

static json_t *
req_subscribe(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	json_t *events = json_object_get(args, "events"), *v, *names, *o;
	json_t *run = NULL;
	const char *task = arg_string(args, "task", 0, err);
	proto_event_set set = 0;
	size_t i;
	int ev;

	if (err->code != NULL) {
		return NULL;
	}
	if (!json_is_array(events)) {
		return request_fail(err, PROTO_E_BAD_REQUEST,
		    xstrdup("argument 'events' must be an array of event "
		            "names or patterns, such as [\"run.*\"]"));
	}
	json_array_foreach(events, i, v)
	{
		if (!json_is_string(v)) {
			return request_fail(err, PROTO_E_BAD_REQUEST,
			    xstrdup("argument 'events' must hold strings"));
		}
		if (proto_event_match(json_string_value(v), &set) == 0) {
			return request_fail(err, PROTO_E_BAD_REQUEST,
			    xasprintf(
			        "no event matches '%s'", json_string_value(v)));
		}
	}
	if (task != NULL && tasks_find(twd->tasks, task) == NULL) {
		return request_fail(
		    err, PROTO_E_NOT_FOUND, no_task(twd, task, ""));
	}
	if (json_object_get(args, "run") != NULL &&
	    (run = arg_run(twd, args, err)) == NULL) {
		return NULL;
	}
	client_subscribe(c, set, task,
	    run != NULL ? json_integer_value(json_object_get(run, "id")) : 0);

	o = json_object();
	names = json_array();
	for (ev = 0; ev < PROTO_EV_COUNT; ev++) {
		if (set & (1U << ev)) {
			json_array_append_new(names,
			    json_string(
			        proto_event_name((enum proto_event)ev)));
		}
	}
	json_object_set_new(o, "events", names);
	if (run != NULL) {
		json_object_set_new(o, "run", run);
	}
	return o;
}

static json_t *
req_why(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	const char *at = arg_string(args, "at", 0, err);
	struct task *t;
	int64_t at_ms = 0;
	char *cause;
	json_t *o;

	(void)c;
	if (err->code != NULL || (t = arg_task(twd, args, err)) == NULL) {
		return NULL;
	}
	if (at != NULL && timefmt_parse_iso(at, &at_ms) == -1) {
		return request_fail(err, PROTO_E_BAD_REQUEST,
		    xasprintf("argument 'at' must be an RFC 3339 instant, not "
		              "'%s'",
		        at));
	}
	if ((o = tasks_why(twd->tasks, t, at_ms, &cause)) == NULL) {
		return request_fail(err, PROTO_E_FAILED, cause);
	}
	return o;
}

/* Jobs in one submit request; twctl sends a longer batch in parts. */
#define SUBMIT_MAX_JOBS 1000

/*
 * Queue ad-hoc jobs, all or none: every job is checked before any is
 * queued, and they are recorded in one transaction.
 */
static json_t *
req_submit(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	json_t *jobs = json_object_get(args, "jobs"), *job, *ids, *o;
	json_t *env = json_object_get(args, "env");
	struct run_record r;
	char *cause = NULL, *why;
	int64_t id;
	size_t i;
	int rc;

	(void)c;
	if (!json_is_array(jobs) || json_array_size(jobs) == 0 ||
	    json_array_size(jobs) > SUBMIT_MAX_JOBS) {
		return request_fail(err, PROTO_E_BAD_REQUEST,
		    xasprintf("argument 'jobs' must be a list of 1 to %d jobs",
		        SUBMIT_MAX_JOBS));
	}
	if (twd->stopping) {
		return request_fail(err, PROTO_E_SHUTTING_DOWN,
		    xstrdup("twd is shutting down and starts no new runs"));
	}
	json_array_foreach(jobs, i, job)
	{
		/* The batch's environment, for each job without its own. */
		if (env != NULL && json_is_object(job) &&
		    json_object_get(job, "env") == NULL) {
			json_object_set(job, "env", env);
		}
		if ((rc = tasks_submit_check(twd->tasks, job, &why)) != 0) {
			request_fail(err,
			    rc == -1 ? PROTO_E_BAD_REQUEST : PROTO_E_FAILED,
			    json_array_size(jobs) == 1
			        ? xstrdup(why)
			        : xasprintf("job %zu: %s", i + 1, why));
			free(why);
			return NULL;
		}
	}
	/* Nothing is taken that could not be recorded. */
	if (history_failing(twd->history) != NULL) {
		return request_fail(err, PROTO_E_FAILED,
		    xasprintf("twd cannot write its history (%s), so it "
		              "queued nothing; it tries again, and twctl "
		              "status says when it can",
		        history_failing(twd->history)));
	}
	tasks_batch_begin(twd->tasks);
	ids = json_array();
	json_array_foreach(jobs, i, job)
	{
		if ((id = tasks_submit(twd->tasks, job, &why)) == -1) {
			/* Checked above: only the database can fail here. */
			log_error("submit: %s", why);
			free(why);
			continue;
		}
		json_array_append_new(ids, json_integer(id));
	}
	/* Those that may start now start once this is written. */
	tasks_dispatch(twd->tasks);
	if (tasks_batch_end(twd->tasks, &cause) == -1) {
		tasks_submit_undo(twd->tasks, ids);
		json_decref(ids);
		request_fail(err, PROTO_E_FAILED,
		    xasprintf("%s; nothing was queued", cause));
		free(cause);
		return NULL;
	}
	o = json_object();
	if (json_array_size(ids) == 1) {
		id = json_integer_value(json_array_get(ids, 0));
		if (history_get(twd->history, id, &r, &cause) == 1) {
			json_object_set_new(o, "run", run_record_json(&r));
			run_record_release(&r);
		} else {
			free(cause);
		}
		if ((why = tasks_wait_reason(twd->tasks, id)) != NULL) {
			json_object_set_new(o, "waiting", json_string(why));
			free(why);
		}
	}
	json_object_set_new(o, "ids", ids);
	return o;
}

static json_t *
req_show(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	struct task *t;
	json_t *o, *runs;
	char *cause;

	(void)c;
	if ((t = arg_task(twd, args, err)) == NULL) {
		return NULL;
	}
	o = task_json(t);
	json_object_set_new(o, "definition", task_def_json(t));
	runs = json_array();
	if (history_each(twd->history,
	        json_string_value(json_object_get(o, "name")), SHOW_RUNS,
	        history_collect, runs, &cause) == -1) {
		json_decref(runs);
		json_decref(o);
		return request_fail(err, PROTO_E_FAILED, cause);
	}
	json_object_set_new(o, "runs", runs);
	return o;
}

static json_t *
req_kill(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	const char *task = arg_string(args, "task", 0, err);
	const char *name = arg_string(args, "signal", 0, err);
	json_t *o;
	int64_t id = 0;
	int sig = SIGTERM, has_id;
	size_t n;

	(void)c;
	if (err->code != NULL ||
	    (has_id = arg_run_id(args, "run", &id, err)) == -1) {
		return NULL;
	}
	if ((task == NULL) == !has_id) {
		return request_fail(err, PROTO_E_BAD_REQUEST,
		    xstrdup("give either 'task' or 'run' (a run id)"));
	}
	if (name != NULL && (sig = run_signal_parse(name)) == -1) {
		return request_fail(err, PROTO_E_BAD_REQUEST,
		    xasprintf("no signal '%s'", name));
	}
	n = tasks_kill(twd->tasks, task, id, sig);
	/* Submitted jobs have names too, but no task: look for runs first. */
	if (n == 0 && task != NULL && tasks_find(twd->tasks, task) == NULL) {
		return request_fail(err, PROTO_E_NOT_FOUND,
		    no_task(twd, task,
		        ", and no job of that name is running or queued"));
	}
	if (n == 0) {
		return request_fail(err, PROTO_E_NOT_FOUND,
		    task != NULL
		        ? xasprintf("'%s' is not running", task)
		        : xasprintf("run %" PRId64 " is not running", id));
	}
	o = json_object();
	json_object_set_new(o, "killed", json_integer((json_int_t)n));
	return o;
}

static json_t *
req_shutdown(
    struct twd *twd, struct client *c, json_t *args, struct request_error *err)
{
	json_t *o = json_object();

	(void)c;
	(void)args;
	(void)err;
	json_object_set_new(o, "pid", json_integer(getpid()));
	json_object_set_new(
	    o, "running", json_integer((json_int_t)tasks_running(twd->tasks)));
	json_object_set_new(
	    o, "grace", json_real((double)twd->grace_ms / 1000));
	twd_stop(twd, "asked to by a client");
	return o;
}

/* Whether request i with args is audited (a dry run changes nothing). */
static int
request_audited(struct twd *twd, size_t i, json_t *args)
{
	const struct config *c = tasks_config(twd->tasks);

	if (c != NULL && c->audit.reads) {
		return 1;
	}
	/* A request not said to be a read is audited. */
	return request_table[i].kind != REQ_READS &&
	    !json_is_true(json_object_get(args, "dry_run"));
}

void
request_dispatch(struct client *c, struct proto_request *req, void *arg)
{
	struct twd *twd = arg;
	struct request_error err = { NULL, NULL, 0 };
	const char *names[NREQUESTS], *hint;
	json_t *data;
	char *msg;
	size_t i;
	int audited;

	for (i = 0; i < NREQUESTS; i++) {
		if (strcmp(req->cmd, request_table[i].name) == 0) {
			break;
		}
	}
	if (i == NREQUESTS) {
		for (i = 0; i < NREQUESTS; i++) {
			names[i] = request_table[i].name;
		}
		hint = suggest(req->cmd, names, NREQUESTS);
		msg = hint != NULL
		    ? xasprintf("unknown command '%s' (did you mean '%s'?)",
		          req->cmd, hint)
		    : xasprintf("unknown command '%s'", req->cmd);
		/* What it meant to do is not known: recorded, refused. */
		audit_request(twd->audit, c, req->cmd, req->args,
		    json_string_value(json_object_get(req->root, "actor")), 0,
		    msg);
		client_send(c,
		    proto_reply_error(req->id, PROTO_E_UNKNOWN_COMMAND, msg));
		free(msg);
		return;
	}
	audited = request_audited(twd, i, req->args);
	data = request_table[i].fn(twd, c, req->args, &err);
	if (data == NULL && err.later) {
		if (audited) {
			audit_hold(twd->audit, c, req->cmd, req->args,
			    json_string_value(
			        json_object_get(req->root, "actor")));
		}
		return;
	}
	if (audited) {
		audit_request(twd->audit, c, req->cmd, req->args,
		    json_string_value(json_object_get(req->root, "actor")),
		    data != NULL, err.message != NULL ? err.message : "failed");
	}
	if (data == NULL) {
		client_send(c,
		    proto_reply_error(req->id,
		        err.code != NULL ? err.code : PROTO_E_FAILED,
		        err.message != NULL ? err.message : "failed"));
		free(err.message);
		return;
	}
	client_send(c, proto_reply_ok(req->id, data));
}
