/*
 * Temporary directories for unit-test fixtures.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tmpdir.h"

int
tmpdir_create(char *buf, size_t len, const char *name)
{
	if ((size_t)snprintf(buf, len, "/tmp/tw-test-%s-XXXXXX", name) >= len) {
		return -1;
	}
	return mkdtemp(buf) != NULL ? 0 : -1;
}

static int
tmpdir_remove_one(
    const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
tmpdir_remove(const char *dir)
{
	return nftw(dir, tmpdir_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}
