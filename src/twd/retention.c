/*
 * History retention: each task's old runs and logs are dropped past its
 * history: limits, a batch at a time, when the loop has nothing else.
 */

#include <stdlib.h>

#include <event2/event.h>

#include "config.h"
#include "history.h"
#include "log.h"
#include "tasks.h"
#include "tasks-int.h"

/* Rows one pruning step deletes: a short transaction, a busy loop free. */
#define PRUNE_BATCH 100

static int
task_retains(const struct task_def *d)
{
	return d->policy->keep_runs > 0 || d->policy->keep_days > 0 ||
	    d->policy->keep_bytes > 0;
}

/* Queue t for pruning, done a batch at a time when the loop is idle. */
void
task_prune_later(struct task *t)
{
	if (!task_retains(t->def)) {
		return;
	}
	t->prune_pending = 1;
	event_active(t->ts->ev_prune, 0, 0);
}

void
retention_step(evutil_socket_t fd, short what, void *arg)
{
	struct tasks *ts = arg;
	struct history_retention keep;
	struct task *t;
	size_t i, k;
	char *cause;
	int n;

	(void)fd;
	(void)what;
	for (i = 0; i < ts->ntasks; i++) {
		k = (ts->prune_cursor + i) % ts->ntasks;
		if (ts->tasks[k]->prune_pending) {
			break;
		}
	}
	if (i == ts->ntasks) {
		return;
	}
	ts->prune_cursor = k;
	t = ts->tasks[k];
	keep.keep_runs = t->def->policy->keep_runs;
	keep.keep_days = t->def->policy->keep_days;
	keep.max_bytes = t->def->policy->keep_bytes;
	n = history_prune(ts->history, t->def->name, &keep, tw_now(&ts->clock),
	    PRUNE_BATCH, &cause);
	if (n == -1) {
		log_warn("task '%s': %s", t->def->name, cause);
		free(cause);
	} else if (n > 0) {
		log_debug("task '%s': pruned %d runs", t->def->name, n);
	}
	if (n != PRUNE_BATCH) {
		t->prune_pending = 0;
	}
	event_active(ts->ev_prune, 0, 0);
}
