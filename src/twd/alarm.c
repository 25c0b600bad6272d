/*
 * Alarms on the wall clock. libevent's timers count monotonic time, which
 * stands still while the machine sleeps and does not follow a clock that is
 * set; a CLOCK_REALTIME timerfd with an absolute expiry fires on time after
 * a resume, and TFD_TIMER_CANCEL_ON_SET reports every clock change.
 */
#include <sys/timerfd.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "alarm.h"
#include "context.h"
#include "log.h"
#include "timefmt.h"
#include "xmalloc.h"

/* Armed when nothing is scheduled, so clock changes are still seen. */
#define ALARM_NEVER_MS INT64_C(4102444800000) /* 2100-01-01 */

struct alarm_set {
	int fd;
	struct event *ev;
	struct alarm **heap;
	size_t n, cap;
	int64_t armed_ms;            /* what the timerfd is set to, or -1 */
	const struct tw_clock *wall; /* what "due" is measured by */
	alarm_fire_cb fire;
	alarm_clock_cb clock;
	void *arg;
};

static void
heap_swap(struct alarm_set *as, size_t i, size_t j)
{
	struct alarm *t = as->heap[i];

	as->heap[i] = as->heap[j];
	as->heap[j] = t;
	as->heap[i]->index = i;
	as->heap[j]->index = j;
}

static void
heap_up(struct alarm_set *as, size_t i)
{
	while (i > 0 && as->heap[(i - 1) / 2]->at_ms > as->heap[i]->at_ms) {
		heap_swap(as, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
heap_down(struct alarm_set *as, size_t i)
{
	size_t l, r, m;

	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < as->n && as->heap[l]->at_ms < as->heap[m]->at_ms) {
			m = l;
		}
		if (r < as->n && as->heap[r]->at_ms < as->heap[m]->at_ms) {
			m = r;
		}
		if (m == i) {
			return;
		}
		heap_swap(as, i, m);
		i = m;
	}
}

static void
heap_remove(struct alarm_set *as, struct alarm *a)
{
	size_t i = a->index;

	as->n--;
	if (i != as->n) {
		as->heap[i] = as->heap[as->n];
		as->heap[i]->index = i;
		heap_down(as, i);
		heap_up(as, i);
	}
	a->index = ALARM_IDLE;
}

/* Point the timerfd at the earliest alarm, if it is not there already. */
static void
alarm_rearm(struct alarm_set *as)
{
	int64_t at = as->n > 0 ? as->heap[0]->at_ms : ALARM_NEVER_MS;
	struct itimerspec its;

	if (at == as->armed_ms) {
		return;
	}
	memset(&its, 0, sizeof its);
	if (at <= 0) {
		at = 1; /* zero would disarm it */
	}
	its.it_value.tv_sec = (time_t)(at / 1000);
	its.it_value.tv_nsec = (long)(at % 1000) * 1000000;
	if (timerfd_settime(as->fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET,
	        &its, NULL) == -1) {
		log_error("timerfd_settime: %s", strerror(errno));
		return;
	}
	as->armed_ms = at;
}

static void
alarm_read(evutil_socket_t fd, short what, void *arg)
{
	struct alarm_set *as = arg;
	uint64_t expirations;

	(void)what;
	as->armed_ms = -1;
	if (read(fd, &expirations, sizeof expirations) == -1) {
		if (errno == ECANCELED) {
			log_info("the system clock was changed; rescheduling");
			as->clock(as->arg);
			alarm_rearm(as);
			return;
		}
		if (errno != EAGAIN) {
			log_error("reading the timerfd: %s", strerror(errno));
		}
	}
	alarm_set_run_due(as);
}

void
alarm_set_run_due(struct alarm_set *as)
{
	int64_t now = as->wall->now_ms(as->wall->arg);
	struct alarm *a;

	while (as->n > 0 && as->heap[0]->at_ms <= now) {
		a = as->heap[0];
		heap_remove(as, a);
		as->fire(a, as->arg);
	}
	alarm_rearm(as);
}

struct alarm_set *
alarm_set_create(struct event_base *base, const struct tw_clock *wall,
    alarm_fire_cb fire, alarm_clock_cb clock, void *arg, char **cause)
{
	struct alarm_set *as;
	int fd;

	fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd == -1) {
		*cause = xasprintf("timerfd_create: %s", strerror(errno));
		return NULL;
	}
	as = xcalloc(1, sizeof *as);
	as->fd = fd;
	as->wall = wall;
	as->fire = fire;
	as->clock = clock;
	as->arg = arg;
	as->armed_ms = -1;
	as->ev = event_new(base, fd, EV_READ | EV_PERSIST, alarm_read, as);
	event_add(as->ev, NULL);
	alarm_rearm(as);
	return as;
}

void
alarm_set_free(struct alarm_set *as)
{
	size_t i;

	if (as == NULL) {
		return;
	}
	for (i = 0; i < as->n; i++) {
		as->heap[i]->index = ALARM_IDLE;
	}
	event_free(as->ev);
	close(as->fd);
	free(as->heap);
	free(as);
}

size_t
alarm_set_count(const struct alarm_set *as)
{
	return as->n;
}

void
alarm_init(struct alarm *a)
{
	a->at_ms = 0;
	a->index = ALARM_IDLE;
}

void
alarm_schedule(struct alarm_set *as, struct alarm *a, int64_t at_ms)
{
	if (a->index != ALARM_IDLE) {
		a->at_ms = at_ms;
		heap_down(as, a->index);
		heap_up(as, a->index);
	} else {
		if (as->n == as->cap) {
			as->cap = as->cap == 0 ? 64 : as->cap * 2;
			as->heap =
			    xreallocarray(as->heap, as->cap, sizeof *as->heap);
		}
		a->at_ms = at_ms;
		a->index = as->n;
		as->heap[as->n++] = a;
		heap_up(as, a->index);
	}
	alarm_rearm(as);
}

void
alarm_cancel(struct alarm_set *as, struct alarm *a)
{
	if (a->index == ALARM_IDLE) {
		return;
	}
	heap_remove(as, a);
	alarm_rearm(as);
}
