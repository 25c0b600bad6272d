/*
 * The dashboard's keys: one table of what each key does in which view. The
 * help screen and the footer are drawn from it (dash-view.c), so neither
 * can forget a key. Each action says what it changed (DASH_*).
 *
 * To add a key: a key_* action below and its entry in dash_keys[], with
 * the views it acts in, a footer word if it is one of the few, and its
 * help line.
 */
#include <ctype.h>
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dash.h"
#include "output.h"
#include "xmalloc.h"

/* Rows a page moves. */
static size_t
key_page(void)
{
	return LINES > 4 ? (size_t)LINES - 4 : 1;
}

static int
key_back(struct dash *d, int ch)
{
	if (d->mode == MODE_TABLE && ch == 27 && d->m.filter[0] != '\0') {
		/* Escape drops the filter first; q quits at once. */
		d->m.filter[0] = '\0';
		d->input[0] = '\0';
		return DASH_REDRAW | DASH_REVIEW;
	}
	if (d->mode == MODE_TABLE) {
		return DASH_QUIT;
	}
	dash_log_close(d);
	d->mode = MODE_TABLE;
	d->input[0] = '\0';
	return DASH_REDRAW;
}

static int
key_up(struct dash *d, int ch)
{
	(void)ch;
	if (dash_selected_job(d) != NULL) {
		d->jsel -= d->jsel > 0;
	} else if (d->mode == MODE_TABLE) {
		d->sel -= d->sel > 0;
	} else {
		d->logtop -= d->logtop > 0;
	}
	return DASH_REDRAW;
}

static int
key_down(struct dash *d, int ch)
{
	(void)ch;
	if (dash_selected_job(d) != NULL) {
		/* Among the jobs the pane shows. */
		d->jsel +=
		    d->jsel + 1 < d->m.njobs && d->jsel + 1 < DASH_JOB_ROWS;
	} else if (d->mode == MODE_TABLE) {
		d->sel += d->sel + 1 < d->m.nview;
	} else {
		d->logtop += d->logtop + 1 < d->nlog;
	}
	return DASH_REDRAW;
}

static int
key_page_up(struct dash *d, int ch)
{
	size_t *at = d->mode == MODE_TABLE ? &d->sel : &d->logtop;

	(void)ch;
	*at = *at > key_page() ? *at - key_page() : 0;
	return DASH_REDRAW;
}

static int
key_page_down(struct dash *d, int ch)
{
	(void)ch;
	if (d->mode == MODE_TABLE) {
		d->sel = d->sel + key_page() < d->m.nview ? d->sel + key_page()
		    : d->m.nview > 0                      ? d->m.nview - 1
		                                          : 0;
	} else if (d->logtop + key_page() < d->nlog) {
		d->logtop += key_page();
	}
	return DASH_REDRAW;
}

static int
key_first(struct dash *d, int ch)
{
	(void)ch;
	*(d->mode == MODE_TABLE ? &d->sel : &d->logtop) = 0;
	return DASH_REDRAW;
}

static int
key_last(struct dash *d, int ch)
{
	(void)ch;
	if (d->mode == MODE_TABLE) {
		d->sel = d->m.nview > 0 ? d->m.nview - 1 : 0;
	} else {
		d->logtop = d->nlog > key_page() ? d->nlog - key_page() : 0;
	}
	return DASH_REDRAW;
}

/* Tab: the keys act on the running jobs, or on the tasks again. */
static int
key_tab(struct dash *d, int ch)
{
	(void)ch;
	if (d->jobs_focus) {
		d->jobs_focus = 0;
	} else if (d->m.njobs == 0) {
		dash_say(d, "%s", "no job is running");
	} else if (LINES < 16) {
		dash_say(d, "%s", "the window is too small for the jobs pane");
	} else {
		d->jobs_focus = 1;
		d->jsel = 0;
	}
	return DASH_REDRAW;
}

static int
key_details(struct dash *d, int ch)
{
	const struct dash_job *j = dash_selected_job(d);

	(void)ch;
	if (j != NULL) {
		/* A job's details are its live output. */
		dash_log_open(d, j->task, j->run, MODE_LOG);
	} else if (dash_selected(d) != NULL) {
		dash_log_open(d, dash_selected(d), 0, MODE_DETAIL);
	}
	return DASH_REDRAW;
}

static int
key_log(struct dash *d, int ch)
{
	const struct dash_job *j = dash_selected_job(d);

	(void)ch;
	if (j != NULL) {
		dash_log_open(d, j->task, j->run, MODE_LOG);
	} else if (dash_selected(d) != NULL) {
		dash_log_open(d, dash_selected(d), 0, MODE_LOG);
	}
	return DASH_REDRAW;
}

/* In the details, 1-9: the log of that one of the recent runs. */
static int
key_recent_log(struct dash *d, int ch)
{
	const json_t *run = json_array_get(
	    json_object_get(d->detail, "runs"), (size_t)(ch - '1'));
	char *task;

	if (run == NULL) {
		dash_say(d, "%s", "no such run in the list");
		return DASH_REDRAW;
	}
	/* The pane is closed and opened again: its task must outlive that. */
	task = xstrdup(d->log_task);
	dash_log_open(d, task,
	    (int64_t)json_integer_value(json_object_get(run, "id")), MODE_LOG);
	free(task);
	return DASH_REDRAW;
}

static int
key_run(struct dash *d, int ch)
{
	const char *task = dash_selected(d);
	json_t *o;

	(void)ch;
	if (task != NULL &&
	    (o = dash_call(d, "run", json_pack("{s:s}", "task", task))) !=
	        NULL) {
		dash_say(d, "%s",
		    strcmp(json_get_string(o, "status", ""), "queued") == 0
		        ? "queued a run"
		        : "started a run");
		json_decref(o);
	}
	return DASH_REDRAW;
}

static int
key_pause(struct dash *d, int ch)
{
	const char *task = dash_selected(d);
	struct dash_task *t;
	json_t *o;

	(void)ch;
	if (task != NULL && (t = dash_model_task(&d->m, task)) != NULL &&
	    (o = dash_call(d, t->paused ? "resume" : "pause",
	         json_pack("{s:s}", "task", task))) != NULL) {
		dash_say(d, t->paused ? "resumed %s" : "paused %s", task);
		json_decref(o);
	}
	return DASH_REDRAW;
}

static int
key_kill(struct dash *d, int ch)
{
	const struct dash_job *j = dash_selected_job(d);

	(void)ch;
	if (j != NULL) {
		d->prompt = 'K';
		d->kill_run = j->run;
		snprintf(d->input, sizeof d->input, "run %lld (%s)",
		    (long long)j->run, j->task);
	} else if (dash_selected(d) != NULL) {
		d->prompt = 'K';
		d->kill_run = 0;
		snprintf(d->input, sizeof d->input, "%s", dash_selected(d));
	}
	return DASH_REDRAW;
}

/* In the table a filter of the names; in a log, a search. */
static int
key_slash(struct dash *d, int ch)
{
	(void)ch;
	d->prompt = '/';
	if (d->mode == MODE_TABLE) {
		snprintf(d->input, sizeof d->input, "%s", d->m.filter);
	} else {
		d->input[0] = '\0';
	}
	return DASH_REDRAW;
}

/* The next line of the log that holds the search, after the top one. */
static int
key_search_next(struct dash *d, int ch)
{
	size_t i;

	(void)ch;
	for (i = d->logtop + 1; d->input[0] && i < d->nlog; i++) {
		if (strstr(d->log[i], d->input) != NULL) {
			d->logtop = i;
			return DASH_REDRAW;
		}
	}
	dash_say(d, "no more '%s'", d->input);
	return DASH_REDRAW;
}

static int
key_sort(struct dash *d, int ch)
{
	(void)ch;
	d->m.sort = (enum dash_sort)((d->m.sort + 1) % DASH_SORT_COUNT);
	dash_say(d, "sorted by %s", dash_sort_name(d->m.sort));
	return DASH_REDRAW | DASH_REVIEW;
}

static int
key_help(struct dash *d, int ch)
{
	(void)ch;
	dash_log_close(d);
	d->mode = MODE_HELP;
	return DASH_REDRAW;
}

static int
key_mouse(struct dash *d, int ch)
{
	MEVENT me;

	(void)ch;
	if (getmouse(&me) == OK && me.y >= 3 &&
	    d->top + (size_t)(me.y - 3) < d->m.nview) {
		d->sel = d->top + (size_t)(me.y - 3);
	}
	return DASH_REDRAW;
}

#define TABLE DASH_IN(MODE_TABLE)
#define PAGER DASH_IN_PAGER
#define HELP  DASH_IN(MODE_HELP)
#define ALL   (TABLE | PAGER | HELP)

/*
 * In help and footer order. An entry without keys is one more code or
 * view of the entry before it: not a help line of its own.
 */
const struct dash_key dash_keys[] = {
	{ "q, escape", { 'q', 27 }, TABLE, "q quit",
	    "quit (in a view: back; escape first drops a filter)", key_back },
	{ NULL, { 'q', 27 }, PAGER | HELP, "q back", NULL, key_back },
	{ "?", { '?' }, TABLE | PAGER, "? help", "this help", key_help },
	{ "arrows, j, k", { KEY_UP, 'k' }, ALL, NULL,
	    "move the selection (or scroll a log)", key_up },
	{ NULL, { KEY_DOWN, 'j' }, ALL, NULL, NULL, key_down },
	{ NULL, { 0 }, PAGER, "arrows/j/k scroll", NULL, NULL },
	{ "pgup, pgdn", { KEY_PPAGE }, ALL, NULL,
	    "a page up, a page down (space too, in a log)", key_page_up },
	{ NULL, { KEY_NPAGE, ' ' }, ALL, NULL, NULL, key_page_down },
	{ "g, G", { 'g', KEY_HOME }, ALL, NULL, "the first, the last",
	    key_first },
	{ NULL, { 'G', KEY_END }, ALL, NULL, NULL, key_last },
	{ NULL, { 0 }, PAGER, "g/G top/end", NULL, NULL },
	{ "enter", { '\n', '\r', KEY_ENTER }, TABLE, "enter details",
	    "the task's details, runs and live output", key_details },
	{ "1-9", { '1', '2', '3', '4', '5' }, DASH_IN(MODE_DETAIL), NULL,
	    "in the details: the log of that one of the recent runs",
	    key_recent_log },
	{ NULL, { '6', '7', '8', '9' }, DASH_IN(MODE_DETAIL), NULL, NULL,
	    key_recent_log },
	{ "tab", { '\t' }, TABLE, NULL,
	    "to the running jobs and back: l, enter and K act on the "
	    "selected job (a submitted one too)",
	    key_tab },
	{ "r", { 'r' }, TABLE, "r run", "run it now (through the queue)",
	    key_run },
	{ "p", { 'p' }, TABLE, "p pause", "pause it, or resume it", key_pause },
	{ "K", { 'K' }, TABLE, "K kill", "kill its runs, after a y", key_kill },
	{ "l", { 'l' }, TABLE, "l log", "the log of its newest run, live",
	    key_log },
	{ "/", { '/' }, TABLE, "/ filter",
	    "filter tasks by name (in a log: search)", key_slash },
	{ NULL, { '/' }, PAGER, "/ search", NULL, key_slash },
	{ "n", { 'n' }, PAGER, "n next", "the next match of a search",
	    key_search_next },
	{ "s", { 's' }, TABLE, "s sort",
	    "sort by name, next run, last result, duration", key_sort },
	{ NULL, { KEY_MOUSE }, TABLE, NULL, NULL, key_mouse },
};

const size_t dash_nkeys = sizeof dash_keys / sizeof dash_keys[0];

/* A key while a prompt is open: edit it, or act on it. */
static int
key_prompt(struct dash *d, int ch)
{
	size_t n = strlen(d->input);
	json_t *o;

	if (d->prompt == 'K') {
		if (ch == 'y' &&
		    (o = dash_call(d, "kill",
		         d->kill_run > 0
		             ? json_pack(
		                   "{s:I}", "run", (json_int_t)d->kill_run)
		             : json_pack("{s:s}", "task", d->input))) != NULL) {
			dash_say(d,
			    d->kill_run > 0 ? "killed %s"
			                    : "killed the runs of %s",
			    d->input);
			json_decref(o);
		}
		d->prompt = 0;
		d->kill_run = 0;
		d->input[0] = '\0';
		return DASH_REDRAW;
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
	if (d->mode != MODE_TABLE) {
		return DASH_REDRAW;
	}
	snprintf(d->m.filter, sizeof d->m.filter, "%s", d->input);
	d->sel = 0;
	return DASH_REDRAW | DASH_REVIEW;
}

int
dash_key(struct dash *d, int ch)
{
	const struct dash_key *k;
	size_t i, j;

	if (d->prompt != 0) {
		return key_prompt(d, ch);
	}
	for (i = 0; i < dash_nkeys; i++) {
		k = &dash_keys[i];
		if (!(k->modes & DASH_IN(d->mode))) {
			continue;
		}
		for (j = 0; j < sizeof k->codes / sizeof k->codes[0] &&
		     k->codes[j] != 0;
		     j++) {
			if (k->codes[j] == ch) {
				return k->fn(d, ch);
			}
		}
	}
	return 0;
}
