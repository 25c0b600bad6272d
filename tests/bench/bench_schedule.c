/*
 * Benchmarks in one process: the next-fire computation of 20 typical rules,
 * against the C library's own calendar arithmetic (timegm), both in the
 * same process so that ratios hold on a noisy machine; and the cost of
 * recording a run in the history database. (Loading a tasks file is
 * measured on the daemon itself, by bench_daemon.py.)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "history.h"
#include "xmalloc.h"
#include "schedule.h"
#include "tz.h"

#define REPEAT 5

struct stats {
	double median, min, max;
};

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static struct stats
summarize(double *v, int n)
{
	struct stats s;

	qsort(v, (size_t)n, sizeof *v, cmp_double);
	s.median = v[n / 2];
	s.min = v[0];
	s.max = v[n - 1];
	return s;
}

/* Keeps results alive so the compiler cannot drop the work. */
static volatile int64_t sink;

/* ns per timegm() of a day-by-day walk: the floor of calendar work. */
static struct stats
bench_timegm(long iters)
{
	double v[REPEAT], t0;
	struct tm tm;
	long i;
	int r;

	for (r = 0; r < REPEAT; r++) {
		memset(&tm, 0, sizeof tm);
		tm.tm_year = 126;
		t0 = now_ns();
		for (i = 0; i < iters; i++) {
			tm.tm_mday = 1 + (int)(i % 28);
			tm.tm_min = (int)(i % 60);
			sink += timegm(&tm);
		}
		v[r] = (now_ns() - t0) / (double)iters;
	}
	return summarize(v, REPEAT);
}

/* ns per schedule_next, walking forward fire after fire. */
static struct stats
bench_next(const struct schedule *s, long iters)
{
	double v[REPEAT], t0;
	int64_t at;
	long i;
	int r;

	for (r = 0; r < REPEAT; r++) {
		at = INT64_C(1767225600000); /* 2026-01-01 */
		t0 = now_ns();
		for (i = 0; i < iters; i++) {
			at = schedule_next(s, 0, at);
		}
		v[r] = (now_ns() - t0) / (double)iters;
		sink += at;
	}
	return summarize(v, REPEAT);
}

static void
row(FILE *json, const char *name, const char *unit, struct stats s,
    struct stats base, int *first)
{
	printf("%-44s %10.1f %10.1f %10.1f %-3s %8.2fx\n", name, s.median,
	    s.min, s.max, unit, s.median / base.median);
	fprintf(json,
	    "%s\n  {\"name\": \"%s\", \"unit\": \"%s\", \"median\": %.1f, "
	    "\"min\": %.1f, \"max\": %.1f, \"ratio\": %.3f}",
	    *first ? "" : ",", name, unit, s.median, s.min, s.max,
	    s.median / base.median);
	*first = 0;
}

/* The checkpoint, when one is due: twd's comes a moment later, as much work. */
static void
checkpoint_now(void *arg)
{
	char *cause = NULL;

	if (history_checkpoint(arg, &cause) == -1) {
		fprintf(stderr, "bench: %s\n", cause);
		exit(1);
	}
}

/*
 * us per run recorded as the daemon records a fire on an idle loop:
 * inserted as queued and updated as started in one commit, updated when it
 * ends in another; the log's checkpoints (and their fsync) included. (Under
 * load twd commits more runs at a time, so this is the dearest case.)
 */
static struct stats
bench_record(int runs, int reps)
{
	char dir[] = "/tmp/tw-bench-db-XXXXXX", path[64], *cause = NULL;
	struct run_record rec;
	struct history *h;
	double v[REPEAT], t0;
	int r, i;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(path, sizeof path, "%s/twd.db", dir);
	if ((h = history_open(path, &cause)) == NULL) {
		fprintf(stderr, "bench: %s\n", cause);
		exit(1);
	}
	history_defer_checkpoints(h, checkpoint_now, h);
	for (r = 0; r < reps; r++) {
		t0 = now_ns();
		for (i = 0; i < runs; i++) {
			memset(&rec, 0, sizeof rec);
			rec.task = (char *)"bench";
			rec.trigger = RUN_TRIGGER_SCHEDULE;
			rec.scheduled_ms = rec.started_ms =
			    INT64_C(1767225600000) + i;
			rec.status = RUN_QUEUED;
			rec.exit_code = -1;
			rec.attempt = 1;
			rec.duration_ms = -1;
			/* As twd: queued and started in one commit, then
			 * the job's pid once it runs, then its end. */
			history_begin(h);
			history_put_run(h, &rec);
			rec.status = RUN_RUNNING;
			rec.log_path = (char *)"/tmp/logs/bench/1.log";
			history_put_run(h, &rec);
			if (history_commit(h, &cause) == -1) {
				break;
			}
			rec.pid = 4242;
			history_put_run(h, &rec);
			rec.status = RUN_OK;
			rec.exit_code = 0;
			rec.finished_ms = rec.started_ms + 5;
			rec.duration_ms = 5;
			history_put_run(h, &rec);
			if (history_failing(h) != NULL) {
				cause = xstrdup(history_failing(h));
				break;
			}
		}
		if (cause != NULL) {
			fprintf(stderr, "bench: %s\n", cause);
			exit(1);
		}
		v[r] = (now_ns() - t0) / 1e3 / runs;
	}
	history_close(h);
	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	if (system(path) != 0) {
		fprintf(stderr, "bench: cannot remove %s\n", dir);
	}
	return summarize(v, reps);
}

int
main(int argc, char **argv)
{
	static const char *const exprs[] = { "* * * * *", "*/5 * * * *",
		"*/15 * * * *", "0 * * * *", "30 2 * * *", "0 0 * * *",
		"0 9 * * MON-FRI", "0 9-17 * * 1-5", "0 0 * * 0", "0 0 1 * *",
		"0 0 L * *", "0 12 1,15 * *", "0 0 1 1 *", "0 0 29 2 *",
		"5 4 * * SUN", "0 22 * * 1-5", "*/10 * * * * *", "30 */2 * * *",
		"0 0 * * FRI#2", "@hourly" };
	int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	long iters = quick ? 200 : 200000, n;
	int i, first = 1;
	struct stats base, s;
	struct schedule *sch;
	struct tz *ny;
	char name[80], *cause = NULL;
	const char *out = getenv("TW_BENCH_JSON");
	FILE *json = fopen(out != NULL ? out : "/dev/null", "w");

	if (json == NULL ||
	    (ny = tz_load("America/New_York", &cause)) == NULL) {
		fprintf(stderr, "bench: cannot start: %s\n",
		    cause != NULL ? cause : "no JSON file");
		return 1;
	}
	fprintf(json, "[");
	printf("%-44s %10s %10s %10s %-3s %9s\n", "schedule engine", "median",
	    "min", "max", "", "ratio");
	base = bench_timegm(iters);
	row(json, "baseline: timegm() of one date", "ns", base, base, &first);
	for (i = 0; i < (int)(sizeof exprs / sizeof exprs[0]); i++) {
		if ((sch = schedule_cron(exprs[i], &cause)) == NULL) {
			fprintf(stderr, "bench: %s: %s\n", exprs[i], cause);
			return 1;
		}
		/* Rare rules walk far per fire: fewer of them. */
		n = strcmp(exprs[i], "0 0 29 2 *") == 0 ||
		        strcmp(exprs[i], "0 0 1 1 *") == 0
		    ? iters / 100 + 1
		    : iters;
		snprintf(name, sizeof name, "next fire, UTC: %s", exprs[i]);
		s = bench_next(sch, n);
		row(json, name, "ns", s, base, &first);
		schedule_set_tz(sch, ny);
		snprintf(
		    name, sizeof name, "next fire, New York: %s", exprs[i]);
		s = bench_next(sch, n);
		row(json, name, "ns", s, base, &first);
		schedule_free(sch);
	}

	printf("\n%-44s %10s %10s %10s %-3s\n", "history", "median", "min",
	    "max", "");
	s = bench_record(quick ? 10 : 2000, quick ? 1 : REPEAT);
	printf("%-44s %10.1f %10.1f %10.1f %-3s (target <= 150)\n",
	    "recording a run: 3 commits", s.median, s.min, s.max, "us");
	fprintf(json,
	    ",\n  {\"name\": \"recording a run\", \"unit\": \"us\", "
	    "\"median\": %.1f, \"min\": %.1f, \"max\": %.1f}",
	    s.median, s.min, s.max);
	fprintf(json, "\n]\n");
	fclose(json);
	tz_free(ny);
	return 0;
}
