/*
 * Metrics: the counters kept as runs start and end, and the exposition.
 *
 * The text is written a family at a time (the format wants each metric's
 * series together), each family a slice of tasks at a time, resumed by
 * the name of the last task written: a reload between two slices neither
 * repeats nor skips a task that stayed. Lines are built by hand, not by
 * printf: a scrape of 100,000 tasks writes some 300,000 of them.
 */
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "tasks-int.h"
#include "tasks.h"
#include "version.h"
#include "xmalloc.h"

#include "config.h"

/* Seconds: from a quick job to a nightly backup. */
static const double duration_le[METRICS_DURATION_BUCKETS] = { 0.1, 0.5, 1, 5,
	15, 30, 60, 300, 900, 1800, 3600, 10800, 21600 };
static const char *const duration_text[METRICS_DURATION_BUCKETS] = { "0.1",
	"0.5", "1", "5", "15", "30", "60", "300", "900", "1800", "3600",
	"10800", "21600" };
/* Seconds from a fire's time to its run's start. */
static const double lateness_le[METRICS_LATENESS_BUCKETS] = { 0.001, 0.005,
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300 };
static const char *const lateness_text[METRICS_LATENESS_BUCKETS] = { "0.001",
	"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "5", "30",
	"300" };

/* The statuses a run ends with: a series each of last_status, runs_total. */
static const enum run_status ended[] = { RUN_OK, RUN_FAILED, RUN_TIMEOUT,
	RUN_KILLED, RUN_START_FAILED, RUN_LOST, RUN_SKIPPED, RUN_OOM };
#define NENDED (sizeof ended / sizeof ended[0])

/* The name submitted jobs without one of their own are counted under. */
#define SUBMITTED "(submitted)"

static size_t
bucket_of(const double *le, size_t n, double v)
{
	size_t i;

	for (i = 0; i < n && v > le[i]; i++) {
	}
	return i;
}

/* The counts of submitted jobs called name, made if need be. */
static struct run_counts *
submit_counts(struct tasks *ts, const char *name)
{
	size_t lo = 0, hi = ts->nsubs, mid;
	int cmp;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((cmp = strcmp(name, ts->subs[mid].name)) == 0) {
			return &ts->subs[mid].c;
		}
		if (cmp < 0) {
			hi = mid;
		} else {
			lo = mid + 1;
		}
	}
	ts->subs = xreallocarray(ts->subs, ts->nsubs + 1, sizeof *ts->subs);
	memmove(&ts->subs[lo + 1], &ts->subs[lo],
	    (ts->nsubs - lo) * sizeof *ts->subs);
	ts->nsubs++;
	memset(&ts->subs[lo], 0, sizeof ts->subs[lo]);
	ts->subs[lo].name = xstrdup(name);
	return &ts->subs[lo].c;
}

void
metrics_run_started(struct tasks *ts, const struct run_record *r)
{
	double late;

	if (r->trigger != RUN_TRIGGER_SCHEDULE || r->scheduled_ms <= 0) {
		return;
	}
	late = r->started_ms > r->scheduled_ms
	    ? (double)(r->started_ms - r->scheduled_ms) / 1000
	    : 0;
	ts->lateness[bucket_of(lateness_le, METRICS_LATENESS_BUCKETS, late)]++;
	ts->lateness_sum += late;
}

void
metrics_run_ended(struct tasks *ts, const struct active_run *ar)
{
	const struct run_record *r = &ar->rec;
	struct run_counts *c;
	struct task *t;
	double secs;

	if (ar->own != NULL) {
		c = submit_counts(ts, ar->own->named ? r->task : SUBMITTED);
	} else if ((t = tasks_find(ts, r->task)) != NULL) {
		if (t->counts == NULL) {
			t->counts = xcalloc(1, sizeof *t->counts);
		}
		c = t->counts;
	} else {
		return; /* its task left the file while it ran */
	}
	c->status[r->status]++;
	c->last_status = (uint8_t)r->status;
	if (r->pid > 0 && r->duration_ms >= 0) {
		secs = (double)r->duration_ms / 1000;
		c->duration[bucket_of(
		    duration_le, METRICS_DURATION_BUCKETS, secs)]++;
		c->duration_sum += secs;
		c->last_start_ms = r->started_ms;
	}
}

void
metrics_release(struct tasks *ts)
{
	size_t i;

	for (i = 0; i < ts->nsubs; i++) {
		free(ts->subs[i].name);
	}
	free(ts->subs);
	ts->subs = NULL;
	ts->nsubs = 0;
}

/* Text building. */

static void
text_reserve(struct metrics_text *out, size_t n)
{
	if (out->cap - out->len >= n) {
		return;
	}
	while (out->cap - out->len < n) {
		out->cap = out->cap == 0 ? 4096 : out->cap * 2;
	}
	out->s = xreallocarray(out->s, out->cap, 1);
}

static void
text_add(struct metrics_text *out, const char *s, size_t n)
{
	text_reserve(out, n + 1);
	memcpy(out->s + out->len, s, n);
	out->len += n;
	out->s[out->len] = '\0';
}

static void
text_str(struct metrics_text *out, const char *s)
{
	text_add(out, s, strlen(s));
}

/* A label value, escaped as the format says: \\, \" and \n. */
static void
text_label(struct metrics_text *out, const char *s)
{
	size_t n = strcspn(s, "\\\"\n");

	text_add(out, s, n);
	for (s += n; *s != '\0'; s++) {
		if (*s == '\\') {
			text_add(out, "\\\\", 2);
		} else if (*s == '"') {
			text_add(out, "\\\"", 2);
		} else if (*s == '\n') {
			text_add(out, "\\n", 2);
		} else {
			text_add(out, s, 1);
		}
	}
}

static void
text_u64(struct metrics_text *out, uint64_t v)
{
	char buf[24], *p = buf + sizeof buf;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	text_add(out, p, (size_t)(buf + sizeof buf - p));
}

/* Milliseconds as seconds: 1733300000.123 */
static void
text_ms(struct metrics_text *out, int64_t ms)
{
	char frac[4];
	int64_t m;

	if (ms < 0) {
		text_add(out, "-", 1);
		ms = -ms;
	}
	text_u64(out, (uint64_t)(ms / 1000));
	if ((m = ms % 1000) != 0) {
		frac[0] = '.';
		frac[1] = (char)('0' + m / 100);
		frac[2] = (char)('0' + m / 10 % 10);
		frac[3] = (char)('0' + m % 10);
		text_add(out, frac, 4);
	}
}

static void
text_double(struct metrics_text *out, double v)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%.6g", v);

	text_add(out, buf, (size_t)n);
}

/* label="value", the value escaped */
static void
text_pair(struct metrics_text *out, const char *label, const char *value)
{
	text_str(out, label);
	text_add(out, "=\"", 2);
	text_label(out, value);
	text_add(out, "\"", 1);
}

/* NAME{task="T"  (the caller goes on with more labels or "} ") */
static void
text_series(struct metrics_text *out, const char *name, const char *label,
    const char *value)
{
	text_str(out, name);
	text_add(out, "{", 1);
	text_pair(out, label, value);
}

static void
text_help(struct metrics_text *out, const char *name, const char *type,
    const char *help)
{
	text_str(out, "# HELP ");
	text_str(out, name);
	text_add(out, " ", 1);
	text_str(out, help);
	text_str(out, "\n# TYPE ");
	text_str(out, name);
	text_add(out, " ", 1);
	text_str(out, type);
	text_add(out, "\n", 1);
}

/* A histogram's series, with labels (", task=..." or empty) in each. */
static void
text_histogram(struct metrics_text *out, const char *name, const char *label,
    const char *value, const uint32_t *per, const char *const *le, size_t n,
    double sum)
{
	uint64_t total = 0;
	size_t i;

	for (i = 0; i <= n; i++) {
		total += per[i];
		text_str(out, name);
		text_str(out, "_bucket{");
		if (label != NULL) {
			text_pair(out, label, value);
			text_add(out, ",", 1);
		}
		text_str(out, "le=\"");
		text_str(out, i < n ? le[i] : "+Inf");
		text_add(out, "\"} ", 3);
		text_u64(out, total);
		text_add(out, "\n", 1);
	}
	for (i = 0; i < 2; i++) {
		text_str(out, name);
		text_str(out, i == 0 ? "_sum" : "_count");
		if (label != NULL) {
			text_add(out, "{", 1);
			text_pair(out, label, value);
			text_add(out, "}", 1);
		}
		text_add(out, " ", 1);
		if (i == 0) {
			text_double(out, sum);
		} else {
			text_u64(out, total);
		}
		text_add(out, "\n", 1);
	}
}

/* The families: the whole daemon's first, then those with a task label. */

enum family {
	F_BUILD,
	F_START,
	F_RELOADS,
	F_LAST_RELOAD,
	F_NOTIFICATIONS,
	F_QUEUED,
	F_RUNNING,
	F_LATENESS,
	F_PAUSED, /* the first with a series per task */
	F_NEXT_FIRE,
	F_LAST_RUN,
	F_LAST_SUCCESS,
	F_LAST_STATUS,
	F_RUNS,
	F_DURATION,
	F_END
};

static const struct {
	const char *name, *type, *help;
} families[F_END] = {
	[F_BUILD] = { "taskweaver_build_info", "gauge",
	    "The version of twd running, as a label; always 1." },
	[F_START] = { "taskweaver_start_time_seconds", "gauge",
	    "When twd started, in seconds since the epoch." },
	[F_RELOADS] = { "taskweaver_config_reloads_total", "counter",
	    "Loads of the tasks file that were made the running schedule "
	    "(result=ok) or refused (result=failed)." },
	[F_LAST_RELOAD] = { "taskweaver_config_last_reload_success_timestamp_"
	                    "seconds",
	    "gauge", "When the running schedule was loaded." },
	[F_NOTIFICATIONS] = { "taskweaver_notifications_total", "counter",
	    "Notifications by notifier and result (sent or failed)." },
	[F_QUEUED] = { "taskweaver_queued_runs", "gauge",
	    "Runs waiting to start, by queue ((none): no queue)." },
	[F_RUNNING] = { "taskweaver_running_runs", "gauge",
	    "Runs in flight, by executor (local: this machine)." },
	[F_LATENESS] = { "taskweaver_schedule_lateness_seconds", "histogram",
	    "From a scheduled fire's time to its run's start." },
	[F_PAUSED] = { "taskweaver_paused", "gauge",
	    "Whether the task is paused (1) or not (0)." },
	[F_NEXT_FIRE] = { "taskweaver_next_fire_timestamp_seconds", "gauge",
	    "When the task runs next, in seconds since the epoch." },
	[F_LAST_RUN] = { "taskweaver_last_run_timestamp_seconds", "gauge",
	    "When the task's newest run that started started." },
	[F_LAST_SUCCESS] = { "taskweaver_last_success_timestamp_seconds",
	    "gauge", "When the task's newest successful run ended." },
	[F_LAST_STATUS] = { "taskweaver_last_status", "gauge",
	    "How the task's newest run ended: 1 for its status, 0 for the "
	    "others." },
	[F_RUNS] = { "taskweaver_runs_total", "counter",
	    "Runs ended since twd started, by status; submitted jobs "
	    "without a name under task=\"(submitted)\"." },
	[F_DURATION] = { "taskweaver_run_duration_seconds", "histogram",
	    "How long the runs that started ran." },
};

struct metrics_writer {
	struct metrics_globals g;
	enum family f;
	int begun;    /* its HELP and TYPE are written */
	int in_subs;  /* among the submitted jobs' counts, after the tasks */
	int resuming; /* after the task called resume */
	char resume[TASK_NAME_MAX + 16];
};

struct metrics_writer *
metrics_writer_new(const struct metrics_globals *g)
{
	struct metrics_writer *w = xcalloc(1, sizeof *w);

	w->g = *g;
	json_incref(w->g.notifiers);
	return w;
}

void
metrics_writer_free(struct metrics_writer *w)
{
	if (w == NULL) {
		return;
	}
	json_decref(w->g.notifiers);
	free(w);
}

static void
write_counter2(struct metrics_text *out, const char *name, const char *l1,
    const char *v1, const char *l2, const char *v2, uint64_t n)
{
	text_series(out, name, l1, v1);
	text_add(out, ",", 1);
	text_pair(out, l2, v2);
	text_add(out, "} ", 2);
	text_u64(out, n);
	text_add(out, "\n", 1);
}

/* NAME{label="value"} n */
static void
write_sample(struct metrics_text *out, const char *name, const char *label,
    const char *value, uint64_t n)
{
	text_series(out, name, label, value);
	text_add(out, "} ", 2);
	text_u64(out, n);
	text_add(out, "\n", 1);
}

/* Runs waiting, by queue: each of the config's, and (none). */
static void
write_queued(struct tasks *ts, struct metrics_text *out)
{
	const struct config *c = ts->config;
	size_t n = c != NULL ? c->nqueues : 0, i;
	uint64_t *per = xcalloc(n + 1, sizeof *per);
	struct active_run *ar;
	struct task *t;
	int q;

	TAILQ_FOREACH(ar, &ts->queued, entry)
	{
		t = active_task(ts, ar);
		q = t != NULL ? t->def->policy->queue : -1;
		per[q >= 0 && (size_t)q < n ? (size_t)q : n]++;
	}
	for (i = 0; i < n; i++) {
		write_sample(out, families[F_QUEUED].name, "queue",
		    c->queues[i].name, per[i]);
	}
	write_sample(out, families[F_QUEUED].name, "queue", "(none)", per[n]);
	free(per);
}

/* Runs in flight, by executor: local, and each of the config's. */
static void
write_running(struct tasks *ts, struct metrics_text *out)
{
	const struct config *c = ts->config;
	size_t n = c != NULL ? c->nexecutors : 0, i;
	uint64_t *per = xcalloc(n + 1, sizeof *per);
	struct active_run *ar;

	TAILQ_FOREACH(ar, &ts->runs, entry)
	{
		for (i = 0; ar->executor != NULL && i < n &&
		     strcmp(c->executors[i].name, ar->executor) != 0;
		     i++) {
		}
		/* local: n; an executor gone with a reload: not counted. */
		if (ar->executor == NULL) {
			per[n]++;
		} else if (i < n) {
			per[i]++;
		}
	}
	write_sample(
	    out, families[F_RUNNING].name, "executor", "local", per[n]);
	for (i = 0; i < n; i++) {
		write_sample(out, families[F_RUNNING].name, "executor",
		    c->executors[i].name, per[i]);
	}
	free(per);
}

/* A family of the whole daemon. */
static void
write_global(struct metrics_writer *w, struct tasks *ts, enum family f,
    struct metrics_text *out)
{
	const char *name = families[f].name;
	json_t *n;
	size_t i;

	switch (f) {
	case F_BUILD:
		text_series(out, name, "version", TW_VERSION);
		text_add(out, "} 1\n", 4);
		break;
	case F_START:
		text_str(out, name);
		text_add(out, " ", 1);
		text_ms(out, w->g.start_ms);
		text_add(out, "\n", 1);
		break;
	case F_RELOADS:
		write_sample(out, name, "result", "ok", w->g.reloads_ok);
		write_sample(
		    out, name, "result", "failed", w->g.reloads_failed);
		break;
	case F_LAST_RELOAD:
		if (w->g.last_reload_ok_ms > 0) {
			text_str(out, name);
			text_add(out, " ", 1);
			text_ms(out, w->g.last_reload_ok_ms);
			text_add(out, "\n", 1);
		}
		break;
	case F_NOTIFICATIONS:
		json_array_foreach(w->g.notifiers, i, n)
		{
			write_counter2(out, name, "notifier",
			    json_string_value(json_object_get(n, "name")),
			    "result", "sent",
			    (uint64_t)json_integer_value(
			        json_object_get(n, "sent")));
			write_counter2(out, name, "notifier",
			    json_string_value(json_object_get(n, "name")),
			    "result", "failed",
			    (uint64_t)json_integer_value(
			        json_object_get(n, "failed")));
		}
		break;
	case F_QUEUED:
		write_queued(ts, out);
		break;
	case F_RUNNING:
		write_running(ts, out);
		break;
	case F_LATENESS:
		text_histogram(out, name, NULL, NULL, ts->lateness,
		    lateness_text, METRICS_LATENESS_BUCKETS, ts->lateness_sum);
		break;
	default:
		break;
	}
}

/* Whether a record is of a run that ended. */
static int
record_ended(const struct run_record *r)
{
	return r != NULL && r->status != RUN_RUNNING && r->status != RUN_QUEUED;
}

/*
 * The series of family f for one name: a file's task (t) or submitted
 * jobs' counts (c alone). Returns how many it wrote.
 */
static size_t
write_task(enum family f, const char *name, const struct task *t,
    const struct run_counts *c, struct metrics_text *out)
{
	const char *fam = families[f].name;
	int64_t ms = 0;
	size_t i;
	int status;

	switch (f) {
	case F_PAUSED:
		if (t == NULL) {
			return 0;
		}
		text_series(out, fam, "task", name);
		text_add(out, t->paused ? "} 1\n" : "} 0\n", 4);
		return 1;
	case F_NEXT_FIRE:
		ms = t != NULL ? t->next_ms : 0;
		break;
	case F_LAST_RUN:
		if (c != NULL && c->last_start_ms > 0) {
			ms = c->last_start_ms;
		} else if (t != NULL && record_ended(t->last) &&
		    t->last->pid > 0) {
			ms = t->last->started_ms;
		}
		break;
	case F_LAST_SUCCESS:
		ms = t != NULL ? t->last_ok_ms : 0;
		break;
	case F_LAST_STATUS:
		if (c != NULL) {
			status = c->last_status;
		} else if (t != NULL && record_ended(t->last)) {
			status = (int)t->last->status;
		} else {
			return 0;
		}
		for (i = 0; i < NENDED; i++) {
			write_counter2(out, fam, "task", name, "status",
			    run_status_name(ended[i]), (int)ended[i] == status);
		}
		return NENDED;
	case F_RUNS:
		if (c == NULL) {
			return 0;
		}
		for (i = 0; i < NENDED; i++) {
			write_counter2(out, fam, "task", name, "status",
			    run_status_name(ended[i]), c->status[ended[i]]);
		}
		return NENDED;
	case F_DURATION:
		if (c == NULL) {
			return 0;
		}
		text_histogram(out, fam, "task", name, c->duration,
		    duration_text, METRICS_DURATION_BUCKETS, c->duration_sum);
		return METRICS_DURATION_BUCKETS + 3;
	default:
		return 0;
	}
	if (ms <= 0) {
		return 0;
	}
	text_series(out, fam, "task", name);
	text_add(out, "} ", 2);
	text_ms(out, ms);
	text_add(out, "\n", 1);
	return 1;
}

/* The index of the first task named after name (all: 0). */
static size_t
tasks_after_name(struct tasks *ts, const char *name)
{
	size_t lo = 0, hi = ts->ntasks, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (strcmp(ts->tasks[mid]->def->name, name) <= 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

static size_t
subs_after_name(struct tasks *ts, const char *name)
{
	size_t lo = 0, hi = ts->nsubs, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (strcmp(ts->subs[mid].name, name) <= 0) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

/* Resume after name (a pause between slices). */
static void
writer_pause_after(struct metrics_writer *w, const char *name)
{
	size_t n = strlen(name);

	if (n >= sizeof w->resume) {
		n = sizeof w->resume - 1;
	}
	memcpy(w->resume, name, n);
	w->resume[n] = '\0';
	w->resuming = 1;
}

/* Write family f's series from where w stopped; 1 when done with it. */
static int
write_family(struct metrics_writer *w, struct tasks *ts,
    struct metrics_text *out, size_t *budget)
{
	const char *name;
	struct task *t;
	size_t i, from;

	if (!w->in_subs) {
		from = i = w->resuming ? tasks_after_name(ts, w->resume) : 0;
		for (; i < ts->ntasks; i++) {
			if (*budget == 0) {
				if (i > from) {
					writer_pause_after(
					    w, ts->tasks[i - 1]->def->name);
				}
				return 0;
			}
			t = ts->tasks[i];
			*budget -= write_task(w->f, t->def->name, t, t->counts,
			               out) > 0;
		}
		w->in_subs = 1;
		w->resuming = 0;
	}
	from = i = w->resuming ? subs_after_name(ts, w->resume) : 0;
	for (; i < ts->nsubs; i++) {
		if (*budget == 0) {
			if (i > from) {
				writer_pause_after(w, ts->subs[i - 1].name);
			}
			return 0;
		}
		name = ts->subs[i].name;
		/* A task of the file now has the name: its series are its. */
		if (tasks_find(ts, name) == NULL) {
			*budget -= write_task(w->f, name, NULL, &ts->subs[i].c,
			               out) > 0;
		}
	}
	w->in_subs = 0;
	w->resuming = 0;
	return 1;
}

int
metrics_write(struct metrics_writer *w, struct tasks *ts,
    struct metrics_text *out, size_t budget)
{
	if (budget == 0) {
		budget = 1;
	}
	text_reserve(out, 1);
	out->s[out->len] = '\0';
	while (w->f < F_END) {
		if (!w->begun) {
			text_help(out, families[w->f].name, families[w->f].type,
			    families[w->f].help);
			w->begun = 1;
		}
		if (w->f < F_PAUSED) {
			write_global(w, ts, w->f, out);
		} else if (!write_family(w, ts, out, &budget)) {
			return 0;
		}
		w->f++;
		w->begun = 0;
	}
	return 1;
}

void
metrics_write_all(
    const struct metrics_globals *g, struct tasks *ts, struct metrics_text *out)
{
	struct metrics_writer *w = metrics_writer_new(g);

	while (!metrics_write(w, ts, out, SIZE_MAX)) {
	}
	metrics_writer_free(w);
}
