/*
 * The tasks file once twd runs: watched for changes, loaded again on a
 * thread of its own, and swapped into the running schedule on the loop.
 */
#ifndef TW_RELOAD_H
#define TW_RELOAD_H

#include <stdint.h>

struct twd;
struct reload;

/* watch: reload when the file (or one it includes) changes. */
struct reload *reload_create(struct twd *, int watch);
/*
 * Wait for a load still running and drop it; whoever waits for one is
 * told that twd is shutting down. Accepts NULL.
 */
void reload_free(struct reload *);

/*
 * Load the tasks file and, unless dry_run, make it the running schedule;
 * why says who asked, for the log. client, when not 0, is a client holding
 * its request (client_hold): it is answered with the changes (see
 * tasks_diff) or every error. A request made during a load is served by
 * the next one, as the file may have changed since the running one read
 * it; requests made meanwhile share that next load.
 */
void reload_request(
    struct reload *, const char *why, int dry_run, unsigned long client);
/* Whether a load is running: since when (ms), and why; else 0. */
int64_t reload_running(const struct reload *, const char **why);

/* Watch the files of the running config (again, after a reload). */
void reload_watch(struct reload *);

#endif
