/*
 * Instants in milliseconds since the epoch, written for the protocol
 * (RFC 3339 in UTC) and for people (local time, or relative to now).
 */
#ifndef TW_TIMEFMT_H
#define TW_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#define TIMEFMT_ISO_LEN 32

/* The wall clock now, in milliseconds since the epoch. */
int64_t timefmt_now_ms(void);
/* The monotonic clock, in milliseconds: for durations, never for dates. */
int64_t timefmt_mono_ms(void);
/* "2026-11-22T10:04:00.123Z" into buf; returns buf. */
char *timefmt_iso(int64_t ms, char *buf, size_t len);
/* Parse RFC 3339 ("Z" or "+HH:MM", optional fraction). Returns 0 or -1. */
int timefmt_parse_iso(const char *s, int64_t *ms);
/* "2026-11-22 11:04:00" in the local zone into buf; returns buf. */
char *timefmt_local(int64_t ms, char *buf, size_t len);
/* "in 4m12s", "3m ago" or "now" for ms seen from now_ms; returns buf. */
char *timefmt_relative(int64_t ms, int64_t now_ms, char *buf, size_t len);

#endif
