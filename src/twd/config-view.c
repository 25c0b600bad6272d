/*
 * The tasks file's schema seen from outside the loader: how each field of
 * task_fields[] is shown (twctl show, its JSON) and compared (a reload's
 * changes, and which tasks may share a policy). Both walk the field table,
 * so a field is shown and compared once it has an entry there: a field
 * with no view is a test failure (test_config), not a silent omission.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "schedule.h"
#include "tz.h"
#include "xmalloc.h"
#include "config-int.h"

static int
str_equal(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

static int
strv_equal(char **a, char **b)
{
	size_t i;

	if (a == NULL || b == NULL) {
		return a == b;
	}
	for (i = 0; a[i] != NULL && b[i] != NULL; i++) {
		if (strcmp(a[i], b[i]) != 0) {
			return 0;
		}
	}
	return a[i] == b[i];
}

static int
mem_equal(const void *a, const void *b, size_t n, size_t size)
{
	return n == 0 || memcmp(a, b, n * size) == 0;
}

json_t *
strv_json(char **v)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++) {
		json_array_append_new(a, json_string(v[i]));
	}
	return a;
}

static json_t *
seconds_json(int64_t ms)
{
	return json_real((double)ms / 1000);
}

/* A policy's member at the field's offset. */
#define POLICY_AT(d, f, type)                                                  \
	(*(const type *)(const void *)((const char *)(d)->policy + (f)->at))

/* The views and comparisons of fields that are not a plain number. */

json_t *
show_after(const struct task_def *d, const struct field_ctx *x)
{
	(void)x;
	return d->after != NULL ? strv_json(d->after) : NULL;
}

int
same_after(const struct task_def *a, const struct task_def *b)
{
	return strv_equal(a->after, b->after);
}

json_t *
show_catch_up(const struct task_def *d, const struct field_ctx *x)
{
	(void)x;
	return json_string(config_catch_up_name(d->policy->catch_up));
}

int
same_catch_up(const struct task_def *a, const struct task_def *b)
{
	return a->policy->catch_up == b->policy->catch_up;
}

json_t *
show_command(const struct task_def *d, const struct field_ctx *x)
{
	(void)x;
	return d->argv == NULL ? json_string(d->command) : NULL;
}

int
same_command(const struct task_def *a, const struct task_def *b)
{
	return str_equal(a->command, b->command);
}

json_t *
show_cwd(const struct task_def *d, const struct field_ctx *x)
{
	const char *cwd = d->policy->cwd != NULL ? d->policy->cwd : x->home;

	return cwd != NULL ? json_string(cwd) : json_null();
}

int
same_cwd(const struct task_def *a, const struct task_def *b)
{
	return str_equal(a->policy->cwd, b->policy->cwd);
}

json_t *
show_description(const struct task_def *d, const struct field_ctx *x)
{
	(void)x;
	return d->description != NULL ? json_string(d->description)
	                              : json_null();
}

int
same_description(const struct task_def *a, const struct task_def *b)
{
	return str_equal(a->description, b->description);
}

json_t *
show_enabled(const struct task_def *d, const struct field_ctx *x)
{
	(void)x;
	return json_boolean(d->enabled);
}

int
same_enabled(const struct task_def *a, const struct task_def *b)
{
	return a->enabled == b->enabled;
}

json_t *
show_env(const struct task_def *d, const struct field_ctx *x)
{
	char **env = d->policy->env, *eq, *key;
	json_t *o = json_object();
	size_t i;

	(void)x;
	for (i = 0; env != NULL && env[i] != NULL; i++) {
		eq = strchr(env[i], '=');
		key = xstrndup(env[i], (size_t)(eq - env[i]));
		json_object_set_new(o, key, json_string(eq + 1));
		free(key);
	}
	return o;
}

int
same_env(const struct task_def *a, const struct task_def *b)
{
	return strv_equal(a->policy->env, b->policy->env);
}

json_t *
show_env_clear(const struct task_def *d, const struct field_ctx *x)
{
	(void)x;
	return json_boolean(d->policy->env_clear);
}

int
same_env_clear(const struct task_def *a, const struct task_def *b)
{
	return a->policy->env_clear == b->policy->env_clear;
}

/* What is kept of a task's runs; null for no limit. */
json_t *
show_history(const struct task_def *d, const struct field_ctx *x)
{
	const struct task_policy *p = d->policy;

	(void)x;
	return json_pack("{s:o, s:o, s:o}", "keep_runs",
	    p->keep_runs > 0 ? json_integer(p->keep_runs) : json_null(),
	    "keep_days",
	    p->keep_days > 0 ? json_integer(p->keep_days) : json_null(),
	    "max_bytes",
	    p->keep_bytes > 0 ? json_integer(p->keep_bytes) : json_null());
}

int
same_history(const struct task_def *a, const struct task_def *b)
{
	return a->policy->keep_runs == b->policy->keep_runs &&
	    a->policy->keep_days == b->policy->keep_days &&
	    a->policy->keep_bytes == b->policy->keep_bytes;
}

json_t *
show_resources(const struct task_def *d, const struct field_ctx *x)
{
	const struct task_policy *p = d->policy;

	(void)x;
	return json_pack("{s:o, s:o, s:o, s:o}", "cpus",
	    p->res_mcpus > 0 ? json_real((double)p->res_mcpus / 1000)
	                     : json_null(),
	    "memory",
	    p->res_memory > 0 ? json_integer(p->res_memory) : json_null(),
	    "gpus", p->res_gpus > 0 ? json_integer(p->res_gpus) : json_null(),
	    "time",
	    p->res_time_ms > 0 ? json_integer(p->res_time_ms / 1000)
	                       : json_null());
}

int
same_resources(const struct task_def *a, const struct task_def *b)
{
	return a->policy->res_mcpus == b->policy->res_mcpus &&
	    a->policy->res_memory == b->policy->res_memory &&
	    a->policy->res_gpus == b->policy->res_gpus &&
	    a->policy->res_time_ms == b->policy->res_time_ms;
}

json_t *
show_limits(const struct task_def *d, const struct field_ctx *x)
{
	json_t *o = json_object();
	unsigned i;

	(void)x;
	for (i = 0; i < d->policy->nlimits; i++) {
		json_object_set_new(o,
		    config_limit_name(d->policy->limits[i].resource),
		    json_integer((json_int_t)d->policy->limits[i].value));
	}
	return o;
}

/* Field by field, never the padding between them. */
int
same_limits(const struct task_def *a, const struct task_def *b)
{
	const struct task_policy *p = a->policy, *q = b->policy;
	unsigned i;

	if (p->nlimits != q->nlimits) {
		return 0;
	}
	for (i = 0; i < p->nlimits; i++) {
		if (p->limits[i].resource != q->limits[i].resource ||
		    p->limits[i].value != q->limits[i].value) {
			return 0;
		}
	}
	return 1;
}

json_t *
show_nice(const struct task_def *d, const struct field_ctx *x)
{
	(void)x;
	return json_integer(d->policy->nice);
}

int
same_nice(const struct task_def *a, const struct task_def *b)
{
	return a->policy->nice == b->policy->nice;
}

/* Which ends of its runs are told, and through which notifiers. */
json_t *
show_notify(const struct task_def *d, const struct field_ctx *x)
{
	const struct task_policy *p = d->policy;
	json_t *on = json_array(), *via = json_array();
	unsigned bit, i;

	for (bit = 1; bit != 0 && bit <= p->notify_on; bit <<= 1) {
		if ((p->notify_on & bit) && config_notify_event_name(bit)) {
			json_array_append_new(
			    on, json_string(config_notify_event_name(bit)));
		}
	}
	for (i = 0; i < p->nnotify_via; i++) {
		json_array_append_new(via,
		    x->config != NULL &&
		            (size_t)p->notify_via[i] < x->config->nnotifiers
		        ? json_string(
		              x->config->notifiers[p->notify_via[i]].name)
		        : json_integer(p->notify_via[i]));
	}
	return json_pack("{s:o, s:o}", "on", on, "via", via);
}

int
same_notify(const struct task_def *a, const struct task_def *b)
{
	const struct task_policy *p = a->policy, *q = b->policy;

	return p->notify_on == q->notify_on &&
	    p->nnotify_via == q->nnotify_via &&
	    mem_equal(p->notify_via, q->notify_via, p->nnotify_via,
	        sizeof *p->notify_via);
}

json_t *
show_overlap(const struct task_def *d, const struct field_ctx *x)
{
	(void)x;
	return json_string(config_overlap_name(d->policy->overlap));
}

int
same_overlap(const struct task_def *a, const struct task_def *b)
{
	return a->policy->overlap == b->policy->overlap;
}

json_t *
show_priority(const struct task_def *d, const struct field_ctx *x)
{
	char buf[16];

	(void)x;
	return json_string(
	    config_priority_name(d->policy->priority, buf, sizeof buf));
}

int
same_priority(const struct task_def *a, const struct task_def *b)
{
	return a->policy->priority == b->policy->priority;
}

json_t *
show_executor(const struct task_def *d, const struct field_ctx *x)
{
	int e = d->policy->executor;

	if (e < 0) {
		return json_string("local");
	}
	return x->config != NULL && (size_t)e < x->config->nexecutors
	    ? json_string(x->config->executors[e].name)
	    : json_integer(e);
}

int
same_executor(const struct task_def *a, const struct task_def *b)
{
	return a->policy->executor == b->policy->executor;
}

json_t *
show_queue(const struct task_def *d, const struct field_ctx *x)
{
	int q = d->policy->queue;

	if (q < 0) {
		return json_null();
	}
	return x->config != NULL && (size_t)q < x->config->nqueues
	    ? json_string(x->config->queues[q].name)
	    : json_integer(q);
}

int
same_queue(const struct task_def *a, const struct task_def *b)
{
	return a->policy->queue == b->policy->queue;
}

json_t *
show_retry_backoff(const struct task_def *d, const struct field_ctx *x)
{
	(void)x;
	return json_real(d->policy->retry_backoff);
}

int
same_retry_backoff(const struct task_def *a, const struct task_def *b)
{
	return a->policy->retry_backoff == b->policy->retry_backoff;
}

json_t *
show_retry_on(const struct task_def *d, const struct field_ctx *x)
{
	static const struct {
		unsigned flag;
		const char *name;
	} flags[] = {
		{ RETRY_ON_TIMEOUT, "timeout" },
		{ RETRY_ON_START_FAILED, "start_failed" },
		{ RETRY_ON_SIGNAL, "signal" },
	};
	const struct task_policy *p = d->policy;
	json_t *a = json_array();
	size_t i;

	(void)x;
	for (i = 0; i < p->nretry_codes; i++) {
		json_array_append_new(a, json_integer(p->retry_codes[i]));
	}
	for (i = 0; i < NITEMS(flags); i++) {
		if (p->retry_flags & flags[i].flag) {
			json_array_append_new(a, json_string(flags[i].name));
		}
	}
	return a;
}

int
same_retry_on(const struct task_def *a, const struct task_def *b)
{
	const struct task_policy *p = a->policy, *q = b->policy;

	return p->retry_flags == q->retry_flags &&
	    p->nretry_codes == q->nretry_codes &&
	    mem_equal(p->retry_codes, q->retry_codes, p->nretry_codes,
	        sizeof *p->retry_codes);
}

json_t *
show_run(const struct task_def *d, const struct field_ctx *x)
{
	(void)x;
	/* A plugin's task shows its type and with, not how it is run. */
	return d->argv != NULL && d->plugin == NULL ? strv_json(d->argv) : NULL;
}

int
same_run(const struct task_def *a, const struct task_def *b)
{
	return strv_equal(a->argv, b->argv);
}

json_t *
show_schedule(const struct task_def *d, const struct field_ctx *x)
{
	char buf[128];

	(void)x;
	return d->schedule != NULL
	    ? json_string(schedule_describe(d->schedule, buf, sizeof buf))
	    : json_null();
}

int
same_schedule(const struct task_def *a, const struct task_def *b)
{
	return schedule_equal(a->schedule, b->schedule);
}

/* The shell of a command line; a task with run: has none. */
json_t *
show_shell(const struct task_def *d, const struct field_ctx *x)
{
	(void)x;
	if (d->argv != NULL) {
		return NULL;
	}
	return d->policy->shell != NULL ? strv_json(d->policy->shell)
	                                : json_pack("[ss]", "/bin/sh", "-c");
}

int
same_shell(const struct task_def *a, const struct task_def *b)
{
	return strv_equal(a->policy->shell, b->policy->shell);
}

json_t *
show_timezone(const struct task_def *d, const struct field_ctx *x)
{
	(void)x;
	return d->tz != NULL ? json_string(tz_name(d->tz)) : json_null();
}

int
same_timezone(const struct task_def *a, const struct task_def *b)
{
	return a->tz == b->tz ||
	    (a->tz != NULL && b->tz != NULL &&
	        strcmp(tz_name(a->tz), tz_name(b->tz)) == 0);
}

json_t *
show_umask(const struct task_def *d, const struct field_ctx *x)
{
	(void)x;
	return d->policy->umask >= 0 ? json_sprintf("%03o", d->policy->umask)
	                             : json_null();
}

int
same_umask(const struct task_def *a, const struct task_def *b)
{
	return a->policy->umask == b->policy->umask;
}

json_t *
field_show(
    const struct field *f, const struct task_def *d, const struct field_ctx *x)
{
	int64_t ms;

	switch (f->view) {
	case VIEW_PART:
		return NULL;
	case VIEW_SECONDS:
	case VIEW_SECONDS_OR_NULL:
		ms = POLICY_AT(d, f, int64_t);
		return f->view == VIEW_SECONDS_OR_NULL && ms == 0
		    ? json_null()
		    : seconds_json(ms);
	case VIEW_INT:
		return json_integer(POLICY_AT(d, f, int));
	case VIEW_INT64:
		return json_integer((json_int_t)POLICY_AT(d, f, int64_t));
	case VIEW_OWN:
		break;
	}
	return f->show(d, x);
}

int
field_same(
    const struct field *f, const struct task_def *a, const struct task_def *b)
{
	switch (f->view) {
	case VIEW_PART:
		return 1;
	case VIEW_SECONDS:
	case VIEW_SECONDS_OR_NULL:
	case VIEW_INT64:
		return POLICY_AT(a, f, int64_t) == POLICY_AT(b, f, int64_t);
	case VIEW_INT:
		return POLICY_AT(a, f, int) == POLICY_AT(b, f, int);
	case VIEW_OWN:
		break;
	}
	return f->same(a, b);
}

json_t *
config_task_json(
    const struct config *c, const struct task_def *d, const char *home)
{
	struct field_ctx x = { c, home };
	json_t *o = json_object(), *v;
	size_t i;

	for (i = 0; i < ntask_fields; i++) {
		if ((v = field_show(&task_fields[i], d, &x)) != NULL) {
			json_object_set_new(o, task_fields[i].name, v);
		}
	}
	return o;
}

static int
field_name_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct field *)elem)->name);
}

const char *
config_field_at(size_t i)
{
	return i < ntask_fields ? task_fields[i].name : NULL;
}

json_t *
config_task_field_json(const struct config *c, const struct task_def *d,
    const char *field, const char *home)
{
	struct field_ctx x = { c, home };
	const struct field *f = bsearch(field, task_fields, ntask_fields,
	    sizeof *task_fields, field_name_cmp);

	return f != NULL ? field_show(f, d, &x) : NULL;
}

size_t
task_def_changes(const struct task_def *a, const struct task_def *b,
    const char **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < ntask_fields; i++) {
		if (!field_same(&task_fields[i], a, b)) {
			if (n < max) {
				out[n] = task_fields[i].name;
			}
			n++;
		}
	}
	return n;
}

json_t *
show_type(const struct task_def *d, const struct field_ctx *x)
{
	(void)x;
	return d->plugin != NULL ? json_string(d->plugin) : NULL;
}

int
same_type(const struct task_def *a, const struct task_def *b)
{
	return (a->plugin == NULL) == (b->plugin == NULL) &&
	    (a->plugin == NULL || strcmp(a->plugin, b->plugin) == 0);
}

json_t *
show_with(const struct task_def *d, const struct field_ctx *x)
{
	(void)x;
	return d->with != NULL ? json_loads(d->with, 0, NULL) : NULL;
}

int
same_with(const struct task_def *a, const struct task_def *b)
{
	return (a->with == NULL) == (b->with == NULL) &&
	    (a->with == NULL || strcmp(a->with, b->with) == 0);
}
