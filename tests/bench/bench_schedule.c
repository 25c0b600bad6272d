/*
 * Benchmarks of the schedule engine: the next-fire computation, against
 * the C library's own calendar arithmetic (timegm), and loading a tasks
 * file of many scheduled tasks, against libyaml parsing the same file.
 * Both sides run in the same process, so ratios hold on a noisy machine.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

#include "config.h"
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
	printf("%-44s %10.1f %10.1f %10.1f %-3s %8.2fx\n", name, s.median, s.min,
	    s.max, unit, s.median / base.median);
	fprintf(json,
	    "%s\n  {\"name\": \"%s\", \"unit\": \"%s\", \"median\": %.1f, "
	    "\"min\": %.1f, \"max\": %.1f, \"ratio\": %.3f}",
	    *first ? "" : ",", name, unit, s.median, s.min, s.max,
	    s.median / base.median);
	*first = 0;
}

static char *
write_tasks(int n)
{
	static char path[] = "/tmp/tw-bench-XXXXXX";
	static const char *const rules[] = { "*/5 * * * *", "30 2 * * *",
		"0 9 * * MON-FRI", "15 */4 1,15 * *", "@daily", "0 0 L * *" };
	FILE *fp;
	int fd, i;

	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		perror("mkstemp");
		exit(1);
	}
	fprintf(fp, "defaults:\n  timezone: Europe/Berlin\ntasks:\n");
	for (i = 0; i < n; i++) {
		fprintf(fp, "  task-%d:\n    command: echo %d\n    schedule: \"%s\"\n",
		    i, i, rules[i % 6]);
	}
	fclose(fp);
	return path;
}

/* ms to parse path with libyaml into a document, and nothing else. */
static struct stats
bench_parse(const char *path, int reps)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	double v[REPEAT], t0;
	FILE *fp;
	int r;

	for (r = 0; r < reps; r++) {
		fp = fopen(path, "r");
		t0 = now_ns();
		yaml_parser_initialize(&parser);
		yaml_parser_set_input_file(&parser, fp);
		if (!yaml_parser_load(&parser, &doc)) {
			fprintf(stderr, "libyaml: %s\n", parser.problem);
			exit(1);
		}
		yaml_document_delete(&doc);
		yaml_parser_delete(&parser);
		v[r] = (now_ns() - t0) / 1e6;
		fclose(fp);
	}
	return summarize(v, reps);
}

/* ms to load and check path into task definitions, zones included. */
static struct stats
bench_load(const char *path, int reps, int ntasks)
{
	struct config_errors errs = { NULL, 0 };
	struct config *c;
	double v[REPEAT], t0;
	int r;

	for (r = 0; r < reps; r++) {
		t0 = now_ns();
		if ((c = config_load(path, &errs)) == NULL ||
		    (int)c->ntasks != ntasks) {
			fprintf(stderr, "bench: the generated file did not load\n");
			exit(1);
		}
		v[r] = (now_ns() - t0) / 1e6;
		config_free(c);
	}
	return summarize(v, reps);
}

int
main(int argc, char **argv)
{
	static const char *const exprs[] = { "*/5 * * * *", "30 2 * * *",
		"0 9 * * MON-FRI", "0 0 29 2 *", "*/10 * * * * *" };
	int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	long iters = quick ? 200 : 200000;
	int ntasks = quick ? 60 : 100000, i, first = 1;
	struct stats base, s;
	struct schedule *sch;
	struct tz *ny;
	char name[80], *cause = NULL, *path;
	const char *out = getenv("TW_BENCH_JSON");
	FILE *json = fopen(out != NULL ? out : "/dev/null", "w");

	if (json == NULL || (ny = tz_load("America/New_York", &cause)) == NULL) {
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
		sch = schedule_cron(exprs[i], &cause);
		snprintf(name, sizeof name, "next fire, UTC: %s", exprs[i]);
		s = bench_next(sch, exprs[i][0] == '0' && exprs[i][4] == '2' ?
			iters / 100 + 1 : iters);
		row(json, name, "ns", s, base, &first);
		schedule_set_tz(sch, ny);
		snprintf(name, sizeof name, "next fire, New York: %s", exprs[i]);
		s = bench_next(sch, exprs[i][0] == '0' && exprs[i][4] == '2' ?
			iters / 100 + 1 : iters);
		row(json, name, "ns", s, base, &first);
		schedule_free(sch);
	}

	path = write_tasks(ntasks);
	printf("\n%-44s %10s %10s %10s %-3s %9s\n", "loading a tasks file", "median",
	    "min", "max", "", "ratio");
	base = bench_parse(path, quick ? 1 : REPEAT);
	snprintf(name, sizeof name, "baseline: libyaml parse, %d tasks", ntasks);
	row(json, name, "ms", base, base, &first);
	s = bench_load(path, quick ? 1 : REPEAT, ntasks);
	snprintf(name, sizeof name, "config_load, %d cron tasks", ntasks);
	row(json, name, "ms", s, base, &first);
	unlink(path);
	fprintf(json, "\n]\n");
	fclose(json);
	tz_free(ny);
	return 0;
}
