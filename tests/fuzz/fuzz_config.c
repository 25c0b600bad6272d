/*
 * The tasks-file loader on any file: it loads or refuses with errors that
 * each name a place, and never crashes, leaks or runs away. The input is
 * written to a tasks file in a private directory, as a user's would be.
 * Its includes may reach files outside that directory: an error in one
 * names that file, which is there. One such is made beside the directory
 * (an include of "../" and a glob finds it), so the case is always there.
 */
#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[] = "/tmp/tw-fuzz-config-XXXXXX";
	struct config_errors errs = { NULL, 0 };
	const struct config_error *e;
	struct config *c;
	char *line;
	FILE *fp;
	size_t i;

	if (path[0] == '\0') {
		if (mkdtemp(dir) == NULL) {
			abort();
		}
		snprintf(path, sizeof path, "%s/outside.yaml", dir);
		if ((fp = fopen(path, "w")) == NULL) {
			abort();
		}
		fputs("tasks: [not, a, mapping\n", fp);
		fclose(fp);
		chmod(path, 0600);
		snprintf(path, sizeof path, "%s/tasks", dir);
		if (mkdir(path, 0700) == -1) {
			abort();
		}
		snprintf(path, sizeof path, "%s/tasks/tasks.yaml", dir);
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
		e = &errs.v[i];
		line = config_error_format(e);
		if (line == NULL || e->file == NULL ||
		    strncmp(line, e->file, strlen(e->file)) != 0 ||
		    (strcmp(e->file, path) != 0 &&
		        access(e->file, F_OK) != 0)) {
			abort(); /* every error names the file, or an included */
		}
		free(line);
	}
	config_errors_release(&errs);
	return 0;
}
