/*
 * Submitted jobs (twctl submit): checked, given a task of their own, and
 * queued in one batch, or none of them.
 */

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "history.h"
#include "log.h"
#include "suggest.h"
#include "tasks.h"
#include "tasks-int.h"
#include "timefmt.h"
#include "xmalloc.h"

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

/* A label: 1 to 64 bytes of text, no control characters. */
static int
submit_label_ok(const char *s)
{
	size_t n = strlen(s), i;

	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			return 0;
		}
	}
	return n >= 1 && n <= 64;
}

/*
 * A job's environment (its caller's, as twctl submit sends it): the whole
 * of it, in place of twd's own, over the tasks file's env (the caller's
 * wins; runs.c). Checked here; kept in spec to be recorded apart
 * (tasks_submit) and given to the job's task as a block.
 */
static int
submit_env(json_t *env, struct task_def *def, json_t *spec, char **cause)
{
	const char *name;
	json_t *v;

	if (!json_is_object(env)) {
		return submit_fail(cause,
		    xstrdup("env: must be an object of variable names and "
		            "their values"));
	}
	json_object_foreach(env, name, v)
	{
		if (*name == '\0' || strchr(name, '=') != NULL ||
		    !json_is_string(v)) {
			return submit_fail(cause,
			    xasprintf("env: '%s' must be a name without '=' "
			              "and have a string value",
			        name));
		}
	}
	def->policy->env_clear = 1;
	json_object_set(spec, "env", env);
	return 0;
}

struct env_block *
env_block_get(struct tasks *ts, json_t *env)
{
	struct env_block *b;
	const char *name;
	size_t n = 0;
	json_t *v;

	if (env == ts->env_json && ts->env_block != NULL) {
		ts->env_block->refs++;
		return ts->env_block;
	}
	b = xcalloc(1, sizeof *b);
	b->refs = 2; /* the caller's and the cache's */
	json_object_foreach(env, name, v)
	{
		strv_add(&b->vars, &n,
		    xasprintf("%s=%s", name, json_string_value(v)));
	}
	env_block_release(ts->env_block);
	ts->env_block = b;
	if (env != ts->env_json) {
		json_decref(ts->env_json);
		free(ts->env_text);
		ts->env_json = json_incref(env);
		ts->env_text = json_dumps(env, JSON_COMPACT | JSON_SORT_KEYS);
	}
	return b;
}

void
env_block_release(struct env_block *b)
{
	if (b != NULL && --b->refs == 0) {
		strv_free(b->vars);
		free(b);
	}
}

/*
 * resources: {cpus, memory}, what the job asks of capacity (and of its
 * cgroup), over the defaults'; each a number or the tasks file's text.
 */
static int
submit_resources(struct tasks *ts, json_t *v, struct task_def *def,
    json_t *spec, char **cause)
{
	static const char *const keys[] = { "cpus", "memory" };
	const char *key;
	char text[64], *why = NULL;
	json_t *r;

	if (!json_is_object(v)) {
		return submit_fail(cause,
		    xstrdup("resources: must be an object of cpus and memory"));
	}
	json_object_foreach(v, key, r)
	{
		if (strcmp(key, keys[0]) != 0 && strcmp(key, keys[1]) != 0) {
			return submit_fail(cause,
			    xasprintf("resources: unknown resource '%s' (a job "
			              "asks for cpus and memory)",
			        key));
		}
		if (json_is_string(r)) {
			snprintf(text, sizeof text, "%s", json_string_value(r));
		} else if (json_is_number(r)) {
			snprintf(
			    text, sizeof text, "%.17g", json_number_value(r));
		} else {
			return submit_fail(cause,
			    xasprintf("resources: %s must be a number or a "
			              "text such as %s",
			        key,
			        strcmp(key, "cpus") == 0 ? "0.5" : "600M"));
		}
		if (config_resource_set(def->policy, key, text, &why) == -1) {
			*cause = xasprintf("resources: %s: %s", key, why);
			free(why);
			return -1;
		}
	}
	if ((why = capacity_never_fits(&ts->config->capacity, def->policy)) !=
	    NULL) {
		return submit_fail(cause, why);
	}
	json_object_set(spec, "resources", v);
	return 0;
}

/* The fields of a job besides its command, into def and spec. */
static int
submit_fields(struct tasks *ts, json_t *job, struct task_def *def, json_t *spec,
    char **cause)
{
	json_t *v;
	const char *s;
	int64_t at;
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
		if (tasks_find(ts, def->name) != NULL) {
			return submit_fail(cause,
			    xasprintf("name: '%s' is a task of the tasks "
			              "file; run it with twctl run %s, or "
			              "give the job another name",
			        def->name, def->name));
		}
		/* Only a name given is recorded: it names its metrics. */
		json_object_set_new(spec, "name", json_string(def->name));
	} else {
		def->name = submit_default_name(def->argv != NULL
		        ? def->argv[0]
		        : def->command + strspn(def->command, " \t"));
	}
	if ((v = json_object_get(job, "cwd")) != NULL) {
		if (!json_is_string(v) || json_string_value(v)[0] != '/') {
			return submit_fail(
			    cause, xstrdup("cwd: must be an absolute path"));
		}
		free(def->policy->cwd);
		def->policy->cwd = xstrdup(json_string_value(v));
		json_object_set(spec, "cwd", v);
	}
	if ((v = json_object_get(job, "env")) != NULL &&
	    submit_env(v, def, spec, cause) == -1) {
		return -1;
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
		if ((q = config_queue_index(ts->config, s)) == -1) {
			return submit_fail(cause,
			    xasprintf("queue: no queue named '%s' in the "
			              "tasks file",
			        s));
		}
		def->policy->queue = q;
		json_object_set(spec, "queue", v);
	}
	if ((v = json_object_get(job, "label")) != NULL) {
		s = json_is_string(v) ? json_string_value(v) : "";
		if (!submit_label_ok(s)) {
			return submit_fail(cause,
			    xstrdup("label: must be 1 to 64 printable "
			            "characters"));
		}
		json_object_set(spec, "label", v);
	}
	if ((v = json_object_get(job, "at")) != NULL) {
		if (!json_is_string(v) ||
		    timefmt_parse_iso(json_string_value(v), &at) == -1) {
			return submit_fail(cause,
			    xstrdup("at: must be a time such as "
			            "2026-12-24T18:00:00Z"));
		}
		json_object_set(spec, "at", v);
	}
	if ((v = json_object_get(job, "after_previous")) != NULL &&
	    !json_is_boolean(v)) {
		return submit_fail(
		    cause, xstrdup("after_previous: must be true or false"));
	}
	if (json_is_true(v) && json_object_get(job, "after") != NULL) {
		return submit_fail(cause,
		    xstrdup("after_previous: a job waits for the previous "
		            "one or for its after, not both"));
	}
	if ((v = json_object_get(job, "resources")) != NULL &&
	    submit_resources(ts, v, def, spec, cause) == -1) {
		return -1;
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

/* A job's fields (taskweaver-ipc(7), submit), alphabetized. */
static const char *const submit_fields_known[] = { "after", "after_previous",
	"at", "command", "cwd", "env", "label", "name", "priority", "queue",
	"resources", "run", "timeout" };

/* Every key of job is a job's field: a typo is an error, not ignored. */
static int
submit_keys(json_t *job, char **cause)
{
	const size_t n =
	    sizeof submit_fields_known / sizeof submit_fields_known[0];
	const char *key, *hint;
	json_t *v;
	size_t i;

	json_object_foreach(job, key, v)
	{
		for (i = 0; i < n && strcmp(key, submit_fields_known[i]) != 0;
		     i++) {
		}
		if (i < n) {
			continue;
		}
		hint = suggest(key, submit_fields_known, n);
		return submit_fail(cause,
		    xasprintf("unknown field '%s'%s%s%s", key,
		        hint != NULL ? " (did you mean '" : "",
		        hint != NULL ? hint : "", hint != NULL ? "'?)" : ""));
	}
	return 0;
}

/*
 * The definition of a submitted job: the tasks file's defaults with what
 * the job says. spec is the job as it is kept, to outlive a restart.
 */
struct task_def *
submit_def(struct tasks *ts, json_t *job, json_t **spec, char **cause)
{
	struct task_def *def;

	if (!json_is_object(job)) {
		*cause = xstrdup("a job must be an object");
		return NULL;
	}
	if (submit_keys(job, cause) == -1) {
		return NULL;
	}
	def = task_def_copy(ts->config->defaults);
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
	    submit_fields(ts, job, def, *spec, cause) == -1) {
		json_decref(*spec);
		task_def_free(def);
		return NULL;
	}
	return def;
}

void
submit_spec_env(json_t *job, const char *env)
{
	json_t *vars;

	if (env != NULL && (vars = json_loads(env, 0, NULL)) != NULL) {
		json_object_set_new(job, "env", vars);
	}
}

/* A task for one submitted job, owned by its run. */
struct task *
task_adhoc(struct tasks *ts, struct task_def *def)
{
	struct task *t = xcalloc(1, sizeof *t);

	t->ts = ts;
	t->def = def;
	t->own = 1;
	alarm_init(&t->alarm);
	return t;
}

/* Whether run id is queued or running here. */
static int
active_in_flight(struct tasks *ts, int64_t id)
{
	struct active_run *ar;

	TAILQ_FOREACH(ar, &ts->runs, entry)
	{
		if (ar->rec.id == id) {
			return 1;
		}
	}
	TAILQ_FOREACH(ar, &ts->queued, entry)
	{
		if (ar->rec.id == id) {
			return 1;
		}
	}
	return 0;
}

/*
 * What a job waits for by its "after": a task of the file, or a run that
 * must succeed (0 in *after_run when it did already). Returns 0; or, with
 * *cause, -1 for an after that is neither, -2 for a task or run that is
 * not there or a run that failed.
 */
int
submit_after(struct tasks *ts, json_t *after, char **after_task,
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
		if (tasks_find(ts, json_string_value(after)) == NULL) {
			submit_fail(cause,
			    xasprintf("after: no task named '%s'",
			        json_string_value(after)));
			return -2;
		}
		*after_task = xstrdup(json_string_value(after));
		return 0;
	}
	if (!json_is_integer(after) || json_integer_value(after) < 1) {
		return submit_fail(
		    cause, xstrdup("after: must be a task name or a run id"));
	}
	*after_run = json_integer_value(after);
	if (active_in_flight(ts, *after_run)) {
		return 0;
	}
	if ((rc = history_get(ts->history, *after_run, &r, cause)) != 1) {
		if (rc == 0) {
			submit_fail(cause,
			    xasprintf(
			        "after: there is no run %" PRId64, *after_run));
		}
		return -2;
	}
	rc = r.status == RUN_OK ? 0 : -2;
	if (rc == -2) {
		*cause = xasprintf("after: run %" PRId64
		                   " did not succeed (%s); a job "
		                   "after it would never start",
		    r.id, run_describe(&r, what, sizeof what));
	}
	run_record_release(&r);
	*after_run = 0;
	return rc;
}

/*
 * What job waits for (caller decrefs; NULL for nothing): its after, or
 * with after_previous the newest job submitted before it, if any.
 */
static json_t *
submit_after_of(struct tasks *ts, json_t *job)
{
	if (json_is_true(json_object_get(job, "after_previous"))) {
		return ts->last_submit_id > 0 ? json_integer(ts->last_submit_id)
		                              : NULL;
	}
	return json_incref(json_object_get(job, "after"));
}

void
tasks_submit_undo(struct tasks *ts, json_t *ids)
{
	struct active_run *ar, *next;
	json_t *v;
	size_t i;

	for (ar = TAILQ_FIRST(&ts->queued); ar != NULL; ar = next) {
		next = TAILQ_NEXT(ar, entry);
		json_array_foreach(ids, i, v)
		{
			if (json_integer_value(v) != ar->rec.id) {
				continue;
			}
			dispatch_unqueue(ts, active_task(ts, ar), ar);
			history_forget_run(ts->history, ar->rec.id);
			log_info("run %" PRId64 " '%s' taken back: its submit "
			         "could not be recorded",
			    ar->rec.id, ar->rec.task);
			active_run_free(ar);
			break;
		}
	}
}

int
tasks_submit_check(struct tasks *ts, json_t *job, char **cause)
{
	struct task_def *def;
	json_t *spec, *after;
	char *after_task;
	int64_t after_run;
	int rc;

	if ((def = submit_def(ts, job, &spec, cause)) == NULL) {
		return -1;
	}
	after = submit_after_of(ts, job);
	rc = submit_after(ts, after, &after_task, &after_run, cause);
	json_decref(after);
	free(after_task);
	json_decref(spec);
	task_def_free(def);
	return rc;
}

int64_t
tasks_submit(struct tasks *ts, json_t *job, char **cause)
{
	struct task_def *def;
	struct active_run *ar;
	struct task *t;
	json_t *spec, *after, *env;
	char *after_task;
	int64_t after_run, id;

	if (ts->halted) {
		*cause = xstrdup("twd is shutting down");
		return -1;
	}
	if ((def = submit_def(ts, job, &spec, cause)) == NULL) {
		return -1;
	}
	after = submit_after_of(ts, job);
	if (submit_after(ts, after, &after_task, &after_run, cause) != 0) {
		json_decref(after);
		json_decref(spec);
		task_def_free(def);
		return -1;
	}
	if (after != NULL) {
		json_object_set(spec, "after", after);
	}
	json_decref(after);
	t = task_adhoc(ts, def);
	t->named = json_object_get(spec, "name") != NULL;
	ar = active_new(ts, t, RUN_TRIGGER_SUBMIT, 0, 1);
	ar->own = t;
	if (json_is_string(json_object_get(job, "at"))) {
		timefmt_parse_iso(json_string_value(json_object_get(job, "at")),
		    &ar->rec.not_before_ms);
	}
	/*
	 * Recorded once for every job that has the same (history.c); the
	 * jobs of a submit share one object, made into a block once.
	 */
	if ((env = json_object_get(spec, "env")) != NULL) {
		t->env = env_block_get(ts, env);
		ar->rec.env = xstrdup(ts->env_text);
		json_object_del(spec, "env");
	}
	ar->rec.spec = json_dumps(spec, JSON_COMPACT);
	ar->after_task = after_task;
	ar->after_run = after_run;
	json_decref(spec);
	if ((id = dispatch_record_queue(ts, ar->own, ar)) > 0) {
		ts->last_submit_id = id;
	}
	return id;
}

int
tasks_amend(struct tasks *ts, int64_t run_id, const char *command, char **cause)
{
	struct task_def *def;
	struct active_run *ar;
	json_t *spec;

	TAILQ_FOREACH(ar, &ts->queued, entry)
	{
		if (ar->rec.id == run_id) {
			break;
		}
	}
	if (ar == NULL) {
		return 0;
	}
	if (ar->own == NULL || ar->rec.spec == NULL ||
	    (spec = json_loads(ar->rec.spec, 0, NULL)) == NULL) {
		*cause = xasprintf("run %" PRId64 " is a run of the task '%s', "
		                   "whose command is in the tasks file (twctl "
		                   "edit)",
		    run_id, ar->rec.task);
		return -1;
	}
	if (*command == '\0') {
		json_decref(spec);
		*cause = xstrdup("'command' must be a non-empty string");
		return -1;
	}
	/* Its own definition, made by submit_def: the job's to change. */
	def = (struct task_def *)ar->own->def;
	for (char **w = def->argv; w != NULL && *w != NULL; w++) {
		free(*w);
	}
	free(def->argv);
	def->argv = NULL;
	free(def->command);
	def->command = xstrdup(command);
	json_object_del(spec, "run");
	json_object_set_new(spec, "command", json_string(command));
	free(ar->rec.spec);
	ar->rec.spec = json_dumps(spec, JSON_COMPACT);
	json_decref(spec);
	history_put_run(ts->history, &ar->rec);
	log_info("run %" PRId64 " '%s': its command is now: %s", run_id,
	    ar->rec.task, command);
	return 1;
}
