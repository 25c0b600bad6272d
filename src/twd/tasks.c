/*
 * Live tasks and runs in flight. A fire becomes a run: a history row first
 * (so the run has its id and log path), then a job, then the row's end.
 */
#include <sys/queue.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "alarm.h"
#include "catchup.h"
#include "config.h"
#include "duration.h"
#include "history.h"
#include "job.h"
#include "log.h"
#include "notifiers.h"
#include "notify.h"
#include "runq.h"
#include "schedule.h"
#include "tasks.h"
#include "timefmt.h"
#include "tz.h"
#include "twd.h"
#include "xmalloc.h"

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

static int task_retry(struct twd *, struct task *, const struct run_record *);
static char *why_join(char *, char *);
static void task_notify(
    struct twd *, struct task *, const struct run_record *, int, json_t *);
static void
task_record_dropped(struct twd *, struct task *, const struct catchup_plan *);
static struct active_run *
run_new(struct twd *, struct task *, enum run_trigger, int64_t, int);
static void run_drop(
    struct twd *, struct task *, struct active_run *, enum run_status, char *);
static void tasks_after(struct twd *, struct task *);
static void tasks_stop_task(struct twd *, struct task *, const char *);
static size_t
task_unqueue_all(struct twd *, struct task *, enum run_status, const char *);

/*
 * A uniform random number in [0, n), n at most a day of milliseconds.
 * getrandom(2) rather than arc4random, which older glibc lacks.
 */
static int64_t
random_below(int64_t n)
{
	uint64_t r = 0;

	if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r) {
		r = (uint64_t)twd_now_ms() * UINT64_C(6364136223846793005);
	}
	/* The modulo bias is below n / 2^64: nothing a schedule can see. */
	return (int64_t)(r % (uint64_t)n);
}

/* Tell subscribers the task's state or next fire is new. */
static void
task_changed(struct task *t)
{
	if (t->own ||
	    !twd_wants(t->twd, PROTO_EV_TASK_CHANGED, t->def->name, 0)) {
		return;
	}
	twd_publish(
	    t->twd, PROTO_EV_TASK_CHANGED, t->def->name, 0, 0, task_json(t));
}

/* Compute the next fire after the last and set the alarm for it. */
static void
task_schedule(struct task *t)
{
	const struct task_def *def = t->def;
	int64_t now = twd_now_ms(), once, first = 0;
	char when[TIMEFMT_ISO_LEN];

	alarm_cancel(t->twd->alarms, &t->alarm);
	t->next_ms = 0;
	t->delay_ms = 0;
	if (def->schedule == NULL || !def->enabled || t->twd->stopping) {
		return;
	}
	/*
	 * A fire after the last that is already past was missed (twd was not
	 * running, the machine slept, the clock was set): it is due now, and
	 * task_due works out, by catch_up, what becomes of all of them.
	 */
	once = schedule_once_at(def->schedule);
	if (t->last_fire_ms != 0) {
		first = schedule_next(
		    def->schedule, t->last_fire_ms, t->last_fire_ms);
	} else if (once != 0 && def->policy->catch_up != CATCH_UP_NONE) {
		first = once;
	}
	if (first != 0 && first <= now) {
		t->fire.at_ms = first;
		t->fire.note = SCHEDULE_NOTE_NONE;
		t->next_ms = now;
		alarm_schedule(t->twd->alarms, &t->alarm, now);
		return;
	}
	/* Never the fire just made again, even if the clock is a bit behind. */
	if (!schedule_next_fire(def->schedule, t->last_fire_ms,
	        now > t->last_fire_ms ? now : t->last_fire_ms, &t->fire)) {
		if (once != 0 && t->last_fire_ms < once) {
			/* Not silently: say that its one fire was missed. */
			log_warn(
			    "task '%s': its one fire, at %s, passed while "
			    "twd was not running; not run (catch_up: none)",
			    def->name, timefmt_iso(once, when, sizeof when));
		}
		return;
	}
	if (def->policy->jitter_ms > 0) {
		t->delay_ms = random_below(def->policy->jitter_ms);
	}
	t->next_ms = t->fire.at_ms + t->delay_ms;
	alarm_schedule(t->twd->alarms, &t->alarm, t->next_ms);
	task_changed(t);
}

/*
 * Make the history's writes and reads from here to tasks_batch_end one
 * transaction. Batches nest; the outermost end commits, and only then do
 * the jobs of the runs it recorded as started start: no job runs whose
 * run is not in the database.
 */
void
tasks_batch_begin(struct twd *twd)
{
	history_begin(twd->history);
	twd->batch_depth++;
}

static void run_spawn_pending(struct twd *, int recorded);

int
tasks_batch_end(struct twd *twd, char **cause)
{
	char *why = NULL;
	int rc;

	twd->batch_depth--;
	rc = history_commit(twd->history, &why);
	if (twd->batch_depth > 0) {
		return 0;
	}
	if (twd->nspawn_pending > 0) {
		run_spawn_pending(twd, rc == 0);
	}
	if (rc == -1) {
		if (cause != NULL) {
			*cause = why;
		} else {
			free(why);
		}
		return -1;
	}
	return 0;
}

/* A fire of t is due: run it (unless the last run still goes), reschedule. */
static void
task_due(struct task *t)
{
	const struct task_def *def = t->def;
	struct catchup_plan *p = xmalloc(sizeof *p);
	enum run_trigger trigger;
	int64_t now = twd_now_ms(), grid_now;
	char *cause;
	size_t i;

	/* Its runs recorded, and started, in one commit. */
	tasks_batch_begin(t->twd);
	/* A jittered start is late on purpose: plan on the rule's grid. */
	grid_now = now - t->delay_ms;
	if (t->last_fire_ms == 0) {
		/* Its first fire ever, on time or a one-shot caught up. */
		memset(p, 0, sizeof *p);
		p->counted_all = 1;
		if (def->policy->starting_deadline_ms > 0 &&
		    grid_now - t->fire.at_ms >
		        def->policy->starting_deadline_ms) {
			p->dropped = 1;
			p->past_deadline = 1;
			p->first_dropped_ms = p->last_dropped_ms =
			    t->fire.at_ms;
		} else {
			p->run[p->nrun++] = t->fire.at_ms;
		}
	} else {
		catchup_plan(def->schedule, t->last_fire_ms, grid_now,
		    def->policy->catch_up, def->policy->catch_up_max,
		    def->policy->starting_deadline_ms, p);
	}
	if (p->dropped > 0) {
		task_record_dropped(t->twd, t, p);
		t->last_fire_ms = p->last_dropped_ms;
	}
	for (i = 0; i < p->nrun; i++) {
		/* The grid is the rule's, not the jittered start. */
		if (p->run[i] > t->last_fire_ms) {
			t->last_fire_ms = p->run[i];
		}
		trigger = grid_now - p->run[i] > CATCHUP_ON_TIME_MS
		    ? RUN_TRIGGER_CATCH_UP
		    : RUN_TRIGGER_SCHEDULE;
		if (tasks_run(t->twd, t, trigger, p->run[i], 0, &cause) == -1) {
			log_warn("task '%s': %s", def->name, cause);
			free(cause);
		}
	}
	free(p);
	task_schedule(t);
	tasks_batch_end(t->twd, NULL);
}

/* One skipped run for all the fires a catch-up plan dropped. */
static void
task_record_dropped(
    struct twd *twd, struct task *t, const struct catchup_plan *p)
{
	const struct task_def *def = t->def;
	char first[TIMEFMT_ISO_LEN], last[TIMEFMT_ISO_LEN], dur[32], *why;
	char *reason;

	switch (def->policy->catch_up) {
	case CATCH_UP_NONE:
		why = xstrdup("missed while twd was not running or the "
		              "machine slept (catch_up: none)");
		break;
	case CATCH_UP_LATEST:
		why =
		    xstrdup("missed; only the newest runs (catch_up: latest)");
		break;
	default:
		why = xasprintf("missed, more than catch_up_max %d",
		    def->policy->catch_up_max);
		break;
	}
	if (p->past_deadline) {
		free(why);
		why = xasprintf("missed, too late to start: past the starting "
		                "deadline of %s",
		    duration_format_ms(
		        def->policy->starting_deadline_ms, dur, sizeof dur));
	}
	reason = xasprintf("%s%" PRId64 " fire%s from %s to %s %s",
	    p->counted_all ? "" : "at least ", p->dropped,
	    p->dropped == 1 ? "" : "s",
	    timefmt_iso(p->first_dropped_ms, first, sizeof first),
	    timefmt_iso(p->last_dropped_ms, last, sizeof last), why);
	free(why);
	run_drop(twd, t,
	    run_new(twd, t, RUN_TRIGGER_SCHEDULE, p->last_dropped_ms, 1),
	    RUN_SKIPPED, reason);
}

void
tasks_alarm(struct alarm *a, void *arg)
{
	(void)arg;
	task_due((struct task *)((char *)a - offsetof(struct task, alarm)));
}

void
tasks_clock_changed(void *arg)
{
	struct twd *twd = arg;
	int64_t now = twd_now_ms();
	struct task *t;
	size_t i;

	/*
	 * Set forward past a fire, the clock makes it due now, as after a
	 * resume; set back, fires count on from the last one, so none is
	 * made twice.
	 */
	for (i = 0; i < twd->ntasks; i++) {
		t = twd->tasks[i];
		if (t->next_ms != 0 && t->next_ms <= now) {
			alarm_cancel(twd->alarms, &t->alarm);
			task_due(t);
		} else {
			task_schedule(t);
		}
	}
}

/* Rows one pruning step deletes: a short transaction, a busy loop free. */
#define PRUNE_BATCH 100

static int
task_retains(const struct task_def *d)
{
	return d->policy->keep_runs > 0 || d->policy->keep_days > 0 ||
	    d->policy->keep_bytes > 0;
}

/* Queue t for pruning, done a batch at a time when the loop is idle. */
static void
task_prune_later(struct task *t)
{
	if (!task_retains(t->def)) {
		return;
	}
	t->prune_pending = 1;
	event_active(t->twd->ev_prune, 0, 0);
}

void
tasks_prune_step(evutil_socket_t fd, short what, void *arg)
{
	struct twd *twd = arg;
	struct history_retention keep;
	struct task *t;
	size_t i, k;
	char *cause;
	int n;

	(void)fd;
	(void)what;
	for (i = 0; i < twd->ntasks; i++) {
		k = (twd->prune_cursor + i) % twd->ntasks;
		if (twd->tasks[k]->prune_pending) {
			break;
		}
	}
	if (i == twd->ntasks) {
		return;
	}
	twd->prune_cursor = k;
	t = twd->tasks[k];
	keep.keep_runs = t->def->policy->keep_runs;
	keep.keep_days = t->def->policy->keep_days;
	keep.max_bytes = t->def->policy->keep_bytes;
	n = history_prune(twd->history, t->def->name, &keep, twd_now_ms(),
	    PRUNE_BATCH, &cause);
	if (n == -1) {
		log_warn("task '%s': %s", t->def->name, cause);
		free(cause);
	} else if (n > 0) {
		log_debug("task '%s': pruned %d runs", t->def->name, n);
	}
	if (n != PRUNE_BATCH) {
		t->prune_pending = 0;
	}
	event_active(twd->ev_prune, 0, 0);
}

static void
last_ok(const struct run_record *r, void *arg)
{
	struct task *t = arg;

	t->last_ok_ms = r->finished_ms;
}

static void task_set_last(struct task *, const struct run_record *);

/* The names the history has rows for (history_names), sorted. */
struct known {
	char **v;
	size_t n;
};

static void
known_add(const char *name, void *arg)
{
	struct known *k = arg;

	k->v = xreallocarray(k->v, k->n + 1, sizeof *k->v);
	k->v[k->n++] = xstrdup(name);
}

static int
known_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(char *const *)elem);
}

/* Whether the history may hold name; always, without a list (NULL). */
static int
known_has(const struct known *k, const char *name)
{
	/* No names: no array to search (bsearch must not see NULL). */
	return k == NULL ||
	    (k->n > 0 &&
	        bsearch(name, k->v, k->n, sizeof *k->v, known_cmp) != NULL);
}

static void
known_release(struct known *k)
{
	size_t i;

	for (i = 0; i < k->n; i++) {
		free(k->v[i]);
	}
	free(k->v);
}

_Static_assert(sizeof "paused:" == sizeof "notify:",
    "task_new writes one state key's prefix over the other's");

/* A task of def, with what the history remembers of it; known may be NULL. */
static struct task *
task_new(struct twd *twd, const struct task_def *def, const struct known *known)
{
	struct task *t = xcalloc(1, sizeof *t);
	struct history_filter ok = {
		.task = def->name, .status = "ok", .limit = 1
	};
	struct run_record last;
	/*
	 * The history's state keys, "paused:NAME" and "notify:NAME": the name
	 * copied once, the prefixes (as long as each other) over it in turn.
	 */
	char key[sizeof "paused:" + TASK_NAME_MAX];
	const size_t plen = sizeof "paused:" - 1, nlen = strlen(def->name);
	char *cause = NULL, *value = NULL;
	int rc = 0;

	t->twd = twd;
	t->def = def;
	alarm_init(&t->alarm);
	/* The history remembers the grid and the last result across restarts. */
	memset(&last, 0, sizeof last);
	if (!known_has(known, def->name)) {
		/* Never ran. */
	} else if (history_last_fire(twd->history, def->name, &t->last_fire_ms,
	               &cause) == -1 ||
	    (rc = history_last(twd->history, def->name, &last, &cause)) == -1 ||
	    history_query(twd->history, &ok, last_ok, t, &cause) == -1) {
		log_warn("task '%s': %s", def->name, cause);
		free(cause);
	} else if (rc == 1) {
		task_set_last(t, &last);
		t->last_queued_ms = last.started_ms;
		run_record_release(&last);
	}
	if (nlen > TASK_NAME_MAX) {
		fatalx("bug: task name of %zu bytes", nlen);
	}
	memcpy(key + plen, def->name, nlen + 1);
	memcpy(key, "paused:", plen);
	if (!known_has(known, key)) {
		/* Never paused. */
	} else if (history_state_get(twd->history, key, &value, &cause) == -1) {
		log_warn("task '%s': %s", def->name, cause);
		free(cause);
	} else if (value != NULL) {
		t->paused = strcmp(value, "1") == 0;
		free(value);
	}
	memcpy(key, "notify:", plen);
	if (!known_has(known, key)) {
		notify_state_parse(NULL, &t->nstate); /* nothing told yet */
	} else if (history_state_get(twd->history, key, &value, &cause) == -1) {
		log_warn("task '%s': %s", def->name, cause);
		free(cause);
	} else {
		notify_state_parse(value, &t->nstate);
		free(value);
	}
	return t;
}

static void
task_free(struct task *t)
{
	if (t == NULL) {
		return;
	}
	alarm_cancel(t->twd->alarms, &t->alarm);
	if (t->last != NULL) {
		run_record_release(t->last);
		free(t->last);
	}
	free(t);
}

/* Replace the task's last run with a copy of r. */
static void
task_set_last(struct task *t, const struct run_record *r)
{
	if (t->last == NULL) {
		t->last = xmalloc(sizeof *t->last);
	} else {
		run_record_release(t->last);
	}
	run_record_copy(t->last, r);
}

static int
task_cmp_name(const void *key, const void *elem)
{
	const struct task *const *t = elem;

	return strcmp(key, (*t)->def->name);
}

const char *
task_name(const struct task *t)
{
	return t->def->name;
}

struct task *
tasks_find(struct twd *twd, const char *name)
{
	struct task **found;

	if (twd->ntasks == 0) {
		return NULL;
	}
	/* Tasks are kept in the config's order, which is sorted by name. */
	found = bsearch(
	    name, twd->tasks, twd->ntasks, sizeof *twd->tasks, task_cmp_name);
	return found != NULL ? *found : NULL;
}

/* A task gone from the tasks file: its queued runs will not start. */
static void
task_remove(struct twd *twd, struct task *t)
{
	task_unqueue_all(
	    twd, t, RUN_SKIPPED, "its task was removed from the tasks file");
	task_free(t);
}

/* The next fire of def, for a task that last fired at last_ms; null if none. */
static json_t *
diff_next(const struct task_def *def, int64_t last_ms, int64_t now)
{
	char when[TIMEFMT_ISO_LEN];
	int64_t at;

	if (def->schedule == NULL || !def->enabled ||
	    (at = schedule_next(def->schedule, last_ms, now)) == 0) {
		return json_null();
	}
	return json_string(timefmt_iso(at, when, sizeof when));
}

json_t *
tasks_diff(struct twd *twd, const struct config *c)
{
	json_t *added = json_array(), *removed = json_array(),
	       *changed = json_array(), *fields, *o;
	const struct task_def *def;
	const char *names[64];
	int64_t now = twd_now_ms();
	struct task *t;
	size_t i, n, k;

	for (i = 0; i < c->ntasks; i++) {
		def = c->tasks[i];
		if ((t = tasks_find(twd, def->name)) == NULL) {
			json_array_append_new(added,
			    json_pack("{s:s, s:o}", "task", def->name, "next",
			        diff_next(def, 0, now)));
			continue;
		}
		n = task_def_changes(t->def, def, names, 64);
		if (n == 0) {
			continue;
		}
		fields = json_array();
		for (k = 0; k < n && k < 64; k++) {
			json_array_append_new(fields, json_string(names[k]));
		}
		o = json_pack("{s:s, s:o, s:o, s:o}", "task", def->name,
		    "fields", fields, "next_before",
		    diff_next(t->def, t->last_fire_ms, now), "next_after",
		    diff_next(def, t->last_fire_ms, now));
		json_array_append_new(changed, o);
	}
	for (i = 0; i < twd->ntasks; i++) {
		if (config_find(c, twd->tasks[i]->def->name) == NULL) {
			json_array_append_new(
			    removed, json_string(twd->tasks[i]->def->name));
		}
	}
	return json_pack("{s:o, s:o, s:o}", "added", added, "removed", removed,
	    "changed", changed);
}

void
tasks_apply(struct twd *twd, struct config *config, struct tasks_applied *n)
{
	struct tasks_applied counts = { 0, 0, 0 };
	struct known known = { NULL, 0 }, *kp = &known;
	struct task **tasks, *t;
	const struct task_def *def, *old_def;
	char *cause;
	size_t i, j = 0;
	int cmp;

	/*
	 * A new task reads its history (last run, last fire, pause): in one
	 * transaction SQLite locks the file once, not for each query; with
	 * 100,000 tasks the locking was 40% of the start.
	 */
	tasks_batch_begin(twd);
	/* And a task the history has no row of needs no query at all. */
	if (history_names(twd->history, known_add, &known, &cause) == -1) {
		log_warn("%s", cause);
		free(cause);
		kp = NULL;
	}
	/* Old and new are both sorted by name: walk them side by side. */
	tasks = xcalloc(config->ntasks, sizeof *tasks);
	for (i = 0; i < config->ntasks; i++) {
		def = config->tasks[i];
		cmp = 1;
		while (j < twd->ntasks &&
		    (cmp = strcmp(twd->tasks[j]->def->name, def->name)) < 0) {
			counts.removed++;
			task_remove(twd, twd->tasks[j++]);
		}
		if (j == twd->ntasks || cmp != 0) {
			t = tasks[i] = task_new(twd, def, kp);
			task_schedule(t);
			counts.added++;
			continue;
		}
		t = tasks[i] = twd->tasks[j++];
		old_def = t->def;
		t->def = def;
		if (!schedule_equal(old_def->schedule, def->schedule) ||
		    old_def->policy->jitter_ms != def->policy->jitter_ms) {
			task_schedule(t);
		}
		if (!task_def_equal(old_def, def)) {
			counts.changed++;
		}
	}
	for (; j < twd->ntasks; j++) {
		counts.removed++;
		task_remove(twd, twd->tasks[j]);
	}
	tasks_batch_end(twd, NULL);
	known_release(&known);
	free(twd->tasks);
	config_free(twd->config);
	twd->config = config;
	twd->tasks = tasks;
	twd->ntasks = config->ntasks;
	twd->prune_cursor = 0;
	/* Settings may be new, or history older than them: look at it all. */
	for (i = 0; i < twd->ntasks; i++) {
		task_prune_later(twd->tasks[i]);
	}
	/* Limits, priorities and pauses may have changed. */
	tasks_dispatch(twd);
	if (n != NULL) {
		*n = counts;
	}
}

static void
active_run_free(struct active_run *ar)
{
	if (ar->own != NULL) {
		task_def_free((struct task_def *)ar->own->def);
		task_free(ar->own);
	}
	run_record_release(&ar->rec);
	free(ar->stop_reason);
	free(ar->after_task);
	free(ar->held);
	free(ar);
}

static void run_ended(struct twd *, const struct run_record *);
static void run_unqueue(struct twd *, struct task *, struct active_run *);

/* The task a run belongs to: its own, or the file's; NULL if gone. */
static struct task *
run_task(struct twd *twd, const struct active_run *ar)
{
	return ar->own != NULL ? ar->own : tasks_find(twd, ar->rec.task);
}

static void
tasks_publish_run(struct twd *twd, enum proto_event ev, struct run_record *r)
{
	if (twd_wants(twd, ev, r->task, r->id)) {
		twd_publish(twd, ev, r->task, r->id, 0, run_record_json(r));
	}
}

/* One record of a run's output as the protocol has it. */
static json_t *
output_line_json(const struct logfmt_record *rec, uint64_t seq)
{
	json_t *o = json_object();

	json_object_set_new(o, "seq", json_integer((json_int_t)seq));
	json_object_set_new(
	    o, "stream", json_string(logfmt_stream_name(rec->stream)));
	json_object_set_new(o, "text", proto_string_lossy(rec->text, rec->len));
	json_object_set_new(o, "complete", json_boolean(rec->complete));
	return o;
}

static void
tasks_run_output(
    struct job *job, const struct logfmt_record *rec, uint64_t seq, void *arg)
{
	struct active_run *ar = arg;
	struct run_record *r = &ar->rec;
	json_t *o;

	(void)job;
	if (!twd_wants(ar->twd, PROTO_EV_RUN_OUTPUT, r->task, r->id)) {
		return;
	}
	o = output_line_json(rec, seq);
	json_object_set_new(o, "run", json_integer(r->id));
	json_object_set_new(o, "task", json_string(r->task));
	twd_publish(ar->twd, PROTO_EV_RUN_OUTPUT, r->task, r->id, 1, o);
}

static void
tail_collect(const struct logfmt_record *rec, uint64_t seq, void *arg)
{
	json_array_append_new(arg, output_line_json(rec, seq));
}

/* Lines of output a notification ends with, at most this many. */
#define NOTIFY_TAIL_LINES 10
#define NOTIFY_LINE_MAX   300

/* For job_tail: the job's last lines, as the notification quotes them. */
static void
notify_tail(const struct logfmt_record *rec, uint64_t seq, void *arg)
{
	json_t *lines = arg;

	(void)seq;
	if (rec->stream == LOGFMT_NOTE) {
		return;
	}
	json_array_append_new(lines,
	    proto_string_lossy(rec->text,
	        rec->len > NOTIFY_LINE_MAX ? NOTIFY_LINE_MAX : rec->len));
	if (json_array_size(lines) > NOTIFY_TAIL_LINES) {
		json_array_remove(lines, 0);
	}
}

/*
 * Tell t's notifiers what the end of run r is, by its notify: rule, and
 * remember what was told (output is taken).
 */
static void
task_notify(struct twd *twd, struct task *t, const struct run_record *r,
    int will_retry, json_t *output)
{
	const struct task_def *d = t->def;
	struct notify_state before = t->nstate;
	unsigned ev;
	char *key, *value;

	ev = notify_decide(d->policy->notify_on, d->policy->notify_every_ms,
	    &t->nstate, r->status, will_retry, twd_now_ms());
	if (ev != 0 && d->policy->nnotify_via > 0) {
		notifiers_send(twd->notifiers, d->policy->notify_via,
		    d->policy->nnotify_via,
		    notify_event_json(ev, d->name, r, output));
	}
	json_decref(output);
	if (t->own || memcmp(&before, &t->nstate, sizeof before) == 0) {
		return;
	}
	/* Across restarts too, so that a restart tells no failure again. */
	key = xasprintf("notify:%s", d->name);
	value = notify_state_format(&t->nstate);
	history_put_state(twd->history, key, value);
	free(key);
	free(value);
}

/* Shutting down: the loop ends with the last run in flight. */
static void
tasks_maybe_exit(struct twd *twd)
{
	if (twd->stopping && TAILQ_EMPTY(&twd->runs)) {
		event_base_loopexit(twd->base, NULL);
	}
}

static void
tasks_run_done(struct job *job, const struct job_result *res, void *arg)
{
	struct active_run *ar = arg;
	struct twd *twd = ar->twd;
	struct run_record *r = &ar->rec;
	struct task *t;
	char dur[32], what[64];
	json_t *output;

	/*
	 * Its end, and the start of the runs that take its slot, in one
	 * commit: committed before this returns, as each was alone.
	 */
	tasks_batch_begin(twd);
	r->finished_ms = twd_now_ms();
	r->duration_ms = timefmt_mono_ms() - ar->started_mono;
	r->output_bytes = res->output_bytes;
	r->exit_code = res->how == JOB_END_EXITED ? res->exit_code : -1;
	r->signal = res->how == JOB_END_SIGNALED ? res->signal : 0;
	r->truncated = res->truncated;
	r->cpu_user_ms = res->cpu_user_ms;
	r->cpu_sys_ms = res->cpu_sys_ms;
	r->max_rss_kb = res->max_rss_kb;
	if (res->timed_out) {
		r->status = RUN_TIMEOUT;
		r->reason = why_join(r->reason,
		    xasprintf("ran past its timeout of %s",
		        duration_format(
		            ar->timeout_ms / 1000, dur, sizeof dur)));
	} else if (res->stopped) {
		r->status = RUN_KILLED;
		r->reason = why_join(r->reason,
		    xstrdup(ar->stop_reason != NULL ? ar->stop_reason
		                                    : "stopped by twd"));
	} else if (res->how == JOB_END_EXITED && res->exit_code == 0) {
		r->status = RUN_OK;
	} else {
		r->status = RUN_FAILED;
	}
	if (res->escaped > 0) {
		r->reason = why_join(r->reason,
		    xasprintf("%d process%s that had left its process group "
		              "%s stopped with it",
		        res->escaped, res->escaped == 1 ? "" : "es",
		        res->escaped == 1 ? "was" : "were"));
	}
	if (res->log_error != NULL) {
		r->reason = why_join(r->reason,
		    xasprintf("%" PRId64 " bytes of its output were not "
		              "written to its log: %s",
		        res->log_lost, res->log_error));
	}
	history_put_run(twd->history, r);
	log_info("run %" PRId64 " '%s' finished: %s in %s", r->id, r->task,
	    run_describe(r, what, sizeof what),
	    duration_format_ms(r->duration_ms, dur, sizeof dur));
	run_ended(twd, r);

	TAILQ_REMOVE(&twd->runs, ar, entry);
	if ((t = run_task(twd, ar)) != NULL) {
		t->running--;
		task_set_last(t, r);
		task_prune_later(t);
		output = json_array();
		job_tail(job, notify_tail, output);
		task_notify(twd, t, r, task_retry(twd, t, r), output);
		if (r->status == RUN_OK) {
			t->last_ok_ms = r->finished_ms;
			tasks_after(twd, t);
		}
	}
	active_run_free(ar);
	tasks_maybe_exit(twd);
	tasks_dispatch(twd);
	tasks_batch_end(twd, NULL);
}

/* What every job finds in its environment beside the task's own. */
static void
env_push(const char ***env, size_t *n, const char *s)
{
	*env = xreallocarray(*env, *n + 2, sizeof **env);
	(*env)[(*n)++] = s;
	(*env)[*n] = NULL;
}

/* For env_clear: the variables a program cannot well do without. */
static void
env_minimal(const char ***env, size_t *n, char ***owned, size_t *nowned)
{
	static const char *const keep[] = { "HOME", "USER", "LOGNAME", "SHELL",
		"PATH" };
	const char *v;
	char *s;
	size_t i;

	for (i = 0; i < sizeof keep / sizeof keep[0]; i++) {
		if ((v = getenv(keep[i])) == NULL) {
			if (strcmp(keep[i], "PATH") != 0) {
				continue;
			}
			v = "/usr/local/bin:/usr/bin:/bin";
		}
		s = xasprintf("%s=%s", keep[i], v);
		*owned = xreallocarray(*owned, *nowned + 1, sizeof **owned);
		(*owned)[(*nowned)++] = s;
		env_push(env, n, s);
	}
}

/*
 * The words of a command line that the shell would only split and exec:
 * plain words of a program not built into the shell, with no quoting,
 * variable, glob, tilde, redirection, comment or assignment. Such a line
 * is run without the shell, as the shell itself would run it (one exec
 * less per job; a missing program is start_failed, not exit 127). NULL
 * (and the shell) for any other line; caller frees the array and words.
 */
static char **
command_words(const char *cmd)
{
	static const char *const builtins[] = { ".", ":", "[", "alias", "bg",
		"break", "case", "cd", "command", "continue", "do", "done",
		"elif", "else", "esac", "eval", "exec", "exit", "export",
		"false", "fc", "fg", "fi", "for", "getopts", "hash", "if",
		"jobs", "kill", "local", "read", "readonly", "return", "set",
		"shift", "test", "then", "times", "trap", "true", "type",
		"ulimit", "umask", "unalias", "unset", "until", "wait",
		"while" };
	char **words = NULL, *copy, *w, *save = NULL;
	size_t n = 0, i;
	const char *p;

	for (p = cmd; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) &&
		    strchr(" \t/._-+,:@%=", *p) == NULL) {
			return NULL;
		}
	}
	copy = xstrdup(cmd);
	for (w = strtok_r(copy, " \t", &save); w != NULL;
	     w = strtok_r(NULL, " \t", &save)) {
		words = xreallocarray(words, n + 2, sizeof *words);
		words[n++] = xstrdup(w);
		words[n] = NULL;
	}
	free(copy);
	for (i = 0; n > 0 && i < sizeof builtins / sizeof builtins[0]; i++) {
		if (strcmp(words[0], builtins[i]) == 0) {
			n = 0; /* the shell's own */
		}
	}
	if (n == 0 || strchr(words[0], '=') != NULL) {
		for (i = 0; words != NULL && words[i] != NULL; i++) {
			free(words[i]);
		}
		free(words);
		return NULL;
	}
	return words;
}

/* Start the job for run ar of def; NULL with *why when it could not. */
static struct job *
task_start_job(struct twd *twd, const struct task_def *def,
    struct active_run *ar, char **why)
{
	static const char *const sh[] = { "/bin/sh", "-c", NULL };
	const char *const *shell = def->policy->shell != NULL
	    ? (const char *const *)def->policy->shell
	    : sh;
	const char **argv = NULL, **env = NULL;
	char **owned = NULL, **words = NULL, when[TIMEFMT_ISO_LEN];
	const char *marker;
	size_t n = 0, nenv = 0, nowned = 0, i;
	struct job_spec spec;
	struct job *job;

	if (def->argv != NULL) {
		argv = (const char **)def->argv;
	} else if (def->policy->shell == NULL &&
	    (words = command_words(def->command)) != NULL) {
		argv = (const char **)words;
	} else {
		for (i = 0; shell[i] != NULL; i++) {
			env_push(&argv, &n, shell[i]);
		}
		env_push(&argv, &n, def->command);
	}
	if (def->policy->env_clear) {
		env_minimal(&env, &nenv, &owned, &nowned);
	}
	owned = xreallocarray(owned, nowned + 4, sizeof *owned);
	owned[nowned++] = xasprintf("TW_TASK=%s", def->name);
	owned[nowned++] = xasprintf("TW_RUN_ID=%" PRId64, ar->rec.id);
	marker = owned[nowned - 1]; /* no other job's */
	owned[nowned++] = xasprintf("TW_ATTEMPT=%d", ar->rec.attempt);
	owned[nowned++] = xasprintf("TW_SCHEDULED_AT=%s",
	    ar->rec.scheduled_ms != 0
	        ? timefmt_iso(ar->rec.scheduled_ms, when, sizeof when)
	        : "");
	for (i = nowned - 4; i < nowned; i++) {
		env_push(&env, &nenv, owned[i]);
	}
	for (i = 0; def->policy->env != NULL && def->policy->env[i] != NULL;
	     i++) {
		env_push(&env, &nenv, def->policy->env[i]);
	}

	memset(&spec, 0, sizeof spec);
	spec.argv = argv;
	spec.cwd = def->policy->cwd != NULL ? def->policy->cwd : twd->home;
	spec.log_path = ar->rec.log_path;
	spec.env = env;
	spec.env_clear = def->policy->env_clear;
	spec.umask = def->policy->umask;
	spec.nice = def->policy->nice;
	spec.limits = def->policy->limits;
	spec.nlimits = def->policy->nlimits;
	spec.timeout_ms = def->policy->timeout_ms;
	spec.kill_grace_ms = def->policy->kill_grace_ms;
	spec.max_output = def->policy->max_output;
	spec.marker = marker;
	ar->timeout_ms = def->policy->timeout_ms;
	ar->kill_grace_ms = def->policy->kill_grace_ms;
	job = job_start(
	    twd->jobs, &spec, tasks_run_done, tasks_run_output, ar, why);

	if (words != NULL) {
		for (i = 0; words[i] != NULL; i++) {
			free(words[i]);
		}
		free(words);
	} else if (argv != (const char **)def->argv) {
		free(argv);
	}
	free(env);
	for (i = 0; i < nowned; i++) {
		free(owned[i]);
	}
	free(owned);
	return job;
}

/* logs/TASK/ID.log (caller frees); the job makes it at its first output. */
static char *
tasks_log_path(struct twd *twd, const char *task, int64_t id)
{
	return xasprintf("%s/%s/%" PRId64 ".log", twd->log_dir, task, id);
}

/* A new run of t, not yet recorded. */
static struct active_run *
run_new(struct twd *twd, struct task *t, enum run_trigger trigger,
    int64_t scheduled_ms, int attempt)
{
	struct active_run *ar = xcalloc(1, sizeof *ar);
	struct run_record *r = &ar->rec;

	ar->twd = twd;
	r->task = xstrdup(t->def->name);
	r->trigger = trigger;
	r->scheduled_ms = scheduled_ms;
	r->started_ms = twd_now_ms(); /* queued at, until it starts */
	r->status = RUN_QUEUED;
	r->exit_code = -1;
	r->attempt = attempt;
	r->duration_ms = -1;
	return ar;
}

/*
 * Record that ar will not run, as status with reason (taken): a fire that
 * was skipped, a queued run taken off. Frees ar.
 */
static void
run_drop(struct twd *twd, struct task *t, struct active_run *ar,
    enum run_status status, char *reason)
{
	struct run_record *r = &ar->rec;

	r->status = status;
	r->finished_ms = twd_now_ms();
	r->duration_ms = 0;
	free(r->reason);
	r->reason = reason;
	history_put_run(twd->history, r);
	log_info("run %" PRId64 " '%s' %s: %s", r->id, r->task,
	    run_status_name(status), reason);
	if (t != NULL) {
		task_set_last(t, r);
		task_notify(twd, t, r, 0, NULL);
	}
	run_ended(twd, r);
	active_run_free(ar);
}

/*
 * Run r is over (finished, or never to start): say so, and free the jobs
 * submitted to run after it, or drop them if it did not succeed.
 */
static void
run_ended(struct twd *twd, const struct run_record *r)
{
	struct active_runs dropped = TAILQ_HEAD_INITIALIZER(dropped);
	struct active_run *ar, *next;
	char what[64];

	if (r->status == RUN_SKIPPED) {
		tasks_publish_run(
		    twd, PROTO_EV_RUN_SKIPPED, (struct run_record *)r);
	}
	tasks_publish_run(twd, PROTO_EV_RUN_FINISHED, (struct run_record *)r);
	for (ar = TAILQ_FIRST(&twd->queued); twd->nafter_run > 0 && ar != NULL;
	     ar = next) {
		next = TAILQ_NEXT(ar, entry);
		if (ar->after_run != r->id) {
			continue;
		}
		ar->after_run = 0;
		twd->nafter_run--;
		if (r->status != RUN_OK) {
			run_unqueue(twd, run_task(twd, ar), ar);
			TAILQ_INSERT_TAIL(&dropped, ar, entry);
		}
	}
	run_describe(r, what, sizeof what);
	/* Off the queue first: dropping one may drop those after it. */
	while ((ar = TAILQ_FIRST(&dropped)) != NULL) {
		TAILQ_REMOVE(&dropped, ar, entry);
		run_drop(twd, run_task(twd, ar), ar, RUN_SKIPPED,
		    xasprintf("run %" PRId64 ", which it was to run after, "
		              "did not succeed (%s)",
		        r->id, what));
	}
}

/* Take a queued run off the queue (it is still to be freed or started). */
static void
run_unqueue(struct twd *twd, struct task *t, struct active_run *ar)
{
	runq_remove(&twd->queue, &ar->qi);
	TAILQ_REMOVE(&twd->queued, ar, entry);
	t->queued--;
	if (ar->after_run != 0) {
		twd->nafter_run--;
	}
}

/* Take every queued run of t off the queue, recorded as status. */
static size_t
task_unqueue_all(
    struct twd *twd, struct task *t, enum run_status status, const char *reason)
{
	struct active_run *ar, *next;
	size_t n = 0;

	for (ar = TAILQ_FIRST(&twd->queued); ar != NULL; ar = next) {
		next = TAILQ_NEXT(ar, entry);
		if (strcmp(ar->rec.task, t->def->name) == 0) {
			run_unqueue(twd, t, ar);
			run_drop(twd, t, ar, status, xstrdup(reason));
			n++;
		}
	}
	return n;
}

/* The newest run of t in flight or queued, or NULL. */
static struct active_run *
task_previous(struct twd *twd, struct task *t)
{
	struct active_run *ar, *found = NULL;

	if (t->running == 0 && t->queued == 0) {
		return NULL;
	}
	TAILQ_FOREACH(ar, &twd->runs, entry)
	{
		if (strcmp(ar->rec.task, t->def->name) == 0) {
			found = ar;
		}
	}
	TAILQ_FOREACH(ar, &twd->queued, entry)
	{
		if (strcmp(ar->rec.task, t->def->name) == 0) {
			found = ar;
		}
	}
	return found;
}

/* Put the recorded run ar of t in the queue. */
static void
run_queue(struct twd *twd, struct task *t, struct active_run *ar)
{
	const struct run_record *r = &ar->rec;

	if (ar->queued_ms == 0) {
		ar->queued_ms = r->started_ms; /* queued at, until it starts */
	}
	ar->qi.priority = t->def->policy->priority;
	ar->qi.due_ms = r->scheduled_ms != 0 ? r->scheduled_ms : r->started_ms;
	ar->qi.not_before_ms = r->not_before_ms;
	ar->qi.data = ar;
	runq_push(&twd->queue, &ar->qi);
	TAILQ_INSERT_TAIL(&twd->queued, ar, entry);
	t->queued++;
	if (ar->after_run != 0) {
		twd->nafter_run++;
	}
}

/* While the history is failing, why ar cannot start (once). */
static void
run_hold(struct twd *twd, struct active_run *ar)
{
	const char *why = history_failing(twd->history);

	if (why != NULL && ar->held == NULL) {
		ar->held = xasprintf("it was held in the queue while twd "
		                     "could not write its history (%s)",
		    why);
	}
}

/*
 * Record ar as queued and put it in the queue, to start at the next
 * dispatch once its record is written; returns its id. (A run's record
 * that cannot be written yet is kept and written later: see history.h.)
 */
static int64_t
run_record_queue(struct twd *twd, struct task *t, struct active_run *ar)
{
	struct run_record *r = &ar->rec;

	history_put_run(twd->history, r);
	run_hold(twd, ar);
	run_queue(twd, t, ar);
	task_set_last(t, r);
	t->last_queued_ms = r->started_ms;
	tasks_publish_run(twd, PROTO_EV_RUN_QUEUED, r);
	return r->id;
}

/* As run_record_queue, and start it if it may start now. */
static int64_t
run_enqueue(struct twd *twd, struct task *t, struct active_run *ar)
{
	int64_t id = run_record_queue(twd, t, ar);

	tasks_dispatch(twd);
	return id;
}

/* Whether the failed run r of a task defined as d is to be tried again. */
static int
run_should_retry(const struct task_def *d, const struct run_record *r)
{
	int any = d->policy->nretry_codes == 0 && d->policy->retry_flags == 0;
	size_t i;

	if (r->attempt > d->policy->retries) {
		return 0;
	}
	switch (r->status) {
	case RUN_FAILED:
		if (r->signal > 0) {
			return any ||
			    (d->policy->retry_flags & RETRY_ON_SIGNAL);
		}
		for (i = 0; i < d->policy->nretry_codes; i++) {
			if (d->policy->retry_codes[i] == r->exit_code) {
				return 1;
			}
		}
		return any;
	case RUN_TIMEOUT:
		return any || (d->policy->retry_flags & RETRY_ON_TIMEOUT);
	case RUN_START_FAILED:
		return any || (d->policy->retry_flags & RETRY_ON_START_FAILED);
	default:
		return 0;
	}
}

/*
 * After a failure, queue the next attempt for when its wait is over.
 * Returns whether it did.
 */
static int
task_retry(struct twd *twd, struct task *t, const struct run_record *failed)
{
	const struct task_def *d = t->def;
	struct active_run *ar;
	int64_t wait, id;
	char dur[32];

	if (twd->stopping || !run_should_retry(d, failed)) {
		return 0;
	}
	wait = runq_backoff(d->policy->retry_delay_ms, d->policy->retry_backoff,
	    d->policy->retry_max_delay_ms, failed->attempt,
	    (double)random_below(1000000) / 1e6);
	ar = run_new(twd, t, RUN_TRIGGER_RETRY, failed->scheduled_ms,
	    failed->attempt + 1);
	ar->rec.not_before_ms = twd_now_ms() + wait;
	ar->rec.reason = xasprintf("attempt %d of %d, after run %" PRId64,
	    failed->attempt + 1, d->policy->retries + 1, failed->id);
	id = run_enqueue(twd, t, ar);
	log_info("run %" PRId64 " '%s' failed; attempt %d of %d is run %" PRId64
	         " in %s",
	    failed->id, d->name, failed->attempt + 1, d->policy->retries + 1,
	    id, duration_format_ms(wait, dur, sizeof dur));
	return 1;
}

/*
 * The tasks of t's after: that have not succeeded since t's newest run was
 * queued, appended to out when not NULL. Returns how many.
 */
static size_t
task_waiting_for(struct twd *twd, const struct task *t, json_t *out)
{
	const struct task *dep;
	size_t i, n = 0;

	for (i = 0; t->def->after != NULL && t->def->after[i] != NULL; i++) {
		dep = tasks_find(twd, t->def->after[i]);
		if (dep == NULL || dep->last_ok_ms <= t->last_queued_ms) {
			if (out != NULL) {
				json_array_append_new(
				    out, json_string(t->def->after[i]));
			}
			n++;
		}
	}
	return n;
}

/* done succeeded: run each task after it whose every dependency has. */
static void
tasks_after(struct twd *twd, struct task *done)
{
	struct task *t;
	char *cause;
	size_t i;

	for (i = 0; i < twd->ntasks; i++) {
		t = twd->tasks[i];
		if (!task_def_after(t->def, done->def->name) ||
		    task_waiting_for(twd, t, NULL) > 0) {
			continue;
		}
		if (tasks_run(twd, t, RUN_TRIGGER_DEPENDENCY, 0, 0, &cause) ==
		    -1) {
			log_warn("task '%s': %s", t->def->name, cause);
			free(cause);
		}
	}
}

/*
 * Start the queued run ar of t, which has been taken off the queue: it is
 * recorded as running now, and its job starts when that record is in the
 * database (run_spawn_pending). It holds its slot from now on.
 */
static void
run_start(struct twd *twd, struct task *t, struct active_run *ar)
{
	struct run_record *r = &ar->rec;

	r->started_ms = twd_now_ms();
	ar->started_mono = timefmt_mono_ms();
	r->status = RUN_RUNNING;
	free(r->reason);
	/* Late because the history could not be written: say so. */
	r->reason = ar->held;
	ar->held = NULL;
	r->log_path = tasks_log_path(twd, r->task, r->id);
	history_put_run(twd->history, r);
	ar->spawn_pending = 1;
	twd->nspawn_pending++;
	TAILQ_INSERT_TAIL(&twd->runs, ar, entry);
	t->running++;
	task_set_last(t, r);
}

/* Put a run whose start could not be recorded back in the queue. */
static void
run_unstart(struct twd *twd, struct task *t, struct active_run *ar)
{
	struct run_record *r = &ar->rec;

	TAILQ_REMOVE(&twd->runs, ar, entry);
	t->running--;
	r->status = RUN_QUEUED;
	r->started_ms = ar->queued_ms;
	free(r->log_path);
	r->log_path = NULL;
	ar->held = r->reason;
	r->reason = NULL;
	history_put_run(twd->history, r);
	run_hold(twd, ar);
	run_queue(twd, t, ar);
	task_set_last(t, r);
}

/* Start the job of ar, whose start is in the database. */
static void
run_spawn(struct twd *twd, struct task *t, struct active_run *ar)
{
	struct run_record *r = &ar->rec;
	char *why = NULL;

	if (ar->stop_reason != NULL) {
		/* Killed, replaced or shut down before its job began. */
		TAILQ_REMOVE(&twd->runs, ar, entry);
		t->running--;
		run_drop(twd, t, ar, RUN_KILLED, xstrdup(ar->stop_reason));
		return;
	}
	ar->job = task_start_job(twd, t->def, ar, &why);
	if (ar->job == NULL) {
		TAILQ_REMOVE(&twd->runs, ar, entry);
		t->running--;
		r->status = RUN_START_FAILED;
		r->finished_ms = twd_now_ms();
		r->duration_ms = timefmt_mono_ms() - ar->started_mono;
		r->reason = why_join(r->reason, why);
		history_put_run(twd->history, r);
		log_warn("run %" PRId64 " '%s' could not start: %s", r->id,
		    r->task, why);
		task_set_last(t, r);
		run_ended(twd, r);
		task_notify(twd, t, r, task_retry(twd, t, r), NULL);
		active_run_free(ar);
		return;
	}
	r->pid = (int)job_pid(ar->job);
	history_put_run(twd->history, r);
	task_set_last(t, r);
	log_info(
	    "run %" PRId64 " '%s' started (pid %d)", r->id, r->task, r->pid);
	tasks_publish_run(twd, PROTO_EV_RUN_STARTED, r);
}

/*
 * The batch that recorded runs as started has ended: start their jobs if
 * it was written, else put them back in the queue. Their pids, and the
 * runs that could not start, are one more commit; a start that failed
 * frees its slot for the next run.
 */
static void
run_spawn_pending(struct twd *twd, int recorded)
{
	struct active_run *ar, **v;
	struct task *t;
	size_t n = 0, i;

	/*
	 * Those of that batch alone: the runs these start in turn are
	 * recorded in the next one, and start when it is written.
	 */
	v = xreallocarray(NULL, twd->nspawn_pending, sizeof *v);
	TAILQ_FOREACH(ar, &twd->runs, entry)
	{
		if (ar->spawn_pending) {
			ar->spawn_pending = 0;
			v[n++] = ar;
		}
	}
	twd->nspawn_pending = 0;
	tasks_batch_begin(twd);
	for (i = 0; i < n; i++) {
		if ((t = run_task(twd, v[i])) == NULL) {
			/* Its task gone within the batch: not done today. */
			TAILQ_REMOVE(&twd->runs, v[i], entry);
			run_drop(twd, NULL, v[i], RUN_SKIPPED,
			    xstrdup("its task left the tasks file before it "
			            "started"));
		} else if (recorded) {
			run_spawn(twd, t, v[i]);
		} else {
			run_unstart(twd, t, v[i]);
		}
	}
	free(v);
	tasks_maybe_exit(twd);
	tasks_dispatch(twd);
	tasks_batch_end(twd, NULL);
}

/* Whether the task a submitted job waits for has succeeded since. */
static int
run_after_task_done(struct twd *twd, const struct active_run *ar)
{
	const struct task *dep = tasks_find(twd, ar->after_task);

	/* started_ms is when it was queued, until it starts. */
	return dep != NULL && dep->last_ok_ms >= ar->rec.started_ms;
}

/* For runq_next: whether a queued run may start now. */
struct dispatch {
	struct twd *twd;
	int *lane; /* runs in flight per queue of the config */
};

static int
dispatch_accept(const struct runq_item *it, void *arg)
{
	const struct dispatch *d = arg;
	const struct active_run *ar = it->data;
	const struct task *t = run_task(d->twd, ar);
	int q;

	if (t == NULL || t->paused || ar->after_run != 0 ||
	    (ar->after_task != NULL && !run_after_task_done(d->twd, ar))) {
		return 0;
	}
	if (!ar->force && t->def->policy->overlap != OVERLAP_ALLOW &&
	    t->running > 0) {
		return 0;
	}
	q = t->def->policy->queue;
	return q < 0 || d->lane[q] < d->twd->config->queues[q].max_concurrent;
}

/* Whether a fire's run would start too late after its time. */
static int
run_past_deadline(const struct task *t, const struct run_record *r, int64_t now)
{
	return t->def->policy->starting_deadline_ms > 0 &&
	    r->scheduled_ms != 0 &&
	    (r->trigger == RUN_TRIGGER_SCHEDULE ||
	        r->trigger == RUN_TRIGGER_CATCH_UP) &&
	    now - r->scheduled_ms > t->def->policy->starting_deadline_ms;
}

/*
 * One pass of tasks_dispatch: start queued runs while slots are free.
 * What a run that cannot start does on its way out (a retry queued, runs
 * after it dropped) may ask for a dispatch again: twd->dispatch_again.
 */
static void
dispatch_pass(struct twd *twd, int64_t now)
{
	struct dispatch d = { twd, NULL };
	char dur[32];
	struct active_run *ar;
	struct runq_item *it;
	struct task *t;
	size_t running = 0;

	d.lane = xcalloc(twd->config->nqueues + 1, sizeof *d.lane);
	TAILQ_FOREACH(ar, &twd->runs, entry)
	{
		running++;
		if ((t = run_task(twd, ar)) != NULL &&
		    t->def->policy->queue >= 0) {
			d.lane[t->def->policy->queue]++;
		}
	}
	while (running < (size_t)twd->config->max_concurrent &&
	    (it = runq_next(&twd->queue, now, dispatch_accept, &d)) != NULL) {
		ar = it->data;
		t = run_task(twd, ar);
		run_unqueue(twd, t, ar);
		if (run_past_deadline(t, &ar->rec, now)) {
			run_drop(twd, t, ar, RUN_SKIPPED,
			    xasprintf("waited in the queue past its starting "
			              "deadline of %s",
			        duration_format_ms(
			            t->def->policy->starting_deadline_ms, dur,
			            sizeof dur)));
			continue;
		}
		if (t->def->policy->queue >= 0) {
			d.lane[t->def->policy->queue]++;
		}
		running++;
		run_start(twd, t, ar);
	}
	free(d.lane);
}

void
tasks_dispatch(struct twd *twd)
{
	struct timeval tv;
	int64_t now, at;

	/* No job starts whose run could not be recorded: none while failing. */
	if (twd->stopping || twd->config == NULL ||
	    history_failing(twd->history) != NULL) {
		return;
	}
	/*
	 * Not within itself: a pass counts the slots it fills, so one nested
	 * in it would fill them twice. The outer pass runs again instead.
	 */
	if (twd->dispatching) {
		twd->dispatch_again = 1;
		return;
	}
	/* The starts it records begin their jobs once they are written. */
	tasks_batch_begin(twd);
	twd->dispatching = 1;
	do {
		twd->dispatch_again = 0;
		now = twd_now_ms();
		dispatch_pass(twd, now);
	} while (twd->dispatch_again && !twd->stopping);
	twd->dispatching = 0;
	/* Wake up when the first held-back run may go. */
	evtimer_del(twd->ev_wakeup);
	if ((at = runq_wakeup(&twd->queue, now)) != 0) {
		tv.tv_sec = (time_t)((at - now) / 1000);
		tv.tv_usec = (suseconds_t)((at - now) % 1000) * 1000;
		evtimer_add(twd->ev_wakeup, &tv);
	}
	tasks_batch_end(twd, NULL);
}

char *
tasks_wait_reason(struct twd *twd, int64_t run_id)
{
	struct active_run *ar, *other;
	struct task *t, *ot;
	char when[TIMEFMT_ISO_LEN], rel[32];
	size_t running = 0, in_lane = 0;
	int q;

	TAILQ_FOREACH(ar, &twd->queued, entry)
	{
		if (ar->rec.id == run_id) {
			break;
		}
	}
	if (ar == NULL || (t = run_task(twd, ar)) == NULL) {
		return NULL;
	}
	if (t->paused) {
		return xasprintf(
		    "its task is paused (twctl resume %s)", t->def->name);
	}
	if (ar->after_run != 0) {
		return xasprintf(
		    "it waits for run %" PRId64 " to succeed", ar->after_run);
	}
	if (ar->after_task != NULL && !run_after_task_done(twd, ar)) {
		return xasprintf(tasks_find(twd, ar->after_task) != NULL
		        ? "it waits for task '%s' to succeed"
		        : "it waits for task '%s', which is no longer in the "
		          "tasks file (twctl kill the run to drop it)",
		    ar->after_task);
	}
	if (ar->rec.not_before_ms > twd_now_ms()) {
		return xasprintf("it waits to retry until %s (%s)",
		    timefmt_local(ar->rec.not_before_ms, when, sizeof when),
		    timefmt_relative(
		        ar->rec.not_before_ms, twd_now_ms(), rel, sizeof rel));
	}
	if (twd->stopping) {
		return xstrdup("twd is shutting down");
	}
	if (history_failing(twd->history) != NULL) {
		return xasprintf("twd cannot write its history (%s); runs "
		                 "start once it can",
		    history_failing(twd->history));
	}
	q = t->def->policy->queue;
	TAILQ_FOREACH(other, &twd->runs, entry)
	{
		running++;
		if (strcmp(other->rec.task, t->def->name) == 0 && !ar->force &&
		    t->def->policy->overlap != OVERLAP_ALLOW) {
			return xasprintf("run %" PRId64 " of its task is still "
			                 "running (overlap: %s)",
			    other->rec.id,
			    config_overlap_name(t->def->policy->overlap));
		}
		if (q >= 0 && (ot = run_task(twd, other)) != NULL &&
		    ot->def->policy->queue == q) {
			in_lane++;
		}
	}
	if (running >= (size_t)twd->config->max_concurrent) {
		return xasprintf("all %d slots are taken (max_concurrent)",
		    twd->config->max_concurrent);
	}
	if (q >= 0 &&
	    in_lane >= (size_t)twd->config->queues[q].max_concurrent) {
		return xasprintf("queue '%s' is full (%zu running, its "
		                 "max_concurrent)",
		    twd->config->queues[q].name, in_lane);
	}
	return xstrdup("runs of higher priority, or queued earlier, go first");
}

void
tasks_wakeup(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	tasks_dispatch(arg);
}

int64_t
tasks_run(struct twd *twd, struct task *t, enum run_trigger trigger,
    int64_t scheduled_ms, int force, char **cause)
{
	struct active_run *ar, *prev;
	int64_t id;

	if (twd->stopping) {
		*cause = xstrdup("twd is shutting down");
		return -1;
	}
	ar = run_new(twd, t, trigger, scheduled_ms, 1);
	ar->force = force;
	if (!force && t->paused && trigger != RUN_TRIGGER_MANUAL) {
		run_drop(
		    twd, t, ar, RUN_SKIPPED, xstrdup("the task is paused"));
		return t->last->id; /* the record of the drop */
	}
	if (!force && (prev = task_previous(twd, t)) != NULL) {
		switch (t->def->policy->overlap) {
		case OVERLAP_SKIP:
			run_drop(twd, t, ar, RUN_SKIPPED,
			    xasprintf("overlap: skip: run %" PRId64
			              " is still %s",
			        prev->rec.id,
			        run_status_name(prev->rec.status)));
			return t->last->id;
		case OVERLAP_REPLACE:
			task_unqueue_all(twd, t, RUN_SKIPPED,
			    "overlap: replace: a newer run took its place");
			tasks_stop_task(twd, t,
			    "overlap: replace: a newer run took its place");
			break;
		case OVERLAP_QUEUE:
		case OVERLAP_ALLOW:
			break;
		}
	}
	id = run_enqueue(twd, t, ar);
	return id;
}

/* A submitted job's name from its program: "backup.sh" for ~/bin/backup.sh. */
static char *
submit_default_name(const char *program)
{
	const char *base = strrchr(program, '/');
	char name[TASK_NAME_MAX + 1];
	size_t n = 0;

	base = base != NULL ? base + 1 : program;
	for (; *base != '\0' && !isspace((unsigned char)*base) &&
	     n < TASK_NAME_MAX;
	     base++) {
		if (isalnum((unsigned char)*base) || strchr("-_.", *base)) {
			name[n++] = *base;
		}
	}
	name[n] = '\0';
	return xstrdup(config_task_name_valid(name) ? name : "job");
}

static int
submit_fail(char **cause, char *message)
{
	*cause = message;
	return -1;
}

/* Check the run or command of a job into def and spec. */
static int
submit_command(json_t *job, struct task_def *def, json_t *spec, char **cause)
{
	json_t *run = json_object_get(job, "run"), *v;
	json_t *command = json_object_get(job, "command");
	size_t i, n;

	if ((run == NULL) == (command == NULL)) {
		return submit_fail(cause,
		    xstrdup("a job has a 'run' (the program and its "
		            "arguments) or a 'command' (a shell line)"));
	}
	free(def->command);
	def->command = NULL;
	if (command != NULL) {
		if (!json_is_string(command) ||
		    json_string_length(command) == 0) {
			return submit_fail(cause,
			    xstrdup("'command' must be a non-empty string"));
		}
		def->command = xstrdup(json_string_value(command));
		json_object_set(spec, "command", command);
		return 0;
	}
	if (!json_is_array(run) || (n = json_array_size(run)) == 0) {
		return submit_fail(cause,
		    xstrdup("'run' must be a non-empty list of strings"));
	}
	def->argv = xcalloc(n + 1, sizeof *def->argv);
	json_array_foreach(run, i, v)
	{
		if (!json_is_string(v)) {
			return submit_fail(
			    cause, xstrdup("'run' must hold strings only"));
		}
		def->argv[i] = xstrdup(json_string_value(v));
	}
	json_object_set(spec, "run", run);
	return 0;
}

/* The fields of a job besides its command, into def and spec. */
static int
submit_fields(struct twd *twd, json_t *job, struct task_def *def, json_t *spec,
    char **cause)
{
	json_t *v;
	const char *s;
	int q, priority;

	if ((v = json_object_get(job, "name")) != NULL) {
		if (!json_is_string(v) ||
		    !config_task_name_valid(json_string_value(v))) {
			return submit_fail(cause,
			    xasprintf("name: '%s' is not a task name: 1 to %d "
			              "letters, digits, '-', '_' or '.'",
			        json_is_string(v) ? json_string_value(v) : "?",
			        TASK_NAME_MAX));
		}
		def->name = xstrdup(json_string_value(v));
		if (tasks_find(twd, def->name) != NULL) {
			return submit_fail(cause,
			    xasprintf("name: '%s' is a task of the tasks "
			              "file; run it with twctl run %s, or "
			              "give the job another name",
			        def->name, def->name));
		}
	} else {
		def->name = submit_default_name(def->argv != NULL
		        ? def->argv[0]
		        : def->command + strspn(def->command, " \t"));
	}
	json_object_set_new(spec, "name", json_string(def->name));
	if ((v = json_object_get(job, "cwd")) != NULL) {
		if (!json_is_string(v) || json_string_value(v)[0] != '/') {
			return submit_fail(
			    cause, xstrdup("cwd: must be an absolute path"));
		}
		free(def->policy->cwd);
		def->policy->cwd = xstrdup(json_string_value(v));
		json_object_set(spec, "cwd", v);
	}
	if ((v = json_object_get(job, "priority")) != NULL) {
		if (json_is_integer(v) && json_integer_value(v) >= 0 &&
		    json_integer_value(v) <= PRIORITY_CRITICAL) {
			priority = (int)json_integer_value(v);
		} else if (!json_is_string(v) ||
		    config_priority_parse(json_string_value(v), &priority) ==
		        -1) {
			return submit_fail(cause,
			    xstrdup("priority: must be critical, high, normal, "
			            "low or a number from 0 to 100"));
		}
		def->policy->priority = (int16_t)priority;
		json_object_set_new(
		    spec, "priority", json_integer(def->policy->priority));
	}
	if ((v = json_object_get(job, "queue")) != NULL) {
		s = json_is_string(v) ? json_string_value(v) : "?";
		if ((q = config_queue_index(twd->config, s)) == -1) {
			return submit_fail(cause,
			    xasprintf("queue: no queue named '%s' in the "
			              "tasks file",
			        s));
		}
		def->policy->queue = q;
		json_object_set(spec, "queue", v);
	}
	if ((v = json_object_get(job, "timeout")) != NULL) {
		/* In range before it is converted: 1e300 is no int64_t. */
		if (!json_is_number(v) || !(json_number_value(v) >= 1) ||
		    json_number_value(v) > (double)EVERY_MAX_SECS) {
			return submit_fail(cause,
			    xasprintf("timeout: must be a number of seconds "
			              "from 1 to %lld (3650d)",
			        (long long)EVERY_MAX_SECS));
		}
		def->policy->timeout_ms =
		    (int64_t)(json_number_value(v) * 1000);
		json_object_set(spec, "timeout", v);
	}
	return 0;
}

/*
 * The definition of a submitted job: the tasks file's defaults with what
 * the job says. spec is the job as it is kept, to outlive a restart.
 */
static struct task_def *
submit_def(struct twd *twd, json_t *job, json_t **spec, char **cause)
{
	struct task_def *def;

	if (!json_is_object(job)) {
		*cause = xstrdup("a job must be an object");
		return NULL;
	}
	def = task_def_copy(twd->config->defaults);
	free(def->name);
	def->name = NULL;
	def->policy->overlap = OVERLAP_ALLOW;
	def->policy->retries = 0; /* it runs once, as asked */
	def->enabled = 1;
	def->policy->starting_deadline_ms = 0;
	/* A batch of a thousand failing jobs must not be a thousand mails. */
	def->policy->notify_on = 0;
	*spec = json_object();
	if (submit_command(job, def, *spec, cause) == -1 ||
	    submit_fields(twd, job, def, *spec, cause) == -1) {
		json_decref(*spec);
		task_def_free(def);
		return NULL;
	}
	return def;
}

/* A task for one submitted job, owned by its run. */
static struct task *
task_adhoc(struct twd *twd, struct task_def *def)
{
	struct task *t = xcalloc(1, sizeof *t);

	t->twd = twd;
	t->def = def;
	t->own = 1;
	alarm_init(&t->alarm);
	return t;
}

/* Whether run id is queued or running here. */
static int
run_in_flight(struct twd *twd, int64_t id)
{
	struct active_run *ar;

	TAILQ_FOREACH(ar, &twd->runs, entry)
	{
		if (ar->rec.id == id) {
			return 1;
		}
	}
	TAILQ_FOREACH(ar, &twd->queued, entry)
	{
		if (ar->rec.id == id) {
			return 1;
		}
	}
	return 0;
}

/*
 * What a job waits for by its "after": a task of the file, or a run that
 * must succeed (0 in *after_run when it did already). Returns 0, or -1
 * with *cause.
 */
static int
submit_after(struct twd *twd, json_t *after, char **after_task,
    int64_t *after_run, char **cause)
{
	struct run_record r;
	char what[64];
	int rc;

	*after_task = NULL;
	*after_run = 0;
	if (after == NULL) {
		return 0;
	}
	if (json_is_string(after)) {
		if (tasks_find(twd, json_string_value(after)) == NULL) {
			return submit_fail(cause,
			    xasprintf("after: no task named '%s'",
			        json_string_value(after)));
		}
		*after_task = xstrdup(json_string_value(after));
		return 0;
	}
	if (!json_is_integer(after) || json_integer_value(after) < 1) {
		return submit_fail(
		    cause, xstrdup("after: must be a task name or a run id"));
	}
	*after_run = json_integer_value(after);
	if (run_in_flight(twd, *after_run)) {
		return 0;
	}
	if ((rc = history_get(twd->history, *after_run, &r, cause)) != 1) {
		return rc == 0
		    ? submit_fail(cause,
		          xasprintf(
		              "after: there is no run %" PRId64, *after_run))
		    : -1;
	}
	rc = r.status == RUN_OK ? 0 : -1;
	if (rc == -1) {
		*cause = xasprintf("after: run %" PRId64
		                   " did not succeed (%s); a job "
		                   "after it would never start",
		    r.id, run_describe(&r, what, sizeof what));
	}
	run_record_release(&r);
	*after_run = 0;
	return rc;
}

void
tasks_submit_undo(struct twd *twd, json_t *ids)
{
	struct active_run *ar, *next;
	json_t *v;
	size_t i;

	for (ar = TAILQ_FIRST(&twd->queued); ar != NULL; ar = next) {
		next = TAILQ_NEXT(ar, entry);
		json_array_foreach(ids, i, v)
		{
			if (json_integer_value(v) != ar->rec.id) {
				continue;
			}
			run_unqueue(twd, run_task(twd, ar), ar);
			history_forget_run(twd->history, ar->rec.id);
			log_info("run %" PRId64 " '%s' taken back: its submit "
			         "could not be recorded",
			    ar->rec.id, ar->rec.task);
			active_run_free(ar);
			break;
		}
	}
}

int
tasks_submit_check(struct twd *twd, json_t *job, char **cause)
{
	struct task_def *def;
	json_t *spec;
	char *after_task;
	int64_t after_run;
	int rc;

	if ((def = submit_def(twd, job, &spec, cause)) == NULL) {
		return -1;
	}
	rc = submit_after(
	    twd, json_object_get(job, "after"), &after_task, &after_run, cause);
	free(after_task);
	json_decref(spec);
	task_def_free(def);
	return rc;
}

int64_t
tasks_submit(struct twd *twd, json_t *job, char **cause)
{
	struct task_def *def;
	struct active_run *ar;
	struct task *t;
	json_t *spec;
	char *after_task;
	int64_t after_run;

	if (twd->stopping) {
		*cause = xstrdup("twd is shutting down");
		return -1;
	}
	if ((def = submit_def(twd, job, &spec, cause)) == NULL) {
		return -1;
	}
	if (submit_after(twd, json_object_get(job, "after"), &after_task,
	        &after_run, cause) == -1) {
		json_decref(spec);
		task_def_free(def);
		return -1;
	}
	if (json_object_get(job, "after") != NULL) {
		json_object_set(spec, "after", json_object_get(job, "after"));
	}
	t = task_adhoc(twd, def);
	ar = run_new(twd, t, RUN_TRIGGER_SUBMIT, 0, 1);
	ar->own = t;
	ar->rec.spec = json_dumps(spec, JSON_COMPACT);
	ar->after_task = after_task;
	ar->after_run = after_run;
	json_decref(spec);
	return run_record_queue(twd, ar->own, ar);
}

void
tasks_halt(struct twd *twd)
{
	size_t i;

	for (i = 0; i < twd->ntasks; i++) {
		alarm_cancel(twd->alarms, &twd->tasks[i]->alarm);
		twd->tasks[i]->next_ms = 0;
	}
}

/*
 * Stop the run in flight ar (its stop_reason set): its job, or, when that
 * has not begun, the start itself (run_spawn sees the reason).
 */
static void
run_stop(struct active_run *ar)
{
	if (ar->job != NULL) {
		job_stop(ar->job, ar->kill_grace_ms);
	}
}

/* Stop t's runs in flight (SIGTERM, SIGKILL after the kill grace). */
static void
tasks_stop_task(struct twd *twd, struct task *t, const char *reason)
{
	struct active_run *ar;

	TAILQ_FOREACH(ar, &twd->runs, entry)
	{
		if (strcmp(ar->rec.task, t->def->name) != 0) {
			continue;
		}
		if (ar->stop_reason == NULL) {
			ar->stop_reason = xstrdup(reason);
		}
		run_stop(ar);
	}
}

void
tasks_stop_runs(struct twd *twd, const char *reason)
{
	struct active_run *ar;

	TAILQ_FOREACH(ar, &twd->runs, entry)
	{
		if (ar->stop_reason == NULL) {
			ar->stop_reason = xstrdup(reason);
		}
		run_stop(ar);
	}
}

size_t
tasks_kill(struct twd *twd, const char *task, int64_t run_id, int sig)
{
	struct active_run *ar, *next;
	struct task *t;
	char name[32];
	size_t n = 0;

	TAILQ_FOREACH(ar, &twd->runs, entry)
	{
		if ((task != NULL && strcmp(ar->rec.task, task) != 0) ||
		    (run_id != 0 && ar->rec.id != run_id)) {
			continue;
		}
		if (ar->stop_reason == NULL) {
			ar->stop_reason =
			    xasprintf("killed with %s by twctl kill",
			        run_signal_name(sig, name, sizeof name));
		}
		if (sig == SIGTERM) {
			run_stop(ar);
		} else if (ar->job != NULL) {
			job_signal(ar->job, sig);
		}
		n++;
	}
	for (ar = TAILQ_FIRST(&twd->queued); ar != NULL; ar = next) {
		next = TAILQ_NEXT(ar, entry);
		if ((task != NULL && strcmp(ar->rec.task, task) != 0) ||
		    (run_id != 0 && ar->rec.id != run_id)) {
			continue;
		}
		t = run_task(twd, ar);
		run_unqueue(twd, t, ar);
		run_drop(twd, t, ar, RUN_KILLED,
		    xstrdup("taken off the queue by twctl kill"));
		n++;
	}
	return n;
}

void
tasks_pause(struct twd *twd, struct task *t, int paused)
{
	char *key = xasprintf("paused:%s", t->def->name);

	history_put_state(twd->history, key, paused ? "1" : "0");
	free(key);
	if (t->paused != paused) {
		log_info("task '%s' %s", t->def->name,
		    paused ? "paused" : "resumed");
	}
	t->paused = paused;
	task_changed(t);
	if (!paused) {
		tasks_dispatch(twd);
	}
}

static size_t
runs_count(const struct active_runs *list)
{
	const struct active_run *ar;
	size_t n = 0;

	TAILQ_FOREACH(ar, list, entry)
	{
		n++;
	}
	return n;
}

size_t
tasks_queued(const struct twd *twd)
{
	return runq_count(&twd->queue);
}

/* The ids of lost runs whose processes were found and killed. */
struct lost {
	int64_t *killed;
	size_t n;
};

static void
lost_kill(const struct run_record *r, void *arg)
{
	struct lost *l = arg;
	char *marker;

	if (r->pid <= 0) {
		return;
	}
	/* Each job has its run id in its environment: only ours die. */
	marker = xasprintf("TW_RUN_ID=%" PRId64, r->id);
	if (job_orphan_kill(r->pid, marker)) {
		log_warn("run %" PRId64 " '%s': its process group %d was "
		         "still running; killed",
		    r->id, r->task, r->pid);
		l->killed =
		    xreallocarray(l->killed, l->n + 1, sizeof *l->killed);
		l->killed[l->n++] = r->id;
	}
	free(marker);
}

int
tasks_close_lost(struct twd *twd, char **cause)
{
	struct history_filter f = { .status = "running", .limit = -1 };
	struct lost l = { NULL, 0 };
	struct run_record r;
	char *why;
	size_t i;
	int n, rc;

	if (history_query(twd->history, &f, lost_kill, &l, cause) == -1 ||
	    (n = history_mark_lost(twd->history, twd_now_ms(), cause)) == -1) {
		free(l.killed);
		return -1;
	}
	for (i = 0; i < l.n; i++) {
		if ((rc = history_get(twd->history, l.killed[i], &r, &why)) !=
		    1) {
			if (rc == -1) {
				log_error("%s", why);
				free(why);
			}
			continue;
		}
		free(r.reason);
		r.reason = xstrdup("twd stopped before the run finished; its "
		                   "processes were killed when twd started "
		                   "again");
		history_put_run(twd->history, &r);
		run_record_release(&r);
	}
	free(l.killed);
	return n;
}

/* A queued submitted job of the history: its task again, from its spec. */
static int
run_resubmit(struct twd *twd, struct active_run *ar, char **cause)
{
	struct task_def *def;
	json_error_t jerr;
	json_t *job, *spec;
	int rc = -1;

	if (ar->rec.spec == NULL ||
	    (job = json_loads(ar->rec.spec, 0, &jerr)) == NULL) {
		*cause = xstrdup("what it runs was not recorded");
		return -1;
	}
	/* Its name was checked when it came; a task may have it since. */
	json_object_del(job, "name");
	if ((def = submit_def(twd, job, &spec, cause)) != NULL) {
		free(def->name);
		def->name = xstrdup(ar->rec.task);
		ar->own = task_adhoc(twd, def);
		json_decref(spec);
		rc = submit_after(twd, json_object_get(job, "after"),
		    &ar->after_task, &ar->after_run, cause);
	}
	json_decref(job);
	return rc;
}

/* Collects the queued runs of the history, newest first. */
struct restore {
	struct run_record *v;
	size_t n;
};

static void
restore_collect(const struct run_record *r, void *arg)
{
	struct restore *rs = arg;

	rs->v = xreallocarray(rs->v, rs->n + 1, sizeof *rs->v);
	run_record_copy(&rs->v[rs->n++], r);
}

void
tasks_restore(struct twd *twd)
{
	struct history_filter f = { .status = "queued", .limit = -1 };
	struct restore rs = { NULL, 0 };
	struct active_run *ar;
	char *cause;
	size_t i;

	if (history_query(twd->history, &f, restore_collect, &rs, &cause) ==
	    -1) {
		log_error("cannot read the queued runs: %s", cause);
		free(cause);
		return;
	}
	/* Oldest first, so that equals keep their order. */
	for (i = rs.n; i-- > 0;) {
		ar = xcalloc(1, sizeof *ar);
		ar->twd = twd;
		ar->rec = rs.v[i];
		if (ar->rec.trigger == RUN_TRIGGER_SUBMIT) {
			if (run_resubmit(twd, ar, &cause) == -1) {
				run_drop(twd, NULL, ar, RUN_SKIPPED,
				    xasprintf("not taken up again after a "
				              "restart: %s",
				        cause));
				free(cause);
				continue;
			}
		} else if (run_task(twd, ar) == NULL) {
			run_drop(twd, NULL, ar, RUN_SKIPPED,
			    xstrdup("its task is no longer in the tasks "
			            "file"));
			continue;
		}
		run_queue(twd, run_task(twd, ar), ar);
	}
	free(rs.v);
	if (rs.n > 0) {
		log_info("%zu queued run(s) taken up again", rs.n);
	}
	tasks_dispatch(twd);
}

static json_t *
strv_json(char **v)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++) {
		json_array_append_new(a, json_string(v[i]));
	}
	return a;
}

json_t *
task_def_json(const struct task *t)
{
	const struct task_def *d = t->def;
	json_t *o = json_object(), *env = json_object(),
	       *limits = json_object(), *retry_on;
	char *eq, *key, buf[16];
	size_t i;

	if (d->argv != NULL) {
		json_object_set_new(o, "run", strv_json(d->argv));
	} else {
		json_object_set_new(o, "command", json_string(d->command));
		json_object_set_new(o, "shell",
		    d->policy->shell != NULL
		        ? strv_json(d->policy->shell)
		        : json_pack("[ss]", "/bin/sh", "-c"));
	}
	json_object_set_new(o, "cwd",
	    json_string(
	        d->policy->cwd != NULL ? d->policy->cwd : t->twd->home));
	for (i = 0; d->policy->env != NULL && d->policy->env[i] != NULL; i++) {
		eq = strchr(d->policy->env[i], '=');
		key = xstrndup(
		    d->policy->env[i], (size_t)(eq - d->policy->env[i]));
		json_object_set_new(env, key, json_string(eq + 1));
		free(key);
	}
	json_object_set_new(o, "env", env);
	json_object_set_new(o, "env_clear", json_boolean(d->policy->env_clear));
	json_object_set_new(o, "umask",
	    d->policy->umask >= 0 ? json_sprintf("%03o", d->policy->umask)
	                          : json_null());
	json_object_set_new(o, "nice", json_integer(d->policy->nice));
	for (i = 0; i < d->policy->nlimits; i++) {
		json_object_set_new(limits,
		    config_limit_name(d->policy->limits[i].resource),
		    json_integer((json_int_t)d->policy->limits[i].value));
	}
	json_object_set_new(o, "limits", limits);
	json_object_set_new(o, "timeout",
	    d->policy->timeout_ms > 0
	        ? json_real((double)d->policy->timeout_ms / 1000)
	        : json_null());
	json_object_set_new(o, "kill_grace",
	    json_real((double)d->policy->kill_grace_ms / 1000));
	json_object_set_new(
	    o, "max_output", json_integer(d->policy->max_output));
	json_object_set_new(o, "enabled", json_boolean(d->enabled));
	json_object_set_new(o, "priority",
	    json_string(
	        config_priority_name(d->policy->priority, buf, sizeof buf)));
	json_object_set_new(o, "queue",
	    d->policy->queue >= 0
	        ? json_string(t->twd->config->queues[d->policy->queue].name)
	        : json_null());
	json_object_set_new(
	    o, "overlap", json_string(config_overlap_name(d->policy->overlap)));
	json_object_set_new(o, "retries", json_integer(d->policy->retries));
	json_object_set_new(o, "retry_delay",
	    json_real((double)d->policy->retry_delay_ms / 1000));
	json_object_set_new(
	    o, "retry_backoff", json_real(d->policy->retry_backoff));
	json_object_set_new(o, "retry_max_delay",
	    json_real((double)d->policy->retry_max_delay_ms / 1000));
	retry_on = json_array();
	for (i = 0; i < d->policy->nretry_codes; i++) {
		json_array_append_new(
		    retry_on, json_integer(d->policy->retry_codes[i]));
	}
	if (d->policy->retry_flags & RETRY_ON_TIMEOUT) {
		json_array_append_new(retry_on, json_string("timeout"));
	}
	if (d->policy->retry_flags & RETRY_ON_START_FAILED) {
		json_array_append_new(retry_on, json_string("start_failed"));
	}
	if (d->policy->retry_flags & RETRY_ON_SIGNAL) {
		json_array_append_new(retry_on, json_string("signal"));
	}
	json_object_set_new(o, "retry_on", retry_on);
	json_object_set_new(o, "catch_up",
	    json_string(config_catch_up_name(d->policy->catch_up)));
	json_object_set_new(o, "description",
	    d->description != NULL ? json_string(d->description) : json_null());
	json_object_set_new(
	    o, "catch_up_max", json_integer(d->policy->catch_up_max));
	json_object_set_new(o, "starting_deadline",
	    d->policy->starting_deadline_ms > 0
	        ? json_real((double)d->policy->starting_deadline_ms / 1000)
	        : json_null());
	return o;
}

size_t
tasks_running(const struct twd *twd)
{
	return runs_count(&twd->runs);
}

void
tasks_free(struct twd *twd)
{
	struct active_run *ar;
	size_t i;

	while ((ar = TAILQ_FIRST(&twd->runs)) != NULL) {
		TAILQ_REMOVE(&twd->runs, ar, entry);
		active_run_free(ar);
	}
	/* Queued runs stay queued in the history for the next twd. */
	while ((ar = TAILQ_FIRST(&twd->queued)) != NULL) {
		TAILQ_REMOVE(&twd->queued, ar, entry);
		runq_remove(&twd->queue, &ar->qi);
		active_run_free(ar);
	}
	for (i = 0; i < twd->ntasks; i++) {
		task_free(twd->tasks[i]);
	}
	free(twd->tasks);
	twd->tasks = NULL;
	twd->ntasks = 0;
	config_free(twd->config);
	twd->config = NULL;
}

static const char *
task_state(const struct task *t)
{
	if (t->running > 0) {
		return "running";
	}
	if (t->paused) {
		return "paused";
	}
	if (t->queued > 0) {
		return "queued";
	}
	if (!t->def->enabled) {
		return "disabled";
	}
	if (t->def->schedule == NULL) {
		return t->def->after != NULL ? "after" : "manual";
	}
	if (schedule_is_reboot(t->def->schedule)) {
		return "boot";
	}
	if (t->next_ms == 0) {
		return t->twd->stopping ? "stopping" : "done";
	}
	return "scheduled";
}

json_t *
task_json(const struct task *t)
{
	json_t *o = json_object(), *waiting;
	char buf[128];

	json_object_set_new(o, "name", json_string(t->def->name));
	json_object_set_new(o, "command", json_string(t->def->command));
	json_object_set_new(o, "schedule",
	    t->def->schedule != NULL ? json_string(schedule_describe(
	                                   t->def->schedule, buf, sizeof buf))
	                             : json_null());
	json_object_set_new(o, "timezone",
	    t->def->tz != NULL ? json_string(tz_name(t->def->tz))
	                       : json_null());
	json_object_set_new(
	    o, "jitter", json_real((double)t->def->policy->jitter_ms / 1000));
	json_object_set_new(o, "state", json_string(task_state(t)));
	json_object_set_new(o, "next_run",
	    t->next_ms != 0
	        ? json_string(timefmt_iso(t->next_ms, buf, sizeof buf))
	        : json_null());
	json_object_set_new(o, "running", json_integer(t->running));
	json_object_set_new(o, "queued", json_integer(t->queued));
	json_object_set_new(o, "paused", json_boolean(t->paused));
	json_object_set_new(o, "timeout",
	    t->def->policy->timeout_ms > 0
	        ? json_real((double)t->def->policy->timeout_ms / 1000)
	        : json_null());
	if (t->def->after != NULL) {
		json_object_set_new(o, "after", strv_json(t->def->after));
		waiting = json_array();
		task_waiting_for(t->twd, t, waiting);
		json_object_set_new(o, "waiting_for", waiting);
	}
	json_object_set_new(o, "last_run",
	    t->last != NULL ? run_record_json(t->last) : json_null());
	return o;
}

static json_t *
fire_json(const struct task *t, const struct schedule_fire *f, int64_t at)
{
	json_t *o = json_object();
	char buf[128];

	json_object_set_new(o, "task", json_string(t->def->name));
	json_object_set_new(
	    o, "at", json_string(timefmt_iso(at, buf, sizeof buf)));
	json_object_set_new(o, "timezone",
	    t->def->tz != NULL ? json_string(tz_name(t->def->tz))
	                       : json_null());
	json_object_set_new(o, "note",
	    f->note != SCHEDULE_NOTE_NONE
	        ? json_string(schedule_note_text(f, buf, sizeof buf))
	        : json_null());
	return o;
}

/* Where a task's fires are, for the merge of tasks_next_fires. */
struct fire_cursor {
	const struct task *t;
	struct schedule_fire f;
	int64_t at; /* as shown: the first with its jitter as drawn */
};

static int
cursor_before(const struct fire_cursor *a, const struct fire_cursor *b)
{
	return a->at < b->at ||
	    (a->at == b->at && strcmp(a->t->def->name, b->t->def->name) < 0);
}

/* Restore the heap's order below i. */
static void
cursor_sift(struct fire_cursor *h, size_t n, size_t i)
{
	struct fire_cursor tmp;
	size_t least, l;

	for (;;) {
		least = i;
		l = 2 * i + 1;
		if (l < n && cursor_before(&h[l], &h[least])) {
			least = l;
		}
		if (l + 1 < n && cursor_before(&h[l + 1], &h[least])) {
			least = l + 1;
		}
		if (least == i) {
			return;
		}
		tmp = h[i];
		h[i] = h[least];
		h[least] = tmp;
		i = least;
	}
}

json_t *
tasks_next_fires(struct twd *twd, const struct task *only, int count)
{
	json_t *fires = json_array();
	struct fire_cursor *h;
	const struct task *t;
	size_t n = 0, i;

	/*
	 * Each task's fires come in order: merge them in a heap, count
	 * times log(tasks), not count fires of every task sorted.
	 */
	h = xreallocarray(NULL, twd->ntasks + 1, sizeof *h);
	for (i = 0; i < twd->ntasks; i++) {
		t = twd->tasks[i];
		if ((only == NULL || t == only) && t->next_ms != 0) {
			h[n].t = t;
			h[n].f = t->fire;
			h[n].at = t->next_ms;
			n++;
		}
	}
	for (i = n / 2; i-- > 0;) {
		cursor_sift(h, n, i);
	}
	while (count-- > 0 && n > 0) {
		t = h[0].t;
		json_array_append_new(fires, fire_json(t, &h[0].f, h[0].at));
		/* Later fires without jitter, from the rule's own time. */
		if (schedule_next_fire(t->def->schedule, h[0].f.at_ms,
		        h[0].f.at_ms, &h[0].f)) {
			h[0].at = h[0].f.at_ms;
		} else {
			h[0] = h[--n];
		}
		cursor_sift(h, n, 0);
	}
	free(h);
	return fires;
}

/*
 * @reboot tasks run when twd starts in a boot of the machine it has not
 * seen: the kernel's boot id, remembered in the history, tells.
 */
void
tasks_boot(struct twd *twd)
{
	const char *path = getenv("TW_BOOT_ID_FILE");
	char id[64] = "", *seen = NULL, *cause = NULL;
	size_t i, n = 0;
	FILE *fp;

	if (path == NULL) {
		path = "/proc/sys/kernel/random/boot_id";
	}
	if ((fp = fopen(path, "r")) == NULL ||
	    fgets(id, sizeof id, fp) == NULL) {
		log_warn("cannot read the boot id from %s; @reboot tasks will "
		         "not run",
		    path);
		if (fp != NULL) {
			fclose(fp);
		}
		return;
	}
	fclose(fp);
	id[strcspn(id, "\n")] = '\0';
	if (history_state_get(twd->history, "boot_id", &seen, &cause) == -1) {
		log_warn("%s; @reboot tasks will not run", cause);
		free(cause);
		return;
	}
	if (seen != NULL && strcmp(seen, id) == 0) {
		free(seen);
		return;
	}
	free(seen);
	/* Remember first: a crash must not make them run twice. */
	history_put_state(twd->history, "boot_id", id);
	if (history_failing(twd->history) != NULL) {
		log_warn("history: %s; @reboot tasks will not run",
		    history_failing(twd->history));
		return;
	}
	for (i = 0; i < twd->ntasks; i++) {
		if (twd->tasks[i]->def->schedule == NULL ||
		    !schedule_is_reboot(twd->tasks[i]->def->schedule)) {
			continue;
		}
		n++;
		if (tasks_run(twd, twd->tasks[i], RUN_TRIGGER_BOOT, 0, 0,
		        &cause) == -1) {
			log_warn(
			    "task '%s': %s", twd->tasks[i]->def->name, cause);
			free(cause);
		}
	}
	if (n > 0) {
		log_info("first start in this boot: %zu @reboot task%s", n,
		    n == 1 ? "" : "s");
	}
}

json_t *
tasks_run_tail(struct twd *twd, int64_t run_id)
{
	struct active_run *ar;
	json_t *lines;

	TAILQ_FOREACH(ar, &twd->runs, entry)
	{
		if (ar->rec.id == run_id) {
			lines = json_array();
			if (ar->job != NULL) {
				job_tail(ar->job, tail_collect, lines);
			}
			return lines;
		}
	}
	return NULL;
}

json_t *
tasks_run_json(struct twd *twd, int64_t run_id)
{
	struct active_run *ar;

	TAILQ_FOREACH(ar, &twd->runs, entry)
	{
		if (ar->rec.id == run_id) {
			return run_record_json(&ar->rec);
		}
	}
	return NULL;
}

/* "a; b" from two sentences (both taken; either may be NULL). */
static char *
why_join(char *a, char *b)
{
	char *s;

	if (a == NULL || b == NULL) {
		return a != NULL ? a : b;
	}
	s = xasprintf("%s; %s", a, b);
	free(a);
	free(b);
	return s;
}

/* What became of the run r, in words (caller frees). */
static char *
why_run(struct twd *twd, const struct run_record *r)
{
	char at[32], dur[32], what[64], *s, *wait;
	int64_t late =
	    r->scheduled_ms != 0 ? r->started_ms - r->scheduled_ms : 0;

	timefmt_local(r->started_ms, at, sizeof at);
	switch (r->status) {
	case RUN_SKIPPED:
		return xasprintf("it did not run: %s",
		    r->reason != NULL ? r->reason : "skipped");
	case RUN_QUEUED:
		wait = tasks_wait_reason(twd, r->id);
		s = xasprintf("run %" PRId64 " is queued since %s: %s", r->id,
		    at, wait != NULL ? wait : "it waits for a slot");
		free(wait);
		return s;
	case RUN_RUNNING:
		return xasprintf("run %" PRId64 " (%s) is running since %s, "
		                 "pid %d",
		    r->id, run_trigger_name(r->trigger), at, r->pid);
	case RUN_START_FAILED:
		return xasprintf("run %" PRId64 " could not start at %s: %s",
		    r->id, at, r->reason != NULL ? r->reason : "?");
	case RUN_LOST:
		return xasprintf("run %" PRId64 " started at %s, but %s", r->id,
		    at, r->reason != NULL ? r->reason : "it was lost");
	default:
		break;
	}
	if (r->attempt > 1) {
		s = xasprintf("run %" PRId64 " (%s, attempt %d) started at %s",
		    r->id, run_trigger_name(r->trigger), r->attempt, at);
	} else {
		s = xasprintf("run %" PRId64 " (%s) started at %s", r->id,
		    run_trigger_name(r->trigger), at);
	}
	if (late >= 1000) {
		s = why_join(s,
		    xasprintf("%s after its time",
		        duration_format_ms(late, dur, sizeof dur)));
	}
	s = why_join(s,
	    xasprintf("it ended %s after %s%s%s",
	        run_describe(r, what, sizeof what),
	        duration_format_ms(
	            r->duration_ms > 0 ? r->duration_ms : 0, dur, sizeof dur),
	        r->reason != NULL ? ": " : "",
	        r->reason != NULL ? r->reason : ""));
	return s;
}

/*
 * The fire or run of t at at_ms, in words: the run recorded for it, or
 * why there is none (caller frees). *run gets the record, if any.
 */
static char *
why_at(
    struct twd *twd, struct task *t, int64_t at_ms, json_t **run, char **cause)
{
	struct run_record before, after;
	int64_t fire = 0;
	char when[32], *s = NULL;
	int rc;

	if ((rc = history_around(
	         twd->history, t->def->name, at_ms, 0, &before, cause)) == -1) {
		return NULL;
	}
	/* A fire of the rule after the run found, up to at_ms, has none. */
	if (t->def->schedule != NULL) {
		fire = schedule_next(t->def->schedule,
		    rc == 1 ? (before.scheduled_ms != 0 ? before.scheduled_ms
		                                        : before.started_ms)
		            : at_ms - 1,
		    rc == 1 ? (before.scheduled_ms != 0 ? before.scheduled_ms
		                                        : before.started_ms)
		            : at_ms - 1);
		if (fire > at_ms) {
			fire = 0;
		}
	}
	if (rc == 1 && fire == 0) {
		*run = run_record_json(&before);
		s = why_run(twd, &before);
		run_record_release(&before);
		return s;
	}
	run_record_release(&before);
	if (fire == 0) {
		return xasprintf("it had not run by %s: no fire of its "
		                 "schedule had come, and no run was asked for",
		    timefmt_local(at_ms, when, sizeof when));
	}
	/* Fires missed while twd was down are told by one later record. */
	timefmt_local(fire, when, sizeof when);
	if ((rc = history_around(
	         twd->history, t->def->name, at_ms, 1, &after, cause)) == -1) {
		return NULL;
	}
	if (rc == 1 && after.status == RUN_SKIPPED && after.reason != NULL &&
	    (strstr(after.reason, " fires from ") != NULL ||
	        strstr(after.reason, " fire from ") != NULL)) {
		*run = run_record_json(&after);
		s = xasprintf("its fire at %s did not run: run %" PRId64
		              " records it: %s",
		    when, after.id, after.reason);
	} else {
		s = xasprintf("its fire at %s has no record: twd was not "
		              "running then and has not started since, or the "
		              "task was not in the tasks file",
		    when);
	}
	run_record_release(&after);
	return s;
}

/* What the next run of t waits for, in words (caller frees). */
static char *
why_next(struct twd *twd, struct task *t)
{
	const struct task_def *d = t->def;
	struct active_run *ar;
	json_t *waiting, *v;
	char when[32], rel[32], *s = NULL, *names, *prev;
	size_t i;
	int64_t now = twd_now_ms();

	if (!d->enabled) {
		return xasprintf("nothing is scheduled: the task is disabled "
		                 "(enabled: false); twctl run %s still runs it",
		    d->name);
	}
	if (t->paused) {
		s = xasprintf("no run starts: the task is paused (twctl resume "
		              "%s); its fires are recorded as skipped",
		    d->name);
	}
	TAILQ_FOREACH(ar, &twd->runs, entry)
	{
		if (run_task(twd, ar) == t) {
			s = why_join(s,
			    xasprintf("run %" PRId64 " is running%s",
			        ar->rec.id,
			        d->policy->overlap == OVERLAP_SKIP
			            ? " (overlap: skip: a fire while it runs "
			              "is skipped)"
			            : ""));
		}
	}
	TAILQ_FOREACH(ar, &twd->queued, entry)
	{
		if (run_task(twd, ar) == t) {
			names = tasks_wait_reason(twd, ar->rec.id);
			s = why_join(s,
			    xasprintf("run %" PRId64 " is queued: %s",
			        ar->rec.id,
			        names != NULL ? names : "it waits for a slot"));
			free(names);
		}
	}
	if (d->after != NULL) {
		waiting = json_array();
		task_waiting_for(twd, t, waiting);
		names = xstrdup("");
		json_array_foreach(waiting, i, v)
		{
			prev = names;
			names = xasprintf("%s%s%s", prev, i > 0 ? ", " : "",
			    json_string_value(v));
			free(prev);
		}
		s = why_join(s,
		    json_array_size(waiting) > 0
		        ? xasprintf("it runs when its after: tasks have "
		                    "succeeded; still waiting for %s",
		              names)
		        : xstrdup("its after: tasks have all succeeded"));
		free(names);
		json_decref(waiting);
	}
	if (d->schedule == NULL) {
		if (d->after == NULL) {
			s = why_join(s,
			    xasprintf("it has no schedule: it runs when asked "
			              "(twctl run %s)",
			        d->name));
		}
	} else if (t->next_ms != 0) {
		s = why_join(s,
		    xasprintf("its next fire is at %s (%s)",
		        timefmt_local(t->fire.at_ms, when, sizeof when),
		        timefmt_relative(t->next_ms, now, rel, sizeof rel)));
	} else if (schedule_is_reboot(d->schedule)) {
		s = why_join(s, xstrdup("it runs once each boot (@reboot)"));
	} else {
		s = why_join(s, xstrdup("its schedule has no more fires"));
	}
	return s != NULL ? s : xstrdup("nothing is in its way");
}

json_t *
tasks_why(struct twd *twd, struct task *t, int64_t at_ms, char **cause)
{
	json_t *o = json_object(), *run = NULL;
	char *last, *next;

	last = why_at(twd, t, at_ms != 0 ? at_ms : twd_now_ms(), &run, cause);
	if (last == NULL) {
		json_decref(o);
		return NULL;
	}
	json_object_set_new(o, "task", json_string(t->def->name));
	json_object_set_new(o, "last", json_string(last));
	json_object_set_new(o, "run", run != NULL ? run : json_null());
	if (at_ms == 0) {
		next = why_next(twd, t);
		json_object_set_new(o, "next", json_string(next));
		free(next);
	}
	free(last);
	return o;
}
