/*
 * When tasks fire: each task's next fire from its rule (jitter included),
 * the alarm that wakes twd for it, catch-up of fires missed while twd was
 * down or the clock jumped, the fires at boot, and the next fires of all;
 * and the runs change triggers make (a branch moved, files changed).
 */
#include <sys/random.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "duration.h"
#include "history.h"
#include "log.h"
#include "paths.h"
#include "tasks.h"
#include "tasks-int.h"
#include "timefmt.h"
#include "tz.h"
#include "watch.h"
#include "xmalloc.h"

static void task_due(struct task *t);
static void task_record_dropped(
    struct tasks *ts, struct task *t, const struct catchup_plan *p);

/*
 * A uniform random number in [0, n), n at most a day of milliseconds.
 * getrandom(2) rather than arc4random, which older glibc lacks.
 */
int64_t
random_below(int64_t n)
{
	uint64_t r = 0;

	if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r) {
		r = (uint64_t)timefmt_now_ms() * UINT64_C(6364136223846793005);
	}
	/* The modulo bias is below n / 2^64: nothing a schedule can see. */
	return (int64_t)(r % (uint64_t)n);
}

/* Compute the next fire after the last and set the alarm for it. */
void
task_schedule(struct task *t)
{
	const struct task_def *def = t->def;
	int64_t now = tw_now(&t->ts->clock), once, first = 0;
	char when[TIMEFMT_ISO_LEN];

	alarm_cancel(t->ts->alarms, &t->alarm);
	t->next_ms = 0;
	t->delay_ms = 0;
	if (def->schedule == NULL || !def->enabled || t->ts->halted) {
		return;
	}
	/*
	 * A fire after the last that is already past was missed (twd was not
	 * running, the machine slept, the clock was set): it is due now, and
	 * task_due works out, by catch_up, what becomes of all of them.
	 */
	once = schedule_once_at(def->schedule);
	if (t->last_fire_ms != 0) {
		first = schedule_next(
		    def->schedule, t->last_fire_ms, t->last_fire_ms);
	} else if (once != 0 && def->policy->catch_up != CATCH_UP_NONE) {
		first = once;
	}
	if (first != 0 && first <= now) {
		t->fire.at_ms = first;
		t->fire.note = SCHEDULE_NOTE_NONE;
		t->next_ms = now;
		alarm_schedule(t->ts->alarms, &t->alarm, now);
		return;
	}
	/* Never the fire just made again, even if the clock is a bit behind. */
	if (!schedule_next_fire(def->schedule, t->last_fire_ms,
	        now > t->last_fire_ms ? now : t->last_fire_ms, &t->fire)) {
		if (once != 0 && t->last_fire_ms < once) {
			/* Not silently: say that its one fire was missed. */
			log_warn(
			    "task '%s': its one fire, at %s, passed while "
			    "twd was not running; not run (catch_up: none)",
			    def->name, timefmt_iso(once, when, sizeof when));
		}
		return;
	}
	if (def->policy->jitter_ms > 0) {
		t->delay_ms = random_below(def->policy->jitter_ms);
	}
	t->next_ms = t->fire.at_ms + t->delay_ms;
	alarm_schedule(t->ts->alarms, &t->alarm, t->next_ms);
	task_changed(t);
}

/* A fire of t is due: run it (unless the last run still goes), reschedule. */
static void
task_due(struct task *t)
{
	const struct task_def *def = t->def;
	struct catchup_plan *p = xmalloc(sizeof *p);
	enum run_trigger trigger;
	int64_t now = tw_now(&t->ts->clock), grid_now;
	char *cause;
	size_t i;

	/* Its runs recorded, and started, in one commit. */
	tasks_batch_begin(t->ts);
	/* A jittered start is late on purpose: plan on the rule's grid. */
	grid_now = now - t->delay_ms;
	if (t->last_fire_ms == 0) {
		/* Its first fire ever, on time or a one-shot caught up. */
		memset(p, 0, sizeof *p);
		p->counted_all = 1;
		if (def->policy->starting_deadline_ms > 0 &&
		    grid_now - t->fire.at_ms >
		        def->policy->starting_deadline_ms) {
			p->dropped = 1;
			p->past_deadline = 1;
			p->first_dropped_ms = p->last_dropped_ms =
			    t->fire.at_ms;
		} else {
			p->run[p->nrun++] = t->fire.at_ms;
		}
	} else {
		catchup_plan(def->schedule, t->last_fire_ms, grid_now,
		    def->policy->catch_up, def->policy->catch_up_max,
		    def->policy->starting_deadline_ms, p);
	}
	if (p->dropped > 0) {
		task_record_dropped(t->ts, t, p);
		t->last_fire_ms = p->last_dropped_ms;
	}
	for (i = 0; i < p->nrun; i++) {
		/* The grid is the rule's, not the jittered start. */
		if (p->run[i] > t->last_fire_ms) {
			t->last_fire_ms = p->run[i];
		}
		trigger = grid_now - p->run[i] > CATCHUP_ON_TIME_MS
		    ? RUN_TRIGGER_CATCH_UP
		    : RUN_TRIGGER_SCHEDULE;
		if (tasks_run(t->ts, t, trigger, p->run[i], 0, &cause) == -1) {
			log_warn("task '%s': %s", def->name, cause);
			free(cause);
		}
	}
	free(p);
	task_schedule(t);
	tasks_batch_end(t->ts, NULL);
}

/* One skipped run for all the fires a catch-up plan dropped. */
static void
task_record_dropped(
    struct tasks *ts, struct task *t, const struct catchup_plan *p)
{
	const struct task_def *def = t->def;
	char first[TIMEFMT_ISO_LEN], last[TIMEFMT_ISO_LEN], dur[32], *why;
	char *reason;

	switch (def->policy->catch_up) {
	case CATCH_UP_NONE:
		why = xstrdup("missed while twd was not running or the "
		              "machine slept (catch_up: none)");
		break;
	case CATCH_UP_LATEST:
		why =
		    xstrdup("missed; only the newest runs (catch_up: latest)");
		break;
	default:
		why = xasprintf("missed, more than catch_up_max %d",
		    def->policy->catch_up_max);
		break;
	}
	if (p->past_deadline) {
		free(why);
		why = xasprintf("missed, too late to start: past the starting "
		                "deadline of %s",
		    duration_format_ms(
		        def->policy->starting_deadline_ms, dur, sizeof dur));
	}
	reason = xasprintf("%s%" PRId64 " fire%s from %s to %s %s",
	    p->counted_all ? "" : "at least ", p->dropped,
	    p->dropped == 1 ? "" : "s",
	    timefmt_iso(p->first_dropped_ms, first, sizeof first),
	    timefmt_iso(p->last_dropped_ms, last, sizeof last), why);
	free(why);
	active_drop(ts, t,
	    active_new(ts, t, RUN_TRIGGER_SCHEDULE, p->last_dropped_ms, 1),
	    RUN_SKIPPED, reason);
}

void
fire_alarm(struct alarm *a, void *arg)
{
	(void)arg;
	task_due((struct task *)((char *)a - offsetof(struct task, alarm)));
}

void
tasks_clock_changed(void *arg)
{
	struct tasks *ts = arg;
	int64_t now = tw_now(&ts->clock);
	struct task *t;
	size_t i;

	/*
	 * Set forward past a fire, the clock makes it due now, as after a
	 * resume; set back, fires count on from the last one, so none is
	 * made twice.
	 */
	for (i = 0; i < ts->ntasks; i++) {
		t = ts->tasks[i];
		if (t->next_ms != 0 && t->next_ms <= now) {
			alarm_cancel(ts->alarms, &t->alarm);
			task_due(t);
		} else {
			task_schedule(t);
		}
	}
}

void
tasks_tick(struct tasks *ts)
{
	alarm_set_run_due(ts->alarms);
}

static json_t *
fire_json(const struct task *t, const struct schedule_fire *f, int64_t at)
{
	json_t *o = json_object();
	char buf[128];

	json_object_set_new(o, "task", json_string(t->def->name));
	json_object_set_new(
	    o, "at", json_string(timefmt_iso(at, buf, sizeof buf)));
	json_object_set_new(o, "timezone",
	    t->def->tz != NULL ? json_string(tz_name(t->def->tz))
	                       : json_null());
	json_object_set_new(o, "note",
	    f->note != SCHEDULE_NOTE_NONE
	        ? json_string(schedule_note_text(f, buf, sizeof buf))
	        : json_null());
	return o;
}

/* Where a task's fires are, for the merge of tasks_next_fires. */
struct fire_cursor {
	const struct task *t;
	struct schedule_fire f;
	int64_t at; /* as shown: the first with its jitter as drawn */
};

static int
cursor_before(const struct fire_cursor *a, const struct fire_cursor *b)
{
	return a->at < b->at ||
	    (a->at == b->at && strcmp(a->t->def->name, b->t->def->name) < 0);
}

/* Restore the heap's order below i. */
static void
cursor_sift(struct fire_cursor *h, size_t n, size_t i)
{
	struct fire_cursor tmp;
	size_t least, l;

	for (;;) {
		least = i;
		l = 2 * i + 1;
		if (l < n && cursor_before(&h[l], &h[least])) {
			least = l;
		}
		if (l + 1 < n && cursor_before(&h[l + 1], &h[least])) {
			least = l + 1;
		}
		if (least == i) {
			return;
		}
		tmp = h[i];
		h[i] = h[least];
		h[least] = tmp;
		i = least;
	}
}

json_t *
tasks_next_fires(struct tasks *ts, const struct task *only, int count, int each)
{
	json_t *fires = json_array();
	struct fire_cursor *h;
	const struct task *t;
	size_t n = 0, i;
	char *text;

	/*
	 * Each task's fires come in order: merge them in a heap, count
	 * times log(tasks), not count fires of every task sorted.
	 */
	h = xreallocarray(NULL, ts->ntasks + 1, sizeof *h);
	for (i = 0; i < ts->ntasks; i++) {
		t = ts->tasks[i];
		if ((only == NULL || t == only) && t->next_ms != 0) {
			h[n].t = t;
			h[n].f = t->fire;
			h[n].at = t->next_ms;
			n++;
		}
	}
	for (i = n / 2; i-- > 0;) {
		cursor_sift(h, n, i);
	}
	while (count-- > 0 && n > 0) {
		t = h[0].t;
		json_array_append_new(fires, fire_json(t, &h[0].f, h[0].at));
		/* Later fires without jitter, from the rule's own time. */
		if (!each &&
		    schedule_next_fire(t->def->schedule, h[0].f.at_ms,
		        h[0].f.at_ms, &h[0].f)) {
			h[0].at = h[0].f.at_ms;
		} else {
			h[0] = h[--n];
		}
		cursor_sift(h, n, 0);
	}
	free(h);
	/* Then the tasks a change runs, which have no time to say. */
	for (i = 0; i < ts->ntasks; i++) {
		t = ts->tasks[i];
		if ((only == NULL || t == only) && t->def->on != NULL &&
		    t->def->enabled) {
			text = config_trigger_text(t->def->on);
			json_array_append_new(fires,
			    json_pack("{s:s, s:n, s:n, s:s}", "task",
			        t->def->name, "at", "timezone", "note", text));
			free(text);
		}
	}
	return fires;
}

/*
 * @reboot tasks run when twd starts in a boot of the machine it has not
 * seen: the kernel's boot id, remembered in the history, tells.
 */
void
tasks_boot(struct tasks *ts)
{
	const char *path = getenv("TW_BOOT_ID_FILE");
	char id[64] = "", *seen = NULL, *cause = NULL;
	size_t i, n = 0;
	FILE *fp;

	if (path == NULL) {
		path = "/proc/sys/kernel/random/boot_id";
	}
	if ((fp = fopen(path, "r")) == NULL ||
	    fgets(id, sizeof id, fp) == NULL) {
		log_warn("cannot read the boot id from %s; @reboot tasks will "
		         "not run",
		    path);
		if (fp != NULL) {
			fclose(fp);
		}
		return;
	}
	fclose(fp);
	id[strcspn(id, "\n")] = '\0';
	if (history_state_get(ts->history, "boot_id", &seen, &cause) == -1) {
		log_warn("%s; @reboot tasks will not run", cause);
		free(cause);
		return;
	}
	if (seen != NULL && strcmp(seen, id) == 0) {
		free(seen);
		return;
	}
	free(seen);
	/* Remember first: a crash must not make them run twice. */
	history_put_state(ts->history, "boot_id", id);
	if (history_failing(ts->history) != NULL) {
		log_warn("history: %s; @reboot tasks will not run",
		    history_failing(ts->history));
		return;
	}
	for (i = 0; i < ts->ntasks; i++) {
		if (ts->tasks[i]->def->schedule == NULL ||
		    !schedule_is_reboot(ts->tasks[i]->def->schedule)) {
			continue;
		}
		n++;
		if (tasks_run(ts, ts->tasks[i], RUN_TRIGGER_BOOT, 0, 0,
		        &cause) == -1) {
			log_warn(
			    "task '%s': %s", ts->tasks[i]->def->name, cause);
			free(cause);
		}
	}
	if (n > 0) {
		log_info("first start in this boot: %zu @reboot task%s", n,
		    n == 1 ? "" : "s");
	}
}

/* Change triggers: a branch moved, files changed. */

/* The history's key of what t's trigger of kind has seen. */
static char *
trigger_state_key(const struct task *t, enum watch_kind kind)
{
	return xasprintf(
	    "%s:%s", kind == WATCH_GIT ? "git" : "path", t->def->name);
}

static void
trigger_save(void *owner, enum watch_kind kind, const char *state, void *arg)
{
	struct task *t = owner;
	char *key = trigger_state_key(t, kind);

	history_put_state(((struct tasks *)arg)->history, key, state);
	free(key);
}

/* The list of paths of run id, one a line, for its job's TW_PATHS. */
static void
paths_write(
    struct tasks *ts, struct task *t, int64_t id, char *const *paths, size_t n)
{
	char *dir = xasprintf("%s/%s", ts->log_dir, t->def->name);
	char *file = run_paths_file(ts, t->def->name, id), *cause;
	size_t i;
	FILE *fp;

	if (paths_make_private_dir(dir, &cause) == -1) {
		log_warn("task '%s': %s", t->def->name, cause);
		free(cause);
	}
	if ((fp = fopen(file, "we")) == NULL) {
		log_warn("task '%s': cannot write %s: %s", t->def->name, file,
		    strerror(errno));
	} else {
		for (i = 0; i < n; i++) {
			fputs(paths[i], fp);
			fputc('\n', fp);
		}
		if (fclose(fp) != 0) {
			log_warn("task '%s': cannot write %s: %s", t->def->name,
			    file, strerror(errno));
		}
	}
	free(dir);
	free(file);
}

/*
 * A run of t that the change c made (c: its JSON, taken); while_down: it
 * was made while twd was not running, which catch_up: none skips.
 */
static void
change_run(struct tasks *ts, struct task *t, enum run_trigger trigger,
    json_t *c, int while_down, char *const *paths, size_t npaths)
{
	struct active_run *ar;
	char *text;
	int64_t id;

	if (ts->halted) {
		json_decref(c);
		return;
	}
	if (while_down) {
		json_object_set_new(c, "while_down", json_true());
	}
	ar = active_new(ts, t, trigger, 0, 1);
	ar->rec.change = json_dumps(c, JSON_COMPACT);
	json_decref(c);
	if (while_down && t->def->policy->catch_up == CATCH_UP_NONE) {
		text = run_change_text(&ar->rec);
		active_drop(ts, t, ar, RUN_SKIPPED,
		    xasprintf(
		        "%s while twd was not running (catch_up: none)", text));
		free(text);
		return;
	}
	id = dispatch_run(ts, t, ar);
	/* A run skipped (overlap, a pause) has no job to read the list. */
	if (paths != NULL &&
	    (t->last == NULL || t->last->id != id ||
	        t->last->status != RUN_SKIPPED)) {
		paths_write(ts, t, id, paths, npaths);
	}
}

static void
trigger_fire(void *owner, const struct watch_change *c, void *arg)
{
	struct tasks *ts = arg;
	struct task *t = owner;
	json_t *o, *sample;
	char ref[300];
	size_t i;

	/* The runs, and what the trigger saves, in one commit. */
	tasks_batch_begin(ts);
	if (c->kind == WATCH_GIT) {
		snprintf(ref, sizeof ref, "refs/heads/%s", c->branch);
		o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s}", "kind", "git",
		    "repo", c->repo, "branch", c->branch, "ref", ref, "old",
		    c->old_id[0] != '\0' ? json_string(c->old_id) : json_null(),
		    "new", c->new_id);
		change_run(ts, t, RUN_TRIGGER_GIT, o, c->while_down, NULL, 0);
	} else if (t->def->on->path->per_file) {
		for (i = 0; i < c->npaths; i++) {
			o = json_pack("{s:s, s:i, s:s}", "kind", "path",
			    "paths", 1, "path", c->paths[i]);
			change_run(ts, t, RUN_TRIGGER_PATH, o, c->while_down,
			    &c->paths[i], 1);
		}
	} else {
		sample = json_array();
		for (i = 0; i < c->npaths && i < 5; i++) {
			json_array_append_new(sample, json_string(c->paths[i]));
		}
		o = json_pack("{s:s, s:I, s:o, s:b}", "kind", "path", "paths",
		    (json_int_t)c->npaths, "sample", sample, "incomplete",
		    c->overflow);
		change_run(ts, t, RUN_TRIGGER_PATH, o, c->while_down, c->paths,
		    c->npaths);
	}
	tasks_batch_end(ts, NULL);
}

static void
trigger_batch(void *arg, int begin)
{
	if (begin) {
		tasks_batch_begin(arg);
	} else {
		tasks_batch_end(arg, NULL);
	}
}

struct watch_set *
fire_watches(struct tasks *ts)
{
	struct watch_cbs cbs = { trigger_fire, trigger_save, trigger_batch,
		ts };
	struct watch_set *ws;
	char *cause;

	ws = watch_set_create(
	    ts->base, ts->jobs, &ts->clock, ts->log_dir, &cbs, &cause);
	if (ws == NULL) {
		log_warn("%s: git and path triggers will not fire", cause);
		free(cause);
	}
	return ws;
}

/* What t's trigger of kind saved last, or NULL (caller frees). */
static char *
trigger_state_get(struct task *t, enum watch_kind kind)
{
	char *key = trigger_state_key(t, kind), *saved = NULL, *cause = NULL;

	if (history_state_get(t->ts->history, key, &saved, &cause) == -1) {
		log_warn("task '%s': %s", t->def->name, cause);
		free(cause);
	}
	free(key);
	return saved;
}

void
task_watch(struct task *t, const struct task_def *old)
{
	struct tasks *ts = t->ts;
	const struct trigger_def *on = t->def->enabled ? t->def->on : NULL;
	char *saved[2] = { NULL, NULL };
	struct watch_saved from;

	if (old != NULL && t->watch != NULL && on != NULL &&
	    task_def_on_equal(old, t->def)) {
		watch_rebind(t->watch, on);
		return;
	}
	watch_remove(ts->watches, t->watch);
	t->watch = NULL;
	if (on == NULL || ts->watches == NULL || ts->halted) {
		return;
	}
	if (on->git != NULL) {
		saved[0] = trigger_state_get(t, WATCH_GIT);
	}
	if (on->path != NULL) {
		saved[1] = trigger_state_get(t, WATCH_PATH);
	}
	from.git = saved[0];
	from.path = saved[1];
	/* Before the first config is in place, twd is starting. */
	t->watch = watch_add(
	    ts->watches, t->def->name, on, &from, ts->config == NULL, t);
	free(saved[0]);
	free(saved[1]);
}
