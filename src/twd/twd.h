/*
 * The daemon's context, made by main: the paths, the loop, the modules it
 * wires together, and shutdown. Only twd.c and the two files that act for
 * it include this: reload.c (reloading the tasks file) and request.c (the
 * socket's requests). The stages of a run see only their own struct tasks
 * (tasks.h), so they link into a test with no twd.c.
 */
#ifndef TW_TWD_H
#define TW_TWD_H

#include <sys/queue.h>

#include <stdint.h>

#include "context.h"

struct audit;
struct config;
struct event;
struct event_base;
struct history;
struct job_list;
struct notifiers;
struct observe;
struct reload;
struct server;
struct subscriptions;
struct tasks;

struct twd {
	struct event_base *base;
	struct tw_clock clock;
	struct tw_events events;
	char *config_path;
	char *state_dir;
	char *socket_path;
	char *log_dir;  /* per-run logs: log_dir/TASK/ID.log */
	char *exec_dir; /* executors: ssh connections, Slurm job ids */
	char *home;     /* where jobs start */

	struct tasks *tasks; /* the schedule, its runs and their stages */
	struct history *history;
	struct job_list *jobs;
	struct notifiers *notifiers;
	struct server *server;
	struct reload *reload;
	struct observe *observe; /* the metrics' endpoint and textfile */
	struct audit *audit;     /* who asked for what */
	struct subscriptions *subscriptions; /* those made at run time */
	json_t *config_errors;   /* of the newest reload that failed, or NULL */
	uint64_t reloads_ok;     /* loads made the running schedule, */
	uint64_t reloads_failed; /* and refused, since the start */
	int64_t last_reload_ok_ms; /* when the running schedule was loaded */

	int64_t started_ms;
	int64_t grace_ms; /* shutdown: how long running jobs may finish */
	int stopping;
	struct event *ev_checkpoint; /* the history's log, when idle */
	struct event *ev_grace;
	struct event *ev_state_retry; /* write the history again */
	int64_t state_retry_ms;       /* the wait before that */
	int64_t state_error_ms;       /* since when it could not; or 0 */
};

/* Begin an orderly shutdown (idempotent): see twd(1), SHUTDOWN. */
void twd_stop(struct twd *, const char *why);
/* After a load of the tasks file: give back the memory it freed. */
void twd_give_back(struct twd *);
/* Log what a good tasks file means that its user may not expect. */
void twd_log_warnings(const struct config *);

#endif
