/*
 * Why, in words: what a queued run waits for, and why a task did or did
 * not run at an instant (twctl why).
 */

#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "duration.h"
#include "history.h"
#include "tasks.h"
#include "tasks-int.h"
#include "timefmt.h"
#include "watch.h"
#include "xmalloc.h"

/*
 * Why run ar of t (queued, to run here) does not fit the capacity, in
 * words; NULL when it does.
 */
static char *
capacity_reason(
    struct tasks *ts, const struct active_run *ar, const struct task *t)
{
	const struct capacity_def *cap = &ts->config->capacity;
	struct admit_need need = dispatch_need(t), theirs;
	const struct active_run *other;
	char buf[128], dur[32];
	struct admit a;
	size_t i;

	if (!cap->on) {
		return NULL;
	}
	admit_init(&a, cap);
	TAILQ_FOREACH(other, &ts->runs, entry)
	{
		admit_take(&a, &other->need);
	}
	if (admit_shortfall(&a, &need, buf, sizeof buf) != NULL) {
		return xasprintf("it %s", buf);
	}
	/* A run ahead of it that waited past the backfill holds room. */
	for (i = ts->queue.head; i < ts->queue.n; i++) {
		other = ts->queue.v[i]->data;
		if (other == ar) {
			break;
		}
		theirs = dispatch_need(active_task(ts, other));
		if (other->blocked_ms != 0 &&
		    tw_now(&ts->clock) - other->blocked_ms >=
		        cap->backfill_ms &&
		    !admit_fits(&a, &theirs)) {
			admit_take(&a, &theirs);
			if (!admit_fits(&a, &need)) {
				return xasprintf(
				    "run %" PRId64 ", ahead of it, has "
				    "waited for room longer than the "
				    "capacity's backfill of %s: what it "
				    "needs is kept for it",
				    other->rec.id,
				    duration_format_ms(
				        cap->backfill_ms, dur, sizeof dur));
			}
			break;
		}
	}
	return NULL;
}

char *
tasks_wait_reason(struct tasks *ts, int64_t run_id)
{
	struct active_run *ar, *other;
	struct task *t, *ot;
	char when[TIMEFMT_ISO_LEN], rel[32], *why;
	size_t running = 0, in_lane = 0;
	const struct executor_def *ex;
	int q, e, oe;

	TAILQ_FOREACH(ar, &ts->queued, entry)
	{
		if (ar->rec.id == run_id) {
			break;
		}
	}
	if (ar == NULL || (t = active_task(ts, ar)) == NULL) {
		return NULL;
	}
	if ((why = tasks_pause_reason(ts, t)) != NULL) {
		return why;
	}
	if (ar->after_run != 0) {
		return xasprintf(
		    "it waits for run %" PRId64 " to succeed", ar->after_run);
	}
	if (ar->after_task != NULL && !dispatch_after_task_done(ts, ar)) {
		return xasprintf(tasks_find(ts, ar->after_task) != NULL
		        ? "it waits for task '%s' to succeed"
		        : "it waits for task '%s', which is no longer in the "
		          "tasks file (twctl kill the run to drop it)",
		    ar->after_task);
	}
	if (ar->rec.not_before_ms > tw_now(&ts->clock)) {
		return xasprintf(ar->rec.attempt > 1
		        ? "it waits to retry until %s (%s)"
		        : "it waits until %s (%s), as it was asked to",
		    timefmt_local(ar->rec.not_before_ms, when, sizeof when),
		    timefmt_relative(ar->rec.not_before_ms, tw_now(&ts->clock),
		        rel, sizeof rel));
	}
	if (ts->halted) {
		return xstrdup("twd is shutting down");
	}
	if (history_failing(ts->history) != NULL) {
		return xasprintf("twd cannot write its history (%s); runs "
		                 "start once it can",
		    history_failing(ts->history));
	}
	q = t->def->policy->queue;
	e = t->def->policy->executor;
	TAILQ_FOREACH(other, &ts->runs, entry)
	{
		ot = active_task(ts, other);
		if (strcmp(other->rec.task, t->def->name) == 0 && !ar->force &&
		    t->def->policy->overlap != OVERLAP_ALLOW) {
			return xasprintf("run %" PRId64 " of its task is still "
			                 "running (overlap: %s)",
			    other->rec.id,
			    config_overlap_name(t->def->policy->overlap));
		}
		oe = ot != NULL ? ot->def->policy->executor : -1;
		if (oe == e) {
			running++; /* on the same machine */
		}
		if (q >= 0 && ot != NULL && ot->def->policy->queue == q) {
			in_lane++;
		}
	}
	if (q >= 0 && in_lane >= (size_t)ts->config->queues[q].max_concurrent) {
		return xasprintf("queue '%s' is full (%zu running, its "
		                 "max_concurrent)",
		    ts->config->queues[q].name, in_lane);
	}
	if ((ex = config_executor(ts->config, t->def)) != NULL) {
		if (ex->max_concurrent > 0 &&
		    running >= (size_t)ex->max_concurrent) {
			return xasprintf("executor '%s' is full (%zu running, "
			                 "its max_concurrent)",
			    ex->name, running);
		}
	} else if (running >= (size_t)ts->config->max_concurrent) {
		return xasprintf("all %d slots are taken (max_concurrent)",
		    ts->config->max_concurrent);
	}
	if (ex == NULL &&
	    ((why = dispatch_pressure(t)) != NULL ||
	        (why = capacity_reason(ts, ar, t)) != NULL)) {
		return why;
	}
	return xstrdup("runs of higher priority, or queued earlier, go first");
}

/* "a; b" from two sentences (both taken; either may be NULL). */
char *
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
why_run(struct tasks *ts, const struct run_record *r)
{
	char at[32], dur[32], what[64], *s, *wait, *change;
	int64_t late =
	    r->scheduled_ms != 0 ? r->started_ms - r->scheduled_ms : 0;

	timefmt_local(r->started_ms, at, sizeof at);
	switch (r->status) {
	case RUN_SKIPPED:
		return xasprintf("it did not run: %s",
		    r->reason != NULL ? r->reason : "skipped");
	case RUN_QUEUED:
		wait = tasks_wait_reason(ts, r->id);
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
	if ((change = run_change_text(r)) != NULL) {
		s = why_join(s, xasprintf("it ran because %s", change));
		free(change);
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
    struct tasks *ts, struct task *t, int64_t at_ms, json_t **run, char **cause)
{
	struct run_record before, after;
	int64_t fire = 0;
	char when[32], *s = NULL;
	int rc;

	if ((rc = history_around(
	         ts->history, t->def->name, at_ms, 0, &before, cause)) == -1) {
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
		s = why_run(ts, &before);
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
	         ts->history, t->def->name, at_ms, 1, &after, cause)) == -1) {
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
why_next(struct tasks *ts, struct task *t)
{
	const struct task_def *d = t->def;
	struct active_run *ar;
	json_t *waiting, *v;
	char when[32], rel[32], *s = NULL, *names, *prev;
	size_t i;
	int64_t now = tw_now(&ts->clock);

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
	TAILQ_FOREACH(ar, &ts->runs, entry)
	{
		if (active_task(ts, ar) == t) {
			s = why_join(s,
			    xasprintf("run %" PRId64 " is running%s",
			        ar->rec.id,
			        d->policy->overlap == OVERLAP_SKIP
			            ? " (overlap: skip: a fire while it runs "
			              "is skipped)"
			            : ""));
		}
	}
	TAILQ_FOREACH(ar, &ts->queued, entry)
	{
		if (active_task(ts, ar) == t) {
			names = tasks_wait_reason(ts, ar->rec.id);
			s = why_join(s,
			    xasprintf("run %" PRId64 " is queued: %s",
			        ar->rec.id,
			        names != NULL ? names : "it waits for a slot"));
			free(names);
		}
	}
	if (d->after != NULL) {
		waiting = json_array();
		task_waiting_for(ts, t, waiting);
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
	if (d->on != NULL) {
		names = config_trigger_text(d->on);
		s = why_join(s, xasprintf("it runs %s", names));
		free(names);
		if (t->watch != NULL && watch_problem(t->watch) != NULL) {
			s = why_join(s,
			    xasprintf("but its trigger is not all watched: %s",
			        watch_problem(t->watch)));
		}
	}
	if (d->schedule == NULL) {
		if (d->after == NULL && d->on == NULL) {
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
tasks_why(struct tasks *ts, struct task *t, int64_t at_ms, char **cause)
{
	json_t *o = json_object(), *run = NULL;
	char *last, *next;

	last =
	    why_at(ts, t, at_ms != 0 ? at_ms : tw_now(&ts->clock), &run, cause);
	if (last == NULL) {
		json_decref(o);
		return NULL;
	}
	json_object_set_new(o, "task", json_string(t->def->name));
	json_object_set_new(o, "last", json_string(last));
	json_object_set_new(o, "run", run != NULL ? run : json_null());
	if (at_ms == 0) {
		next = why_next(ts, t);
		json_object_set_new(o, "next", json_string(next));
		free(next);
	}
	free(last);
	return o;
}
