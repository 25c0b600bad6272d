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
#include "twd.h"

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
	event_active(t->twd->ev_prune, 0, 0);
}

void
tasks_prune_step(evutil_socket_t fd, short what, void *arg)
{
	struct twd *twd = arg;
	struct history_retention keep;
	struct task *t;
	size_t i, k;
	char *cause;
	int n;

	(void)fd;
	(void)what;
	for (i = 0; i < twd->ntasks; i++) {
		k = (twd->prune_cursor + i) % twd->ntasks;
		if (twd->tasks[k]->prune_pending) {
			break;
		}
	}
	if (i == twd->ntasks) {
		return;
	}
	twd->prune_cursor = k;
	t = twd->tasks[k];
	keep.keep_runs = t->def->policy->keep_runs;
	keep.keep_days = t->def->policy->keep_days;
	keep.max_bytes = t->def->policy->keep_bytes;
	n = history_prune(twd->history, t->def->name, &keep, twd_now_ms(twd),
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
	event_active(twd->ev_prune, 0, 0);
}
