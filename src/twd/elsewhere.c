/*
 * Runs on an executor (remote.h): the job that makes the run there, and
 * what its end means. The run is otherwise a run as any: queued, logged,
 * timed out, killed, recorded and retried by the other stages.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "history.h"
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

/* The words of def's run: its program, or its shell and command line. */
static char **
run_words(const struct task_def *def)
{
	static const char *const sh[] = { "/bin/sh", "-c", NULL };
	const char *const *shell = def->policy->shell != NULL
	    ? (const char *const *)def->policy->shell
	    : sh;
	char **argv = NULL;
	size_t n = 0, i;

	if (def->argv != NULL) {
		return strv_copy(def->argv);
	}
	for (i = 0; shell[i] != NULL; i++) {
		strv_add(&argv, &n, xstrdup(shell[i]));
	}
	strv_add(&argv, &n, xstrdup(def->command));
	return argv;
}

/*
 * The task's env, then (with caller) a submitted job's caller's, then
 * twd's own variables, as a local run has them.
 */
static char **
run_env(const struct task_def *def, const struct active_run *ar,
    const struct executor_def *ex, int caller)
{
	char **env = strv_copy(def->policy->env), **own;
	size_t n = 0, i;

	while (env != NULL && env[n] != NULL) {
		n++;
	}
	for (i = 0; caller && ar->own != NULL && ar->own->env != NULL &&
	     ar->own->env->vars != NULL && ar->own->env->vars[i] != NULL;
	     i++) {
		strv_add(&env, &n, xstrdup(ar->own->env->vars[i]));
	}
	own = run_own_env(ar->ts, def, ar);
	for (i = 0; own[i] != NULL; i++) {
		strv_add(&env, &n, own[i]);
	}
	free(own);
	strv_add(&env, &n, xasprintf("TW_EXECUTOR=%s", ex->name));
	return env;
}

/* Its job through ssh. */
static struct job *
ssh_start(struct tasks *ts, const struct task_def *def,
    const struct executor_def *ex, struct active_run *ar, char **why)
{
	/* Not a submitter's: this machine's PATH and HOME mean nothing there. */
	char **argv = run_words(def), **env = run_env(def, ar, ex, 0);
	char **ssh, **stop, *key = elsewhere_key(ts, ar->rec.id);
	struct remote_run rr;
	struct job_spec spec;
	struct job *job;

	memset(&rr, 0, sizeof rr);
	rr.ex = ex;
	rr.control_dir = ts->exec_dir;
	rr.key = key;
	rr.argv = (const char *const *)argv;
	rr.cwd = elsewhere_cwd(ts, def->policy->cwd);
	rr.env = (const char *const *)env;
	rr.env_clear =
	    def->policy->env_clear && (ar->own == NULL || ar->own->env == NULL);
	rr.umask = def->policy->umask;
	rr.nice = def->policy->nice;
	ssh = remote_ssh_argv(&rr, why);
	stop = remote_ssh_signal_argv(ex, ts->exec_dir, key);
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
	job = job_start(
	    ts->jobs, &spec, tasks_run_done, tasks_run_output, ar, why);
	strv_free(ssh);
	strv_free(stop);
	return job;
}

/* The name of run id of task's Slurm job: tw-TASK-ID (caller frees). */
static char *
slurm_job_name(const char *task, int64_t id)
{
	return xasprintf("tw-%s-%" PRId64, task, id);
}

/*
 * Send TERM to what run id of task may still run on ex, if it can be
 * reached: its process group there (ssh), or its job (Slurm).
 */
static void
elsewhere_stop(struct tasks *ts, const struct executor_def *ex,
    const char *task, int64_t id)
{
	char *key, **stop;

	if (ex->type == EXECUTOR_SLURM) {
		key = slurm_job_name(task, id);
		stop = remote_scancel_argv(key);
	} else if (ts->exec_dir != NULL) {
		key = elsewhere_key(ts, id);
		stop = remote_ssh_signal_argv(ex, ts->exec_dir, key);
	} else {
		return;
	}
	job_spawn_quiet((const char *const *)stop, "TERM");
	strv_free(stop);
	free(key);
}

/*
 * A run on Slurm, asked of squeue until it is seen running: its job id
 * recorded, "pending in Slurm" its note while it waits in the cluster's
 * queue, and its timeout counted from when it really starts.
 */
struct slurm_watch {
	struct tasks *ts;
	struct active_run *ar;
	char *name;          /* its job's */
	struct event *timer; /* the next question */
	struct event *rd;    /* squeue's answer coming */
	int fd;
	char buf[512];
	size_t n;
	int tries; /* answers that did not have it */
};

/* Questions until it is seen, and between them. */
#define SLURM_WATCH_TRIES    30
#define SLURM_WATCH_FIRST_MS 200
#define SLURM_WATCH_EVERY_MS 1000

static void slurm_ask(evutil_socket_t, short, void *);

static void
slurm_watch_after(struct slurm_watch *w, int64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000),
		(suseconds_t)(ms % 1000) * 1000 };

	evtimer_add(w->timer, &tv);
}

static void
slurm_watch_free(struct slurm_watch *w)
{
	if (w->rd != NULL) {
		event_free(w->rd);
	}
	if (w->fd != -1) {
		close(w->fd);
	}
	event_free(w->timer);
	free(w->name);
	free(w);
}

/* squeue said buf of the job: its id, state and why it waits. */
static void
slurm_heard(struct slurm_watch *w)
{
	struct active_run *ar = w->ar;
	struct run_record *r = &ar->rec;
	char state[64] = "", why[128] = "";
	long long id = 0;

	w->buf[w->n] = '\0';
	if (sscanf(w->buf, "%lld %63s %127[^\n]", &id, state, why) < 2) {
		/* Not queued yet, or gone already: ask again, a while. */
		if (++w->tries < SLURM_WATCH_TRIES) {
			slurm_watch_after(w, SLURM_WATCH_EVERY_MS);
		}
		return;
	}
	if (strcmp(state, "PENDING") == 0) {
		if (r->slurm_job != id || r->reason == NULL) {
			r->slurm_job = id;
			free(r->reason);
			r->reason = xasprintf("pending in Slurm (%s)", why);
			history_put_run(w->ts->history, r);
		}
		slurm_watch_after(w, SLURM_WATCH_EVERY_MS);
		return;
	}
	/* It runs there: its time starts now, if it waited. */
	if (r->reason != NULL && ar->job != NULL && ar->timeout_ms > 0) {
		job_set_timeout(ar->job, ar->timeout_ms);
	}
	free(r->reason);
	r->reason = NULL;
	r->slurm_job = id;
	history_put_run(w->ts->history, r);
	log_info("run %" PRId64 " '%s' is Slurm job %lld", r->id, r->task, id);
}

static void
slurm_read(evutil_socket_t fd, short what, void *arg)
{
	struct slurm_watch *w = arg;
	ssize_t got;

	(void)what;
	got = read(fd, w->buf + w->n, sizeof w->buf - 1 - w->n);
	if (got == -1 && (errno == EINTR || errno == EAGAIN)) {
		return;
	}
	if (got > 0 && w->n + (size_t)got < sizeof w->buf - 1) {
		w->n += (size_t)got;
		return;
	}
	event_free(w->rd);
	w->rd = NULL;
	close(w->fd);
	w->fd = -1;
	slurm_heard(w);
}

/* Ask squeue; its answer comes to slurm_read. */
static void
slurm_ask(evutil_socket_t fd, short what, void *arg)
{
	struct slurm_watch *w = arg;
	char **argv = remote_squeue_argv(w->name);
	int out[2];

	(void)fd;
	(void)what;
	if (pipe2(out, O_CLOEXEC) == -1) {
		strv_free(argv);
		slurm_watch_after(w, SLURM_WATCH_EVERY_MS);
		return;
	}
	/* Reaped with the jobs (job_list_reap waits for any child). */
	if (job_spawn((const char *const *)argv, NULL, out[1]) == -1) {
		close(out[0]);
		out[0] = -1;
	}
	close(out[1]);
	strv_free(argv);
	if (out[0] == -1) {
		return;
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	w->fd = out[0];
	w->n = 0;
	w->rd =
	    event_new(w->ts->base, w->fd, EV_READ | EV_PERSIST, slurm_read, w);
	event_add(w->rd, NULL);
}

/* Watch run ar, Slurm's job name. */
static void
slurm_watch(struct tasks *ts, struct active_run *ar, const char *name)
{
	struct slurm_watch *w = xcalloc(1, sizeof *w);

	w->ts = ts;
	w->ar = ar;
	w->name = xstrdup(name);
	w->fd = -1;
	w->timer = evtimer_new(ts->base, slurm_ask, w);
	slurm_watch_after(w, SLURM_WATCH_FIRST_MS);
	ar->watch = w;
}

void
elsewhere_forget(struct active_run *ar)
{
	if (ar->watch != NULL) {
		slurm_watch_free(ar->watch);
		ar->watch = NULL;
	}
}

/* Where run ar's Slurm job writes its id; NULL: nowhere (caller frees). */
static char *
slurm_id_file(const struct tasks *ts, const struct active_run *ar)
{
	if (ts->exec_dir == NULL) {
		return NULL;
	}
	return xasprintf("%s/slurm-%016" PRIx64 "-%" PRId64, ts->exec_dir,
	    ts->instance, ar->rec.id);
}

/* The id run ar's job wrote, if it is not known yet; the file goes. */
static void
slurm_id_read(const struct tasks *ts, struct active_run *ar)
{
	char *path = slurm_id_file(ts, ar);
	long long id = 0;
	FILE *fp;

	if (path == NULL) {
		return;
	}
	if (ar->rec.slurm_job == 0 && (fp = fopen(path, "r")) != NULL) {
		if (fscanf(fp, "%lld", &id) == 1 && id > 0) {
			ar->rec.slurm_job = id;
		}
		fclose(fp);
	}
	unlink(path);
	free(path);
}

/* Its job through srun, which exports this environment to it. */
static struct job *
slurm_start(struct tasks *ts, const struct task_def *def,
    const struct executor_def *ex, struct active_run *ar, char **why)
{
	/* srun exports it to the job, as Slurm does a submitter's. */
	char **argv = run_words(def), **env = run_env(def, ar, ex, 1);
	char *name = slurm_job_name(ar->rec.task, ar->rec.id), **srun, **stop;
	char *id_file = slurm_id_file(ts, ar);
	struct slurm_run sr = { ex, name, (const char *const *)argv,
		def->policy, id_file };
	struct job_spec spec;
	struct job *job;

	srun = remote_srun_argv(&sr);
	stop = remote_scancel_argv(name);
	memset(&spec, 0, sizeof spec);
	spec.argv = (const char *const *)srun;
	spec.cwd = def->policy->cwd != NULL ? def->policy->cwd : ts->home;
	spec.log_path = ar->rec.log_path;
	spec.env = (const char *const *)env;
	spec.env_clear = def->policy->env_clear;
	spec.umask = def->policy->umask;
	spec.timeout_ms = def->policy->timeout_ms;
	spec.kill_grace_ms = def->policy->kill_grace_ms;
	spec.max_output = def->policy->max_output;
	spec.signal_argv = (const char *const *)stop;
	job = job_start(
	    ts->jobs, &spec, tasks_run_done, tasks_run_output, ar, why);
	if (job != NULL) {
		slurm_watch(ts, ar, name);
	}
	strv_free(argv);
	strv_free(env);
	strv_free(srun);
	strv_free(stop);
	free(name);
	free(id_file);
	return job;
}

struct job *
elsewhere_start(struct tasks *ts, const struct task_def *def,
    const struct executor_def *ex, struct active_run *ar, char **why)
{
	if (ex->type == EXECUTOR_SSH && ts->exec_dir == NULL) {
		*why = xstrdup("this twd has no state directory for ssh's "
		               "connections");
		return NULL;
	}
	ar->timeout_ms = def->policy->timeout_ms;
	ar->kill_grace_ms = def->policy->kill_grace_ms;
	free(ar->executor);
	ar->executor = xstrdup(ex->name);
	ar->slurm = ex->type == EXECUTOR_SLURM;
	return ex->type == EXECUTOR_SLURM ? slurm_start(ts, def, ex, ar, why)
	                                  : ssh_start(ts, def, ex, ar, why);
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

/* What Slurm said of a run's end, and the line it said it in. */
struct slurm_said {
	enum slurm_end end;
	char *line;
};

/* For job_tail: what Slurm said of the run's end, if it did. */
static void
slurm_said(const struct logfmt_record *rec, uint64_t seq, void *arg)
{
	struct slurm_said *said = arg;
	enum slurm_end e;
	char *line;

	(void)seq;
	if (rec->stream != LOGFMT_STDERR) {
		return;
	}
	line = xstrndup(rec->text, rec->len);
	if ((e = remote_slurm_end(line)) != SLURM_END_OWN) {
		said->end = e;
		free(said->line);
		said->line = line;
	} else {
		free(line);
	}
}

/* How Slurm ended run ar, when it was not twd. */
static void
slurm_end(struct active_run *ar, struct job *job, const struct job_result *res)
{
	struct run_record *r = &ar->rec;
	struct slurm_said said = { SLURM_END_OWN, NULL };

	if (res->stopped) {
		return;
	}
	job_tail(job, slurm_said, &said);
	switch (said.end) {
	case SLURM_END_TIME:
		r->status = RUN_TIMEOUT;
		r->reason = why_join(r->reason,
		    xstrdup("Slurm stopped it at its time limit "
		            "(resources: time)"));
		break;
	case SLURM_END_MEMORY:
		r->status = RUN_FAILED;
		r->reason = why_join(r->reason,
		    xstrdup("Slurm stopped it: out of memory (resources: "
		            "memory)"));
		break;
	case SLURM_END_NODE:
		r->status = RUN_LOST;
		r->reason = why_join(r->reason,
		    xasprintf("its Slurm node failed: %s", said.line));
		break;
	case SLURM_END_CANCEL:
		r->status = RUN_KILLED;
		r->reason = why_join(r->reason,
		    xasprintf("cancelled in Slurm, not by twd: %s", said.line));
		break;
	case SLURM_END_OWN:
		break;
	}
	free(said.line);
}

void
elsewhere_end(struct tasks *ts, struct active_run *ar, struct job *job,
    const struct job_result *res)
{
	const struct executor_def *ex;
	struct run_record *r = &ar->rec;
	char *line = NULL;

	elsewhere_forget(ar);
	if (ar->slurm) {
		slurm_id_read(ts, ar);
		slurm_end(ar, job, res);
		return;
	}
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
	if ((ex = elsewhere_executor(ts, ar->executor)) != NULL) {
		elsewhere_stop(ts, ex, r->task, r->id);
	}
	free(line);
}

void
elsewhere_recover(struct tasks *ts)
{
	const struct executor_def *ex;
	const struct task *t;
	size_t i;

	for (i = 0; i < ts->nlost; i++) {
		if ((t = tasks_find(ts, ts->lost[i].task)) != NULL &&
		    (ex = config_executor(ts->config, t->def)) != NULL) {
			log_warn("run %" PRId64 " '%s': asking '%s' to stop "
			         "what it may have left running there",
			    ts->lost[i].id, ts->lost[i].task, ex->name);
			elsewhere_stop(
			    ts, ex, ts->lost[i].task, ts->lost[i].id);
		}
		free(ts->lost[i].task);
	}
	free(ts->lost);
	ts->lost = NULL;
	ts->nlost = 0;
}

/* A command as JSON: an array of its words. */
static json_t *
strv_json(char **argv)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; argv[i] != NULL; i++) {
		json_array_append_new(a, json_string(argv[i]));
	}
	return a;
}

json_t *
tasks_executors_json(struct tasks *ts)
{
	const struct executor_def *ex;
	json_t *all = json_array(), *o;
	const struct active_run *ar;
	const struct task *t;
	struct stat sb;
	char *path, **argv;
	size_t i, running;

	for (i = 0; ts->config != NULL && i < ts->config->nexecutors; i++) {
		ex = &ts->config->executors[i];
		running = 0;
		TAILQ_FOREACH(ar, &ts->runs, entry)
		{
			t = active_task(ts, (struct active_run *)ar);
			running +=
			    t != NULL && t->def->policy->executor == (int)i;
		}
		o = json_pack("{s:s, s:s, s:I}", "name", ex->name, "type",
		    ex->type == EXECUTOR_SLURM ? "slurm" : "ssh", "running",
		    (json_int_t)running);
		json_object_set_new(o, "max_concurrent",
		    ex->max_concurrent != 0 ? json_integer(ex->max_concurrent)
		                            : json_null());
		if (ex->type == EXECUTOR_SLURM) {
			json_object_set_new(o, "partition",
			    ex->partition != NULL ? json_string(ex->partition)
			                          : json_null());
			json_object_set_new(o, "account",
			    ex->account != NULL ? json_string(ex->account)
			                        : json_null());
			argv = remote_sinfo_argv(ex);
			json_object_set_new(o, "check", strv_json(argv));
			strv_free(argv);
			json_array_append_new(all, o);
			continue;
		}
		json_object_set_new(o, "host", json_string(ex->host));
		json_object_set_new(o, "user",
		    ex->user != NULL ? json_string(ex->user) : json_null());
		json_object_set_new(o, "port",
		    ex->port != 0 ? json_integer(ex->port) : json_null());
		/* Its shared connection is up while its socket is there. */
		if (ts->exec_dir != NULL) {
			path = xasprintf("%s/%s", ts->exec_dir, ex->name);
			json_object_set_new(o, "connection",
			    json_boolean(
			        stat(path, &sb) == 0 && S_ISSOCK(sb.st_mode)));
			free(path);
			/* What twctl executors --check runs: as a run would. */
			argv = remote_ssh_check_argv(ex, ts->exec_dir);
			json_object_set_new(o, "check", strv_json(argv));
			strv_free(argv);
		}
		json_array_append_new(all, o);
	}
	return all;
}
