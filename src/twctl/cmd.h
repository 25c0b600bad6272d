/*
 * twctl's verbs as a table of entries: name, options, argument counts and
 * a handler. Parsing, -h, usage errors and list-commands come from the table.
 */
#ifndef TW_CMD_H
#define TW_CMD_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "proto.h"

/* Exit codes; twctl(1) documents them. */
#define EXIT_OK          0
#define EXIT_FAIL        1
#define EXIT_USAGE       2
#define EXIT_UNREACHABLE 3

/* How long to wait for an answer before calling the daemon stuck. */
#define CMD_TIMEOUT_MS (30 * 1000)

/* Talks to the daemon: it fails with exit status 3 when none runs. */
#define CMD_NEEDS_DAEMON 0x1
/* Options end at the first argument: the rest is a command line. */
#define CMD_OPTIONS_FIRST 0x2
/* Its output goes through the pager at a terminal (see pager.h). */
#define CMD_PAGED 0x4

struct conn;
struct cmd_ctx;

struct cmd_entry {
	const char *name;
	const char *summary;           /* one line for "twctl help" */
	const char *usage;             /* after the name */
	const char *help;              /* what "twctl help NAME" adds */
	const char *getopt;            /* short options, as getopt(3) */
	const struct option *longopts; /* may be NULL */
	int args_min, args_max;        /* positional arguments */
	int flags;
	int (*exec)(struct cmd_ctx *); /* returns an exit code */
};

struct cmd_ctx {
	const struct cmd_entry *entry;
	const char *socket_path; /* resolved */
	const char *socket_flag; /* as given with --socket, or NULL */
	int json;
	int argc; /* positional arguments */
	char **argv;
	const char *opt[128]; /* optarg, or "" for a flag; NULL if unset */
	struct conn *conn;    /* opened by the first cmd_call */
};

/* The table, alphabetized, NULL-terminated. */
extern const struct cmd_entry *const cmd_table[];

/* The entry called name, or NULL. */
const struct cmd_entry *cmd_find(const char *name);
/*
 * Parse argv (argv[0] is the verb), connect if needed and run the entry;
 * socket_flag is --socket's value or NULL. Returns the exit code.
 */
int cmd_exec(const struct cmd_entry *, int argc, char **argv,
    const char *socket_flag, int json);
/* Print the entry's usage line to fp. */
void cmd_usage(const struct cmd_entry *, FILE *fp);

/*
 * Call the daemon. Returns EXIT_OK with rep filled (caller releases), or
 * the exit code after reporting the error (rep then needs no release).
 */
int cmd_call(
    struct cmd_ctx *, const char *cmd, json_t *args, struct proto_reply *rep);
/*
 * Call the daemon for a list, the array under key of the reply. It is all
 * done when that is printed as JSON (--json), when it is empty (empty is
 * said) or on an error: then the exit code. Otherwise -1, with *list the
 * array for the caller to print, and rep to release.
 */
int cmd_call_list(struct cmd_ctx *, const char *cmd, json_t *args,
    const char *key, const char *empty, struct proto_reply *rep, json_t **list);

extern const struct cmd_entry cmd_audit_entry;
extern const struct cmd_entry cmd_check_entry;
extern const struct cmd_entry cmd_cron_entry;
extern const struct cmd_entry cmd_dash_entry;
extern const struct cmd_entry cmd_edit_entry;
extern const struct cmd_entry cmd_events_entry;
extern const struct cmd_entry cmd_help_entry;
extern const struct cmd_entry cmd_import_entry;
extern const struct cmd_entry cmd_init_entry;
extern const struct cmd_entry cmd_history_entry;
extern const struct cmd_entry cmd_kill_entry;
extern const struct cmd_entry cmd_list_entry;
extern const struct cmd_entry cmd_list_commands_entry;
extern const struct cmd_entry cmd_list_values_entry;
/* "me@nas.lan:2222" of an executor's JSON, into buf. */
const char *executor_where(const json_t *e, char *buf, size_t len);
extern const struct cmd_entry cmd_clean_entry;
extern const struct cmd_entry cmd_executors_entry;
extern const struct cmd_entry cmd_plugins_entry;
extern const struct cmd_entry cmd_queue_entry;
extern const struct cmd_entry cmd_logs_entry;
extern const struct cmd_entry cmd_metrics_entry;
extern const struct cmd_entry cmd_next_entry;
extern const struct cmd_entry cmd_notify_test_entry;
extern const struct cmd_entry cmd_pause_entry;
extern const struct cmd_entry cmd_resume_entry;
extern const struct cmd_entry cmd_reload_entry;
extern const struct cmd_entry cmd_report_entry;
extern const struct cmd_entry cmd_restart_entry;
extern const struct cmd_entry cmd_run_entry;
extern const struct cmd_entry cmd_show_entry;
extern const struct cmd_entry cmd_shutdown_entry;
extern const struct cmd_entry cmd_submit_entry;
extern const struct cmd_entry cmd_wait_entry;
extern const struct cmd_entry cmd_web_entry;
extern const struct cmd_entry cmd_why_entry;
extern const struct cmd_entry cmd_status_entry;

/* The -n option as a count from 1 to max, dflt when absent; -1 if bad. */
int cmd_count_option(struct cmd_ctx *, int dflt, int max);
/*
 * Whether v (the value of flag, or an argument when flag is NULL) is a run
 * id: 1 with *id, 0 when it is no number (a task name), -1 after a usage
 * error for a number that is no run id (0, negative, too big).
 */
int cmd_run_id(struct cmd_ctx *, const char *flag, const char *v, int64_t *id);
/*
 * Wait for the runs in ids (a JSON array) to end, subscribed to
 * run.finished before they were made, so no end is missed. *last is the
 * last to end (caller releases); each is appended to ended too, unless it
 * is NULL. Returns the one run's exit status, or for several, 0 when
 * every one succeeded.
 */
int cmd_wait_runs(
    struct cmd_ctx *, const json_t *ids, json_t **last, json_t *ended);
/* "run 12 'backup' ended: exit 3: reason", or with --json the run. */
/* Run $VISUAL, $EDITOR or vi on path; returns its exit status, or -1. */
int cmd_run_editor(const char *path);
/*
 * A submitted job's command (run id) in the editor, with a comment saying
 * what then happens to it; the first line that is not a comment is the
 * new one. Returns it (caller frees), or NULL after saying why, with the
 * exit code in *rc.
 */
char *
cmd_edit_job_command(struct cmd_ctx *, long long id, const char *then, int *rc);
/*
 * Say what became of a run just asked for (its RUN, with "waiting" when
 * queued): started, queued and why; with wait, wait for its end, say it,
 * and return its exit status (else EXIT_OK).
 */
int cmd_run_started(struct cmd_ctx *, const json_t *run, int wait);
void cmd_print_ended(struct cmd_ctx *, const json_t *run);
/* The overview of every command, for "twctl help" and usage errors. */
void cmd_help_print(FILE *fp);
/* The exit status of a finished run, as a shell gives it: the job's own
 * code, 128 + a signal, else 1. */
int cmd_run_exit_status(const json_t *run);
/*
 * A time option: a duration back from now ("2h") or a date and time in the
 * local zone ("2026-11-22T08:00"), as an RFC 3339 instant into iso.
 * Returns 0, or -1 after a usage error naming flag.
 */
int cmd_when_option(
    struct cmd_ctx *, const char *flag, const char *v, char *iso, size_t len);
/*
 * The arguments of a query of the newest first: "limit" from -n (dflt
 * when absent, at most max; 0: none) and "since" from -S (--since).
 * Returns them (caller owns), or NULL after a usage error.
 */
json_t *cmd_window_args(struct cmd_ctx *, int dflt, int max);
/*
 * The program called name beside this twctl (an install's bin, a build
 * tree), into buf; else name, for PATH to find.
 */
const char *cmd_sibling(const char *name, char *buf, size_t len);

#endif
