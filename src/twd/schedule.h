/*
 * The schedule engine: given a rule and an instant, when does it fire next.
 * Pure: no clock, no I/O; every instant is passed in (milliseconds).
 */
#ifndef TW_SCHEDULE_H
#define TW_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

struct schedule;

/* A fixed interval of secs (> 0) between fires. Caller frees. */
struct schedule *schedule_every(int64_t secs);
void schedule_free(struct schedule *);

/*
 * The first fire strictly after now_ms. last_ms is the previous fire (0 if
 * none was ever recorded): interval schedules keep their phase across
 * restarts by counting from it, and fires missed in between are passed over.
 */
int64_t schedule_next(const struct schedule *, int64_t last_ms, int64_t now_ms);
/* Short text for tables, such as "every 5m"; returns buf. */
char *schedule_describe(const struct schedule *, char *buf, size_t len);
/* Whether two rules fire at the same instants (NULL equals only NULL). */
int schedule_equal(const struct schedule *, const struct schedule *);

#endif
