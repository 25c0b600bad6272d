/*
 * The wall clock the daemon's stages read: the system's, or a test's that
 * it sets forward and back at will.
 */
#ifndef TW_CLOCK_H
#define TW_CLOCK_H

#include <stdint.h>

struct tw_clock {
	int64_t (*now_ms)(void *arg); /* ms since the epoch */
	void *arg;
};

#endif
