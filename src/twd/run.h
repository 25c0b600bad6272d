/*
 * A run: one execution of a task, as the history stores it and the protocol
 * reports it. Status names are part of the protocol and the database.
 */
#ifndef TW_RUN_H
#define TW_RUN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum run_status {
	RUN_RUNNING,
	RUN_OK,           /* exit status 0 */
	RUN_FAILED,       /* non-zero exit status, or killed by a signal */
	RUN_KILLED,       /* stopped by twd: shutdown past its grace period */
	RUN_START_FAILED, /* could not be started at all */
	RUN_LOST,         /* twd ended without seeing the run finish */
	RUN_TIMEOUT,      /* stopped for running past its timeout */
	RUN_QUEUED,       /* waiting for a slot, its task or its retry time */
	RUN_SKIPPED,      /* a fire that did not run; the reason says why */
	RUN_OOM,          /* killed by the kernel at its cgroup's memory.max */
};

/* How many statuses there are, for arrays indexed by one. */
#define RUN_STATUS_COUNT (RUN_OOM + 1)

enum run_trigger {
	RUN_TRIGGER_SCHEDULE,
	RUN_TRIGGER_MANUAL,
	RUN_TRIGGER_BOOT,       /* @reboot, once per boot of the machine */
	RUN_TRIGGER_RETRY,      /* another attempt after a failure */
	RUN_TRIGGER_DEPENDENCY, /* the tasks of its after: succeeded */
	RUN_TRIGGER_CATCH_UP,   /* a fire missed while twd was down */
	RUN_TRIGGER_SUBMIT,     /* an ad-hoc job of twctl submit */
	RUN_TRIGGER_GIT,        /* a branch of its on: git: moved */
	RUN_TRIGGER_PATH,       /* files of its on: path: changed */
};

struct run_record {
	int64_t id;
	char *task;
	enum run_trigger trigger;
	int64_t scheduled_ms; /* 0 for manual runs */
	int64_t started_ms;
	int64_t finished_ms; /* 0 while running */
	enum run_status status;
	int exit_code; /* -1 unless the process exited */
	int signal;    /* 0 unless a signal ended it */
	int pid;
	int64_t output_bytes;
	int truncated;       /* output past the task's max_output was dropped */
	int64_t cpu_user_ms; /* 0 until it finished */
	int64_t cpu_sys_ms;
	int64_t max_rss_kb;
	int attempt;           /* 1, then 2 ... for retries */
	int64_t duration_ms;   /* by the monotonic clock; -1 if unknown */
	int64_t not_before_ms; /* queued: may not start before; 0: any time */
	char *log_path;
	char *reason;      /* why it failed to start, was killed or lost */
	char *spec;        /* submitted jobs: what to run, as JSON; else NULL */
	char *env;         /* and the environment given them (JSON), or NULL */
	int64_t slurm_job; /* on a Slurm executor: its job id once known */
	int progress;      /* a plugin's ::progress, 0-100; -1: none said */
	char *summary;     /* and its ::summary, or NULL */
	/*
	 * What changed, when a change ran it (a JSON object): {kind: git,
	 * repo, branch, ref, old, new} or {kind: path, paths: COUNT, path,
	 * sample, incomplete}; kept by its retries. NULL for the rest.
	 */
	char *change;
	int64_t memory_peak; /* its cgroup's memory.peak, bytes; -1: none */
	int64_t oom_kills;   /* its cgroup's OOM kills */
};

const char *run_status_name(enum run_status);
/* Returns 0, or -1 for an unknown name. */
int run_status_parse(const char *, enum run_status *);
const char *run_trigger_name(enum run_trigger);
int run_trigger_parse(const char *, enum run_trigger *);

/* Make dst (uninitialized) a copy of src that owns its strings. */
void run_record_copy(struct run_record *dst, const struct run_record *src);
/* Frees what the record owns, not the record itself; accepts NULL. */
void run_record_release(struct run_record *);
/* The signal "TERM", "SIGTERM", "term" or "15" names; -1 for none. */
int run_signal_parse(const char *name);
/* "SIGKILL" for 9; returns buf. */
char *run_signal_name(int sig, char *buf, size_t len);
/*
 * What a change did, in words ("main moved from a1b2c3d to d4e5f6a",
 * "3 paths changed: /in/a.csv ..."; caller frees); NULL when no change
 * ran the run.
 */
char *run_change_text(const struct run_record *);
/* The result in words ("ok", "exit 3", "killed (SIGTERM)"); returns buf. */
char *run_describe(const struct run_record *, char *buf, size_t len);
/* The record as a protocol object; caller owns the result. */
json_t *run_record_json(const struct run_record *);

#endif
