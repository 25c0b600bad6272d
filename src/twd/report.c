/*
 * Reports. One pass over the runs of the span, in the order they started
 * (the runs_started index gives them so, with no sort), into a table of
 * tasks by name: counts, durations and latenesses for percentiles, the
 * failure streaks, the newest runs for the charts, and runs per day.
 * Submitted jobs are one row, "(submitted)", as in the metrics.
 */
#include <limits.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hash.h"
#include "report.h"
#include "run.h"
#include "timefmt.h"
#include "xmalloc.h"

#define SUBMITTED "(submitted)"
/* Days a report spans at most (ten years). */
#define REPORT_MAX_DAYS 3660

struct ints {
	int64_t *v;
	size_t n, cap;
};

struct point {
	int64_t at_ms, duration_ms;
	int status;
};

/* One task's runs of the span. */
struct acc {
	char *name;
	uint64_t hash;
	int64_t by_status[RUN_STATUS_COUNT];
	struct ints durations, lateness;
	int64_t cpu_sum, cpu_max, ncpu, rss_max;
	int64_t streak, longest;
	struct point *recent; /* a ring of the newest, up to the query's */
	size_t nrecent, reccap, head;
};

struct report {
	struct acc **slots; /* open addressing by name */
	size_t nslots, n;
	struct acc total;
	int64_t (*days)[RUN_STATUS_COUNT];
	size_t ndays;
	int64_t first_day_ms; /* local midnight of since */
	/* The local day of the last row, to skip most localtime_r calls. */
	int64_t day_start, day_end;
	size_t day_index;
};

static void
ints_add(struct ints *l, int64_t v)
{
	if (l->n == l->cap) {
		l->cap = l->cap == 0 ? 16 : l->cap * 2;
		l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
	}
	l->v[l->n++] = v;
}

/*
 * Put the k-th smallest of v[0..n) at v[k], the smaller before it and the
 * larger after (Hoare's selection): percentiles without a whole sort.
 */
static void
select_kth(int64_t *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1, i, j;
	int64_t pivot, t;

	while (lo < hi) {
		pivot = v[lo + (hi - lo) / 2];
		i = lo;
		j = hi;
		while (i <= j) {
			while (v[i] < pivot) {
				i++;
			}
			while (v[j] > pivot) {
				j--;
			}
			if (i <= j) {
				t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				if (j == 0) {
					break;
				}
				j--;
			}
		}
		if (k <= j) {
			hi = j;
		} else if (k >= i) {
			lo = i;
		} else {
			return;
		}
	}
}

/* The nearest-rank percentile p (0-100) of l; reorders it. */
static int64_t
ints_pct(struct ints *l, int p)
{
	size_t k = (l->n * (size_t)p + 99) / 100;

	k = k > 0 ? k - 1 : 0;
	select_kth(l->v, l->n, k);
	return l->v[k];
}

static int64_t
ints_max(const struct ints *l)
{
	int64_t m = l->v[0];
	size_t i;

	for (i = 1; i < l->n; i++) {
		m = l->v[i] > m ? l->v[i] : m;
	}
	return m;
}

static struct acc *
report_acc(struct report *r, const char *name)
{
	uint64_t h = hash_str(HASH_START, name);
	struct acc **old, *a;
	size_t i, j, n;

	if (r->n * 2 >= r->nslots) {
		old = r->slots;
		n = r->nslots;
		r->nslots = n == 0 ? 64 : n * 2;
		r->slots = xcalloc(r->nslots, sizeof *r->slots);
		for (i = 0; i < n; i++) {
			if ((a = old[i]) == NULL) {
				continue;
			}
			j = a->hash & (r->nslots - 1);
			while (r->slots[j] != NULL) {
				j = (j + 1) & (r->nslots - 1);
			}
			r->slots[j] = a;
		}
		free(old);
	}
	for (i = h & (r->nslots - 1); (a = r->slots[i]) != NULL;
	     i = (i + 1) & (r->nslots - 1)) {
		if (a->hash == h && strcmp(a->name, name) == 0) {
			return a;
		}
	}
	a = r->slots[i] = xcalloc(1, sizeof *a);
	a->name = xstrdup(name);
	a->hash = h;
	r->n++;
	return a;
}

/* The index of the local day of ms since the first, or -1 out of span. */
static long
report_day(struct report *r, int64_t ms)
{
	struct tm tm;
	time_t t;

	if (ms >= r->day_start && ms < r->day_end) {
		return (long)r->day_index;
	}
	t = (time_t)(ms / 1000);
	localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	r->day_start = (int64_t)mktime(&tm) * 1000;
	tm.tm_mday++;
	tm.tm_isdst = -1;
	r->day_end = (int64_t)mktime(&tm) * 1000;
	/* Days of 23 or 25 hours: rounded, the count is right. */
	r->day_index =
	    (size_t)((r->day_start - r->first_day_ms + 43200000) / 86400000);
	if (r->day_index >= r->ndays) {
		r->day_start = r->day_end = 0;
		return -1;
	}
	return (long)r->day_index;
}

static int
status_ran(int status)
{
	return status != RUN_SKIPPED && status != RUN_RUNNING &&
	    status != RUN_QUEUED;
}

/* One run into an accumulator. */
static void
acc_add(struct acc *a, int status, int64_t started, int64_t lateness,
    int64_t duration, int64_t cpu, int64_t rss, size_t recent)
{
	struct point *p;

	a->by_status[status]++;
	if (!status_ran(status)) {
		return;
	}
	if (status == RUN_OK) {
		a->streak = 0;
	} else if (++a->streak > a->longest) {
		a->longest = a->streak;
	}
	if (duration >= 0) {
		ints_add(&a->durations, duration);
	}
	if (lateness >= 0) {
		ints_add(&a->lateness, lateness);
	}
	if (cpu >= 0) {
		a->cpu_sum += cpu;
		a->ncpu++;
		if (cpu > a->cpu_max) {
			a->cpu_max = cpu;
		}
	}
	if (rss > a->rss_max) {
		a->rss_max = rss;
	}
	if (recent == 0) {
		return;
	}
	if (a->nrecent < recent) {
		if (a->nrecent == a->reccap) {
			a->reccap = a->reccap == 0 ? 4 : a->reccap * 2;
			if (a->reccap > recent) {
				a->reccap = recent;
			}
			a->recent = xreallocarray(
			    a->recent, a->reccap, sizeof *a->recent);
		}
		p = &a->recent[a->nrecent++];
	} else {
		p = &a->recent[a->head];
		a->head = (a->head + 1) % recent;
	}
	p->at_ms = started;
	p->duration_ms = duration;
	p->status = status;
}

static json_t *
by_status_json(const int64_t *by)
{
	static const enum run_status ended[] = { RUN_OK, RUN_FAILED,
		RUN_TIMEOUT, RUN_KILLED, RUN_START_FAILED, RUN_LOST,
		RUN_SKIPPED, RUN_OOM };
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < sizeof ended / sizeof ended[0]; i++) {
		json_object_set_new(o, run_status_name(ended[i]),
		    json_integer((json_int_t)by[ended[i]]));
	}
	return o;
}

/* The figures of an accumulator; its lists are sorted here. */
static json_t *
acc_json(struct acc *a, int with_recent)
{
	int64_t runs = 0, ran = 0;
	json_t *o, *recent;
	char at[40];
	size_t i;
	int s;

	for (s = 0; s < RUN_STATUS_COUNT; s++) {
		runs += a->by_status[s];
		ran += status_ran(s) ? a->by_status[s] : 0;
	}
	o = json_object();
	if (a->name != NULL) {
		json_object_set_new(o, "task", json_string(a->name));
	}
	json_object_set_new(o, "runs", json_integer((json_int_t)runs));
	json_object_set_new(o, "by_status", by_status_json(a->by_status));
	json_object_set_new(o, "failures",
	    json_integer((json_int_t)(ran - a->by_status[RUN_OK])));
	json_object_set_new(o, "success_rate",
	    ran > 0 ? json_real((double)a->by_status[RUN_OK] / (double)ran)
	            : json_null());
	json_object_set_new(o, "duration_ms",
	    a->durations.n == 0
	        ? json_null()
	        : json_pack("{s:I, s:I, s:I}", "p50",
	              (json_int_t)ints_pct(&a->durations, 50), "p95",
	              (json_int_t)ints_pct(&a->durations, 95), "max",
	              (json_int_t)ints_max(&a->durations)));
	json_object_set_new(o, "cpu_ms",
	    a->ncpu == 0 ? json_null()
	                 : json_pack("{s:I, s:I}", "mean",
	                       (json_int_t)(a->cpu_sum / a->ncpu), "max",
	                       (json_int_t)a->cpu_max));
	json_object_set_new(o, "max_rss_kb",
	    a->rss_max > 0 ? json_integer((json_int_t)a->rss_max)
	                   : json_null());
	json_object_set_new(o, "lateness_ms",
	    a->lateness.n == 0
	        ? json_null()
	        : json_pack("{s:I, s:I}", "p50",
	              (json_int_t)ints_pct(&a->lateness, 50), "p95",
	              (json_int_t)ints_pct(&a->lateness, 95)));
	json_object_set_new(
	    o, "longest_failure_streak", json_integer((json_int_t)a->longest));
	if (!with_recent) {
		return o;
	}
	recent = json_array();
	for (i = 0; i < a->nrecent; i++) {
		const struct point *p = &a->recent[(a->head + i) % a->nrecent];

		json_array_append_new(recent,
		    json_pack("{s:s, s:o, s:s}", "at",
		        timefmt_iso(p->at_ms, at, sizeof at), "duration_ms",
		        p->duration_ms >= 0
		            ? json_integer((json_int_t)p->duration_ms)
		            : json_null(),
		        "status", run_status_name((enum run_status)p->status)));
	}
	json_object_set_new(o, "recent", recent);
	return o;
}

static void
acc_free(struct acc *a)
{
	free(a->name);
	free(a->durations.v);
	free(a->lateness.v);
	free(a->recent);
}

static int
acc_order(const void *x, const void *y)
{
	const json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
	json_int_t fa = json_integer_value(json_object_get(a, "failures"));
	json_int_t fb = json_integer_value(json_object_get(b, "failures"));

	if (fa != fb) {
		return fa > fb ? -1 : 1;
	}
	return strcmp(json_string_value(json_object_get(a, "task")),
	    json_string_value(json_object_get(b, "task")));
}

static int
task_wanted(const struct report_query *q, const char *name)
{
	size_t i;

	if (q->tasks == NULL) {
		return 1;
	}
	for (i = 0; q->tasks[i] != NULL; i++) {
		if (strcmp(q->tasks[i], name) == 0) {
			return 1;
		}
	}
	return 0;
}

static sqlite3 *
report_open(const char *path, char **cause)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db,
	        SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
	        NULL) != SQLITE_OK) {
		*cause = xasprintf("history: cannot open %s: %s", path,
		    db != NULL ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 5000);
	return db;
}

/* The rows of the span into r: 0, or -1 with *cause. */
static int
report_scan(
    struct report *r, sqlite3 *db, const struct report_query *q, char **cause)
{
	static const char sql[] =
	    "SELECT task, trigger, status, scheduled_at, started_at, "
	    "duration_ms, cpu_user_ms + cpu_sys_ms, max_rss_kb FROM runs "
	    "WHERE started_at >= ?1 AND started_at < ?2 "
	    "AND status NOT IN ('running', 'queued') ORDER BY started_at";
	enum run_status status;
	const char *task, *trigger;
	int64_t started, late, dur, cpu, rss;
	sqlite3_stmt *st;
	struct acc *a;
	long day;
	int rc, submitted;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		*cause = xasprintf("history: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, q->since_ms);
	sqlite3_bind_int64(st, 2, q->until_ms);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		task = (const char *)sqlite3_column_text(st, 0);
		trigger = (const char *)sqlite3_column_text(st, 1);
		if (task == NULL || trigger == NULL ||
		    run_status_parse((const char *)sqlite3_column_text(st, 2),
		        &status) == -1) {
			continue;
		}
		submitted = strcmp(trigger, "submit") == 0;
		if (submitted) {
			task = SUBMITTED;
		}
		if (!task_wanted(q, task)) {
			continue;
		}
		started = sqlite3_column_int64(st, 4);
		late = strcmp(trigger, "schedule") == 0 &&
		        sqlite3_column_type(st, 3) != SQLITE_NULL
		    ? started - sqlite3_column_int64(st, 3)
		    : -1;
		if (late < -1) {
			late = 0;
		}
		dur = sqlite3_column_type(st, 5) == SQLITE_NULL
		    ? -1
		    : sqlite3_column_int64(st, 5);
		cpu = sqlite3_column_type(st, 6) == SQLITE_NULL
		    ? -1
		    : sqlite3_column_int64(st, 6);
		rss = sqlite3_column_int64(st, 7);
		a = report_acc(r, task);
		acc_add(a, (int)status, started, late, dur, cpu, rss,
		    (size_t)q->recent);
		acc_add(
		    &r->total, (int)status, started, late, dur, cpu, rss, 0);
		if ((day = report_day(r, started)) >= 0) {
			r->days[day][status]++;
		}
	}
	if (rc != SQLITE_DONE) {
		*cause = xasprintf("history: %s", sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Local midnight of the day of ms. */
static int64_t
local_midnight(int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000;
}

static json_t *
report_days(struct report *r)
{
	json_t *days = json_array();
	struct tm tm;
	time_t t;
	char day[16];
	size_t i;

	for (i = 0; i < r->ndays; i++) {
		/* Noon of the day: clear of DST's hour either way. */
		t = (time_t)((r->first_day_ms + (int64_t)i * 86400000 +
		                 43200000) /
		    1000);
		localtime_r(&t, &tm);
		strftime(day, sizeof day, "%Y-%m-%d", &tm);
		json_array_append_new(days,
		    json_pack("{s:s, s:o}", "day", day, "by_status",
		        by_status_json(r->days[i])));
	}
	return days;
}

json_t *
report_build(const char *path, const struct report_query *q, char **cause)
{
	struct report r;
	json_t *tasks, *out = NULL, **rows;
	char since[40], until[40];
	sqlite3 *db;
	size_t i, n = 0;

	if ((db = report_open(path, cause)) == NULL) {
		return NULL;
	}
	memset(&r, 0, sizeof r);
	r.first_day_ms = local_midnight(q->since_ms);
	r.ndays = (size_t)((q->until_ms - r.first_day_ms) / 86400000) + 1;
	if (r.ndays > REPORT_MAX_DAYS) {
		r.ndays = REPORT_MAX_DAYS;
	}
	r.days = xcalloc(r.ndays, sizeof *r.days);
	if (report_scan(&r, db, q, cause) == 0) {
		rows = xcalloc(r.n + 1, sizeof *rows);
		/* In all: the longest streak of a task, not of all mixed. */
		r.total.longest = 0;
		for (i = 0; i < r.nslots; i++) {
			if (r.slots[i] != NULL) {
				if (r.slots[i]->longest > r.total.longest) {
					r.total.longest = r.slots[i]->longest;
				}
				rows[n++] = acc_json(r.slots[i], 1);
			}
		}
		qsort(rows, n, sizeof *rows, acc_order);
		tasks = json_array();
		for (i = 0; i < n; i++) {
			json_array_append_new(tasks, rows[i]);
		}
		free(rows);
		out = json_pack("{s:s, s:s, s:o, s:o, s:o}", "since",
		    timefmt_iso(q->since_ms, since, sizeof since), "until",
		    timefmt_iso(q->until_ms, until, sizeof until), "tasks",
		    tasks, "total", acc_json(&r.total, 0), "days",
		    report_days(&r));
		json_object_set_new(json_object_get(out, "total"), "tasks",
		    json_integer((json_int_t)n));
	}
	for (i = 0; i < r.nslots; i++) {
		if (r.slots[i] != NULL) {
			acc_free(r.slots[i]);
			free(r.slots[i]);
		}
	}
	free(r.slots);
	acc_free(&r.total);
	free(r.days);
	sqlite3_close(db);
	return out;
}

int
report_query_parse(
    json_t *args, int64_t now_ms, struct report_query *q, char **cause)
{
	json_t *v, *t;
	size_t i;

	memset(q, 0, sizeof *q);
	q->recent = REPORT_RECENT;
	q->until_ms = now_ms;
	q->since_ms = now_ms - 7 * INT64_C(86400000);
	if ((v = json_object_get(args, "since")) != NULL && !json_is_null(v)) {
		if (!json_is_string(v) ||
		    timefmt_parse_iso(json_string_value(v), &q->since_ms) ==
		        -1) {
			*cause = xstrdup("argument 'since' must be an RFC 3339 "
			                 "instant");
			return -1;
		}
	}
	if (q->since_ms >= q->until_ms) {
		*cause = xstrdup("argument 'since' must be in the past");
		return -1;
	}
	if (q->until_ms - q->since_ms > REPORT_MAX_DAYS * INT64_C(86400000)) {
		q->since_ms = q->until_ms - REPORT_MAX_DAYS * INT64_C(86400000);
	}
	if ((v = json_object_get(args, "recent")) != NULL && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > REPORT_RECENT_MAX) {
			*cause = xasprintf("argument 'recent' must be a whole "
			                   "number from 0 to %d",
			    REPORT_RECENT_MAX);
			return -1;
		}
		q->recent = (int)json_integer_value(v);
	}
	if ((v = json_object_get(args, "tasks")) != NULL && !json_is_null(v)) {
		if (!json_is_array(v)) {
			*cause = xstrdup("argument 'tasks' must be a list of "
			                 "task names");
			return -1;
		}
		q->tasks = xcalloc(json_array_size(v) + 1, sizeof *q->tasks);
		json_array_foreach(v, i, t)
		{
			if (!json_is_string(t)) {
				report_query_release(q);
				*cause = xstrdup("argument 'tasks' must be a "
				                 "list of task names");
				return -1;
			}
			q->tasks[i] = xstrdup(json_string_value(t));
		}
	}
	return 0;
}

void
report_query_release(struct report_query *q)
{
	size_t i;

	for (i = 0; q->tasks != NULL && q->tasks[i] != NULL; i++) {
		free(q->tasks[i]);
	}
	free(q->tasks);
	q->tasks = NULL;
}
