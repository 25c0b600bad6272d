/*
 * The tasks file: YAML in, task definitions out. Every error is collected
 * with its file, line and column, so a user fixes them all in one pass.
 */
#ifndef TW_CONFIG_H
#define TW_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include <jansson.h>
#include <stdint.h>

#include "catchup.h"
#include "job.h"

struct schedule;
struct tz;

/* The longest task name. */
#define TASK_NAME_MAX 64

/* The longest interval, timeout or wait a task may give: 3650 days. */
#define EVERY_MAX_SECS (3650 * INT64_C(86400))

/* Priorities by name; an integer from 0 to 100 sits among them. */
#define PRIORITY_LOW      25
#define PRIORITY_NORMAL   50
#define PRIORITY_HIGH     75
#define PRIORITY_CRITICAL 100

/* What a fire does when the task's previous run is still queued or going. */
enum overlap {
	OVERLAP_SKIP,    /* record the fire as skipped */
	OVERLAP_QUEUE,   /* wait until the previous run ends */
	OVERLAP_ALLOW,   /* run alongside it */
	OVERLAP_REPLACE, /* stop the previous run, start this one */
};

/* Failures retry_on can name besides exit codes. */
#define RETRY_ON_TIMEOUT      0x1
#define RETRY_ON_START_FAILED 0x2
#define RETRY_ON_SIGNAL       0x4

/* The events a task's notify: on can choose. */
#define NOTIFY_FAILURE      0x01 /* the last attempt failed */
#define NOTIFY_RETRY        0x02 /* an attempt failed; another comes */
#define NOTIFY_RECOVERY     0x04 /* the first success after failures */
#define NOTIFY_SUCCESS      0x08
#define NOTIFY_SKIPPED      0x10
#define NOTIFY_CONFIG_ERROR 0x20 /* the tasks file did not reload */
#define NOTIFY_STATE_ERROR  0x40 /* the history could not be written */

enum notifier_type {
	NOTIFIER_DESKTOP, /* libnotify */
	NOTIFIER_MAIL,    /* through a sendmail(1) */
	NOTIFIER_WEBHOOK, /* an HTTP POST of JSON */
	NOTIFIER_COMMAND, /* a program, the event on its stdin */
};

/* A notifier of the tasks file: where messages go, and how. */
struct notifier_def {
	char *name;
	enum notifier_type type;
	char *to;           /* mail: the address */
	char *from;         /* mail: NULL for the sendmail's own */
	char **program;     /* mail: the sendmail; command: run */
	char *url;          /* webhook */
	int slack;          /* webhook: format: slack */
	int raw;            /* webhook: the event itself (a subscription's) */
	char *secret;       /* webhook: signs the body (HMAC-SHA256) */
	int64_t timeout_ms; /* a delivery is stopped past this */
	char *plugin;       /* a plugin's (command: [its path, notify]), */
	char *params;       /* and its with:, a JSON object */
};

/* A named queue of the tasks file and its limit. */
struct queue_def {
	char *name;
	int max_concurrent;
};

/*
 * executors: a machine a task's runs go to, through a program the user
 * already runs (the system's ssh, Slurm's srun); a task with none runs
 * here.
 */
enum executor_type {
	EXECUTOR_SSH,
	EXECUTOR_SLURM,
};

struct executor_def {
	char *name;
	enum executor_type type;
	char *host;
	char *user;         /* NULL: ssh's own choice */
	char *identity;     /* a key file (~ expanded); NULL: ssh's */
	char *ssh_config;   /* config: an ssh_config file (-F); NULL: yours */
	char **options;     /* "Name=value" each an -o, before twd's own */
	char *partition;    /* slurm: -p; NULL: the cluster's default */
	char *account;      /* slurm: -A; NULL: the user's default */
	char **args;        /* slurm: more words for srun, before twd's */
	int port;           /* 0: ssh's (22, or the ssh_config's) */
	int max_concurrent; /* its runs at once; 0: no limit of its own */
	int used;           /* some task runs on it (else a warning) */
	const char *file;   /* where it is defined; borrowed */
	unsigned line, column;
};

/*
 * How a task runs, is retried, kept and told about. Most tasks of a file
 * take all of it from defaults, so tasks whose policies are alike share
 * one (100,000 tasks, a few policies): it is not written once a task has
 * it, except by the holder of a copy of its own (task_def_copy). Alike is
 * what task_def_changes says: a field it does not compare would be shared
 * wrongly, as it would be missed by a reload.
 */
struct task_policy {
	char **shell;             /* NULL: /bin/sh -c */
	char *cwd;                /* NULL: the home directory */
	char **env;               /* "NAME=value", NULL-terminated, or NULL */
	struct job_limit *limits; /* resource limits */
	int *retry_codes;         /* retry_on: exit codes; NULL: any */
	int *notify_via;          /* indices in config->notifiers */
	int64_t timeout_ms;       /* 0: none */
	int64_t kill_grace_ms;    /* SIGTERM to SIGKILL */
	int64_t max_output;       /* bytes kept of its output; 0: all */
	int64_t keep_runs;        /* history kept: runs, days, log bytes */
	int64_t keep_days;        /* (0: no limit) */
	int64_t keep_bytes;
	int64_t jitter_ms;          /* a random delay below this on each fire */
	int64_t retry_delay_ms;     /* the first wait */
	int64_t retry_max_delay_ms; /* no wait is longer */
	double retry_backoff;       /* each wait is this times the last */
	int64_t starting_deadline_ms; /* 0: a fire may start however late */
	int64_t notify_every_ms;      /* a failure again told after this */
	int64_t res_memory;           /* resources: bytes (Slurm's --mem) */
	int64_t res_time_ms;          /* resources: Slurm's --time */
	int32_t res_mcpus; /* resources: cpus, in thousandths; 0: none */
	int32_t res_gpus;  /* resources: --gpus */
	unsigned nlimits;
	unsigned nretry_codes;
	unsigned nnotify_via;
	unsigned refs;      /* task_policy_ref, task_policy_free */
	int retries;        /* further attempts after a failure */
	int queue;          /* index in config->queues; -1: none */
	int executor;       /* index in config->executors; -1: this machine */
	int catch_up_max;   /* catch_up: all, at most */
	unsigned notify_on; /* NOTIFY_*: what is told */
	int16_t umask;      /* -1: twd's */
	int16_t priority;   /* 0-100, higher starts first */
	int8_t nice;
	uint8_t env_clear;   /* a minimal environment, not twd's */
	uint8_t retry_flags; /* retry_on: RETRY_ON_* */
	/* pressure: a run waits while PSI "some avg10" is above these %. */
	uint8_t press_cpu, press_memory, press_io; /* 0: no bound */
	enum overlap overlap : 8;
	enum catch_up catch_up : 8; /* fires missed while down or asleep */
};

/* The fewest seconds between two git ls-remote of a remote, and the default. */
#define GIT_POLL_MIN_SECS     30
#define GIT_POLL_DEFAULT_SECS 300

/* on: git: a branch of a local repository moved, or of a remote. */
struct git_trigger {
	char *repo;      /* a local repository (~ expanded); or NULL and: */
	char *remote;    /* a URL git ls-remote reads, every poll_ms */
	char *branch;    /* a branch, or a glob of them such as release/v1.* */
	int64_t poll_ms; /* remote only */
};

/* The kinds of file events a path trigger may name (events:). */
#define PATH_EV_CREATED    0x01
#define PATH_EV_MODIFIED   0x02 /* written and closed */
#define PATH_EV_DELETED    0x04
#define PATH_EV_MOVED_TO   0x08
#define PATH_EV_MOVED_FROM 0x10
#define PATH_EV_ATTRIB     0x20
#define PATH_EV_DEFAULT    (PATH_EV_CREATED | PATH_EV_MODIFIED | PATH_EV_MOVED_TO)

/* The directories a recursive path trigger watches at most, by default. */
#define PATH_MAX_WATCHES_DEFAULT 1024

/* on: path: files changed in directories. */
struct path_trigger {
	char **watch;        /* directories (~ expanded), NULL-terminated */
	char *glob;          /* names that count (fnmatch); NULL: all */
	int64_t debounce_ms; /* a run once no event came for this long */
	unsigned events;     /* PATH_EV_* */
	int max_watches;     /* recursive: directories watched at most */
	uint8_t per_file;    /* a run per path, not one for them all */
	uint8_t recursive;   /* and the directories below them */
};

/* on: what, besides the clock, runs a task; either may be NULL. */
struct trigger_def {
	struct git_trigger *git;
	struct path_trigger *path;
};

/* One per task, 100,000 in a big file: what is its own, and its policy. */
struct task_def {
	char *name;
	char *description; /* what it is for, in the user's words; or NULL */
	char *command;     /* run through the shell; or NULL and: */
	char **argv;       /* run: exec'd as it is, no shell */
	char *plugin;      /* type: a plugin's; argv is then [its path, run] */
	char *with;        /* and its parameters, a JSON object */
	struct schedule *schedule; /* NULL: runs only when asked; shared */
	const struct tz *tz;       /* its wall clock (cron, at); borrowed */
	char **after; /* runs when these have succeeded since it last ran */
	struct trigger_def
	    *on;          /* runs when a branch or files change; or NULL */
	const char *file; /* defined in; borrowed from config->files */
	struct task_policy *policy; /* shared with tasks alike */
	unsigned line, column;      /* where the task is defined, 1-based */
	uint8_t enabled;            /* 0: defined, never scheduled */
};

struct config_error {
	char *file;
	unsigned line, column; /* 1-based; 0 when not about a place */
	char *message;
};

struct config_errors {
	struct config_error *v;
	size_t n;
};

/* How often a textfile is written at most, unless metrics: says. */
#define METRICS_INTERVAL_MS 15000

/* metrics: what twd exports for Prometheus (taskweaver(5)). */
struct metrics_def {
	char *host; /* serve GET /metrics on host:port; NULL: not served */
	int port;
	char *textfile;      /* written for node_exporter; NULL: none */
	int64_t interval_ms; /* the textfile at most this often */
};

/*
 * subscriptions: events POSTed to a URL as they happen, each through a
 * webhook notifier of its own ("subscription:NAME"), signed when it has
 * a secret.
 */
struct subscription_def {
	char *name;
	unsigned int events; /* a proto_event_set */
	char *task;          /* only this task's events; NULL: all */
	char *status;        /* only runs that ended so; NULL: all */
	int notifier;        /* its index in config->notifiers */
};

/*
 * capacity: what the runs on this machine may take together, by their
 * resources: (cpus, memory). Without the section nothing is counted.
 */
struct capacity_def {
	int on;         /* the section is there */
	int64_t mcpus;  /* thousandths of a CPU; 0: not counted */
	int64_t memory; /* bytes; 0: not counted */
	int64_t swap;   /* memory.swap.max of each run's cgroup; -1: left */
	int64_t
	    backfill_ms; /* smaller runs pass one that does not fit so long */
};

/* How long a run that does not fit lets smaller ones pass it, by default. */
#define CAPACITY_BACKFILL_MS (5 * 60 * 1000)

/* audit: which requests are recorded, and for how long. */
struct audit_def {
	int reads;         /* the requests that change nothing too */
	int64_t keep_days; /* 0: the defaults' history keep_days, or all */
};

struct config {
	char *path;
	struct task_def **tasks; /* sorted by name */
	size_t ntasks;
	struct tz **zones; /* loaded once each, shared by the tasks */
	size_t nzones;
	int max_concurrent; /* runs at once, all queues together */
	struct queue_def *queues;
	size_t nqueues;
	struct notifier_def *notifiers;
	size_t nnotifiers;
	struct executor_def *executors;
	size_t nexecutors;
	char **plugin_path; /* where plugins are looked for first */
	struct metrics_def metrics;
	struct audit_def audit;
	struct capacity_def capacity;
	struct subscription_def *subscriptions;
	size_t nsubscriptions;
	struct task_def *defaults; /* the defaults block applied, no command */
	char **files;              /* the file, then those it includes */
	size_t nfiles;
	char **include_dirs; /* where its include patterns look, to watch */
	size_t ninclude_dirs;
	/* What it means that one may not expect (a cron step past its range) */
	struct config_errors warnings;
};

/*
 * Load and check path. Returns the config (caller frees), or NULL with every
 * problem appended to errs (caller releases).
 */
struct config *config_load(const char *path, struct config_errors *errs);
void config_free(struct config *);
/* Borrowed, valid until the config is freed; NULL if there is no such task. */
const struct task_def *config_find(const struct config *, const char *name);
/*
 * The zone called name ("local" for the local one), loaded once per config.
 * Borrowed, valid until the config is freed; NULL with *cause if unknown.
 */
const struct tz *config_zone(struct config *, const char *name, char **cause);
/* The tasks-file name of a resource limit ("memory" for RLIMIT_AS). */
const char *config_limit_name(int resource);
/* "normal" for 50, else the number; returns buf. */
const char *config_priority_name(int priority, char *buf, size_t len);
const char *config_overlap_name(enum overlap);
const char *config_catch_up_name(enum catch_up);
const char *config_notifier_type_name(enum notifier_type);
/* "failure" for NOTIFY_FAILURE; NULL for anything but one event. */
const char *config_notify_event_name(unsigned event);
/* The index of the notifier called name, or -1. */
int config_notifier_index(const struct config *, const char *name);
/* "high" or "80" into *priority; returns 0, or -1 if it is neither. */
int config_priority_parse(const char *, int *priority);
/* The index of the queue called name, or -1. */
int config_queue_index(const struct config *, const char *name);
/* The executor a task's runs go to; NULL for this machine. */
const struct executor_def *
config_executor(const struct config *, const struct task_def *);
/* Whether name may name a task (1 to TASK_NAME_MAX letters, digits...). */
int config_task_name_valid(const char *name);
/* A deep copy of d, without its schedule, after: and on: (caller frees). */
struct task_def *task_def_copy(const struct task_def *d);
void task_def_free(struct task_def *);
/* Whether task d runs after the task called name. */
int task_def_after(const struct task_def *d, const char *name);
/* Whether a and b would run the same way on the same schedule. */
int task_def_equal(const struct task_def *a, const struct task_def *b);
/*
 * The task's definition as twctl show gives it: every field of the
 * tasks file's table with its value, defaults applied (caller owns); a
 * task with no cwd starts in home.
 */
json_t *config_task_json(
    const struct config *, const struct task_def *, const char *home);
/* The i-th task field of the schema's table, in order; NULL past the last. */
const char *config_field_at(size_t i);
/* One field of it, by name; NULL for none or one not shown for the task. */
json_t *config_task_field_json(const struct config *, const struct task_def *,
    const char *field, const char *home);
/*
 * The tasks-file fields in which b differs from a, at most max of them
 * into out ("schedule" for schedule, every and at); returns how many.
 */
size_t task_def_changes(const struct task_def *a, const struct task_def *b,
    const char **out, size_t max);

/*
 * Set resource key (cpus or memory) of p from its text v, as the tasks
 * file's resources: says it. Returns 0, or -1 with *cause.
 */
int config_resource_set(
    struct task_policy *p, const char *key, const char *v, char **cause);
/* Why a run asking p's resources could never fit cap (caller frees), or NULL. */
char *capacity_never_fits(
    const struct capacity_def *cap, const struct task_policy *p);
/* "0.25" for 250 thousandths of a CPU, into buf; returns buf. */
const char *config_cpus_text(int64_t mcpus, char *buf, size_t len);
/* The directory of PSI's files: /proc/pressure, or TW_PSI_DIR. */
const char *config_psi_dir(void);

/* "created" for PATH_EV_CREATED; NULL for anything but one event. */
const char *config_path_event_name(unsigned event);
/* What on: waits for, in words ("push to main in ~/src/proj"; caller frees). */
char *config_trigger_text(const struct trigger_def *);
void trigger_def_free(struct trigger_def *);
/* Whether a and b have the same on: (both none, or alike in every part). */
int task_def_on_equal(const struct task_def *a, const struct task_def *b);

/* "FILE:LINE:COL: message"; caller frees. */
char *config_error_format(const struct config_error *);
/* Each error as config_error_format has it, a line each, to fp. */
void config_errors_print(const struct config_errors *, FILE *fp);
void config_errors_release(struct config_errors *);

#endif
