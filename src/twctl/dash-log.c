/*
 * The dashboard's detail and log panes: a task's newest run and its output,
 * followed as it goes. A second connection is subscribed to the task's
 * runs and output; each run.output event reads the log file on from where
 * it was (logread.c, as twctl logs -f does), and a run that starts becomes
 * the one shown. Nothing is read again whole, and nothing on a timer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "client.h"
#include "cmd.h"
#include "dash.h"
#include "output.h"
#include "xmalloc.h"

const char *
dash_selected(struct dash *d)
{
	return d->m.nview > 0 ? d->m.tasks[d->m.view[d->sel]].name : NULL;
}

const struct dash_job *
dash_selected_job(struct dash *d)
{
	if (!d->jobs_focus || d->m.njobs == 0) {
		return NULL;
	}
	if (d->jsel >= d->m.njobs) {
		d->jsel = d->m.njobs - 1;
	}
	return &d->m.jobs[d->jsel];
}

/* Rows the log pane shows. */
static size_t
log_rows(void)
{
	return LINES > 3 ? (size_t)LINES - 3 : 1;
}

static void
log_clear(struct dash *d)
{
	size_t i;

	for (i = 0; i < d->nlog; i++) {
		free(d->log[i]);
	}
	free(d->log);
	d->log = NULL;
	d->nlog = d->logtop = 0;
	if (d->log_path != NULL) {
		log_reader_close(&d->lr);
	}
	free(d->log_path);
	d->log_path = NULL;
	d->log_run = 0;
}

/* One record of the log as a line of the pane, marked by its stream. */
static void
log_add(
    struct log_reader *lr, const struct logfmt_record *rec, off_t at, void *arg)
{
	struct dash *d = arg;
	char *text;

	(void)lr;
	(void)at;
	text = xasprintf("%s%.*s",
	    rec->stream == LOGFMT_STDERR     ? "! "
	        : rec->stream == LOGFMT_NOTE ? "# "
	                                     : "  ",
	    (int)rec->len, rec->text);
	if (d->nlog == DASH_LOG_LINES) {
		free(d->log[0]);
		memmove(d->log, d->log + 1, (d->nlog - 1) * sizeof *d->log);
		d->nlog--;
		d->logtop -= d->logtop > 0;
	}
	d->log = xreallocarray(d->log, d->nlog + 1, sizeof *d->log);
	d->log[d->nlog++] = text;
}

/* What the log has that the pane has not; a pane at its end follows it. */
static void
log_read_on(struct dash *d, int final)
{
	int at_end = d->logtop + log_rows() >= d->nlog;

	if (d->log_path == NULL) {
		return;
	}
	log_reader_each(&d->lr, final, log_add, d);
	if (at_end) {
		d->logtop = d->nlog > log_rows() ? d->nlog - log_rows() : 0;
	}
}

/* Show run (a run record) from its log's start. */
static void
log_show_run(struct dash *d, const json_t *run)
{
	const char *path = json_get_string(run, "log", NULL);

	log_clear(d);
	d->log_run = json_integer_value(json_object_get(run, "id"));
	if (path == NULL) {
		return;
	}
	d->log_path = xstrdup(path);
	log_reader_init(&d->lr, d->log_path);
	log_read_on(
	    d, strcmp(json_get_string(run, "status", ""), "running") != 0);
}

/* The detail view's picture of the task, asked again. */
static void
log_detail(struct dash *d)
{
	if (d->mode != MODE_DETAIL) {
		return;
	}
	json_decref(d->detail);
	d->detail =
	    dash_call(d, "show", json_pack("{s:s}", "task", d->log_task));
}

/* Events of the followed task from their own connection. */
static void
log_subscribe(struct dash *d)
{
	enum conn_failure why;
	struct proto_reply rep;
	char *cause;

	if ((d->follow = conn_open(d->ctx->socket_path, &why, &cause)) ==
	    NULL) {
		free(cause);
		return;
	}
	if (conn_call(d->follow, "subscribe",
	        json_pack("{s:[s,s,s], s:s}", "events", "run.started",
	            "run.output", "run.finished", "task", d->log_task),
	        &rep, CMD_TIMEOUT_MS, &cause) == -1) {
		free(cause);
		conn_close(d->follow);
		d->follow = NULL;
		return;
	}
	proto_reply_release(&rep);
}

void
dash_log_open(
    struct dash *d, const char *task, int64_t run, enum dash_mode mode)
{
	json_t *o;

	dash_log_close(d);
	d->log_task = xstrdup(task);
	d->log_pinned = run > 0;
	d->mode = mode;
	d->input[0] = '\0'; /* the table's filter is no search here */
	log_detail(d);
	if (mode == MODE_DETAIL && d->detail == NULL) {
		d->mode = MODE_TABLE; /* dash_call said why */
		return;
	}
	/* Subscribed first: no output between the two is missed. */
	log_subscribe(d);
	if ((o = dash_call(d, "logs",
	         run > 0 ? json_pack("{s:I}", "run", (json_int_t)run)
	                 : json_pack("{s:s}", "task", task))) != NULL) {
		log_show_run(d, json_object_get(o, "run"));
		json_decref(o);
	} else {
		d->message[0] = '\0'; /* no run yet: an empty pane says it */
	}
	d->logtop = d->nlog > log_rows() ? d->nlog - log_rows() : 0;
}

void
dash_log_events(struct dash *d)
{
	const json_t *data;
	const char *name;
	char *cause;
	json_t *ev;

	do {
		if ((ev = conn_read_event(d->follow, &cause)) == NULL) {
			free(cause);
			conn_close(d->follow);
			d->follow = NULL;
			return;
		}
		name = json_get_string(ev, "event", "");
		data = json_object_get(ev, "data");
		if (strcmp(name, "run.started") == 0 && !d->log_pinned) {
			/* The task's newest run is this one now. */
			log_show_run(d, data);
			log_detail(d);
		} else if (json_integer_value(json_object_get(data, "id")) ==
		        d->log_run ||
		    json_integer_value(json_object_get(data, "run")) ==
		        d->log_run) {
			log_read_on(d, strcmp(name, "run.finished") == 0);
			if (strcmp(name, "run.finished") == 0) {
				log_detail(d);
			}
		}
		json_decref(ev);
	} while (d->follow != NULL && conn_event_ready(d->follow));
}

void
dash_log_close(struct dash *d)
{
	log_clear(d);
	conn_close(d->follow);
	d->follow = NULL;
	free(d->log_task);
	d->log_task = NULL;
	json_decref(d->detail);
	d->detail = NULL;
}
