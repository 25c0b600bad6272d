/*
 * A run from start to end: its job built from the task, recorded as
 * started and spawned once that is committed (in batches), its output to
 * the log and the subscribers, its end recorded, then retried or told.
 */

#include <sys/resource.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cgroup.h"
#include "config.h"
#include "duration.h"
#include "history.h"
#include "log.h"
#include "notifiers.h"
#include "plugin.h"
#include "tasks.h"
#include "tasks-int.h"
#include "timefmt.h"
#include "xmalloc.h"

static void active_ended(struct tasks *ts, const struct run_record *r);
static int
task_retry(struct tasks *ts, struct task *t, const struct run_record *failed);
static void run_cgroup_end(struct tasks *ts, struct active_run *ar);
static void active_spawn_pending(struct tasks *ts, int recorded);

/*
 * Make the history's writes and reads from here to tasks_batch_end one
 * transaction. Batches nest; the outermost end commits, and only then do
 * the jobs of the runs it recorded as started start: no job runs whose
 * run is not in the database.
 */
void
tasks_batch_begin(struct tasks *ts)
{
	history_begin(ts->history);
	ts->batch_depth++;
}

int
tasks_batch_end(struct tasks *ts, char **cause)
{
	char *why = NULL;
	int rc;

	ts->batch_depth--;
	rc = history_commit(ts->history, &why);
	if (ts->batch_depth > 0) {
		return 0;
	}
	if (ts->nspawn_pending > 0) {
		active_spawn_pending(ts, rc == 0);
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

void
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
	elsewhere_forget(ar);
	free(ar->executor);
	free(ar);
}

/* The task a run belongs to: its own, or the file's; NULL if gone. */
struct task *
active_task(struct tasks *ts, const struct active_run *ar)
{
	return ar->own != NULL ? ar->own : tasks_find(ts, ar->rec.task);
}

void
tasks_publish_run(struct tasks *ts, enum proto_event ev, struct run_record *r)
{
	if (tw_wants(&ts->events, ev, r->task, r->id)) {
		tw_publish(
		    &ts->events, ev, r->task, r->id, 0, run_record_json(r));
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

/* Summaries are kept to this many bytes. */
#define PLUGIN_SUMMARY_MAX 200

/*
 * A plugin's line that says how its run goes (taskweaver-plugins(7)):
 * "::progress 40" or "::summary 3 files copied", kept with the run and
 * written to the history: a summary at once, progress at most once a
 * second while it runs (all of it when it ends).
 */
static void
plugin_line(struct active_run *ar, const struct logfmt_record *rec)
{
	struct run_record *r = &ar->rec;
	char line[PLUGIN_SUMMARY_MAX + 16];
	size_t n = rec->len < sizeof line - 1 ? rec->len : sizeof line - 1;
	int64_t now;
	long p;

	memcpy(line, rec->text, n);
	line[n] = '\0';
	if (strncmp(line, "::progress ", 11) == 0) {
		p = strtol(line + 11, NULL, 10);
		r->progress = p < 0 ? 0 : p > 100 ? 100 : (int)p;
	} else if (strncmp(line, "::summary ", 10) == 0) {
		free(r->summary);
		r->summary = xstrndup(line + 10, PLUGIN_SUMMARY_MAX);
		ar->said_ms = 0;
	} else {
		return;
	}
	if ((now = timefmt_mono_ms()) - ar->said_ms >= 1000) {
		ar->said_ms = now;
		history_put_run(ar->ts->history, r);
	}
}

void
tasks_run_output(
    struct job *job, const struct logfmt_record *rec, uint64_t seq, void *arg)
{
	struct active_run *ar = arg;
	struct run_record *r = &ar->rec;
	json_t *o;

	(void)job;
	if (rec->stream == LOGFMT_STDOUT && rec->len > 2 &&
	    rec->text[0] == ':' && rec->text[1] == ':') {
		plugin_line(ar, rec);
	}
	if (!tw_wants(&ar->ts->events, PROTO_EV_RUN_OUTPUT, r->task, r->id)) {
		return;
	}
	o = output_line_json(rec, seq);
	json_object_set_new(o, "run", json_integer(r->id));
	json_object_set_new(o, "task", json_string(r->task));
	tw_publish(&ar->ts->events, PROTO_EV_RUN_OUTPUT, r->task, r->id, 1, o);
}

void
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
task_notify(struct tasks *ts, struct task *t, const struct run_record *r,
    int will_retry, json_t *output)
{
	const struct task_def *d = t->def;
	struct notify_state before = t->nstate;
	unsigned ev;
	char *key, *value;

	ev = notify_decide(d->policy->notify_on, d->policy->notify_every_ms,
	    &t->nstate, r->status, will_retry, tw_now(&ts->clock));
	if (ev != 0 && d->policy->nnotify_via > 0) {
		notifiers_send(ts->notifiers, d->policy->notify_via,
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
	history_put_state(ts->history, key, value);
	free(key);
	free(value);
}

/* Shutting down: the loop ends with the last run in flight. */
static void
tasks_maybe_exit(struct tasks *ts)
{
	if (ts->halted && TAILQ_EMPTY(&ts->runs)) {
		event_base_loopexit(ts->base, NULL);
	}
}

void
tasks_run_done(struct job *job, const struct job_result *res, void *arg)
{
	struct active_run *ar = arg;
	struct tasks *ts = ar->ts;
	struct run_record *r = &ar->rec;
	struct task *t;
	char dur[32], what[64];
	json_t *output;

	/*
	 * Its end, and the start of the runs that take its slot, in one
	 * commit: committed before this returns, as each was alone.
	 */
	tasks_batch_begin(ts);
	r->finished_ms = tw_now(&ts->clock);
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
	elsewhere_end(ts, ar, job, res);
	if (ar->cgroup) {
		run_cgroup_end(ts, ar);
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
	history_put_run(ts->history, r);
	log_info("run %" PRId64 " '%s' finished: %s in %s", r->id, r->task,
	    run_describe(r, what, sizeof what),
	    duration_format_ms(r->duration_ms, dur, sizeof dur));
	metrics_run_ended(ts, ar);
	active_ended(ts, r);

	TAILQ_REMOVE(&ts->runs, ar, entry);
	if ((t = active_task(ts, ar)) != NULL) {
		t->running--;
		task_set_last(t, r);
		task_prune_later(t);
		output = json_array();
		job_tail(job, notify_tail, output);
		task_notify(ts, t, r, task_retry(ts, t, r), output);
		if (r->status == RUN_OK) {
			t->last_ok_ms = r->finished_ms;
			tasks_after(ts, t);
		}
	}
	active_run_free(ar);
	tasks_maybe_exit(ts);
	tasks_dispatch(ts);
	tasks_batch_end(ts, NULL);
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

/*
 * A plugin's run: its request (taskweaver-plugins(7)) in a file, its
 * standard input; the caller removes it once the job has it open. NULL
 * with *why when it cannot be written.
 */
static char *
plugin_request(struct tasks *ts, const struct task_def *def,
    const struct active_run *ar, char **why)
{
	char when[TIMEFMT_ISO_LEN], *path, *text, *eq;
	json_t *req, *env = json_object();
	size_t i, n;
	ssize_t w;
	int fd;

	for (i = 0; def->policy->env != NULL && def->policy->env[i] != NULL;
	     i++) {
		eq = strchr(def->policy->env[i], '=');
		text = xstrndup(
		    def->policy->env[i], (size_t)(eq - def->policy->env[i]));
		json_object_set_new(env, text, json_string(eq + 1));
		free(text);
	}
	req = json_pack("{s:i, s:s, s:I, s:i, s:o, s:o, s:o}", "protocol",
	    PLUGIN_PROTOCOL, "task", def->name, "run", (json_int_t)ar->rec.id,
	    "attempt", ar->rec.attempt, "scheduled_at",
	    ar->rec.scheduled_ms != 0
	        ? json_string(
	              timefmt_iso(ar->rec.scheduled_ms, when, sizeof when))
	        : json_null(),
	    "params", json_loads(def->with, 0, NULL), "env", env);
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	path = xasprintf("%s/request-%" PRId64 ".json",
	    ts->exec_dir != NULL ? ts->exec_dir : ts->log_dir, ar->rec.id);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	n = strlen(text);
	w = fd != -1 ? write(fd, text, n) : -1;
	if (fd == -1 || w != (ssize_t)n || close(fd) == -1) {
		*why = xasprintf("cannot write its request to %s: %s", path,
		    strerror(errno));
		if (fd != -1) {
			unlink(path);
		}
		free(path);
		path = NULL;
	}
	free(text);
	return path;
}

char *
run_paths_file(const struct tasks *ts, const char *task, int64_t id)
{
	return xasprintf("%s/%s/%" PRId64 ".paths", ts->log_dir, task, id);
}

/* Run to's list of paths is run from's, when that has one. */
static void
run_paths_link(
    const struct tasks *ts, const char *task, int64_t from, int64_t to)
{
	char *a = run_paths_file(ts, task, from),
	     *b = run_paths_file(ts, task, to);

	if (link(a, b) == -1 && errno != ENOENT) {
		log_warn("cannot link %s to %s: %s", b, a, strerror(errno));
	}
	free(a);
	free(b);
}

/* What a change gives the job: TW_GIT_*, or TW_PATHS and TW_PATH. */
static void
change_env(const struct tasks *ts, const struct active_run *ar,
    const char *kind, json_t *c, char ***env, size_t *n)
{
	const char *one;
	char *path;

	if (strcmp(kind, "git") == 0) {
		strv_add(env, n,
		    xasprintf("TW_GIT_REPO=%s",
		        json_string_value(json_object_get(c, "repo"))));
		strv_add(env, n,
		    xasprintf("TW_GIT_REF=%s",
		        json_string_value(json_object_get(c, "ref"))));
		strv_add(env, n,
		    xasprintf("TW_GIT_OLD=%s",
		        json_is_string(json_object_get(c, "old"))
		            ? json_string_value(json_object_get(c, "old"))
		            : ""));
		strv_add(env, n,
		    xasprintf("TW_GIT_NEW=%s",
		        json_string_value(json_object_get(c, "new"))));
		return;
	}
	path = run_paths_file(ts, ar->rec.task, ar->rec.id);
	strv_add(env, n, xasprintf("TW_PATHS=%s", path));
	free(path);
	if ((one = json_string_value(json_object_get(c, "path"))) != NULL) {
		strv_add(env, n, xasprintf("TW_PATH=%s", one));
	}
	if (json_is_true(json_object_get(c, "incomplete"))) {
		strv_add(env, n, xstrdup("TW_PATHS_INCOMPLETE=1"));
	}
}

char **
run_own_env(const struct tasks *ts, const struct task_def *def,
    const struct active_run *ar)
{
	char when[TIMEFMT_ISO_LEN], **env = NULL;
	json_t *c =
	    ar->rec.change != NULL ? json_loads(ar->rec.change, 0, NULL) : NULL;
	const char *kind = json_string_value(json_object_get(c, "kind"));
	size_t n = 0;

	strv_add(&env, &n, xasprintf("TW_TASK=%s", def->name));
	strv_add(&env, &n, xasprintf("TW_RUN_ID=%" PRId64, ar->rec.id));
	strv_add(&env, &n, xasprintf("TW_ATTEMPT=%d", ar->rec.attempt));
	strv_add(&env, &n,
	    xasprintf("TW_SCHEDULED_AT=%s",
	        ar->rec.scheduled_ms != 0
	            ? timefmt_iso(ar->rec.scheduled_ms, when, sizeof when)
	            : ""));
	/* A retry of a change's run was still made by that change. */
	strv_add(&env, &n,
	    xasprintf("TW_TRIGGER=%s",
	        kind != NULL ? kind : run_trigger_name(ar->rec.trigger)));
	if (kind != NULL) {
		change_env(ts, ar, kind, c, &env, &n);
	}
	json_decref(c);
	return env;
}

/* What a run of def is held to in its cgroup. */
static void
run_cgroup_limits(const struct tasks *ts, const struct task_def *def,
    struct cgroup_limits *lim)
{
	unsigned i;

	memset(lim, 0, sizeof *lim);
	lim->memory = def->policy->res_memory;
	lim->swap = ts->config->capacity.swap;
	lim->mcpus = def->policy->res_mcpus;
	for (i = 0; i < def->policy->nlimits; i++) {
		if (def->policy->limits[i].resource == RLIMIT_NPROC) {
			lim->pids = (int64_t)def->policy->limits[i].value;
		}
	}
}

/*
 * What run ar's cgroup saw, into its record: its peak memory, and an
 * end by the kernel's OOM killer as oom.
 */
static void
run_cgroup_end(struct tasks *ts, struct active_run *ar)
{
	struct run_record *r = &ar->rec;
	struct cgroup_usage u;
	char size[32];

	cgroups_run_end(ts->cgroups, r->id, &u);
	ar->cgroup = 0;
	r->memory_peak = u.memory_peak;
	r->oom_kills = u.oom_kills;
	if (u.oom_kills == 0) {
		return;
	}
	if (r->status == RUN_FAILED || r->status == RUN_KILLED) {
		r->status = RUN_OOM;
		r->reason = why_join(r->reason,
		    ar->need.memory > 0
		        ? xasprintf("killed by the kernel's OOM killer at its "
		                    "memory limit of %s (resources: memory)",
		              size_format(ar->need.memory, size, sizeof size))
		        : xstrdup("killed by the kernel's OOM killer"));
	} else {
		r->reason = why_join(r->reason,
		    xasprintf("%" PRId64 " of its processes %s killed by the "
		              "kernel's OOM killer",
		        u.oom_kills, u.oom_kills == 1 ? "was" : "were"));
	}
}

/* Start the job for run ar of def; NULL with *why when it could not. */
static struct job *
task_start_job(struct tasks *ts, const struct task_def *def,
    struct active_run *ar, char **why)
{
	static const char *const sh[] = { "/bin/sh", "-c", NULL };
	const char *const *shell = def->policy->shell != NULL
	    ? (const char *const *)def->policy->shell
	    : sh;
	const char **argv = NULL, **env = NULL;
	char **owned = NULL, **words = NULL, **ownenv, *procs = NULL;
	struct cgroup_limits lim;
	struct cgroup_usage usage;
	const char *marker;
	size_t n = 0, nenv = 0, nowned = 0, i;
	const struct executor_def *ex;
	char *request = NULL;
	struct job_spec spec;
	struct job *job;

	if (def->policy->executor >= 0) {
		if ((ex = config_executor(ts->config, def)) == NULL) {
			*why = xstrdup("its executor is no longer in the tasks "
			               "file");
			return NULL;
		}
		return elsewhere_start(ts, def, ex, ar, why);
	}
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
	/* Then twd's own, last: a job's env (a submitted job's caller's,
	 * a job that submits) cannot give a run another's id. */
	for (i = 0; def->policy->env != NULL && def->policy->env[i] != NULL;
	     i++) {
		env_push(&env, &nenv, def->policy->env[i]);
	}
	/* A submitted job's caller's, over the tasks file's. */
	for (i = 0; ar->own != NULL && ar->own->env != NULL &&
	     ar->own->env->vars != NULL && ar->own->env->vars[i] != NULL;
	     i++) {
		env_push(&env, &nenv, ar->own->env->vars[i]);
	}
	ownenv = run_own_env(ts, def, ar);
	marker = ownenv[1]; /* TW_RUN_ID: no other job's */
	for (i = 0; ownenv[i] != NULL; i++) {
		env_push(&env, &nenv, ownenv[i]);
	}

	memset(&spec, 0, sizeof spec);
	spec.argv = argv;
	spec.cwd = def->policy->cwd != NULL ? def->policy->cwd : ts->home;
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
	if (def->plugin != NULL &&
	    (spec.stdin_path = request = plugin_request(ts, def, ar, why)) ==
	        NULL) {
		job = NULL;
		goto done;
	}
	ar->timeout_ms = def->policy->timeout_ms;
	ar->kill_grace_ms = def->policy->kill_grace_ms;
	if (cgroups_off(ts->cgroups) == NULL) {
		run_cgroup_limits(ts, def, &lim);
		if ((procs = cgroups_run_make(
		         ts->cgroups, ar->rec.id, &lim, why)) == NULL) {
			job = NULL;
			goto done;
		}
		spec.cgroup_procs = procs;
		ar->cgroup = 1;
	}
	job = job_start(
	    ts->jobs, &spec, tasks_run_done, tasks_run_output, ar, why);
	if (job == NULL && ar->cgroup) {
		cgroups_run_end(ts->cgroups, ar->rec.id, &usage);
		ar->cgroup = 0;
	}
done:
	free(procs);
	/* The job has its request open, or never will. */
	if (request != NULL) {
		unlink(request);
		free(request);
	}
	if (words != NULL) {
		for (i = 0; words[i] != NULL; i++) {
			free(words[i]);
		}
		free(words);
	} else if (argv != (const char **)def->argv) {
		free(argv);
	}
	free(env);
	strv_free(ownenv);
	for (i = 0; i < nowned; i++) {
		free(owned[i]);
	}
	free(owned);
	return job;
}

/* logs/TASK/ID.log (caller frees); the job makes it at its first output. */
static char *
tasks_log_path(struct tasks *ts, const char *task, int64_t id)
{
	return xasprintf("%s/%s/%" PRId64 ".log", ts->log_dir, task, id);
}

/* A new run of t, not yet recorded. */
struct active_run *
active_new(struct tasks *ts, struct task *t, enum run_trigger trigger,
    int64_t scheduled_ms, int attempt)
{
	struct active_run *ar = xcalloc(1, sizeof *ar);
	struct run_record *r = &ar->rec;

	ar->ts = ts;
	r->task = xstrdup(t->def->name);
	r->trigger = trigger;
	r->scheduled_ms = scheduled_ms;
	r->started_ms = tw_now(&ts->clock); /* queued at, until it starts */
	r->status = RUN_QUEUED;
	r->exit_code = -1;
	r->attempt = attempt;
	r->duration_ms = -1;
	r->progress = -1;
	r->memory_peak = -1;
	return ar;
}

/*
 * Record that ar will not run, as status with reason (taken): a fire that
 * was skipped, a queued run taken off. Frees ar.
 */
void
active_drop(struct tasks *ts, struct task *t, struct active_run *ar,
    enum run_status status, char *reason)
{
	struct run_record *r = &ar->rec;

	r->status = status;
	r->finished_ms = tw_now(&ts->clock);
	r->duration_ms = 0;
	free(r->reason);
	r->reason = reason;
	history_put_run(ts->history, r);
	log_info("run %" PRId64 " '%s' %s: %s", r->id, r->task,
	    run_status_name(status), reason);
	if (t != NULL) {
		task_set_last(t, r);
		task_notify(ts, t, r, 0, NULL);
	}
	metrics_run_ended(ts, ar);
	active_ended(ts, r);
	active_run_free(ar);
}

/*
 * Run r is over (finished, or never to start): say so, and free the jobs
 * submitted to run after it, or drop them if it did not succeed.
 */
static void
active_ended(struct tasks *ts, const struct run_record *r)
{
	struct active_runs dropped = TAILQ_HEAD_INITIALIZER(dropped);
	struct active_run *ar, *next;
	char what[64];

	if (r->status == RUN_SKIPPED) {
		tasks_publish_run(
		    ts, PROTO_EV_RUN_SKIPPED, (struct run_record *)r);
	}
	tasks_publish_run(ts, PROTO_EV_RUN_FINISHED, (struct run_record *)r);
	for (ar = TAILQ_FIRST(&ts->queued); ts->nafter_run > 0 && ar != NULL;
	     ar = next) {
		next = TAILQ_NEXT(ar, entry);
		if (ar->after_run != r->id) {
			continue;
		}
		ar->after_run = 0;
		ts->nafter_run--;
		if (r->status != RUN_OK) {
			dispatch_unqueue(ts, active_task(ts, ar), ar);
			TAILQ_INSERT_TAIL(&dropped, ar, entry);
		}
	}
	run_describe(r, what, sizeof what);
	/* Off the queue first: dropping one may drop those after it. */
	while ((ar = TAILQ_FIRST(&dropped)) != NULL) {
		TAILQ_REMOVE(&dropped, ar, entry);
		active_drop(ts, active_task(ts, ar), ar, RUN_SKIPPED,
		    xasprintf("run %" PRId64 ", which it was to run after, "
		              "did not succeed (%s)",
		        r->id, what));
	}
}

/* Whether the failed run r of a task defined as d is to be tried again. */
static int
active_should_retry(const struct task_def *d, const struct run_record *r)
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
		/* A plugin that asks for it is tried again, whatever else. */
		return any ||
		    (d->plugin != NULL && r->exit_code == PLUGIN_EXIT_RETRY);
	case RUN_TIMEOUT:
		return any || (d->policy->retry_flags & RETRY_ON_TIMEOUT);
	case RUN_OOM:
		/* The kernel's SIGKILL at its memory limit. */
		return any || (d->policy->retry_flags & RETRY_ON_SIGNAL);
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
task_retry(struct tasks *ts, struct task *t, const struct run_record *failed)
{
	const struct task_def *d = t->def;
	struct active_run *ar;
	int64_t wait, id;
	char dur[32];

	if (ts->halted || !active_should_retry(d, failed)) {
		return 0;
	}
	wait = runq_backoff(d->policy->retry_delay_ms, d->policy->retry_backoff,
	    d->policy->retry_max_delay_ms, failed->attempt,
	    (double)random_below(1000000) / 1e6);
	ar = active_new(ts, t, RUN_TRIGGER_RETRY, failed->scheduled_ms,
	    failed->attempt + 1);
	ar->rec.not_before_ms = tw_now(&ts->clock) + wait;
	ar->rec.reason = xasprintf("attempt %d of %d, after run %" PRId64,
	    failed->attempt + 1, d->policy->retries + 1, failed->id);
	/* What changed made it, and its list of paths, if it had one. */
	ar->rec.change =
	    failed->change != NULL ? xstrdup(failed->change) : NULL;
	id = dispatch_enqueue(ts, t, ar);
	if (failed->change != NULL) {
		run_paths_link(ts, d->name, failed->id, id);
	}
	log_info("run %" PRId64 " '%s' failed; attempt %d of %d is run %" PRId64
	         " in %s",
	    failed->id, d->name, failed->attempt + 1, d->policy->retries + 1,
	    id, duration_format_ms(wait, dur, sizeof dur));
	return 1;
}

/*
 * Start the queued run ar of t, which has been taken off the queue: it is
 * recorded as running now, and its job starts when that record is in the
 * database (active_spawn_pending). It holds its slot from now on.
 */
void
active_start(struct tasks *ts, struct task *t, struct active_run *ar)
{
	struct run_record *r = &ar->rec;

	r->started_ms = tw_now(&ts->clock);
	ar->started_mono = timefmt_mono_ms();
	r->status = RUN_RUNNING;
	free(r->reason);
	/* Late because the history could not be written: say so. */
	r->reason = ar->held;
	ar->held = NULL;
	r->log_path = tasks_log_path(ts, r->task, r->id);
	history_put_run(ts->history, r);
	metrics_run_started(ts, r);
	ar->spawn_pending = 1;
	ts->nspawn_pending++;
	TAILQ_INSERT_TAIL(&ts->runs, ar, entry);
	t->running++;
	task_set_last(t, r);
}

/* Put a run whose start could not be recorded back in the queue. */
static void
active_unstart(struct tasks *ts, struct task *t, struct active_run *ar)
{
	struct run_record *r = &ar->rec;

	TAILQ_REMOVE(&ts->runs, ar, entry);
	t->running--;
	r->status = RUN_QUEUED;
	r->started_ms = ar->queued_ms;
	free(r->log_path);
	r->log_path = NULL;
	ar->held = r->reason;
	r->reason = NULL;
	history_put_run(ts->history, r);
	dispatch_hold(ts, ar);
	dispatch_queue(ts, t, ar);
	task_set_last(t, r);
}

/* Start the job of ar, whose start is in the database. */
void
active_spawn(struct tasks *ts, struct task *t, struct active_run *ar)
{
	struct run_record *r = &ar->rec;
	char *why = NULL;

	if (ar->stop_reason != NULL) {
		/* Killed, replaced or shut down before its job began. */
		TAILQ_REMOVE(&ts->runs, ar, entry);
		t->running--;
		active_drop(ts, t, ar, RUN_KILLED, xstrdup(ar->stop_reason));
		return;
	}
	ar->job = task_start_job(ts, t->def, ar, &why);
	if (ar->job == NULL) {
		TAILQ_REMOVE(&ts->runs, ar, entry);
		t->running--;
		r->status = RUN_START_FAILED;
		r->finished_ms = tw_now(&ts->clock);
		r->duration_ms = timefmt_mono_ms() - ar->started_mono;
		r->reason = why_join(r->reason, why);
		history_put_run(ts->history, r);
		log_warn("run %" PRId64 " '%s' could not start: %s", r->id,
		    r->task, why);
		task_set_last(t, r);
		metrics_run_ended(ts, ar);
		active_ended(ts, r);
		task_notify(ts, t, r, task_retry(ts, t, r), NULL);
		active_run_free(ar);
		return;
	}
	r->pid = (int)job_pid(ar->job);
	history_put_run(ts->history, r);
	task_set_last(t, r);
	log_info(
	    "run %" PRId64 " '%s' started (pid %d)", r->id, r->task, r->pid);
	tasks_publish_run(ts, PROTO_EV_RUN_STARTED, r);
}

/*
 * The batch that recorded runs as started has ended: start their jobs if
 * it was written, else put them back in the queue. Their pids, and the
 * runs that could not start, are one more commit; a start that failed
 * frees its slot for the next run.
 */
static void
active_spawn_pending(struct tasks *ts, int recorded)
{
	struct active_run *ar, **v;
	struct task *t;
	size_t n = 0, i;

	/*
	 * Those of that batch alone: the runs these start in turn are
	 * recorded in the next one, and start when it is written.
	 */
	v = xreallocarray(NULL, ts->nspawn_pending, sizeof *v);
	TAILQ_FOREACH(ar, &ts->runs, entry)
	{
		if (ar->spawn_pending) {
			ar->spawn_pending = 0;
			v[n++] = ar;
		}
	}
	ts->nspawn_pending = 0;
	tasks_batch_begin(ts);
	for (i = 0; i < n; i++) {
		if ((t = active_task(ts, v[i])) == NULL) {
			/* Its task gone within the batch: not done today. */
			TAILQ_REMOVE(&ts->runs, v[i], entry);
			active_drop(ts, NULL, v[i], RUN_SKIPPED,
			    xstrdup("its task left the tasks file before it "
			            "started"));
		} else if (recorded) {
			active_spawn(ts, t, v[i]);
		} else {
			active_unstart(ts, t, v[i]);
		}
	}
	free(v);
	tasks_maybe_exit(ts);
	tasks_dispatch(ts);
	tasks_batch_end(ts, NULL);
}
