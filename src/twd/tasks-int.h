/*
 * Inside the task stages: the structs they share, and what one stage
 * calls of another. Only the stages include it (tasks.c, fire.c,
 * dispatch.c, runs.c, submit.c, recover.c, retention.c, explain.c,
 * elsewhere.c);
 * the rest of twd goes through tasks.h.
 */
#ifndef TW_TASKS_INT_H
#define TW_TASKS_INT_H

#include <sys/queue.h>

#include <jansson.h>
#include <stdint.h>

#include "admit.h"
#include "alarm.h"
#include "catchup.h"
#include "context.h"
#include "notify.h"
#include "proto.h"
#include "run.h"
#include "runq.h"
#include "schedule.h"

struct alarm_set;
struct config;
struct event;
struct event_base;
struct history;
struct job;
struct job_list;
struct logfmt_record;
struct notifiers;
struct task_def;
struct executor_def;
struct job_result;
struct watch;
struct watch_set;

TAILQ_HEAD(active_runs, active_run);

/* The buckets of the metrics' histograms (metrics.c). */
#define METRICS_DURATION_BUCKETS 13
#define METRICS_LATENESS_BUCKETS 12

/*
 * What a task's runs ended as since twd started, for the metrics: made
 * when its first run ends (a task that never ran costs a pointer).
 */
struct run_counts {
	uint32_t status[RUN_STATUS_COUNT];
	/* Runs that started, by duration: per bucket, the last above all. */
	uint32_t duration[METRICS_DURATION_BUCKETS + 1];
	double duration_sum;   /* seconds */
	int64_t last_start_ms; /* its newest run that started */
	uint8_t last_status;   /* its newest run's end */
};

/* Submitted jobs' counts: by the name given them, else "(submitted)". */
struct submit_counts {
	char *name;
	struct run_counts c;
};

/* The tasks module's state: made by tasks_init, freed by tasks_free. */
struct tasks {
	struct event_base *base;
	struct tw_clock clock;
	struct tw_events events;
	struct history *history; /* borrowed, as the two below */
	struct job_list *jobs;
	struct notifiers *notifiers;
	char *log_dir;  /* per-run logs: log_dir/TASK/ID.log */
	char *home;     /* where jobs start */
	char *exec_dir; /* executors' files (ssh sockets, Slurm ids); or NULL */
	/* Names this twd's runs elsewhere: its host and its state. */
	uint64_t instance;

	struct config *config;
	struct task **tasks; /* one per config->tasks, same order */
	size_t ntasks;
	struct active_runs runs;   /* in flight */
	struct active_runs queued; /* waiting, in queue's order of arrival */
	struct runq queue;         /* the same, in start order */
	size_t nafter_run;         /* of them, those waiting for a run */
	struct event *ev_wakeup;   /* the first held-back run may start */
	struct event *ev_pressure; /* PSI again: a run waits for it to ease */
	int dispatching;           /* in tasks_dispatch */
	int dispatch_again;        /* ... and it was asked for again */
	int batch_depth;           /* tasks_batch_begin calls not ended */
	size_t nspawn_pending;     /* runs whose jobs start at its end */
	struct alarm_set *alarms;  /* the tasks' fires */
	struct watch_set *watches; /* their change triggers; NULL: none */
	struct cgroups *cgroups;   /* runs' cgroups, or why there are none */
	int halted;                /* tasks_halt: nothing new starts */
	struct event *ev_prune;    /* history retention, when idle */
	size_t prune_cursor;
	int64_t last_submit_id;      /* the newest submitted job's run; or 0 */
	json_t *env_json;            /* the last submitted environment, */
	char *env_text;              /* as it is recorded, */
	struct env_block *env_block; /* and as jobs are given it */
	uint8_t *queue_paused;       /* per queue of the config: none starts */
	/*
	 * Runs an earlier twd left running (lost): those of tasks that run
	 * on an executor are stopped there once the tasks file is read.
	 */
	struct lost_run {
		int64_t id;
		char *task;
	} * lost;
	size_t nlost;
	int submits_paused; /* no submitted job starts (pause --all) */
	/* Metrics: submitted jobs' counts, sorted by name; and lateness. */
	struct submit_counts *subs;
	size_t nsubs;
	uint32_t lateness[METRICS_LATENESS_BUCKETS + 1];
	double lateness_sum;
};

/* One per task of the file (160 bytes: a daemon may keep 100,000). */
/*
 * A submitted job's environment, its caller's ("NAME=value"): made once
 * for the jobs of a submit, which share it.
 */
struct env_block {
	unsigned refs;
	char **vars;
};

struct task {
	struct tasks *ts;
	const struct task_def *def; /* borrowed from ts->config */
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
	uint8_t named;         /* a submitted job given a name */
	struct env_block *env; /* a submitted job's, over its policy's env */
	struct run_counts *counts; /* its runs' ends, for the metrics */
	struct watch *watch;       /* its on:, watched; or NULL */
};

struct active_run {
	struct tasks *ts;
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
	struct admit_need need; /* resources it takes here while it runs */
	int cgroup;             /* it runs in a cgroup of its own */
	int64_t blocked_ms;     /* when it first did not fit the capacity */
	char *executor; /* where it runs when not here: its executor's name */
	int slurm;      /* and it is a Slurm cluster, */
	struct slurm_watch *watch; /* whose queue is asked how it is */
	int64_t said_ms;           /* when its ::progress was last written */
	TAILQ_ENTRY(active_run) entry;
};

/* elsewhere.c: runs on an executor */
uint64_t elsewhere_instance(const char *state);
struct job *elsewhere_start(struct tasks *ts, const struct task_def *def,
    const struct executor_def *ex, struct active_run *ar, char **why);
void elsewhere_end(struct tasks *ts, struct active_run *ar, struct job *job,
    const struct job_result *res);
/* Stop there the runs an earlier twd left running on executors. */
void elsewhere_recover(struct tasks *ts);
/* ar is freed: what watches it stops. */
void elsewhere_forget(struct active_run *ar);

/* tasks.c */
void task_changed(struct task *t);
/* Which pause holds the runs of t, in words (caller frees); NULL: none. */
char *tasks_pause_reason(const struct tasks *ts, const struct task *t);
void task_free(struct task *t);
void task_set_last(struct task *t, const struct run_record *r);
void tasks_stop_task(struct tasks *ts, struct task *t, const char *reason);

/* fire.c */
void fire_alarm(struct alarm *a, void *arg);
/* The change triggers' set, for tasks_init; NULL when none can be had. */
struct watch_set *fire_watches(struct tasks *ts);
/*
 * Watch t's on: (again, when it changed from old; old NULL: a new task),
 * or stop watching it when it has none or is disabled.
 */
void task_watch(struct task *t, const struct task_def *old);
int64_t random_below(int64_t n);
void task_schedule(struct task *t);

/* dispatch.c */
/* What run ar of t takes of the capacity here (nothing elsewhere). */
struct admit_need dispatch_need(const struct task *t);
/*
 * Which pressure bound of t the machine is above, in words (caller
 * frees); NULL when none is.
 */
char *dispatch_pressure(const struct task *t);
void dispatch_wakeup(int fd, short what, void *arg);
void dispatch_unqueue(struct tasks *ts, struct task *t, struct active_run *ar);
size_t task_unqueue_all(struct tasks *ts, struct task *t,
    enum run_status status, const char *reason);
void dispatch_queue(struct tasks *ts, struct task *t, struct active_run *ar);
void dispatch_hold(struct tasks *ts, struct active_run *ar);
int64_t
dispatch_record_queue(struct tasks *ts, struct task *t, struct active_run *ar);
int64_t
dispatch_enqueue(struct tasks *ts, struct task *t, struct active_run *ar);
/*
 * Run ar (active_new's, its fields set) as tasks_run does: by overlap and
 * pause, queued or recorded as skipped. Returns the run's id (or the
 * skip's record).
 */
int64_t dispatch_run(struct tasks *ts, struct task *t, struct active_run *ar);
size_t task_waiting_for(struct tasks *ts, const struct task *t, json_t *out);
void tasks_after(struct tasks *ts, struct task *done);
int dispatch_after_task_done(struct tasks *ts, const struct active_run *ar);

/* runs.c */
void active_run_free(struct active_run *ar);
/* A run's job's callbacks (job.h), arg its active_run. */
void tasks_run_done(struct job *job, const struct job_result *res, void *arg);
void tasks_run_output(
    struct job *job, const struct logfmt_record *rec, uint64_t seq, void *arg);
struct task *active_task(struct tasks *ts, const struct active_run *ar);
void
tasks_publish_run(struct tasks *ts, enum proto_event ev, struct run_record *r);
void tail_collect(const struct logfmt_record *rec, uint64_t seq, void *arg);
struct active_run *active_new(struct tasks *ts, struct task *t,
    enum run_trigger trigger, int64_t scheduled_ms, int attempt);
void active_drop(struct tasks *ts, struct task *t, struct active_run *ar,
    enum run_status status, char *reason);
void active_start(struct tasks *ts, struct task *t, struct active_run *ar);
void active_spawn(struct tasks *ts, struct task *t, struct active_run *ar);
/*
 * What twd tells a run's job of itself (NULL-terminated; strv_free):
 * TW_TASK, TW_RUN_ID (second: the job's marker), TW_ATTEMPT,
 * TW_SCHEDULED_AT, TW_TRIGGER, and what changed (TW_GIT_*, TW_PATHS).
 */
char **run_own_env(const struct tasks *ts, const struct task_def *def,
    const struct active_run *ar);
/* The list of the paths that made a path trigger's run id (caller frees). */
char *run_paths_file(const struct tasks *ts, const char *task, int64_t id);

/* submit.c */
struct task_def *
submit_def(struct tasks *ts, json_t *job, json_t **spec, char **cause);
struct task *task_adhoc(struct tasks *ts, struct task_def *def);
/* The block of the environment env (a job's "env"), shared while the
 * same object comes; env_block_release when done. */
struct env_block *env_block_get(struct tasks *ts, json_t *env);
void env_block_release(struct env_block *b);
int submit_after(struct tasks *ts, json_t *after, char **after_task,
    int64_t *after_run, char **cause);

/* retention.c */
void retention_step(int fd, short what, void *arg);
void task_prune_later(struct task *t);

/* metrics.c */
void metrics_run_started(struct tasks *ts, const struct run_record *r);
void metrics_run_ended(struct tasks *ts, const struct active_run *ar);
void metrics_release(struct tasks *ts);

/* explain.c */
char *why_join(char *a, char *b);

#endif
