/*
 * The daemon's side of notifications: each message goes out as a job
 * (twd-deliver, see deliver.h) with the notifier's timeout, so nothing
 * a notifier does can stall the loop; results are kept per notifier for
 * twctl status and told as notify.result events.
 */
#ifndef TW_NOTIFIERS_H
#define TW_NOTIFIERS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct job_list;
struct notifier_def;
struct notifiers;
struct tw_clock;
struct tw_events;

/*
 * Deliveries start as jobs of jobs in home, keep their newest output in
 * state_dir/notify, and are told as notify.result events.
 */
struct notifiers *
notifiers_create(struct job_list *jobs, const struct tw_clock *,
    const struct tw_events *, const char *state_dir, const char *home);
/* The config whose notifiers are sent through (borrowed; NULL: none). */
void notifiers_configure(struct notifiers *, const struct config *);
/* Deliveries in flight are forgotten (their processes finish alone). */
void notifiers_free(struct notifiers *);
/*
 * Send event (taken) through the notifiers of the running config at the
 * indices via.
 */
void
notifiers_send(struct notifiers *, const int *via, size_t nvia, json_t *event);
/*
 * A test message through the notifier called name, or every one (name
 * NULL). Returns [{"notifier", "id"}] (caller owns); each result comes as
 * a notify.result event with that id. NULL with *cause for no such one.
 */
json_t *notifiers_test(struct notifiers *, const char *name, char **cause);
/*
 * Notifiers besides the config's (borrowed; the subscriptions made at run
 * time), shown by notifiers_status after them.
 */
void notifiers_set_extra(
    struct notifiers *, const struct notifier_def *extra, size_t n);
/* Deliver event (taken) through nd, one of the config's or the extra. */
void notifiers_deliver(
    struct notifiers *, const struct notifier_def *nd, json_t *event);
/* [{"name", "type", "sent", "failed", "last_error", "last_at"}]. */
json_t *notifiers_status(const struct notifiers *);

#endif
