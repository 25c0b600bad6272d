/*
 * The metrics where they are read: GET /metrics on the address of the
 * tasks file's metrics: (libevent's HTTP server), and the textfile for
 * node_exporter. Each exposition is written a slice at a time, between
 * which the loop goes on (metrics.h).
 */
#ifndef TW_OBSERVE_H
#define TW_OBSERVE_H

struct config;
struct metrics_globals;
struct observe;
struct twd;

struct observe *observe_create(struct twd *);
/* Cut every scrape short and stop listening. Accepts NULL. */
void observe_free(struct observe *);
/*
 * The config became the running one: listen where it says (a listener
 * that cannot be made is logged, and the schedule goes on), and write
 * its textfile.
 */
void observe_configure(struct observe *, const struct config *);
/* Whether a textfile is written (and so wants to hear of runs' ends). */
int observe_textfile(const struct observe *);
/* A run ended: the textfile is written again, at most every interval. */
void observe_run_ended(struct observe *);
/* What twd knows beyond the tasks (g->notifiers is the caller's). */
void observe_globals(struct twd *, struct metrics_globals *g);
/* Where /metrics is served ("127.0.0.1:9469"), or NULL; and why not. */
const char *observe_listening(const struct observe *, const char **error);

#endif
