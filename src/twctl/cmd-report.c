/*
 * twctl report: what the runs of a span did, per task: runs by status,
 * success rate, durations, CPU and memory, lateness, the longest failure
 * streak and a sparkline of the newest runs; as a table, JSON or one HTML
 * page. The daemon reads its history; when none runs (or --state-dir
 * says where), twd --report reads it, so twctl itself reads no database.
 */
#include <sys/wait.h>

#include <errno.h>
#include <langinfo.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "cmd.h"
#include "duration.h"
#include "output.h"
#include "paths.h"
#include "report-html.h"
#include "timefmt.h"
#include "xmalloc.h"

/* Runs the sparkline shows (the report's default), and the page charts. */
#define SPARK_RUNS  20
#define HTML_RECENT 200

static const struct option cmd_report_longopts[] = {
	{ "since", required_argument, NULL, 'S' },
	{ "format", required_argument, NULL, 'f' },
	{ "state-dir", required_argument, NULL, 'd' },
	{ NULL, 0, NULL, 0 },
};

/* Whether the state directory dir has a history database. */
static int
has_history(const char *dir)
{
	char *db = xasprintf("%s/twd.db", dir);
	int rc = access(db, F_OK) == 0;

	free(db);
	return rc;
}

/* twd --state-dir dir --report ARGS: its JSON, or NULL (it said why). */
static json_t *
report_direct(const char *dir, json_t *args)
{
	char prog[PATH_MAX], *text = json_dumps(args, JSON_COMPACT),
	                     *out = NULL;
	const char *path = cmd_sibling("twd", prog, sizeof prog);
	size_t len = 0, cap = 0;
	json_error_t jerr;
	json_t *data = NULL;
	int p[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe(p) == -1 || (pid = fork()) == -1) {
		fprintf(stderr, "twctl: report: %s\n", strerror(errno));
		free(text);
		return NULL;
	}
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		close(p[0]);
		close(p[1]);
		execlp(path, "twd", "--state-dir", dir, "--report", text,
		    (char *)NULL);
		fprintf(stderr, "twctl: cannot run %s: %s\n", path,
		    strerror(errno));
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		if (cap - len < 65536) {
			cap = cap == 0 ? 65536 : cap * 2;
			out = xreallocarray(out, cap, 1);
		}
		if ((n = read(p[0], out + len, cap - len - 1)) <= 0) {
			if (n == -1 && errno == EINTR) {
				continue;
			}
			break;
		}
		len += (size_t)n;
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR) {
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && out != NULL) {
		out[len] = '\0';
		if ((data = json_loads(out, 0, &jerr)) == NULL) {
			fprintf(stderr, "twctl: report: twd said no JSON: %s\n",
			    jerr.text);
		}
	}
	free(out);
	free(text);
	return data;
}

/* ▁▂▃▄▅▆▇█ by duration of the newest runs, ✗ for each that failed. */
static void
sparkline(const json_t *recent, char *buf, size_t len)
{
	static const char *const bars[] = { "▁", "▂", "▃", "▄", "▅", "▆", "▇",
		"█" };
	static const char ascii[] = "_.-=+*#@";
	size_t n = json_array_size(recent), i, from, off = 0;
	int utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	int64_t max = 0, d;
	const json_t *r;
	const char *s;
	char one[2];

	from = n > SPARK_RUNS ? n - SPARK_RUNS : 0;
	for (i = from; i < n; i++) {
		d = json_integer_value(
		    json_object_get(json_array_get(recent, i), "duration_ms"));
		max = d > max ? d : max;
	}
	buf[0] = '\0';
	for (i = from; i < n && off + 4 < len; i++) {
		r = json_array_get(recent, i);
		d = json_integer_value(json_object_get(r, "duration_ms"));
		if (strcmp(json_get_string(r, "status", ""), "ok") != 0) {
			s = utf8 ? "✗" : "x";
		} else {
			int k = max > 0 ? (int)(d * 7 / max) : 0;

			one[0] = ascii[k];
			one[1] = '\0';
			s = utf8 ? bars[k] : one;
		}
		off += (size_t)snprintf(buf + off, len - off, "%s", s);
	}
}

static const char *
ms_cell(const json_t *o, const char *key, char *buf, size_t len)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v)) {
		return "-";
	}
	return duration_format_ms(json_integer_value(v), buf, len);
}

static const char *
pair_cell(const json_t *o, const char *a, const char *b, char *buf, size_t len)
{
	char x[32], y[32];

	if (!json_is_object(o)) {
		return "-";
	}
	snprintf(buf, len, "%s/%s", ms_cell(o, a, x, sizeof x),
	    ms_cell(o, b, y, sizeof y));
	return buf;
}

static const char *
kb_cell(const json_t *v, char *buf, size_t len)
{
	double kb;

	if (!json_is_integer(v)) {
		return "-";
	}
	kb = (double)json_integer_value(v);
	if (kb >= 1024 * 1024) {
		snprintf(buf, len, "%.1fG", kb / (1024 * 1024));
	} else if (kb >= 1024) {
		snprintf(buf, len, "%.1fM", kb / 1024);
	} else {
		snprintf(buf, len, "%.0fK", kb);
	}
	return buf;
}

static void
report_row(struct table *t, const json_t *row, const char *name)
{
	const json_t *by = json_object_get(row, "by_status");
	const json_t *dur = json_object_get(row, "duration_ms");
	const json_t *rate = json_object_get(row, "success_rate");
	char runs[24], ok[24], failed[24], skipped[24], pct[16], p50[32],
	    p95[32], max[32], cpu[64], mem[32], late[64], streak[24],
	    spark[SPARK_RUNS * 4 + 1];
	const char *cells[14];

	snprintf(runs, sizeof runs, "%lld",
	    (long long)json_integer_value(json_object_get(row, "runs")));
	snprintf(ok, sizeof ok, "%lld",
	    (long long)json_integer_value(json_object_get(by, "ok")));
	snprintf(failed, sizeof failed, "%lld",
	    (long long)json_integer_value(json_object_get(row, "failures")));
	snprintf(skipped, sizeof skipped, "%lld",
	    (long long)json_integer_value(json_object_get(by, "skipped")));
	if (json_is_number(rate)) {
		snprintf(
		    pct, sizeof pct, "%.1f%%", json_number_value(rate) * 100);
	} else {
		snprintf(pct, sizeof pct, "-");
	}
	snprintf(streak, sizeof streak, "%lld",
	    (long long)json_integer_value(
	        json_object_get(row, "longest_failure_streak")));
	sparkline(json_object_get(row, "recent"), spark, sizeof spark);
	cells[0] = name;
	cells[1] = runs;
	cells[2] = ok;
	cells[3] = failed;
	cells[4] = skipped;
	cells[5] = pct;
	cells[6] =
	    json_is_object(dur) ? ms_cell(dur, "p50", p50, sizeof p50) : "-";
	cells[7] =
	    json_is_object(dur) ? ms_cell(dur, "p95", p95, sizeof p95) : "-";
	cells[8] =
	    json_is_object(dur) ? ms_cell(dur, "max", max, sizeof max) : "-";
	cells[9] = pair_cell(
	    json_object_get(row, "cpu_ms"), "mean", "max", cpu, sizeof cpu);
	cells[10] =
	    kb_cell(json_object_get(row, "max_rss_kb"), mem, sizeof mem);
	cells[11] = pair_cell(json_object_get(row, "lateness_ms"), "p50", "p95",
	    late, sizeof late);
	cells[12] = streak;
	cells[13] = spark;
	table_add(t, cells);
}

static void
report_print(const json_t *rep)
{
	static const char *const headers[] = { "TASK", "RUNS", "OK", "FAILED",
		"SKIPPED", "SUCCESS", "P50", "P95", "MAX", "CPU MEAN/MAX",
		"PEAK MEM", "LATE P50/P95", "STREAK", "NEWEST RUNS", NULL };
	const json_t *tasks = json_object_get(rep, "tasks"), *row;
	char since[64], until[64];
	struct table *t;
	size_t i;

	timefmt_local(json_get_time(rep, "since"), since, sizeof since);
	timefmt_local(json_get_time(rep, "until"), until, sizeof until);
	printf("runs from %s to %s\n\n", since, until);
	if (json_array_size(tasks) == 0) {
		printf("no runs in that time\n");
		return;
	}
	t = table_create(headers);
	json_array_foreach(tasks, i, row)
	{
		report_row(t, row, json_get_string(row, "task", "?"));
	}
	report_row(t, json_object_get(rep, "total"), "total");
	table_print(t, stdout);
	printf("\nFAILED: runs that did not succeed; STREAK: the most that "
	       "failed in a row;\nNEWEST RUNS: their durations, oldest "
	       "first, a cross for each that failed.\n");
}

static int
cmd_report_exec(struct cmd_ctx *ctx)
{
	const char *format = ctx->opt['f'] != NULL ? ctx->opt['f'] : "text";
	struct proto_reply rep = { 0 };
	enum conn_failure why;
	json_t *args, *tasks, *data = NULL;
	char *cause = NULL, *dir;
	int i, direct, rc = EXIT_OK;

	if (strcmp(format, "text") != 0 && strcmp(format, "html") != 0) {
		fprintf(stderr,
		    "twctl: report: --format: '%s' is not text or html\n",
		    format);
		return EXIT_USAGE;
	}
	if ((args = cmd_window_args(ctx, 0, 0)) == NULL) {
		return EXIT_USAGE;
	}
	/* The page charts each task's durations: more of its runs. */
	if (strcmp(format, "html") == 0) {
		json_object_set_new(args, "recent", json_integer(HTML_RECENT));
	}
	if (ctx->argc > 0) {
		tasks = json_array();
		for (i = 0; i < ctx->argc; i++) {
			json_array_append_new(tasks, json_string(ctx->argv[i]));
		}
		json_object_set_new(args, "tasks", tasks);
	}
	dir = paths_state_dir(ctx->opt['d']);
	if (!(direct = ctx->opt['d'] != NULL) &&
	    (ctx->conn = conn_open(ctx->socket_path, &why, &cause)) == NULL) {
		free(cause);
		/*
		 * No daemon: its history, when there is one; else it is said
		 * as every command says it (cmd_call).
		 */
		direct = why == CONN_NOT_RUNNING && has_history(dir);
		if (direct) {
			fprintf(stderr,
			    "twctl: twd is not running; reading the history "
			    "in %s\n",
			    dir);
		}
	}
	if (direct) {
		data = report_direct(dir, args);
		json_decref(args);
	} else if ((rc = cmd_call(ctx, "report", args, &rep)) == EXIT_OK) {
		data = json_incref(rep.data);
		proto_reply_release(&rep);
	}
	free(dir);
	if (data == NULL) {
		return rc != EXIT_OK ? rc : EXIT_FAIL;
	}
	if (ctx->json) {
		output_json(data);
	} else if (strcmp(format, "html") == 0) {
		report_html(data, stdout);
	} else {
		report_print(data);
	}
	json_decref(data);
	return rc;
}

const struct cmd_entry cmd_report_entry = {
	.name = "report",
	.summary = "what the runs of a span did, per task: successes, "
	           "durations, CPU, memory, lateness",
	.usage = "[--json] [--since when] [--format text|html] "
	         "[--state-dir dir] [task ...]",
	.help = "  -S, --since WHEN     runs started since WHEN: a duration "
	        "back (30d) or a\n"
	        "                       date and time (default: 7d)\n"
	        "  -f, --format FORMAT  text (a table), or html: one page "
	        "with its charts,\n"
	        "                       to mail or open in a browser\n"
	        "  -d, --state-dir DIR  read the history in DIR, with no "
	        "daemon (without it,\n"
	        "                       the default one when twd is not "
	        "running)\n"
	        "\nSubmitted jobs are one row, (submitted). Rows are sorted "
	        "by failures, then name.\n",
	.getopt = "S:f:d:",
	.longopts = cmd_report_longopts,
	.args_min = 0,
	.args_max = -1,
	.flags = CMD_PAGED,
	.exec = cmd_report_exec,
};
