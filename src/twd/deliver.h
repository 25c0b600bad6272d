/*
 * Sending one notification: the daemon starts "twd --deliver" as a job
 * with the notifier and the event in its environment (TW_NOTIFIER,
 * TW_EVENT), and learns the result from its exit status and stderr.
 */
#ifndef TW_DELIVER_H
#define TW_DELIVER_H

#include <jansson.h>

struct notifier_def;

/* The notifier as the delivering process is given it (caller owns). */
json_t *deliver_notifier_json(const struct notifier_def *);
/* The delivering process: send TW_EVENT by TW_NOTIFIER; an exit status. */
int deliver_main(void);

#endif
