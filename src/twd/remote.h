/*
 * Runs on another machine, through the system's ssh: the local command
 * that makes the run there, the one that signals it, and what ssh's own
 * words on failing mean. Pure: it builds argument vectors and knows no
 * jobs, tasks or sockets.
 *
 * There, the run is a session of its own (setsid), its process group id
 * in a file named by the run's key under ~/.cache/taskweaver/runs, so that
 * a stop from any later connection (a timeout, twctl kill, a restarted
 * twd) reaches the whole of it; the file goes when the run ends. The
 * remote account's login shell must be a POSIX shell, and setsid
 * (util-linux, busybox) must be on its PATH.
 */
#ifndef TW_REMOTE_H
#define TW_REMOTE_H

#include "config.h"

/* A run as it goes to an ssh executor. */
struct remote_run {
	const struct executor_def *ex;
	const char *control_dir; /* ssh's shared connections: one per name */
	const char *key;         /* the run's, unique across twds */
	const char *const *argv; /* what runs there: a program and its words */
	const char *cwd;         /* there; NULL: the account's home */
	const char *const *env;  /* NAME=value, over the account's own */
	int env_clear; /* only env, HOME, USER, LOGNAME, SHELL, PATH */
	int umask;     /* -1: the account's */
	int nice;      /* 0: as it comes */
};

/* The longest control_dir/NAME ssh can bind (a socket path, and its own
 * temporary suffix while the connection is made). */
#define REMOTE_CONTROL_PATH_MAX 88

/*
 * The local command that runs r there, its output on ssh's stdout and
 * stderr and its exit status ssh's (NULL-terminated; strv_free).
 * NULL with *cause when control_dir/NAME is too long for ssh.
 */
char **remote_ssh_argv(const struct remote_run *r, char **cause);
/*
 * The local command that sends the run with key a signal there; append
 * the signal's name (TERM, KILL) as its last word. Nothing happens when
 * the run is no longer there.
 */
char **remote_ssh_signal_argv(
    const struct executor_def *ex, const char *control_dir, const char *key);
/* The local command that runs "true" there: whether it can be reached. */
char **
remote_ssh_check_argv(const struct executor_def *ex, const char *control_dir);
/* s quoted for a POSIX shell: 'it'\''s' (caller frees). */
char *remote_quote(const char *s);
/*
 * What an exit status of 255 from ssh means (a run's own 255 comes back
 * as 254): by line, the last thing written on stderr before, whether ssh
 * could not reach or log in to the machine (so the run never started
 * there), or else lost the connection while the run went on.
 */
int remote_ssh_unreached(const char *line);

/*
 * A run on a Slurm executor is srun's: its output streamed back, its exit
 * status the job's. Its job is named tw-TASK-ID, by which it is found
 * (squeue) and cancelled (scancel) from anywhere.
 */
struct slurm_run {
	const struct executor_def *ex;
	const char *job_name;
	const char *const *argv;          /* what runs there */
	const struct task_policy *policy; /* its resources */
	/* Where the job writes its id first thing (a quick job is gone
	 * before squeue is asked); NULL: nowhere. */
	const char *id_file;
};
/* srun and its words for r (strv_free). */
char **remote_srun_argv(const struct slurm_run *r);
/* The command that sends job_name a signal; append the signal's name
 * (TERM and KILL cancel it, as Slurm does: TERM, then KILL). */
char **remote_scancel_argv(const char *job_name);
/* The command that prints "ID STATE REASON" of job_name, if Slurm has it. */
char **remote_squeue_argv(const char *job_name);
/* The command that asks the cluster whether it answers (sinfo). */
char **remote_sinfo_argv(const struct executor_def *ex);
/* How Slurm ended a run, by what srun or slurmstepd wrote on stderr. */
enum slurm_end {
	SLURM_END_OWN,    /* the run's own exit status */
	SLURM_END_TIME,   /* its time limit (resources: time) */
	SLURM_END_MEMORY, /* out of memory */
	SLURM_END_NODE,   /* its node failed */
	SLURM_END_CANCEL, /* cancelled, not by twd */
};
enum slurm_end remote_slurm_end(const char *line);

#endif
