/*
 * The Prometheus view of the tasks: counters of what their runs ended as,
 * and the text exposition format (0.0.4) of those and of the tasks' state.
 * A stage of the tasks module (it reads their state); knows nothing of
 * HTTP or sockets, which write the text where it is asked for.
 */
#ifndef TW_METRICS_H
#define TW_METRICS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct tasks;

/* What twd knows beyond the tasks: its start, reloads and notifiers. */
struct metrics_globals {
	int64_t start_ms;
	uint64_t reloads_ok, reloads_failed;
	int64_t last_reload_ok_ms; /* 0: none yet */
	json_t *notifiers;         /* notifiers_json's; the writer's own */
};

/* Text being written: grows as needed. */
struct metrics_text {
	char *s;
	size_t len, cap;
};

/*
 * One exposition of the metrics, written a slice at a time so that a
 * daemon of 100,000 tasks goes on running between slices. The globals are
 * taken (notifiers included) as they are when it starts; the tasks as
 * they are when each slice is written, a reload between slices included.
 */
struct metrics_writer;

struct metrics_writer *metrics_writer_new(const struct metrics_globals *g);
void metrics_writer_free(struct metrics_writer *);
/*
 * Append to out the next slice: about budget series. Returns 1 when all
 * is written, 0 when there is more.
 */
int metrics_write(struct metrics_writer *, struct tasks *ts,
    struct metrics_text *out, size_t budget);
/* The whole exposition at once (caller frees out->s). */
void metrics_write_all(const struct metrics_globals *g, struct tasks *ts,
    struct metrics_text *out);

/* The content type of the text it writes. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
