/*
 * twctl output: aligned tables for people, JSON for scripts, and one
 * shape for errors in either mode.
 */
#ifndef TW_OUTPUT_H
#define TW_OUTPUT_H

#include <jansson.h>
#include <stdio.h>

struct table;

/* A table with ncols columns named by the NULL-terminated headers. */
struct table *table_create(const char *const *headers);
/* Append a row of ncols cells (copied). */
void table_add(struct table *, const char *const *cells);
/* Print with columns padded to their widest cell; frees the table. */
void table_print(struct table *, FILE *);

/*
 * s with its control characters (but newline and tab) written as \xNN,
 * and the C1 ones as \uNNNN, so that text from elsewhere cannot steer
 * the terminal; caller frees.
 */
char *output_printable(const char *s);
/* Print v as indented JSON on stdout. */
void output_json(const json_t *v);
/*
 * Report an error: with json, {"error": {"code", "message"}} on stdout;
 * else "twctl: message" on stderr.
 */
void output_error(int json, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#include <stdint.h>

/* obj[key] as an RFC 3339 instant in ms; 0 when null, absent or invalid. */
int64_t json_get_time(const json_t *obj, const char *key);
/* obj[key] as a string, or dflt when it is not one. Borrowed. */
const char *
json_get_string(const json_t *obj, const char *key, const char *dflt);
/* A run's task, with its label when it has one: "backup [nightly]". */
const char *output_run_name(const json_t *run, char *buf, size_t len);
/* A table of run objects: id, [task,] started, duration, result. */
void output_runs(const json_t *runs, int with_task);
/* The result of a run object in words ("ok", "exit 3", "running"). */
char *output_run_result(const json_t *run, char *buf, size_t len);
/*
 * What runs a task (its "schedule", its "on" change, or both), in buf;
 * none when it has neither.
 */
const char *
output_schedule(const json_t *task, const char *none, char *buf, size_t len);
/* What capacity's figures say: "1.5 of 2 CPUs, 600M of 1G memory". */
const char *output_capacity(const json_t *cap, char *buf, size_t len);

#endif
