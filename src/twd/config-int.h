/*
 * Inside the tasks-file loader: what its parts share. config-fields.c is
 * the schema (the field table and the readers of each value),
 * config-load.c walks the files (includes, streaming, owners, YAML
 * errors), config-sections.c reads queues: and notifiers:,
 * config-checks.c checks across tasks, and config.c holds the API, the
 * shared rules and policies and the comparisons a reload makes.
 */
#ifndef TW_CONFIG_INT_H
#define TW_CONFIG_INT_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <yaml.h>

#include "config.h"
#include "ydoc.h"

struct schedule;
struct tz;

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
	char **plugin_dirs;              /* where plugins are looked for */
	struct loader_plugin *plugins;   /* found (or not) so far */
	size_t nplugins;
};

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
	yaml_node_t *type; /* a plugin's, and: */
	yaml_node_t *with;
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
	yaml_node_t *resources[2];
	yaml_node_t *pressure[2];
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
	yaml_node_t *executor;
	enum overlap overlap;
	int retries;
	int64_t retry_delay_ms;
	int64_t retry_max_delay_ms;
	double retry_backoff;
	yaml_node_t *retry_on;
	yaml_node_t *after;
	yaml_node_t *on; /* triggers: git, path */
	enum catch_up catch_up;
	int catch_up_max;
	int64_t starting_deadline_ms;
	yaml_node_t *notify;
	int64_t notify_every_ms;
};

struct field;
typedef int (*field_fn)(
    struct loader *, struct draft *, const struct field *, yaml_node_t *);

/* What a field's view needs beyond the task: names of queues, home. */
struct field_ctx {
	const struct config *config;
	const char *home; /* where a task with no cwd starts */
};
/* A list of strings as a JSON array (caller owns). */
json_t *strv_json(char **v);
/* The field as twctl show gives it; NULL: not shown for this task. */
typedef json_t *(*field_show_fn)(
    const struct task_def *, const struct field_ctx *);
/* Whether a and b have the same value of the field. */
typedef int (*field_same_fn)(const struct task_def *, const struct task_def *);

/* How a field is shown and compared (config-view.c). */
enum field_view {
	VIEW_OWN,             /* by .show and .same */
	VIEW_PART,            /* as part of another field (at: of schedule) */
	VIEW_SECONDS,         /* the policy's int64_t ms at .at, in seconds */
	VIEW_SECONDS_OR_NULL, /* the same, null for 0 (none) */
	VIEW_INT,             /* the policy's int at .at */
	VIEW_INT64,           /* the policy's int64_t at .at */
};

struct field {
	const char *name;
	field_fn set;
	const char *want; /* what the value must be, for messages */
	size_t slot;      /* field_node: where in the draft the node goes */
	int in_defaults;  /* may be set in the defaults block */
	enum field_view view;
	size_t at; /* VIEW_SECONDS...VIEW_INT64: where in struct task_policy */
	field_show_fn show;
	field_same_fn same;
};

/* The .show and .same of a VIEW_OWN field, in config-view.c. */
#define FIELD_VIEW_DECLARE(name)                                               \
	json_t *show_##name(                                                   \
	    const struct task_def *, const struct field_ctx *);                \
	int same_##name(const struct task_def *, const struct task_def *)
FIELD_VIEW_DECLARE(after);
FIELD_VIEW_DECLARE(catch_up);
FIELD_VIEW_DECLARE(command);
FIELD_VIEW_DECLARE(cwd);
FIELD_VIEW_DECLARE(description);
FIELD_VIEW_DECLARE(enabled);
FIELD_VIEW_DECLARE(env);
FIELD_VIEW_DECLARE(env_clear);
FIELD_VIEW_DECLARE(executor);
FIELD_VIEW_DECLARE(history);
FIELD_VIEW_DECLARE(limits);
FIELD_VIEW_DECLARE(nice);
FIELD_VIEW_DECLARE(notify);
FIELD_VIEW_DECLARE(on);
FIELD_VIEW_DECLARE(overlap);
FIELD_VIEW_DECLARE(pressure);
FIELD_VIEW_DECLARE(priority);
FIELD_VIEW_DECLARE(queue);
FIELD_VIEW_DECLARE(resources);
FIELD_VIEW_DECLARE(retry_backoff);
FIELD_VIEW_DECLARE(retry_on);
FIELD_VIEW_DECLARE(run);
FIELD_VIEW_DECLARE(schedule);
FIELD_VIEW_DECLARE(shell);
FIELD_VIEW_DECLARE(timezone);
FIELD_VIEW_DECLARE(type);
FIELD_VIEW_DECLARE(umask);
FIELD_VIEW_DECLARE(with);
/* In a task_fields[] entry: the field's own view. */
#define VIEW(name) .view = VIEW_OWN, .show = show_##name, .same = same_##name
/* ... or a policy member's, of kind k. */
#define VIEW_AT(k, member)                                                     \
	.view = (k), .at = offsetof(struct task_policy, member)

/* The field's value as twctl show gives it (NULL: not shown). */
json_t *field_show(
    const struct field *, const struct task_def *, const struct field_ctx *);
/* Whether a and b have the same value of the field. */
int field_same(
    const struct field *, const struct task_def *a, const struct task_def *b);

#define DEFAULT_KILL_GRACE_MS      10000
#define DEFAULT_MAX_OUTPUT         (INT64_C(10) << 20)
#define DEFAULT_RETRY_DELAY_MS     10000
#define DEFAULT_CATCH_UP_MAX       10
#define DEFAULT_NOTIFY_EVERY_MS    (INT64_C(24) * 3600 * 1000)
#define DEFAULT_NOTIFY_TIMEOUT_MS  30000
#define DEFAULT_RETRY_MAX_DELAY_MS (3600 * 1000)

#define MAPPING_SIZE(m)                                                        \
	((size_t)((m)->data.mapping.pairs.top - (m)->data.mapping.pairs.start))

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))

enum limit_kind { LIMIT_SECONDS, LIMIT_SIZE, LIMIT_COUNT };

/* The field table (config-fields.c), alphabetized. */
extern const struct field task_fields[];
extern const size_t ntask_fields;

/* config.c */
void errors_add(struct config_errors *errs, const char *file, unsigned line,
    unsigned column, char *message);
struct intern_slot *intern_slot(struct intern *in, uint64_t hash,
    int (*equal)(const void *item, const void *key), const void *key);
void intern_release(struct intern *in, void (*release)(void *));
int loader_rule_equal(const void *item, const void *key);
void loader_rule_free(void *item);
struct task_policy *loader_policy(struct loader *l, struct task_policy *p);
struct task_policy *task_policy_new(void);
void task_policy_clear(struct task_policy *p);
void task_policy_release(void *p);

/* config-fields.c */
int value_duration(struct loader *l, const struct field *f, yaml_node_t *node,
    int64_t min_secs, int64_t *ms);
int value_integer(struct loader *l, const char *what, yaml_node_t *node,
    long lo, long hi, int base, long *out);
/* true or false into *out: 0, or -1 after an error. */
int value_bool(struct loader *l, const char *what, yaml_node_t *node, int *out);
int draft_schedule(struct loader *l, const struct draft *d, struct task_def *t);
void loader_unknown_key(struct loader *l, const yaml_node_t *key,
    const char *where, const char *const *known, size_t nknown);
char **loader_words(struct loader *l, yaml_node_t *node, const char *what);
int loader_copy(struct loader *l, yaml_node_t *node, size_t n);
int value_word(struct loader *l, const struct field *f, yaml_node_t *node,
    const char *const *names, size_t n, int *out);
void draft_after(struct loader *l, yaml_node_t *node, struct task_def *t);
void draft_exec(struct loader *l, const struct draft *d, struct task_def *t,
    yaml_node_t *key, int fields_ok);
int loader_fields(
    struct loader *l, yaml_node_t *body, struct draft *d, int defaults);
void draft_init(struct draft *d);

/* config-load.c */
void loader_error(struct loader *l, const yaml_node_t *node, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
void loader_warning(
    struct loader *l, const yaml_node_t *node, const char *what, char *msg);
const char *node_kind(const yaml_node_t *node);
int node_is_null(const yaml_node_t *node);
const char *
loader_scalar(struct loader *l, const yaml_node_t *node, const struct field *f);
const char *node_text(const yaml_node_t *node);
int loader_check_keys(struct loader *l, yaml_node_t *map, const char *what);
int loader_name_ok(struct loader *l, const yaml_node_t *k, const char *what);
int task_def_name_cmp(const void *a, const void *b);
struct config *config_read(
    const char *path, struct config_errors *errs, int stream, int *restart);

/* config-maps.c: env, limits and history merged over the defaults' (the
 * defaults' mapping, then the task's), notify and retry_on. */
void
loader_env(struct loader *l, yaml_node_t *const maps[2], struct task_def *t);
void
draft_limits(struct loader *l, yaml_node_t *const maps[2], struct task_def *t);
void draft_resources(
    struct loader *l, yaml_node_t *const maps[2], struct task_def *t);
void draft_pressure(
    struct loader *l, yaml_node_t *const maps[2], struct task_def *t);
void
draft_history(struct loader *l, yaml_node_t *const maps[2], struct task_def *t);
void draft_notify(struct loader *l, yaml_node_t *node, struct task_def *t);
void draft_retry_on(struct loader *l, yaml_node_t *node, struct task_def *t);

/* config-file.c */
/* "a directory", "a FIFO": what a path is that is not a regular file. */
const char *config_file_kind(mode_t mode);
/*
 * Open, check and parse path into doc (its tasks through stream, unless
 * NULL). Returns 0, or -1 with the errors appended to errs.
 */
int loader_parse(const char *path, struct ydoc *doc, struct config_errors *errs,
    const struct ydoc_stream *stream);

/* config-sections.c */
void loader_queues(struct loader *l, struct config *c, yaml_node_t *map);
void loader_notifiers(struct loader *l, struct config *c, yaml_node_t *map);
void loader_executors(struct loader *l, struct config *c, yaml_node_t *map);
void loader_check_executors(struct loader *l, struct config *c);
/* A path of the tasks file's: ~ is the home directory (caller frees). */
char *section_path(struct loader *l, const char *v);

/* config-observe.c */
void loader_metrics(struct loader *l, struct config *c, yaml_node_t *map);
void loader_audit(struct loader *l, struct config *c, yaml_node_t *map);
void loader_subscriptions(struct loader *l, struct config *c, yaml_node_t *map);

/* config-plugins.c */
void draft_plugin(struct loader *l, yaml_node_t *type, yaml_node_t *with,
    yaml_node_t *key, struct task_def *t);
void loader_plugins_free(struct loader *l);
void loader_plugin_path(struct loader *l, struct config *c, yaml_node_t *node);
/*
 * A notifier of a plugin's type: 0 when type names a plugin (errors said),
 * -1 when it does not.
 */
int loader_notifier_plugin(struct loader *l, struct notifier_def *nd,
    yaml_node_t *type, yaml_node_t *with, yaml_node_t *key);

/* config-triggers.c */
void draft_on(struct loader *l, yaml_node_t *map, struct task_def *t);

/* config-maps.c: "0.25" CPUs in thousandths (250); -1 for no such number. */
int64_t cpus_parse(const char *v);

/* config-capacity.c */
void loader_capacity(struct loader *l, struct config *c, yaml_node_t *map);
/* Each task that runs here fits in capacity: (an error where not). */
void config_check_capacity(struct loader *l, const struct config *c);

/* config-checks.c */
void loader_check_afters(struct loader *l, const struct config *c);
void config_check_cycles(struct loader *l, struct config *c);
void config_check_duplicates(struct loader *l, struct config *c);

#endif
