/*
 * The dashboard's view model: what the table and the running pane show,
 * kept up to date from the daemon's events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dash-model.h"
#include "output.h"
#include "timefmt.h"
#include "xmalloc.h"

static const char *const state_names[] = {
	[DASH_RUNNING] = "running",
	[DASH_QUEUED] = "queued",
	[DASH_PAUSED] = "paused",
	[DASH_FAILING] = "failing",
	[DASH_DISABLED] = "disabled",
	[DASH_IDLE] = "idle",
};

static const char *const sort_names[] = {
	[DASH_SORT_NAME] = "name",
	[DASH_SORT_NEXT] = "next run",
	[DASH_SORT_RESULT] = "last result",
	[DASH_SORT_DURATION] = "duration",
};

void
dash_model_init(struct dash_model *m)
{
	memset(m, 0, sizeof *m);
}

static void
task_release(struct dash_task *t)
{
	free(t->name);
	free(t->schedule);
	free(t->daemon_state);
	free(t->last_status);
	free(t->last_result);
}

static void
jobs_release(struct dash_model *m)
{
	size_t i;

	for (i = 0; i < m->njobs; i++) {
		free(m->jobs[i].task);
	}
	free(m->jobs);
	m->jobs = NULL;
	m->njobs = 0;
	for (i = 0; i < m->nqueued; i++) {
		free(m->queued[i].task);
	}
	free(m->queued);
	m->queued = NULL;
	m->nqueued = 0;
}

void
dash_model_release(struct dash_model *m)
{
	size_t i;

	for (i = 0; i < m->ntasks; i++) {
		task_release(&m->tasks[i]);
	}
	free(m->tasks);
	jobs_release(m);
	free(m->view);
	free(m->config_error);
	free(m->state_error);
	memset(m, 0, sizeof *m);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

struct dash_task *
dash_model_task(struct dash_model *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->ntasks; i++) {
		if (strcmp(m->tasks[i].name, name) == 0) {
			return &m->tasks[i];
		}
	}
	return NULL;
}

/* One character for a result in a strip. */
static char
strip_char(const char *status)
{
	if (strcmp(status, "ok") == 0) {
		return '+';
	}
	if (strcmp(status, "skipped") == 0 || strcmp(status, "killed") == 0 ||
	    strcmp(status, "lost") == 0) {
		return '-';
	}
	return 'x';
}

static void
strip_push(struct dash_task *t, const char *status)
{
	if (t->nstrip == DASH_STRIP) {
		memmove(t->strip, t->strip + 1, DASH_STRIP - 1);
		t->nstrip--;
	}
	t->strip[t->nstrip++] = strip_char(status);
}

/* The newest finished run r of t, as its LAST columns show it. */
static void
task_set_last(struct dash_task *t, const json_t *r)
{
	char buf[64];
	json_t *d;

	free(t->last_status);
	free(t->last_result);
	t->last_status = xstrdup(json_get_string(r, "status", "?"));
	t->last_result = xstrdup(output_run_result(r, buf, sizeof buf));
	d = json_object_get(r, "duration");
	t->last_duration_ms =
	    json_is_number(d) ? (int64_t)(json_number_value(d) * 1000) : -1;
}

/* A run has ended for good (not queued, not running). */
static int
run_ended(const char *status)
{
	return strcmp(status, "running") != 0 && strcmp(status, "queued") != 0;
}

static void
task_from_json(struct dash_task *t, const json_t *o)
{
	const json_t *last = json_object_get(o, "last_run");
	char sched[512];

	free(t->schedule);
	free(t->daemon_state);
	t->schedule =
	    dup_or_null(output_schedule(o, NULL, sched, sizeof sched));
	t->daemon_state = xstrdup(json_get_string(o, "state", "?"));
	t->next_ms = json_get_time(o, "next_run");
	t->timeout_ms =
	    (int64_t)(json_number_value(json_object_get(o, "timeout")) * 1000);
	t->running = (int)json_integer_value(json_object_get(o, "running"));
	t->queued = (int)json_integer_value(json_object_get(o, "queued"));
	t->paused = json_is_true(json_object_get(o, "paused"));
	if (json_is_object(last) &&
	    run_ended(json_get_string(last, "status", "?"))) {
		task_set_last(t, last);
	}
}

void
dash_model_set_tasks(struct dash_model *m, const json_t *list)
{
	struct dash_task *tasks, *old;
	const json_t *o;
	size_t i, n = json_array_size(list);

	tasks = xcalloc(n + 1, sizeof *tasks);
	json_array_foreach(list, i, o)
	{
		tasks[i].name = xstrdup(json_get_string(o, "name", "?"));
		tasks[i].last_duration_ms = -1;
		/* A task that stays keeps its strip. */
		if ((old = dash_model_task(m, tasks[i].name)) != NULL) {
			memcpy(tasks[i].strip, old->strip, old->nstrip);
			tasks[i].nstrip = old->nstrip;
		}
		task_from_json(&tasks[i], o);
	}
	for (i = 0; i < m->ntasks; i++) {
		task_release(&m->tasks[i]);
	}
	free(m->tasks);
	m->tasks = tasks;
	m->ntasks = n;
	dash_model_update_view(m);
}

void
dash_model_set_history(struct dash_model *m, const json_t *runs)
{
	struct dash_task *t;
	json_t *r;
	size_t i;

	/*
	 * The history is the strips' truth: those of the tasks it has runs
	 * of are made anew (a reload or a reconnect pushed the same runs
	 * again), the others keep theirs.
	 */
	json_array_foreach(runs, i, r)
	{
		if ((t = dash_model_task(m, json_get_string(r, "task", ""))) !=
		    NULL) {
			t->nstrip = 0;
		}
	}
	/* Newest first from the daemon: the strip wants oldest first. */
	for (i = json_array_size(runs); i-- > 0;) {
		r = json_array_get(runs, i);
		if (!run_ended(json_get_string(r, "status", "?")) ||
		    (t = dash_model_task(m, json_get_string(r, "task", ""))) ==
		        NULL) {
			continue;
		}
		strip_push(t, json_get_string(r, "status", "?"));
	}
}

static void
job_add(struct dash_model *m, const json_t *r)
{
	int64_t run = json_integer_value(json_object_get(r, "id"));
	const struct dash_task *t;
	struct dash_job *j;
	size_t i;

	for (i = 0; i < m->njobs; i++) {
		if (m->jobs[i].run == run) {
			return; /* in the snapshot and in an event both */
		}
	}
	m->jobs = xreallocarray(m->jobs, m->njobs + 1, sizeof *m->jobs);
	j = &m->jobs[m->njobs++];
	memset(j, 0, sizeof *j);
	j->run = json_integer_value(json_object_get(r, "id"));
	j->task = xstrdup(json_get_string(r, "task", "?"));
	j->pid = (int)json_integer_value(json_object_get(r, "pid"));
	j->started_ms = json_get_time(r, "started_at");
	t = dash_model_task(m, j->task);
	j->timeout_ms = t != NULL ? t->timeout_ms : 0;
}

static void
job_remove(struct dash_model *m, int64_t run)
{
	size_t i;

	for (i = 0; i < m->njobs; i++) {
		if (m->jobs[i].run == run) {
			free(m->jobs[i].task);
			memmove(&m->jobs[i], &m->jobs[i + 1],
			    (m->njobs - i - 1) * sizeof *m->jobs);
			m->njobs--;
			return;
		}
	}
}

static int
queued_index(const struct dash_model *m, int64_t run)
{
	size_t i;

	for (i = 0; i < m->nqueued; i++) {
		if (m->queued[i].run == run) {
			return (int)i;
		}
	}
	return -1;
}

static void
queued_add(struct dash_model *m, int64_t run, const char *task)
{
	if (queued_index(m, run) != -1) {
		return; /* in the snapshot and in an event both */
	}
	m->queued = xreallocarray(m->queued, m->nqueued + 1, sizeof *m->queued);
	m->queued[m->nqueued].run = run;
	m->queued[m->nqueued++].task = xstrdup(task);
}

static void
queued_remove(struct dash_model *m, int64_t run)
{
	int i = queued_index(m, run);

	if (i != -1) {
		free(m->queued[i].task);
		m->queued[i] = m->queued[--m->nqueued];
	}
}

/* Counts from the sets, so that a doubled event cannot skew them. */
static void
task_count(struct dash_model *m, struct dash_task *t)
{
	size_t i;

	t->running = t->queued = 0;
	for (i = 0; i < m->njobs; i++) {
		t->running += strcmp(m->jobs[i].task, t->name) == 0;
	}
	for (i = 0; i < m->nqueued; i++) {
		t->queued += strcmp(m->queued[i].task, t->name) == 0;
	}
}

void
dash_model_set_jobs(struct dash_model *m, const json_t *runs)
{
	const json_t *r;
	size_t i;

	jobs_release(m);
	json_array_foreach(runs, i, r)
	{
		if (strcmp(json_get_string(r, "status", ""), "queued") == 0) {
			queued_add(m,
			    json_integer_value(json_object_get(r, "id")),
			    json_get_string(r, "task", "?"));
		} else {
			job_add(m, r);
		}
	}
	for (i = 0; i < m->ntasks; i++) {
		task_count(m, &m->tasks[i]);
	}
}

int
dash_model_event(struct dash_model *m, const json_t *event)
{
	const char *name = json_get_string(event, "event", "");
	const json_t *d = json_object_get(event, "data"), *errs;
	struct dash_task *t;
	const char *status;
	int64_t id;

	if (strcmp(name, "task.changed") == 0) {
		if ((t = dash_model_task(m, json_get_string(d, "name", ""))) ==
		    NULL) {
			return 0;
		}
		task_from_json(t, d);
		dash_model_update_view(m);
		return 1;
	}
	if (strcmp(name, "config.error") == 0) {
		errs = json_object_get(d, "errors");
		free(m->config_error);
		m->config_error =
		    dup_or_null(json_string_value(json_array_get(errs, 0)));
		m->nconfig_errors = json_array_size(errs);
		return 1;
	}
	if (strcmp(name, "config.reloaded") == 0) {
		free(m->config_error);
		m->config_error = NULL;
		m->nconfig_errors = 0;
		return 1; /* the caller asks for the new list */
	}
	if (strcmp(name, "state.error") == 0 || strcmp(name, "state.ok") == 0) {
		free(m->state_error);
		m->state_error = dup_or_null(json_get_string(d, "error", NULL));
		return 1;
	}
	if (strncmp(name, "run.", 4) != 0 || strcmp(name, "run.output") == 0) {
		return 0;
	}
	/* NULL for a submitted job: no task of the file, a job all the same. */
	t = dash_model_task(m, json_get_string(d, "task", ""));
	status = json_get_string(d, "status", "?");
	id = json_integer_value(json_object_get(d, "id"));
	if (strcmp(name, "run.queued") == 0) {
		queued_add(m, id, json_get_string(d, "task", "?"));
	} else if (strcmp(name, "run.started") == 0) {
		queued_remove(m, id);
		job_add(m, d);
	} else if (strcmp(name, "run.finished") == 0) {
		queued_remove(m, id);
		job_remove(m, id);
		if (t != NULL) {
			task_set_last(t, d);
			strip_push(t, status);
		}
	} else {
		return 0;
	}
	if (t != NULL) {
		task_count(m, t);
		dash_model_update_view(m);
	}
	return 1;
}

enum dash_state
dash_task_state(const struct dash_task *t)
{
	if (t->running > 0) {
		return DASH_RUNNING;
	}
	if (t->paused) {
		return DASH_PAUSED;
	}
	if (t->queued > 0) {
		return DASH_QUEUED;
	}
	if (t->last_status != NULL && strcmp(t->last_status, "ok") != 0 &&
	    strcmp(t->last_status, "skipped") != 0 &&
	    strcmp(t->last_status, "killed") != 0) {
		return DASH_FAILING;
	}
	if (t->daemon_state != NULL &&
	    strcmp(t->daemon_state, "disabled") == 0) {
		return DASH_DISABLED;
	}
	return DASH_IDLE;
}

const char *
dash_state_of(const json_t *task)
{
	struct dash_task t;
	enum dash_state s;

	memset(&t, 0, sizeof t);
	t.last_duration_ms = -1;
	task_from_json(&t, task);
	s = dash_task_state(&t);
	task_release(&t);
	return state_names[s];
}

const char *
dash_state_name(enum dash_state s)
{
	return state_names[s];
}

const char *
dash_sort_name(enum dash_sort s)
{
	return sort_names[s];
}

/* For qsort: the model being sorted (qsort has no argument for it). */
static const struct dash_model *sorting;

static int
view_cmp(const void *a, const void *b)
{
	const struct dash_task *x = &sorting->tasks[*(const size_t *)a];
	const struct dash_task *y = &sorting->tasks[*(const size_t *)b];
	int c = 0;

	switch (sorting->sort) {
	case DASH_SORT_NEXT:
		if (x->next_ms != y->next_ms) {
			c = x->next_ms == 0 ? 1
			    : y->next_ms == 0
			    ? -1
			    : (x->next_ms < y->next_ms ? -1 : 1);
		}
		break;
	case DASH_SORT_RESULT:
		c = (int)dash_task_state(x) - (int)dash_task_state(y);
		break;
	case DASH_SORT_DURATION:
		if (x->last_duration_ms != y->last_duration_ms) {
			c = x->last_duration_ms > y->last_duration_ms ? -1 : 1;
		}
		break;
	default:
		break;
	}
	return c != 0 ? c : strcmp(x->name, y->name);
}

void
dash_model_update_view(struct dash_model *m)
{
	size_t i;

	free(m->view);
	m->view = xcalloc(m->ntasks + 1, sizeof *m->view);
	m->nview = 0;
	for (i = 0; i < m->ntasks; i++) {
		if (m->filter[0] == '\0' ||
		    strstr(m->tasks[i].name, m->filter) != NULL) {
			m->view[m->nview++] = i;
		}
	}
	sorting = m;
	qsort(m->view, m->nview, sizeof *m->view, view_cmp);
	sorting = NULL;
}

char *
dash_countdown(int64_t ms, int64_t now_ms, char *buf, size_t len)
{
	char d[32];
	int64_t delta = ms - now_ms;

	if (ms == 0) {
		snprintf(buf, len, "-");
	} else if (delta > -1000 && delta < 1000) {
		snprintf(buf, len, "now");
	} else if (delta > 0) {
		snprintf(buf, len, "in %s",
		    dash_duration((delta + 999) / 1000 * 1000, d, sizeof d));
	} else {
		snprintf(buf, len, "%s ago",
		    dash_duration(-delta / 1000 * 1000, d, sizeof d));
	}
	return buf;
}

char *
dash_duration(int64_t ms, char *buf, size_t len)
{
	int64_t s = ms / 1000;

	if (ms < 0) {
		snprintf(buf, len, "-");
	} else if (ms < 1000) {
		snprintf(buf, len, "%lldms", (long long)ms);
	} else if (s < 60) {
		snprintf(buf, len, "%llds", (long long)s);
	} else if (s < 3600) {
		snprintf(buf, len, "%lldm%02llds", (long long)(s / 60),
		    (long long)(s % 60));
	} else if (s < 86400) {
		snprintf(buf, len, "%lldh%02lldm", (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
	} else {
		snprintf(buf, len, "%lldd%02lldh", (long long)(s / 86400),
		    (long long)(s % 86400 / 3600));
	}
	return buf;
}
