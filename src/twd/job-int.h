/*
 * Inside the executor: the structs its three files share. job.c runs a
 * job (output, log, timers, exit, stop), job-child.c starts its process
 * (environment, clone, the child's steps to exec), and job-proc.c reads
 * /proc for the processes a job or an earlier twd left behind.
 */
#ifndef TW_JOB_INT_H
#define TW_JOB_INT_H

#include <sys/queue.h>
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "job.h"
#include "logfmt.h"

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
	char *marker;       /* spec's, or NULL */
	char **signal_argv; /* spec's, or NULL: signals go to the process */
	int remote_killed;  /* the job elsewhere was sent KILL */
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

/* job-child.c: start spec's process, its output to out_fd and err_fd.
 * Returns its pid, or -1 with *cause. */
pid_t job_child_start(struct job_list *jl, const struct job_spec *spec,
    int out_fd, int err_fd, char **cause);

/* job-proc.c */
/* Signal the descendants of job that left its process group. */
void job_signal_escaped(struct job *job, int sig);

#endif
