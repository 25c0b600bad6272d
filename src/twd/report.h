/*
 * Reports: what the runs of a span did, per task and in all, read from
 * the history database on a connection of its own (read-only), so that
 * it can run on a thread while the daemon goes on, or in a process of
 * its own when no daemon runs (twd --report). Knows nothing of sockets.
 */
#ifndef TW_REPORT_H
#define TW_REPORT_H

#include <jansson.h>
#include <stdint.h>

/* How many of each task's newest runs a report lists, unless asked. */
#define REPORT_RECENT     20
#define REPORT_RECENT_MAX 1000

struct report_query {
	int64_t since_ms; /* runs started at or after */
	int64_t until_ms; /* and before (now) */
	char **tasks;     /* only these (NULL-terminated); NULL: all */
	int recent;       /* each task's newest runs listed, for charts */
};

/*
 * The report of the runs q selects in the database at path:
 * {"since", "until", "tasks": [TASK...], "total": TOTAL,
 * "days": [{"day", "by_status"}]} as taskweaver-ipc(7) says. NULL with
 * *cause (caller frees).
 */
json_t *
report_build(const char *path, const struct report_query *q, char **cause);
/*
 * q from a request's arguments {"since", "tasks", "recent"}: 0, or -1
 * with *cause.
 */
int report_query_parse(
    json_t *args, int64_t now_ms, struct report_query *q, char **cause);
void report_query_release(struct report_query *q);

#endif
