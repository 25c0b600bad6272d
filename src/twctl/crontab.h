/*
 * A crontab (as crontab -l prints it) turned into a tasks file: entries,
 * macros, environment lines (SHELL, MAILTO, CRON_TZ), % in commands,
 * comments and commented-out entries. Pure: text in, YAML out.
 */
#ifndef TW_CRONTAB_H
#define TW_CRONTAB_H

#include <jansson.h>
#include <stddef.h>

struct crontab_result {
	char *yaml;           /* notifiers: (for MAILTO) and tasks: */
	char *tasks_yaml;     /* the lines under tasks:, indented by two */
	char *notifiers_yaml; /* the lines under notifiers: */
	size_t ntasks;        /* entries converted, disabled ones included */
	char **problems;      /* "line N: why", for what was not converted */
	size_t nproblems;
	char **warnings; /* "line N: what", converted but worth a look */
	size_t nwarnings;
};

/*
 * Convert text; source names it in the YAML's first comment. Names in
 * taken (an object's keys; may be NULL) are not given to new tasks or
 * notifiers.
 */
void crontab_convert(const char *text, const char *source, const json_t *taken,
    struct crontab_result *out);
void crontab_result_release(struct crontab_result *);

#endif
