/*
 * The dashboard's view model: tasks and running jobs as the daemon's list
 * and events say, sorted and filtered for the table. Pure: no curses, no
 * socket, no clock of its own, so it is tested without a terminal.
 */
#ifndef TW_DASH_MODEL_H
#define TW_DASH_MODEL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Results kept per task for its strip, newest last. */
#define DASH_STRIP 10

enum dash_sort {
	DASH_SORT_NAME,
	DASH_SORT_NEXT,     /* soonest first; none last */
	DASH_SORT_RESULT,   /* failing first */
	DASH_SORT_DURATION, /* longest last run first */
	DASH_SORT_COUNT,
};

/* What the STATE column says, from the most pressing down. */
enum dash_state {
	DASH_RUNNING,
	DASH_QUEUED,
	DASH_PAUSED,
	DASH_FAILING,
	DASH_DISABLED,
	DASH_IDLE,
};

struct dash_task {
	char *name;
	char *schedule;     /* short form; NULL: manual */
	char *daemon_state; /* as list says: scheduled, running, paused ... */
	int64_t next_ms;    /* 0: none */
	int64_t timeout_ms; /* of its runs; 0: none */
	int running, queued, paused;
	char *last_status; /* of the newest finished run; NULL: never ran */
	char *last_result; /* "exit 3", "ok" ... */
	int64_t last_duration_ms; /* -1: none */
	char strip[DASH_STRIP];   /* '+' ok, 'x' failed, '-' skipped ... */
	size_t nstrip;
};

/* A job in flight, for the running pane. */
struct dash_job {
	int64_t run;
	char *task;
	int pid;
	int64_t started_ms;
	int64_t timeout_ms; /* 0: none */
	double cpu;         /* percent of one core, from /proc */
	int64_t rss_kb;
};

struct dash_model {
	struct dash_task *tasks;
	size_t ntasks;
	struct dash_job *jobs;
	size_t njobs;
	struct dash_queued {
		int64_t run;
		char *task;
	} * queued; /* the runs waiting */
	size_t nqueued;
	size_t *view; /* indices of tasks shown, in the order shown */
	size_t nview;
	enum dash_sort sort;
	char filter[64];    /* tasks whose name holds it; "" for all */
	char *config_error; /* the first error of a failed reload, or NULL */
	size_t nconfig_errors;
	char *state_error; /* why twd cannot write its history, or NULL */
};

void dash_model_init(struct dash_model *);
void dash_model_release(struct dash_model *);
/* The tasks as "list" gives them; keeps strips of tasks that stay. */
void dash_model_set_tasks(struct dash_model *, const json_t *list);
/* The newest runs ("history"), oldest first into each strip. */
void dash_model_set_history(struct dash_model *, const json_t *runs);
/* The runs in flight and queued ("history" of those statuses). */
void dash_model_set_jobs(struct dash_model *, const json_t *runs);
/* An event of the subscription; returns whether the table changed. */
int dash_model_event(struct dash_model *, const json_t *event);
/* Sort and filter again into view. */
void dash_model_update_view(struct dash_model *);
enum dash_state dash_task_state(const struct dash_task *);
const char *dash_state_name(enum dash_state);
/*
 * The state word of a task as "list" gives it, the dashboard's (running,
 * failing, idle ...): what twctl list shows too, so the views agree.
 */
const char *dash_state_of(const json_t *task);
/* The task called name, or NULL. */
struct dash_task *dash_model_task(struct dash_model *, const char *name);

/* "in 3m05s", "5s ago", "now", or "-" for 0; returns buf. */
char *dash_countdown(int64_t ms, int64_t now_ms, char *buf, size_t len);
/* "1m12s", "350ms", "-" for a negative; returns buf. */
char *dash_duration(int64_t ms, char *buf, size_t len);
const char *dash_sort_name(enum dash_sort);

#endif
