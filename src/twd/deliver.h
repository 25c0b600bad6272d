/*
 * Sending one notification: the daemon starts twd-deliver, a program of
 * its own, as a job with the notifier and the event in its environment
 * (TW_NOTIFIER, TW_EVENT), and learns the result from its exit status and
 * stderr. libnotify and libcurl live there, not in the daemon.
 */
#ifndef TW_DELIVER_H
#define TW_DELIVER_H

#include <jansson.h>

/* The delivering process: send TW_EVENT by TW_NOTIFIER; an exit status. */
int deliver_main(void);

#endif
