/*
 * twctl dash, in four parts: the loop and the connection (cmd-dash.c), the
 * views drawn from the model (dash-view.c), the key table and its actions
 * (dash-keys.c), and the log pane that follows a run by its events
 * (dash-log.c). The model the events update is dash-model.c.
 */
#ifndef TW_DASH_H
#define TW_DASH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "dash-model.h"
#include "logread.h"

struct cmd_ctx;
struct conn;

/* Lines of the running pane at most, and of a log kept for the view. */
#define DASH_JOB_ROWS  5
#define DASH_LOG_LINES 2000

enum dash_mode { MODE_TABLE, MODE_DETAIL, MODE_LOG, MODE_HELP };
#define DASH_IN(m)    (1U << (m))
#define DASH_IN_PAGER (DASH_IN(MODE_DETAIL) | DASH_IN(MODE_LOG))

enum dash_color { C_OK = 1, C_BAD, C_BUSY, C_HEAD, C_ALERT };

/* What a key did, for the loop to act on (as htop's actions answer). */
#define DASH_REDRAW 0x1 /* the screen changed */
#define DASH_REVIEW 0x2 /* the table's rows: its filter or sort changed */
#define DASH_QUIT   0x4

struct dash {
	struct cmd_ctx *ctx;
	struct conn *conn;
	struct dash_model m;
	char version[32];
	int64_t daemon_started_ms;
	char capacity[96];   /* "cap 1.5/2 CPU 600M/1G": in use; "": none */
	int64_t last_try_ms; /* of a connection, when disconnected */
	size_t sel, top;     /* selected row of the view; first shown */
	int jobs_focus;      /* tab: the keys act on the running pane's jobs */
	size_t jsel;         /* the selected job, then */
	int64_t kill_run;    /* the run a K prompt kills; 0: the task's */
	enum dash_mode mode;
	char message[160];
	int64_t message_ms;
	int utf8, color;
	int prompt; /* '/' typing a filter or a search; 'K' confirm kill */
	char input[64];
	int64_t sampled_ms;
	long long prev_ticks[64];
	int64_t prev_run[64];

	/* The detail and log panes: a task's newest run, followed. */
	char *log_task;
	int64_t log_run;
	int log_pinned; /* opened on one run: a newer one does not replace it */
	char *log_path;
	struct log_reader lr;
	struct conn *follow; /* subscribed to the task's runs and output */
	char **log;          /* the pane's lines, the newest DASH_LOG_LINES */
	size_t nlog, logtop;
	json_t *detail; /* the show reply of the detail view */
};

/*
 * A key: the codes that press it, the views it acts in, its word in the
 * footer (NULL: none) and its line in the help; fn returns DASH_* bits.
 */
struct dash_key {
	const char *keys;
	int codes[6]; /* 0 ends them */
	unsigned modes;
	const char *label;
	const char *help;
	int (*fn)(struct dash *, int ch);
};

extern const struct dash_key dash_keys[];
extern const size_t dash_nkeys;

/* cmd-dash.c */
void dash_say(struct dash *, const char *fmt, const char *arg);
json_t *dash_call(struct dash *, const char *cmd, json_t *args);

/* dash-keys.c: act on a key; DASH_* bits. */
int dash_key(struct dash *, int ch);

/* dash-log.c */
const char *dash_selected(struct dash *);
/* The running job selected in the running pane, or NULL. */
const struct dash_job *dash_selected_job(struct dash *);
/* Open a pane on task's newest run, or on run (when not 0). */
void
dash_log_open(struct dash *, const char *task, int64_t run, enum dash_mode);
void dash_log_events(struct dash *);
void dash_log_close(struct dash *);

/* dash-view.c */
void dash_draw(struct dash *);

#endif
