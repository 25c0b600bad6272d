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
	char **known; /* "line N: ...", entries known already, not converted */
	size_t nknown;
};

struct schedule;

/*
 * What makes an entry the same job as a task: its schedule (as
 * schedule_describe gives it) and its command, after cron's % are turned
 * into standard input. Caller frees.
 */
char *crontab_key(const struct schedule *, const char *command);

/*
 * Convert text; source names it in the YAML's first comment. Names in
 * taken (an object's keys; may be NULL) are not given to new tasks or
 * notifiers. An entry whose crontab_key is a key of known (may be NULL;
 * its value the task's name) is left out and listed in out->known.
 */
void crontab_convert(const char *text, const char *source, const json_t *taken,
    const json_t *known, struct crontab_result *out);
void crontab_result_release(struct crontab_result *);

#endif
