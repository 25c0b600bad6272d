/*
 * A report as one HTML page: inline CSS and SVG, no script and nothing
 * fetched, so it can be mailed, archived or opened anywhere. Two charts:
 * runs per day stacked by status, and each task's durations over the
 * span, its failures in red.
 */
#include <stdio.h>
#include <string.h>

#include "duration.h"
#include "output.h"
#include "report-html.h"
#include "timefmt.h"

/* The statuses drawn, bottom up, and their colours. */
static const struct {
	const char *status, *colour;
} shades[] = {
	{ "ok", "#2e7d32" },
	{ "failed", "#c62828" },
	{ "timeout", "#ef6c00" },
	{ "oom", "#ad1457" },
	{ "killed", "#6a1b9a" },
	{ "start_failed", "#8d6e63" },
	{ "lost", "#546e7a" },
	{ "skipped", "#b0bec5" },
};
#define NSHADES (sizeof shades / sizeof shades[0])

/* Tasks charted at most: the first (most failures first). */
#define HTML_TASK_CHARTS 30

static void
html_text(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '&':
			fputs("&amp;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		default:
			fputc(*s, fp);
		}
	}
}

static long long
int_at(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static const char *
ms_text(const json_t *o, const char *key, char *buf, size_t len)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v)
	    ? duration_format_ms(json_integer_value(v), buf, len)
	    : "-";
}

static void
html_row(FILE *fp, const json_t *row, const char *name, int total)
{
	const json_t *by = json_object_get(row, "by_status");
	const json_t *dur = json_object_get(row, "duration_ms");
	const json_t *late = json_object_get(row, "lateness_ms");
	const json_t *cpu = json_object_get(row, "cpu_ms");
	const json_t *rate = json_object_get(row, "success_rate");
	char a[32], b[32], c[32];

	fprintf(fp, "<tr%s><td>", total ? " class=\"total\"" : "");
	html_text(fp, name);
	fprintf(fp, "</td><td>%lld</td><td>%lld</td><td class=\"%s\">%lld</td>",
	    int_at(row, "runs"), int_at(by, "ok"),
	    int_at(row, "failures") > 0 ? "bad" : "", int_at(row, "failures"));
	if (json_is_number(rate)) {
		fprintf(fp, "<td>%.1f%%</td>", json_number_value(rate) * 100);
	} else {
		fputs("<td>-</td>", fp);
	}
	fprintf(fp, "<td>%s</td><td>%s</td><td>%s</td>",
	    ms_text(dur, "p50", a, sizeof a), ms_text(dur, "p95", b, sizeof b),
	    ms_text(dur, "max", c, sizeof c));
	fprintf(fp, "<td>%s / %s</td>", ms_text(cpu, "mean", a, sizeof a),
	    ms_text(cpu, "max", b, sizeof b));
	if (json_is_integer(json_object_get(row, "max_rss_kb"))) {
		fprintf(fp, "<td>%.1f MiB</td>",
		    (double)int_at(row, "max_rss_kb") / 1024);
	} else {
		fputs("<td>-</td>", fp);
	}
	fprintf(fp, "<td>%s / %s</td><td>%lld</td></tr>\n",
	    ms_text(late, "p50", a, sizeof a),
	    ms_text(late, "p95", b, sizeof b),
	    int_at(row, "longest_failure_streak"));
}

/* Runs per day, a bar each, stacked by status. */
static void
html_days(FILE *fp, const json_t *days)
{
	const double w = 900, h = 220, left = 40, bottom = 30, top = 10;
	size_t n = json_array_size(days), i, s, every;
	long long max = 1, sum, v;
	double bw, x, y, bh;
	const json_t *d;

	json_array_foreach(days, i, d)
	{
		sum = 0;
		for (s = 0; s < NSHADES; s++) {
			sum += int_at(
			    json_object_get(d, "by_status"), shades[s].status);
		}
		max = sum > max ? sum : max;
	}
	bw = n > 0 ? (w - left) / (double)n : 1;
	every = n > 15 ? (n + 14) / 15 : 1;
	fprintf(fp,
	    "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
	    "aria-label=\"runs per day\">\n",
	    w, h);
	fprintf(fp,
	    "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" "
	    "class=\"axis\"/>\n",
	    left, h - bottom, w, h - bottom);
	fprintf(fp,
	    "<text x=\"%.0f\" y=\"%.0f\" class=\"label\" "
	    "text-anchor=\"end\">%lld</text>\n",
	    left - 4, top + 8, max);
	fprintf(fp,
	    "<text x=\"%.0f\" y=\"%.0f\" class=\"label\" "
	    "text-anchor=\"end\">0</text>\n",
	    left - 4, h - bottom);
	json_array_foreach(days, i, d)
	{
		x = left + (double)i * bw;
		y = h - bottom;
		for (s = 0; s < NSHADES; s++) {
			v = int_at(
			    json_object_get(d, "by_status"), shades[s].status);
			if (v == 0) {
				continue;
			}
			bh = (double)v * (h - bottom - top) / (double)max;
			y -= bh;
			fprintf(fp,
			    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			    "height=\"%.1f\" fill=\"%s\"><title>%s: %lld "
			    "%s</title></rect>\n",
			    x + bw * 0.1, y, bw * 0.8, bh, shades[s].colour,
			    json_string_value(json_object_get(d, "day")), v,
			    shades[s].status);
		}
		if (i % every == 0) {
			fprintf(fp,
			    "<text x=\"%.1f\" y=\"%.0f\" class=\"label\" "
			    "text-anchor=\"middle\">%s</text>\n",
			    x + bw / 2, h - bottom + 16,
			    json_string_value(json_object_get(d, "day")) + 5);
		}
	}
	fputs("</svg>\n<p class=\"legend\">", fp);
	for (s = 0; s < NSHADES; s++) {
		fprintf(fp, "<span style=\"background:%s\"></span>%s ",
		    shades[s].colour, shades[s].status);
	}
	fputs("</p>\n", fp);
}

/* One task's durations over the span: a line, its failures in red. */
static void
html_durations(FILE *fp, const json_t *row, int64_t since, int64_t until)
{
	const double w = 440, h = 90, pad = 6;
	const json_t *recent = json_object_get(row, "recent"), *p;
	int64_t max = 1, d, at;
	double x, y, span = (double)(until - since);
	char top[32], when[32];
	size_t i;
	int ok;

	json_array_foreach(recent, i, p)
	{
		d = json_integer_value(json_object_get(p, "duration_ms"));
		max = d > max ? d : max;
	}
	fputs("<figure><figcaption>", fp);
	html_text(fp, json_string_value(json_object_get(row, "task")));
	fprintf(fp, " <small>up to %s</small></figcaption>\n",
	    duration_format_ms(max, top, sizeof top));
	fprintf(fp,
	    "<svg class=\"spark\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
	    "aria-label=\"durations\">\n<polyline class=\"line\" points=\"",
	    w, h);
	json_array_foreach(recent, i, p)
	{
		at = json_get_time(p, "at");
		d = json_integer_value(json_object_get(p, "duration_ms"));
		x = pad + (w - 2 * pad) * (double)(at - since) / span;
		y = h - pad - (h - 2 * pad) * (double)d / (double)max;
		fprintf(fp, "%.1f,%.1f ", x, y);
	}
	fputs("\"/>\n", fp);
	json_array_foreach(recent, i, p)
	{
		ok = strcmp(json_get_string(p, "status", ""), "ok") == 0;
		at = json_get_time(p, "at");
		d = json_integer_value(json_object_get(p, "duration_ms"));
		x = pad + (w - 2 * pad) * (double)(at - since) / span;
		y = h - pad - (h - 2 * pad) * (double)d / (double)max;
		fprintf(fp,
		    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" class=\"%s\">"
		    "<title>%s: %s</title></circle>\n",
		    x, y, ok ? "1.5" : "3", ok ? "pt" : "fail",
		    json_get_string(p, "at", "?"),
		    duration_format_ms(d, when, sizeof when));
	}
	fputs("</svg></figure>\n", fp);
}

void
report_html(const json_t *rep, FILE *fp)
{
	const json_t *tasks = json_object_get(rep, "tasks"), *row;
	int64_t since = json_get_time(rep, "since");
	int64_t until = json_get_time(rep, "until");
	char from[64], to[64];
	size_t i;

	timefmt_local(since, from, sizeof from);
	timefmt_local(until, to, sizeof to);
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	      "<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width\">\n",
	    fp);
	fprintf(fp, "<title>TaskWeaver report, %s to %s</title>\n", from, to);
	fputs("<style>\n"
	      "body{font:14px/1.4 system-ui,sans-serif;margin:2em;"
	      "color:#212121}\n"
	      "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em}\n"
	      "table{border-collapse:collapse}\n"
	      "th,td{padding:.25em .7em;text-align:right;"
	      "border-bottom:1px solid #e0e0e0}\n"
	      "th:first-child,td:first-child{text-align:left}\n"
	      "tr.total td{font-weight:bold;border-top:2px solid #9e9e9e}\n"
	      "td.bad{color:#c62828;font-weight:bold}\n"
	      ".chart{width:100%;max-width:900px;height:auto}\n"
	      ".axis{stroke:#9e9e9e}.label{font-size:11px;fill:#616161}\n"
	      ".legend span{display:inline-block;width:.8em;height:.8em;"
	      "margin:0 .3em 0 1em}\n"
	      "figure{display:inline-block;margin:.5em 1em .5em 0}\n"
	      "figcaption{font-weight:bold}\n"
	      ".spark{width:440px;height:90px;background:#fafafa;"
	      "border:1px solid #eeeeee}\n"
	      ".line{fill:none;stroke:#1565c0;stroke-width:1.5}\n"
	      ".pt{fill:#1565c0}.fail{fill:#c62828}\n"
	      "</style>\n</head>\n<body>\n",
	    fp);
	fprintf(fp, "<h1>TaskWeaver report</h1>\n<p>Runs from %s to %s.</p>\n",
	    from, to);
	if (json_array_size(tasks) == 0) {
		fputs("<p>No runs in that time.</p>\n</body>\n</html>\n", fp);
		return;
	}
	fputs("<table>\n<thead><tr><th>Task</th><th>Runs</th><th>OK</th>"
	      "<th>Failed</th><th>Success</th><th>p50</th><th>p95</th>"
	      "<th>Max</th><th>CPU mean / max</th><th>Peak memory</th>"
	      "<th>Late p50 / p95</th><th>Longest failure streak</th>"
	      "</tr></thead>\n<tbody>\n",
	    fp);
	json_array_foreach(tasks, i, row)
	{
		html_row(fp, row, json_get_string(row, "task", "?"), 0);
	}
	html_row(fp, json_object_get(rep, "total"), "Total", 1);
	fputs("</tbody>\n</table>\n<h2>Runs per day</h2>\n", fp);
	html_days(fp, json_object_get(rep, "days"));
	fputs("<h2>Durations</h2>\n", fp);
	json_array_foreach(tasks, i, row)
	{
		if (i == HTML_TASK_CHARTS) {
			fprintf(fp, "<p>And %zu more tasks.</p>\n",
			    json_array_size(tasks) - i);
			break;
		}
		html_durations(fp, row, since, until);
	}
	fputs("</body>\n</html>\n", fp);
}
