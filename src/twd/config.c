/*
 * Tasks file loader. libyaml builds the document (resolving anchors and
 * aliases); a table of fields then checks each task, collecting every error.
 *
 * To add a tasks-file field:
 *  1. an entry in task_fields[], in its alphabetical place (a lint checks
 *     the order), with what its value must be, for the messages;
 *  2. where it lives: struct task_def, or struct task_policy when tasks
 *     may share it (task_policy_hash hashes its scalars; pointers need a
 *     line there and in task_policy_copy and task_policy_clear);
 *  3. its value read from the draft, default applied (draft_flow,
 *     draft_exec or a draft_* of its own);
 *  4. task_def_changes, so that a reload and policy sharing see it;
 *  5. task_def_json (tasks.c) and twctl show (cmd-show.c): test 0037
 *     fails until show has it;
 *  6. taskweaver(5), which the lint checks has an entry, the README's
 *     field list, and a test of its value and of its errors.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "config.h"
#include "duration.h"
#include "hash.h"
#include "paths.h"
#include "schedule.h"
#include "suggest.h"
#include "tz.h"
#include "xmalloc.h"
#include "ydoc.h"

#define JITTER_MAX_SECS 86400
/* Files include: may read, all patterns together: each keeps its document. */
#define INCLUDE_MAX 10000
/*
 * The most a tasks file, and all it includes together, may be: 100,000
 * tasks are about 10 MiB, read in a quarter of a second.
 */
#define CONFIG_MAX_BYTES (64 << 20)
#define CONFIG_MAX_TOTAL (256 << 20)
/* The longest plain key libyaml reads (its simple keys' limit). */
#define YAML_KEY_MAX 1024

/*
 * What the loader read once for many tasks (cron rules, policies), found by
 * a hash and an equality; open addressing, cap a power of 2.
 */
struct intern {
	struct intern_slot {
		uint64_t hash;
		void *item; /* NULL: a free slot */
	} * v;
	size_t n, cap;
};

struct loader {
	const char *file;
	struct ydoc doc;
	struct config_errors *errs;
	struct config *config;
	int in_defaults;             /* reading the defaults block */
	char *home;                  /* for ~ in cwd */
	size_t nerrs;                /* in errs before this load */
	struct draft *defaults;      /* what each task starts from */
	int streamed;                /* the tasks were read as they came */
	int restart;                 /* and should not have been: read again */
	size_t tasks_cap;            /* of config->tasks */
	struct loader_after *afters; /* after: names, checked at the end */
	size_t nafters;
	struct loader_include *inc; /* the files of include:, in order */
	size_t ninc;
	dev_t dev; /* the main file */
	ino_t ino;
	size_t env_n, env_cap; /* the env being built, in policy->env */
	/*
	 * Values copied out of lists and mappings, and how many may be: as
	 * many as the files have bytes, and a million. An alias names its
	 * anchor's nodes again, so 'run: *words' in each task copies them
	 * again each time; without a bound, a small file asks for gigabytes.
	 */
	size_t copied, copy_budget;
	int over_budget;        /* said once */
	size_t bytes;           /* of the files read so far */
	struct intern rules;    /* of struct loader_rule */
	struct intern policies; /* of struct task_policy, a reference each */
	struct task_policy *last_policy; /* the last task's, in policies */
};

static struct task_policy *task_policy_ref(struct task_policy *);
static void task_policy_clear(struct task_policy *);
static void task_policy_free(struct task_policy *);
static void task_policy_release(void *);

/*
 * A cron rule read, by its text and zone. Tasks that give the same rule
 * share one: a big file repeats a few rules, and each is parsed and kept
 * once, and its next fire found once for all of them.
 */
struct loader_rule {
	char *text;
	const struct tz *tz;
	struct schedule *s; /* the table's own reference */
};

/* A task named by after:, and where, checked once every task is read. */
struct loader_after {
	char *name;
	const char *file; /* borrowed from config->files */
	unsigned line, column;
};

/* An included file: its tasks, read with the main file's defaults. */
struct loader_include {
	const char *file; /* borrowed from config->files */
	struct ydoc doc;
	yaml_node_t *tasks; /* NULL when it has none */
	dev_t dev;          /* the file itself, however it was named */
	ino_t ino;
	yaml_mark_t by; /* the include item that named it first */
};

/*
 * A task as read so far. Rules are built when the whole mapping is read,
 * since the zone they need may come after them.
 */
struct draft {
	const char *description;
	const char *command;
	yaml_node_t *run;
	yaml_node_t *schedule;
	yaml_node_t *every;
	yaml_node_t *at;
	yaml_node_t *start_at;
	const struct tz *tz; /* NULL: the local zone */
	int64_t jitter_ms;
	/* How it runs. env and limits merge: [0] from defaults, [1] its own. */
	yaml_node_t *shell;
	const char *cwd;
	yaml_node_t *env[2];
	yaml_node_t *limits[2];
	yaml_node_t *history[2];
	int env_clear;
	int umask;
	int nice;
	int64_t timeout_ms;
	int64_t kill_grace_ms;
	int64_t max_output;
	/* How it is queued and retried. */
	int enabled;
	int priority;
	yaml_node_t *queue;
	enum overlap overlap;
	int retries;
	int64_t retry_delay_ms;
	int64_t retry_max_delay_ms;
	double retry_backoff;
	yaml_node_t *retry_on;
	yaml_node_t *after;
	enum catch_up catch_up;
	int catch_up_max;
	int64_t starting_deadline_ms;
	yaml_node_t *notify;
	int64_t notify_every_ms;
};

struct field;
typedef int (*field_fn)(
    struct loader *, struct draft *, const struct field *, yaml_node_t *);

struct field {
	const char *name;
	field_fn set;
	const char *want; /* what the value must be, for messages */
	size_t slot;      /* field_node: where in the draft the node goes */
	int in_defaults;  /* may be set in the defaults block */
};

static int field_command(
    struct loader *, struct draft *, const struct field *, yaml_node_t *);
static int field_jitter(
    struct loader *, struct draft *, const struct field *, yaml_node_t *);
static int field_node(
    struct loader *, struct draft *, const struct field *, yaml_node_t *);
static int field_timezone(
    struct loader *, struct draft *, const struct field *, yaml_node_t *);
static int field_value(
    struct loader *, struct draft *, const struct field *, yaml_node_t *);
static int field_list(
    struct loader *, struct draft *, const struct field *, yaml_node_t *);
static int field_merged(
    struct loader *, struct draft *, const struct field *, yaml_node_t *);
static int field_flow(
    struct loader *, struct draft *, const struct field *, yaml_node_t *);

#define DATETIME_WANT "a date and time such as 2026-12-24T18:00"

/* Keep alphabetized; taskweaver(5) documents each entry. */
static const struct field task_fields[] = {
	{ "after", field_list, "a list of task names",
	    offsetof(struct draft, after), 0 },
	{ "at", field_node, DATETIME_WANT, offsetof(struct draft, at), 0 },
	{ "catch_up", field_flow, "none, latest or all", 0, 1 },
	{ "catch_up_max", field_flow, "a number from 1 to 1000", 0, 1 },
	{ "command", field_command, "a shell command line", 0, 0 },
	{ "cwd", field_value, "a directory", offsetof(struct draft, cwd), 1 },
	{ "description", field_value, "a line of text",
	    offsetof(struct draft, description), 0 },
	{ "enabled", field_flow, "true or false", 0, 1 },
	{ "env", field_merged, "a mapping of variable names to values",
	    offsetof(struct draft, env), 1 },
	{ "env_clear", field_value, "true or false",
	    offsetof(struct draft, env_clear), 1 },
	{ "every", field_node, "a duration such as 90s, 5m or 1h30m",
	    offsetof(struct draft, every), 0 },
	{ "history", field_merged,
	    "a mapping of keep_runs, keep_days and max_bytes",
	    offsetof(struct draft, history), 1 },
	{ "jitter", field_jitter, "a duration such as 30s", 0, 1 },
	{ "kill_grace", field_value, "a duration such as 10s",
	    offsetof(struct draft, kill_grace_ms), 1 },
	{ "limits", field_merged,
	    "a mapping of limits (cpu, memory, nofile, nproc, fsize, core, "
	    "stack)",
	    offsetof(struct draft, limits), 1 },
	{ "max_output", field_value, "a size such as 10M",
	    offsetof(struct draft, max_output), 1 },
	{ "nice", field_value, "a number from -20 to 19",
	    offsetof(struct draft, nice), 1 },
	{ "notify", field_list, "a mapping such as {on: [failure], via: [me]}",
	    offsetof(struct draft, notify), 1 },
	{ "notify_every", field_flow, "a duration such as 1h",
	    offsetof(struct draft, notify_every_ms), 1 },
	{ "overlap", field_flow, "skip, queue, allow or replace", 0, 1 },
	{ "priority", field_flow,
	    "critical, high, normal, low or a number from 0 to 100", 0, 1 },
	{ "queue", field_flow, "the name of a queue in 'queues'", 0, 1 },
	{ "retries", field_flow, "a number from 0 to 100", 0, 1 },
	{ "retry_backoff", field_flow, "a number from 1 to 10, such as 2.0", 0,
	    1 },
	{ "retry_delay", field_flow, "a duration such as 30s",
	    offsetof(struct draft, retry_delay_ms), 1 },
	{ "retry_max_delay", field_flow, "a duration such as 1h",
	    offsetof(struct draft, retry_max_delay_ms), 1 },
	{ "retry_on", field_flow,
	    "a list of exit codes and of timeout, start_failed, signal", 0, 1 },
	{ "run", field_list, "a list: the program and its arguments",
	    offsetof(struct draft, run), 0 },
	{ "schedule", field_node,
	    "a cron expression such as \"30 2 * * *\" or @daily",
	    offsetof(struct draft, schedule), 0 },
	{ "shell", field_list, "a shell and its options, as /bin/bash -c",
	    offsetof(struct draft, shell), 1 },
	{ "start_at", field_node, DATETIME_WANT,
	    offsetof(struct draft, start_at), 0 },
	{ "starting_deadline", field_flow, "a duration such as 10m",
	    offsetof(struct draft, starting_deadline_ms), 1 },
	{ "timeout", field_value, "a duration such as 1h",
	    offsetof(struct draft, timeout_ms), 1 },
	{ "timezone", field_timezone, "a zone such as Europe/Berlin", 0, 1 },
	{ "umask", field_value, "an octal mode such as 022",
	    offsetof(struct draft, umask), 1 },
};

/* limits: names, the resource, and whether the value is a size. */
enum limit_kind { LIMIT_SECONDS, LIMIT_SIZE, LIMIT_COUNT };
static const struct {
	const char *name;
	int resource;
	enum limit_kind kind;
} limit_names[] = {
	{ "core", RLIMIT_CORE, LIMIT_SIZE },
	{ "cpu", RLIMIT_CPU, LIMIT_SECONDS },
	{ "fsize", RLIMIT_FSIZE, LIMIT_SIZE },
	{ "memory", RLIMIT_AS, LIMIT_SIZE },
	{ "nofile", RLIMIT_NOFILE, LIMIT_COUNT },
	{ "nproc", RLIMIT_NPROC, LIMIT_COUNT },
	{ "stack", RLIMIT_STACK, LIMIT_SIZE },
};

#define DEFAULT_KILL_GRACE_MS      10000
#define DEFAULT_MAX_OUTPUT         (INT64_C(10) << 20)
#define DEFAULT_RETRY_DELAY_MS     10000
#define DEFAULT_CATCH_UP_MAX       10
#define DEFAULT_NOTIFY_EVERY_MS    (INT64_C(24) * 3600 * 1000)
#define DEFAULT_NOTIFY_TIMEOUT_MS  30000
#define DEFAULT_RETRY_MAX_DELAY_MS (3600 * 1000)

static const char *const top_keys[] = { "defaults", "include", "max_concurrent",
	"notifiers", "queues", "tasks" };

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

static void loader_error(struct loader *, const yaml_node_t *, const char *,
    ...) __attribute__((format(printf, 3, 4)));
static int loader_check_keys(struct loader *, yaml_node_t *, const char *);
static void strv_free(char **);
static const char *config_file_kind(mode_t);
static int loader_parse(const char *, struct ydoc *, struct config_errors *,
    const struct ydoc_stream *);
static int value_word(struct loader *, const struct field *, yaml_node_t *,
    const char *const *, size_t, int *);

static void
errors_add(struct config_errors *errs, const char *file, unsigned line,
    unsigned column, char *message)
{
	struct config_error *e;
	size_t i;

	/* A defaults field is read for each task: say what is wrong once. */
	for (i = 0; i < errs->n; i++) {
		if (errs->v[i].line == line && errs->v[i].column == column &&
		    line != 0 && strcmp(errs->v[i].message, message) == 0) {
			free(message);
			return;
		}
	}
	errs->v = xreallocarray(errs->v, errs->n + 1, sizeof *errs->v);
	e = &errs->v[errs->n++];
	e->file = xstrdup(file);
	e->line = line;
	e->column = column;
	e->message = message;
}

static void
loader_error(struct loader *l, const yaml_node_t *node, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	errors_add(l->errs, l->file,
	    node != NULL ? (unsigned)node->start_mark.line + 1 : 0,
	    node != NULL ? (unsigned)node->start_mark.column + 1 : 0, msg);
}

/* A warning (taken; none when NULL) about what node means, for check. */
static void
loader_warning(
    struct loader *l, const yaml_node_t *node, const char *what, char *msg)
{
	if (msg == NULL) {
		return;
	}
	errors_add(&l->config->warnings, l->file,
	    (unsigned)node->start_mark.line + 1,
	    (unsigned)node->start_mark.column + 1,
	    xasprintf("%s: %s", what, msg));
	free(msg);
}

static const char *
node_kind(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_SCALAR_NODE:
		return "a scalar";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

/* A plain ~, null or empty scalar is YAML's null. */
static int
node_is_null(const yaml_node_t *node)
{
	const char *v;

	if (node->type != YAML_SCALAR_NODE ||
	    node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
		return 0;
	}
	v = (const char *)node->data.scalar.value;
	return *v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	    strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/* The node's text if it is a non-null scalar, else NULL after an error. */
static const char *
loader_scalar(struct loader *l, const yaml_node_t *node, const struct field *f)
{
	if (node->type != YAML_SCALAR_NODE) {
		loader_error(l, node, "'%s' must be %s, not %s", f->name,
		    f->want, node_kind(node));
		return NULL;
	}
	if (node_is_null(node)) {
		loader_error(
		    l, node, "'%s' is empty; expected %s", f->name, f->want);
		return NULL;
	}
	return (const char *)node->data.scalar.value;
}

static int
field_command(
    struct loader *l, struct draft *d, const struct field *f, yaml_node_t *node)
{
	if ((d->command = loader_scalar(l, node, f)) == NULL) {
		return -1;
	}
	return 0;
}

/* Keep the node for when the task is complete; check only its type now. */
static int
field_node(
    struct loader *l, struct draft *d, const struct field *f, yaml_node_t *node)
{
	if (loader_scalar(l, node, f) == NULL) {
		return -1;
	}
	*(yaml_node_t **)((char *)d + f->slot) = node;
	return 0;
}

static int
field_jitter(
    struct loader *l, struct draft *d, const struct field *f, yaml_node_t *node)
{
	const char *v;
	int64_t secs;
	char *cause;

	if ((v = loader_scalar(l, node, f)) == NULL) {
		return -1;
	}
	if (duration_parse(v, &secs, &cause) == -1) {
		loader_error(l, node, "jitter: %s", cause);
		free(cause);
		return -1;
	}
	if (secs > JITTER_MAX_SECS) {
		loader_error(
		    l, node, "jitter: '%s' is over the limit of 1d", v);
		return -1;
	}
	d->jitter_ms = secs * 1000;
	return 0;
}

static int
field_timezone(
    struct loader *l, struct draft *d, const struct field *f, yaml_node_t *node)
{
	const char *v;
	char *cause;

	if ((v = loader_scalar(l, node, f)) == NULL) {
		return -1;
	}
	if ((d->tz = config_zone(l->config, v, &cause)) == NULL) {
		loader_error(l, node, "timezone: %s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

static const char *
node_text(const yaml_node_t *node)
{
	return (const char *)node->data.scalar.value;
}

/* A duration into *ms, at least min_secs. Returns 0, or -1 after an error. */
static int
value_duration(struct loader *l, const struct field *f, yaml_node_t *node,
    int64_t min_secs, int64_t *ms)
{
	int64_t secs;
	char *cause;

	if (duration_parse(node_text(node), &secs, &cause) == -1) {
		loader_error(l, node, "%s: %s", f->name, cause);
		free(cause);
		return -1;
	}
	if (secs < min_secs || secs > EVERY_MAX_SECS) {
		loader_error(l, node, "%s: '%s' must be from %llds to 3650d",
		    f->name, node_text(node), (long long)min_secs);
		return -1;
	}
	*ms = secs * 1000;
	return 0;
}

/* A whole number from lo to hi. Returns 0, or -1 after an error. */
static int
value_integer(struct loader *l, const char *what, yaml_node_t *node, long lo,
    long hi, int base, long *out)
{
	const char *v = node_text(node);
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, base);
	if (errno != 0 || end == v || *end != '\0' || n < lo || n > hi) {
		if (base == 8) {
			loader_error(l, node,
			    "%s: '%s' is not an octal mode from 0 to 0777",
			    what, v);
		} else {
			loader_error(l, node,
			    "%s: '%s' is not a number from %ld to %ld", what, v,
			    lo, hi);
		}
		return -1;
	}
	*out = n;
	return 0;
}

/* Lists (or words): checked when the task is complete. */
static int
field_list(
    struct loader *l, struct draft *d, const struct field *f, yaml_node_t *node)
{
	if (node_is_null(node)) {
		loader_error(
		    l, node, "'%s' is empty; expected %s", f->name, f->want);
		return -1;
	}
	*(yaml_node_t **)((char *)d + f->slot) = node;
	return 0;
}

/* Scalar fields whose value is known at once. */
/* "true"/"yes" or "false"/"no" into *out. */
static int
value_bool(struct loader *l, const char *what, yaml_node_t *node, int *out)
{
	const char *v = node_text(node);

	if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0) {
		*out = 1;
	} else if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0) {
		*out = 0;
	} else {
		loader_error(l, node, "%s: '%s' is not true or false", what, v);
		return -1;
	}
	return 0;
}

static int
field_value(
    struct loader *l, struct draft *d, const struct field *f, yaml_node_t *node)
{
	void *slot = (char *)d + f->slot;
	const char *v;
	char *cause;
	long n;

	if ((v = loader_scalar(l, node, f)) == NULL) {
		return -1;
	}
	if (strcmp(f->name, "cwd") == 0) {
		d->cwd = v;
	} else if (strcmp(f->name, "description") == 0) {
		d->description = v;
	} else if (strcmp(f->name, "env_clear") == 0) {
		return value_bool(l, f->name, node, &d->env_clear);
	} else if (strcmp(f->name, "umask") == 0) {
		if (value_integer(l, "umask", node, 0, 0777, 8, &n) == -1) {
			return -1;
		}
		d->umask = (int)n;
	} else if (strcmp(f->name, "nice") == 0) {
		if (value_integer(l, "nice", node, -20, 19, 10, &n) == -1) {
			return -1;
		}
		d->nice = (int)n;
	} else if (strcmp(f->name, "max_output") == 0) {
		if (size_parse(v, slot, &cause) == -1) {
			loader_error(l, node, "max_output: %s", cause);
			free(cause);
			return -1;
		}
	} else {
		/* timeout and kill_grace */
		return value_duration(
		    l, f, node, strcmp(f->name, "timeout") == 0 ? 1 : 0, slot);
	}
	return 0;
}

/* Mappings merged key by key with the defaults block's: env, limits. */
static int
field_merged(
    struct loader *l, struct draft *d, const struct field *f, yaml_node_t *node)
{
	yaml_node_t **slot = (yaml_node_t **)((char *)d + f->slot);

	if (node->type != YAML_MAPPING_NODE) {
		loader_error(l, node, "'%s' must be %s, not %s", f->name,
		    f->want, node_kind(node));
		return -1;
	}
	if (loader_check_keys(l, node,
	        strcmp(f->name, "env") == 0           ? "variable"
	            : strcmp(f->name, "history") == 0 ? "setting"
	                                              : "limit") == -1) {
		return -1;
	}
	slot[l->in_defaults ? 0 : 1] = node;
	return 0;
}

/* The zone a task's wall-clock times are in; NULL after an error. */
static const struct tz *
draft_zone(struct loader *l, const struct draft *d, yaml_node_t *where)
{
	const struct tz *tz;
	char *cause;

	if (d->tz != NULL) {
		return d->tz;
	}
	if ((tz = config_zone(l->config, "local", &cause)) == NULL) {
		loader_error(l, where, "%s", cause);
		free(cause);
	}
	return tz;
}

static int
draft_every(struct loader *l, const struct draft *d, struct task_def *t)
{
	const char *v = node_text(d->every);
	const struct tz *tz;
	int64_t secs, start;
	char *cause;

	if (duration_parse(v, &secs, &cause) == -1) {
		loader_error(l, d->every, "every: %s", cause);
		free(cause);
		return -1;
	}
	if (secs == 0 || secs > EVERY_MAX_SECS) {
		loader_error(l, d->every,
		    "every: interval must be from 1s to 3650d, not '%s'", v);
		return -1;
	}
	t->schedule = schedule_every(secs);
	if (d->start_at == NULL) {
		return 0;
	}
	if ((tz = draft_zone(l, d, d->start_at)) == NULL) {
		return -1;
	}
	if (tz_parse_iso(tz, node_text(d->start_at), &start, &cause) == -1) {
		loader_error(l, d->start_at, "start_at: %s", cause);
		free(cause);
		return -1;
	}
	schedule_set_start(t->schedule, start);
	return 0;
}

/*
 * The slot of key in in: the item equal to it, or the free slot for it
 * (which the caller fills, counting it in in->n).
 */
static struct intern_slot *
intern_slot(struct intern *in, uint64_t hash,
    int (*equal)(const void *item, const void *key), const void *key)
{
	struct intern_slot *old = in->v, *slot;
	size_t cap = in->cap, mask, i;

	if ((in->n + 1) * 2 > in->cap) {
		in->cap = cap == 0 ? 16 : cap * 2;
		in->v = xcalloc(in->cap, sizeof *in->v);
		for (i = 0; i < cap; i++) {
			/* Items are all different: each takes the first free. */
			if (old[i].item != NULL) {
				*intern_slot(in, old[i].hash, NULL, NULL) =
				    old[i];
			}
		}
		free(old);
	}
	mask = in->cap - 1;
	for (i = (size_t)(hash ^ hash >> 32) & mask;; i = (i + 1) & mask) {
		slot = &in->v[i];
		if (slot->item == NULL ||
		    (equal != NULL && slot->hash == hash &&
		        equal(slot->item, key))) {
			return slot;
		}
	}
}

/* Free each item with release, and the table. */
static void
intern_release(struct intern *in, void (*release)(void *))
{
	size_t i;

	for (i = 0; i < in->cap; i++) {
		if (in->v[i].item != NULL) {
			release(in->v[i].item);
		}
	}
	free(in->v);
}

static int
loader_rule_equal(const void *item, const void *key)
{
	const struct loader_rule *a = item, *b = key;

	return a->tz == b->tz && strcmp(a->text, b->text) == 0;
}

static void
loader_rule_free(void *item)
{
	struct loader_rule *r = item;

	free(r->text);
	schedule_free(r->s);
	free(r);
}

/*
 * The cron rule text in tz of the task named name, parsed or shared; NULL
 * with *cause. What it means that one may not expect is a warning at node.
 */
static struct schedule *
loader_cron(struct loader *l, const char *name, yaml_node_t *node,
    const struct tz *tz, char **cause)
{
	const char *text = node_text(node);
	struct loader_rule key = { (char *)text, tz, NULL }, *r;
	uint64_t h;
	struct intern_slot *slot;
	struct schedule *s;
	char *warning = NULL;

	/* Random ranges are the task's own: chosen from its name. */
	if (strchr(text, '~') != NULL) {
		if ((s = schedule_cron_seeded(
		         text, schedule_seed(name), &warning, cause)) != NULL) {
			schedule_set_tz(s, tz);
		}
		loader_warning(l, node, "schedule", warning);
		return s;
	}
	h = hash_str(hash_bytes(HASH_START, &tz, sizeof tz), text);
	slot = intern_slot(&l->rules, h, loader_rule_equal, &key);
	if (slot->item == NULL) {
		if ((s = schedule_cron_seeded(text, 0, &warning, cause)) ==
		    NULL) {
			return NULL;
		}
		loader_warning(l, node, "schedule", warning);
		schedule_set_tz(s, tz);
		r = xmalloc(sizeof *r);
		r->text = xstrdup(text);
		r->tz = tz;
		r->s = s;
		slot->hash = h;
		slot->item = r;
		l->rules.n++;
	}
	r = slot->item;
	return schedule_ref(r->s);
}

/* Whether two policies are alike: as two tasks alike in all else. */
static int
task_policy_equal(const void *item, const void *key)
{
	struct task_def a = { .policy = (struct task_policy *)item };
	struct task_def b = { .policy = (struct task_policy *)key };

	return task_def_changes(&a, &b, NULL, 0) == 0;
}

static uint64_t
task_policy_hash(const struct task_policy *p)
{
	const unsigned char *scalars = (const unsigned char *)&p->timeout_ms;
	uint64_t h = HASH_START, word;
	size_t i;

	/* The scalars, from timeout_ms to notify_every_ms, a word at a time. */
	for (i = 0; i < offsetof(struct task_policy, nlimits) -
	         offsetof(struct task_policy, timeout_ms);
	     i += sizeof word) {
		memcpy(&word, scalars + i, sizeof word);
		h = (h ^ word) * UINT64_C(0x9e3779b97f4a7c15);
		h ^= h >> 29;
	}
	h = hash_bytes(h, &p->retries, sizeof p->retries);
	h = hash_bytes(h, &p->queue, sizeof p->queue);
	h = hash_bytes(h, &p->notify_on, sizeof p->notify_on);
	h = hash_bytes(h, &p->priority, sizeof p->priority);
	h = hash_str(h, p->cwd);
	for (i = 0; p->shell != NULL && p->shell[i] != NULL; i++) {
		h = hash_str(h, p->shell[i]);
	}
	for (i = 0; p->env != NULL && p->env[i] != NULL; i++) {
		h = hash_str(h, p->env[i]);
	}
	/* Limits, retry codes and notifiers are left to the equality. */
	return h;
}

/*
 * The policy alike to *p (a task's, as built, not yet on the heap), kept
 * once: a copy of it, which takes what it holds, or one kept before, and
 * *p's then let go. Tasks side by side are mostly alike: the last policy
 * is tried before any hashing.
 */
static struct task_policy *
loader_policy(struct loader *l, struct task_policy *p)
{
	struct task_policy *kept = l->last_policy;
	struct intern_slot *slot;
	uint64_t h;

	if (kept == NULL || !task_policy_equal(kept, p)) {
		h = task_policy_hash(p);
		slot = intern_slot(&l->policies, h, task_policy_equal, p);
		if (slot->item == NULL) {
			kept = xmalloc(sizeof *kept);
			*kept = *p;
			kept->refs = 1; /* the table's */
			memset(p, 0, sizeof *p);
			slot->hash = h;
			slot->item = kept;
			l->policies.n++;
		}
		kept = slot->item;
		l->last_policy = kept;
	}
	task_policy_clear(p);
	return task_policy_ref(kept);
}

/* Build the task's rule from its draft; errors point at the values. */
static int
draft_schedule(struct loader *l, const struct draft *d, struct task_def *t)
{
	yaml_node_t *given[3] = { d->schedule, d->every, d->at };
	static const char *const names[3] = { "schedule", "every", "at" };
	const struct tz *tz;
	char *cause;
	int64_t ms;
	int i, first = -1;

	for (i = 0; i < 3; i++) {
		if (given[i] == NULL) {
			continue;
		}
		if (first != -1) {
			loader_error(l, given[i],
			    "'%s' and '%s' cannot be used together: a task "
			    "has one of schedule, every or at",
			    names[first], names[i]);
			return -1;
		}
		first = i;
	}
	if (d->start_at != NULL && d->every == NULL) {
		loader_error(l, d->start_at, "'start_at' goes with 'every'");
		return -1;
	}
	if (d->every != NULL) {
		return draft_every(l, d, t);
	}
	if (first == -1) {
		return 0; /* runs only when asked */
	}
	if ((tz = draft_zone(l, d, given[first])) == NULL) {
		return -1;
	}
	t->tz = tz;
	if (d->at != NULL) {
		if (tz_parse_iso(tz, node_text(d->at), &ms, &cause) == -1) {
			loader_error(l, d->at, "at: %s", cause);
			free(cause);
			return -1;
		}
		t->schedule = schedule_at(ms);
		return 0;
	}
	if ((t->schedule = loader_cron(l, t->name, d->schedule, tz, &cause)) ==
	    NULL) {
		loader_error(l, d->schedule, "schedule: %s", cause);
		free(cause);
		return -1;
	}
	return 0;
}

static const struct field *
field_find(const char *name)
{
	size_t i;

	for (i = 0; i < NITEMS(task_fields); i++) {
		if (strcmp(task_fields[i].name, name) == 0) {
			return &task_fields[i];
		}
	}
	return NULL;
}

static void
loader_unknown_key(struct loader *l, const yaml_node_t *key, const char *where,
    const char *const *known, size_t nknown)
{
	const char *name = (const char *)key->data.scalar.value;
	const char *hint = suggest(name, known, nknown);

	if (hint != NULL) {
		loader_error(l, key, "unknown %s '%s' (did you mean '%s'?)",
		    where, name, hint);
	} else {
		loader_error(l, key, "unknown %s '%s'", where, name);
	}
}

/* Keys by text, then by place, so the first of equals comes first. */
static int
key_cmp(const void *a, const void *b)
{
	const yaml_node_t *x = *(yaml_node_t *const *)a;
	const yaml_node_t *y = *(yaml_node_t *const *)b;
	int c = strcmp((const char *)x->data.scalar.value,
	    (const char *)y->data.scalar.value);

	if (c != 0) {
		return c;
	}
	return x->start_mark.index < y->start_mark.index
	    ? -1
	    : x->start_mark.index > y->start_mark.index;
}

/*
 * Check that a mapping's keys are scalars and unique; reports each bad one.
 * Returns 0 when every key can be used.
 */
/* Mappings up to this size (a task's fields) are checked in place. */
#define SMALL_MAPPING 16

static int
loader_check_keys(struct loader *l, yaml_node_t *map, const char *what)
{
	size_t n = (size_t)(map->data.mapping.pairs.top -
	           map->data.mapping.pairs.start),
	       nkeys = 0, i, j, first = 0;
	yaml_node_t *small[SMALL_MAPPING], **keys = small, *k, *dup;
	yaml_node_pair_t *p;
	int bad = 0;

	/*
	 * A big mapping is sorted, so duplicates are neighbours: a tasks file
	 * of 100,000 is quick. A small one is compared key by key, nothing
	 * allocated: 100,000 tasks made as many arrays to sort.
	 */
	if (n > SMALL_MAPPING) {
		keys = xcalloc(n, sizeof *keys);
	}
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		if (k->type != YAML_SCALAR_NODE) {
			loader_error(l, k, "%s must be a plain name, not %s",
			    what, node_kind(k));
			bad = 1;
			continue;
		}
		keys[nkeys++] = k;
	}
	if (keys != small) {
		qsort(keys, nkeys, sizeof *keys, key_cmp);
	}
	for (i = 1; i < nkeys; i++) {
		if (keys == small) {
			for (j = 0; j < i &&
			     strcmp(node_text(keys[j]), node_text(keys[i])) !=
			         0;
			     j++) {
				;
			}
			if (j == i) {
				continue;
			}
			dup = keys[j];
		} else {
			if (strcmp(node_text(keys[i]),
			        node_text(keys[first])) != 0) {
				first = i;
				continue;
			}
			dup = keys[first];
		}
		loader_error(l, keys[i],
		    "duplicate %s '%s' (first at line %lu)", what,
		    node_text(keys[i]),
		    (unsigned long)dup->start_mark.line + 1);
		bad = 1;
	}
	if (keys != small) {
		free(keys);
	}
	return bad ? -1 : 0;
}

int
config_task_name_valid(const char *name)
{
	const char *p;

	/* All digits would read as a run id (twctl kill 12). */
	if (strspn(name, "0123456789") == strlen(name)) {
		return 0;
	}
	if (*name == '\0' || *name == '.' || *name == '-' ||
	    strlen(name) > TASK_NAME_MAX) {
		return 0;
	}
	for (p = name; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		        *p == '.')) {
			return 0;
		}
	}
	return 1;
}

static struct task_policy *
task_policy_new(void)
{
	struct task_policy *p = xcalloc(1, sizeof *p);

	p->refs = 1;
	return p;
}

static struct task_policy *
task_policy_ref(struct task_policy *p)
{
	p->refs++;
	return p;
}

/* Free what p holds, leaving it empty. */
static void
task_policy_clear(struct task_policy *p)
{
	strv_free(p->shell);
	free(p->cwd);
	strv_free(p->env);
	free(p->limits);
	free(p->retry_codes);
	free(p->notify_via);
	memset(p, 0, sizeof *p);
}

static void
task_policy_free(struct task_policy *p)
{
	if (p == NULL || --p->refs > 0) {
		return;
	}
	task_policy_clear(p);
	free(p);
}

static void
task_policy_release(void *p)
{
	task_policy_free(p);
}

void
task_def_free(struct task_def *t)
{
	if (t == NULL) {
		return;
	}
	free(t->name);
	free(t->description);
	free(t->command);
	strv_free(t->argv);
	task_policy_free(t->policy);
	strv_free(t->after);
	schedule_free(t->schedule);
	free(t);
}

static char **
strv_copy(char **v)
{
	char **c;
	size_t n = 0, i;

	if (v == NULL) {
		return NULL;
	}
	while (v[n] != NULL) {
		n++;
	}
	c = xcalloc(n + 1, sizeof *c);
	for (i = 0; i < n; i++) {
		c[i] = xstrdup(v[i]);
	}
	return c;
}

static void *
mem_copy(const void *p, size_t n, size_t size)
{
	void *c;

	if (p == NULL || n == 0) {
		return NULL;
	}
	c = xreallocarray(NULL, n, size);
	memcpy(c, p, n * size);
	return c;
}

/* A policy of its own, to be written, like p. */
static struct task_policy *
task_policy_copy(const struct task_policy *p)
{
	struct task_policy *c = xmalloc(sizeof *c);

	*c = *p;
	c->refs = 1;
	c->shell = strv_copy(p->shell);
	c->cwd = p->cwd != NULL ? xstrdup(p->cwd) : NULL;
	c->env = strv_copy(p->env);
	c->limits = mem_copy(p->limits, p->nlimits, sizeof *p->limits);
	c->retry_codes =
	    mem_copy(p->retry_codes, p->nretry_codes, sizeof *p->retry_codes);
	c->notify_via =
	    mem_copy(p->notify_via, p->nnotify_via, sizeof *p->notify_via);
	return c;
}

struct task_def *
task_def_copy(const struct task_def *d)
{
	struct task_def *c = xmalloc(sizeof *c);

	*c = *d;
	c->name = d->name != NULL ? xstrdup(d->name) : NULL;
	c->file = NULL; /* a copy outlives the config it was in */
	c->description =
	    d->description != NULL ? xstrdup(d->description) : NULL;
	c->command = d->command != NULL ? xstrdup(d->command) : NULL;
	c->argv = strv_copy(d->argv);
	c->policy = task_policy_copy(d->policy);
	c->after = NULL;
	c->schedule = NULL;
	return c;
}

static void
strv_add(char ***v, size_t *n, char *s)
{
	*v = xreallocarray(*v, *n + 2, sizeof **v);
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
}

static void
strv_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++) {
		free(v[i]);
	}
	free(v);
}

/* A list of words from a sequence, or a scalar split at blanks. */
/*
 * Count n more values copied; false (after an error at node, said once)
 * when that passes the budget.
 */
static int
loader_copy(struct loader *l, yaml_node_t *node, size_t n)
{
	l->copied += n;
	if (l->copied <= l->copy_budget) {
		return 1;
	}
	if (!l->over_budget) {
		loader_error(l, node,
		    "aliases make this file more than %zu values (as many as "
		    "its files have bytes, and a million): name fewer, or "
		    "write them out",
		    l->copy_budget);
		l->over_budget = 1;
	}
	return 0;
}

static char **
loader_words(struct loader *l, yaml_node_t *node, const char *what)
{
	yaml_node_item_t *it;
	yaml_node_t *item;
	char **v = NULL, *copy, *w, *save = NULL;
	size_t n = 0;

	if (node->type == YAML_SEQUENCE_NODE &&
	    !loader_copy(l, node,
	        (size_t)(node->data.sequence.items.top -
	            node->data.sequence.items.start))) {
		return NULL;
	}
	if (node->type == YAML_SEQUENCE_NODE) {
		/* Its size known: one allocation, not one a word. */
		v = xreallocarray(NULL,
		    (size_t)(node->data.sequence.items.top -
		        node->data.sequence.items.start) +
		        1,
		    sizeof *v);
		v[0] = NULL;
	}

	if (node->type == YAML_SCALAR_NODE) {
		copy = xstrdup(node_text(node));
		for (w = strtok_r(copy, " \t", &save); w != NULL;
		     w = strtok_r(NULL, " \t", &save)) {
			strv_add(&v, &n, xstrdup(w));
		}
		free(copy);
		return v;
	}
	for (it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		item = yaml_document_get_node(&l->doc.doc, *it);
		if (item->type != YAML_SCALAR_NODE || node_is_null(item)) {
			loader_error(l, item,
			    "%s: each item must be a word, "
			    "not %s",
			    what, node_kind(item));
			strv_free(v);
			return NULL;
		}
		v[n++] = xstrdup(node_text(item));
		v[n] = NULL;
	}
	if (n == 0) {
		loader_error(l, node, "%s: the list is empty", what);
	}
	return v;
}

static int
env_name_valid(const char *name)
{
	const char *p = name;

	if (!(*p == '_' || (*p >= 'A' && *p <= 'Z') ||
	        (*p >= 'a' && *p <= 'z'))) {
		return 0;
	}
	for (p++; *p != '\0'; p++) {
		if (!(*p == '_' || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))) {
			return 0;
		}
	}
	return 1;
}

typedef void (*pair_fn)(
    struct loader *, yaml_node_t *, yaml_node_t *, struct task_def *);

/* Call fn for each pair of the defaults' mapping, then of the task's. */
static void
merged_each(struct loader *l, yaml_node_t *const maps[2], pair_fn fn,
    struct task_def *t)
{
	yaml_node_pair_t *p;
	int m;

	for (m = 0; m < 2; m++) {
		if (maps[m] == NULL) {
			continue;
		}
		for (p = maps[m]->data.mapping.pairs.start;
		     p < maps[m]->data.mapping.pairs.top; p++) {
			fn(l, yaml_document_get_node(&l->doc.doc, p->key),
			    yaml_document_get_node(&l->doc.doc, p->value), t);
		}
	}
}

/* One env variable, appended to the task's (no other has its name). */
static void
env_pair(struct loader *l, yaml_node_t *k, yaml_node_t *v, struct task_def *t)
{
	size_t n;
	char *var;

	if (!env_name_valid(node_text(k))) {
		loader_error(l, k,
		    "env: '%s' is not a variable name (letters, digits and _)",
		    node_text(k));
		return;
	}
	if (v->type != YAML_SCALAR_NODE) {
		loader_error(l, v, "env: %s must be a string, not %s",
		    node_text(k), node_kind(v));
		return;
	}
	var = xasprintf(
	    "%s=%s", node_text(k), node_is_null(v) ? "" : node_text(v));
	n = l->env_n;
	if (n + 2 > l->env_cap) {
		l->env_cap = l->env_cap * 2 + 16;
		t->policy->env = xreallocarray(
		    t->policy->env, l->env_cap, sizeof *t->policy->env);
	}
	t->policy->env[n] = var;
	t->policy->env[n + 1] = NULL;
	l->env_n = n + 1;
}

/* The slot of name in a table of cap (a power of 2) names, or its free one. */
static size_t
name_slot(const char **set, size_t cap, const char *name)
{
	size_t i = (size_t)hash_str(HASH_START, name) & (cap - 1);

	while (set[i] != NULL && strcmp(set[i], name) != 0) {
		i = (i + 1) & (cap - 1);
	}
	return i;
}

/*
 * env: the defaults' variables, then the task's; one of the task's
 * replaces the defaults' of its name. Linear: the task's names are looked
 * up in a table, not each against all (5,000 variables in 2,000 tasks
 * took a minute).
 */
static void
loader_env(struct loader *l, yaml_node_t *const maps[2], struct task_def *t)
{
	yaml_node_t *const own[2] = { NULL, maps[1] };
	yaml_node_pair_t *p;
	const char **set = NULL, *name;
	size_t cap = 16;

	l->env_n = 0;
	l->env_cap = 0;
	if (!loader_copy(l, maps[1] != NULL ? maps[1] : maps[0],
	        (maps[0] != NULL ? (size_t)(maps[0]->data.mapping.pairs.top -
	                               maps[0]->data.mapping.pairs.start)
	                         : 0) +
	            (maps[1] != NULL
	                    ? (size_t)(maps[1]->data.mapping.pairs.top -
	                          maps[1]->data.mapping.pairs.start)
	                    : 0))) {
		return;
	}
	if (maps[0] != NULL && maps[1] != NULL) {
		while (cap < 2 *
		        (size_t)(maps[1]->data.mapping.pairs.top -
		            maps[1]->data.mapping.pairs.start)) {
			cap *= 2;
		}
		set = xcalloc(cap, sizeof *set);
		for (p = maps[1]->data.mapping.pairs.start;
		     p < maps[1]->data.mapping.pairs.top; p++) {
			name = node_text(
			    yaml_document_get_node(&l->doc.doc, p->key));
			set[name_slot(set, cap, name)] = name;
		}
	}
	for (p = maps[0] != NULL ? maps[0]->data.mapping.pairs.start : NULL;
	     p != NULL && p < maps[0]->data.mapping.pairs.top; p++) {
		name = node_text(yaml_document_get_node(&l->doc.doc, p->key));
		if (set != NULL && set[name_slot(set, cap, name)] != NULL) {
			continue; /* the task's own comes later */
		}
		env_pair(l, yaml_document_get_node(&l->doc.doc, p->key),
		    yaml_document_get_node(&l->doc.doc, p->value), t);
	}
	free(set);
	merged_each(l, own, env_pair, t);
}

/* One resource limit; a later one of the same resource wins. */
static void
limit_pair(
    struct loader *l, yaml_node_t *k, yaml_node_t *val, struct task_def *t)
{
	const char *names[NITEMS(limit_names)], *v;
	char *cause = NULL, *end;
	size_t i, j;
	int64_t n = 0;

	for (i = 0; i < NITEMS(limit_names); i++) {
		names[i] = limit_names[i].name;
	}
	for (i = 0; i < NITEMS(limit_names); i++) {
		if (strcmp(node_text(k), names[i]) == 0) {
			break;
		}
	}
	if (i == NITEMS(limit_names)) {
		loader_unknown_key(l, k, "limit", names, NITEMS(names));
		return;
	}
	if (val->type != YAML_SCALAR_NODE || node_is_null(val)) {
		loader_error(l, val, "limits: %s must be a value, not %s",
		    names[i], node_kind(val));
		return;
	}
	v = node_text(val);
	if (limit_names[i].kind == LIMIT_SIZE) {
		size_parse(v, &n, &cause);
	} else if (limit_names[i].kind == LIMIT_SECONDS) {
		if (duration_parse(v, &n, &cause) == 0 && n == 0) {
			cause = xasprintf("'%s' must be at least 1s", v);
		}
	} else {
		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno != 0 || *end != '\0' || end == v || n < 0) {
			cause = xasprintf("'%s' is not a count", v);
		}
	}
	if (cause != NULL) {
		loader_error(l, val, "limits: %s: %s", names[i], cause);
		free(cause);
		return;
	}
	for (j = 0; j < t->policy->nlimits; j++) {
		if (t->policy->limits[j].resource == limit_names[i].resource) {
			break;
		}
	}
	if (j == t->policy->nlimits) {
		t->policy->limits = xreallocarray(t->policy->limits,
		    t->policy->nlimits + 1, sizeof *t->policy->limits);
		t->policy->nlimits++;
	}
	t->policy->limits[j].resource = limit_names[i].resource;
	t->policy->limits[j].value = (uint64_t)n;
	t->policy->limits[j].name = limit_names[i].name;
}

/* One history retention setting; a later one of the same name wins. */
static void
history_pair(
    struct loader *l, yaml_node_t *k, yaml_node_t *val, struct task_def *t)
{
	static const char *const names[] = { "keep_days", "keep_runs",
		"max_bytes" };
	const char *v;
	char *cause = NULL, *end;
	int64_t n = 0;

	if (val->type != YAML_SCALAR_NODE || node_is_null(val)) {
		loader_error(l, val, "history: %s must be a value, not %s",
		    node_text(k), node_kind(val));
		return;
	}
	v = node_text(val);
	if (strcmp(node_text(k), "max_bytes") == 0) {
		if (size_parse(v, &t->policy->keep_bytes, &cause) == -1) {
			loader_error(l, val, "history: max_bytes: %s", cause);
			free(cause);
		}
		return;
	}
	if (strcmp(node_text(k), "keep_runs") != 0 &&
	    strcmp(node_text(k), "keep_days") != 0) {
		loader_unknown_key(
		    l, k, "history setting", names, NITEMS(names));
		return;
	}
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0' || end == v || n < 1) {
		loader_error(l, val, "history: %s: '%s' is not a number from 1",
		    node_text(k), v);
		return;
	}
	*(strcmp(node_text(k), "keep_runs") == 0 ? &t->policy->keep_runs
	                                         : &t->policy->keep_days) = n;
}

/* Processors online: the default of max_concurrent. */
static int
loader_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 10000 ? 10000 : (int)n;
}

#define MAPPING_SIZE(m)                                                        \
	((size_t)((m)->data.mapping.pairs.top - (m)->data.mapping.pairs.start))

/* Whether the key k, naming a queue or a notifier, is a good name. */
static int
loader_name_ok(struct loader *l, const yaml_node_t *k, const char *what)
{
	if (config_task_name_valid(node_text(k))) {
		return 1;
	}
	loader_error(l, k,
	    "%s name '%s' must be letters, digits, '-', '_' or '.'", what,
	    node_text(k));
	return 0;
}

/* queues: {NAME: {max_concurrent: N}, ...} */
static void
loader_queues(struct loader *l, struct config *c, yaml_node_t *map)
{
	static const char *const keys[] = { "max_concurrent" };
	yaml_node_pair_t *p, *q;
	yaml_node_t *k, *v, *qk, *qv;
	struct queue_def *qd;
	long n;

	if (node_is_null(map)) {
		return;
	}
	if (map->type != YAML_MAPPING_NODE ||
	    loader_check_keys(l, map, "queue") == -1) {
		if (map->type != YAML_MAPPING_NODE) {
			loader_error(l, map,
			    "'queues' must be a mapping of queue names to "
			    "{max_concurrent: N}, not %s",
			    node_kind(map));
		}
		return;
	}
	c->queues = xcalloc(MAPPING_SIZE(map), sizeof *c->queues);
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		v = yaml_document_get_node(&l->doc.doc, p->value);
		if (!loader_name_ok(l, k, "queue")) {
			continue;
		}
		qd = &c->queues[c->nqueues++];
		qd->name = xstrdup(node_text(k));
		qd->max_concurrent = 1;
		if (v->type != YAML_MAPPING_NODE) {
			loader_error(l, v,
			    "queue '%s' must be a mapping such as "
			    "{max_concurrent: 2}, not %s",
			    qd->name, node_kind(v));
			continue;
		}
		for (q = v->data.mapping.pairs.start;
		     q < v->data.mapping.pairs.top; q++) {
			qk = yaml_document_get_node(&l->doc.doc, q->key);
			qv = yaml_document_get_node(&l->doc.doc, q->value);
			if (strcmp(node_text(qk), "max_concurrent") != 0) {
				loader_unknown_key(
				    l, qk, "queue setting", keys, NITEMS(keys));
			} else if (value_integer(l, "max_concurrent", qv, 1,
			               10000, 10, &n) == 0) {
				qd->max_concurrent = (int)n;
			}
		}
	}
}

static const char *const overlap_names[] = {
	[OVERLAP_SKIP] = "skip",
	[OVERLAP_QUEUE] = "queue",
	[OVERLAP_ALLOW] = "allow",
	[OVERLAP_REPLACE] = "replace",
};

static const char *const notifier_type_names[] = {
	[NOTIFIER_DESKTOP] = "desktop",
	[NOTIFIER_MAIL] = "mail",
	[NOTIFIER_WEBHOOK] = "webhook",
	[NOTIFIER_COMMAND] = "command",
};

/* In the order of the NOTIFY_* bits. */
static const char *const notify_event_names[] = { "failure", "retry",
	"recovery", "success", "skipped", "config_error", "state_error" };

const char *
config_notifier_type_name(enum notifier_type t)
{
	return notifier_type_names[t];
}

const char *
config_notify_event_name(unsigned event)
{
	size_t i;

	for (i = 0; i < NITEMS(notify_event_names); i++) {
		if (event == 1U << i) {
			return notify_event_names[i];
		}
	}
	return NULL;
}

int
config_notifier_index(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nnotifiers; i++) {
		if (strcmp(c->notifiers[i].name, name) == 0) {
			return (int)i;
		}
	}
	return -1;
}

/* One setting of a notifier into nd; key checked against its type. */
static void
notifier_setting(
    struct loader *l, struct notifier_def *nd, yaml_node_t *k, yaml_node_t *v)
{
	static const struct field timeout = { "timeout", NULL,
		"a duration such as 30s", 0, 0 };
	static const struct field format = { "format", NULL, "generic or slack",
		0, 0 };
	static const char *const formats[] = { "generic", "slack" };
	const char *key = node_text(k), *val;
	int w;

	if (strcmp(key, "timeout") == 0) {
		value_duration(l, &timeout, v, 1, &nd->timeout_ms);
		return;
	}
	if (strcmp(key, "run") == 0 || strcmp(key, "sendmail") == 0) {
		if (v->type == YAML_MAPPING_NODE || node_is_null(v)) {
			loader_error(l, v,
			    "%s: must be a program and its arguments, as "
			    "[logger, -t, taskweaver]",
			    key);
			return;
		}
		strv_free(nd->program);
		nd->program = loader_words(l, v, key);
		return;
	}
	if (v->type != YAML_SCALAR_NODE || node_is_null(v)) {
		loader_error(
		    l, v, "%s: must be a value, not %s", key, node_kind(v));
		return;
	}
	val = node_text(v);
	if (strcmp(key, "to") == 0 || strcmp(key, "from") == 0) {
		if (strchr(val, '@') == NULL || strpbrk(val, "\r\n") != NULL) {
			loader_error(
			    l, v, "%s: '%s' is not a mail address", key, val);
			return;
		}
		*(strcmp(key, "to") == 0 ? &nd->to : &nd->from) = xstrdup(val);
	} else if (strcmp(key, "url") == 0) {
		if (strncmp(val, "http://", 7) != 0 &&
		    strncmp(val, "https://", 8) != 0) {
			loader_error(l, v,
			    "url: '%s' is not an http:// or https:// URL", val);
			return;
		}
		nd->url = xstrdup(val);
	} else if (strcmp(key, "format") == 0 &&
	    value_word(l, &format, v, formats, NITEMS(formats), &w) == 0) {
		nd->slack = w == 1;
	}
}

/* Whether key belongs to a notifier of type t; an error if it does not. */
static int
notifier_key_fits(struct loader *l, yaml_node_t *k, enum notifier_type t)
{
	static const struct {
		const char *key;
		int type; /* -1: any */
	} keys[] = {
		{ "format", NOTIFIER_WEBHOOK },
		{ "from", NOTIFIER_MAIL },
		{ "run", NOTIFIER_COMMAND },
		{ "sendmail", NOTIFIER_MAIL },
		{ "timeout", -1 },
		{ "to", NOTIFIER_MAIL },
		{ "type", -1 },
		{ "url", NOTIFIER_WEBHOOK },
	};
	const char *names[NITEMS(keys)];
	size_t i;

	for (i = 0; i < NITEMS(keys); i++) {
		names[i] = keys[i].key;
		if (strcmp(node_text(k), keys[i].key) != 0) {
			continue;
		}
		if (keys[i].type != -1 && keys[i].type != (int)t) {
			loader_error(l, k,
			    "'%s' is a setting of %s notifiers, not of %s "
			    "ones",
			    keys[i].key, notifier_type_names[keys[i].type],
			    notifier_type_names[t]);
			return 0;
		}
		return 1;
	}
	loader_unknown_key(l, k, "notifier setting", names, NITEMS(names));
	return 0;
}

/* One notifier: {type: T, ...} into nd. */
static void
loader_notifier(struct loader *l, struct notifier_def *nd, yaml_node_t *key,
    yaml_node_t *map)
{
	static const struct field type = { "type", NULL,
		"desktop, mail, webhook or command", 0, 0 };
	static const char *const sendmail[] = { "/usr/sbin/sendmail", "-t",
		"-oi" };
	yaml_node_pair_t *p;
	yaml_node_t *k, *v = NULL;
	size_t i;
	int w;

	nd->timeout_ms = DEFAULT_NOTIFY_TIMEOUT_MS;
	if (map->type == YAML_MAPPING_NODE) {
		for (p = map->data.mapping.pairs.start;
		     p < map->data.mapping.pairs.top; p++) {
			k = yaml_document_get_node(&l->doc.doc, p->key);
			if (strcmp(node_text(k), "type") == 0) {
				v = yaml_document_get_node(
				    &l->doc.doc, p->value);
			}
		}
	}
	if (v == NULL) {
		loader_error(l, map->type == YAML_MAPPING_NODE ? map : key,
		    "notifier '%s' must be a mapping with a type: desktop, "
		    "mail, webhook or command",
		    nd->name);
		return;
	}
	if (value_word(l, &type, v, notifier_type_names,
	        NITEMS(notifier_type_names), &w) == -1 ||
	    loader_check_keys(l, map, "notifier setting") == -1) {
		return;
	}
	nd->type = (enum notifier_type)w;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		if (notifier_key_fits(l, k, nd->type) &&
		    strcmp(node_text(k), "type") != 0) {
			notifier_setting(l, nd, k,
			    yaml_document_get_node(&l->doc.doc, p->value));
		}
	}
	if (nd->type == NOTIFIER_MAIL && nd->to == NULL) {
		loader_error(l, key, "notifier '%s' (mail) has no 'to' address",
		    nd->name);
	} else if (nd->type == NOTIFIER_WEBHOOK && nd->url == NULL) {
		loader_error(
		    l, key, "notifier '%s' (webhook) has no 'url'", nd->name);
	} else if (nd->type == NOTIFIER_COMMAND && nd->program == NULL) {
		loader_error(l, key,
		    "notifier '%s' (command) has no 'run': the program and "
		    "its arguments",
		    nd->name);
	}
	if (nd->type == NOTIFIER_MAIL && nd->program == NULL) {
		nd->program =
		    xcalloc(NITEMS(sendmail) + 1, sizeof *nd->program);
		for (i = 0; i < NITEMS(sendmail); i++) {
			nd->program[i] = xstrdup(sendmail[i]);
		}
	}
}

/* notifiers: {NAME: {type: desktop|mail|webhook|command, ...}, ...} */
static void
loader_notifiers(struct loader *l, struct config *c, yaml_node_t *map)
{
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	struct notifier_def *nd;

	if (node_is_null(map)) {
		return;
	}
	if (map->type != YAML_MAPPING_NODE) {
		loader_error(l, map,
		    "'notifiers' must be a mapping of names to notifiers, "
		    "such as {me: {type: mail, to: me@example.org}}, not %s",
		    node_kind(map));
		return;
	}
	if (loader_check_keys(l, map, "notifier") == -1) {
		return;
	}
	c->notifiers = xcalloc(MAPPING_SIZE(map), sizeof *c->notifiers);
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		v = yaml_document_get_node(&l->doc.doc, p->value);
		if (!loader_name_ok(l, k, "notifier")) {
			continue;
		}
		nd = &c->notifiers[c->nnotifiers++];
		nd->name = xstrdup(node_text(k));
		loader_notifier(l, nd, k, v);
	}
}

/*
 * notify: {on: [events], via: [notifiers]}: on defaults to failure and
 * recovery, via to every notifier of the file.
 */
static void
draft_notify(struct loader *l, yaml_node_t *node, struct task_def *t)
{
	static const char *const keys[] = { "on", "via" };
	yaml_node_t *on = NULL, *via = NULL, *k, *item;
	yaml_node_pair_t *p;
	yaml_node_item_t *it;
	const char *hint, *names[64];
	size_t i, n;
	int idx;

	if (node->type != YAML_MAPPING_NODE) {
		loader_error(l, node,
		    "'notify' must be a mapping such as {on: [failure, "
		    "recovery], via: [desktop]}, not %s",
		    node_kind(node));
		return;
	}
	for (p = node->data.mapping.pairs.start;
	     p < node->data.mapping.pairs.top; p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		if (strcmp(node_text(k), "on") == 0) {
			on = yaml_document_get_node(&l->doc.doc, p->value);
		} else if (strcmp(node_text(k), "via") == 0) {
			via = yaml_document_get_node(&l->doc.doc, p->value);
		} else {
			loader_unknown_key(
			    l, k, "notify setting", keys, NITEMS(keys));
		}
	}
	t->policy->notify_on = NOTIFY_FAILURE | NOTIFY_RECOVERY;
	if (on != NULL) {
		t->policy->notify_on = 0;
		if (on->type != YAML_SEQUENCE_NODE) {
			loader_error(l, on,
			    "notify: on: must be a list of events, such as "
			    "[failure, recovery]");
			return;
		}
		for (it = on->data.sequence.items.start;
		     it < on->data.sequence.items.top; it++) {
			item = yaml_document_get_node(&l->doc.doc, *it);
			for (i = 0; i < NITEMS(notify_event_names); i++) {
				if (item->type == YAML_SCALAR_NODE &&
				    strcmp(node_text(item),
				        notify_event_names[i]) == 0) {
					t->policy->notify_on |= 1U << i;
					break;
				}
			}
			if (i == NITEMS(notify_event_names)) {
				hint = item->type == YAML_SCALAR_NODE
				    ? suggest(node_text(item),
				          notify_event_names,
				          NITEMS(notify_event_names))
				    : NULL;
				loader_error(l, item,
				    "notify: on: '%s' is not failure, retry, "
				    "recovery, success, skipped, config_error "
				    "or state_error%s%s%s",
				    item->type == YAML_SCALAR_NODE
				        ? node_text(item)
				        : "?",
				    hint != NULL ? " (did you mean '" : "",
				    hint != NULL ? hint : "",
				    hint != NULL ? "'?)" : "");
			}
		}
	}
	free(t->policy->notify_via);
	t->policy->notify_via = NULL;
	t->policy->nnotify_via = 0;
	if (via == NULL) {
		/* Every notifier of the file. */
		n = l->config->nnotifiers;
		t->policy->notify_via =
		    n > 0 ? xcalloc(n, sizeof *t->policy->notify_via) : NULL;
		for (i = 0; i < n; i++) {
			t->policy->notify_via[t->policy->nnotify_via++] =
			    (int)i;
		}
		return;
	}
	if (via->type != YAML_SEQUENCE_NODE) {
		loader_error(l, via,
		    "notify: via: must be a list of notifiers, such as "
		    "[desktop, me]");
		return;
	}
	for (i = 0; i < l->config->nnotifiers && i < NITEMS(names); i++) {
		names[i] = l->config->notifiers[i].name;
	}
	for (it = via->data.sequence.items.start;
	     it < via->data.sequence.items.top; it++) {
		item = yaml_document_get_node(&l->doc.doc, *it);
		if (item->type == YAML_SCALAR_NODE &&
		    (idx = config_notifier_index(l->config, node_text(item))) >=
		        0) {
			t->policy->notify_via = xreallocarray(
			    t->policy->notify_via, t->policy->nnotify_via + 1,
			    sizeof *t->policy->notify_via);
			t->policy->notify_via[t->policy->nnotify_via++] = idx;
			continue;
		}
		hint = item->type == YAML_SCALAR_NODE
		    ? suggest(node_text(item), names, i)
		    : NULL;
		loader_error(l, item,
		    "notify: via: no notifier named '%s'%s%s%s",
		    item->type == YAML_SCALAR_NODE ? node_text(item) : "?",
		    hint != NULL ? " (did you mean '" : "",
		    hint != NULL ? hint : "",
		    hint != NULL ? "'?)"
		                 : "; notifiers are defined under "
		                   "'notifiers' at the top of the file");
	}
}

static const char *const catch_up_names[] = {
	[CATCH_UP_NONE] = "none",
	[CATCH_UP_LATEST] = "latest",
	[CATCH_UP_ALL] = "all",
};

const char *
config_catch_up_name(enum catch_up c)
{
	return catch_up_names[c];
}

static const struct {
	const char *name;
	int value;
} priority_names[] = {
	{ "low", PRIORITY_LOW },
	{ "normal", PRIORITY_NORMAL },
	{ "high", PRIORITY_HIGH },
	{ "critical", PRIORITY_CRITICAL },
};

const char *
config_overlap_name(enum overlap o)
{
	return overlap_names[o];
}

const char *
config_priority_name(int priority, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < NITEMS(priority_names); i++) {
		if (priority_names[i].value == priority) {
			return priority_names[i].name;
		}
	}
	snprintf(buf, len, "%d", priority);
	return buf;
}

int
config_priority_parse(const char *s, int *priority)
{
	char *end;
	long n;
	size_t i;

	for (i = 0; i < NITEMS(priority_names); i++) {
		if (strcmp(s, priority_names[i].name) == 0) {
			*priority = priority_names[i].value;
			return 0;
		}
	}
	if (*s < '0' || *s > '9') {
		return -1;
	}
	n = strtol(s, &end, 10);
	if (*end != '\0' || n > PRIORITY_CRITICAL) {
		return -1;
	}
	*priority = (int)n;
	return 0;
}

int
config_queue_index(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nqueues; i++) {
		if (strcmp(c->queues[i].name, name) == 0) {
			return (int)i;
		}
	}
	return -1;
}

/* One of names into *out; an error naming them all otherwise. */
static int
value_word(struct loader *l, const struct field *f, yaml_node_t *node,
    const char *const *names, size_t n, int *out)
{
	const char *v = node_text(node), *hint;
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(v, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	if ((hint = suggest(v, names, n)) != NULL) {
		loader_error(l, node, "%s: '%s' is not %s (did you mean '%s'?)",
		    f->name, v, f->want, hint);
	} else {
		loader_error(
		    l, node, "%s: '%s' is not %s", f->name, v, f->want);
	}
	return -1;
}

/* How the task is queued and retried: the fields of field_flow. */
static int
field_flow(
    struct loader *l, struct draft *d, const struct field *f, yaml_node_t *node)
{
	const char *names[NITEMS(priority_names)], *v, *name = f->name;
	char *end;
	double x;
	long n;
	size_t i;
	int w;

	if (strcmp(name, "queue") == 0 || strcmp(name, "retry_on") == 0) {
		/* Checked once the queues and the whole task are known. */
		if (node->type == YAML_MAPPING_NODE ||
		    (node->type == YAML_SCALAR_NODE && node_is_null(node))) {
			loader_error(l, node, "'%s' must be %s", name, f->want);
			return -1;
		}
		*(strcmp(name, "queue") == 0 ? &d->queue : &d->retry_on) = node;
		return 0;
	}
	if ((v = loader_scalar(l, node, f)) == NULL) {
		return -1;
	}
	if (strcmp(name, "enabled") == 0) {
		return value_bool(l, name, node, &d->enabled);
	}
	if (strcmp(name, "catch_up") == 0) {
		if (value_word(l, f, node, catch_up_names,
		        NITEMS(catch_up_names), &w) == -1) {
			return -1;
		}
		d->catch_up = (enum catch_up)w;
		return 0;
	}
	if (strcmp(name, "catch_up_max") == 0) {
		if (value_integer(l, name, node, 1, CATCHUP_MAX_RUNS, 10, &n) ==
		    -1) {
			return -1;
		}
		d->catch_up_max = (int)n;
		return 0;
	}
	if (strcmp(name, "overlap") == 0) {
		if (value_word(l, f, node, overlap_names, NITEMS(overlap_names),
		        &w) == -1) {
			return -1;
		}
		d->overlap = (enum overlap)w;
		return 0;
	}
	if (strcmp(name, "priority") == 0) {
		for (i = 0; i < NITEMS(priority_names); i++) {
			names[i] = priority_names[i].name;
			if (strcmp(v, names[i]) == 0) {
				d->priority = priority_names[i].value;
				return 0;
			}
		}
		if (*v >= '0' && *v <= '9') {
			if (value_integer(l, name, node, 0, 100, 10, &n) ==
			    -1) {
				return -1;
			}
			d->priority = (int)n;
			return 0;
		}
		return value_word(
		    l, f, node, names, NITEMS(priority_names), &w);
	}
	if (strcmp(name, "retries") == 0) {
		if (value_integer(l, name, node, 0, 100, 10, &n) == -1) {
			return -1;
		}
		d->retries = (int)n;
		return 0;
	}
	if (strcmp(name, "retry_backoff") == 0) {
		errno = 0;
		x = strtod(v, &end);
		if (errno != 0 || end == v || *end != '\0' || !(x >= 1.0) ||
		    x > 10.0) {
			loader_error(l, node,
			    "retry_backoff: '%s' is not a number from 1 to 10",
			    v);
			return -1;
		}
		d->retry_backoff = x;
		return 0;
	}
	/* retry_delay, retry_max_delay, starting_deadline */
	return value_duration(l, f, node, 1, (int64_t *)((char *)d + f->slot));
}

/* Exit codes and words of retry_on into t. */
static void
draft_retry_on(struct loader *l, yaml_node_t *node, struct task_def *t)
{
	static const char *const words[] = { "timeout", "start_failed",
		"signal" };
	static const int flags[] = { RETRY_ON_TIMEOUT, RETRY_ON_START_FAILED,
		RETRY_ON_SIGNAL };
	yaml_node_item_t *it;
	yaml_node_t *item;
	const char *v, *hint;
	size_t i;
	long n;

	if (node->type != YAML_SEQUENCE_NODE) {
		loader_error(l, node,
		    "'retry_on' must be a list, such as [1, 75, timeout]");
		return;
	}
	for (it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		item = yaml_document_get_node(&l->doc.doc, *it);
		v = node_text(item);
		if (item->type != YAML_SCALAR_NODE || node_is_null(item)) {
			loader_error(l, item,
			    "retry_on: each item must be an exit code or a "
			    "word, not %s",
			    node_kind(item));
			continue;
		}
		for (i = 0; i < NITEMS(words); i++) {
			if (strcmp(v, words[i]) == 0) {
				t->policy->retry_flags |= flags[i];
				break;
			}
		}
		if (i < NITEMS(words)) {
			continue;
		}
		if (*v >= '0' && *v <= '9') {
			if (value_integer(
			        l, "retry_on", item, 1, 255, 10, &n) == 0) {
				t->policy->retry_codes =
				    xreallocarray(t->policy->retry_codes,
				        t->policy->nretry_codes + 1,
				        sizeof *t->policy->retry_codes);
				t->policy
				    ->retry_codes[t->policy->nretry_codes++] =
				    (int)n;
			}
			continue;
		}
		hint = suggest(v, words, NITEMS(words));
		loader_error(l, item,
		    "retry_on: '%s' is not an exit code (1 to 255), timeout, "
		    "start_failed or signal%s%s%s",
		    v, hint != NULL ? " (did you mean '" : "",
		    hint != NULL ? hint : "", hint != NULL ? "'?)" : "");
	}
}

static void
draft_flow(struct loader *l, const struct draft *d, struct task_def *t)
{
	const char **names;
	const char *name, *hint;
	size_t i;

	t->enabled = d->enabled;
	t->policy->priority = d->priority;
	t->policy->overlap = d->overlap;
	t->policy->retries = d->retries;
	t->policy->retry_delay_ms = d->retry_delay_ms;
	t->policy->retry_max_delay_ms = d->retry_max_delay_ms;
	t->policy->retry_backoff = d->retry_backoff;
	t->policy->catch_up = d->catch_up;
	t->policy->catch_up_max = d->catch_up_max;
	t->policy->starting_deadline_ms = d->starting_deadline_ms;
	t->policy->notify_every_ms = d->notify_every_ms;
	if (d->notify != NULL) {
		draft_notify(l, d->notify, t);
	}
	t->policy->queue = -1;
	if (d->retry_on != NULL) {
		draft_retry_on(l, d->retry_on, t);
	}
	if (d->queue == NULL) {
		return;
	}
	name = node_text(d->queue);
	for (i = 0; i < l->config->nqueues; i++) {
		if (strcmp(l->config->queues[i].name, name) == 0) {
			t->policy->queue = (int)i;
			return;
		}
	}
	names = xcalloc(l->config->nqueues + 1, sizeof *names);
	for (i = 0; i < l->config->nqueues; i++) {
		names[i] = l->config->queues[i].name;
	}
	hint = suggest(name, names, l->config->nqueues);
	if (hint != NULL) {
		loader_error(l, d->queue,
		    "queue: no queue named '%s' (did you mean '%s'?)", name,
		    hint);
	} else {
		loader_error(l, d->queue,
		    "queue: no queue named '%s'; queues are defined under "
		    "'queues' at the top of the file",
		    name);
	}
	free(names);
}

/* after: a list of task names, each of a task in the file. */
static void
draft_after(struct loader *l, yaml_node_t *node, struct task_def *t)
{
	struct loader_after *a;
	yaml_node_item_t *it;
	yaml_node_t *item;
	const char *name;
	size_t n = 0;

	if (node->type != YAML_SEQUENCE_NODE) {
		loader_error(l, node,
		    "'after' must be a list of task names, as [backup]");
		return;
	}
	for (it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		item = yaml_document_get_node(&l->doc.doc, *it);
		if (item->type != YAML_SCALAR_NODE || node_is_null(item)) {
			loader_error(l, item,
			    "after: each item must be a task name, not %s",
			    node_kind(item));
			continue;
		}
		name = node_text(item);
		if (strcmp(name, t->name) == 0) {
			loader_error(l, item,
			    "after: '%s' cannot run after itself", name);
			continue;
		}
		if (task_def_after(t, name)) {
			continue;
		}
		strv_add(&t->after, &n, xstrdup(name));
		/* It may be defined further down, or in an include. */
		l->afters =
		    xreallocarray(l->afters, l->nafters + 1, sizeof *l->afters);
		a = &l->afters[l->nafters++];
		a->name = xstrdup(name);
		a->file = l->file;
		a->line = (unsigned)item->start_mark.line + 1;
		a->column = (unsigned)item->start_mark.column + 1;
	}
}

/* Each name after: gave is a task's, of any file; c is sorted. */
static void
loader_check_afters(struct loader *l, const struct config *c)
{
	const struct loader_after *a;
	const char **names = NULL, *hint;
	size_t i, j;

	for (i = 0; i < l->nafters; i++) {
		a = &l->afters[i];
		if (config_find(c, a->name) != NULL) {
			continue;
		}
		if (names == NULL) {
			names = xcalloc(c->ntasks + 1, sizeof *names);
			for (j = 0; j < c->ntasks; j++) {
				names[j] = c->tasks[j]->name;
			}
		}
		hint = suggest(a->name, names, c->ntasks);
		errors_add(l->errs, a->file, a->line, a->column,
		    xasprintf("after: no task named '%s'%s%s%s", a->name,
		        hint != NULL ? " (did you mean '" : "",
		        hint != NULL ? hint : "", hint != NULL ? "'?)" : ""));
	}
	free(names);
}

int
task_def_after(const struct task_def *d, const char *name)
{
	size_t i;

	for (i = 0; d->after != NULL && d->after[i] != NULL; i++) {
		if (strcmp(d->after[i], name) == 0) {
			return 1;
		}
	}
	return 0;
}

/* Depth-first search for a cycle of after:, keeping the path for words. */
struct cycle_walk {
	const struct config *c;
	int *state; /* per task: 0 unseen, 1 on the path, 2 done */
	size_t *path;
	size_t depth;
};

static size_t
config_index(const struct config *c, const char *name)
{
	const struct task_def *d = config_find(c, name);
	size_t i;

	for (i = 0; i < c->ntasks; i++) {
		if (c->tasks[i] == d) {
			return i;
		}
	}
	return c->ntasks;
}

static int
cycle_visit(struct cycle_walk *w, size_t i)
{
	const struct task_def *t = w->c->tasks[i];
	size_t j, k;

	if (w->state[i] == 2) {
		return 0;
	}
	w->path[w->depth++] = i;
	if (w->state[i] == 1) {
		return 1;
	}
	w->state[i] = 1;
	for (j = 0; t->after != NULL && t->after[j] != NULL; j++) {
		k = config_index(w->c, t->after[j]);
		if (k < w->c->ntasks && cycle_visit(w, k) == 1) {
			return 1;
		}
	}
	w->state[i] = 2;
	w->depth--;
	return 0;
}

/* Report a cycle of after: as "a -> b -> c -> a", at its first task. */
static void
config_check_cycles(struct loader *l, struct config *c)
{
	struct cycle_walk w = { c, NULL, NULL, 0 };
	size_t i, j, start;
	char *words, *more;

	w.state = xcalloc(c->ntasks + 1, sizeof *w.state);
	w.path = xcalloc(c->ntasks + 1, sizeof *w.path);
	for (i = 0; i < c->ntasks; i++) {
		w.depth = 0;
		if (cycle_visit(&w, i) == 0) {
			continue;
		}
		/* The path ends where the cycle closes; find where it began. */
		for (start = 0; w.path[start] != w.path[w.depth - 1]; start++) {
			;
		}
		words = xstrdup(c->tasks[w.path[start]]->name);
		for (j = start + 1; j < w.depth; j++) {
			more = xasprintf(
			    "%s -> %s", words, c->tasks[w.path[j]]->name);
			free(words);
			words = more;
		}
		errors_add(l->errs, c->tasks[w.path[start]]->file,
		    c->tasks[w.path[start]]->line,
		    c->tasks[w.path[start]]->column,
		    xasprintf("after: the tasks depend on each other in a "
		              "cycle: %s",
		        words));
		free(words);
		break;
	}
	free(w.state);
	free(w.path);
}

static void
draft_exec(struct loader *l, const struct draft *d, struct task_def *t,
    yaml_node_t *key, int fields_ok)
{
	if (d->command != NULL && d->run != NULL) {
		loader_error(l, d->run,
		    "'command' and 'run' cannot be used "
		    "together: a task has one of them");
	} else if (d->run != NULL) {
		if (d->run->type != YAML_SEQUENCE_NODE) {
			loader_error(l, d->run,
			    "'run' must be a list: the "
			    "program and its arguments, as "
			    "[python3, report.py]");
		} else {
			t->argv = loader_words(l, d->run, "run");
		}
	} else if (d->command == NULL && fields_ok) {
		/* Not after a bad field: "comand" already says it all. */
		loader_error(
		    l, key, "task '%s' has no 'command' or 'run'", t->name);
	}
	if (d->shell != NULL) {
		if (d->shell->type == YAML_MAPPING_NODE) {
			loader_error(l, d->shell,
			    "'shell' must be a shell and "
			    "its options, as /bin/bash "
			    "-c, not a mapping");
		} else {
			t->policy->shell = loader_words(l, d->shell, "shell");
		}
	}
	if (d->cwd != NULL) {
		if (d->cwd[0] == '~' &&
		    (d->cwd[1] == '/' || d->cwd[1] == '\0')) {
			t->policy->cwd = xasprintf("%s%s", l->home, d->cwd + 1);
		} else if (d->cwd[0] != '/') {
			t->policy->cwd = xasprintf("%s/%s", l->home, d->cwd);
		} else {
			t->policy->cwd = xstrdup(d->cwd);
		}
	}
	loader_env(l, d->env, t);
	merged_each(l, d->limits, limit_pair, t);
	merged_each(l, d->history, history_pair, t);
	t->policy->env_clear = d->env_clear;
	t->policy->umask = d->umask;
	t->policy->nice = d->nice;
	t->policy->timeout_ms = d->timeout_ms;
	t->policy->kill_grace_ms = d->kill_grace_ms;
	t->policy->max_output = d->max_output;
	draft_flow(l, d, t);
}

/*
 * Read a mapping of fields into d. In the defaults block only fields that
 * make sense for every task are allowed. Returns 0 when all were good.
 */
static int
loader_fields(
    struct loader *l, yaml_node_t *body, struct draft *d, int defaults)
{
	const char *names[NITEMS(task_fields)];
	const struct field *f;
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	size_t nerrs = l->errs->n, i;

	for (i = 0; i < NITEMS(task_fields); i++) {
		names[i] = task_fields[i].name;
	}
	if (loader_check_keys(l, body, "field") == -1) {
		return -1;
	}
	l->in_defaults = defaults;
	for (p = body->data.mapping.pairs.start;
	     p < body->data.mapping.pairs.top; p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		v = yaml_document_get_node(&l->doc.doc, p->value);
		if ((f = field_find(node_text(k))) == NULL) {
			loader_unknown_key(l, k, "field", names, NITEMS(names));
		} else if (defaults && !f->in_defaults) {
			loader_error(l, k,
			    "'%s' cannot be in defaults: it belongs to one "
			    "task",
			    f->name);
		} else {
			f->set(l, d, f, v);
		}
	}
	l->in_defaults = 0;
	return l->errs->n == nerrs ? 0 : -1;
}

static struct task_def *
loader_task(struct loader *l, const struct draft *defaults, yaml_node_t *key,
    yaml_node_t *body)
{
	const char *name = node_text(key);
	struct draft d = *defaults;
	struct task_policy policy = { 0 };
	struct task_def *t;
	size_t nerrs = l->errs->n;
	int ok;

	if (!config_task_name_valid(name)) {
		loader_error(l, key,
		    "task name '%s' must be 1 to %d letters, "
		    "digits, '-', '_' or '.', not all digits "
		    "and not starting with '-' or '.'",
		    name, TASK_NAME_MAX);
	}
	if (body->type != YAML_MAPPING_NODE) {
		loader_error(l, body,
		    "task '%s' must be a mapping of fields "
		    "(command, schedule ...), not %s",
		    name, node_kind(body));
		return NULL;
	}
	t = xcalloc(1, sizeof *t);
	t->name = xstrdup(name);
	t->policy = &policy; /* built here, then kept by loader_policy */
	t->file = l->file;
	t->line = (unsigned)key->start_mark.line + 1;
	t->column = (unsigned)key->start_mark.column + 1;
	/* Report the rule's errors too, even when a field was bad. */
	ok = loader_fields(l, body, &d, 0) == 0;
	t->command = d.command != NULL ? xstrdup(d.command) : NULL;
	t->description = d.description != NULL ? xstrdup(d.description) : NULL;
	t->policy->jitter_ms = d.jitter_ms;
	draft_exec(l, &d, t, key, ok);
	draft_schedule(l, &d, t);
	if (d.after != NULL) {
		draft_after(l, d.after, t);
	}
	if (l->errs->n != nerrs) {
		task_policy_clear(&policy);
		t->policy = NULL;
		task_def_free(t);
		return NULL;
	}
	t->policy = loader_policy(l, &policy);
	return t;
}

static int
task_def_name_cmp(const void *a, const void *b)
{
	return strcmp((*(struct task_def *const *)a)->name,
	    (*(struct task_def *const *)b)->name);
}

/* By name, then in the order read: the first of a name comes first. */
static int
task_def_cmp(const void *a, const void *b, void *arg)
{
	const struct task_def *x = *(struct task_def *const *)a;
	const struct task_def *y = *(struct task_def *const *)b;
	const struct config *c = arg;
	size_t fx = 0, fy = 0;
	int d = task_def_name_cmp(a, b);

	if (d != 0) {
		return d;
	}
	if (x->file != y->file) {
		while (fx < c->nfiles && c->files[fx] != x->file) {
			fx++;
		}
		while (fy < c->nfiles && c->files[fy] != y->file) {
			fy++;
		}
		return fx < fy ? -1 : 1;
	}
	if (x->line != y->line) {
		return x->line < y->line ? -1 : 1;
	}
	return x->column < y->column ? -1 : x->column > y->column;
}

/*
 * A task with the first 16 bytes of its name, big-endian: most of the
 * sort's comparisons end there, without going through two pointers.
 */
struct task_sort_key {
	uint64_t hi, lo;
	struct task_def *t;
};

static int
task_sort_key_cmp(const void *a, const void *b, void *arg)
{
	const struct task_sort_key *x = a, *y = b;

	if (x->hi != y->hi) {
		return x->hi < y->hi ? -1 : 1;
	}
	if (x->lo != y->lo) {
		return x->lo < y->lo ? -1 : 1;
	}
	return task_def_cmp(&x->t, &y->t, arg);
}

/* Sort c's tasks as task_def_cmp does. */
static void
config_sort_tasks(struct config *c)
{
	struct task_sort_key *keys;
	const char *name;
	uint64_t *word;
	size_t i, j;

	keys = xreallocarray(NULL, c->ntasks + 1, sizeof *keys);
	for (i = 0; i < c->ntasks; i++) {
		keys[i].t = c->tasks[i];
		keys[i].hi = keys[i].lo = 0;
		name = c->tasks[i]->name;
		/* Bytes after the name's end are 0, as strcmp sees them. */
		for (j = 0; j < 16; j++) {
			word = j < 8 ? &keys[i].hi : &keys[i].lo;
			*word = *word << 8 | (unsigned char)*name;
			name += *name != '\0';
		}
	}
	qsort_r(keys, c->ntasks, sizeof *keys, task_sort_key_cmp, c);
	for (i = 0; i < c->ntasks; i++) {
		c->tasks[i] = keys[i].t;
	}
	free(keys);
}

/* One entry of a mapping of tasks, in l's file, into c. */
static void
loader_task_entry(
    struct loader *l, struct config *c, yaml_node_t *k, yaml_node_t *v)
{
	struct task_def *t;

	if (k->type != YAML_SCALAR_NODE) {
		loader_error(
		    l, k, "task must be a plain name, not %s", node_kind(k));
		return;
	}
	if ((t = loader_task(l, l->defaults, k, v)) == NULL) {
		/*
		 * Its errors are said, and the config is refused; its name
		 * stays, for after: and for a duplicate of it.
		 */
		t = xcalloc(1, sizeof *t);
		t->name = xstrdup(node_text(k));
		t->file = l->file;
		t->line = (unsigned)k->start_mark.line + 1;
		t->column = (unsigned)k->start_mark.column + 1;
	}
	if (c->ntasks + 1 >= l->tasks_cap) {
		l->tasks_cap = l->tasks_cap == 0 ? 64 : l->tasks_cap * 2;
		c->tasks =
		    xreallocarray(c->tasks, l->tasks_cap, sizeof *c->tasks);
	}
	c->tasks[c->ntasks++] = t;
	c->tasks[c->ntasks] = NULL;
}

/* The tasks of one mapping, in l's file, into c. */
static void
loader_task_map(struct loader *l, struct config *c, yaml_node_t *map)
{
	yaml_node_pair_t *p;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		loader_task_entry(l, c,
		    yaml_document_get_node(&l->doc.doc, p->key),
		    yaml_document_get_node(&l->doc.doc, p->value));
	}
}

/*
 * A task defined twice: in one file, a duplicate key; in two, said with
 * where the other is. The tasks are sorted, the first read first.
 */
static void
config_check_duplicates(struct loader *l, struct config *c)
{
	const struct task_def *a, *b;
	size_t i;

	for (i = 1; i < c->ntasks; i++) {
		a = c->tasks[i - 1];
		b = c->tasks[i];
		if (strcmp(a->name, b->name) != 0) {
			continue;
		}
		errors_add(l->errs, b->file, b->line, b->column,
		    a->file == b->file
		        ? xasprintf("duplicate task '%s' (first at line %u)",
		              b->name, a->line)
		        : xasprintf("task '%s' is defined twice: also at "
		                    "%s:%u:%u",
		              b->name, a->file, a->line, a->column));
	}
}

/* After the main file's tasks: those of its includes, then the checks. */
static void
loader_tasks_end(struct loader *l, struct config *c)
{
	const char *main_file;
	struct ydoc main_doc;
	size_t i;

	for (i = 0; i < l->ninc; i++) {
		if (l->inc[i].tasks == NULL) {
			continue;
		}
		/* Errors name the file they are in. */
		main_doc = l->doc;
		main_file = l->file;
		l->doc = l->inc[i].doc;
		l->file = l->inc[i].file;
		if (l->inc[i].tasks->type != YAML_MAPPING_NODE) {
			loader_error(l, l->inc[i].tasks,
			    "'tasks' must be a mapping of task names to tasks, "
			    "not %s",
			    node_kind(l->inc[i].tasks));
		} else {
			loader_task_map(l, c, l->inc[i].tasks);
		}
		l->inc[i].doc = l->doc;
		l->doc = main_doc;
		l->file = main_file;
	}
	if (c->tasks == NULL) {
		c->tasks = xcalloc(1, sizeof *c->tasks); /* none, as {} says */
	}
	config_sort_tasks(c);
	config_check_duplicates(l, c);
	loader_check_afters(l, c);
	if (l->nafters > 0) { /* a cycle needs an after: */
		config_check_cycles(l, c);
	}
}

static void
loader_tasks(struct loader *l, struct config *c, yaml_node_t *map)
{
	/* NULL: the main file has no tasks of its own, its includes may. */
	if (map != NULL && node_is_null(map)) {
		map = NULL;
	}
	if (map != NULL && map->type != YAML_MAPPING_NODE) {
		loader_error(l, map,
		    "'tasks' must be a mapping of task names "
		    "to tasks, not %s",
		    node_kind(map));
		return;
	}
	if (map != NULL) {
		loader_task_map(l, c, map);
	}
	loader_tasks_end(l, c);
}

/* One included file: parsed, and holding nothing but tasks. */
static void
loader_include_file(
    struct loader *l, const char *path, const struct stat *st, yaml_mark_t by)
{
	struct loader_include *inc;
	yaml_node_pair_t *p;
	yaml_node_t *root, *k;

	l->inc = xreallocarray(l->inc, l->ninc + 1, sizeof *l->inc);
	inc = &l->inc[l->ninc];
	memset(inc, 0, sizeof *inc);
	inc->dev = st->st_dev;
	inc->ino = st->st_ino;
	inc->by = by;
	l->copy_budget += (size_t)st->st_size;
	l->bytes += (size_t)st->st_size;
	if (loader_parse(path, &inc->doc, l->errs, NULL) == -1) {
		return;
	}
	l->ninc++;
	l->config->files = xreallocarray(
	    l->config->files, l->config->nfiles + 1, sizeof *l->config->files);
	l->config->files[l->config->nfiles++] = xstrdup(path);
	inc->file = l->config->files[l->config->nfiles - 1];
	root = yaml_document_get_root_node(&inc->doc.doc);
	if (root == NULL || node_is_null(root)) {
		return;
	}
	if (root->type != YAML_MAPPING_NODE) {
		errors_add(l->errs, path, (unsigned)root->start_mark.line + 1,
		    (unsigned)root->start_mark.column + 1,
		    xstrdup("an included file must be a mapping with a "
		            "'tasks' key"));
		return;
	}
	for (p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		k = yaml_document_get_node(&inc->doc.doc, p->key);
		if (k->type == YAML_SCALAR_NODE &&
		    strcmp(node_text(k), "tasks") == 0) {
			inc->tasks =
			    yaml_document_get_node(&inc->doc.doc, p->value);
		} else {
			errors_add(l->errs, path,
			    (unsigned)k->start_mark.line + 1,
			    (unsigned)k->start_mark.column + 1,
			    xasprintf("an included file holds only 'tasks', "
			              "not '%s': defaults, queues and "
			              "notifiers belong in %s",
			        k->type == YAML_SCALAR_NODE ? node_text(k)
			                                    : "?",
			        l->file));
		}
	}
}

/*
 * The directory an include pattern looks in, when it names one (no
 * wildcard before its last '/'): watched, so that a file added there later,
 * even to a directory empty now, is loaded.
 */
static void
loader_include_dir(struct loader *l, const char *pat)
{
	struct config *c = l->config;
	char *dir = paths_dirname(pat);
	size_t i;

	if (strpbrk(dir, "*?[") != NULL) {
		free(dir);
		return;
	}
	for (i = 0; i < c->ninclude_dirs; i++) {
		if (strcmp(c->include_dirs[i], dir) == 0) {
			free(dir);
			return;
		}
	}
	c->include_dirs = xreallocarray(
	    c->include_dirs, c->ninclude_dirs + 1, sizeof *c->include_dirs);
	c->include_dirs[c->ninclude_dirs++] = dir;
}

/* The include already read that is the file of st, or NULL. */
static const struct loader_include *
loader_included(const struct loader *l, const struct stat *st)
{
	size_t i;

	for (i = 0; i < l->ninc; i++) {
		if (l->inc[i].dev == st->st_dev &&
		    l->inc[i].ino == st->st_ino) {
			return &l->inc[i];
		}
	}
	return NULL;
}

/* include: [PATTERN, ...]: globs, relative to the main file, sorted. */
static void
loader_includes(struct loader *l, yaml_node_t *node)
{
	char *dir = xstrdup(l->file), *slash = strrchr(dir, '/'), *pat;
	const struct loader_include *inc;
	yaml_node_item_t *it;
	yaml_node_t *item;
	struct stat st;
	glob_t g;
	size_t i;
	int rc;

	if (slash != NULL) {
		*slash = '\0';
	}
	if (node->type != YAML_SEQUENCE_NODE) {
		loader_error(l, node,
		    "'include' must be a list of files or patterns, such as "
		    "[tasks.d/*.yaml]");
		free(dir);
		return;
	}
	for (it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		item = yaml_document_get_node(&l->doc.doc, *it);
		if (item->type != YAML_SCALAR_NODE || node_is_null(item)) {
			loader_error(l, item,
			    "include: each item must be a "
			    "file or a pattern");
			continue;
		}
		pat = node_text(item)[0] == '/'
		    ? xstrdup(node_text(item))
		    : xasprintf(
		          "%s/%s", slash != NULL ? dir : ".", node_text(item));
		loader_include_dir(l, pat);
		rc = glob(pat, 0, NULL, &g);
		if (rc == GLOB_NOMATCH &&
		    strpbrk(node_text(item), "*?[") == NULL) {
			loader_error(l, item, "include: no file '%s'", pat);
		} else if (rc != 0 && rc != GLOB_NOMATCH) {
			loader_error(l, item, "include: cannot read '%s'", pat);
		}
		for (i = 0; rc == 0 && i < g.gl_pathc; i++) {
			if (stat(g.gl_pathv[i], &st) == -1) {
				loader_error(l, item, "include: '%s': %s",
				    g.gl_pathv[i], strerror(errno));
				continue;
			}
			if ((st.st_dev == l->dev && st.st_ino == l->ino) ||
			    strcmp(g.gl_pathv[i], l->file) == 0) {
				continue; /* the main file, by a pattern */
			}
			if (!S_ISREG(st.st_mode)) {
				loader_error(l, item,
				    "include: '%s' is %s, not a regular file",
				    g.gl_pathv[i],
				    config_file_kind(st.st_mode));
				continue;
			}
			if (l->bytes + (size_t)st.st_size > CONFIG_MAX_TOTAL) {
				loader_error(l, item,
				    "include: '%s' would make the files more "
				    "than %d MiB together",
				    g.gl_pathv[i], CONFIG_MAX_TOTAL >> 20);
				break;
			}
			if (l->ninc >= INCLUDE_MAX) {
				loader_error(l, item,
				    "include: more than %d files; the rest "
				    "of '%s' is not read",
				    INCLUDE_MAX, pat);
				break;
			}
			if ((inc = loader_included(l, &st)) != NULL) {
				loader_error(l, item,
				    "include: '%s' is included twice: "
				    "first at %s:%lu:%lu",
				    g.gl_pathv[i], l->file,
				    (unsigned long)inc->by.line + 1,
				    (unsigned long)inc->by.column + 1);
				continue;
			}
			loader_include_file(
			    l, g.gl_pathv[i], &st, item->start_mark);
		}
		if (rc == 0) {
			globfree(&g);
		}
		free(pat);
	}
	free(dir);
}

/* The value of a top-level key, or NULL. */
static yaml_node_t *
loader_top(struct loader *l, yaml_node_t *root, const char *key)
{
	yaml_node_pair_t *p;

	for (p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		if (strcmp(
		        node_text(yaml_document_get_node(&l->doc.doc, p->key)),
		        key) == 0) {
			return yaml_document_get_node(&l->doc.doc, p->value);
		}
	}
	return NULL;
}

/*
 * The defaults as a task of their own, for the jobs twctl submit brings.
 * Only for a file without errors, which the tasks reported already.
 */
static void
loader_defaults(
    struct loader *l, struct config *c, const struct draft *d, size_t nerrs)
{
	if (l->errs->n != nerrs) {
		return;
	}
	c->defaults = xcalloc(1, sizeof *c->defaults);
	c->defaults->name = xstrdup("defaults");
	c->defaults->policy = task_policy_new();
	draft_exec(l, d, c->defaults, NULL, 0);
}

/* What a task is when the defaults block says nothing. */
static void
draft_init(struct draft *d)
{
	memset(d, 0, sizeof *d);
	d->umask = -1;
	d->kill_grace_ms = DEFAULT_KILL_GRACE_MS;
	d->max_output = DEFAULT_MAX_OUTPUT;
	d->enabled = 1;
	d->priority = PRIORITY_NORMAL;
	d->overlap = OVERLAP_SKIP;
	d->retry_delay_ms = DEFAULT_RETRY_DELAY_MS;
	d->retry_max_delay_ms = DEFAULT_RETRY_MAX_DELAY_MS;
	d->retry_backoff = 2.0;
	d->catch_up = CATCH_UP_NONE;
	d->catch_up_max = DEFAULT_CATCH_UP_MAX;
	d->notify_every_ms = DEFAULT_NOTIFY_EVERY_MS;
}

/* The keys that say how the tasks are read: before them if streamed. */
static int
top_key_shapes_tasks(const char *key)
{
	return strcmp(key, "defaults") == 0 || strcmp(key, "queues") == 0 ||
	    strcmp(key, "notifiers") == 0 || strcmp(key, "include") == 0 ||
	    strcmp(key, "max_concurrent") == 0;
}

/* The top-level keys but tasks, of a root whose keys were checked. */
static void
loader_head(struct loader *l, struct config *c, yaml_node_t *root)
{
	yaml_node_t *v;
	long n;

	/* Queues and defaults apply wherever they stand in the file. */
	if ((v = loader_top(l, root, "queues")) != NULL) {
		loader_queues(l, c, v);
	}
	if ((v = loader_top(l, root, "notifiers")) != NULL) {
		loader_notifiers(l, c, v);
	}
	if ((v = loader_top(l, root, "include")) != NULL) {
		loader_includes(l, v);
	}
	if ((v = loader_top(l, root, "max_concurrent")) != NULL &&
	    value_integer(l, "max_concurrent", v, 1, 10000, 10, &n) == 0) {
		c->max_concurrent = (int)n;
	}
	if ((v = loader_top(l, root, "defaults")) != NULL && !node_is_null(v)) {
		if (v->type != YAML_MAPPING_NODE) {
			loader_error(l, v,
			    "'defaults' must be a mapping of fields, not %s",
			    node_kind(v));
		} else {
			loader_fields(l, v, l->defaults, 1);
		}
	}
}

/*
 * The tasks mapping starts: read what came before it, unless a key there
 * is one loader_check_keys would refuse (it will, at the end).
 */
static int
loader_stream_begin(void *arg)
{
	struct loader *l = arg;
	yaml_node_t *root = yaml_document_get_root_node(&l->doc.doc), *k;
	yaml_node_pair_t *p, *q;

	for (p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		if (k->type != YAML_SCALAR_NODE) {
			return -1;
		}
		for (q = root->data.mapping.pairs.start; q < p; q++) {
			if (strcmp(node_text(k),
			        node_text(yaml_document_get_node(
			            &l->doc.doc, q->key))) == 0) {
				return -1;
			}
		}
	}
	loader_head(l, l->config, root);
	l->streamed = 1;
	return 0;
}

static void
loader_stream_entry(void *arg, yaml_node_t *key, yaml_node_t *value)
{
	struct loader *l = arg;

	loader_task_entry(l, l->config, key, value);
}

static void
loader_root(struct loader *l, struct config *c)
{
	yaml_node_t *root = yaml_document_get_root_node(&l->doc.doc), *k, *v;
	yaml_node_pair_t *p;
	int had_tasks = 0;

	if (root == NULL || node_is_null(root)) {
		/* An empty file. */
		loader_defaults(l, c, l->defaults, l->nerrs);
		return;
	}
	if (root->type != YAML_MAPPING_NODE) {
		loader_error(l, root,
		    "the tasks file must be a mapping with a "
		    "'tasks' key, not %s",
		    node_kind(root));
		return;
	}
	if (loader_check_keys(l, root, "key") == -1) {
		return;
	}
	if (!l->streamed) {
		loader_head(l, c, root);
	}
	for (p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		v = yaml_document_get_node(&l->doc.doc, p->value);
		if (strcmp(node_text(k), "tasks") == 0) {
			if (l->streamed) {
				loader_tasks_end(l, c);
			} else {
				loader_tasks(l, c, v);
			}
			had_tasks = 1;
		} else if (had_tasks && l->streamed &&
		    top_key_shapes_tasks(node_text(k))) {
			/* The tasks were read without it: again, whole. */
			l->restart = 1;
			return;
		} else if (!top_key_shapes_tasks(node_text(k))) {
			loader_unknown_key(
			    l, k, "key", top_keys, NITEMS(top_keys));
		}
	}
	if (!had_tasks && l->ninc > 0) {
		loader_tasks(l, c, NULL);
	}
	loader_defaults(l, c, l->defaults, l->nerrs);
}

static int
error_cmp(const void *a, const void *b)
{
	const struct config_error *x = a, *y = b;
	int c = strcmp(x->file, y->file);

	if (c != 0) {
		return c;
	}
	if (x->line != y->line) {
		return x->line < y->line ? -1 : 1;
	}
	return x->column < y->column ? -1 : x->column > y->column;
}

/*
 * Whether gid is the user's own group, with nobody else in it (a user
 * private group, as Debian and Ubuntu make them; umask 002 goes with it).
 */
static int
config_private_group(gid_t gid)
{
	struct passwd pw;
	struct group gr;
	char *pbuf = NULL, *gbuf = NULL, **m;
	int private = 0;

	if (paths_user(getuid(), &pw, &pbuf) != NULL &&
	    paths_group(gid, &gr, &gbuf) != NULL && gid == pw.pw_gid) {
		for (m = gr.gr_mem; *m != NULL && strcmp(*m, pw.pw_name) == 0;
		     m++) {
			;
		}
		private = *m == NULL;
	}
	free(pbuf);
	free(gbuf);
	return private;
}

/*
 * A tasks file says what runs as the user: like cron and ssh, refuse one
 * that someone else owns or may write.
 */
static int
config_check_owner(FILE *fp, const char *path, struct config_errors *errs)
{
	struct stat st;

	if (fstat(fileno(fp), &st) == -1) {
		errors_add(errs, path, 0, 0,
		    xasprintf("cannot stat: %s", strerror(errno)));
		return -1;
	}
	if (st.st_uid != getuid()) {
		errors_add(errs, path, 0, 0,
		    xasprintf("belongs to uid %u, not to you (uid %u); "
		              "run: chown %u '%s'",
		        (unsigned)st.st_uid, (unsigned)getuid(),
		        (unsigned)getuid(), path));
		return -1;
	}
	if ((st.st_mode & S_IWOTH) ||
	    ((st.st_mode & S_IWGRP) && !config_private_group(st.st_gid))) {
		errors_add(errs, path, 0, 0,
		    xasprintf("may be written by %s (mode %03o), so it could "
		              "make you run anything; run: chmod go-w '%s'",
		        (st.st_mode & S_IWOTH) ? "anyone" : "its group",
		        (unsigned)(st.st_mode & 0777), path));
		return -1;
	}
	return 0;
}

/* What a file of mode is, in words, when it is no regular file. */
static const char *
config_file_kind(mode_t mode)
{
	return S_ISDIR(mode) ? "a directory"
	    : S_ISFIFO(mode) ? "a FIFO"
	    : S_ISSOCK(mode) ? "a socket"
	    : S_ISCHR(mode)  ? "a character device"
	    : S_ISBLK(mode)  ? "a block device"
	                     : "not a regular file";
}

/*
 * Open a tasks file. Not blocking: a FIFO (one an include's pattern
 * matched, say) would hold the loop until something wrote to it; and a
 * regular file only. NULL after an error.
 */
static FILE *
config_open(const char *path, struct config_errors *errs)
{
	struct stat st;
	FILE *fp;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		errors_add(errs, path, 0, 0,
		    xasprintf("cannot open: %s", strerror(errno)));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		errors_add(errs, path, 0, 0,
		    xasprintf("cannot stat: %s", strerror(errno)));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		errors_add(errs, path, 0, 0,
		    xasprintf("cannot read it: it is %s, not a regular file",
		        config_file_kind(st.st_mode)));
		close(fd);
		return NULL;
	}
	if (st.st_size > CONFIG_MAX_BYTES) {
		errors_add(errs, path, 0, 0,
		    xasprintf("it is %lld bytes, over the %d MiB a tasks file "
		              "may be",
		        (long long)st.st_size, CONFIG_MAX_BYTES >> 20));
		close(fd);
		return NULL;
	}
	if (fcntl(fd, F_SETFL, 0) == -1 || (fp = fdopen(fd, "r")) == NULL) {
		errors_add(errs, path, 0, 0,
		    xasprintf("cannot open: %s", strerror(errno)));
		close(fd);
		return NULL;
	}
	return fp;
}

/*
 * The directory of a tasks file, as cron checks its spool: another user
 * who may write in it could swap the file for a link to one of theirs.
 */
static int
config_check_dir(const char *path, struct config_errors *errs)
{
	char *dir = paths_dirname(path);
	struct stat st;
	int rc = 0;

	if (stat(dir, &st) == -1) {
		rc = 0; /* opening the file says what is missing */
	} else if (st.st_uid != getuid() && st.st_uid != 0) {
		errors_add(errs, path, 0, 0,
		    xasprintf("its directory '%s' belongs to uid %u, not to "
		              "you (uid %u), who could replace the file",
		        dir, (unsigned)st.st_uid, (unsigned)getuid()));
		rc = -1;
	} else if (!(st.st_mode & S_ISVTX) &&
	    ((st.st_mode & S_IWOTH) ||
	        ((st.st_mode & S_IWGRP) && !config_private_group(st.st_gid)))) {
		errors_add(errs, path, 0, 0,
		    xasprintf("its directory '%s' may be written by %s (mode "
		              "%03o), who could replace the file; run: chmod "
		              "go-w '%s'",
		        dir, (st.st_mode & S_IWOTH) ? "anyone" : "its group",
		        (unsigned)(st.st_mode & 0777), dir));
		rc = -1;
	}
	free(dir);
	return rc;
}

/*
 * The character at mark (its line and column count characters, not bytes)
 * into *c, if it is one byte: 0, or -1.
 */
static int
yaml_char_at(int fd, yaml_mark_t mark, char *c)
{
	char buf[4096];
	size_t line = 0, col = 0, i;
	off_t off = 0;
	ssize_t n;

	while ((n = pread(fd, buf, sizeof buf, off)) > 0) {
		for (i = 0; i < (size_t)n; i++) {
			if (line == mark.line && col == mark.column) {
				*c = buf[i];
				return 0;
			}
			if (buf[i] == '\n') {
				line++;
				col = 0;
			} else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
				col += line ==
				    mark.line; /* a character's first byte */
			}
			if (line > mark.line) {
				return -1;
			}
		}
		off += n;
	}
	return -1;
}

/*
 * libyaml's message (msg, taken) with what a tasks file most likely got
 * wrong there, in our words: a tab in the indentation, a cron expression
 * left unquoted (its '*' starts an alias). fd is the file, to look at the
 * character the parser stopped at.
 */
static char *
yaml_hint(char *msg, const yaml_parser_t *parser, int fd)
{
	const char *hint = NULL;
	char *out, c = '\0';

	if (parser->problem != NULL &&
	    strcmp(parser->problem,
	        "found character that cannot start any token") == 0 &&
	    yaml_char_at(fd, parser->problem_mark, &c) == 0 && c == '\t') {
		hint = "a tab: YAML indents with spaces only";
	} else if (parser->context != NULL &&
	    strcmp(parser->context, "while scanning an alias") == 0) {
		hint = "a value that starts with '*' is read as an alias: "
		       "quote it, as in schedule: \"*/5 * * * *\"";
	}
	if (hint == NULL) {
		return msg;
	}
	out = xasprintf("%s; %s", msg, hint);
	free(msg);
	return out;
}

/* Read path (checked as config_check_owner does) into doc: 0, or -1. */
static int
loader_parse(const char *path, struct ydoc *doc, struct config_errors *errs,
    const struct ydoc_stream *stream)
{
	yaml_parser_t parser;
	FILE *fp;
	char *msg;

	if ((fp = config_open(path, errs)) == NULL) {
		return -1;
	}
	if (config_check_owner(fp, path, errs) == -1 ||
	    config_check_dir(path, errs) == -1) {
		fclose(fp);
		return -1;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, fp);
	if (ydoc_load_stream(doc, &parser, stream) == -1) {
		if (doc->overflow) {
			yaml_parser_delete(&parser);
			fclose(fp);
			return -1;
		}
		if (parser.context != NULL) {
			/* libyaml's context reads "while parsing a block ...". */
			msg = xasprintf("%s (%s started at line %lu, column "
			                "%lu)",
			    parser.problem, parser.context,
			    (unsigned long)parser.context_mark.line + 1,
			    (unsigned long)parser.context_mark.column + 1);
		} else if (parser.problem != NULL &&
		    strcmp(parser.problem,
		        "mapping values are not allowed "
		        "in this context") == 0 &&
		    parser.problem_mark.column > YAML_KEY_MAX) {
			/* libyaml reads no plain key past 1024 characters. */
			msg = xasprintf("a key of more than %d characters "
			                "ends here: YAML reads none that long "
			                "(a task name is at most %d)",
			    YAML_KEY_MAX, TASK_NAME_MAX);
		} else {
			msg = xstrdup(parser.problem != NULL ? parser.problem
			                                     : "invalid YAML");
		}
		msg = yaml_hint(msg, &parser, fileno(fp));
		errors_add(errs, path, (unsigned)parser.problem_mark.line + 1,
		    (unsigned)parser.problem_mark.column + 1, msg);
		yaml_parser_delete(&parser);
		fclose(fp);
		return -1;
	}
	yaml_parser_delete(&parser);
	fclose(fp);
	return 0;
}

/* Drop the errors after the first n. */
static void
errors_truncate(struct config_errors *errs, size_t n)
{
	while (errs->n > n) {
		errs->n--;
		free(errs->v[errs->n].file);
		free(errs->v[errs->n].message);
	}
}

/*
 * Read path into a config, its tasks as the parser reads them (stream) or
 * from the whole document. NULL with errors, or with *restart when the
 * tasks could not be streamed after all.
 */
static struct config *
config_read(
    const char *path, struct config_errors *errs, int stream, int *restart)
{
	struct loader l = { .file = path, .errs = errs, .nerrs = errs->n };
	struct ydoc_stream s = { "tasks", loader_stream_begin,
		loader_stream_entry, &l };
	struct config_error last;
	struct draft defaults;
	struct config *c;
	struct stat st;
	size_t i;

	draft_init(&defaults);
	l.defaults = &defaults;
	c = xcalloc(1, sizeof *c);
	c->path = xstrdup(path);
	c->files = xcalloc(1, sizeof *c->files);
	c->files[c->nfiles++] = xstrdup(path);
	c->max_concurrent = loader_cpus();
	l.file = c->files[0];
	l.config = c;
	l.home = paths_home();
	l.copy_budget = 1000000;
	if (stat(path, &st) == 0) {
		l.dev = st.st_dev; /* no pattern includes the file itself */
		l.ino = st.st_ino;
		l.copy_budget += (size_t)st.st_size;
		l.bytes = (size_t)st.st_size;
	}
	if (loader_parse(path, &l.doc, errs, stream ? &s : NULL) == -1) {
		if (l.doc.overflow) {
			l.restart = 1;
		} else if (errs->n > l.nerrs + 1) {
			/* Broken YAML: what the tasks before it said is moot. */
			last = errs->v[--errs->n];
			errors_truncate(errs, l.nerrs);
			errs->v[errs->n++] = last;
		}
	} else {
		loader_root(&l, c);
	}
	free(l.home);
	ydoc_release(&l.doc);
	for (i = 0; i < l.ninc; i++) {
		ydoc_release(&l.inc[i].doc);
	}
	free(l.inc);
	for (i = 0; i < l.nafters; i++) {
		free(l.afters[i].name);
	}
	free(l.afters);
	intern_release(&l.rules, loader_rule_free);
	intern_release(&l.policies, task_policy_release);
	if ((*restart = l.restart)) {
		errors_truncate(errs, l.nerrs);
		config_free(c);
		return NULL;
	}
	if (errs->n != l.nerrs) {
		/* Rules are checked after fields: report in file order. */
		qsort(errs->v + l.nerrs, errs->n - l.nerrs, sizeof *errs->v,
		    error_cmp);
		config_free(c);
		return NULL;
	}
	return c;
}

/*
 * The tasks are read as libyaml parses them, each then dropped from the
 * document, when what shapes them (defaults, queues, notifiers, include)
 * comes before them, as it does in the examples: 100,000 tasks no longer
 * sit in memory as 600,000 nodes. A file laid out otherwise is read again,
 * whole.
 */
struct config *
config_load(const char *path, struct config_errors *errs)
{
	struct config *c;
	int restart;

	if ((c = config_read(path, errs, 1, &restart)) == NULL && restart) {
		c = config_read(path, errs, 0, &restart);
	}
	return c;
}

const char *
config_limit_name(int resource)
{
	size_t i;

	for (i = 0; i < NITEMS(limit_names); i++) {
		if (limit_names[i].resource == resource) {
			return limit_names[i].name;
		}
	}
	return "unknown";
}

const struct tz *
config_zone(struct config *c, const char *name, char **cause)
{
	struct tz *z;
	size_t i;

	for (i = 0; i < c->nzones; i++) {
		if (strcmp(tz_name(c->zones[i]), name) == 0) {
			return c->zones[i];
		}
	}
	if ((z = tz_load(name, cause)) == NULL) {
		return NULL;
	}
	c->zones = xreallocarray(c->zones, c->nzones + 1, sizeof *c->zones);
	c->zones[c->nzones++] = z;
	return z;
}

void
config_free(struct config *c)
{
	size_t i;

	if (c == NULL) {
		return;
	}
	for (i = 0; i < c->ntasks; i++) {
		task_def_free(c->tasks[i]);
	}
	free(c->tasks);
	task_def_free(c->defaults);
	for (i = 0; i < c->nfiles; i++) {
		free(c->files[i]);
	}
	free(c->files);
	for (i = 0; i < c->ninclude_dirs; i++) {
		free(c->include_dirs[i]);
	}
	free(c->include_dirs);
	config_errors_release(&c->warnings);
	for (i = 0; i < c->nzones; i++) {
		tz_free(c->zones[i]);
	}
	free(c->zones);
	for (i = 0; i < c->nqueues; i++) {
		free(c->queues[i].name);
	}
	free(c->queues);
	for (i = 0; i < c->nnotifiers; i++) {
		free(c->notifiers[i].name);
		free(c->notifiers[i].to);
		free(c->notifiers[i].from);
		strv_free(c->notifiers[i].program);
		free(c->notifiers[i].url);
	}
	free(c->notifiers);
	free(c->path);
	free(c);
}

const struct task_def *
config_find(const struct config *c, const char *name)
{
	struct task_def key = { .name = (char *)name }, *kp = &key, **found;

	if (c->ntasks == 0) {
		return NULL; /* and no array to search: bsearch wants one */
	}
	found = bsearch(
	    &kp, c->tasks, c->ntasks, sizeof *c->tasks, task_def_name_cmp);
	return found != NULL ? *found : NULL;
}

static int
str_equal(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

static int
strv_equal(char **a, char **b)
{
	size_t i;

	if (a == NULL || b == NULL) {
		return a == b;
	}
	for (i = 0; a[i] != NULL && b[i] != NULL; i++) {
		if (strcmp(a[i], b[i]) != 0) {
			return 0;
		}
	}
	return a[i] == b[i];
}

static int
mem_equal(const void *a, const void *b, size_t n, size_t size)
{
	return n == 0 || memcmp(a, b, n * size) == 0;
}

/* Whether two policies set the same limits: field by field, no padding. */
static int
limits_equal(const struct task_policy *a, const struct task_policy *b)
{
	size_t i;

	if (a->nlimits != b->nlimits) {
		return 0;
	}
	for (i = 0; i < a->nlimits; i++) {
		if (a->limits[i].resource != b->limits[i].resource ||
		    a->limits[i].value != b->limits[i].value) {
			return 0;
		}
	}
	return 1;
}

/* Note the field when cond does not hold: a change. */
#define CHANGED(cond, field)                                                   \
	do {                                                                   \
		if (!(cond)) {                                                 \
			if (n < max) {                                         \
				out[n] = (field);                              \
			}                                                      \
			n++;                                                   \
		}                                                              \
	} while (0)

size_t
task_def_changes(const struct task_def *a, const struct task_def *b,
    const char **out, size_t max)
{
	size_t n = 0;

	CHANGED(str_equal(a->description, b->description), "description");
	CHANGED(str_equal(a->command, b->command), "command");
	CHANGED(strv_equal(a->argv, b->argv), "run");
	CHANGED(strv_equal(a->policy->shell, b->policy->shell), "shell");
	CHANGED(schedule_equal(a->schedule, b->schedule), "schedule");
	CHANGED(a->policy->jitter_ms == b->policy->jitter_ms, "jitter");
	CHANGED(str_equal(a->policy->cwd, b->policy->cwd), "cwd");
	CHANGED(strv_equal(a->policy->env, b->policy->env) &&
	        a->policy->env_clear == b->policy->env_clear,
	    "env");
	CHANGED(a->policy->umask == b->policy->umask, "umask");
	CHANGED(a->policy->nice == b->policy->nice, "nice");
	CHANGED(limits_equal(a->policy, b->policy), "limits");
	CHANGED(a->policy->timeout_ms == b->policy->timeout_ms, "timeout");
	CHANGED(
	    a->policy->kill_grace_ms == b->policy->kill_grace_ms, "kill_grace");
	CHANGED(a->policy->max_output == b->policy->max_output, "max_output");
	CHANGED(a->policy->keep_runs == b->policy->keep_runs &&
	        a->policy->keep_days == b->policy->keep_days &&
	        a->policy->keep_bytes == b->policy->keep_bytes,
	    "history");
	CHANGED(a->enabled == b->enabled, "enabled");
	CHANGED(a->policy->priority == b->policy->priority, "priority");
	CHANGED(a->policy->queue == b->policy->queue, "queue");
	CHANGED(a->policy->overlap == b->policy->overlap, "overlap");
	CHANGED(a->policy->retries == b->policy->retries &&
	        a->policy->retry_delay_ms == b->policy->retry_delay_ms &&
	        a->policy->retry_backoff == b->policy->retry_backoff &&
	        a->policy->retry_max_delay_ms == b->policy->retry_max_delay_ms,
	    "retries");
	CHANGED(a->policy->retry_flags == b->policy->retry_flags &&
	        a->policy->nretry_codes == b->policy->nretry_codes &&
	        mem_equal(a->policy->retry_codes, b->policy->retry_codes,
	            a->policy->nretry_codes, sizeof *a->policy->retry_codes),
	    "retry_on");
	CHANGED(strv_equal(a->after, b->after), "after");
	CHANGED(a->policy->catch_up == b->policy->catch_up &&
	        a->policy->catch_up_max == b->policy->catch_up_max,
	    "catch_up");
	CHANGED(
	    a->policy->starting_deadline_ms == b->policy->starting_deadline_ms,
	    "starting_deadline");
	CHANGED(a->policy->notify_on == b->policy->notify_on &&
	        a->policy->nnotify_via == b->policy->nnotify_via &&
	        mem_equal(a->policy->notify_via, b->policy->notify_via,
	            a->policy->nnotify_via, sizeof *a->policy->notify_via),
	    "notify");
	CHANGED(a->policy->notify_every_ms == b->policy->notify_every_ms,
	    "notify_every");
	return n;
}

int
task_def_equal(const struct task_def *a, const struct task_def *b)
{
	return strcmp(a->name, b->name) == 0 &&
	    task_def_changes(a, b, NULL, 0) == 0;
}

void
config_errors_print(const struct config_errors *errs, FILE *fp)
{
	char *line;
	size_t i;

	for (i = 0; i < errs->n; i++) {
		line = config_error_format(&errs->v[i]);
		fprintf(fp, "%s\n", line);
		free(line);
	}
}

char *
config_error_format(const struct config_error *e)
{
	if (e->line == 0) {
		return xasprintf("%s: %s", e->file, e->message);
	}
	return xasprintf(
	    "%s:%u:%u: %s", e->file, e->line, e->column, e->message);
}

void
config_errors_release(struct config_errors *errs)
{
	size_t i;

	if (errs == NULL) {
		return;
	}
	for (i = 0; i < errs->n; i++) {
		free(errs->v[i].file);
		free(errs->v[i].message);
	}
	free(errs->v);
	errs->v = NULL;
	errs->n = 0;
}
