/*
 * FNV-1a, 64 bits: quick, and the same everywhere and in every version,
 * for hash tables and for values derived from names (a task's random
 * cron ranges).
 */
#ifndef TW_HASH_H
#define TW_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_START UINT64_C(14695981039346656037)

/* n bytes at p, on from h. */
uint64_t hash_bytes(uint64_t h, const void *p, size_t n);
/* s with its terminator, so "a","b" and "ab" differ; NULL adds nothing. */
uint64_t hash_str(uint64_t h, const char *s);

#endif
