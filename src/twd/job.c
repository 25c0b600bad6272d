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

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "duration.h"
#include "job.h"
#include "job-int.h"
#include "log.h"
#include "logfmt.h"
#include "xmalloc.h"

/*
 * How long to wait for the end of output once the process has exited. A
 * descendant that daemonized may hold the pipe open for ever; the run is
 * over when its own process is, so stop reading after this.
 */
#define JOB_DRAIN_MS 2000
/* After KILL was sent there, how long ssh may take to end before it is
 * killed here. */
#define JOB_REMOTE_KILL_MS 5000

/*
 * How long a piece of a line may wait for its newline before it is logged
 * as a piece, so that a progress bar or a prompt shows up while it runs.
 */
#define JOB_PARTIAL_MS 500

/* Log records buffered before one write(2). */
#define JOB_LOG_BUF 65536

static void job_gc(evutil_socket_t, short, void *);
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
	strv_free(job->signal_argv);
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
	if (!(job->flags & JOB_EXITED) && job->signal_argv != NULL &&
	    !job->remote_killed) {
		/* There first; here too if ssh is still up after as long. */
		log_info("job %ld: still running elsewhere after SIGTERM, "
		         "sending SIGKILL there",
		    (long)job->pid);
		job->remote_killed = 1;
		job_spawn_quiet((const char *const *)job->signal_argv, "KILL");
		job_timer_arm(job,
		    job->kill_grace_ms > JOB_REMOTE_KILL_MS
		        ? job->kill_grace_ms
		        : JOB_REMOTE_KILL_MS);
		return;
	}
	if (!(job->flags & JOB_EXITED)) {
		/* The stop grace is over and the process is still there. */
		log_info("job %ld: still running after SIGTERM, sending "
		         "SIGKILL",
		    (long)job->pid);
		killpg(job->pid, SIGKILL);
		job_signal_escaped(job, SIGKILL);
		return;
	}
	if (job->stopping && job->signal_argv == NULL) {
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

/* A done callback for a job nobody waits for. */
static void
job_done_ignored(struct job *job, const struct job_result *res, void *arg)
{
	(void)job;
	(void)res;
	(void)arg;
}

void
job_forget(struct job *job)
{
	job->done = job_done_ignored;
	job->output = NULL;
	job->arg = NULL;
}

void
job_stop(struct job *job, int64_t grace_ms)
{
	int64_t now = job_now_ms(job->list);

	if (job->dead) {
		return;
	}
	if (!job->stopping && job->signal_argv != NULL) {
		job->stopping = 1;
		job->result.stopped = 1;
		job_spawn_quiet((const char *const *)job->signal_argv, "TERM");
	} else if (!job->stopping) {
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
job_set_timeout(struct job *job, int64_t ms)
{
	if (job->dead || (job->flags & JOB_EXITED)) {
		return;
	}
	if (job->ev_timeout == NULL) {
		job->ev_timeout =
		    event_new(job->list->base, -1, 0, job_timeout, job);
	}
	event_del(job->ev_timeout);
	if (ms > 0) {
		job_timer_set(job->ev_timeout, ms);
	}
}

void
job_signal(struct job *job, int sig)
{
	if (job->dead) {
		return;
	}
	job->result.stopped = 1;
	if (job->signal_argv != NULL) {
		job_spawn_quiet((const char *const *)job->signal_argv,
		    sigabbrev_np(sig) != NULL ? sigabbrev_np(sig) : "TERM");
		return;
	}
	killpg(job->pid, sig);
	if (sig != SIGKILL && sig != SIGCONT) {
		killpg(job->pid, SIGCONT);
	}
	job_signal_escaped(job, sig);
}

struct job *
job_start(struct job_list *jl, const struct job_spec *spec, job_done_cb done,
    job_output_cb output, void *arg, char **cause)
{
	struct job *job;
	struct job_stream *js;
	int out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int saved, i;
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
	if ((pid = job_child_start(jl, spec, out[1], err[1], cause)) == -1) {
		goto fail;
	}
	close(out[1]);
	out[1] = -1;
	close(err[1]);
	err[1] = -1;

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
	job->signal_argv = strv_copy((char *const *)spec->signal_argv);
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
