/*
 * Runs on an executor (remote.h): the job that makes the run there, and
 * what its end means. The run is otherwise a run as any: queued, logged,
 * timed out, killed, recorded and retried by the other stages.
 */

#include <sys/stat.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "hash.h"
#include "job.h"
#include "log.h"
#include "remote.h"
#include "tasks.h"
#include "tasks-int.h"
#include "timefmt.h"
#include "xmalloc.h"

/*
 * What names this twd's runs on other machines, beside their ids: its
 * host and its state (two twds may share a remote account), the same
 * after a restart, so that it finds what it left there.
 */
uint64_t
elsewhere_instance(const char *state)
{
	char host[256] = "";

	gethostname(host, sizeof host - 1);
	return hash_str(hash_str(HASH_START, host), state);
}

/* The run's key there: the instance and the run's id. */
static char *
elsewhere_key(const struct tasks *ts, int64_t id)
{
	return xasprintf("%016" PRIx64 "-%" PRId64, ts->instance, id);
}

/* A directory of the home, as a path from the remote account's home. */
static const char *
elsewhere_cwd(const struct tasks *ts, const char *cwd)
{
	size_t n = strlen(ts->home);

	if (cwd == NULL || strcmp(cwd, ts->home) == 0) {
		return NULL;
	}
	if (strncmp(cwd, ts->home, n) == 0 && cwd[n] == '/') {
		return cwd + n + 1;
	}
	return cwd;
}

struct job *
elsewhere_start(struct tasks *ts, const struct task_def *def,
    const struct executor_def *ex, struct active_run *ar, char **why)
{
	static const char *const sh[] = { "/bin/sh", "-c", NULL };
	const char *const *shell = def->policy->shell != NULL
	    ? (const char *const *)def->policy->shell
	    : sh;
	char when[TIMEFMT_ISO_LEN], **argv = NULL, **env = NULL, **ssh;
	char **stop, *key;
	size_t n = 0, nenv = 0, i;
	struct remote_run rr;
	struct job_spec spec;
	struct job *job;

	if (ts->ssh_dir == NULL) {
		*why = xstrdup("this twd has no state directory for ssh's "
		               "connections");
		return NULL;
	}
	if (def->argv != NULL) {
		for (i = 0; def->argv[i] != NULL; i++) {
			strv_add(&argv, &n, xstrdup(def->argv[i]));
		}
	} else {
		for (i = 0; shell[i] != NULL; i++) {
			strv_add(&argv, &n, xstrdup(shell[i]));
		}
		strv_add(&argv, &n, xstrdup(def->command));
	}
	for (i = 0; def->policy->env != NULL && def->policy->env[i] != NULL;
	     i++) {
		strv_add(&env, &nenv, xstrdup(def->policy->env[i]));
	}
	/* twd's own, last: as a local run has them. */
	strv_add(&env, &nenv, xasprintf("TW_TASK=%s", def->name));
	strv_add(&env, &nenv, xasprintf("TW_RUN_ID=%" PRId64, ar->rec.id));
	strv_add(&env, &nenv, xasprintf("TW_ATTEMPT=%d", ar->rec.attempt));
	strv_add(&env, &nenv,
	    xasprintf("TW_SCHEDULED_AT=%s",
	        ar->rec.scheduled_ms != 0
	            ? timefmt_iso(ar->rec.scheduled_ms, when, sizeof when)
	            : ""));
	strv_add(&env, &nenv, xasprintf("TW_EXECUTOR=%s", ex->name));
	key = elsewhere_key(ts, ar->rec.id);
	memset(&rr, 0, sizeof rr);
	rr.ex = ex;
	rr.control_dir = ts->ssh_dir;
	rr.key = key;
	rr.argv = (const char *const *)argv;
	rr.cwd = elsewhere_cwd(ts, def->policy->cwd);
	rr.env = (const char *const *)env;
	rr.env_clear = def->policy->env_clear;
	rr.umask = def->policy->umask;
	rr.nice = def->policy->nice;
	ssh = remote_ssh_argv(&rr, why);
	stop = remote_ssh_signal_argv(ex, ts->ssh_dir, key);
	strv_free(argv);
	strv_free(env);
	free(key);
	if (ssh == NULL) {
		strv_free(stop);
		return NULL;
	}

	/* Here, ssh: with twd's environment (its agent), not the task's. */
	memset(&spec, 0, sizeof spec);
	spec.argv = (const char *const *)ssh;
	spec.cwd = ts->home;
	spec.log_path = ar->rec.log_path;
	spec.umask = -1;
	spec.timeout_ms = def->policy->timeout_ms;
	spec.kill_grace_ms = def->policy->kill_grace_ms;
	spec.max_output = def->policy->max_output;
	spec.signal_argv = (const char *const *)stop;
	ar->timeout_ms = def->policy->timeout_ms;
	ar->kill_grace_ms = def->policy->kill_grace_ms;
	free(ar->executor);
	ar->executor = xstrdup(ex->name);
	job = job_start(
	    ts->jobs, &spec, tasks_run_done, tasks_run_output, ar, why);
	strv_free(ssh);
	strv_free(stop);
	return job;
}

/* For job_tail: the last line the job wrote on stderr. */
static void
last_stderr(const struct logfmt_record *rec, uint64_t seq, void *arg)
{
	char **line = arg;

	(void)seq;
	if (rec->stream == LOGFMT_STDERR) {
		free(*line);
		*line = xstrndup(rec->text, rec->len);
	}
}

/* The executor called name in the running config, or NULL. */
static const struct executor_def *
elsewhere_executor(const struct tasks *ts, const char *name)
{
	size_t i;

	for (i = 0; ts->config != NULL && i < ts->config->nexecutors; i++) {
		if (strcmp(ts->config->executors[i].name, name) == 0) {
			return &ts->config->executors[i];
		}
	}
	return NULL;
}

void
elsewhere_end(struct tasks *ts, struct active_run *ar, struct job *job,
    const struct job_result *res)
{
	const struct executor_def *ex;
	struct run_record *r = &ar->rec;
	char *line = NULL, *key, **stop;

	/* ssh's own failures are its exit status 255. */
	if (ar->executor == NULL || res->stopped ||
	    res->how != JOB_END_EXITED || res->exit_code != 255) {
		return;
	}
	job_tail(job, last_stderr, &line);
	r->exit_code = -1; /* ssh's, not the run's */
	if (line != NULL && remote_ssh_unreached(line)) {
		r->status = RUN_START_FAILED;
		r->reason = why_join(r->reason,
		    xasprintf("ssh could not run it on '%s': %s", ar->executor,
		        line));
		free(line);
		return;
	}
	r->status = RUN_LOST;
	r->reason = why_join(r->reason,
	    xasprintf("the connection to '%s' was lost%s%s", ar->executor,
	        line != NULL ? ": " : "", line != NULL ? line : ""));
	/* What may go on there is stopped, if it can be reached. */
	if ((ex = elsewhere_executor(ts, ar->executor)) != NULL &&
	    ts->ssh_dir != NULL) {
		key = elsewhere_key(ts, r->id);
		stop = remote_ssh_signal_argv(ex, ts->ssh_dir, key);
		job_spawn_quiet((const char *const *)stop, "TERM");
		strv_free(stop);
		free(key);
	}
	free(line);
}

void
elsewhere_recover(struct tasks *ts)
{
	const struct executor_def *ex;
	const struct task *t;
	char *key, **stop;
	size_t i;

	for (i = 0; i < ts->nlost; i++) {
		if ((t = tasks_find(ts, ts->lost[i].task)) != NULL &&
		    (ex = config_executor(ts->config, t->def)) != NULL &&
		    ts->ssh_dir != NULL) {
			log_warn("run %" PRId64
			         " '%s': asking '%s' to stop what "
			         "it may have left running there",
			    ts->lost[i].id, ts->lost[i].task, ex->name);
			key = elsewhere_key(ts, ts->lost[i].id);
			stop = remote_ssh_signal_argv(ex, ts->ssh_dir, key);
			job_spawn_quiet((const char *const *)stop, "TERM");
			strv_free(stop);
			free(key);
		}
		free(ts->lost[i].task);
	}
	free(ts->lost);
	ts->lost = NULL;
	ts->nlost = 0;
}

json_t *
tasks_executors_json(struct tasks *ts)
{
	const struct executor_def *ex;
	json_t *all = json_array(), *o, *check;
	const struct active_run *ar;
	const struct task *t;
	struct stat sb;
	char *path, **argv;
	size_t i, j, running;

	for (i = 0; ts->config != NULL && i < ts->config->nexecutors; i++) {
		ex = &ts->config->executors[i];
		running = 0;
		TAILQ_FOREACH(ar, &ts->runs, entry)
		{
			t = active_task(ts, (struct active_run *)ar);
			running +=
			    t != NULL && t->def->policy->executor == (int)i;
		}
		o = json_pack("{s:s, s:s, s:s, s:I}", "name", ex->name, "type",
		    "ssh", "host", ex->host, "running", (json_int_t)running);
		json_object_set_new(o, "user",
		    ex->user != NULL ? json_string(ex->user) : json_null());
		json_object_set_new(o, "port",
		    ex->port != 0 ? json_integer(ex->port) : json_null());
		json_object_set_new(o, "max_concurrent",
		    ex->max_concurrent != 0 ? json_integer(ex->max_concurrent)
		                            : json_null());
		/* Its shared connection is up while its socket is there. */
		if (ts->ssh_dir != NULL) {
			path = xasprintf("%s/%s", ts->ssh_dir, ex->name);
			json_object_set_new(o, "connection",
			    json_boolean(
			        stat(path, &sb) == 0 && S_ISSOCK(sb.st_mode)));
			free(path);
			/* What twctl executors --check runs: as a run would. */
			argv = remote_ssh_check_argv(ex, ts->ssh_dir);
			check = json_array();
			for (j = 0; argv[j] != NULL; j++) {
				json_array_append_new(
				    check, json_string(argv[j]));
			}
			strv_free(argv);
			json_object_set_new(o, "check", check);
		}
		json_array_append_new(all, o);
	}
	return all;
}
