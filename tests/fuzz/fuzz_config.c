/*
 * The tasks-file loader on any file: it loads or refuses with errors that
 * each name a place, and never crashes, leaks or runs away. The input is
 * written to a tasks file in a private directory, as a user's would be.
 */
#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[] = "/tmp/tw-fuzz-config-XXXXXX";
	struct config_errors errs = { NULL, 0 };
	struct config *c;
	char *line;
	FILE *fp;
	size_t i;

	if (path[0] == '\0') {
		if (mkdtemp(dir) == NULL) {
			abort();
		}
		snprintf(path, sizeof path, "%s/tasks.yaml", dir);
	}
	if ((fp = fopen(path, "w")) == NULL) {
		abort();
	}
	fwrite(data, 1, size, fp);
	fclose(fp);
	chmod(path, 0600);
	if ((c = config_load(path, &errs)) != NULL) {
		if (errs.n != 0) {
			abort();
		}
		config_free(c);
		return 0;
	}
	if (errs.n == 0) {
		abort(); /* refused, but not told why */
	}
	for (i = 0; i < errs.n; i++) {
		line = config_error_format(&errs.v[i]);
		if (line == NULL || strncmp(line, path, strlen(path)) != 0) {
			abort(); /* every error names the file */
		}
		free(line);
	}
	config_errors_release(&errs);
	return 0;
}
