/*
 * Output helpers. Tables measure cells in bytes: task names are ASCII by
 * the tasks file's rules, and other cells are ours.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "output.h"
#include "proto.h"
#include "timefmt.h"
#include "xmalloc.h"

struct table {
	size_t ncols;
	size_t nrows; /* including the header */
	char **cells;
};

struct table *
table_create(const char *const *headers)
{
	struct table *t = xcalloc(1, sizeof *t);

	while (headers[t->ncols] != NULL) {
		t->ncols++;
	}
	table_add(t, headers);
	return t;
}

void
table_add(struct table *t, const char *const *cells)
{
	size_t i;

	t->cells = xreallocarray(
	    t->cells, (t->nrows + 1) * t->ncols, sizeof *t->cells);
	for (i = 0; i < t->ncols; i++) {
		t->cells[t->nrows * t->ncols + i] = output_printable(cells[i]);
	}
	t->nrows++;
}

void
table_print(struct table *t, FILE *fp)
{
	size_t *width = xcalloc(t->ncols, sizeof *width), r, i, w, last;
	const char *cell;

	for (r = 0; r < t->nrows; r++) {
		for (i = 0; i < t->ncols; i++) {
			w = strlen(t->cells[r * t->ncols + i]);
			width[i] = w > width[i] ? w : width[i];
		}
	}
	for (r = 0; r < t->nrows; r++) {
		/* No padding after the last cell with text: no trailing blanks. */
		for (last = t->ncols;
		     last > 1 && *t->cells[r * t->ncols + last - 1] == '\0';
		     last--) {
			;
		}
		for (i = 0; i < last; i++) {
			cell = t->cells[r * t->ncols + i];
			if (i + 1 == last) {
				fprintf(fp, "%s\n", cell);
			} else {
				fprintf(fp, "%-*s  ", (int)width[i], cell);
			}
		}
	}
	for (i = 0; i < t->nrows * t->ncols; i++) {
		free(t->cells[i]);
	}
	free(t->cells);
	free(width);
	free(t);
}

void
output_json(const json_t *v)
{
	json_dumpf(v, stdout,
	    JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY |
	        PROTO_REALS);
	fputc('\n', stdout);
}

char *
output_printable(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = xmalloc(strlen(s) * 4 + 1), *q = out;

	for (; *p != '\0'; p++) {
		if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f) {
			q += sprintf(q, "\\x%02x", *p);
		} else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			/* C1 controls, as UTF-8: CSI and friends. */
			q += sprintf(q, "\\u%04x", p[1]);
			p++;
		} else {
			*q++ = (char)*p;
		}
	}
	*q = '\0';
	return out;
}

void
output_error(int json, const char *code, const char *fmt, ...)
{
	json_t *o, *e;
	va_list ap;
	char *msg, *safe;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (json) {
		e = json_object();
		json_object_set_new(e, "code", json_string(code));
		json_object_set_new(e, "message", json_string(msg));
		o = json_object();
		json_object_set_new(o, "error", e);
		output_json(o);
		json_decref(o);
	} else {
		/* A message may quote what came over the socket. */
		safe = output_printable(msg);
		fprintf(stderr, "twctl: %s\n", safe);
		free(safe);
	}
	free(msg);
}

int64_t
json_get_time(const json_t *obj, const char *key)
{
	const char *s = json_get_string(obj, key, NULL);
	int64_t ms;

	if (s == NULL || timefmt_parse_iso(s, &ms) == -1) {
		return 0;
	}
	return ms;
}

const char *
json_get_string(const json_t *obj, const char *key, const char *dflt)
{
	json_t *v = json_object_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : dflt;
}

/* "1.5 of 2 CPUs, 600M of 1G memory", into buf. */
const char *
output_capacity(const json_t *cap, char *buf, size_t len)
{
	char a[32], b[32], c[32], d[32];
	const json_t *cpus = json_object_get(cap, "cpus");
	const json_t *mem = json_object_get(cap, "memory");

	snprintf(a, sizeof a, "%g",
	    json_number_value(json_object_get(cap, "cpus_used")));
	snprintf(b, sizeof b, "%g", json_number_value(cpus));
	size_format(json_integer_value(json_object_get(cap, "memory_used")), c,
	    sizeof c);
	size_format(json_integer_value(mem), d, sizeof d);
	snprintf(buf, len, "%s%s%s%s%s%s%s%s", json_is_number(cpus) ? a : "",
	    json_is_number(cpus) ? " of " : "", json_is_number(cpus) ? b : "",
	    json_is_number(cpus) ? " CPUs" : "",
	    json_is_number(cpus) && json_is_number(mem) ? ", " : "",
	    json_is_number(mem) ? c : "", json_is_number(mem) ? " of " : "",
	    json_is_number(mem) ? d : "");
	if (json_is_number(mem)) {
		snprintf(buf + strlen(buf), len - strlen(buf), " memory");
	}
	return buf;
}

const char *
output_schedule(const json_t *task, const char *none, char *buf, size_t len)
{
	const char *sched = json_get_string(task, "schedule", NULL);
	const char *on = json_get_string(task, "on", NULL);

	if (sched == NULL && on == NULL) {
		return none;
	}
	snprintf(buf, len, "%s%s%s", sched != NULL ? sched : "",
	    sched != NULL && on != NULL ? "; " : "", on != NULL ? on : "");
	return buf;
}

char *
output_run_result(const json_t *run, char *buf, size_t len)
{
	json_t *code = json_object_get(run, "exit_code");
	const char *summary = json_get_string(run, "summary", NULL);
	size_t n;

	proto_result_text(json_get_string(run, "status", "?"),
	    json_is_integer(code) ? (int)json_integer_value(code) : -1,
	    json_get_string(run, "signal_name", NULL), buf, len);
	/* What its ::progress and ::summary lines said (a plugin's). */
	n = strlen(buf);
	if (json_is_integer(json_object_get(run, "progress")) && n < len) {
		n += (size_t)snprintf(buf + n, len - n, " %lld%%",
		    (long long)json_integer_value(
		        json_object_get(run, "progress")));
	}
	if (summary != NULL && n < len) {
		snprintf(buf + n, len - n, ": %s", summary);
	}
	return buf;
}

const char *
output_run_name(const json_t *run, char *buf, size_t len)
{
	const char *task = json_get_string(run, "task", "?");

	if (!json_is_string(json_object_get(run, "label"))) {
		return task;
	}
	snprintf(buf, len, "%s [%s]", task, json_get_string(run, "label", ""));
	return buf;
}

void
output_runs(const json_t *runs, int with_task)
{
	static const char *const all[] = { "ID", "TASK", "STARTED", "TRIGGER",
		"DURATION", "RESULT", NULL };
	static const char *const one[] = { "ID", "STARTED", "TRIGGER",
		"DURATION", "RESULT", NULL };
	char id[24], started[32], dur[32], result[64], name[160];
	const char *cells[6];
	int64_t start, finish;
	struct table *t;
	json_t *run;
	size_t i;
	int c;

	t = table_create(with_task ? all : one);
	json_array_foreach(runs, i, run)
	{
		snprintf(id, sizeof id, "%lld",
		    (long long)json_integer_value(json_object_get(run, "id")));
		start = json_get_time(run, "started_at");
		finish = json_get_time(run, "finished_at");
		c = 0;
		cells[c++] = id;
		if (with_task) {
			cells[c++] = output_run_name(run, name, sizeof name);
		}
		cells[c++] = timefmt_local(start, started, sizeof started);
		cells[c++] = json_get_string(run, "trigger", "?");
		cells[c++] = finish != 0
		    ? duration_format_ms(finish - start, dur, sizeof dur)
		    : "-";
		cells[c] = output_run_result(run, result, sizeof result);
		table_add(t, cells);
	}
	table_print(t, stdout);
}
