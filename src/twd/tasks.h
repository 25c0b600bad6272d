/*
 * Live tasks: each task of the loaded config with its timer, its next fire
 * and its last run, and the runs in flight. Joins the schedule engine, the
 * executor and the history; knows nothing of sockets or YAML.
 */
#ifndef TW_TASKS_H
#define TW_TASKS_H

#include <jansson.h>
#include <stdint.h>

#include "context.h"
#include "run.h"

struct config;
struct event_base;
struct history;
struct job_list;
struct notifiers;
struct task;
struct tasks;

/* What the tasks module is given by the daemon around it. */
struct tasks_env {
	struct event_base *base;
	struct tw_clock clock;
	struct tw_events events;
	struct history *history;     /* borrowed, as the two below */
	struct job_list *jobs;       /* the jobs of runs and deliveries */
	struct notifiers *notifiers; /* told of failures */
	const char *log_dir;         /* per-run logs: log_dir/TASK/ID.log */
	const char *home;            /* where jobs start */
	const char *exec_dir;        /* executors' files, 0700; NULL: none */
};

/*
 * The tasks module, with no tasks until the first tasks_apply. NULL with
 * *cause when its timers cannot be made.
 */
struct tasks *tasks_init(const struct tasks_env *, char **cause);
/*
 * Free all tasks and the config; runs in flight must be over, and queued
 * ones stay queued in the history for the next twd.
 */
void tasks_free(struct tasks *);
/* The running config; NULL before the first tasks_apply. */
const struct config *tasks_config(const struct tasks *);
/* How many tasks the running config has, and the i-th (by name). */
size_t tasks_count(const struct tasks *);
struct task *tasks_at(const struct tasks *, size_t i);

/* How many tasks a tasks_apply added, removed and changed. */
struct tasks_applied {
	size_t added;
	size_t removed;
	size_t changed;
};

/*
 * Make config the running one (takes ownership; the old one is freed).
 * Tasks are matched by name: one that stays keeps its state, and its timer
 * when its schedule is unchanged. Runs in flight go on either way. Counts
 * what changed into *n, unless n is NULL. (What a reload changed, by name,
 * is tasks_diff's, before it is applied.)
 */
void
tasks_apply(struct tasks *, struct config *config, struct tasks_applied *n);
/*
 * What making config the running one would change, without doing it:
 * {"added": [{"task", "next"}], "removed": [NAME], "changed": [{"task",
 * "fields": [FIELD], "next_before", "next_after"}]} (caller owns).
 */
json_t *tasks_diff(struct tasks *, const struct config *config);
/* Borrowed, valid until the next tasks_apply; NULL if there is none. */
struct task *tasks_find(struct tasks *, const char *name);
/* The task's name; borrowed, as the task. */
const char *task_name(const struct task *);
/*
 * A run of task: by its overlap policy (unless force), queued to start when
 * a slot is free, or recorded as skipped. Returns the run's id (see its
 * record for what became of it), or -1 with *cause (caller frees).
 */
int64_t tasks_run(struct tasks *, struct task *, enum run_trigger,
    int64_t scheduled_ms, int force, char **cause);
/*
 * Queue an ad-hoc job (twctl submit): job is {"run": [argv] | "command":
 * LINE, "name", "cwd", "env": {NAME: VALUE}, "priority", "queue",
 * "timeout": SECONDS, "after": TASK | RUN-ID ...} (taskweaver-ipc(7)), run
 * with the tasks file's defaults. It starts at the next tasks_dispatch.
 * Returns its run id, or -1 with *cause.
 */
int64_t tasks_submit(struct tasks *, json_t *job, char **cause);
/* Give job (a recorded spec) back its recorded environment env, if any. */
void submit_spec_env(json_t *job, const char *env);
/*
 * Take back the jobs of a submit whose batch could not be written (the
 * run ids in ids): off the queue, and out of the history's kept writes.
 */
void tasks_submit_undo(struct tasks *, json_t *ids);
/*
 * Change the command of the queued submitted job run_id to command (a
 * shell line), kept across a restart. Returns 1; 0 when run_id is not
 * queued; -1 with *cause for a task's run or an empty command.
 */
int
tasks_amend(struct tasks *, int64_t run_id, const char *command, char **cause);
/*
 * Whether tasks_submit would take job: 0; or, with *cause, -1 for a job
 * that is not well formed, -2 for one whose after: is not there or failed.
 */
int tasks_submit_check(struct tasks *, json_t *job, char **cause);
/*
 * Make the history's writes from here to tasks_batch_end one transaction,
 * and start the jobs of the runs it records as started once it is written
 * (batches nest; the outermost end commits). tasks_batch_end returns 0,
 * or -1 with *cause (unless cause is NULL) when the history could not
 * write: those runs are queued again, and wait until it can.
 */
void tasks_batch_begin(struct tasks *);
int tasks_batch_end(struct tasks *, char **cause);
/* Start the queued runs that may start now: priority, limits, overlap. */
void tasks_dispatch(struct tasks *);
/*
 * Pause (no run of it starts; fires are recorded as skipped) or resume
 * task, remembered across restarts (written as the history can: see
 * history.h).
 */
void tasks_pause(struct tasks *, struct task *, int paused);
/*
 * Pause or resume the queue called name: none of its runs starts, queued
 * or new (they wait; fires are not skipped). Remembered as a task's pause
 * is. Returns 0, or -1 when there is no such queue.
 */
int tasks_pause_queue(struct tasks *, const char *name, int paused);
/*
 * The executors of the running config, each {name, type, host, user,
 * port, max_concurrent, running, connection: its shared ssh connection
 * is up, check: the command that tries it} (taskweaver-ipc(7)).
 */
json_t *tasks_executors_json(struct tasks *);
/* Pause or resume every submitted job, queued or new (pause --all). */
void tasks_pause_submits(struct tasks *, int paused);
/*
 * At start-up: record the runs an earlier twd left running as lost, and
 * kill the process group of any that is still there. Returns how many, or
 * -1 with *cause.
 */
int tasks_close_lost(struct tasks *, char **cause);
/* Queue again the runs the history has as queued (at start-up). */
void tasks_restore(struct tasks *);
/* Why the queued run has not started, in words (caller frees); NULL if
 * it is not queued. */
char *tasks_wait_reason(struct tasks *, int64_t run_id);
/* Runs waiting in the queue. */
size_t tasks_queued(const struct tasks *);
/*
 * The clock was set: work out every fire again (the alarm set's
 * alarm_clock_cb; arg is the struct tasks).
 */
void tasks_clock_changed(void *arg);
/*
 * Fire what is due by the clock now. The alarm set's timer does this on
 * its own; a test that moves its own clock calls it.
 */
void tasks_tick(struct tasks *);
/*
 * Cancel every timer: nothing new starts after this, and the event loop
 * ends when the last run in flight does.
 */
void tasks_halt(struct tasks *);
/* Stop every run in flight (SIGTERM, then SIGKILL after the kill grace). */
void tasks_stop_runs(struct tasks *, const char *reason);
/*
 * Signal the runs in flight of task (or the one with run_id): SIGTERM
 * stops them as a timeout would (SIGKILL after the kill grace), any other
 * signal is sent once. Returns how many runs were signalled.
 */
size_t tasks_kill(struct tasks *, const char *task, int64_t run_id, int sig);
/*
 * Why t did or did not run, in words: {"task", "last": what became of its
 * fire or run at at_ms (0: now), "run": that run or null, "next": what its
 * next run waits for (only when at_ms is 0)}. NULL with *cause.
 */
json_t *tasks_why(struct tasks *, struct task *, int64_t at_ms, char **cause);
/* The task's definition as loaded, defaults applied, for "show". */
json_t *task_def_json(const struct task *);
/*
 * The runs in flight, then the queued ones in the order they would start,
 * each a run record with queue, submitted, position (1 for the next to
 * start; null when running) and waiting (why, in words). Caller owns.
 */
json_t *tasks_queue_json(struct tasks *);
/* Runs in flight. */
size_t tasks_running(const struct tasks *);
/*
 * What the runs here take of the capacity, and whether they get cgroups:
 * {capacity: {cpus, memory, cpus_used, memory_used, swap, backfill} |
 * null, cgroups: {on, root, off}} (caller owns).
 */
json_t *tasks_capacity_json(struct tasks *);

/* The protocol form of a task, for "list". Caller owns it. */
json_t *task_json(const struct task *);
/*
 * The next count fires of all tasks, or of only, in order of time (then
 * name): [{task, at, timezone, note}] (caller owns). With each, only each
 * task's next fire.
 */
json_t *
tasks_next_fires(struct tasks *, const struct task *only, int count, int each);
/* Start the @reboot tasks if this is the first start in this boot. */
void tasks_boot(struct tasks *);
/* The protocol form of a run in flight, by id; NULL if not running. */
json_t *tasks_run_json(struct tasks *, int64_t run_id);
/* The last lines of a run in flight ([{seq, stream, text, complete}]). */
json_t *tasks_run_tail(struct tasks *, int64_t run_id);

#endif
