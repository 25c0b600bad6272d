/*
 * Notifications: which event a run's end is, by a task's notify: rule, and
 * the words every notifier says. Pure: no clock, no I/O; the daemon passes
 * both in, and deliver.c sends what this builds.
 */
#ifndef TW_NOTIFY_H
#define TW_NOTIFY_H

#include <jansson.h>
#include <stdint.h>

#include "run.h"

/* What a task's failures have been told, between runs and restarts. */
struct notify_state {
	int failing;     /* its newest attempt failed */
	int64_t told_ms; /* when a failure was last told; 0: not since */
};

/*
 * The event (one NOTIFY_* bit, or 0 for none) that a run of a task ending
 * as status is, for a task whose rule is on and every_ms; will_retry when
 * another attempt is queued. Updates st.
 *
 * A failure is told once, then again only after every_ms, until a success
 * ends it (a recovery). An attempt that will be retried is a retry, never
 * a failure. A run killed by a user or by twd is neither.
 */
unsigned notify_decide(unsigned on, int64_t every_ms, struct notify_state *st,
    enum run_status status, int will_retry, int64_t now_ms);

/* "1,1764500000000"; parses back with notify_state_parse. */
char *notify_state_format(const struct notify_state *);
void notify_state_parse(const char *, struct notify_state *);

/*
 * The event a notifier is given (caller owns): {"event", "task", "run",
 * "summary", "body", "output": [last lines], "log_command", "host"}.
 * output may be NULL; it is borrowed.
 */
json_t *notify_event_json(unsigned event, const char *task,
    const struct run_record *r, const json_t *output);
/* The state_error event: the history of the state directory dir cannot
 * be written, for why. */
json_t *notify_state_error_json(const char *dir, const char *why);
/* The config_error event, with the errors as lines. */
json_t *notify_config_error_json(const char *file, const json_t *errors);
/* A test message, for twctl notify-test. */
json_t *notify_test_json(const char *notifier);

#endif
