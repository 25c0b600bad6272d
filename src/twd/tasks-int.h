/*
 * Inside the task stages: the structs they share, and what one stage
 * calls of another. Only the stages include it (tasks.c, fire.c,
 * dispatch.c, runs.c, submit.c, recover.c, retention.c, explain.c);
 * the rest of twd goes through tasks.h.
 */
#ifndef TW_TASKS_INT_H
#define TW_TASKS_INT_H

#include <sys/queue.h>

#include <jansson.h>
#include <stdint.h>

#include "alarm.h"
#include "catchup.h"
#include "notify.h"
#include "proto.h"
#include "run.h"
#include "runq.h"
#include "schedule.h"

struct job;
struct logfmt_record;
struct task_def;
struct twd;

/* One per task of the file (136 bytes: a daemon may keep 100,000). */
struct task {
	struct twd *twd;
	const struct task_def *def; /* borrowed from twd->config */
	struct alarm alarm;
	int64_t next_ms; /* when it runs next, jitter included; 0: never */
	struct schedule_fire fire;  /* the fire next_ms is for */
	int64_t delay_ms;           /* next_ms - fire.at_ms when jittered */
	int64_t last_fire_ms;       /* 0 when it never fired on schedule */
	struct run_record *last;    /* its newest run; NULL if it never ran */
	int64_t last_ok_ms;         /* when its newest good run ended */
	int64_t last_queued_ms;     /* when its newest run was queued */
	struct notify_state nstate; /* what its failures have told */
	int running;
	int queued;
	uint8_t paused;        /* no run starts until resumed */
	uint8_t own;           /* a submitted job's, not the file's */
	uint8_t prune_pending; /* has history its retention may drop */
};

struct active_run {
	struct twd *twd;
	struct run_record rec;
	struct job *job;
	char *stop_reason;    /* why twd stopped it, if it did */
	int64_t started_mono; /* for its duration */
	struct runq_item qi;  /* while queued */
	int force;            /* may run beside another run of its task */
	int64_t timeout_ms;
	int64_t kill_grace_ms;
	struct task *own;  /* a submitted job's task of its own, or NULL */
	char *after_task;  /* submitted: waits for a success of this task */
	int64_t after_run; /* submitted: waits for this run to succeed */
	int64_t queued_ms; /* when it was queued */
	/*
	 * Recorded as started, in a transaction not yet committed: its job
	 * starts once the record is in the database (tasks_batch_end).
	 */
	int spawn_pending;
	char *held; /* why the history kept it from starting when due */
	TAILQ_ENTRY(active_run) entry;
};

/* tasks.c */
void task_changed(struct task *t);
void task_free(struct task *t);
void task_set_last(struct task *t, const struct run_record *r);
void tasks_stop_task(struct twd *twd, struct task *t, const char *reason);

/* fire.c */
int64_t random_below(int64_t n);
void task_schedule(struct task *t);

/* dispatch.c */
void dispatch_unqueue(struct twd *twd, struct task *t, struct active_run *ar);
size_t task_unqueue_all(struct twd *twd, struct task *t, enum run_status status,
    const char *reason);
void dispatch_queue(struct twd *twd, struct task *t, struct active_run *ar);
void dispatch_hold(struct twd *twd, struct active_run *ar);
int64_t
dispatch_record_queue(struct twd *twd, struct task *t, struct active_run *ar);
int64_t
dispatch_enqueue(struct twd *twd, struct task *t, struct active_run *ar);
size_t task_waiting_for(struct twd *twd, const struct task *t, json_t *out);
void tasks_after(struct twd *twd, struct task *done);
int dispatch_after_task_done(struct twd *twd, const struct active_run *ar);

/* runs.c */
void active_run_free(struct active_run *ar);
struct task *active_task(struct twd *twd, const struct active_run *ar);
void
tasks_publish_run(struct twd *twd, enum proto_event ev, struct run_record *r);
void tail_collect(const struct logfmt_record *rec, uint64_t seq, void *arg);
struct active_run *active_new(struct twd *twd, struct task *t,
    enum run_trigger trigger, int64_t scheduled_ms, int attempt);
void active_drop(struct twd *twd, struct task *t, struct active_run *ar,
    enum run_status status, char *reason);
void active_start(struct twd *twd, struct task *t, struct active_run *ar);
void active_spawn(struct twd *twd, struct task *t, struct active_run *ar);

/* submit.c */
struct task_def *
submit_def(struct twd *twd, json_t *job, json_t **spec, char **cause);
struct task *task_adhoc(struct twd *twd, struct task_def *def);
int submit_after(struct twd *twd, json_t *after, char **after_task,
    int64_t *after_run, char **cause);

/* retention.c */
void task_prune_later(struct task *t);

/* explain.c */
char *why_join(char *a, char *b);

#endif
