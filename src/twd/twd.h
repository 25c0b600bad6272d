/*
 * The daemon's context: one struct made by main and passed down, holding
 * every piece of mutable state twd has.
 */
#ifndef TW_TWD_H
#define TW_TWD_H

#include <sys/queue.h>

#include <stdint.h>

#include "clock.h"
#include "proto.h"
#include "runq.h"

struct alarm_set;
struct config;
struct event;
struct event_base;
struct history;
struct job_list;
struct reload;
struct server;
struct task;
struct active_run;

TAILQ_HEAD(active_runs, active_run);

/* Where the stages tell what happens: the socket's subscribers, or a test. */
struct tw_events {
	int (*wants)(
	    void *arg, enum proto_event, const char *task, int64_t run);
	void (*publish)(void *arg, enum proto_event, const char *task,
	    int64_t run, int lossy, json_t *data);
	void *arg;
};

struct twd {
	struct event_base *base;
	struct tw_clock clock;
	struct tw_events events;
	char *config_path;
	char *state_dir;
	char *socket_path;
	char *log_dir; /* per-run logs: log_dir/TASK/ID.log */
	char *home;    /* where jobs start */

	struct config *config;
	struct task **tasks; /* one per config->tasks, same order */
	size_t ntasks;
	struct active_runs runs;   /* in flight */
	struct active_runs queued; /* waiting, in queue's order of arrival */
	struct runq queue;         /* the same, in start order */
	size_t nafter_run;         /* of them, those waiting for a run */
	struct event *ev_wakeup;   /* the first held-back run may start */
	int dispatching;           /* in tasks_dispatch */
	int dispatch_again;        /* ... and it was asked for again */
	int batch_depth;           /* tasks_batch_begin calls not ended */
	size_t nspawn_pending;     /* runs whose jobs start at its end */

	struct alarm_set *alarms;
	struct job_list *jobs;
	struct history *history;
	struct server *server;
	struct notifiers *notifiers;
	struct reload *reload;
	json_t *config_errors; /* of the newest reload that failed, or NULL */

	int64_t started_ms;
	int64_t grace_ms; /* shutdown: how long running jobs may finish */
	int stopping;
	struct event *ev_prune;      /* history retention, when idle */
	struct event *ev_checkpoint; /* the history's log, when idle */
	size_t prune_cursor;
	struct event *ev_grace;
	struct event *ev_state_retry; /* write the history again */
	int64_t state_retry_ms;       /* the wait before that */
	int64_t state_error_ms;       /* since when it could not; or 0 */
};

/* Wall-clock milliseconds since the epoch, by twd's clock. */
int64_t twd_now_ms(const struct twd *);
/* Whether anyone listens for ev of task and run. */
int twd_wants(struct twd *, enum proto_event, const char *task, int64_t run);
/* Tell those that listen; takes data. Lossy: see server_publish. */
void twd_publish(struct twd *, enum proto_event, const char *task, int64_t run,
    int lossy, json_t *data);
/* Begin an orderly shutdown (idempotent): see twd(1), SHUTDOWN. */
void twd_stop(struct twd *, const char *why);
/* After a load of the tasks file: give back the memory it freed. */
void twd_give_back(struct twd *);
/* Log what a good tasks file means that its user may not expect. */
void twd_log_warnings(const struct config *);

#endif
