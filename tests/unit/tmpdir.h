/*
 * Temporary directories for unit-test fixtures: made with mkdtemp, removed
 * with everything in them, never fixed names in the working directory.
 */
#ifndef TW_TEST_TMPDIR_H
#define TW_TEST_TMPDIR_H

#include <stddef.h>

/* Make /tmp/tw-test-NAME-XXXXXX into buf. Returns 0, or -1. */
int tmpdir_create(char *buf, size_t len, const char *name);
/* Remove dir and all it holds. Returns 0, or -1. */
int tmpdir_remove(const char *dir);

#endif
