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
#include "dash.h"
#include "logfmt.h"
#include "output.h"
#include "timefmt.h"
#include "xmalloc.h"

static volatile sig_atomic_t dash_quit;

static void
dash_on_signal(int sig)
{
	(void)sig;
	dash_quit = 1;
}

void
dash_say(struct dash *d, const char *fmt, const char *arg)
{
	snprintf(d->message, sizeof d->message, fmt, arg);
	d->message_ms = timefmt_now_ms();
}

/* A request on the dashboard's connection; NULL after saying why. */
json_t *
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
/* What the runs here take of the capacity, from a status reply. */
static void
dash_capacity(struct dash *d, const json_t *status)
{
	const json_t *cap = json_object_get(status, "capacity");
	char buf[80];

	d->capacity[0] = '\0';
	if (json_is_object(cap)) {
		snprintf(d->capacity, sizeof d->capacity, "  capacity: %s",
		    output_capacity(cap, buf, sizeof buf));
	}
}

/* With a capacity, what is in use, again (once a second, as samples). */
static void
dash_capacity_again(struct dash *d)
{
	json_t *o;

	if (d->capacity[0] != '\0' && d->conn != NULL &&
	    (o = dash_call(d, "status", NULL)) != NULL) {
		dash_capacity(d, o);
		json_decref(o);
	}
}

static void
dash_snapshot(struct dash *d)
{
	json_t *o, *runs = json_array();
	const char *statuses[] = { "running", "queued" };
	size_t i;

	if ((o = dash_call(d, "status", NULL)) != NULL) {
		snprintf(d->version, sizeof d->version, "%s",
		    json_get_string(o, "version", "?"));
		dash_capacity(d, o);
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
	dash_capacity_again(d);
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
	struct pollfd pfd[3];
	int64_t now, drawn = 0;
	int ch, n, act, ready, redraw = 1;

	memset(&d, 0, sizeof d);
	d.ctx = ctx;
	log_reader_init(&d.lr, NULL); /* no file: not descriptor 0 */
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
			redraw = 1;
		}
		dash_sample(&d);
		/* Countdowns and elapsed times move once a second. */
		if (redraw || now - drawn >= 1000) {
			dash_draw(&d);
			drawn = now;
			redraw = 0;
		}
		pfd[0].fd = STDIN_FILENO;
		pfd[0].events = POLLIN;
		pfd[1].fd = d.conn != NULL ? conn_fd(d.conn) : -1;
		pfd[1].events = POLLIN;
		pfd[2].fd = d.follow != NULL ? conn_fd(d.follow) : -1;
		pfd[2].events = POLLIN;
		/*
		 * Always poll, at once when events wait in a buffer: a
		 * connection whose revents were not asked for this turn
		 * must not be read, or the read blocks.
		 */
		ready = (d.conn != NULL && conn_event_ready(d.conn)) ||
		    (d.follow != NULL && conn_event_ready(d.follow));
		n = poll(pfd, 3,
		    ready ? 0
		          : (int)(1000 - (timefmt_now_ms() - drawn) % 1000));
		if (n < 0 && errno != EINTR) {
			break;
		}
		if (d.conn != NULL &&
		    (conn_event_ready(d.conn) || (n > 0 && pfd[1].revents))) {
			dash_events(&d);
			redraw = 1;
		}
		if (d.follow != NULL &&
		    (conn_event_ready(d.follow) || (n > 0 && pfd[2].revents))) {
			dash_log_events(&d);
			redraw = 1;
		}
		while ((ch = getch()) != ERR) {
			if (ch == KEY_RESIZE) {
				redraw = 1;
				continue;
			}
			act = dash_key(&d, ch);
			if (act & DASH_REVIEW) {
				dash_model_update_view(&d.m);
			}
			if (act & DASH_QUIT) {
				dash_quit = 1;
			}
			redraw |= act != 0;
		}
	}
	endwin();
	dash_log_close(&d);
	conn_close(d.conn);
	dash_model_release(&d.m);
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
