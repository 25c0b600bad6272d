/*
 * The executor: fork/exec a command in its own session, copy its output to
 * a log file from the event loop, reap it, and stop it on request. Knows
 * nothing of tasks, YAML or the history database.
 */
#ifndef TW_JOB_H
#define TW_JOB_H

#include <stdint.h>
#include <sys/types.h>

#include "logfmt.h"

/* Records of a running job's output kept in memory for followers. */
#define JOB_TAIL_LINES 100

struct event_base;
struct job;
struct job_list;

/* A resource limit for the job: RLIMIT_* and its soft value. */
struct job_limit {
	int resource;
	uint64_t value;
	const char *name; /* what the user calls it, for errors; static */
};

struct job_spec {
	const char *const *argv; /* argv[0] is looked up in PATH */
	const char *cwd;         /* NULL: the daemon's */
	const char
	    *log_path; /* made (0600; its directory 0700) at its first output */
	const char *const *env; /* "NAME=value" added; NULL-terminated */
	int env_clear;          /* start from env alone, not the daemon's */
	int umask;              /* -1: the daemon's */
	int nice;               /* niceness to run at; 0: the daemon's */
	const struct job_limit *limits; /* soft limits, clamped to hard */
	size_t nlimits;
	int64_t timeout_ms;    /* 0: none; then stopped with kill_grace_ms */
	int64_t kill_grace_ms; /* SIGTERM to SIGKILL when stopped */
	int64_t max_output;    /* bytes kept in the log; 0: all */
	/*
	 * An entry of env ("NAME=value") no other job has: a descendant that
	 * left the job's process group is still known by it when stopped.
	 */
	const char *marker;
	/*
	 * A job that runs elsewhere (ssh): signalled by running this with the
	 * signal's name (TERM, KILL) as its last word, not by signalling its
	 * local process, which ends when the job there does. NULL: local.
	 */
	const char *const *signal_argv;
	/* A file the job reads as its standard input; NULL: /dev/null. */
	const char *stdin_path;
	/* A cgroup's cgroup.procs the job enters before all else; or NULL. */
	const char *cgroup_procs;
};

enum job_end {
	JOB_END_EXITED,
	JOB_END_SIGNALED,
};

struct job_result {
	enum job_end how;
	int exit_code;        /* when JOB_END_EXITED */
	int signal;           /* when JOB_END_SIGNALED */
	int stopped;          /* job_stop was called before it ended */
	int timed_out;        /* stopped because it ran past its timeout */
	int truncated;        /* output past max_output was discarded */
	int64_t output_bytes; /* all it wrote, kept or not */
	int64_t cpu_user_ms;  /* from wait4's rusage */
	int64_t cpu_sys_ms;
	int64_t max_rss_kb;
	int escaped;           /* processes outside its group stopped with it */
	const char *log_error; /* why its output was not all kept, or NULL */
	int64_t log_lost;      /* bytes of log records that were not written */
};

/*
 * Called once, when both the exit status and the end of output are in. The
 * job is freed after the callback returns; do not keep it.
 */
typedef void (*job_done_cb)(struct job *, const struct job_result *, void *);
/*
 * Called for each record of output as it is logged (see logfmt.h); seq
 * counts the run's records from 1. The record is borrowed for the call.
 */
typedef void (*job_output_cb)(
    struct job *, const struct logfmt_record *, uint64_t seq, void *);
typedef void (*job_tail_cb)(const struct logfmt_record *, uint64_t seq, void *);

struct job_list *job_list_create(struct event_base *);
/* Frees the list; jobs still in it are forgotten without being signalled. */
void job_list_free(struct job_list *);
/* Jobs started and not yet done. */
size_t job_list_count(const struct job_list *);
/* Reap every exited child (call on SIGCHLD); unknown pids are ignored. */
void job_list_reap(struct job_list *);

/*
 * Start spec. Its stdout and stderr go to the log as records (logfmt.h),
 * each also to output when that is not NULL. Returns the job, owned by the
 * list, or NULL with *cause (caller frees) when it could not start: fork
 * failed, the directory or the program is missing. Nothing runs in that
 * case. The log file is made when the first output comes: a job that
 * writes nothing leaves none; one that cannot be made is log_error.
 */
struct job *job_start(struct job_list *, const struct job_spec *, job_done_cb,
    job_output_cb output, void *arg, char **cause);
/* The last JOB_TAIL_LINES records of output, oldest first, to fn. */
void job_tail(const struct job *, job_tail_cb fn, void *arg);
pid_t job_pid(const struct job *);
/*
 * Ask the job's process group to stop: SIGTERM now, SIGKILL if anything is
 * left after grace_ms. Calling it again only shortens the wait. Its
 * descendants that left the group (setsid, a daemon's double fork) get the
 * same signals: those still below its process, and those twd inherited as
 * subreaper that carry its marker; result.escaped counts them.
 */
void job_stop(struct job *, int64_t grace_ms);
/*
 * Its callbacks are called no more: its owner is going away. The job
 * runs on (stop it first to end it) and is reaped as any other.
 */
void job_forget(struct job *);

/* Send sig to the job's process group and its descendants outside it, once;
 * the run counts as stopped. */
void job_signal(struct job *, int sig);
/* Its timeout counts from now: ms (0: none). A job elsewhere that had to
 * wait for its machine (a Slurm queue) starts its time when it starts. */
void job_set_timeout(struct job *, int64_t ms);

/*
 * Start argv with last as one more word (NULL: none), its input and output
 * /dev/null, and forget it: it is reaped with the jobs and never waited
 * for (a remote run's signal). Returns 0, or -1 if it could not start.
 */
int job_spawn_quiet(const char *const *argv, const char *last);
/* The same, its output to out_fd (-1: /dev/null); its pid, or -1. */
pid_t job_spawn(const char *const *argv, const char *last, int out_fd);

/*
 * SIGKILL the process group pgid, left by an earlier twd, if a process in
 * it has marker ("NAME=value") in its environment: so a stranger that got
 * the number since is never touched. Returns 1 if it was killed, else 0.
 */
int job_orphan_kill(pid_t pgid, const char *marker);

#endif
