/*
 * twd: the TaskWeaver daemon. main builds the context, runs the event loop
 * and tears everything down in reverse; signals arrive as loop events.
 */
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "audit.h"
#include "config.h"
#include "duration.h"
#include "heap.h"
#include "history.h"
#include "job.h"
#include "log.h"
#include "notifiers.h"
#include "notify.h"
#include "observe.h"
#include "paths.h"
#include "proto.h"
#include "reload.h"
#include "report.h"
#include "request.h"
#include "server.h"
#include "subscriptions.h"
#include "tasks.h"
#include "timefmt.h"
#include "twd.h"
#include "version.h"
#include "xmalloc.h"

#define TWD_DEFAULT_GRACE_MS (30 * 1000)

struct twd_options {
	const char *config;
	const char *state_dir;
	const char *socket;
	int foreground;
	int no_watch;
	int verbose;
	int64_t grace_ms;
	const char *report; /* --report ARGS: print a report and exit */
};

static const struct option twd_longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "state-dir", required_argument, NULL, 'd' },
	{ "socket", required_argument, NULL, 's' },
	{ "foreground", no_argument, NULL, 'f' },
	{ "no-watch", no_argument, NULL, 'W' },
	{ "grace", required_argument, NULL, 'g' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ "report", required_argument, NULL, 'R' },
	{ NULL, 0, NULL, 0 },
};

static void
twd_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: twd [-fvW] [-c file] [-d dir] [-s socket] [-g duration]\n"
	    "\n"
	    "  -c, --config FILE     tasks file (TW_CONFIG; "
	    "~/.config/taskweaver/tasks.yaml)\n"
	    "  -d, --state-dir DIR   history and logs (TW_STATE_DIR; "
	    "~/.local/state/taskweaver)\n"
	    "  -s, --socket PATH     control socket (TW_SOCKET; "
	    "$XDG_RUNTIME_DIR/taskweaver/twd.sock)\n"
	    "  -f, --foreground      stay in the foreground, log to stderr\n"
	    "  -W, --no-watch        reload only when asked, not when the "
	    "file changes\n"
	    "  -g, --grace DURATION  at shutdown, how long running jobs may "
	    "finish (30s)\n"
	    "  -v, --verbose         log debugging detail\n"
	    "      --report ARGS     print the report of the state dir's "
	    "history (the\n"
	    "                        report request's arguments, JSON) and "
	    "exit\n"
	    "  -V, --version         print the version and exit\n"
	    "  -h, --help            print this help and exit\n");
}

/* The system's wall clock, and the socket's subscribers. */
static int64_t
twd_system_now(void *arg)
{
	(void)arg;
	return timefmt_now_ms();
}

static int
twd_server_wants(void *arg, enum proto_event ev, const char *task, int64_t run)
{
	struct twd *twd = arg;

	/* A run's end is due in the metrics' textfile. */
	if (ev == PROTO_EV_RUN_FINISHED && observe_textfile(twd->observe)) {
		return 1;
	}
	if (subscriptions_want(twd, ev, task)) {
		return 1;
	}
	return twd->server != NULL && server_wants(twd->server, ev, task, run);
}

static void
twd_server_publish(void *arg, enum proto_event ev, const char *task,
    int64_t run, int lossy, json_t *data)
{
	struct twd *twd = arg;

	if (ev == PROTO_EV_RUN_FINISHED) {
		observe_run_ended(twd->observe);
	}
	subscriptions_post(twd, ev, task, data);
	if (twd->server == NULL || !server_wants(twd->server, ev, task, run)) {
		json_decref(data);
		return;
	}
	server_publish(twd->server, ev, task, run, lossy, data);
}

static void
twd_grace_over(evutil_socket_t fd, short what, void *arg)
{
	struct twd *twd = arg;

	(void)fd;
	(void)what;
	log_info("grace period over: stopping %zu running job(s)",
	    tasks_running(twd->tasks));
	tasks_stop_runs(twd->tasks,
	    "twd shut down and the run outlived the grace "
	    "period");
}

void
twd_stop(struct twd *twd, const char *why)
{
	struct timeval tv;
	char d[32];
	size_t n = tasks_running(twd->tasks);

	if (twd->stopping) {
		/* Asked twice: the user wants out now, not after the grace. */
		if (n > 0 && evtimer_pending(twd->ev_grace, NULL)) {
			log_info("stopping again (%s): not waiting for the "
			         "grace period",
			    why);
			evtimer_del(twd->ev_grace);
			twd_grace_over(-1, 0, twd);
		}
		return;
	}
	twd->stopping = 1;
	tasks_halt(twd->tasks);
	if (tw_wants(&twd->events, PROTO_EV_DAEMON_STOPPING, NULL, 0)) {
		tw_publish(&twd->events, PROTO_EV_DAEMON_STOPPING, NULL, 0, 0,
		    json_pack("{s:s, s:I, s:f}", "why", why, "running",
		        (json_int_t)n, "grace", (double)twd->grace_ms / 1000));
	}
	if (n == 0) {
		log_info("stopping (%s)", why);
		event_base_loopexit(twd->base, NULL);
		return;
	}
	log_info("stopping (%s): waiting up to %s for %zu running job(s)", why,
	    duration_format(twd->grace_ms / 1000, d, sizeof d), n);
	tv.tv_sec = (time_t)(twd->grace_ms / 1000);
	tv.tv_usec = (suseconds_t)(twd->grace_ms % 1000) * 1000;
	evtimer_add(twd->ev_grace, &tv);
}

/*
 * Give the kernel back the memory a load of the tasks file used and freed
 * (the config it replaced, the history's pages its tasks read): glibc
 * keeps freed pages inside the heap, and the daemon would sit at the
 * load's peak for ever.
 */
void
twd_give_back(struct twd *twd)
{
	history_shrink(twd->history);
	heap_trim();
}

void
twd_log_warnings(const struct config *c)
{
	char *line;
	size_t i;

	for (i = 0; i < c->warnings.n; i++) {
		line = config_error_format(&c->warnings.v[i]);
		log_warn("%s", line);
		free(line);
	}
}

static void
twd_checkpoint(evutil_socket_t fd, short what, void *arg)
{
	struct twd *twd = arg;
	char *cause;

	(void)fd;
	(void)what;
	if (history_checkpoint(twd->history, &cause) == -1) {
		log_warn("%s", cause);
		free(cause);
	}
}

static void
twd_checkpoint_due(void *arg)
{
	struct twd *twd = arg;

	event_active(twd->ev_checkpoint, 0, 0);
}

/* How long a statement may wait for another process's write lock. */
#define TWD_HISTORY_BUSY_MS 20
/* The first wait before writing the history again, and the longest. */
#define TWD_STATE_RETRY_MIN_MS 100
#define TWD_STATE_RETRY_MAX_MS 10000

static void
twd_state_retry_in(struct twd *twd, int64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000),
		(suseconds_t)(ms % 1000) * 1000 };

	twd->state_retry_ms = ms;
	evtimer_add(twd->ev_state_retry, &tv);
}

/*
 * The history's callback: it could not write. Say so (log, status,
 * subscribers, the defaults' notify: on: state_error) and try again.
 */
static void
twd_state_failing(void *arg, const char *why)
{
	struct twd *twd = arg;
	const struct task_def *d = tasks_config(twd->tasks) != NULL
	    ? tasks_config(twd->tasks)->defaults
	    : NULL;
	char since[TIMEFMT_ISO_LEN];

	twd->state_error_ms = tw_now(&twd->clock);
	log_error("%s; no job starts until the history can be written, and "
	          "what it keeps waits in memory",
	    why);
	if (tw_wants(&twd->events, PROTO_EV_STATE_ERROR, NULL, 0)) {
		tw_publish(&twd->events, PROTO_EV_STATE_ERROR, NULL, 0, 0,
		    json_pack("{s:s, s:s}", "error", why, "since",
		        timefmt_iso(twd->state_error_ms, since, sizeof since)));
	}
	if (d != NULL && (d->policy->notify_on & NOTIFY_STATE_ERROR)) {
		notifiers_send(twd->notifiers, d->policy->notify_via,
		    d->policy->nnotify_via,
		    notify_state_error_json(twd->state_dir, why));
	}
	twd_state_retry_in(twd, TWD_STATE_RETRY_MIN_MS);
}

/* Write what the history kept, or wait longer for the next try. */
static void
twd_state_retry(evutil_socket_t fd, short what, void *arg)
{
	struct twd *twd = arg;
	size_t n = history_unwritten(twd->history);
	char dur[32], *cause;

	(void)fd;
	(void)what;
	if (history_retry(twd->history, &cause) == -1) {
		log_debug("%s; trying again", cause);
		free(cause);
		twd_state_retry_in(twd,
		    twd->state_retry_ms * 2 > TWD_STATE_RETRY_MAX_MS
		        ? TWD_STATE_RETRY_MAX_MS
		        : twd->state_retry_ms * 2);
		return;
	}
	log_info("history: written again after %s (%zu kept writes)",
	    duration_format_ms(
	        tw_now(&twd->clock) - twd->state_error_ms, dur, sizeof dur),
	    n);
	twd->state_error_ms = 0;
	if (tw_wants(&twd->events, PROTO_EV_STATE_OK, NULL, 0)) {
		tw_publish(&twd->events, PROTO_EV_STATE_OK, NULL, 0, 0,
		    json_pack("{s:I}", "written", (json_int_t)n));
	}
	/* What waited for it starts now. */
	tasks_dispatch(twd->tasks);
}

static void
twd_signal(evutil_socket_t sig, short what, void *arg)
{
	struct twd *twd = arg;

	(void)what;
	switch (sig) {
	case SIGCHLD:
		job_list_reap(twd->jobs);
		break;
	case SIGTERM:
		twd_stop(twd, "SIGTERM");
		break;
	case SIGINT:
		twd_stop(twd, "SIGINT");
		break;
	case SIGHUP:
		reload_request(twd->reload, "SIGHUP", 0, 0);
		break;
	}
}

/*
 * Take the state directory's lock so that one twd runs per state. Returns
 * the locked descriptor, or -1 after saying who holds it.
 */
static int
twd_lock(const char *state_dir)
{
	char *path = xasprintf("%s/twd.pid", state_dir), buf[32];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		log_error("cannot open '%s': %s", path, strerror(errno));
		free(path);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK) {
			log_error(
			    "cannot lock '%s': %s", path, strerror(errno));
		} else {
			n = pread(fd, buf, sizeof buf - 1, 0);
			buf[n > 0 ? n : 0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			fprintf(stderr,
			    "twd: already running (pid %s) with "
			    "state in %s; stop it with: twctl "
			    "shutdown\n",
			    *buf != '\0' ? buf : "unknown", state_dir);
		}
		close(fd);
		free(path);
		return -1;
	}
	free(path);
	return fd;
}

static void
twd_write_pid(int fd)
{
	char buf[32];
	int len = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)len, 0) != len) {
		log_warn("cannot write the pid file: %s", strerror(errno));
	}
}

/*
 * Go to the background. The parent waits until the child says it is ready
 * (or dies), so "twd && twctl status" works and start-up errors reach the
 * terminal. Returns the descriptor the child writes "ready" to.
 */
static int
twd_daemonize(void)
{
	int p[2], status;
	char c;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) == -1) {
		fatal("pipe");
	}
	if ((pid = fork()) == -1) {
		fatal("fork");
	}
	if (pid != 0) {
		close(p[1]);
		do {
			n = read(p[0], &c, 1);
		} while (n == -1 && errno == EINTR);
		if (n == 1) {
			exit(0);
		}
		waitpid(pid, &status, 0);
		exit(1);
	}
	close(p[0]);
	setsid();
	/* Hold no directory busy; every path is absolute by now. */
	if (chdir("/") == -1) {
		fatal("chdir /");
	}
	return p[1];
}

/* Detach from the terminal now that start-up has succeeded. */
static void
twd_ready(struct twd *twd, int ready_fd)
{
	char *path;
	FILE *fp;
	int fd;

	if (ready_fd == -1) {
		return;
	}
	path = xasprintf("%s/twd.log", twd->state_dir);
	if ((fp = fopen(path, "ae")) == NULL) {
		log_warn("cannot open '%s': %s", path, strerror(errno));
	} else {
		/* The last words on the terminal: where to look, how to stop. */
		fprintf(stderr,
		    "twd: running in the background (pid %ld); it logs to "
		    "%s; twctl status asks it how it is, twctl shutdown "
		    "stops it\n",
		    (long)getpid(), path);
		log_set_stream(fp);
	}
	free(path);
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO) {
			close(fd);
		}
	}
	if (write(ready_fd, "r", 1) != 1) {
		log_warn("cannot tell the parent twd is ready");
	}
	close(ready_fd);
}

static void
twd_parse_options(int argc, char **argv, struct twd_options *o)
{
	char *cause;
	int ch;

	memset(o, 0, sizeof *o);
	o->grace_ms = TWD_DEFAULT_GRACE_MS;
	while ((ch = getopt_long(
	            argc, argv, "c:d:s:fg:vVWh", twd_longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			break;
		case 'd':
			o->state_dir = optarg;
			break;
		case 's':
			o->socket = optarg;
			break;
		case 'f':
			o->foreground = 1;
			break;
		case 'W':
			o->no_watch = 1;
			break;
		case 'g':
			if (duration_parse(optarg, &o->grace_ms, &cause) ==
			    -1) {
				fprintf(stderr, "twd: --grace: %s\n", cause);
				free(cause);
				exit(2);
			}
			o->grace_ms *= 1000;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'R':
			o->report = optarg;
			break;
		case 'V':
			printf("twd %s (protocol %d)\n", TW_VERSION,
			    PROTO_VERSION);
			exit(0);
		case 'h':
			twd_usage(stdout);
			exit(0);
		default:
			twd_usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		fprintf(
		    stderr, "twd: unexpected argument '%s'\n", argv[optind]);
		twd_usage(stderr);
		exit(2);
	}
}

/*
 * twd --report ARGS: the report request's answer, from the history of the
 * state directory, with no daemon (twctl report --state-dir runs this).
 */
static int
twd_report(const struct twd_options *opt)
{
	struct report_query q;
	json_error_t jerr;
	json_t *args, *data;
	char *dir = paths_state_dir(opt->state_dir), *db, *cause = NULL;

	if ((args = json_loads(opt->report, 0, &jerr)) == NULL ||
	    !json_is_object(args)) {
		fprintf(stderr, "twd: --report: not a JSON object: %s\n",
		    args == NULL ? jerr.text : opt->report);
		json_decref(args);
		free(dir);
		return 2;
	}
	db = xasprintf("%s/twd.db", dir);
	free(dir);
	if (access(db, F_OK) == -1) {
		fprintf(stderr, "twd: no history at %s\n", db);
		free(db);
		json_decref(args);
		return 1;
	}
	if (report_query_parse(args, timefmt_now_ms(), &q, &cause) == -1 ||
	    (data = report_build(db, &q, &cause)) == NULL) {
		fprintf(stderr, "twd: %s\n", cause);
		free(cause);
		report_query_release(&q);
		free(db);
		json_decref(args);
		return 1;
	}
	json_dumpf(data, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(data);
	report_query_release(&q);
	free(db);
	json_decref(args);
	return 0;
}

static int
twd_make_dirs(struct twd *twd)
{
	char *sockdir = paths_dirname(twd->socket_path), *cause;
	int rc = 0;

	if (paths_make_private_dir(twd->state_dir, &cause) == -1 ||
	    paths_make_private_dir(twd->log_dir, &cause) == -1 ||
	    paths_make_private_dir(twd->exec_dir, &cause) == -1 ||
	    paths_make_private_dir(sockdir, &cause) == -1) {
		fprintf(stderr, "twd: %s\n", cause);
		free(cause);
		rc = -1;
	}
	free(sockdir);
	return rc;
}

int
main(int argc, char **argv)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };
	struct event *ev_sig[sizeof sigs / sizeof sigs[0]];
	struct twd_options opt;
	struct config_errors errs = { NULL, 0 };
	struct config *config;
	struct tasks_env env;
	struct twd twd;
	sigset_t mask;
	char *cause, *db;
	int lock_fd, ready_fd = -1, lost;
	size_t i;

	twd_parse_options(argc, argv, &opt);
	if (opt.report != NULL) {
		return twd_report(&opt);
	}
	log_open(stderr, opt.verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	heap_one_arena();
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Be the reaper of jobs' orphans: a job's daemonized descendants are
	 * reparented to twd, so they are reaped (never zombies) and seen.
	 */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1) {
		log_warn(
		    "cannot become a child subreaper: %s", strerror(errno));
	}

	memset(&twd, 0, sizeof twd);
	twd.clock.now_ms = twd_system_now;
	twd.events.wants = twd_server_wants;
	twd.events.publish = twd_server_publish;
	twd.events.arg = &twd;
	twd.config_path = paths_config(opt.config);
	twd.state_dir = paths_state_dir(opt.state_dir);
	twd.socket_path = paths_socket(opt.socket);
	twd.log_dir = xasprintf("%s/logs", twd.state_dir);
	twd.exec_dir = xasprintf("%s/executors", twd.state_dir);
	twd.home = paths_home();
	twd.grace_ms = opt.grace_ms;

	if (access(twd.config_path, F_OK) == -1 && errno == ENOENT) {
		fprintf(stderr,
		    "twd: no tasks file at %s; write one (see "
		    "taskweaver(5)) or name one with --config\n",
		    twd.config_path);
		exit(1);
	}
	heap_expect(twd.config_path);
	if ((config = config_load(twd.config_path, &errs)) == NULL) {
		config_errors_print(&errs, stderr);
		fprintf(stderr,
		    "twd: %zu error%s in the tasks file; nothing "
		    "started\n",
		    errs.n, errs.n == 1 ? "" : "s");
		config_errors_release(&errs);
		exit(1);
	}
	if (twd_make_dirs(&twd) == -1) {
		exit(1);
	}
	if ((lock_fd = twd_lock(twd.state_dir)) == -1) {
		exit(1);
	}
	if (!opt.foreground) {
		ready_fd = twd_daemonize();
	}

	db = xasprintf("%s/twd.db", twd.state_dir);
	twd.history = history_open(db, &cause);
	free(db);
	if (twd.history == NULL) {
		fatalx("%s", cause);
	}
	twd.started_ms = tw_now(&twd.clock);
	if ((twd.base = event_base_new()) == NULL ||
	    event_base_priority_init(twd.base, 3) == -1) {
		fatalx("cannot create the event loop");
	}
	twd.jobs = job_list_create(twd.base);
	twd.notifiers = notifiers_create(
	    twd.jobs, &twd.clock, &twd.events, twd.state_dir, twd.home);
	env.base = twd.base;
	env.clock = twd.clock;
	env.events = twd.events;
	env.history = twd.history;
	env.jobs = twd.jobs;
	env.notifiers = twd.notifiers;
	env.log_dir = twd.log_dir;
	env.home = twd.home;
	env.exec_dir = twd.exec_dir;
	if ((twd.tasks = tasks_init(&env, &cause)) == NULL) {
		fatalx("%s", cause);
	}
	if ((lost = tasks_close_lost(twd.tasks, &cause)) == -1) {
		fatalx("%s", cause);
	}
	if (lost > 0) {
		log_warn("%d run(s) were left running by a twd that stopped "
		         "abruptly; recorded as lost",
		    lost);
	}

	twd.ev_grace = evtimer_new(twd.base, twd_grace_over, &twd);
	/*
	 * The history's checkpoint, with its fsync, waits for the events of
	 * the middle priority (1, the default): no fire waits for it.
	 */
	twd.ev_checkpoint = event_new(twd.base, -1, 0, twd_checkpoint, &twd);
	event_priority_set(twd.ev_checkpoint, 2);
	history_defer_checkpoints(twd.history, twd_checkpoint_due, &twd);
	/*
	 * The loop must not sleep in SQLite: a write that finds the database
	 * locked fails at once, is kept, and is tried again from the loop.
	 */
	twd.ev_state_retry = evtimer_new(twd.base, twd_state_retry, &twd);
	history_busy_timeout(twd.history, TWD_HISTORY_BUSY_MS);
	history_on_failing(twd.history, twd_state_failing, &twd);
	if (history_failing(twd.history) != NULL) {
		/* Since the start, before anyone was told. */
		twd_state_failing(&twd, history_failing(twd.history));
	}
	twd.server = server_create(
	    twd.base, twd.socket_path, request_dispatch, &twd, &cause);
	if (twd.server == NULL) {
		fatalx("%s", cause);
	}
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		ev_sig[i] = evsignal_new(twd.base, sigs[i], twd_signal, &twd);
		evsignal_add(ev_sig[i], NULL);
	}
	twd_log_warnings(config);
	tasks_apply(twd.tasks, config, NULL);
	twd.last_reload_ok_ms = twd.started_ms;
	twd.observe = observe_create(&twd);
	twd.audit = audit_create(&twd);
	subscriptions_create(&twd);
	observe_configure(twd.observe, tasks_config(twd.tasks));
	twd.reload = reload_create(&twd, !opt.no_watch);
	reload_watch(twd.reload);
	tasks_restore(twd.tasks);
	tasks_boot(twd.tasks);
	twd_give_back(&twd);
	twd_write_pid(lock_fd);
	twd_ready(&twd, ready_fd);
	log_info("twd %s started (pid %ld): %zu task%s from %s, socket %s",
	    TW_VERSION, (long)getpid(), tasks_count(twd.tasks),
	    tasks_count(twd.tasks) == 1 ? "" : "s", twd.config_path,
	    twd.socket_path);

	event_base_dispatch(twd.base);

	/*
	 * Freeing the signal events restores the default actions; a second
	 * SIGTERM during the last writes must not turn a clean exit into a
	 * killed one. Blocked, it stays pending until the process is gone.
	 */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	log_info("stopped");
	reload_free(twd.reload); /* waits for a load still running */
	reports_wait();
	audit_free(twd.audit);
	subscriptions_free(&twd);
	server_close_listener(twd.server);
	observe_free(twd.observe);
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		event_free(ev_sig[i]);
	}
	tasks_free(twd.tasks);
	event_free(twd.ev_grace);
	history_defer_checkpoints(twd.history, NULL, NULL);
	event_free(twd.ev_checkpoint);
	/* A last try for what the history kept; it is lost if that fails. */
	history_on_failing(twd.history, NULL, NULL);
	if (history_failing(twd.history) != NULL &&
	    history_retry(twd.history, &cause) == -1) {
		log_error("%s: %zu writes of the history are lost", cause,
		    history_unwritten(twd.history));
		free(cause);
	}
	event_free(twd.ev_state_retry);
	notifiers_free(twd.notifiers);
	json_decref(twd.config_errors);
	job_list_free(twd.jobs);
	history_close(twd.history);
	if (ftruncate(lock_fd, 0) == -1) {
		log_warn("cannot clear the pid file: %s", strerror(errno));
	}
	close(lock_fd);
	/*
	 * Last, the clients: one waiting for the end (twctl shutdown) sees
	 * its connection close only once the state is free for another twd.
	 */
	server_free(twd.server);
	event_base_free(twd.base);
	free(twd.config_path);
	free(twd.state_dir);
	free(twd.socket_path);
	free(twd.log_dir);
	free(twd.exec_dir);
	free(twd.home);
	return 0;
}
