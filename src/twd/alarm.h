/*
 * Wall-clock alarms: a min-heap of instants with one timerfd armed at the
 * earliest. The daemon sleeps until then, whatever the number of tasks.
 */
#ifndef TW_ALARM_H
#define TW_ALARM_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct tw_clock;
struct alarm_set;

/*
 * Embedded in its owner, which the callback finds from the alarm's address
 * (one per task: no pointer back); alarm_init before use.
 */
struct alarm {
	int64_t at_ms;
	size_t index; /* in the heap, or ALARM_IDLE */
};

#define ALARM_IDLE ((size_t)-1)

/* An alarm is due: it is no longer scheduled when this is called. */
typedef void (*alarm_fire_cb)(struct alarm *, void *arg);
/* The wall clock was set: every alarm may now be wrong. */
typedef void (*alarm_clock_cb)(void *arg);

/*
 * Returns the set (caller frees), or NULL with *cause (caller frees) when no
 * timerfd can be had.
 */
struct alarm_set *
alarm_set_create(struct event_base *, const struct tw_clock *wall,
    alarm_fire_cb, alarm_clock_cb, void *arg, char **cause);
/* Frees the set; alarms in it are forgotten. Accepts NULL. */
void alarm_set_free(struct alarm_set *);
/* Alarms scheduled now. */
size_t alarm_set_count(const struct alarm_set *);

void alarm_init(struct alarm *);
/* (Re)schedule a at at_ms, wall-clock milliseconds. */
void alarm_schedule(struct alarm_set *, struct alarm *a, int64_t at_ms);
/* Unschedule a; harmless when it is idle. */
void alarm_cancel(struct alarm_set *, struct alarm *a);
/*
 * Fire every alarm due by the set's clock, then arm the timer for the
 * next: what the timer does when it rings, and what a test does after
 * moving its clock.
 */
void alarm_set_run_due(struct alarm_set *);

#endif
