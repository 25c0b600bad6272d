/*
 * Job execution. A job is done only when both its exit status and the end
 * of its output have arrived, in either order (as tmux's job.c does), so the
 * log is complete when the run is recorded.
 */
#include <sys/mman.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "duration.h"
#include "job.h"
#include "log.h"
#include "logfmt.h"
#include "xmalloc.h"

/*
 * How long to wait for the end of output once the process has exited. A
 * descendant that daemonized may hold the pipe open for ever; the run is
 * over when its own process is, so stop reading after this.
 */
#define JOB_DRAIN_MS 2000

/*
 * How long a piece of a line may wait for its newline before it is logged
 * as a piece, so that a progress bar or a prompt shows up while it runs.
 */
#define JOB_PARTIAL_MS 500

/* Log records buffered before one write(2). */
#define JOB_LOG_BUF 65536

/* The child's stack between clone and exec. */
#define JOB_STACK (64 * 1024)

#if defined(__SANITIZE_ADDRESS__)
#define JOB_USE_CLONE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JOB_USE_CLONE 0
#endif
#endif
#ifndef JOB_USE_CLONE
#define JOB_USE_CLONE 1
#endif

#define JOB_EXITED 0x1 /* exit status collected */
#define JOB_CLOSED 0x2 /* output at end of file (or abandoned) */
#define JOB_DONE   (JOB_EXITED | JOB_CLOSED)

/* One of the job's output pipes, and the line it has not ended yet. */
struct job_stream {
	struct job *job;
	enum logfmt_stream which;
	int fd;
	struct event *ev;
	size_t npending;
	char *pending; /* LOGFMT_LINE_MAX, once a line is left unended */
};

/* A record of the in-memory tail; text is reused as the ring turns. */
struct job_line {
	struct logfmt_record rec;
	uint64_t seq;
	char *buf;
	size_t size;
};

struct job {
	struct job_list *list;
	pid_t pid;
	int flags;
	int dead; /* done and reported; freed by the list when idle */
	struct job_stream out[2]; /* stdout, stderr */
	char *log_path; /* created at the first record: no output, no file */
	int log_fd;
	char *log_error; /* why output could not all be kept, or NULL */
	size_t nlogbuf;
	char *logbuf;             /* records not yet written; made at need */
	struct event *ev_partial; /* log pieces of lines left waiting */
	struct event *ev_timer;   /* SIGKILL after the stop grace, or drain */
	struct event *ev_timeout; /* the run's own time limit */
	int64_t kill_grace_ms;
	int64_t max_output;
	int64_t kept; /* bytes of output written to the log */
	uint64_t seq; /* records so far */
	struct job_line tail[JOB_TAIL_LINES];
	job_output_cb output;
	int stopping;
	int64_t stop_deadline_ms;
	char *marker;   /* spec's, or NULL */
	pid_t *escaped; /* descendants outside its group it was stopped with */
	size_t nescaped;
	struct job_result result;
	job_done_cb done;
	void *arg;
	TAILQ_ENTRY(job) entry;
};

TAILQ_HEAD(job_queue, job);

struct job_list {
	struct event_base *base;
	struct job_queue jobs;
	size_t live;
	struct event *ev_gc;
	void *stack; /* the children's, one at a time (CLONE_VFORK) */
	size_t stack_size;
	char **sh; /* a child's argv for a script without #!, kept */
	size_t sh_cap;
	int clear_refs; /* /proc/self/clear_refs, or -1 */
};

/* A process as /proc/PID/stat has it: who it is, its parent, its group. */
struct proc_entry {
	pid_t pid, ppid, pgrp;
};

/* What the child reports through the status pipe when exec cannot happen. */
struct job_child_error {
	int stage;
	int err;
	int index; /* which limit, for JOB_STAGE_LIMIT */
};

/* The steps between clone and exec, in order; each can fail alone. */
enum {
	JOB_STAGE_DEVNULL,
	JOB_STAGE_FDS,
	JOB_STAGE_CWD,
	JOB_STAGE_NICE,
	JOB_STAGE_LIMIT,
	JOB_STAGE_EXEC,
};

static void job_gc(evutil_socket_t, short, void *);
static void job_signal_escaped(struct job *, int);
static int proc_has_env(const char *, const char *);
static struct proc_entry *proc_table(size_t *);
static void job_read(evutil_socket_t, short, void *);
static void job_partial(evutil_socket_t, short, void *);
static void job_timer(evutil_socket_t, short, void *);

struct job_list *
job_list_create(struct event_base *base)
{
	struct job_list *jl = xcalloc(1, sizeof *jl);

	jl->base = base;
	TAILQ_INIT(&jl->jobs);
	jl->ev_gc = event_new(base, -1, 0, job_gc, jl);
	jl->clear_refs = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	return jl;
}

static void
job_stream_close(struct job_stream *js)
{
	if (js->ev != NULL) {
		event_free(js->ev);
		js->ev = NULL;
	}
	if (js->fd != -1) {
		close(js->fd);
		js->fd = -1;
	}
	free(js->pending);
	js->pending = NULL;
}

static void
job_free(struct job *job)
{
	size_t i;

	job_stream_close(&job->out[0]);
	job_stream_close(&job->out[1]);
	if (job->ev_partial != NULL) {
		event_free(job->ev_partial);
	}
	if (job->ev_timer != NULL) {
		event_free(job->ev_timer);
	}
	if (job->ev_timeout != NULL) {
		event_free(job->ev_timeout);
	}
	if (job->log_fd != -1) {
		close(job->log_fd);
	}
	free(job->log_path);
	free(job->log_error);
	free(job->marker);
	free(job->escaped);
	for (i = 0; i < JOB_TAIL_LINES; i++) {
		free(job->tail[i].buf);
	}
	free(job->logbuf);
	free(job);
}

void
job_list_free(struct job_list *jl)
{
	struct job *job;

	if (jl == NULL) {
		return;
	}
	while ((job = TAILQ_FIRST(&jl->jobs)) != NULL) {
		TAILQ_REMOVE(&jl->jobs, job, entry);
		job_free(job);
	}
	event_free(jl->ev_gc);
	free(jl->sh);
	if (jl->stack != NULL) {
		munmap(jl->stack, jl->stack_size);
	}
	if (jl->clear_refs != -1) {
		close(jl->clear_refs);
	}
	free(jl);
}

size_t
job_list_count(const struct job_list *jl)
{
	return jl->live;
}

pid_t
job_pid(const struct job *job)
{
	return job->pid;
}

static int64_t
job_now_ms(struct job_list *jl)
{
	struct timeval tv;

	event_base_gettimeofday_cached(jl->base, &tv);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void
job_timer_set(struct event *ev, int64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000),
		(suseconds_t)(ms % 1000) * 1000 };

	event_add(ev, &tv);
}

static void
job_timer_arm(struct job *job, int64_t ms)
{
	job_timer_set(job->ev_timer, ms);
}

static void
job_gc(evutil_socket_t fd, short what, void *arg)
{
	struct job_list *jl = arg;
	struct job *job, *next;

	(void)fd;
	(void)what;
	for (job = TAILQ_FIRST(&jl->jobs); job != NULL; job = next) {
		next = TAILQ_NEXT(job, entry);
		if (job->dead) {
			TAILQ_REMOVE(&jl->jobs, job, entry);
			job_free(job);
		}
	}
}

/* Advance the job after an event; report it once both halves are in. */
static void
job_update(struct job *job, int flag)
{
	job->flags |= flag;
	if ((job->flags & JOB_DONE) != JOB_DONE || job->dead) {
		return;
	}
	if (job->ev_timer != NULL) {
		event_del(job->ev_timer);
	}
	if (job->ev_timeout != NULL) {
		event_del(job->ev_timeout);
	}
	event_del(job->ev_partial);
	if (job->stopping) {
		/* Whatever of a stopped job's group is left goes with it. */
		killpg(job->pid, SIGKILL);
		job_signal_escaped(job, SIGKILL);
	}
	job->dead = 1;
	job->list->live--;
	job->done(job, &job->result, job->arg);
	event_active(job->list->ev_gc, 0, 0);
}

/*
 * The records of [off, nlogbuf) could not be written: count them lost,
 * saying why the first time. The next flush tries again (a full disk may
 * have room by then); the job's pipes are drained either way, so it never
 * blocks on them.
 */
static void
job_log_fail(struct job *job, size_t off, char *why)
{
	job->result.log_lost += (int64_t)(job->nlogbuf - off);
	if (job->log_error != NULL) {
		free(why);
		return;
	}
	log_warn("job %ld: %s", (long)job->pid, why);
	job->log_error = why;
	job->result.log_error = why;
}

/*
 * Create the log, and its directory when that is missing: a directory made
 * for each run, whether it prints or not, cost a mkdir(2) a job.
 */
static int
job_log_open(const char *path)
{
	const int flags = O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC;
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd, saved;

	if ((fd = open(path, flags, 0600)) != -1 || errno != ENOENT ||
	    slash == NULL || slash == path) {
		return fd;
	}
	dir = xstrndup(path, (size_t)(slash - path));
	if (mkdir(dir, 0700) == 0 || errno == EEXIST) {
		fd = open(path, flags, 0600);
	}
	saved = errno;
	free(dir);
	errno = saved;
	return fd;
}

static void
job_log_flush(struct job *job)
{
	ssize_t w;
	size_t off = 0;

	if (job->nlogbuf == 0) {
		return;
	}
	if (job->log_fd == -1 &&
	    (job->log_fd = job_log_open(job->log_path)) == -1) {
		job_log_fail(job, 0,
		    xasprintf("cannot create log '%s': %s", job->log_path,
		        strerror(errno)));
	}
	while (job->log_fd != -1 && off < job->nlogbuf) {
		w = write(job->log_fd, job->logbuf + off, job->nlogbuf - off);
		if (w == -1 && errno == EINTR) {
			continue;
		}
		if (w == -1) {
			job_log_fail(job, off,
			    xasprintf("writing log '%s' failed: %s",
			        job->log_path, strerror(errno)));
			break;
		}
		off += (size_t)w;
	}
	job->nlogbuf = 0;
}

/* Log one record: buffered for the file, kept in the tail, reported. */
static void
job_record(struct job *job, enum logfmt_stream which, int complete,
    const char *text, size_t len)
{
	struct logfmt_record rec = { which, complete, text, len };
	struct job_line *l;

	if (job->logbuf == NULL) {
		job->logbuf = xmalloc(JOB_LOG_BUF);
	}
	if (job->nlogbuf + LOGFMT_ENCODED_LEN(len) > JOB_LOG_BUF) {
		job_log_flush(job);
	}
	job->nlogbuf += logfmt_encode(job->logbuf + job->nlogbuf, &rec);
	job->seq++;

	l = &job->tail[(job->seq - 1) % JOB_TAIL_LINES];
	if (l->size < len) {
		l->buf = xreallocarray(l->buf, len, 1);
		l->size = len;
	}
	if (len > 0) {
		memcpy(l->buf, text, len);
	}
	l->rec = rec;
	l->rec.text = l->buf;
	l->seq = job->seq;

	if (job->output != NULL) {
		job->output(job, &rec, job->seq, job->arg);
	}
}

/* Log output of a stream within max_output; say once what was dropped. */
static void
job_output(struct job *job, enum logfmt_stream which, int complete,
    const char *text, size_t len)
{
	char size[32], *note;
	int64_t room;

	if (job->result.truncated) {
		return;
	}
	room = job->max_output - job->kept;
	if (job->max_output > 0 && (int64_t)len + complete > room) {
		if (room > 0) {
			job_record(job, which, 0, text, (size_t)room);
			job->kept += room;
		}
		job->result.truncated = 1;
		note = xasprintf("output past %s discarded",
		    size_format(job->max_output, size, sizeof size));
		job_record(job, LOGFMT_NOTE, 1, note, strlen(note));
		free(note);
		return;
	}
	job->kept += (int64_t)len + complete;
	job_record(job, which, complete, text, len);
}

/* Log the line a stream has not ended yet, as a piece. */
static void
job_stream_piece(struct job_stream *js)
{
	if (js->npending > 0) {
		job_output(js->job, js->which, 0, js->pending, js->npending);
		js->npending = 0;
	}
}

/* Cut what a stream wrote into lines; keep an unended one for later. */
static void
job_stream_data(struct job_stream *js, const char *buf, size_t n)
{
	const char *nl;
	size_t take, room;

	while (n > 0) {
		nl = memchr(buf, '\n', n);
		take = nl != NULL ? (size_t)(nl - buf) : n;
		if (js->npending == 0 && nl != NULL &&
		    take <= LOGFMT_LINE_MAX) {
			job_output(js->job, js->which, 1, buf, take);
			buf += take + 1;
			n -= take + 1;
			continue;
		}
		if (js->pending == NULL) {
			js->pending = xmalloc(LOGFMT_LINE_MAX);
		}
		room = LOGFMT_LINE_MAX - js->npending;
		if (take > room) {
			/* A line too long for one record goes in pieces. */
			memcpy(js->pending + js->npending, buf, room);
			js->npending += room;
			job_stream_piece(js);
			buf += room;
			n -= room;
			continue;
		}
		memcpy(js->pending + js->npending, buf, take);
		js->npending += take;
		buf += take;
		n -= take;
		if (nl != NULL) {
			job_output(
			    js->job, js->which, 1, js->pending, js->npending);
			js->npending = 0;
			buf++;
			n--;
		}
	}
}

static int
job_output_closed(const struct job *job)
{
	return job->out[0].fd == -1 && job->out[1].fd == -1;
}

/* Stop reading a stream, logging what it left unended. */
static void
job_stream_end(struct job_stream *js)
{
	struct job *job = js->job;

	job_stream_piece(js);
	job_log_flush(job);
	job_stream_close(js);
	if (job_output_closed(job)) {
		job_update(job, JOB_CLOSED);
	}
}

static void
job_close_output(struct job *job)
{
	job_stream_end(&job->out[0]);
	job_stream_end(&job->out[1]);
}

static void
job_read(evutil_socket_t fd, short what, void *arg)
{
	struct job_stream *js = arg;
	struct job *job = js->job;
	char buf[65536];
	ssize_t n;

	(void)what;
	n = read(fd, buf, sizeof buf);
	if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
		return;
	}
	if (n <= 0) {
		job_stream_end(js);
		return;
	}
	job->result.output_bytes += n;
	job_stream_data(js, buf, (size_t)n);
	job_log_flush(job);
	if (js->npending > 0 && !evtimer_pending(job->ev_partial, NULL)) {
		job_timer_set(job->ev_partial, JOB_PARTIAL_MS);
	}
}

static void
job_partial(evutil_socket_t fd, short what, void *arg)
{
	struct job *job = arg;

	(void)fd;
	(void)what;
	job_stream_piece(&job->out[0]);
	job_stream_piece(&job->out[1]);
	job_log_flush(job);
}

void
job_tail(const struct job *job, job_tail_cb fn, void *arg)
{
	const struct job_line *l;
	uint64_t s;

	s = job->seq > JOB_TAIL_LINES ? job->seq - JOB_TAIL_LINES + 1 : 1;
	for (; s <= job->seq; s++) {
		l = &job->tail[(s - 1) % JOB_TAIL_LINES];
		fn(&l->rec, l->seq, arg);
	}
}

static void
job_timer(evutil_socket_t fd, short what, void *arg)
{
	struct job *job = arg;

	(void)fd;
	(void)what;
	if (!(job->flags & JOB_EXITED)) {
		/* The stop grace is over and the process is still there. */
		log_info("job %ld: still running after SIGTERM, sending "
		         "SIGKILL",
		    (long)job->pid);
		killpg(job->pid, SIGKILL);
		job_signal_escaped(job, SIGKILL);
		return;
	}
	if (job->stopping) {
		/* Stopped job exited; give its group the same end. */
		killpg(job->pid, SIGKILL);
		job_signal_escaped(job, SIGKILL);
	}
	log_debug("job %ld: output still open %d ms after exit; closing it",
	    (long)job->pid, JOB_DRAIN_MS);
	job_close_output(job);
}

static void
job_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct job *job = arg;

	(void)fd;
	(void)what;
	if (job->flags & JOB_EXITED) {
		return;
	}
	log_info("job %ld: past its timeout; stopping it", (long)job->pid);
	job->result.timed_out = 1;
	job_stop(job, job->kill_grace_ms);
}

static int64_t
timeval_ms(const struct timeval *tv)
{
	return (int64_t)tv->tv_sec * 1000 + tv->tv_usec / 1000;
}

static void
job_exited(struct job *job, int status, const struct rusage *ru)
{
	job->result.cpu_user_ms = timeval_ms(&ru->ru_utime);
	job->result.cpu_sys_ms = timeval_ms(&ru->ru_stime);
	job->result.max_rss_kb = ru->ru_maxrss;
	if (WIFEXITED(status)) {
		job->result.how = JOB_END_EXITED;
		job->result.exit_code = WEXITSTATUS(status);
	} else {
		job->result.how = JOB_END_SIGNALED;
		job->result.signal = WTERMSIG(status);
		job->result.exit_code = -1;
	}
	if (!(job->flags & JOB_CLOSED)) {
		job_timer_arm(job, JOB_DRAIN_MS);
	}
	job_update(job, JOB_EXITED);
}

void
job_list_reap(struct job_list *jl)
{
	struct rusage ru;
	struct job *job;
	pid_t pid;
	int status;

	/* Descendants that outlived their job come here too (subreaper). */
	while ((pid = wait4(-1, &status, WNOHANG, &ru)) > 0) {
		if (!WIFEXITED(status) && !WIFSIGNALED(status)) {
			continue;
		}
		TAILQ_FOREACH(job, &jl->jobs, entry)
		{
			if (job->pid == pid && !(job->flags & JOB_EXITED)) {
				job_exited(job, status, &ru);
				break;
			}
		}
	}
}

void
job_stop(struct job *job, int64_t grace_ms)
{
	int64_t now = job_now_ms(job->list);

	if (job->dead) {
		return;
	}
	if (!job->stopping) {
		job->stopping = 1;
		job->result.stopped = 1;
		killpg(job->pid, SIGTERM);
		/* A stopped process would not see SIGTERM until continued. */
		killpg(job->pid, SIGCONT);
		job_signal_escaped(job, SIGTERM);
	} else if (now + grace_ms >= job->stop_deadline_ms) {
		return;
	}
	job->stop_deadline_ms = now + grace_ms;
	job_timer_arm(job, grace_ms);
}

void
job_signal(struct job *job, int sig)
{
	if (job->dead) {
		return;
	}
	job->result.stopped = 1;
	killpg(job->pid, sig);
	if (sig != SIGKILL && sig != SIGCONT) {
		killpg(job->pid, SIGCONT);
	}
	job_signal_escaped(job, sig);
}

/* Mark every descriptor above stderr close-on-exec. */
static int
job_child_cloexec_all(void)
{
	long max, fd;

#ifdef CLOSE_RANGE_CLOEXEC
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0) {
		return 0;
	}
#endif
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536) {
		max = 65536;
	}
	for (fd = 3; fd < max; fd++) {
		fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	}
	return 0;
}

/* Lower the soft limit to value, or to the hard limit if that is lower. */
static int
job_child_limit(const struct job_limit *l)
{
	struct rlimit rl;

	if (getrlimit(l->resource, &rl) == -1) {
		return -1;
	}
	rl.rlim_cur = (rlim_t)l->value;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
	}
	return setrlimit(l->resource, &rl);
}

/* Whether "NAME=..." a and b set the same variable. */
static int
env_same_name(const char *a, const char *b)
{
	size_t n = strcspn(a, "=");

	return strncmp(a, b, n) == 0 && (b[n] == '=' || b[n] == '\0');
}

#if JOB_USE_CLONE
/*
 * The children's stack, made at the first job: size bytes above a page
 * that faults should one ever overflow it; -1 if none could be had.
 */
static int
job_stack_make(struct job_list *jl, size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	void *p;

	size = (size + page - 1) / page * page + page;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (p == MAP_FAILED) {
		return -1;
	}
	if (mprotect(p, page, PROT_NONE) == -1) {
		munmap(p, size);
		return -1;
	}
	jl->stack = p;
	jl->stack_size = size;
	return 0;
}
#endif

/* What the child needs; it shares the daemon's memory, so all is ready. */
struct job_child_args {
	const struct job_spec *spec;
	char **envp; /* the job's environment */
	char **sh;   /* room for the argv of a script without #! */
	int out_fd, err_fd;
	int status_fd; /* fork: where to say why exec failed; clone: -1 */
	struct job_child_error ce; /* clone: the child says it here */
};

/* The value of PATH in envp, or the C library's default without one. */
static const char *
job_child_path(char *const *envp)
{
	for (; envp != NULL && *envp != NULL; envp++) {
		if (strncmp(*envp, "PATH=", 5) == 0) {
			return *envp + 5;
		}
	}
	return "/bin:/usr/bin";
}

/*
 * exec path; an executable file without #! is a shell script, run by
 * /bin/sh with sh, the daemon's array of two more than argv, as its argv.
 */
static void
job_child_execve(
    const char *path, char *const *argv, char **sh, char *const *envp)
{
	size_t i;

	execve(path, argv, envp);
	if (errno != ENOEXEC) {
		return;
	}
	sh[0] = (char *)"/bin/sh";
	sh[1] = (char *)path;
	for (i = 1; argv[i - 1] != NULL; i++) {
		sh[i + 1] = argv[i];
	}
	execve(sh[0], sh, envp);
	errno = ENOEXEC;
}

/*
 * execvp with the job's environment: the program is looked up in the job's
 * PATH, as execvp would with envp as environ. The daemon's environ is not
 * touched, so that no thread of the daemon ever sees it change. Returns
 * with errno when no exec succeeded.
 */
static void
job_child_exec(
    const char *file, char *const *argv, char **sh, char *const *envp)
{
	const char *p, *dir, *end;
	char path[PATH_MAX];
	size_t dlen, flen = strlen(file);
	int eacces = 0;

	if (*file == '\0') {
		errno = ENOENT;
		return;
	}
	if (strchr(file, '/') != NULL) {
		job_child_execve(file, argv, sh, envp);
		return;
	}
	for (p = job_child_path(envp);; p = end + 1) {
		dir = p;
		end = strchrnul(p, ':');
		dlen = (size_t)(end - dir);
		if (dlen + 1 + flen + 1 > sizeof path) {
			errno = ENAMETOOLONG;
		} else {
			/* An empty element is the working directory. */
			memcpy(path, dir, dlen);
			path[dlen] = '/';
			memcpy(
			    path + (dlen == 0 ? 0 : dlen + 1), file, flen + 1);
			job_child_execve(path, argv, sh, envp);
		}
		if (errno == EACCES) {
			eacces = 1;
		} else if (errno != ENOENT && errno != ENOTDIR &&
		    errno != ENAMETOOLONG && errno != ESTALE &&
		    errno != ENODEV && errno != ETIMEDOUT) {
			return;
		}
		if (*end == '\0') {
			break;
		}
	}
	errno = eacces ? EACCES : ENOENT;
}

/*
 * The child, between clone and exec. With CLONE_VM it runs in the daemon's
 * memory on a stack of its own while the daemon waits: it calls system
 * calls alone, allocates nothing, and writes no memory of the daemon's but
 * a->ce, which the daemon reads, and a->sh, set aside for it.
 */
static int
job_child(void *arg)
{
	struct job_child_args *a = arg;
	const struct job_spec *spec = a->spec;
	struct job_child_error ce;
	sigset_t none;
	size_t i;
	int fd, sig;

	setsid();
	/* The daemon's handlers and ignored signals must not reach the job. */
	for (sig = 1; sig < NSIG; sig++) {
		if (sig != SIGKILL && sig != SIGSTOP) {
			signal(sig, SIG_DFL);
		}
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if ((fd = open("/dev/null", O_RDONLY)) == -1) {
		ce.stage = JOB_STAGE_DEVNULL;
		goto fail;
	}
	if (dup2(fd, STDIN_FILENO) == -1 ||
	    dup2(a->out_fd, STDOUT_FILENO) == -1 ||
	    dup2(a->err_fd, STDERR_FILENO) == -1) {
		ce.stage = JOB_STAGE_FDS;
		goto fail;
	}
	job_child_cloexec_all();
	if (a->status_fd != -1) {
		fcntl(a->status_fd, F_SETFD, FD_CLOEXEC);
	}

	if (spec->cwd != NULL && chdir(spec->cwd) == -1) {
		ce.stage = JOB_STAGE_CWD;
		goto fail;
	}
	if (spec->nice != 0 && setpriority(PRIO_PROCESS, 0, spec->nice) == -1) {
		ce.stage = JOB_STAGE_NICE;
		goto fail;
	}
	for (i = 0; i < spec->nlimits; i++) {
		if (job_child_limit(&spec->limits[i]) == -1) {
			ce.stage = JOB_STAGE_LIMIT;
			ce.index = (int)i;
			goto fail;
		}
	}
	if (spec->umask >= 0) {
		umask((mode_t)spec->umask);
	}
	job_child_exec(
	    spec->argv[0], (char *const *)spec->argv, a->sh, a->envp);
	ce.stage = JOB_STAGE_EXEC;

fail:
	ce.err = errno;
	if (a->status_fd == -1) {
		a->ce = ce; /* the daemon reads it when we are gone */
	}
	while (a->status_fd != -1 &&
	    write(a->status_fd, &ce, sizeof ce) == -1 && errno == EINTR) {
		;
	}
	_exit(127);
}

/*
 * The job's environment: the daemon's (unless env_clear) with spec's
 * variables over it, a later one of the same name winning. Only the array
 * is allocated; the strings are borrowed.
 */
static char **
job_environment(const struct job_spec *spec)
{
	const char *const *add = spec->env;
	char *const *base = spec->env_clear ? NULL : environ;
	size_t nbase = 0, nadd = 0, n = 0, i, j;
	char **envp;

	while (base != NULL && base[nbase] != NULL) {
		nbase++;
	}
	while (add != NULL && add[nadd] != NULL) {
		nadd++;
	}
	envp = xreallocarray(NULL, nbase + nadd + 1, sizeof *envp);
	for (i = 0; i < nbase; i++) {
		for (j = 0; j < nadd && !env_same_name(base[i], add[j]); j++) {
			;
		}
		if (j == nadd) {
			envp[n++] = base[i];
		}
	}
	for (i = 0; i < nadd; i++) {
		for (j = i + 1; j < nadd && !env_same_name(add[i], add[j]);
		     j++) {
			;
		}
		if (j == nadd) {
			envp[n++] = (char *)add[i];
		}
	}
	envp[n] = NULL;
	return envp;
}

/*
 * Start the child. clone(CLONE_VM | CLONE_VFORK), as posix_spawn does,
 * spares copying the daemon's page tables and the faults of copy-on-write
 * for each job: the daemon waits (microseconds) until the child has exec'd.
 * Every signal is blocked meanwhile so that no handler of the daemon's runs
 * in the child. Under AddressSanitizer, whose bookkeeping a child on a
 * foreign stack would upset, it is a plain fork, and the child says why
 * exec failed through a pipe. Returns the pid, or -1; *ce has stage -1
 * when exec happened, else why it did not.
 */
static pid_t
job_clone(
    struct job_list *jl, struct job_child_args *a, struct job_child_error *ce)
{
#if JOB_USE_CLONE
	sigset_t all, saved;
	pid_t pid;
	int err;

	if (jl->stack == NULL && job_stack_make(jl, JOB_STACK) == -1) {
		return -1;
	}
	a->status_fd = -1;
	a->ce.stage = -1;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &saved);
	pid = clone(job_child, (char *)jl->stack + jl->stack_size,
	    CLONE_VM | CLONE_VFORK | SIGCHLD, a);
	err = errno;
	sigprocmask(SIG_SETMASK, &saved, NULL);
	*ce = a->ce;
	errno = err;
	return pid;
#else
	int st[2], err;
	ssize_t n;
	pid_t pid;

	(void)jl;
	if (pipe2(st, O_CLOEXEC) == -1) {
		return -1;
	}
	a->status_fd = st[1];
	if ((pid = fork()) == 0) {
		job_child(a);
	}
	err = errno;
	close(st[1]);
	ce->stage = -1;
	/* The child closes st[1] on a good exec, or writes why it failed. */
	do {
		n = pid == -1 ? 0 : read(st[0], ce, sizeof *ce);
	} while (n == -1 && errno == EINTR);
	if (n != (ssize_t)sizeof *ce) {
		ce->stage = -1;
	}
	close(st[0]);
	errno = err;
	return pid;
#endif
}

/* Why the child could not exec, naming the step that failed. */
static char *
job_child_cause(const struct job_spec *spec, const struct job_child_error *ce)
{
	const struct job_limit *l;
	const char *hint = "";

	switch (ce->stage) {
	case JOB_STAGE_DEVNULL:
		return xasprintf("cannot open /dev/null as its input: %s",
		    strerror(ce->err));
	case JOB_STAGE_FDS:
		return xasprintf("cannot set up the job's descriptors: %s",
		    strerror(ce->err));
	case JOB_STAGE_CWD:
		return xasprintf("cannot change directory to '%s': %s",
		    spec->cwd, strerror(ce->err));
	case JOB_STAGE_NICE:
		if (spec->nice < 0 && (ce->err == EACCES || ce->err == EPERM)) {
			hint = " (a negative nice needs privilege: "
			       "CAP_SYS_NICE or RLIMIT_NICE)";
		}
		return xasprintf("cannot set nice to %d: %s%s", spec->nice,
		    strerror(ce->err), hint);
	case JOB_STAGE_LIMIT:
		l = &spec->limits[ce->index];
		return xasprintf("cannot set the %s limit to %llu: %s",
		    l->name != NULL ? l->name : "resource",
		    (unsigned long long)l->value, strerror(ce->err));
	default:
		return xasprintf(
		    "cannot run '%s': %s", spec->argv[0], strerror(ce->err));
	}
}

struct job *
job_start(struct job_list *jl, const struct job_spec *spec, job_done_cb done,
    job_output_cb output, void *arg, char **cause)
{
	struct job_child_error ce;
	struct job_child_args args;
	struct job *job;
	struct job_stream *js;
	char **envp;
	int out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int saved, status, i;
	pid_t pid;

	/*
	 * Our ends non-blocking, the job's blocking: one fcntl a pipe, not
	 * the two (get and set) of making one end non-blocking afterwards.
	 */
	if (pipe2(out, O_CLOEXEC | O_NONBLOCK) == -1 ||
	    pipe2(err, O_CLOEXEC | O_NONBLOCK) == -1 ||
	    fcntl(out[1], F_SETFL, 0) == -1 ||
	    fcntl(err[1], F_SETFL, 0) == -1) {
		*cause = xasprintf("cannot create pipes: %s", strerror(errno));
		goto fail;
	}
	/* The pipes' other ends are close-on-exec: the child keeps none. */
	args.spec = spec;
	args.envp = envp = job_environment(spec);
	for (i = 0; spec->argv[i] != NULL; i++) {
		;
	}
	/* Kept from job to job: no allocation a start on the hot path. */
	if ((size_t)i + 2 > jl->sh_cap) {
		jl->sh_cap = (size_t)i + 2;
		jl->sh = xreallocarray(jl->sh, jl->sh_cap, sizeof *jl->sh);
	}
	args.sh = jl->sh;
	/*
	 * At exec the kernel starts the job's peak memory (ru_maxrss) from
	 * the high-water mark of the memory it is started from: ours, shared
	 * under CLONE_VM or copied by fork. Bring ours down to what is
	 * resident now, or the job inherits twd's own all-time peak.
	 */
	if (jl->clear_refs != -1 && pwrite(jl->clear_refs, "5", 1, 0) != 1) {
		log_debug("cannot reset the memory high-water mark: %s",
		    strerror(errno));
	}
	args.out_fd = out[1];
	args.err_fd = err[1];
	pid = job_clone(jl, &args, &ce);
	free(envp);
	if (pid == -1) {
		*cause = xasprintf("cannot fork: %s", strerror(errno));
		goto fail;
	}
	close(out[1]);
	out[1] = -1;
	close(err[1]);
	err[1] = -1;
	if (ce.stage != -1) {
		*cause = job_child_cause(spec, &ce);
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR) {
			;
		}
		goto fail;
	}

	job = xcalloc(1, sizeof *job);
	job->list = jl;
	job->pid = pid;
	job->log_path = xstrdup(spec->log_path);
	job->log_fd = -1;
	job->done = done;
	job->output = output;
	job->arg = arg;
	job->result.exit_code = -1;
	job->kill_grace_ms = spec->kill_grace_ms;
	job->max_output = spec->max_output;
	job->marker = spec->marker != NULL ? xstrdup(spec->marker) : NULL;
	for (i = 0; i < 2; i++) {
		js = &job->out[i];
		js->job = job;
		js->which = i == 0 ? LOGFMT_STDOUT : LOGFMT_STDERR;
		js->fd = i == 0 ? out[0] : err[0];
		js->ev = event_new(
		    jl->base, js->fd, EV_READ | EV_PERSIST, job_read, js);
		event_add(js->ev, NULL);
	}
	job->ev_partial = event_new(jl->base, -1, 0, job_partial, job);
	job->ev_timer = event_new(jl->base, -1, 0, job_timer, job);
	if (spec->timeout_ms > 0) {
		job->ev_timeout = event_new(jl->base, -1, 0, job_timeout, job);
		job_timer_set(job->ev_timeout, spec->timeout_ms);
	}
	TAILQ_INSERT_TAIL(&jl->jobs, job, entry);
	jl->live++;
	return job;

fail:
	saved = errno;
	if (out[0] != -1) {
		close(out[0]);
	}
	if (out[1] != -1) {
		close(out[1]);
	}
	if (err[0] != -1) {
		close(err[0]);
	}
	if (err[1] != -1) {
		close(err[1]);
	}
	errno = saved;
	return NULL;
}

/* Whether marker is one of the NUL-separated strings of pid's environ. */
static int
proc_has_env(const char *pid, const char *marker)
{
	char path[300], *buf = NULL, *p;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, found = 0;

	snprintf(path, sizeof path, "/proc/%s/environ", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		return 0;
	}
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 4096 : cap * 2;
			buf = xreallocarray(buf, cap + 1, 1);
		}
		if ((n = read(fd, buf + len, cap - len)) <= 0) {
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	for (p = buf; p != NULL && p < buf + len; p += strlen(p) + 1) {
		buf[len] = '\0';
		if (strcmp(p, marker) == 0) {
			found = 1;
			break;
		}
	}
	free(buf);
	return found;
}

int
job_orphan_kill(pid_t pgid, const char *marker)
{
	struct proc_entry *t;
	char pid[32];
	size_t n, i;
	int found = 0;

	if (pgid <= 1 || kill(-pgid, 0) == -1 || (t = proc_table(&n)) == NULL) {
		return 0;
	}
	for (i = 0; !found && i < n; i++) {
		snprintf(pid, sizeof pid, "%ld", (long)t[i].pid);
		found = t[i].pgrp == pgid && proc_has_env(pid, marker);
	}
	free(t);
	if (found && kill(-pgid, SIGKILL) == -1) {
		found = 0;
	}
	return found;
}

/* Every process there is, from /proc (caller frees); *n of them. */
static struct proc_entry *
proc_table(size_t *n)
{
	struct proc_entry *v = NULL, e;
	char path[300], buf[512], *p;
	struct dirent *de;
	size_t cap = 0;
	ssize_t len;
	long ppid, pgrp;
	int fd;
	DIR *d;

	*n = 0;
	if ((d = opendir("/proc")) == NULL) {
		return NULL;
	}
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0])) {
			continue;
		}
		snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
			continue;
		}
		len = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (len <= 0) {
			continue;
		}
		buf[len] = '\0';
		/* "pid (comm) state ppid pgrp ...": comm may hold anything. */
		if ((p = strrchr(buf, ')')) == NULL ||
		    sscanf(p + 1, " %*c %ld %ld", &ppid, &pgrp) != 2) {
			continue;
		}
		e.pid = (pid_t)strtol(de->d_name, NULL, 10);
		e.ppid = (pid_t)ppid;
		e.pgrp = (pid_t)pgrp;
		if (*n == cap) {
			cap = cap == 0 ? 256 : cap * 2;
			v = xreallocarray(v, cap, sizeof *v);
		}
		v[(*n)++] = e;
	}
	closedir(d);
	return v;
}

static int
pid_in(const pid_t *v, size_t n, pid_t pid)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i] == pid) {
			return 1;
		}
	}
	return 0;
}

/*
 * Send sig to the job's descendants outside its process group: those
 * below its process while it lives, and below twd (the subreaper, which
 * inherits them when their parents die) those with the job's marker in
 * their environment, with all below them. Each is remembered once, for
 * result.escaped. A stop is rare: one pass over /proc is cheap enough.
 */
static void
job_signal_escaped(struct job *job, int sig)
{
	struct proc_entry *t;
	pid_t *tree = NULL, self = getpid();
	size_t n, ntree = 0, i, j;
	char pid[32];

	if ((t = proc_table(&n)) == NULL) {
		return;
	}
	tree = xreallocarray(NULL, n + 1, sizeof *tree);
	/* Its own process, unless reaped: the number may be another's now. */
	if (!(job->flags & JOB_EXITED)) {
		tree[ntree++] = job->pid;
	}
	for (i = 0; job->marker != NULL && i < n; i++) {
		snprintf(pid, sizeof pid, "%ld", (long)t[i].pid);
		if (t[i].ppid == self && t[i].pid != job->pid &&
		    proc_has_env(pid, job->marker)) {
			tree[ntree++] = t[i].pid;
		}
	}
	/* Everything below those, a generation at a time. */
	for (j = 0; j < ntree; j++) {
		for (i = 0; i < n; i++) {
			if (t[i].ppid == tree[j] &&
			    !pid_in(tree, ntree, t[i].pid)) {
				tree[ntree++] = t[i].pid;
			}
		}
	}
	for (i = 0; i < n; i++) {
		if (!pid_in(tree, ntree, t[i].pid) || t[i].pgrp == job->pid) {
			continue;
		}
		kill(t[i].pid, sig);
		if (sig != SIGKILL && sig != SIGCONT) {
			kill(t[i].pid, SIGCONT);
		}
		if (!pid_in(job->escaped, job->nescaped, t[i].pid)) {
			job->escaped = xreallocarray(job->escaped,
			    job->nescaped + 1, sizeof *job->escaped);
			job->escaped[job->nescaped++] = t[i].pid;
			log_info("job %ld: %s to pid %ld, which left its "
			         "process group",
			    (long)job->pid, strsignal(sig), (long)t[i].pid);
		}
	}
	job->result.escaped = (int)job->nescaped;
	free(tree);
	free(t);
}
