/*
 * twctl dash: the live dashboard. One poll(2) loop over the keyboard and
 * the daemon's event stream; the view model (dash-model.c) is updated by
 * events, not by polling the daemon, and curses sends only what changed.
 * When twd goes away it says so and connects again by itself.
 */
#include <ctype.h>
#include <curses.h>
#include <term.h>
#include <dirent.h>
#include <errno.h>
#include <langinfo.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "cmd.h"
#include "dash-model.h"
#include "logfmt.h"
#include "output.h"
#include "timefmt.h"
#include "xmalloc.h"

/* Lines of the running pane at most, and of a log kept for the view. */
#define DASH_JOB_ROWS  5
#define DASH_LOG_LINES 2000

enum dash_mode { MODE_TABLE, MODE_DETAIL, MODE_LOG, MODE_HELP };

enum dash_color { C_OK = 1, C_BAD, C_BUSY, C_HEAD, C_ALERT };

struct dash {
	struct cmd_ctx *ctx;
	struct conn *conn;
	struct dash_model m;
	char version[32];
	int64_t daemon_started_ms;
	int64_t last_try_ms; /* of a connection, when disconnected */
	size_t sel, top;     /* selected row of the view; first shown */
	enum dash_mode mode;
	char message[160];
	int64_t message_ms;
	int utf8, color;
	int prompt; /* '/' typing a filter or a search; 'K' confirm kill */
	char input[64];
	char **log; /* the log view's lines */
	size_t nlog, logtop;
	int64_t log_run;
	char *log_task;
	json_t *detail; /* the show reply of the detail view */
	int64_t sampled_ms;
	long long prev_ticks[64];
	int64_t prev_run[64];
};

static volatile sig_atomic_t dash_quit;

static void
dash_on_signal(int sig)
{
	(void)sig;
	dash_quit = 1;
}

static void
dash_say(struct dash *d, const char *fmt, const char *arg)
{
	snprintf(d->message, sizeof d->message, fmt, arg);
	d->message_ms = timefmt_now_ms();
}

/* A request on the dashboard's connection; NULL after saying why. */
static json_t *
dash_call(struct dash *d, const char *cmd, json_t *args)
{
	struct proto_reply rep;
	char *cause;
	json_t *data;

	if (d->conn == NULL) {
		json_decref(args);
		dash_say(d, "%s", "not connected to twd");
		return NULL;
	}
	if (conn_call(d->conn, cmd, args, &rep, CMD_TIMEOUT_MS, &cause) == -1) {
		dash_say(d, "%s", cause);
		free(cause);
		conn_close(d->conn);
		d->conn = NULL;
		return NULL;
	}
	if (!rep.ok) {
		dash_say(d, "%s", rep.message);
		proto_reply_release(&rep);
		return NULL;
	}
	data = json_incref(rep.data);
	proto_reply_release(&rep);
	return data;
}

/* The whole picture again: tasks, their last results, runs in flight. */
static void
dash_snapshot(struct dash *d)
{
	json_t *o, *runs = json_array();
	const char *statuses[] = { "running", "queued" };
	size_t i;

	if ((o = dash_call(d, "status", NULL)) != NULL) {
		snprintf(d->version, sizeof d->version, "%s",
		    json_get_string(o, "version", "?"));
		d->daemon_started_ms = json_get_time(o, "started_at");
		free(d->m.config_error);
		d->m.config_error = NULL;
		d->m.nconfig_errors =
		    json_array_size(json_object_get(o, "config_errors"));
		if (d->m.nconfig_errors > 0) {
			d->m.config_error =
			    xstrdup(json_string_value(json_array_get(
			        json_object_get(o, "config_errors"), 0)));
		}
		free(d->m.state_error);
		d->m.state_error = NULL;
		if (json_is_object(json_object_get(o, "state_error"))) {
			d->m.state_error = xstrdup(json_get_string(
			    json_object_get(o, "state_error"), "error", "?"));
		}
		json_decref(o);
	}
	if ((o = dash_call(d, "list", NULL)) != NULL) {
		dash_model_set_tasks(&d->m, json_object_get(o, "tasks"));
		json_decref(o);
	}
	if ((o = dash_call(d, "history", json_pack("{s:i}", "limit", 1000))) !=
	    NULL) {
		dash_model_set_history(&d->m, json_object_get(o, "runs"));
		json_decref(o);
	}
	for (i = 0; i < 2; i++) {
		if ((o = dash_call(d, "history",
		         json_pack("{s:s, s:i}", "status", statuses[i], "limit",
		             1000))) != NULL) {
			json_array_extend(runs, json_object_get(o, "runs"));
			json_decref(o);
		}
	}
	dash_model_set_jobs(&d->m, runs);
	json_decref(runs);
}

static void
dash_connect(struct dash *d)
{
	enum conn_failure why;
	char *cause;
	json_t *o;

	d->last_try_ms = timefmt_now_ms();
	if ((d->conn = conn_open(d->ctx->socket_path, &why, &cause)) == NULL) {
		free(cause);
		return;
	}
	/* Events first, so that nothing between them and the snapshot is lost. */
	o = dash_call(d, "subscribe",
	    json_pack("{s:[s,s,s,s,s,s,s,s]}", "events", "run.queued",
	        "run.started", "run.finished", "task.changed", "config.*",
	        "daemon.*", "notify.*", "state.*"));
	if (o == NULL) {
		return;
	}
	json_decref(o);
	dash_snapshot(d);
	dash_say(d, "%s", "connected");
}

/* Read the events that are in; drop the connection if it broke. */
static void
dash_events(struct dash *d)
{
	const char *name;
	char *cause;
	json_t *ev;

	do {
		if ((ev = conn_read_event(d->conn, &cause)) == NULL) {
			free(cause);
			conn_close(d->conn);
			d->conn = NULL;
			return;
		}
		name = json_get_string(ev, "event", "");
		if (strcmp(name, "config.reloaded") == 0) {
			dash_model_event(&d->m, ev);
			dash_snapshot(d); /* tasks came and went */
		} else if (strcmp(name, "daemon.stopping") == 0) {
			dash_say(d, "twd is stopping (%s)",
			    json_get_string(
			        json_object_get(ev, "data"), "why", "?"));
		} else if (strcmp(name, "notify.result") == 0 &&
		    !json_is_true(
		        json_object_get(json_object_get(ev, "data"), "ok"))) {
			dash_say(d, "a notification failed: %s",
			    json_get_string(
			        json_object_get(ev, "data"), "error", "?"));
		} else {
			dash_model_event(&d->m, ev);
		}
		json_decref(ev);
	} while (d->conn != NULL && conn_event_ready(d->conn));
}

/* CPU and memory of each job's process group, from /proc, once a second. */
static void
dash_sample(struct dash *d)
{
	long long ticks[64] = { 0 }, rss[64] = { 0 }, ut, st, r;
	long hz = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE) / 1024;
	int64_t now = timefmt_now_ms();
	char path[300], buf[1024], *p;
	struct dirent *de;
	size_t i, n = d->m.njobs < 64 ? d->m.njobs : 64;
	DIR *dir;
	FILE *fp;
	int pgrp;

	if (now - d->sampled_ms < 1000 || (dir = opendir("/proc")) == NULL) {
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0])) {
			continue;
		}
		snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
		if ((fp = fopen(path, "r")) == NULL) {
			continue;
		}
		p = fgets(buf, sizeof buf, fp);
		fclose(fp);
		/* After "(comm)": state ppid pgrp ... utime stime ... rss. */
		if (p == NULL || (p = strrchr(buf, ')')) == NULL ||
		    sscanf(p + 1,
		        " %*c %*d %d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld "
		        "%*d %*d %*d %*d %*d %*d %*u %*u %lld",
		        &pgrp, &ut, &st, &r) != 4) {
			continue;
		}
		for (i = 0; i < n; i++) {
			if (d->m.jobs[i].pid == pgrp) {
				ticks[i] += ut + st;
				rss[i] += r * page;
			}
		}
	}
	closedir(dir);
	for (i = 0; i < n; i++) {
		if (d->prev_run[i] == d->m.jobs[i].run && d->sampled_ms != 0) {
			d->m.jobs[i].cpu =
			    (double)(ticks[i] - d->prev_ticks[i]) * 100000.0 /
			    (double)hz / (double)(now - d->sampled_ms);
		}
		d->m.jobs[i].rss_kb = rss[i];
		d->prev_ticks[i] = ticks[i];
		d->prev_run[i] = d->m.jobs[i].run;
	}
	d->sampled_ms = now;
}

static void
dash_color_on(struct dash *d, enum dash_color c)
{
	if (d->color) {
		attron(COLOR_PAIR(c));
	}
}

static void
dash_color_off(struct dash *d, enum dash_color c)
{
	if (d->color) {
		attroff(COLOR_PAIR(c));
	}
}

/* A line of text at row y, cut to the width, in attr. */
static void
dash_line(int y, int attr, const char *text)
{
	move(y, 0);
	clrtoeol();
	attron(attr);
	addnstr(text, COLS);
	attroff(attr);
}

static enum dash_color
dash_state_color(enum dash_state s)
{
	switch (s) {
	case DASH_FAILING:
		return C_BAD;
	case DASH_RUNNING:
	case DASH_QUEUED:
		return C_BUSY;
	default:
		return C_OK;
	}
}

static void
dash_draw_header(struct dash *d, int64_t now)
{
	size_t i, paused = 0, failing = 0;
	const struct dash_task *next = NULL, *t;
	char line[512], up[32], when[32];
	enum dash_state s;

	for (i = 0; i < d->m.ntasks; i++) {
		t = &d->m.tasks[i];
		s = dash_task_state(t);
		paused += t->paused != 0;
		failing += s == DASH_FAILING;
		if (t->next_ms != 0 &&
		    (next == NULL || t->next_ms < next->next_ms)) {
			next = t;
		}
	}
	/* No daemon, no uptime: not the time since 1970. */
	if (d->conn == NULL || d->daemon_started_ms == 0) {
		snprintf(up, sizeof up, "-");
	} else {
		dash_duration(now - d->daemon_started_ms, up, sizeof up);
	}
	snprintf(line, sizeof line,
	    " TaskWeaver %s  up %s  %zu tasks  %zu running  %zu queued  "
	    "%zu paused  %zu failing  next: %s %s",
	    d->version, up, d->m.ntasks, d->m.njobs, d->m.nqueued, paused,
	    failing, next != NULL ? next->name : "-",
	    next != NULL ? dash_countdown(next->next_ms, now, when, sizeof when)
	                 : "");
	dash_color_on(d, C_HEAD);
	dash_line(0, A_REVERSE, line);
	dash_color_off(d, C_HEAD);
	if (d->conn == NULL) {
		snprintf(line, sizeof line,
		    " DISCONNECTED from twd (%s): trying again every second",
		    d->ctx->socket_path);
		dash_color_on(d, C_ALERT);
		dash_line(1, A_BOLD | A_REVERSE, line);
		dash_color_off(d, C_ALERT);
	} else if (d->m.state_error != NULL) {
		snprintf(line, sizeof line,
		    " HISTORY NOT WRITTEN: %s  -- no job starts until twd can "
		    "write; it keeps trying",
		    d->m.state_error);
		dash_color_on(d, C_ALERT);
		dash_line(1, A_BOLD, line);
		dash_color_off(d, C_ALERT);
	} else if (d->m.config_error != NULL) {
		snprintf(line, sizeof line,
		    " CONFIG ERROR (%zu): %s  -- the schedule runs on the last "
		    "good file",
		    d->m.nconfig_errors, d->m.config_error);
		dash_color_on(d, C_ALERT);
		dash_line(1, A_BOLD, line);
		dash_color_off(d, C_ALERT);
	} else {
		snprintf(line, sizeof line, " config ok   sort: %s%s%s",
		    dash_sort_name(d->m.sort),
		    d->m.filter[0] ? "   filter: " : "", d->m.filter);
		dash_line(1, A_DIM, line);
	}
}

/* The strip of a task's last results, coloured one by one. */
static void
dash_draw_strip(struct dash *d, const struct dash_task *t)
{
	size_t i;

	for (i = 0; i < t->nstrip; i++) {
		if (t->strip[i] == '+') {
			dash_color_on(d, C_OK);
			addstr(d->utf8 ? "\u2714" : "+");
			dash_color_off(d, C_OK);
		} else if (t->strip[i] == 'x') {
			dash_color_on(d, C_BAD);
			addstr(d->utf8 ? "\u2718" : "x");
			dash_color_off(d, C_BAD);
		} else {
			addstr(d->utf8 ? "\u00b7" : "-");
		}
	}
}

static void
dash_draw_table(struct dash *d, int y0, int rows, int64_t now)
{
	const struct dash_task *t;
	char line[512], next[32], dur[32];
	size_t i;
	enum dash_state s;
	int namew;

	/* The other columns take 58, the strip DASH_STRIP + 1. */
	namew = COLS - 59 - DASH_STRIP;
	namew = namew < 10 ? 10 : namew > 40 ? 40 : namew;
	snprintf(line, sizeof line, " %-*s %-9s %-14s %-10s %-10s %-7s %s",
	    namew, "NAME", "STATE", "SCHEDULE", "NEXT", "LAST", "DUR",
	    "RESULTS");
	dash_line(y0, A_BOLD | A_UNDERLINE, line);
	if (d->sel >= d->m.nview) {
		d->sel = d->m.nview > 0 ? d->m.nview - 1 : 0;
	}
	if (d->sel < d->top) {
		d->top = d->sel;
	}
	if (rows > 0 && d->sel >= d->top + (size_t)rows) {
		d->top = d->sel - (size_t)rows + 1;
	}
	for (i = 0; i < (size_t)rows; i++) {
		move(y0 + 1 + (int)i, 0);
		clrtoeol();
		if (d->top + i >= d->m.nview) {
			continue;
		}
		t = &d->m.tasks[d->m.view[d->top + i]];
		s = dash_task_state(t);
		if (d->top + i == d->sel) {
			attron(A_REVERSE);
		}
		snprintf(line, sizeof line, " %-*.*s ", namew, namew, t->name);
		addnstr(line, COLS);
		dash_color_on(d, dash_state_color(s));
		snprintf(line, sizeof line, "%-9s ", dash_state_name(s));
		addnstr(line, COLS - getcurx(stdscr));
		dash_color_off(d, dash_state_color(s));
		snprintf(line, sizeof line, "%-14.14s %-10s ",
		    t->schedule != NULL ? t->schedule
		        : t->daemon_state != NULL &&
		            strcmp(t->daemon_state, "after") == 0
		        ? "after others"
		        : "manual",
		    dash_countdown(t->next_ms, now, next, sizeof next));
		addnstr(line, COLS - getcurx(stdscr));
		if (t->last_result != NULL &&
		    strcmp(t->last_status, "ok") != 0) {
			dash_color_on(d, C_BAD);
		}
		snprintf(line, sizeof line, "%-10.10s ",
		    t->last_result != NULL ? t->last_result : "never");
		addnstr(line, COLS - getcurx(stdscr));
		if (t->last_result != NULL &&
		    strcmp(t->last_status, "ok") != 0) {
			dash_color_off(d, C_BAD);
		}
		snprintf(line, sizeof line, "%-7s ",
		    dash_duration(t->last_duration_ms, dur, sizeof dur));
		addnstr(line, COLS - getcurx(stdscr));
		if (getcurx(stdscr) + DASH_STRIP < COLS) {
			dash_draw_strip(d, t);
		}
		attroff(A_REVERSE);
	}
}

static void
dash_draw_jobs(struct dash *d, int y0, int rows, int64_t now)
{
	const struct dash_job *j;
	char line[256], el[32], left[32];
	size_t i;

	snprintf(line, sizeof line, " %-7s %-16s %-8s %-9s %-9s %6s %9s", "RUN",
	    "TASK", "PID", "ELAPSED", "TIMEOUT", "CPU%", "RSS");
	dash_line(y0, A_BOLD | A_UNDERLINE, line);
	for (i = 0; i < (size_t)rows; i++) {
		move(y0 + 1 + (int)i, 0);
		clrtoeol();
		if (i >= d->m.njobs) {
			continue;
		}
		j = &d->m.jobs[i];
		snprintf(line, sizeof line,
		    " %-7lld %-16.16s %-8d %-9s %-9s %6.1f %8lldK",
		    (long long)j->run, j->task, j->pid,
		    dash_duration(now - j->started_ms, el, sizeof el),
		    j->timeout_ms > 0
		        ? dash_duration(j->started_ms + j->timeout_ms - now,
		              left, sizeof left)
		        : "-",
		    j->cpu, (long long)j->rss_kb);
		addnstr(line, COLS);
	}
}

static void
dash_draw_footer(struct dash *d, int64_t now)
{
	char line[256];

	if (d->prompt == '/') {
		snprintf(line, sizeof line, "%s: %s_",
		    d->mode == MODE_LOG ? "search" : "filter", d->input);
		dash_line(LINES - 1, A_BOLD, line);
	} else if (d->prompt == 'K') {
		snprintf(line, sizeof line,
		    "Kill the runs of %s (SIGTERM, then SIGKILL)? y/n",
		    d->input);
		dash_color_on(d, C_ALERT);
		dash_line(LINES - 1, A_BOLD, line);
		dash_color_off(d, C_ALERT);
	} else if (d->message[0] != '\0' && now - d->message_ms < 5000) {
		dash_line(LINES - 1, A_BOLD, d->message);
	} else {
		dash_line(LINES - 1, A_DIM,
		    d->mode == MODE_TABLE
		        ? " q quit  ? help  enter details  r run  p pause  K "
		          "kill"
		          "  l log  / filter  s sort"
		        : " q back  arrows/j/k scroll  g/G top/end  / search  "
		          "n next");
	}
}

/* The lines of a log file, marked by stream, the newest DASH_LOG_LINES. */
static void
dash_read_log(struct dash *d, const char *path)
{
	struct logfmt_record rec;
	char *line = NULL, *text;
	size_t cap = 0, i;
	ssize_t n;
	FILE *fp;

	for (i = 0; i < d->nlog; i++) {
		free(d->log[i]);
	}
	d->nlog = 0;
	if (path == NULL || (fp = fopen(path, "r")) == NULL) {
		return;
	}
	while ((n = getline(&line, &cap, fp)) != -1) {
		if (n > 0 && line[n - 1] == '\n') {
			line[--n] = '\0';
		}
		logfmt_parse(line, (size_t)n, &rec);
		text = xasprintf("%s%.*s",
		    rec.stream == LOGFMT_STDERR     ? "! "
		        : rec.stream == LOGFMT_NOTE ? "# "
		                                    : "  ",
		    (int)rec.len, rec.text);
		if (d->nlog == DASH_LOG_LINES) {
			free(d->log[0]);
			memmove(
			    d->log, d->log + 1, (d->nlog - 1) * sizeof *d->log);
			d->nlog--;
		}
		d->log = xreallocarray(d->log, d->nlog + 1, sizeof *d->log);
		d->log[d->nlog++] = text;
	}
	free(line);
	fclose(fp);
}

/* The selected task's name, or NULL. */
static const char *
dash_selected(struct dash *d)
{
	return d->m.nview > 0 ? d->m.tasks[d->m.view[d->sel]].name : NULL;
}

/* The log view of task's newest run, or the detail view. */
static void
dash_open_task(struct dash *d, const char *name, enum dash_mode mode)
{
	char *task = xstrdup(name);
	json_t *o;

	free(d->log_task);
	d->log_task = task;
	if (mode == MODE_DETAIL && d->detail == NULL &&
	    (d->detail = dash_call(
	         d, "show", json_pack("{s:s}", "task", task))) == NULL) {
		return;
	}
	if ((o = dash_call(d, "logs", json_pack("{s:s}", "task", task))) !=
	    NULL) {
		d->log_run = json_integer_value(
		    json_object_get(json_object_get(o, "run"), "id"));
		dash_read_log(d,
		    json_string_value(
		        json_object_get(json_object_get(o, "run"), "log")));
		json_decref(o);
	} else {
		dash_read_log(d, NULL);
		d->message[0] = '\0';
	}
	d->logtop =
	    d->nlog > (size_t)LINES - 3 ? d->nlog - ((size_t)LINES - 3) : 0;
	d->mode = mode;
}

static void
dash_open(struct dash *d, enum dash_mode mode)
{
	const char *task = dash_selected(d);

	if (task != NULL) {
		json_decref(d->detail);
		d->detail = NULL;
		dash_open_task(d, task, mode);
	}
}

/* Once a second in the detail and log views: the run's output so far. */
static void
dash_follow(struct dash *d)
{
	size_t top = d->logtop, n = d->nlog;
	enum dash_mode mode = d->mode;

	if (d->conn == NULL || dash_model_task(&d->m, d->log_task) == NULL) {
		return;
	}
	if (mode == MODE_DETAIL) {
		json_decref(d->detail);
		d->detail = dash_call(
		    d, "show", json_pack("{s:s}", "task", d->log_task));
	}
	dash_open_task(d, d->log_task, mode);
	/* A log read at its end follows it; one scrolled back stays. */
	if (top + ((size_t)LINES - 3) < n) {
		d->logtop = top;
	}
}

static void
dash_draw_detail(struct dash *d)
{
	const json_t *def = json_object_get(d->detail, "definition"), *r;
	char line[512], what[64], when[32];
	int y = 2, tail;
	size_t i;

	snprintf(line, sizeof line, " %s: %s",
	    json_get_string(d->detail, "name", "?"),
	    json_get_string(d->detail, "state", "?"));
	dash_line(1, A_BOLD, line);
	snprintf(line, sizeof line, " schedule  %s   next %s",
	    json_get_string(d->detail, "schedule", "manual"),
	    json_get_time(d->detail, "next_run") != 0
	        ? timefmt_local(
	              json_get_time(d->detail, "next_run"), when, sizeof when)
	        : "-");
	dash_line(y++, 0, line);
	snprintf(line, sizeof line, " command   %s",
	    json_is_string(json_object_get(def, "command"))
	        ? json_get_string(def, "command", "")
	        : "(run: a program and its arguments)");
	dash_line(y++, 0, line);
	snprintf(line, sizeof line, " priority  %s   overlap %s   retries %lld",
	    json_get_string(def, "priority", "?"),
	    json_get_string(def, "overlap", "?"),
	    (long long)json_integer_value(json_object_get(def, "retries")));
	dash_line(y++, 0, line);
	dash_line(y++, A_BOLD | A_UNDERLINE, " recent runs");
	json_array_foreach(json_object_get(d->detail, "runs"), i, r)
	{
		if (y >= LINES / 2) {
			break;
		}
		timefmt_local(
		    json_get_time(r, "started_at"), when, sizeof when);
		snprintf(line, sizeof line, " %-7lld %s  %-10s %s",
		    (long long)json_integer_value(json_object_get(r, "id")),
		    when, json_get_string(r, "trigger", "?"),
		    output_run_result(r, what, sizeof what));
		dash_line(y++, 0, line);
	}
	snprintf(line, sizeof line, " output of run %lld (newest last)",
	    (long long)d->log_run);
	dash_line(y++, A_BOLD | A_UNDERLINE, line);
	tail = LINES - 1 - y;
	for (i = d->nlog > (size_t)tail ? d->nlog - (size_t)tail : 0;
	     i < d->nlog && y < LINES - 1; i++) {
		dash_line(y++, 0, d->log[i]);
	}
	while (y < LINES - 1) {
		move(y++, 0);
		clrtoeol();
	}
}

static void
dash_draw_log(struct dash *d)
{
	char line[256];
	int y;
	size_t i;

	snprintf(line, sizeof line, " log of %s, run %lld: %zu lines%s%s",
	    d->log_task, (long long)d->log_run, d->nlog,
	    d->input[0] ? "   search: " : "", d->input);
	dash_line(1, A_BOLD, line);
	for (y = 2, i = d->logtop; y < LINES - 1; y++, i++) {
		if (i < d->nlog) {
			dash_line(y,
			    d->input[0] && strstr(d->log[i], d->input)
			        ? A_REVERSE
			        : 0,
			    d->log[i]);
		} else {
			move(y, 0);
			clrtoeol();
		}
	}
}

static void
dash_draw_help(void)
{
	static const char *const keys[] = {
		"arrows, j, k   move the selection (or scroll a log)",
		"g, G           the first, the last",
		"enter          the task's details, runs and live output",
		"l              the log of its newest run",
		"r              run it now (through the queue)",
		"p              pause it, or resume it",
		"K              kill its runs, after a y",
		"/              filter tasks by name (in a log: search)",
		"n              the next match of a search",
		"s              sort by name, next run, last result, duration",
		"q, escape      back, or quit",
		"?              this help",
	};
	size_t i;

	dash_line(1, A_BOLD, " keys");
	for (i = 0; i < sizeof keys / sizeof keys[0] && (int)i + 2 < LINES - 1;
	     i++) {
		dash_line((int)i + 2, 0, keys[i]);
	}
	for (i += 2; (int)i < LINES - 1; i++) {
		move((int)i, 0);
		clrtoeol();
	}
}

static void
dash_draw(struct dash *d)
{
	int64_t now = timefmt_now_ms();
	int jobs, rows;

	dash_draw_header(d, now);
	if (d->mode == MODE_DETAIL && d->detail != NULL) {
		dash_draw_detail(d);
	} else if (d->mode == MODE_LOG) {
		dash_draw_log(d);
	} else if (d->mode == MODE_HELP) {
		dash_draw_help();
	} else {
		jobs = (int)(d->m.njobs < DASH_JOB_ROWS ? d->m.njobs
		                                        : DASH_JOB_ROWS);
		if (LINES < 16) {
			jobs = 0; /* small: the table only */
		}
		rows = LINES - 4 - (jobs > 0 ? jobs + 1 : 0);
		dash_draw_table(d, 2, rows, now);
		if (jobs > 0) {
			dash_draw_jobs(d, 3 + rows, jobs, now);
		}
	}
	dash_draw_footer(d, now);
	refresh();
}

/* A key while a prompt is open: edit it, or act on it. */
static void
dash_prompt_key(struct dash *d, int ch)
{
	size_t n = strlen(d->input);
	json_t *o;

	if (d->prompt == 'K') {
		if (ch == 'y' &&
		    (o = dash_call(d, "kill",
		         json_pack("{s:s}", "task", d->input))) != NULL) {
			dash_say(d, "killed the runs of %s", d->input);
			json_decref(o);
		}
		d->prompt = 0;
		d->input[0] = '\0';
		return;
	}
	if (ch == 27) { /* escape: no filter */
		d->prompt = 0;
		d->input[0] = '\0';
	} else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		d->prompt = 0;
	} else if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && n > 0) {
		d->input[n - 1] = '\0';
	} else if (isprint(ch) && n + 1 < sizeof d->input) {
		d->input[n] = (char)ch;
		d->input[n + 1] = '\0';
	}
	if (d->mode == MODE_TABLE) {
		snprintf(d->m.filter, sizeof d->m.filter, "%s", d->input);
		dash_model_update_view(&d->m);
		d->sel = 0;
	}
}

/* The next line of the log that holds the search, after the top one. */
static void
dash_search_next(struct dash *d)
{
	size_t i;

	for (i = d->logtop + 1; d->input[0] && i < d->nlog; i++) {
		if (strstr(d->log[i], d->input) != NULL) {
			d->logtop = i;
			return;
		}
	}
	dash_say(d, "no more '%s'", d->input);
}

static void
dash_key(struct dash *d, int ch)
{
	const char *task = dash_selected(d);
	struct dash_task *t;
	MEVENT me;
	json_t *o;
	size_t page = LINES > 4 ? (size_t)LINES - 4 : 1;

	if (d->prompt != 0) {
		dash_prompt_key(d, ch);
		return;
	}
	if (d->mode != MODE_TABLE) {
		switch (ch) {
		case 'q':
		case 27:
			d->mode = MODE_TABLE;
			d->input[0] = '\0';
			break;
		case KEY_UP:
		case 'k':
			d->logtop -= d->logtop > 0;
			break;
		case KEY_DOWN:
		case 'j':
			d->logtop += d->logtop + 1 < d->nlog;
			break;
		case KEY_PPAGE:
			d->logtop = d->logtop > page ? d->logtop - page : 0;
			break;
		case KEY_NPAGE:
		case ' ':
			d->logtop = d->logtop + page < d->nlog
			    ? d->logtop + page
			    : d->logtop;
			break;
		case 'g':
			d->logtop = 0;
			break;
		case 'G':
			d->logtop = d->nlog > page ? d->nlog - page : 0;
			break;
		case '/':
			d->prompt = '/';
			d->input[0] = '\0';
			break;
		case 'n':
			dash_search_next(d);
			break;
		}
		return;
	}
	switch (ch) {
	case 'q':
		dash_quit = 1;
		break;
	case KEY_UP:
	case 'k':
		d->sel -= d->sel > 0;
		break;
	case KEY_DOWN:
	case 'j':
		d->sel += d->sel + 1 < d->m.nview;
		break;
	case KEY_PPAGE:
		d->sel = d->sel > page ? d->sel - page : 0;
		break;
	case KEY_NPAGE:
		d->sel = d->sel + page < d->m.nview ? d->sel + page
		    : d->m.nview > 0                ? d->m.nview - 1
		                                    : 0;
		break;
	case 'g':
	case KEY_HOME:
		d->sel = 0;
		break;
	case 'G':
	case KEY_END:
		d->sel = d->m.nview > 0 ? d->m.nview - 1 : 0;
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		dash_open(d, MODE_DETAIL);
		break;
	case 'l':
		dash_open(d, MODE_LOG);
		break;
	case '?':
		d->mode = MODE_HELP;
		break;
	case 's':
		d->m.sort = (enum dash_sort)((d->m.sort + 1) % DASH_SORT_COUNT);
		dash_model_update_view(&d->m);
		dash_say(d, "sorted by %s", dash_sort_name(d->m.sort));
		break;
	case '/':
		d->prompt = '/';
		snprintf(d->input, sizeof d->input, "%s", d->m.filter);
		break;
	case 'r':
		if (task != NULL &&
		    (o = dash_call(
		         d, "run", json_pack("{s:s}", "task", task))) != NULL) {
			dash_say(d, "%s",
			    strcmp(
			        json_get_string(o, "status", ""), "queued") == 0
			        ? "queued a run"
			        : "started a run");
			json_decref(o);
		}
		break;
	case 'p':
		if (task != NULL &&
		    (t = dash_model_task(&d->m, task)) != NULL &&
		    (o = dash_call(d, t->paused ? "resume" : "pause",
		         json_pack("{s:s}", "task", task))) != NULL) {
			dash_say(
			    d, t->paused ? "resumed %s" : "paused %s", task);
			json_decref(o);
		}
		break;
	case 'K':
		if (task != NULL) {
			d->prompt = 'K';
			snprintf(d->input, sizeof d->input, "%s", task);
		}
		break;
	case KEY_MOUSE:
		if (getmouse(&me) == OK && me.y >= 3 &&
		    d->top + (size_t)(me.y - 3) < d->m.nview) {
			d->sel = d->top + (size_t)(me.y - 3);
		}
		break;
	}
}

/* Whether the terminal TERM names can address the cursor (not 'dumb'). */
static int
dash_terminal_ok(void)
{
	const char *cup;
	int err = 0, ok;

	if (setupterm(NULL, STDOUT_FILENO, &err) != OK) {
		return 0;
	}
	cup = tigetstr("cup");
	ok = cup != NULL && cup != (char *)-1;
	/* Only asked: initscr sets up its own. */
	del_curterm(cur_term);
	return ok;
}

static void
dash_curses(struct dash *d)
{
	const char *nc = getenv("NO_COLOR");

	d->utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	initscr();
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED, NULL);
	d->color = has_colors() && (nc == NULL || *nc == '\0');
	if (d->color) {
		start_color();
		use_default_colors();
		init_pair(C_OK, COLOR_GREEN, -1);
		init_pair(C_BAD, COLOR_RED, -1);
		init_pair(C_BUSY, COLOR_YELLOW, -1);
		init_pair(C_HEAD, COLOR_CYAN, -1);
		init_pair(C_ALERT, COLOR_RED, -1);
	}
}

static int
cmd_dash_exec(struct cmd_ctx *ctx)
{
	struct dash d;
	struct pollfd pfd[2];
	int64_t now, refreshed = 0;
	size_t i;
	int ch, n;

	memset(&d, 0, sizeof d);
	d.ctx = ctx;
	dash_model_init(&d.m);
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		output_error(ctx->json, "usage", "dash needs a terminal");
		return EXIT_USAGE;
	}
	if (!dash_terminal_ok()) {
		output_error(ctx->json, "usage",
		    "dash needs a terminal that can move the cursor, and "
		    "TERM=%s cannot; twctl list and twctl events work in any",
		    getenv("TERM") != NULL ? getenv("TERM") : "");
		return EXIT_USAGE;
	}
	signal(SIGINT, dash_on_signal);
	signal(SIGTERM, dash_on_signal);
	signal(SIGPIPE, SIG_IGN);
	dash_connect(&d);
	dash_curses(&d);
	while (!dash_quit) {
		now = timefmt_now_ms();
		if (d.conn == NULL && now - d.last_try_ms >= 1000) {
			dash_connect(&d);
		}
		dash_sample(&d);
		/* Live views follow the run's log once a second. */
		if (d.mode != MODE_TABLE && d.mode != MODE_HELP &&
		    now - refreshed >= 1000) {
			refreshed = now;
			dash_follow(&d);
		}
		dash_draw(&d);
		pfd[0].fd = STDIN_FILENO;
		pfd[0].events = POLLIN;
		pfd[1].fd = d.conn != NULL ? conn_fd(d.conn) : -1;
		pfd[1].events = POLLIN;
		n = d.conn != NULL && conn_event_ready(d.conn)
		    ? 1
		    : poll(pfd, 2, 1000);
		if (n < 0 && errno != EINTR) {
			break;
		}
		if (d.conn != NULL &&
		    (conn_event_ready(d.conn) || (n > 0 && pfd[1].revents))) {
			dash_events(&d);
		}
		while ((ch = getch()) != ERR) {
			dash_key(&d, ch);
		}
	}
	endwin();
	conn_close(d.conn);
	dash_model_release(&d.m);
	json_decref(d.detail);
	for (i = 0; i < d.nlog; i++) {
		free(d.log[i]);
	}
	free(d.log);
	free(d.log_task);
	return EXIT_OK;
}

const struct cmd_entry cmd_dash_entry = {
	.name = "dash",
	.summary = "the live dashboard: tasks, running jobs, logs",
	.usage = "",
	.help = "Keys: arrows or j/k, g/G, enter (details), l (log), r (run), "
	        "p (pause),\nK (kill), / (filter), s (sort), ? (help), q "
	        "(quit). NO_COLOR turns colours\noff. When twd goes away it "
	        "says so and connects again by itself.\n",
	.args_min = 0,
	.args_max = 0,
	.exec = cmd_dash_exec,
};
