/*
 * The task set: a task for each of the config's, made and swapped on
 * reload (tasks_diff, tasks_apply), found by name, stopped, killed and
 * paused, and shown as JSON. The stages of a run live beside it: fire.c,
 * dispatch.c, runs.c, submit.c, recover.c, retention.c, explain.c.
 */

#include <limits.h>
#include <signal.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "history.h"
#include "log.h"
#include "notifiers.h"
#include "tasks.h"
#include "tasks-int.h"
#include "timefmt.h"
#include "cgroup.h"
#include "watch.h"
#include "xmalloc.h"

static void pauses_load(struct tasks *);

/* Tell subscribers the task's state or next fire is new. */
void
task_changed(struct task *t)
{
	if (t->own ||
	    !tw_wants(&t->ts->events, PROTO_EV_TASK_CHANGED, t->def->name, 0)) {
		return;
	}
	tw_publish(&t->ts->events, PROTO_EV_TASK_CHANGED, t->def->name, 0, 0,
	    task_json(t));
}

static void
last_ok(const struct run_record *r, void *arg)
{
	struct task *t = arg;

	t->last_ok_ms = r->finished_ms;
}

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

/* A task of def, with what the history remembers of it; known may be NULL. */
static struct task *
task_new(
    struct tasks *ts, const struct task_def *def, const struct known *known)
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

	t->ts = ts;
	t->def = def;
	alarm_init(&t->alarm);
	/* The history remembers the grid and the last result across restarts. */
	memset(&last, 0, sizeof last);
	if (!known_has(known, def->name)) {
		/* Never ran. */
	} else if (history_last_fire(ts->history, def->name, &t->last_fire_ms,
	               &cause) == -1 ||
	    (rc = history_last(ts->history, def->name, &last, &cause)) == -1 ||
	    history_query(ts->history, &ok, last_ok, t, &cause) == -1) {
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
	} else if (history_state_get(ts->history, key, &value, &cause) == -1) {
		log_warn("task '%s': %s", def->name, cause);
		free(cause);
	} else if (value != NULL) {
		t->paused = strcmp(value, "1") == 0;
		free(value);
	}
	memcpy(key, "notify:", plen);
	if (!known_has(known, key)) {
		notify_state_parse(NULL, &t->nstate); /* nothing told yet */
	} else if (history_state_get(ts->history, key, &value, &cause) == -1) {
		log_warn("task '%s': %s", def->name, cause);
		free(cause);
	} else {
		notify_state_parse(value, &t->nstate);
		free(value);
	}
	return t;
}

void
task_free(struct task *t)
{
	if (t == NULL) {
		return;
	}
	alarm_cancel(t->ts->alarms, &t->alarm);
	watch_remove(t->ts->watches, t->watch);
	env_block_release(t->env);
	free(t->counts);
	if (t->last != NULL) {
		run_record_release(t->last);
		free(t->last);
	}
	free(t);
}

/* Replace the task's last run with a copy of r. */
void
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
tasks_find(struct tasks *ts, const char *name)
{
	struct task **found;

	if (ts->ntasks == 0) {
		return NULL;
	}
	/* Tasks are kept in the config's order, which is sorted by name. */
	found = bsearch(
	    name, ts->tasks, ts->ntasks, sizeof *ts->tasks, task_cmp_name);
	return found != NULL ? *found : NULL;
}

/* A task gone from the tasks file: its queued runs will not start. */
static void
task_remove(struct tasks *ts, struct task *t)
{
	task_unqueue_all(
	    ts, t, RUN_SKIPPED, "its task was removed from the tasks file");
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
tasks_diff(struct tasks *ts, const struct config *c)
{
	json_t *added = json_array(), *removed = json_array(),
	       *changed = json_array(), *fields, *o;
	const struct task_def *def;
	const char *names[64];
	int64_t now = tw_now(&ts->clock);
	struct task *t;
	size_t i, n, k;

	for (i = 0; i < c->ntasks; i++) {
		def = c->tasks[i];
		if ((t = tasks_find(ts, def->name)) == NULL) {
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
	for (i = 0; i < ts->ntasks; i++) {
		if (config_find(c, ts->tasks[i]->def->name) == NULL) {
			json_array_append_new(
			    removed, json_string(ts->tasks[i]->def->name));
		}
	}
	return json_pack("{s:o, s:o, s:o}", "added", added, "removed", removed,
	    "changed", changed);
}

/*
 * *idx, an index among the n_old entries (stride bytes apart, a name
 * first) at old, made the index of the same name among the n_new at new;
 * gone when it is not there: -1, or with gone_far a value past any index.
 */
static void
remap_named(int *idx, const void *old, size_t n_old, const void *new,
    size_t n_new, size_t stride, int gone_far)
{
	const char *name;
	size_t i;

	if (*idx < 0 || (size_t)*idx >= n_old) {
		return;
	}
	name = *(char *const *)((const char *)old + (size_t)*idx * stride);
	for (i = 0; i < n_new; i++) {
		if (strcmp(*(char *const *)((const char *)new + i *stride),
		        name) == 0) {
			*idx = (int)i;
			return;
		}
	}
	*idx = gone_far ? INT_MAX : -1;
}

/*
 * Submitted jobs name their queue and executor by index in the config
 * they came under: in the new one, the same names' (gone: the queue's
 * limit no longer holds it; the executor's run fails to start, saying
 * so, rather than run here).
 */
static void
submits_remap(struct tasks *ts, const struct config *config)
{
	const struct config *old = ts->config;
	struct active_runs *lists[] = { &ts->queued, &ts->runs };
	struct task_policy *p;
	struct active_run *ar;
	size_t l;

	for (l = 0; old != NULL && l < 2; l++) {
		TAILQ_FOREACH(ar, lists[l], entry)
		{
			if (ar->own == NULL) {
				continue;
			}
			/* Its own definition, made by submit_def. */
			p = ar->own->def->policy;
			remap_named(&p->queue, old->queues, old->nqueues,
			    config->queues, config->nqueues,
			    sizeof *config->queues, 0);
			remap_named(&p->executor, old->executors,
			    old->nexecutors, config->executors,
			    config->nexecutors, sizeof *config->executors, 1);
		}
	}
}

void
tasks_apply(struct tasks *ts, struct config *config, struct tasks_applied *n)
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
	tasks_batch_begin(ts);
	/* And a task the history has no row of needs no query at all. */
	if (history_names(ts->history, known_add, &known, &cause) == -1) {
		log_warn("%s", cause);
		free(cause);
		kp = NULL;
	}
	/* Old and new are both sorted by name: walk them side by side. */
	tasks = xcalloc(config->ntasks, sizeof *tasks);
	for (i = 0; i < config->ntasks; i++) {
		def = config->tasks[i];
		cmp = 1;
		while (j < ts->ntasks &&
		    (cmp = strcmp(ts->tasks[j]->def->name, def->name)) < 0) {
			counts.removed++;
			task_remove(ts, ts->tasks[j++]);
		}
		if (j == ts->ntasks || cmp != 0) {
			t = tasks[i] = task_new(ts, def, kp);
			task_schedule(t);
			task_watch(t, NULL);
			counts.added++;
			continue;
		}
		t = tasks[i] = ts->tasks[j++];
		old_def = t->def;
		t->def = def;
		task_watch(t, old_def);
		if (!schedule_equal(old_def->schedule, def->schedule) ||
		    old_def->policy->jitter_ms != def->policy->jitter_ms) {
			task_schedule(t);
		}
		if (!task_def_equal(old_def, def)) {
			counts.changed++;
		}
	}
	for (; j < ts->ntasks; j++) {
		counts.removed++;
		task_remove(ts, ts->tasks[j]);
	}
	tasks_batch_end(ts, NULL);
	known_release(&known);
	submits_remap(ts, config);
	free(ts->tasks);
	config_free(ts->config);
	ts->config = config;
	ts->tasks = tasks;
	ts->ntasks = config->ntasks;
	notifiers_configure(ts->notifiers, config);
	/* What the last twd left running elsewhere, now that it is known. */
	elsewhere_recover(ts);
	/* Queues are matched by name: a queue kept keeps its pause. */
	pauses_load(ts);
	ts->prune_cursor = 0;
	/* Settings may be new, or history older than them: look at it all. */
	for (i = 0; i < ts->ntasks; i++) {
		task_prune_later(ts->tasks[i]);
	}
	/* Limits, priorities and pauses may have changed. */
	tasks_dispatch(ts);
	if (n != NULL) {
		*n = counts;
	}
}

struct tasks *
tasks_init(const struct tasks_env *env, char **cause)
{
	struct tasks *ts = xcalloc(1, sizeof *ts);
	char *name;

	ts->base = env->base;
	ts->clock = env->clock;
	ts->events = env->events;
	ts->history = env->history;
	ts->jobs = env->jobs;
	ts->notifiers = env->notifiers;
	ts->log_dir = xstrdup(env->log_dir);
	ts->home = xstrdup(env->home);
	ts->exec_dir = env->exec_dir != NULL ? xstrdup(env->exec_dir) : NULL;
	ts->instance = elsewhere_instance(env->log_dir);
	TAILQ_INIT(&ts->runs);
	TAILQ_INIT(&ts->queued);
	runq_init(&ts->queue);
	ts->alarms = alarm_set_create(
	    ts->base, &ts->clock, fire_alarm, tasks_clock_changed, ts, cause);
	if (ts->alarms == NULL) {
		free(ts->log_dir);
		free(ts->home);
		free(ts->exec_dir);
		free(ts);
		return NULL;
	}
	ts->watches = fire_watches(ts);
	name = xasprintf("%08" PRIx32, (uint32_t)ts->instance);
	ts->cgroups = cgroups_open(name);
	free(name);
	ts->ev_wakeup = evtimer_new(ts->base, dispatch_wakeup, ts);
	ts->ev_pressure = evtimer_new(ts->base, dispatch_wakeup, ts);
	/* Events default to the middle priority (1); pruning waits for them. */
	ts->ev_prune = event_new(ts->base, -1, 0, retention_step, ts);
	event_priority_set(ts->ev_prune, 2);
	return ts;
}

const struct config *
tasks_config(const struct tasks *ts)
{
	return ts->config;
}

size_t
tasks_count(const struct tasks *ts)
{
	return ts->ntasks;
}

struct task *
tasks_at(const struct tasks *ts, size_t i)
{
	return i < ts->ntasks ? ts->tasks[i] : NULL;
}

void
tasks_halt(struct tasks *ts)
{
	size_t i;

	ts->halted = 1;
	/* What changes after, the next start finds. */
	watch_set_checkpoint(ts->watches);
	for (i = 0; i < ts->ntasks; i++) {
		alarm_cancel(ts->alarms, &ts->tasks[i]->alarm);
		ts->tasks[i]->next_ms = 0;
		watch_remove(ts->watches, ts->tasks[i]->watch);
		ts->tasks[i]->watch = NULL;
	}
}

/*
 * Stop the run in flight ar (its stop_reason set): its job, or, when that
 * has not begun, the start itself (active_spawn sees the reason).
 */
static void
active_stop(struct active_run *ar)
{
	if (ar->job != NULL) {
		job_stop(ar->job, ar->kill_grace_ms);
	}
}

/* Stop t's runs in flight (SIGTERM, SIGKILL after the kill grace). */
void
tasks_stop_task(struct tasks *ts, struct task *t, const char *reason)
{
	struct active_run *ar;

	TAILQ_FOREACH(ar, &ts->runs, entry)
	{
		if (strcmp(ar->rec.task, t->def->name) != 0) {
			continue;
		}
		if (ar->stop_reason == NULL) {
			ar->stop_reason = xstrdup(reason);
		}
		active_stop(ar);
	}
}

void
tasks_stop_runs(struct tasks *ts, const char *reason)
{
	struct active_run *ar;

	TAILQ_FOREACH(ar, &ts->runs, entry)
	{
		if (ar->stop_reason == NULL) {
			ar->stop_reason = xstrdup(reason);
		}
		active_stop(ar);
	}
}

size_t
tasks_kill(struct tasks *ts, const char *task, int64_t run_id, int sig)
{
	struct active_run *ar, *next;
	struct task *t;
	char name[32];
	size_t n = 0;

	TAILQ_FOREACH(ar, &ts->runs, entry)
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
			active_stop(ar);
		} else if (ar->job != NULL) {
			job_signal(ar->job, sig);
		}
		n++;
	}
	for (ar = TAILQ_FIRST(&ts->queued); ar != NULL; ar = next) {
		next = TAILQ_NEXT(ar, entry);
		if ((task != NULL && strcmp(ar->rec.task, task) != 0) ||
		    (run_id != 0 && ar->rec.id != run_id)) {
			continue;
		}
		t = active_task(ts, ar);
		dispatch_unqueue(ts, t, ar);
		active_drop(ts, t, ar, RUN_KILLED,
		    xstrdup("taken off the queue by twctl kill"));
		n++;
	}
	return n;
}

/* A remembered flag of the history ("paused-queue:io"): 1 when set. */
static int
state_flag(struct tasks *ts, const char *key)
{
	char *value = NULL, *cause = NULL;
	int on = 0;

	if (history_state_get(ts->history, key, &value, &cause) == -1) {
		log_warn("%s: %s", key, cause);
		free(cause);
	} else if (value != NULL) {
		on = strcmp(value, "1") == 0;
		free(value);
	}
	return on;
}

/* The pauses of queues and of submitted jobs, as the history has them. */
static void
pauses_load(struct tasks *ts)
{
	char *key;
	size_t i;

	free(ts->queue_paused);
	ts->queue_paused =
	    xcalloc(ts->config->nqueues > 0 ? ts->config->nqueues : 1, 1);
	for (i = 0; i < ts->config->nqueues; i++) {
		key = xasprintf("paused-queue:%s", ts->config->queues[i].name);
		ts->queue_paused[i] = (uint8_t)state_flag(ts, key);
		free(key);
	}
	ts->submits_paused = state_flag(ts, "paused-submits");
}

int
tasks_pause_queue(struct tasks *ts, const char *name, int paused)
{
	char *key;
	int q;

	if ((q = config_queue_index(ts->config, name)) == -1) {
		return -1;
	}
	key = xasprintf("paused-queue:%s", name);
	history_put_state(ts->history, key, paused ? "1" : "0");
	free(key);
	if (ts->queue_paused[q] != paused) {
		log_info("queue '%s' %s", name, paused ? "paused" : "resumed");
	}
	ts->queue_paused[q] = (uint8_t)paused;
	if (!paused) {
		tasks_dispatch(ts);
	}
	return 0;
}

void
tasks_pause_submits(struct tasks *ts, int paused)
{
	history_put_state(ts->history, "paused-submits", paused ? "1" : "0");
	ts->submits_paused = paused;
	if (!paused) {
		tasks_dispatch(ts);
	}
}

char *
tasks_pause_reason(const struct tasks *ts, const struct task *t)
{
	int q = t->def->policy->queue;

	if (t->paused) {
		return xasprintf(
		    "its task is paused (twctl resume %s)", t->def->name);
	}
	if (t->own && ts->submits_paused) {
		return xstrdup(
		    "submitted jobs are paused (twctl resume --all)");
	}
	if (q >= 0 && ts->queue_paused[q]) {
		return xasprintf("its queue '%s' is paused (twctl resume "
		                 "--queue %s)",
		    ts->config->queues[q].name, ts->config->queues[q].name);
	}
	return NULL;
}

void
tasks_pause(struct tasks *ts, struct task *t, int paused)
{
	char *key = xasprintf("paused:%s", t->def->name);

	history_put_state(ts->history, key, paused ? "1" : "0");
	free(key);
	if (t->paused != paused) {
		log_info("task '%s' %s", t->def->name,
		    paused ? "paused" : "resumed");
	}
	t->paused = paused;
	task_changed(t);
	if (!paused) {
		tasks_dispatch(ts);
	}
}

static size_t
active_count(const struct active_runs *list)
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
tasks_queued(const struct tasks *ts)
{
	return runq_count(&ts->queue);
}

json_t *
task_def_json(const struct task *t)
{
	return config_task_json(t->ts->config, t->def, t->ts->home);
}

size_t
tasks_running(const struct tasks *ts)
{
	return active_count(&ts->runs);
}

void
tasks_free(struct tasks *ts)
{
	struct active_run *ar;
	size_t i;

	while ((ar = TAILQ_FIRST(&ts->runs)) != NULL) {
		TAILQ_REMOVE(&ts->runs, ar, entry);
		active_run_free(ar);
	}
	/* Queued runs stay queued in the history for the next twd. */
	while ((ar = TAILQ_FIRST(&ts->queued)) != NULL) {
		TAILQ_REMOVE(&ts->queued, ar, entry);
		runq_remove(&ts->queue, &ar->qi);
		active_run_free(ar);
	}
	for (i = 0; i < ts->ntasks; i++) {
		task_free(ts->tasks[i]);
	}
	free(ts->tasks);
	metrics_release(ts);
	free(ts->queue_paused);
	config_free(ts->config);
	notifiers_configure(ts->notifiers, NULL);
	alarm_set_free(ts->alarms);
	watch_set_free(ts->watches);
	cgroups_free(ts->cgroups);
	event_free(ts->ev_wakeup);
	event_free(ts->ev_pressure);
	event_free(ts->ev_prune);
	runq_release(&ts->queue);
	free(ts->log_dir);
	free(ts->home);
	free(ts->exec_dir);
	for (i = 0; i < ts->nlost; i++) {
		free(ts->lost[i].task);
	}
	free(ts->lost);
	json_decref(ts->env_json);
	free(ts->env_text);
	env_block_release(ts->env_block);
	free(ts);
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
		return t->def->on != NULL   ? "watching"
		    : t->def->after != NULL ? "after"
		                            : "manual";
	}
	if (schedule_is_reboot(t->def->schedule)) {
		return "boot";
	}
	if (t->next_ms == 0) {
		return t->ts->halted ? "stopping" : "done";
	}
	return "scheduled";
}

json_t *
task_json(const struct task *t)
{
	static const char *const listed[] = { "command", "schedule", "timezone",
		"jitter", "timeout", "after" };
	json_t *o = json_object(), *waiting, *v;
	char buf[TIMEFMT_ISO_LEN], *text;
	size_t i;

	json_object_set_new(o, "name", json_string(t->def->name));
	/* Of its definition, what a list shows; show has it all. */
	for (i = 0; i < sizeof listed / sizeof listed[0]; i++) {
		if ((v = config_task_field_json(t->ts->config, t->def,
		         listed[i], t->ts->home)) != NULL) {
			json_object_set_new(o, listed[i], v);
		}
	}
	json_object_set_new(o, "state", json_string(task_state(t)));
	json_object_set_new(o, "next_run",
	    t->next_ms != 0
	        ? json_string(timefmt_iso(t->next_ms, buf, sizeof buf))
	        : json_null());
	json_object_set_new(o, "running", json_integer(t->running));
	json_object_set_new(o, "queued", json_integer(t->queued));
	json_object_set_new(o, "paused", json_boolean(t->paused));
	if (t->def->after != NULL) {
		waiting = json_array();
		task_waiting_for(t->ts, t, waiting);
		json_object_set_new(o, "waiting_for", waiting);
	}
	if (t->def->on != NULL) {
		text = config_trigger_text(t->def->on);
		json_object_set_new(o, "on", json_string(text));
		free(text);
		if (t->watch != NULL) {
			json_object_set_new(o, "watch", watch_json(t->watch));
		}
	}
	json_object_set_new(o, "last_run",
	    t->last != NULL ? run_record_json(t->last) : json_null());
	return o;
}

json_t *
tasks_run_tail(struct tasks *ts, int64_t run_id)
{
	struct active_run *ar;
	json_t *lines;

	TAILQ_FOREACH(ar, &ts->runs, entry)
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
tasks_run_json(struct tasks *ts, int64_t run_id)
{
	struct active_run *ar;

	TAILQ_FOREACH(ar, &ts->runs, entry)
	{
		if (ar->rec.id == run_id) {
			return run_record_json(&ar->rec);
		}
	}
	return NULL;
}
