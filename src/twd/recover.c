/*
 * After a restart: the runs a twd that stopped abruptly left running are
 * recorded as lost (their processes killed), and queued runs and
 * submitted jobs are put back in the queue.
 */

#include <inttypes.h>
#include <stdlib.h>

#include "config.h"
#include "history.h"
#include "log.h"
#include "tasks.h"
#include "tasks-int.h"
#include "xmalloc.h"

/* The ids of lost runs whose processes were found and killed. */
struct lost {
	struct tasks *ts;
	int64_t *killed;
	size_t n;
};

static void
lost_kill(const struct run_record *r, void *arg)
{
	struct lost *l = arg;
	struct tasks *ts = l->ts;
	char *marker;

	/* Any may have run elsewhere: which did is known with the tasks. */
	ts->lost = xreallocarray(ts->lost, ts->nlost + 1, sizeof *ts->lost);
	ts->lost[ts->nlost].id = r->id;
	ts->lost[ts->nlost++].task = xstrdup(r->task);
	if (r->pid <= 0) {
		return;
	}
	/* Each job has its run id in its environment: only ours die. */
	marker = xasprintf("TW_RUN_ID=%" PRId64, r->id);
	if (job_orphan_kill(r->pid, marker)) {
		log_warn("run %" PRId64 " '%s': its process group %d was "
		         "still running; killed",
		    r->id, r->task, r->pid);
		l->killed =
		    xreallocarray(l->killed, l->n + 1, sizeof *l->killed);
		l->killed[l->n++] = r->id;
	}
	free(marker);
}

int
tasks_close_lost(struct tasks *ts, char **cause)
{
	struct history_filter f = { .status = "running", .limit = -1 };
	struct lost l = { ts, NULL, 0 };
	struct run_record r;
	char *why;
	size_t i;
	int n, rc;

	if (history_query(ts->history, &f, lost_kill, &l, cause) == -1 ||
	    (n = history_mark_lost(ts->history, tw_now(&ts->clock), cause)) ==
	        -1) {
		free(l.killed);
		return -1;
	}
	for (i = 0; i < l.n; i++) {
		if ((rc = history_get(ts->history, l.killed[i], &r, &why)) !=
		    1) {
			if (rc == -1) {
				log_error("%s", why);
				free(why);
			}
			continue;
		}
		free(r.reason);
		r.reason = xstrdup("twd stopped before the run finished; its "
		                   "processes were killed when twd started "
		                   "again");
		history_put_run(ts->history, &r);
		run_record_release(&r);
	}
	free(l.killed);
	return n;
}

/* A queued submitted job of the history: its task again, from its spec. */
static int
recover_resubmit(struct tasks *ts, struct active_run *ar, char **cause)
{
	struct task_def *def;
	json_error_t jerr;
	json_t *job, *spec;
	int rc = -1, named;

	if (ar->rec.spec == NULL ||
	    (job = json_loads(ar->rec.spec, 0, &jerr)) == NULL) {
		*cause = xstrdup("what it runs was not recorded");
		return -1;
	}
	/* Its name was checked when it came; a task may have it since. */
	named = json_object_get(job, "name") != NULL;
	json_object_del(job, "name");
	submit_spec_env(job, ar->rec.env);
	if ((def = submit_def(ts, job, &spec, cause)) != NULL) {
		free(def->name);
		def->name = xstrdup(ar->rec.task);
		ar->own = task_adhoc(ts, def);
		ar->own->named = (uint8_t)named;
		if (json_is_object(json_object_get(job, "env"))) {
			ar->own->env =
			    env_block_get(ts, json_object_get(job, "env"));
		}
		json_decref(spec);
		rc = submit_after(ts, json_object_get(job, "after"),
		    &ar->after_task, &ar->after_run, cause);
	}
	json_decref(job);
	return rc;
}

/* Collects the queued runs of the history, newest first. */
struct restore {
	struct run_record *v;
	size_t n;
};

static void
restore_collect(const struct run_record *r, void *arg)
{
	struct restore *rs = arg;

	rs->v = xreallocarray(rs->v, rs->n + 1, sizeof *rs->v);
	run_record_copy(&rs->v[rs->n++], r);
}

void
tasks_restore(struct tasks *ts)
{
	struct history_filter f = { .status = "queued", .limit = -1 };
	struct restore rs = { NULL, 0 };
	struct active_run *ar;
	char *cause;
	size_t i;

	if (history_query(ts->history, &f, restore_collect, &rs, &cause) ==
	    -1) {
		log_error("cannot read the queued runs: %s", cause);
		free(cause);
		return;
	}
	/* Oldest first, so that equals keep their order. */
	for (i = rs.n; i-- > 0;) {
		ar = xcalloc(1, sizeof *ar);
		ar->ts = ts;
		ar->rec = rs.v[i];
		if (ar->rec.trigger == RUN_TRIGGER_SUBMIT) {
			if (ar->rec.id > ts->last_submit_id) {
				ts->last_submit_id = ar->rec.id;
			}
			if (recover_resubmit(ts, ar, &cause) != 0) {
				active_drop(ts, NULL, ar, RUN_SKIPPED,
				    xasprintf("not taken up again after a "
				              "restart: %s",
				        cause));
				free(cause);
				continue;
			}
		} else if (active_task(ts, ar) == NULL) {
			active_drop(ts, NULL, ar, RUN_SKIPPED,
			    xstrdup("its task is no longer in the tasks "
			            "file"));
			continue;
		}
		dispatch_queue(ts, active_task(ts, ar), ar);
	}
	free(rs.v);
	if (rs.n > 0) {
		log_info("%zu queued run(s) taken up again", rs.n);
	}
	tasks_dispatch(ts);
}
