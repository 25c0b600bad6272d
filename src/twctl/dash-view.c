/*
 * The dashboard's views, drawn from the model: the header with its alerts,
 * the task table and the running pane, a task's details and live output,
 * its log, and the help. The help and the footer come from the key table.
 */
#include <sys/param.h>

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "dash.h"
#include "output.h"
#include "timefmt.h"

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
	    "%zu paused  %zu failing  next: %s %s%s",
	    d->version, up, d->m.ntasks, d->m.njobs, d->m.nqueued, paused,
	    failing, next != NULL ? next->name : "-",
	    next != NULL ? dash_countdown(next->next_ms, now, when, sizeof when)
	                 : "",
	    d->capacity);
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

/* The widths of the table's columns that vary with what they show. */
struct dash_widths {
	int name, sched, next, last, dur;
};

static const char *
dash_task_schedule(const struct dash_task *t)
{
	if (t->schedule != NULL) {
		return t->schedule;
	}
	return t->daemon_state != NULL && strcmp(t->daemon_state, "after") == 0
	    ? "after others"
	    : "manual";
}

static int
dash_clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/*
 * Each column as wide as its longest value, within bounds: the name,
 * schedule and last result among all the tasks of the view (so that
 * scrolling moves them not); the countdown and duration, formatted anew
 * each second, among the rows shown (first to first + rows). When the
 * terminal is narrow, the name gives way first, then the schedule, then
 * the last result.
 */
static struct dash_widths
dash_table_widths(const struct dash *d, int64_t now, size_t first, int rows)
{
	struct dash_widths w = { 4, 8, 4, 4, 3 };
	const struct dash_task *t;
	char buf[32];
	size_t i;
	int room, over;

	for (i = 0; i < d->m.nview; i++) {
		t = &d->m.tasks[d->m.view[i]];
		w.name = MAX(w.name, (int)strlen(t->name));
		w.sched = MAX(w.sched, (int)strlen(dash_task_schedule(t)));
		w.last = MAX(w.last,
		    t->last_result != NULL ? (int)strlen(t->last_result) : 5);
		if (i < first || rows <= 0 || i >= first + (size_t)rows) {
			continue;
		}
		w.next = MAX(w.next,
		    (int)strlen(
		        dash_countdown(t->next_ms, now, buf, sizeof buf)));
		w.dur = MAX(w.dur,
		    (int)strlen(
		        dash_duration(t->last_duration_ms, buf, sizeof buf)));
	}
	w.name = dash_clamp(w.name, 4, 40);
	w.sched = dash_clamp(w.sched, 8, 24);
	w.next = dash_clamp(w.next, 4, 12);
	w.last = dash_clamp(w.last, 5, 16);
	w.dur = dash_clamp(w.dur, 3, 8);
	/* The leading blank, STATE 9 and a blank after each column: 16. */
	room = COLS - 16 - DASH_STRIP - w.next - w.dur;
	over = w.name + w.sched + w.last - room;
	if (over > 0 && w.name > 10) {
		w.name -= MIN(over, w.name - 10);
		over = w.name + w.sched + w.last - room;
	}
	if (over > 0 && w.sched > 14) {
		w.sched -= MIN(over, w.sched - 14);
		over = w.name + w.sched + w.last - room;
	}
	if (over > 0 && w.last > 10) {
		w.last -= MIN(over, w.last - 10);
	}
	return w;
}

static void
dash_draw_table(struct dash *d, int y0, int rows, int64_t now)
{
	const struct dash_task *t;
	struct dash_widths w;
	char line[512], next[32], dur[32];
	size_t i;
	enum dash_state s;

	if (d->sel >= d->m.nview) {
		d->sel = d->m.nview > 0 ? d->m.nview - 1 : 0;
	}
	/* A taller window (or fewer rows) shows as many as fit, not a tail. */
	if (rows > 0 && d->top + (size_t)rows > d->m.nview) {
		d->top =
		    d->m.nview > (size_t)rows ? d->m.nview - (size_t)rows : 0;
	}
	if (d->sel < d->top) {
		d->top = d->sel;
	}
	if (rows > 0 && d->sel >= d->top + (size_t)rows) {
		d->top = d->sel - (size_t)rows + 1;
	}
	w = dash_table_widths(d, now, d->top, rows);
	snprintf(line, sizeof line, " %-*s %-9s %-*s %-*s %-*s %-*s %s", w.name,
	    "NAME", "STATE", w.sched, "SCHEDULE", w.next, "NEXT", w.last,
	    "LAST", w.dur, "DUR", "RESULTS");
	dash_line(y0, A_BOLD | A_UNDERLINE, line);
	for (i = 0; i < (size_t)rows; i++) {
		move(y0 + 1 + (int)i, 0);
		clrtoeol();
		if (d->top + i >= d->m.nview) {
			continue;
		}
		t = &d->m.tasks[d->m.view[d->top + i]];
		s = dash_task_state(t);
		if (d->top + i == d->sel && !d->jobs_focus) {
			attron(A_REVERSE);
		}
		snprintf(
		    line, sizeof line, " %-*.*s ", w.name, w.name, t->name);
		addnstr(line, COLS);
		dash_color_on(d, dash_state_color(s));
		snprintf(line, sizeof line, "%-9s ", dash_state_name(s));
		addnstr(line, COLS - getcurx(stdscr));
		dash_color_off(d, dash_state_color(s));
		snprintf(line, sizeof line, "%-*.*s %-*s ", w.sched, w.sched,
		    dash_task_schedule(t), w.next,
		    dash_countdown(t->next_ms, now, next, sizeof next));
		addnstr(line, COLS - getcurx(stdscr));
		if (t->last_result != NULL &&
		    strcmp(t->last_status, "ok") != 0) {
			dash_color_on(d, C_BAD);
		}
		snprintf(line, sizeof line, "%-*.*s ", w.last, w.last,
		    t->last_result != NULL ? t->last_result : "never");
		addnstr(line, COLS - getcurx(stdscr));
		if (t->last_result != NULL &&
		    strcmp(t->last_status, "ok") != 0) {
			dash_color_off(d, C_BAD);
		}
		snprintf(line, sizeof line, "%-*s ", w.dur,
		    dash_duration(t->last_duration_ms, dur, sizeof dur));
		addnstr(line, COLS - getcurx(stdscr));
		if (getcurx(stdscr) + DASH_STRIP < COLS) {
			dash_draw_strip(d, t);
		}
		attroff(A_REVERSE);
	}
}

/* The running pane in one line: "2 running: 12 backup 3s, 13 sync 1s". */
static void
dash_draw_jobs_line(struct dash *d, int y, int64_t now)
{
	char line[512], el[32];
	size_t i, n;

	n = (size_t)snprintf(line, sizeof line, " %zu running:", d->m.njobs);
	for (i = 0; i < d->m.njobs && n < sizeof line; i++) {
		n += (size_t)snprintf(line + n, sizeof line - n,
		    "%s %lld %s %s", i > 0 ? "," : "",
		    (long long)d->m.jobs[i].run, d->m.jobs[i].task,
		    dash_duration(
		        now - d->m.jobs[i].started_ms, el, sizeof el));
	}
	dash_color_on(d, C_BUSY);
	dash_line(y, A_BOLD, line);
	dash_color_off(d, C_BUSY);
}

static void
dash_draw_jobs(struct dash *d, int y0, int rows, int64_t now)
{
	const struct dash_job *j;
	char line[256], el[32], left[32];
	size_t i;

	snprintf(line, sizeof line, " %-7s %-16s %-8s %-9s %-9s %6s %9s", "RUN",
	    "TASK", "PID", "ELAPSED", "LEFT", "CPU%", "RSS");
	dash_line(y0, A_BOLD | A_UNDERLINE, line);
	for (i = 0; i < (size_t)rows; i++) {
		move(y0 + 1 + (int)i, 0);
		clrtoeol();
		if (i >= d->m.njobs) {
			continue;
		}
		j = &d->m.jobs[i];
		if (d->jobs_focus && i == d->jsel) {
			attron(A_REVERSE);
		}
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
		attroff(A_REVERSE);
	}
}

/* The footer: a prompt, a message, or the keys of this view. */
static void
dash_draw_footer(struct dash *d, int64_t now)
{
	char line[256];
	size_t i, n = 0;

	if (d->prompt == '/') {
		snprintf(line, sizeof line, "%s: %s_",
		    d->mode == MODE_LOG ? "search" : "filter", d->input);
		dash_line(LINES - 1, A_BOLD, line);
	} else if (d->prompt == 'K') {
		snprintf(line, sizeof line,
		    d->kill_run > 0
		        ? "Kill %s (SIGTERM, then SIGKILL)? y/n"
		        : "Kill the runs of %s (SIGTERM, then SIGKILL)? y/n",
		    d->input);
		dash_color_on(d, C_ALERT);
		dash_line(LINES - 1, A_BOLD, line);
		dash_color_off(d, C_ALERT);
	} else if (d->message[0] != '\0' && now - d->message_ms < 5000) {
		dash_line(LINES - 1, A_BOLD, d->message);
	} else {
		line[0] = '\0';
		for (i = 0; i < dash_nkeys && n < sizeof line; i++) {
			if (dash_keys[i].label != NULL &&
			    (dash_keys[i].modes & DASH_IN(d->mode))) {
				n += (size_t)snprintf(line + n, sizeof line - n,
				    " %s ", dash_keys[i].label);
			}
		}
		dash_line(LINES - 1, A_DIM, line);
	}
}

static void
dash_draw_detail(struct dash *d)
{
	const json_t *def = json_object_get(d->detail, "definition"), *r;
	char line[512], what[64], when[32], sched[256];
	int y = 2, tail;
	size_t i;

	snprintf(line, sizeof line, " %s: %s",
	    json_get_string(d->detail, "name", "?"),
	    json_get_string(d->detail, "state", "?"));
	dash_line(1, A_BOLD, line);
	snprintf(line, sizeof line, " schedule  %s   next %s",
	    output_schedule(d->detail, "manual", sched, sizeof sched),
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
	snprintf(line, sizeof line,
	    " priority  %s   overlap %s   retries %lld   runs on %s",
	    json_get_string(def, "priority", "?"),
	    json_get_string(def, "overlap", "?"),
	    (long long)json_integer_value(json_object_get(def, "retries")),
	    json_get_string(def, "executor", "local"));
	dash_line(y++, 0, line);
	dash_line(y++, A_BOLD | A_UNDERLINE, " recent runs (1-9: a run's log)");
	json_array_foreach(json_object_get(d->detail, "runs"), i, r)
	{
		if (y >= LINES / 2 || i >= 9) {
			break;
		}
		timefmt_local(
		    json_get_time(r, "started_at"), when, sizeof when);
		snprintf(line, sizeof line, " %zu  %-7lld %s  %-10s %s%s%.0lld",
		    i + 1,
		    (long long)json_integer_value(json_object_get(r, "id")),
		    when, json_get_string(r, "trigger", "?"),
		    output_run_result(r, what, sizeof what),
		    json_is_integer(json_object_get(r, "slurm_job"))
		        ? "  slurm job "
		        : "",
		    (long long)json_integer_value(
		        json_object_get(r, "slurm_job")));
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

	snprintf(line, sizeof line, " log of %s, run %lld: %zu line%s%s%s",
	    d->log_task, (long long)d->log_run, d->nlog,
	    d->nlog == 1 ? "" : "s", d->input[0] ? "   search: " : "",
	    d->input);
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

/* Every key of the table with its help line. */
static void
dash_draw_help(void)
{
	char line[160];
	int y = 2;
	size_t i;

	dash_line(1, A_BOLD, " keys");
	for (i = 0; i < dash_nkeys && y < LINES - 1; i++) {
		if (dash_keys[i].keys == NULL) {
			continue; /* the entry before it says it */
		}
		snprintf(line, sizeof line, " %-14s %s", dash_keys[i].keys,
		    dash_keys[i].help);
		dash_line(y++, 0, line);
	}
	while (y < LINES - 1) {
		move(y++, 0);
		clrtoeol();
	}
}

void
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
		if (jobs == 0 || LINES < 16) {
			d->jobs_focus = 0; /* no pane to act on */
		}
		if (LINES < 16 && jobs > 0) {
			/* Small: the table, and the jobs in one line. */
			rows = LINES - 5;
			dash_draw_table(d, 2, rows, now);
			dash_draw_jobs_line(d, 3 + rows, now);
		} else {
			rows = LINES - 4 - (jobs > 0 ? jobs + 1 : 0);
			dash_draw_table(d, 2, rows, now);
			if (jobs > 0) {
				dash_draw_jobs(d, 3 + rows, jobs, now);
			}
		}
	}
	dash_draw_footer(d, now);
	refresh();
}
