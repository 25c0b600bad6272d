/*
 * A crontab (as crontab -l prints it) turned into a tasks file: entries,
 * macros, environment lines (SHELL, MAILTO, CRON_TZ), % in commands,
 * comments and commented-out entries. Pure: text in, YAML out.
 */
#ifndef TW_CRONTAB_H
#define TW_CRONTAB_H

#include <stddef.h>

struct crontab_result {
	char *yaml;      /* notifiers: (for MAILTO) and tasks: */
	size_t ntasks;   /* entries converted, disabled ones included */
	char **problems; /* "line N: why", for what was not converted */
	size_t nproblems;
};

/* Convert text; source names it in the YAML's first comment. */
void crontab_convert(
    const char *text, const char *source, struct crontab_result *out);
void crontab_result_release(struct crontab_result *);

#endif
