/*
 * The queue: a run waits here for its turn (priority, the limits of its
 * task, its queue and twd), for the run it comes after, or for its retry's
 * backoff; a dispatch pass starts every run that may start.
 */

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "cgroup.h"
#include "config.h"
#include "duration.h"
#include "psi.h"
#include "history.h"
#include "log.h"
#include "tasks.h"
#include "tasks-int.h"
#include "xmalloc.h"

/* Take a queued run off the queue (it is still to be freed or started). */
void
dispatch_unqueue(struct tasks *ts, struct task *t, struct active_run *ar)
{
	runq_remove(&ts->queue, &ar->qi);
	TAILQ_REMOVE(&ts->queued, ar, entry);
	t->queued--;
	if (ar->after_run != 0) {
		ts->nafter_run--;
	}
}

/* Take every queued run of t off the queue, recorded as status. */
size_t
task_unqueue_all(struct tasks *ts, struct task *t, enum run_status status,
    const char *reason)
{
	struct active_run *ar, *next;
	size_t n = 0;

	for (ar = TAILQ_FIRST(&ts->queued); ar != NULL; ar = next) {
		next = TAILQ_NEXT(ar, entry);
		if (strcmp(ar->rec.task, t->def->name) == 0) {
			dispatch_unqueue(ts, t, ar);
			active_drop(ts, t, ar, status, xstrdup(reason));
			n++;
		}
	}
	return n;
}

/* The newest run of t in flight or queued, or NULL. */
static struct active_run *
task_previous(struct tasks *ts, struct task *t)
{
	struct active_run *ar, *found = NULL;

	if (t->running == 0 && t->queued == 0) {
		return NULL;
	}
	TAILQ_FOREACH(ar, &ts->runs, entry)
	{
		if (strcmp(ar->rec.task, t->def->name) == 0) {
			found = ar;
		}
	}
	TAILQ_FOREACH(ar, &ts->queued, entry)
	{
		if (strcmp(ar->rec.task, t->def->name) == 0) {
			found = ar;
		}
	}
	return found;
}

/* Put the recorded run ar of t in the queue. */
void
dispatch_queue(struct tasks *ts, struct task *t, struct active_run *ar)
{
	const struct run_record *r = &ar->rec;

	if (ar->queued_ms == 0) {
		ar->queued_ms = r->started_ms; /* queued at, until it starts */
	}
	ar->qi.priority = t->def->policy->priority;
	ar->qi.due_ms = r->scheduled_ms != 0 ? r->scheduled_ms : r->started_ms;
	ar->qi.not_before_ms = r->not_before_ms;
	ar->qi.data = ar;
	runq_push(&ts->queue, &ar->qi);
	TAILQ_INSERT_TAIL(&ts->queued, ar, entry);
	t->queued++;
	if (ar->after_run != 0) {
		ts->nafter_run++;
	}
}

/* While the history is failing, why ar cannot start (once). */
void
dispatch_hold(struct tasks *ts, struct active_run *ar)
{
	const char *why = history_failing(ts->history);

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
int64_t
dispatch_record_queue(struct tasks *ts, struct task *t, struct active_run *ar)
{
	struct run_record *r = &ar->rec;

	history_put_run(ts->history, r);
	/* A job's environment is the history's from its insert on. */
	free(r->env);
	r->env = NULL;
	dispatch_hold(ts, ar);
	dispatch_queue(ts, t, ar);
	task_set_last(t, r);
	t->last_queued_ms = r->started_ms;
	tasks_publish_run(ts, PROTO_EV_RUN_QUEUED, r);
	return r->id;
}

/* As dispatch_record_queue, and start it if it may start now. */
int64_t
dispatch_enqueue(struct tasks *ts, struct task *t, struct active_run *ar)
{
	int64_t id = dispatch_record_queue(ts, t, ar);

	tasks_dispatch(ts);
	return id;
}

/*
 * The tasks of t's after: that have not succeeded since t's newest run was
 * queued, appended to out when not NULL. Returns how many.
 */
size_t
task_waiting_for(struct tasks *ts, const struct task *t, json_t *out)
{
	const struct task *dep;
	size_t i, n = 0;

	for (i = 0; t->def->after != NULL && t->def->after[i] != NULL; i++) {
		dep = tasks_find(ts, t->def->after[i]);
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
void
tasks_after(struct tasks *ts, struct task *done)
{
	struct task *t;
	char *cause = NULL;
	size_t i;

	for (i = 0; i < ts->ntasks; i++) {
		t = ts->tasks[i];
		if (!task_def_after(t->def, done->def->name) ||
		    task_waiting_for(ts, t, NULL) > 0) {
			continue;
		}
		if (tasks_run(ts, t, RUN_TRIGGER_DEPENDENCY, 0, 0, &cause) ==
		    -1) {
			log_warn("task '%s': %s", t->def->name, cause);
			free(cause);
		}
	}
}

/* Whether the task a submitted job waits for has succeeded since. */
int
dispatch_after_task_done(struct tasks *ts, const struct active_run *ar)
{
	const struct task *dep = tasks_find(ts, ar->after_task);

	/* started_ms is when it was queued, until it starts. */
	return dep != NULL && dep->last_ok_ms >= ar->rec.started_ms;
}

/* For runq_next: whether a queued run may start now. */
struct dispatch {
	struct tasks *ts;
	int64_t now;
	int *lane;             /* runs in flight per queue of the config */
	int *away;             /* and per executor */
	size_t here;           /* in flight on this machine: max_concurrent's */
	int away_free;         /* an executor has a free slot */
	struct admit admit;    /* the capacity here, taken and reserved */
	double psi[PSI_KINDS]; /* read once a pass, at need; -2: not yet */
	int pressed;           /* a run waits for the pressure to ease */
};

/* How often PSI is read again while a run waits for it to ease. */
#define PRESSURE_RECHECK_MS 2000

struct admit_need
dispatch_need(const struct task *t)
{
	struct admit_need n = { 0, 0 };

	if (t != NULL && t->def->policy->executor < 0) {
		n.mcpus = t->def->policy->res_mcpus;
		n.memory = t->def->policy->res_memory;
	}
	return n;
}

/* The pressure bounds of t: {cpu, memory, io}, 0 where none. */
static void
task_bounds(const struct task *t, int bound[PSI_KINDS])
{
	bound[PSI_CPU] = t->def->policy->press_cpu;
	bound[PSI_MEMORY] = t->def->policy->press_memory;
	bound[PSI_IO] = t->def->policy->press_io;
}

/* Which bound of t the pressure psi (read or not yet: -2) is above. */
static int
pressure_over(const struct task *t, double psi[PSI_KINDS])
{
	int bound[PSI_KINDS], k;

	task_bounds(t, bound);
	for (k = 0; k < PSI_KINDS; k++) {
		if (bound[k] == 0) {
			continue;
		}
		if (psi[k] == -2) {
			psi[k] = psi_some_avg10((enum psi_kind)k);
		}
		if (psi[k] > bound[k]) {
			return k;
		}
	}
	return -1;
}

char *
dispatch_pressure(const struct task *t)
{
	double psi[PSI_KINDS] = { -2, -2, -2 };
	int bound[PSI_KINDS], k = pressure_over(t, psi);

	if (k < 0) {
		return NULL;
	}
	task_bounds(t, bound);
	return xasprintf("the machine's %s pressure is %.1f%% (PSI some "
	                 "avg10), above its bound of %d%%",
	    psi_name((enum psi_kind)k), psi[k], bound[k]);
}

/* Whether run ar of t would be let start by the slots of d. */
static int
dispatch_slot(const struct dispatch *d, const struct task *t)
{
	const struct config *c = d->ts->config;
	int q = t->def->policy->queue, e = t->def->policy->executor;

	if (q >= 0 &&
	    (d->ts->queue_paused[q] ||
	        d->lane[q] >= c->queues[q].max_concurrent)) {
		return 0;
	}
	/* A run elsewhere takes its executor's slot, not this machine's. */
	if (e >= 0 && (size_t)e < c->nexecutors) {
		return c->executors[e].max_concurrent == 0 ||
		    d->away[e] < c->executors[e].max_concurrent;
	}
	return d->here < (size_t)c->max_concurrent;
}

/* Count run ar of t as in flight in d. */
static void
dispatch_count(struct dispatch *d, const struct task *t)
{
	const struct config *c = d->ts->config;
	int q = t->def->policy->queue, e = t->def->policy->executor;
	size_t i;

	if (q >= 0) {
		d->lane[q]++;
	}
	if (e < 0 || (size_t)e >= c->nexecutors) {
		d->here++;
		return;
	}
	d->away[e]++;
	d->away_free = 0;
	for (i = 0; i < c->nexecutors; i++) {
		if (c->executors[i].max_concurrent == 0 ||
		    d->away[i] < c->executors[i].max_concurrent) {
			d->away_free = 1;
		}
	}
}

/* The machine's pressure and the capacity: whether ar of t may start. */
static int
dispatch_admit(struct dispatch *d, struct active_run *ar, const struct task *t)
{
	struct admit_need need = dispatch_need(t);
	char *never;

	/* A run elsewhere takes nothing of this machine. */
	if (t->def->policy->executor >= 0) {
		return 1;
	}
	/* The capacity shrank under it: let the pass drop it, saying why. */
	if ((never = capacity_never_fits(
	         &d->ts->config->capacity, t->def->policy)) != NULL) {
		free(never);
		return 1;
	}
	if (pressure_over(t, d->psi) >= 0) {
		d->pressed = 1;
		return 0;
	}
	return admit_try(&d->admit, &need, ar, &ar->blocked_ms, d->now);
}

static int
dispatch_accept(const struct runq_item *it, void *arg)
{
	const struct dispatch *d = arg;
	const struct active_run *ar = it->data;
	const struct task *t = active_task(d->ts, ar);

	if (t == NULL || t->paused || ar->after_run != 0 ||
	    (t->own && d->ts->submits_paused) ||
	    (ar->after_task != NULL && !dispatch_after_task_done(d->ts, ar))) {
		return 0;
	}
	if (!ar->force && t->def->policy->overlap != OVERLAP_ALLOW &&
	    t->running > 0) {
		return 0;
	}
	if (!dispatch_slot(d, t)) {
		return 0;
	}
	return dispatch_admit((struct dispatch *)d, it->data, t);
}

/* Whether a fire's run would start too late after its time. */
static int
dispatch_past_deadline(
    const struct task *t, const struct run_record *r, int64_t now)
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
 * after it dropped) may ask for a dispatch again: ts->dispatch_again.
 */
static void
dispatch_pass(struct tasks *ts, int64_t now)
{
	struct dispatch d;
	char dur[32];
	struct active_run *ar;
	struct runq_item *it;
	struct task *t;
	char *never;
	int k;

	memset(&d, 0, sizeof d);
	d.ts = ts;
	d.now = now;
	for (k = 0; k < PSI_KINDS; k++) {
		d.psi[k] = -2;
	}
	admit_init(&d.admit, &ts->config->capacity);
	d.lane = xcalloc(ts->config->nqueues + 1, sizeof *d.lane);
	d.away = xcalloc(ts->config->nexecutors + 1, sizeof *d.away);
	d.away_free = ts->config->nexecutors > 0;
	TAILQ_FOREACH(ar, &ts->runs, entry)
	{
		if ((t = active_task(ts, ar)) != NULL) {
			dispatch_count(&d, t);
		} else {
			d.here++;
		}
		/* What it took when it started, whatever its task says now. */
		admit_take(&d.admit, &ar->need);
	}
	/* While some slot is free: this machine's, or an executor's. */
	while ((d.here < (size_t)ts->config->max_concurrent || d.away_free) &&
	    (it = runq_next(&ts->queue, now, dispatch_accept, &d)) != NULL) {
		ar = it->data;
		t = active_task(ts, ar);
		dispatch_unqueue(ts, t, ar);
		if (dispatch_past_deadline(t, &ar->rec, now)) {
			active_drop(ts, t, ar, RUN_SKIPPED,
			    xasprintf("waited in the queue past its starting "
			              "deadline of %s",
			        duration_format_ms(
			            t->def->policy->starting_deadline_ms, dur,
			            sizeof dur)));
			continue;
		}
		if ((never = capacity_never_fits(
		         &ts->config->capacity, t->def->policy)) != NULL) {
			active_drop(ts, t, ar, RUN_SKIPPED, never);
			continue;
		}
		dispatch_count(&d, t);
		ar->need = dispatch_need(t);
		ar->blocked_ms = 0;
		admit_take(&d.admit, &ar->need);
		active_start(ts, t, ar);
	}
	free(d.lane);
	free(d.away);
	/* PSI eases on its own: look again while something waits for it. */
	if (d.pressed && !evtimer_pending(ts->ev_pressure, NULL)) {
		struct timeval tv = { PRESSURE_RECHECK_MS / 1000,
			(PRESSURE_RECHECK_MS % 1000) * 1000 };

		evtimer_add(ts->ev_pressure, &tv);
	}
}

void
tasks_dispatch(struct tasks *ts)
{
	struct timeval tv;
	int64_t now, at;

	/* No job starts whose run could not be recorded: none while failing. */
	if (ts->halted || ts->config == NULL ||
	    history_failing(ts->history) != NULL) {
		return;
	}
	/*
	 * Not within itself: a pass counts the slots it fills, so one nested
	 * in it would fill them twice. The outer pass runs again instead.
	 */
	if (ts->dispatching) {
		ts->dispatch_again = 1;
		return;
	}
	/* The starts it records begin their jobs once they are written. */
	tasks_batch_begin(ts);
	ts->dispatching = 1;
	do {
		ts->dispatch_again = 0;
		now = tw_now(&ts->clock);
		dispatch_pass(ts, now);
	} while (ts->dispatch_again && !ts->halted);
	ts->dispatching = 0;
	/* Wake up when the first held-back run may go. */
	evtimer_del(ts->ev_wakeup);
	if ((at = runq_wakeup(&ts->queue, now)) != 0) {
		tv.tv_sec = (time_t)((at - now) / 1000);
		tv.tv_usec = (suseconds_t)((at - now) % 1000) * 1000;
		evtimer_add(ts->ev_wakeup, &tv);
	}
	tasks_batch_end(ts, NULL);
}

void
dispatch_wakeup(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	tasks_dispatch(arg);
}

int64_t
tasks_run(struct tasks *ts, struct task *t, enum run_trigger trigger,
    int64_t scheduled_ms, int force, char **cause)
{
	struct active_run *ar;

	if (ts->halted) {
		*cause = xstrdup("twd is shutting down");
		return -1;
	}
	ar = active_new(ts, t, trigger, scheduled_ms, 1);
	ar->force = force;
	return dispatch_run(ts, t, ar);
}

int64_t
dispatch_run(struct tasks *ts, struct task *t, struct active_run *ar)
{
	struct active_run *prev;
	int force = ar->force;
	int64_t id;

	if (!force && t->paused && ar->rec.trigger != RUN_TRIGGER_MANUAL) {
		active_drop(
		    ts, t, ar, RUN_SKIPPED, xstrdup("the task is paused"));
		return t->last->id; /* the record of the drop */
	}
	if (!force && (prev = task_previous(ts, t)) != NULL) {
		switch (t->def->policy->overlap) {
		case OVERLAP_SKIP:
			active_drop(ts, t, ar, RUN_SKIPPED,
			    xasprintf("overlap: skip: run %" PRId64
			              " is still %s",
			        prev->rec.id,
			        run_status_name(prev->rec.status)));
			return t->last->id;
		case OVERLAP_REPLACE:
			task_unqueue_all(ts, t, RUN_SKIPPED,
			    "overlap: replace: a newer run took its place");
			tasks_stop_task(ts, t,
			    "overlap: replace: a newer run took its place");
			break;
		case OVERLAP_QUEUE:
		case OVERLAP_ALLOW:
			break;
		}
	}
	id = dispatch_enqueue(ts, t, ar);
	return id;
}

/* One run of the queue view: its record, where it is, what it waits for. */
static json_t *
queue_run_json(struct tasks *ts, struct active_run *ar, size_t position)
{
	struct task *t = active_task(ts, ar);
	json_t *o = run_record_json(&ar->rec);
	char *why;
	int q = t != NULL ? t->def->policy->queue : -1;

	json_object_set_new(o, "queue",
	    q >= 0 ? json_string(ts->config->queues[q].name) : json_null());
	json_object_set_new(o, "submitted", json_boolean(ar->own != NULL));
	json_object_set_new(o, "position",
	    position > 0 ? json_integer((json_int_t)position) : json_null());
	why = position > 0 ? tasks_wait_reason(ts, ar->rec.id) : NULL;
	json_object_set_new(
	    o, "waiting", why != NULL ? json_string(why) : json_null());
	free(why);
	return o;
}

json_t *
tasks_queue_json(struct tasks *ts)
{
	json_t *runs = json_array();
	struct active_run *ar;
	size_t i;

	TAILQ_FOREACH(ar, &ts->runs, entry)
	{
		json_array_append_new(runs, queue_run_json(ts, ar, 0));
	}
	/* The queue holds them in the order they would start. */
	for (i = ts->queue.head; i < ts->queue.n; i++) {
		ar = ts->queue.v[i]->data;
		json_array_append_new(
		    runs, queue_run_json(ts, ar, i - ts->queue.head + 1));
	}
	return runs;
}

json_t *
tasks_capacity_json(struct tasks *ts)
{
	const struct capacity_def *cap =
	    ts->config != NULL ? &ts->config->capacity : NULL;
	const struct active_run *ar;
	struct admit a;
	const char *off = cgroups_off(ts->cgroups);
	json_t *o = json_object();

	if (cap != NULL && cap->on) {
		admit_init(&a, cap);
		TAILQ_FOREACH(ar, &ts->runs, entry)
		{
			admit_take(&a, &ar->need);
		}
		json_object_set_new(o, "capacity",
		    json_pack("{s:o, s:o, s:f, s:I, s:o, s:f}", "cpus",
		        cap->mcpus > 0 ? json_real((double)cap->mcpus / 1000)
		                       : json_null(),
		        "memory",
		        cap->memory > 0 ? json_integer(cap->memory)
		                        : json_null(),
		        "cpus_used", (double)a.used.mcpus / 1000, "memory_used",
		        (json_int_t)a.used.memory, "swap",
		        cap->swap >= 0 ? json_integer(cap->swap) : json_null(),
		        "backfill", (double)cap->backfill_ms / 1000));
	} else {
		json_object_set_new(o, "capacity", json_null());
	}
	json_object_set_new(o, "cgroups",
	    json_pack("{s:b, s:o, s:o}", "on", off == NULL, "root",
	        off == NULL ? json_string(cgroups_root(ts->cgroups))
	                    : json_null(),
	        "off", off != NULL ? json_string(off) : json_null()));
	return o;
}
