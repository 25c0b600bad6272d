/*
 * Durations as users write them in the tasks file and read them in output:
 * "90s", "5m", "1h30m", "2d", "1w".
 */
#ifndef TW_DURATION_H
#define TW_DURATION_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse s into seconds. Returns 0, or -1 with *cause set to a heap message
 * (caller frees) that quotes the value and says what was expected.
 */
int duration_parse(const char *s, int64_t *secs, char **cause);
/*
 * Parse a size such as "512M", "1G", "10k" or "4096" (bytes; K, M, G, T are
 * powers of 1024, with an optional "B" or "iB"). Returns 0, or -1 with
 * *cause (caller frees).
 */
int size_parse(const char *s, int64_t *bytes, char **cause);
/* Write bytes as "10M" or "1.5K" into buf; returns buf. */
char *size_format(int64_t bytes, char *buf, size_t len);
/* Write secs as "1h30m" into buf; returns buf. */
char *duration_format(int64_t secs, char *buf, size_t len);
/* Write an elapsed time in milliseconds compactly ("12ms", "1.5s", "2m05s"). */
char *duration_format_ms(int64_t ms, char *buf, size_t len);

#endif
