/*
 * Time zones as tables of UTC-offset changes, so that converting between
 * instants and local times needs no global TZ switching after load.
 */
#ifndef TW_TZ_H
#define TW_TZ_H

#include <stddef.h>
#include <stdint.h>

struct tz;

/*
 * Load zone name ("Europe/Berlin"), or the local zone for NULL or "local".
 * Returns the zone (caller frees), or NULL with *cause (caller frees) for a
 * name the installed IANA database does not have.
 */
struct tz *tz_load(const char *name, char **cause);
void tz_free(struct tz *);
/* The names of the installed zones, unsorted, into *v (caller frees each). */
size_t tz_names(char ***v);
/* "Europe/Berlin", or "local"; borrowed. */
const char *tz_name(const struct tz *);

/* The UTC offset in seconds at instant t (seconds since the epoch). */
int tz_offset(const struct tz *, int64_t t);

/*
 * The instants whose local wall-clock time is local (seconds since the
 * epoch as if the zone were UTC), earliest first, into out. Returns how
 * many: 1 normally, 2 in a repeated hour, 0 in a skipped one; then *jump
 * is the instant the clock jumped over it.
 */
int tz_local_instants(
    const struct tz *, int64_t local, int64_t out[2], int64_t *jump);

/* "2026-03-08T03:00:00-04:00": ms in the zone, with its offset; returns buf. */
char *tz_format_iso(const struct tz *, int64_t ms, char *buf, size_t len);
/*
 * Parse ISO 8601 "YYYY-MM-DD[T ]HH:MM[:SS]" with an optional "Z" or
 * "+HH:MM"; without one, the time is wall-clock time in the zone (a skipped
 * time means the jump, a repeated one the first). Returns 0, or -1 with
 * *cause (caller frees).
 */
int tz_parse_iso(const struct tz *, const char *s, int64_t *ms, char **cause);

#endif
