/*
 * Unit tests for the tasks file loader: what loads, and that every error
 * names its file, line and column.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "config-int.h"
#include "schedule.h"
#include "tz.h"
#include "tmpdir.h"
#include "xmalloc.h"

struct fixture {
	char dir[64];
	char path[128];
	struct config_errors errs;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (tmpdir_create(f->dir, sizeof f->dir, "config") == -1) {
		return -1;
	}
	snprintf(f->path, sizeof f->path, "%s/tasks.yaml", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	tmpdir_remove(f->dir);
	config_errors_release(&f->errs);
	free(f);
	return 0;
}

static struct config *
load(struct fixture *f, const char *yaml)
{
	FILE *fp = fopen(f->path, "w");

	assert_non_null(fp);
	fputs(yaml, fp);
	fclose(fp);
	return config_load(f->path, &f->errs);
}

/* Assert error i reads "line:col: ...text..." */
static void
assert_error(
    struct fixture *f, size_t i, unsigned line, unsigned col, const char *text)
{
	assert_true(i < f->errs.n);
	assert_string_equal(f->errs.v[i].file, f->path);
	assert_int_equal(f->errs.v[i].line, line);
	assert_int_equal(f->errs.v[i].column, col);
	if (strstr(f->errs.v[i].message, text) == NULL) {
		fail_msg("error '%s' lacks '%s'", f->errs.v[i].message, text);
	}
}

static void
test_config_loads_tasks_sorted_by_name(void **state)
{
	struct fixture *f = *state;
	struct config *c;
	char buf[32];

	c = load(f,
	    "tasks:\n"
	    "  zeta:\n"
	    "    command: echo z\n"
	    "    every: 1h30m\n"
	    "  alpha:\n"
	    "    command: echo a\n");
	assert_non_null(c);
	assert_int_equal(c->ntasks, 2);
	assert_string_equal(c->tasks[0]->name, "alpha");
	assert_null(c->tasks[0]->schedule);
	assert_string_equal(c->tasks[1]->name, "zeta");
	assert_string_equal(c->tasks[1]->command, "echo z");
	assert_string_equal(
	    schedule_describe(c->tasks[1]->schedule, buf, sizeof buf),
	    "every 1h30m");
	assert_int_equal(c->tasks[1]->line, 2);
	assert_ptr_equal(config_find(c, "zeta"), c->tasks[1]);
	assert_null(config_find(c, "nope"));
	config_free(c);
}

/*
 * Tasks whose policies are alike (all but their own command, rule, after:
 * and so on) share one; a field apart, even one from defaults merged with
 * the task's own, makes one of its own.
 */
static void
test_config_tasks_alike_share_a_policy(void **state)
{
	struct fixture *f = *state;
	struct config *c;
	const struct task_def *t[7];
	size_t i;

	c = load(f,
	    "defaults: {env: {A: b}, timeout: 1m, retries: 2}\n"
	    "tasks:\n"
	    "  a: {command: x, every: 1h}\n"
	    "  b: {command: y, schedule: '@daily', after: [a]}\n"
	    "  c: {command: x, timeout: 2m}\n"
	    "  d: {command: x, env: {C: d}}\n"
	    "  e: {command: x, env: {C: d}}\n"
	    "  f: {command: x, env: {A: b}}\n"
	    "  g: {command: x, limits: {nofile: 64}}\n");
	assert_non_null(c);
	for (i = 0; i < 7; i++) {
		t[i] = c->tasks[i];
	}
	assert_ptr_equal(t[0]->policy, t[1]->policy);
	assert_ptr_equal(t[0]->policy, t[5]->policy); /* A=b all the same */
	assert_ptr_equal(t[3]->policy, t[4]->policy);
	assert_ptr_not_equal(t[0]->policy, t[2]->policy);
	assert_int_equal(t[2]->policy->timeout_ms, 120000);
	assert_int_equal(t[0]->policy->timeout_ms, 60000);
	assert_ptr_not_equal(t[0]->policy, t[3]->policy);
	assert_string_equal(t[3]->policy->env[1], "C=d");
	assert_ptr_not_equal(t[0]->policy, t[6]->policy);
	assert_int_equal(t[6]->policy->nlimits, 1);
	/* Their own parts stay their own. */
	assert_string_equal(t[1]->command, "y");
	assert_string_equal(t[1]->after[0], "a");
	assert_null(t[0]->after);
	/* One free per task: ASan reports a policy freed twice or never. */
	config_free(c);
}

/*
 * The sort keys on a name's first 16 bytes, then the whole name: names
 * alike that far, shorter and longer, a duplicate beyond it, and two that
 * the first of their bytes that differ must order.
 */
static void
test_config_sorts_names_alike_in_their_first_16_bytes(void **state)
{
	/* strcmp's order: a prefix before its longer, '-' (45) < 'Z' (90). */
	static const char *const want[] = { "backup-databas",
		"backup-database-", "backup-database-a",
		"backup-database-daily", "backup-database-hourly",
		"backup-databaseZ", "bz", "ca" };
	struct fixture *f = *state;
	struct config *c;
	size_t i;

	c = load(f,
	    "tasks:\n"
	    "  backup-database-hourly: {command: 'true'}\n"
	    "  backup-databaseZ: {command: 'true'}\n"
	    "  backup-database-a: {command: 'true'}\n"
	    "  backup-databas: {command: 'true'}\n"
	    "  backup-database-: {command: 'true'}\n"
	    "  backup-database-daily: {command: 'true'}\n"
	    "  ca: {command: 'true'}\n"
	    "  bz: {command: 'true'}\n");
	assert_non_null(c);
	assert_int_equal(c->ntasks, 8);
	for (i = 0; i < 8; i++) {
		assert_string_equal(c->tasks[i]->name, want[i]);
		assert_ptr_equal(config_find(c, want[i]), c->tasks[i]);
	}
	config_free(c);
	assert_null(load(f,
	    "tasks:\n"
	    "  backup-database-hourly: {command: 'true'}\n"
	    "  backup-database-daily: {command: 'true'}\n"
	    "  backup-database-hourly: {command: 'true'}\n"));
	assert_error(f, 0, 4, 3,
	    "duplicate task 'backup-database-hourly' (first at line 2)");
}

/*
 * Tasks that give the same cron rule in the same zone share it; another
 * zone or another rule is a rule of its own.
 */
static void
test_config_tasks_share_a_rule_they_both_give(void **state)
{
	struct fixture *f = *state;
	struct config *c;

	c = load(f,
	    "defaults:\n"
	    "  timezone: Europe/Berlin\n"
	    "tasks:\n"
	    "  a: {command: 'true', schedule: '*/5 * * * *'}\n"
	    "  b: {command: 'true', schedule: '*/5 * * * *'}\n"
	    "  c: {command: 'true', schedule: '*/5 * * * *', timezone: UTC}\n"
	    "  d: {command: 'true', schedule: '*/5  * * * *'}\n"
	    "  e: {command: 'true', schedule: '*/5 * * * *'}\n");
	assert_non_null(c);
	assert_int_equal(c->ntasks, 5);
	assert_ptr_equal(c->tasks[0]->schedule, c->tasks[1]->schedule);
	assert_ptr_equal(c->tasks[0]->schedule, c->tasks[4]->schedule);
	assert_ptr_not_equal(c->tasks[0]->schedule, c->tasks[2]->schedule);
	assert_ptr_not_equal(c->tasks[0]->schedule, c->tasks[3]->schedule);
	assert_true(
	    schedule_equal(c->tasks[0]->schedule, c->tasks[3]->schedule));
	/* One free per task: ASan reports a rule freed twice or never. */
	config_free(c);
}

/*
 * Tasks are read as they are parsed when defaults and the like come first;
 * else the file is read again, whole. Both must mean the same.
 */
static void
test_config_defaults_apply_wherever_they_stand(void **state)
{
	static const char *const files[] = {
		"defaults: {timeout: 5m}\n"
		"queues: {q: {max_concurrent: 1}}\n"
		"tasks:\n"
		"  a: {command: x, queue: q, after: [b]}\n"
		"  b: {command: y}\n",
		"tasks:\n"
		"  a: {command: x, queue: q, after: [b]}\n"
		"  b: {command: y}\n"
		"defaults: {timeout: 5m}\n"
		"queues: {q: {max_concurrent: 1}}\n",
		"queues: {q: {max_concurrent: 1}}\n"
		"tasks:\n"
		"  a: {command: x, queue: q, after: [b]}\n"
		"  b: {command: y}\n"
		"defaults: {timeout: 5m}\n",
	};
	struct fixture *f = *state;
	struct config *c;
	size_t i;

	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		c = load(f, files[i]);
		assert_non_null(c);
		assert_int_equal(c->ntasks, 2);
		assert_int_equal(c->tasks[0]->policy->timeout_ms, 300000);
		assert_int_equal(c->tasks[1]->policy->timeout_ms, 300000);
		assert_int_equal(c->tasks[0]->policy->queue, 0);
		assert_string_equal(c->tasks[0]->after[0], "b");
		config_free(c);
	}
}

/* An anchor in one task, an alias in the next: both streamed. */
static void
test_config_aliases_between_tasks(void **state)
{
	struct fixture *f = *state;
	struct config *c = load(f,
	    "defaults: {}\n"
	    "tasks:\n"
	    "  a: {command: &cmd echo shared, every: 1m}\n"
	    "  b: {command: y}\n"
	    "  c: {command: *cmd}\n");

	assert_non_null(c);
	assert_string_equal(config_find(c, "c")->command, "echo shared");
	config_free(c);
}

/* Broken YAML further down: only that is said, not the tasks above. */
static void
test_config_syntax_error_alone_after_bad_tasks(void **state)
{
	struct fixture *f = *state;

	assert_null(load(f,
	    "tasks:\n"
	    "  a: {command: x, bogus: 1}\n"
	    "  b: {command: y}\n"
	    "  c: [\n"));
	assert_int_equal(f->errs.n, 1);
	assert_int_equal(f->errs.v[0].line, 5);
}

static void
test_config_empty_file_has_no_tasks(void **state)
{
	struct fixture *f = *state;
	struct config *c = load(f, "# nothing yet\n");

	assert_non_null(c);
	assert_int_equal(c->ntasks, 0);
	config_free(c);
	c = load(f, "tasks:\n");
	assert_non_null(c);
	assert_int_equal(c->ntasks, 0);
	config_free(c);
}

static void
test_config_syntax_error_has_line_and_column(void **state)
{
	struct fixture *f = *state;

	assert_null(load(f,
	    "tasks:\n"
	    "  a:\n"
	    "    command: echo a\n"
	    "   every: 5m\n"));
	assert_int_equal(f->errs.n, 1);
	assert_error(f, 0, 4, 4,
	    "did not find expected key (while parsing a "
	    "block mapping started at line 2, column 3)");
}

/* libyaml's words for two common slips come with ours. */
static void
test_config_yaml_errors_hint_at_tabs_and_unquoted_cron(void **state)
{
	struct fixture *f = *state;

	assert_null(load(f,
	    "tasks:\n  a: {command: \"h\xc3\xa9\"}\n"
	    "\tb: {command: x}\n"));
	assert_error(f, 0, 3, 1, "; a tab: YAML indents with spaces only");
	assert_null(load(f,
	    "tasks:\n  a:\n    command: x\n"
	    "    schedule: */5 * * * *\n"));
	assert_error(f, 1, 4, 16,
	    "; a value that starts with '*' is read as an alias: quote it, "
	    "as in schedule: \"*/5 * * * *\"");
}

/*
 * A NUL in any string would end it early in C ("echo before" alone):
 * refused where it is, in a streamed task, in defaults and in a key.
 */
static void
test_config_nul_in_a_string_is_refused_with_its_place(void **state)
{
	struct fixture *f = *state;

	assert_null(load(f,
	    "tasks:\n"
	    "  a: {command: \"echo before\\0; echo after\"}\n"));
	assert_int_equal(f->errs.n, 1);
	assert_error(f, 0, 2, 16,
	    "a NUL character (\\0) is character 12 of this string; no value "
	    "may hold one");
	assert_null(load(f,
	    "tasks:\n"
	    "  a: {command: x}\n"
	    "defaults:\n"
	    "  env: {\"K\\x00Y\": v}\n"));
	assert_int_equal(f->errs.n, 2);
	assert_error(f, 1, 4, 9,
	    "a NUL character (\\0) is character 2 of this string; no value "
	    "may hold one");
}

static void
test_config_unknown_field_suggests_the_right_one(void **state)
{
	struct fixture *f = *state;

	assert_null(load(f,
	    "tasks:\n"
	    "  a:\n"
	    "    comand: echo a\n"));
	assert_error(f, 0, 3, 5,
	    "unknown field 'comand' (did you mean "
	    "'command'?)");
}

static void
test_config_unknown_top_key_suggests_tasks(void **state)
{
	struct fixture *f = *state;

	assert_null(load(f, "taks:\n  a: {command: x}\n"));
	assert_error(f, 0, 1, 1, "unknown key 'taks' (did you mean 'tasks'?)");
}

static void
test_config_reports_every_error_at_once(void **state)
{
	struct fixture *f = *state;

	assert_null(load(f,
	    "tasks:\n"
	    "  a:\n"
	    "    command: echo a\n"
	    "    every: 5\n"
	    "  b:\n"
	    "    every: 0s\n"
	    "    command: [echo]\n"
	    "  c: {command: ok, every: 5 minutes}\n"));
	assert_int_equal(f->errs.n, 4);
	assert_error(f, 0, 4, 12, "every: duration '5' has no unit");
	assert_error(f, 1, 6, 12, "must be from 1s to 3650d, not '0s'");
	assert_error(f, 2, 7, 14,
	    "'command' must be a shell command line, "
	    "not a list");
	assert_error(f, 3, 8, 27, "bad duration '5 minutes'");
}

static void
test_config_task_without_command_is_named(void **state)
{
	struct fixture *f = *state;

	assert_null(load(f, "tasks:\n  lonely:\n    every: 5m\n"));
	assert_error(
	    f, 0, 2, 3, "task 'lonely' has no 'command', 'run' or 'type'");
}

/* Big mappings (sorted) and small ones (compared in place) alike. */
static void
test_config_rejects_duplicates_in_big_and_small_mappings(void **state)
{
	struct fixture *f = *state;
	char yaml[2048];
	size_t len = 0;
	int i;

	len += (size_t)snprintf(yaml + len, sizeof yaml - len, "tasks:\n");
	for (i = 0; i < 20; i++) {
		len += (size_t)snprintf(yaml + len, sizeof yaml - len,
		    "  t%02d: {command: x}\n", i);
	}
	snprintf(yaml + len, sizeof yaml - len,
	    "  t07: {command: x, every: 1m, command: y, every: 2m, "
	    "command: z}\n");
	assert_null(load(f, yaml));
	assert_int_equal(f->errs.n, 4);
	assert_error(f, 0, 22, 3, "duplicate task 't07' (first at line 9)");
	assert_error(f, 1, 22, 32, "duplicate field 'command'");
	assert_error(f, 2, 22, 44, "duplicate field 'every'");
	assert_error(f, 3, 22, 55, "duplicate field 'command'");
}

static void
test_config_rejects_duplicate_tasks_and_fields(void **state)
{
	struct fixture *f = *state;

	assert_null(load(f,
	    "tasks:\n"
	    "  a: {command: x}\n"
	    "  a: {command: y, command: z}\n"));
	assert_error(f, 0, 3, 3, "duplicate task 'a' (first at line 2)");
	assert_error(f, 1, 3, 19, "duplicate field 'command'");
}

static void
test_config_rejects_bad_task_names(void **state)
{
	struct fixture *f = *state;

	assert_null(load(f, "tasks:\n  ../etc: {command: x}\n"));
	assert_error(f, 0, 2, 3, "task name '../etc'");
}

static void
test_config_resolves_anchors_and_aliases(void **state)
{
	struct fixture *f = *state;
	struct config *c;

	c = load(f,
	    "tasks:\n"
	    "  a: {command: &cmd echo shared, every: 5m}\n"
	    "  b: {command: *cmd}\n");
	assert_non_null(c);
	assert_string_equal(c->tasks[1]->command, "echo shared");
	config_free(c);
}

static void
test_config_missing_file_says_cannot_open(void **state)
{
	struct fixture *f = *state;

	assert_null(config_load("/nonexistent/tasks.yaml", &f->errs));
	assert_int_equal(f->errs.v[0].line, 0);
	assert_non_null(strstr(f->errs.v[0].message, "cannot open"));
}

static void
test_config_error_format_is_file_line_col(void **state)
{
	char file[] = "t.yaml", oops[] = "oops", gone[] = "gone", *s;
	struct config_error e = { file, 3, 7, oops };
	struct config_error nowhere = { file, 0, 0, gone };

	(void)state;
	s = config_error_format(&e);
	assert_string_equal(s, "t.yaml:3:7: oops");
	free(s);
	s = config_error_format(&nowhere);
	assert_string_equal(s, "t.yaml: gone");
	free(s);
}

static void
test_config_task_equality_sees_each_field(void **state)
{
	struct fixture *f = *state;
	struct config *a, *b;

	a = load(f, "tasks: {t: {command: x, every: 5m}}\n");
	b = load(f, "tasks: {t: {command: x, every: 6m}}\n");
	assert_false(task_def_equal(a->tasks[0], b->tasks[0]));
	config_free(b);
	b = load(f, "tasks: {t: {command: y, every: 5m}}\n");
	assert_false(task_def_equal(a->tasks[0], b->tasks[0]));
	config_free(b);
	b = load(f, "tasks: {t: {every: 5m, command: x}}\n");
	assert_true(task_def_equal(a->tasks[0], b->tasks[0]));
	config_free(b);
	config_free(a);
}

/*
 * Limits set alike are alike, however the memory they sit in was left:
 * the padding of struct job_limit once made a reload report '~ t:
 * limits' one try in three. Copies of one definition with their limits'
 * every spare byte scribbled over, in many patterns, compare equal.
 */
static void
test_config_limits_compare_by_field_not_padding(void **state)
{
	static const char yaml[] = "tasks: {t: {command: x, every: 5m, "
	                           "limits: {nofile: 64, memory: 1G, cpu: "
	                           "10s}}}\n";
	struct fixture *f = *state;
	struct job_limit *scribbled, *was;
	const char *changed[4];
	struct config *a, *b;
	struct task_policy *p;
	size_t i, n;
	int pattern;

	a = load(f, yaml);
	b = load(f, yaml);
	assert_non_null(a);
	assert_non_null(b);
	p = b->tasks[0]->policy;
	n = p->nlimits;
	for (pattern = 0; pattern < 256; pattern += 17) {
		scribbled = malloc(n * sizeof *scribbled);
		memset(scribbled, pattern, n * sizeof *scribbled);
		for (i = 0; i < n; i++) {
			scribbled[i].resource = p->limits[i].resource;
			scribbled[i].value = p->limits[i].value;
			scribbled[i].name = p->limits[i].name;
		}
		was = p->limits;
		p->limits = scribbled;
		if (task_def_changes(a->tasks[0], b->tasks[0], changed, 4) !=
		    0) {
			fail_msg(
			    "pattern %d: '%s' changed", pattern, changed[0]);
		}
		scribbled[1].value++;
		assert_int_equal(
		    task_def_changes(a->tasks[0], b->tasks[0], changed, 4), 1);
		assert_string_equal(changed[0], "limits");
		p->limits = was;
		free(scribbled);
	}
	config_free(b);
	config_free(a);
}

/*
 * The field table drives show and the reload's comparison: each field,
 * changed alone, is what task_def_changes reports and what show gives
 * anew; every field of the table has a case here, so a field added
 * without its view fails this test.
 */
static void
test_config_each_field_is_compared_and_shown(void **state)
{
	static const char head_fmt[] = "plugin_path: [%s]\n"
	                               "queues: {q: {max_concurrent: 1}}\n"
	                               "notifiers: {me: {type: desktop}}\n"
	                               "executors: {x: {type: ssh, host: h}}\n"
	                               "tasks:\n  o: {command: x}\n";
	static const char base[] = "command: x, schedule: \"0 3 * * *\"";
	static const struct {
		const char *field; /* changed, and so shown anew */
		const char *body;  /* the task t */
		const char *changes;
	} cases[] = {
		{ "after", "command: x, schedule: \"0 3 * * *\", after: [o]",
		    "after" },
		{ "catch_up",
		    "command: x, schedule: \"0 3 * * *\", catch_up: all",
		    "catch_up" },
		{ "catch_up_max",
		    "command: x, schedule: \"0 3 * * *\", catch_up_max: 3",
		    "catch_up_max" },
		{ "command", "command: y, schedule: \"0 3 * * *\"", "command" },
		{ "cwd", "command: x, schedule: \"0 3 * * *\", cwd: /tmp",
		    "cwd" },
		{ "description",
		    "command: x, schedule: \"0 3 * * *\", description: hi",
		    "description" },
		{ "enabled",
		    "command: x, schedule: \"0 3 * * *\", enabled: false",
		    "enabled" },
		{ "env", "command: x, schedule: \"0 3 * * *\", env: {A: b}",
		    "env" },
		{ "env_clear",
		    "command: x, schedule: \"0 3 * * *\", env_clear: true",
		    "env_clear" },
		{ "executor",
		    "command: x, schedule: \"0 3 * * *\", executor: x",
		    "executor" },
		{ "type", "type: p, with: {n: 1}, schedule: \"0 3 * * *\"",
		    "command run type with" },
		{ "with", "type: p, with: {n: 2}, schedule: \"0 3 * * *\"",
		    "command run type with" },
		{ "resources",
		    "command: x, schedule: \"0 3 * * *\", resources: {cpus: 2}",
		    "resources" },
		{ "history",
		    "command: x, schedule: \"0 3 * * *\", history: {keep_runs: "
		    "3}",
		    "history" },
		{ "jitter", "command: x, schedule: \"0 3 * * *\", jitter: 10s",
		    "jitter" },
		{ "kill_grace",
		    "command: x, schedule: \"0 3 * * *\", kill_grace: 3s",
		    "kill_grace" },
		{ "limits",
		    "command: x, schedule: \"0 3 * * *\", limits: {nofile: 64}",
		    "limits" },
		{ "max_output",
		    "command: x, schedule: \"0 3 * * *\", max_output: 1M",
		    "max_output" },
		{ "nice", "command: x, schedule: \"0 3 * * *\", nice: 5",
		    "nice" },
		{ "notify",
		    "command: x, schedule: \"0 3 * * *\", notify: {via: [me]}",
		    "notify" },
		{ "notify_every",
		    "command: x, schedule: \"0 3 * * *\", notify_every: 2h",
		    "notify_every" },
		{ "on",
		    "command: x, schedule: \"0 3 * * *\", on: {path: {watch: "
		    "/tmp}}",
		    "on" },
		{ "overlap",
		    "command: x, schedule: \"0 3 * * *\", overlap: queue",
		    "overlap" },
		{ "pressure",
		    "command: x, schedule: \"0 3 * * *\", pressure: {cpu: 50%}",
		    "pressure" },
		{ "priority",
		    "command: x, schedule: \"0 3 * * *\", priority: high",
		    "priority" },
		{ "queue", "command: x, schedule: \"0 3 * * *\", queue: q",
		    "queue" },
		{ "retries", "command: x, schedule: \"0 3 * * *\", retries: 2",
		    "retries" },
		{ "retry_backoff",
		    "command: x, schedule: \"0 3 * * *\", retry_backoff: 3",
		    "retry_backoff" },
		{ "retry_delay",
		    "command: x, schedule: \"0 3 * * *\", retry_delay: 1m",
		    "retry_delay" },
		{ "retry_max_delay",
		    "command: x, schedule: \"0 3 * * *\", retry_max_delay: 2h",
		    "retry_max_delay" },
		{ "retry_on",
		    "command: x, schedule: \"0 3 * * *\", retry_on: [75]",
		    "retry_on" },
		{ "run", "run: [x], schedule: \"0 3 * * *\"", "command run" },
		{ "schedule", "command: x, schedule: \"0 4 * * *\"",
		    "schedule" },
		{ "shell",
		    "command: x, schedule: \"0 3 * * *\", shell: [/bin/bash, "
		    "-c]",
		    "shell" },
		{ "starting_deadline",
		    "command: x, schedule: \"0 3 * * *\", starting_deadline: "
		    "5m",
		    "starting_deadline" },
		{ "timeout", "command: x, schedule: \"0 3 * * *\", timeout: 1h",
		    "timeout" },
		{ "timezone",
		    "command: x, schedule: \"0 3 * * *\", timezone: Asia/Tokyo",
		    "schedule timezone" },
		{ "umask", "command: x, schedule: \"0 3 * * *\", umask: 077",
		    "umask" },
	};
	struct fixture *f = *state;
	struct config *a, *b;
	const struct task_def *da, *db;
	const char *changed[8];
	char *yaml, got[256];
	json_t *ja, *jb;
	size_t i, j, n, len;
	char *head, *plugin = xasprintf("%s/p", f->dir);
	FILE *fp = fopen(plugin, "w");

	/* A plugin for type: and with:, its schema one parameter. */
	assert_non_null(fp);
	fputs("#!/bin/sh\necho '{\"protocol\": 1, \"kind\": [\"task\"], "
	      "\"params\": {\"n\": {\"type\": \"integer\"}}}'\n",
	    fp);
	fclose(fp);
	chmod(plugin, 0755);
	free(plugin);
	head = xasprintf(head_fmt, f->dir);
	yaml = xasprintf("%s  t: {%s}\n", head, base);
	a = load(f, yaml);
	free(yaml);
	assert_non_null(a);
	da = config_find(a, "t");
	ja = config_task_json(a, da, "/home");
	for (i = 0; i < ntask_fields; i++) {
		for (j = 0; j < NITEMS(cases); j++) {
			if (strcmp(cases[j].field, task_fields[i].name) == 0) {
				break;
			}
		}
		if (task_fields[i].view != VIEW_PART && j == NITEMS(cases)) {
			fail_msg("field %s has no case", task_fields[i].name);
		}
	}
	for (j = 0; j < NITEMS(cases); j++) {
		yaml = xasprintf("%s  t: {%s}\n", head, cases[j].body);
		b = load(f, yaml);
		free(yaml);
		if (b == NULL) {
			fail_msg(
			    "%s: %s", cases[j].field, f->errs.v[0].message);
		}
		db = config_find(b, "t");
		n = task_def_changes(da, db, changed, NITEMS(changed));
		got[0] = '\0';
		for (i = 0, len = 0; i < n && i < NITEMS(changed); i++) {
			len += (size_t)snprintf(got + len, sizeof got - len,
			    "%s%s", i > 0 ? " " : "", changed[i]);
		}
		if (strcmp(got, cases[j].changes) != 0) {
			fail_msg("%s: changes '%s', not '%s'", cases[j].field,
			    got, cases[j].changes);
		}
		jb = config_task_json(b, db, "/home");
		if (json_object_get(jb, cases[j].field) == NULL ||
		    json_equal(json_object_get(ja, cases[j].field),
		        json_object_get(jb, cases[j].field))) {
			fail_msg("%s: show does not give its new value",
			    cases[j].field);
		}
		json_decref(jb);
		config_free(b);
	}
	json_decref(ja);
	config_free(a);
	free(head);
}

static void
test_config_cron_schedule_uses_the_task_zone(void **state)
{
	struct fixture *f = *state;
	struct config *c;
	char buf[64];

	c = load(f,
	    "tasks:\n"
	    "  backup:\n"
	    "    command: echo\n"
	    "    schedule: \"30 2 * * *\"\n"
	    "    timezone: Europe/Berlin\n"
	    "  daily:\n"
	    "    command: echo\n"
	    "    schedule: '@daily'\n");
	assert_non_null(c);
	assert_string_equal(
	    schedule_describe(c->tasks[0]->schedule, buf, sizeof buf),
	    "30 2 * * *");
	assert_string_equal(tz_name(c->tasks[0]->tz), "Europe/Berlin");
	assert_string_equal(tz_name(c->tasks[1]->tz), "local");
	/* 2026-03-28T12:00:00Z: the next 02:30 in Berlin is skipped by DST. */
	assert_int_equal(
	    schedule_next(c->tasks[0]->schedule, 0, INT64_C(1774699200000)),
	    INT64_C(1774746000000));
	config_free(c);
}

static void
test_config_defaults_apply_to_every_task(void **state)
{
	struct fixture *f = *state;
	struct config *c;

	c = load(f,
	    "tasks:\n"
	    "  a: {command: x, schedule: '0 * * * *'}\n"
	    "  b: {command: y, schedule: '0 * * * *', jitter: 5s,\n"
	    "      timezone: Asia/Tokyo}\n"
	    "defaults:\n"
	    "  timezone: America/New_York\n"
	    "  jitter: 1m\n");
	assert_non_null(c);
	assert_string_equal(tz_name(c->tasks[0]->tz), "America/New_York");
	assert_int_equal(c->tasks[0]->policy->jitter_ms, 60000);
	assert_string_equal(tz_name(c->tasks[1]->tz), "Asia/Tokyo");
	assert_int_equal(c->tasks[1]->policy->jitter_ms, 5000);
	/* One zone object serves every task that names it. */
	assert_int_equal(c->nzones, 2);
	config_free(c);
}

static void
test_config_defaults_refuse_per_task_fields(void **state)
{
	struct fixture *f = *state;

	assert_null(load(f, "defaults:\n  command: x\ntasks: {}\n"));
	assert_error(f, 0, 2, 3, "'command' cannot be in defaults");
}

static void
test_config_schedule_errors_point_at_the_value(void **state)
{
	struct fixture *f = *state;

	assert_null(load(f,
	    "tasks:\n"
	    "  a:\n"
	    "    command: x\n"
	    "    schedule: 0 0 * * 8\n"
	    "  b: {command: x, schedule: 0 0 30 2 *}\n"
	    "  c: {command: x, timezone: Mars/Base, "
	    "schedule: '@daily'}\n"));
	assert_int_equal(f->errs.n, 3);
	assert_error(f, 0, 4, 15,
	    "schedule: day-of-week: 8 is out of range "
	    "0-7");
	assert_error(f, 1, 5, 29,
	    "schedule: never fires: day-of-month 30 "
	    "does not occur in February");
	assert_error(f, 2, 6, 29, "timezone: unknown time zone 'Mars/Base'");
}

static void
test_config_one_rule_per_task(void **state)
{
	struct fixture *f = *state;

	assert_null(load(f,
	    "tasks:\n"
	    "  a: {command: x, every: 5m, schedule: '@daily'}\n"
	    "  b: {command: x, start_at: '2026-01-01T00:00'}\n"));
	assert_error(f, 0, 2, 26,
	    "'schedule' and 'every' cannot be used "
	    "together");
	assert_error(f, 1, 3, 29, "'start_at' goes with 'every'");
}

static void
test_config_exec_fields_load_with_defaults(void **state)
{
	struct fixture *f = *state;
	const struct task_def *t;
	struct config *c;

	c = load(f,
	    "defaults:\n"
	    "  env: {A: one, B: two}\n"
	    "  limits: {nofile: 1024, memory: 1G}\n"
	    "  timeout: 1h\n"
	    "  umask: '027'\n"
	    "tasks:\n"
	    "  t:\n"
	    "    run: [python3, report.py, --since, yesterday]\n"
	    "    cwd: ~/reports\n"
	    "    env: {B: three}\n"
	    "    env_clear: true\n"
	    "    nice: 10\n"
	    "    limits: {memory: 512M, cpu: 10m}\n"
	    "    kill_grace: 2s\n"
	    "    max_output: 1M\n"
	    "  u:\n"
	    "    command: echo hi\n"
	    "    shell: /bin/bash -eu -c\n");
	assert_non_null(c);
	t = config_find(c, "t");
	assert_null(t->command);
	assert_string_equal(t->argv[0], "python3");
	assert_string_equal(t->argv[3], "yesterday");
	assert_null(t->argv[4]);
	assert_non_null(strstr(t->policy->cwd, "/reports"));
	assert_true(t->policy->cwd[0] == '/');
	assert_string_equal(t->policy->env[0], "A=one");
	assert_string_equal(t->policy->env[1], "B=three");
	assert_null(t->policy->env[2]);
	assert_true(t->policy->env_clear);
	assert_int_equal(t->policy->umask, 027);
	assert_int_equal(t->policy->nice, 10);
	assert_int_equal(t->policy->timeout_ms, 3600000);
	assert_int_equal(t->policy->kill_grace_ms, 2000);
	assert_int_equal(t->policy->max_output, 1 << 20);
	assert_int_equal(t->policy->nlimits, 3);
	assert_int_equal(t->policy->limits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(t->policy->limits[0].value, 1024);
	assert_int_equal(t->policy->limits[1].resource, RLIMIT_AS);
	assert_int_equal(t->policy->limits[1].value, 512 << 20);
	assert_int_equal(t->policy->limits[2].resource, RLIMIT_CPU);
	assert_int_equal(t->policy->limits[2].value, 600);
	t = config_find(c, "u");
	assert_string_equal(t->policy->shell[1], "-eu");
	assert_int_equal(t->policy->kill_grace_ms, 10000);
	assert_int_equal(t->policy->max_output, 10 << 20);
	config_free(c);
}

static void
test_config_exec_field_errors_name_the_value(void **state)
{
	struct fixture *f = *state;

	assert_null(load(f,
	    "tasks:\n"
	    "  a: {command: x, run: [x]}\n"
	    "  b: {run: python3}\n"
	    "  c: {command: x, nice: 30, umask: '999'}\n"
	    "  d: {command: x, limits: {memroy: 1G, nofile: "
	    "lots}}\n"
	    "  e: {command: x, timeout: 0s, max_output: 1X}\n"
	    "  f: {command: x, env: {'1BAD': x}}\n"));
	assert_int_equal(f->errs.n, 9);
	assert_error(f, 0, 2, 24,
	    "'command' and 'run' cannot be used "
	    "together");
	assert_error(f, 1, 3, 12, "'run' must be a list");
	assert_error(f, 2, 4, 25, "nice: '30' is not a number from -20 to 19");
	assert_error(f, 3, 4, 36, "umask: '999' is not an octal mode");
	assert_error(f, 4, 5, 28,
	    "unknown limit 'memroy' (did you mean "
	    "'memory'?)");
	assert_error(f, 5, 5, 48, "limits: nofile: 'lots' is not a count");
	assert_error(f, 6, 6, 28, "timeout: '0s' must be from 1s");
	assert_error(f, 7, 6, 44, "max_output: bad size '1X'");
	assert_error(f, 8, 7, 25, "env: '1BAD' is not a variable name");
}

#define ONE_TIME_TASKS                                                         \
	"tasks:\n"                                                             \
	"  once:\n"                                                            \
	"    command: x\n"                                                     \
	"    at: 2026-12-24T18:00\n"                                           \
	"    timezone: Europe/Berlin\n"                                        \
	"  tick:\n"                                                            \
	"    command: x\n"                                                     \
	"    every: 1h\n"                                                      \
	"    start_at: 2026-12-24T18:30:00Z\n"

static void
test_config_at_and_start_at_read_the_zone(void **state)
{
	struct fixture *f = *state;
	struct config *c;

	c = load(f, ONE_TIME_TASKS "  bad: {command: x, at: christmas}\n");
	assert_null(c);
	assert_error(f, 0, 10, 25, "at: 'christmas' is not a date and time");
	config_errors_release(&f->errs);

	c = load(f, ONE_TIME_TASKS);
	assert_non_null(c);
	/* 17:00Z, fired once; then never again. */
	assert_int_equal(
	    schedule_next(c->tasks[0]->schedule, 0, 0), INT64_C(1798131600000));
	assert_int_equal(schedule_next(c->tasks[0]->schedule,
	                     INT64_C(1798131600000), INT64_C(1798131600000)),
	    0);
	assert_int_equal(
	    schedule_next(c->tasks[1]->schedule, 0, 0), INT64_C(1798137000000));
	config_free(c);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* metrics: and audit: read, and every mistake said where it is. */
static void
test_config_metrics_and_audit(void **state)
{
	struct fixture *f = *state;
	struct config *c;

	c = load(f, "tasks: {}\n");
	assert_non_null(c);
	assert_null(c->metrics.host);
	assert_null(c->metrics.textfile);
	assert_int_equal(c->metrics.interval_ms, 15000);
	assert_int_equal(c->audit.reads, 0);
	config_free(c);

	c = load(f,
	    "metrics: {listen: 9469, textfile: ~/m/tw.prom, interval: 30s}\n"
	    "audit: {reads: true, keep_days: 90}\n"
	    "tasks: {}\n");
	assert_non_null(c);
	assert_string_equal(c->metrics.host, "127.0.0.1");
	assert_int_equal(c->metrics.port, 9469);
	assert_int_equal(c->metrics.textfile[0], '/');
	assert_non_null(strstr(c->metrics.textfile, "/m/tw.prom"));
	assert_int_equal(c->metrics.interval_ms, 30000);
	assert_int_equal(c->audit.reads, 1);
	assert_int_equal(c->audit.keep_days, 90);
	config_free(c);

	c = load(f, "metrics: {listen: '[::1]:9000'}\ntasks: {}\n");
	assert_non_null(c);
	assert_string_equal(c->metrics.host, "::1");
	assert_int_equal(c->metrics.port, 9000);
	config_free(c);

	c = load(f,
	    "metrics:\n"
	    "  listen: nas.lan:9469\n"
	    "  textfile: tw.prom\n"
	    "  interval: soon\n"
	    "  lisen: 1\n"
	    "audit: {reads: maybe, keep_days: 0, kept: 1}\n"
	    "tasks: {}\n");
	assert_null(c);
	assert_int_equal(f->errs.n, 7);
	assert_error(f, 0, 2, 11, "listen: 'nas.lan' is not an IP address");
	assert_error(f, 1, 3, 13, "textfile: 'tw.prom' must be an absolute");
	assert_error(f, 2, 4, 13, "interval:");
	assert_error(f, 3, 5, 3,
	    "unknown metrics setting 'lisen' (did you mean 'listen'?)");
	assert_error(f, 4, 6, 16, "reads: 'maybe' is not true or false");
	assert_error(f, 5, 6, 34, "keep_days: '0' is not a number from 1");
	assert_error(f, 6, 6, 37, "unknown audit setting 'kept'");
	config_errors_release(&f->errs);

	c = load(f, "metrics: {listen: 70000}\ntasks: {}\n");
	assert_null(c);
	assert_error(f, 0, 1, 19, "listen: '70000' is not a port");
	config_errors_release(&f->errs);
}

/* on: git and path read, and each mistake said where it is. */
static void
test_config_triggers(void **state)
{
	struct fixture *f = *state;
	struct config *c;
	char *yaml, repo[128], cmd[1024];
	const struct task_def *d;

	/* A repository as git makes one: HEAD, refs, objects. */
	snprintf(repo, sizeof repo, "%s/proj", f->dir);
	snprintf(cmd, sizeof cmd,
	    "mkdir -p %s/.git/refs/heads %s/.git/objects %s/inbox && echo "
	    "'ref: refs/heads/main' >%s/.git/HEAD",
	    repo, repo, f->dir, repo);
	assert_int_equal(system(cmd), 0);
	yaml = NULL;
	if (asprintf(&yaml,
	        "tasks:\n"
	        "  docs:\n"
	        "    command: make docs\n"
	        "    on: {git: {repo: %s, branch: main}}\n"
	        "  deploy:\n"
	        "    command: ./deploy.sh\n"
	        "    schedule: '@daily'\n"
	        "    on:\n"
	        "      git: {remote: 'git@example.org:a/b.git', branch: "
	        "'release/*', poll: 2m}\n"
	        "  import:\n"
	        "    command: ./import.sh\n"
	        "    on:\n"
	        "      path: {watch: [%s/inbox, %s/none], events: [created, "
	        "moved_to], glob: '*.csv', debounce: 5s, per_file: yes, "
	        "recursive: true, max_watches: 50}\n",
	        repo, f->dir, f->dir) == -1) {
		fail();
	}
	c = load(f, yaml);
	free(yaml);
	assert_non_null(c);
	d = config_find(c, "docs");
	assert_non_null(d->on);
	assert_null(d->on->path);
	assert_string_equal(d->on->git->repo, repo);
	assert_null(d->on->git->remote);
	assert_string_equal(d->on->git->branch, "main");
	assert_null(d->schedule);
	d = config_find(c, "deploy");
	assert_non_null(d->schedule); /* either fires it */
	assert_string_equal(d->on->git->remote, "git@example.org:a/b.git");
	assert_int_equal(d->on->git->poll_ms, 120000);
	yaml = config_trigger_text(d->on);
	assert_string_equal(yaml,
	    "on push to branches release/* of git@example.org:a/b.git "
	    "(polled every 2m)");
	free(yaml);
	d = config_find(c, "import");
	assert_null(d->on->git);
	assert_int_equal(
	    d->on->path->events, PATH_EV_CREATED | PATH_EV_MOVED_TO);
	assert_string_equal(d->on->path->glob, "*.csv");
	assert_int_equal(d->on->path->debounce_ms, 5000);
	assert_int_equal(d->on->path->per_file, 1);
	assert_int_equal(d->on->path->recursive, 1);
	assert_int_equal(d->on->path->max_watches, 50);
	assert_null(d->on->path->watch[2]);
	/* The directory not there is a warning: it is watched once made. */
	assert_int_equal(c->warnings.n, 1);
	assert_int_equal(c->warnings.v[0].line, 13);
	assert_non_null(strstr(c->warnings.v[0].message,
	    "/none': No such file or directory; watched once it appears"));
	config_free(c);

	c = load(f,
	    "tasks:\n"
	    "  a:\n"
	    "    command: x\n"
	    "    on: {git: {repo: /, branch: 'a..b', poll: 10s}}\n"
	    "  b:\n"
	    "    command: x\n"
	    "    on: {git: {remote: u, repo: /tmp, branch: m}}\n"
	    "  c:\n"
	    "    command: x\n"
	    "    on: {git: {remote: u}, path: {events: [made], watch: []}}\n"
	    "  d:\n"
	    "    command: x\n"
	    "    on: {push: main}\n"
	    "  e:\n"
	    "    command: x\n"
	    "    on: {git: {remote: u, branch: refs/heads/x, poll: 10s}}\n"
	    "  f:\n"
	    "    command: x\n"
	    "    on: []\n");
	assert_null(c);
	assert_error(f, 0, 4, 22, "repo: '/' is not a git repository");
	assert_error(f, 1, 4, 33, "branch: 'a..b' is not a valid branch");
	assert_error(f, 2, 4, 47, "poll: '10s' must be from 30s");
	assert_error(f, 3, 4, 47, "poll: a local repository is watched");
	assert_error(f, 4, 7, 15, "on: git: needs one of repo");
	assert_error(f, 5, 10, 15, "on: git: needs a branch");
	assert_error(f, 6, 10, 44, "events: 'made' is not created, modified");
	assert_error(f, 7, 13, 10, "unknown trigger 'push'");
	assert_error(f, 8, 16, 35, "branch: 'refs/heads/x': name the branch");
	assert_error(f, 9, 16, 55, "poll: '10s' must be from 30s");
	assert_error(f, 10, 19, 9, "'on' must be a mapping of git: or path:");
	config_errors_release(&f->errs);
}

/* capacity: and pressure: read; a run that could never fit is refused. */
static void
test_config_capacity(void **state)
{
	struct fixture *f = *state;
	const struct task_def *d;
	struct config *c;

	setenv("TW_PSI_DIR", f->dir, 1);
	c = load(f,
	    "capacity: {cpus: 2, memory: 1G, swap: 0, backfill: 1m}\n"
	    "defaults: {resources: {cpus: 0.25, memory: 64M}}\n"
	    "tasks:\n"
	    "  small: {command: x}\n"
	    "  big: {command: x, resources: {cpus: 1.5, memory: 600M},\n"
	    "        pressure: {cpu: 50%, memory: 10%}}\n"
	    "  far: {command: x, executor: s, resources: {cpus: 64}}\n"
	    "executors:\n"
	    "  s: {type: slurm}\n");
	assert_non_null(c);
	assert_int_equal(c->capacity.on, 1);
	assert_int_equal(c->capacity.mcpus, 2000);
	assert_int_equal(c->capacity.memory, INT64_C(1) << 30);
	assert_int_equal(c->capacity.swap, 0);
	assert_int_equal(c->capacity.backfill_ms, 60000);
	d = config_find(c, "small");
	assert_int_equal(d->policy->res_mcpus, 250);
	assert_int_equal(d->policy->res_memory, 64 << 20);
	d = config_find(c, "big");
	assert_int_equal(d->policy->res_mcpus, 1500);
	/* No PSI files in TW_PSI_DIR: warned of, and ignored. */
	assert_int_equal(d->policy->press_cpu, 0);
	assert_int_equal(c->warnings.n, 2);
	assert_non_null(strstr(c->warnings.v[0].message, "has no PSI"));
	config_free(c);

	c = load(f,
	    "capacity: {cpus: auto, memory: 50%}\n"
	    "tasks: {t: {command: x}}\n");
	assert_non_null(c);
	assert_true(c->capacity.mcpus >= 1000);
	assert_true(c->capacity.memory > 0);
	assert_int_equal(c->capacity.swap, -1);
	assert_int_equal(c->capacity.backfill_ms, CAPACITY_BACKFILL_MS);
	config_free(c);

	c = load(f,
	    "capacity: {cpus: many, memory: 120%, swap: lots, spare: 1}\n"
	    "tasks:\n"
	    "  t: {command: x, resources: {cpus: -1}, pressure: {cpu: 150%, "
	    "disk: 1%}}\n");
	assert_null(c);
	assert_error(f, 0, 1, 18, "cpus: 'many' is not auto or a number");
	assert_error(f, 1, 1, 32, "memory: '120%' is not a percentage");
	assert_error(f, 2, 1, 44, "swap:");
	assert_error(f, 3, 1, 50, "unknown capacity setting 'spare'");
	assert_error(
	    f, 4, 3, 37, "resources: cpus: '-1' is not a number of CPUs");
	assert_error(f, 5, 3, 58, "pressure: cpu: '150%' is not a percentage");
	assert_error(f, 6, 3, 64, "unknown pressure kind 'disk'");
	config_errors_release(&f->errs);

	/* Never fits: said at the task, whatever comes first in the file. */
	c = load(f,
	    "tasks:\n"
	    "  build: {command: x, resources: {cpus: 8, memory: 6G}}\n"
	    "capacity: {cpus: 2, memory: 4G}\n");
	assert_null(c);
	assert_error(f, 0, 2, 3,
	    "task 'build': resources: cpus 8 is more than capacity: cpus 2, "
	    "and memory 6G is more than capacity: memory 4G: it could never "
	    "start");
	config_errors_release(&f->errs);
	unsetenv("TW_PSI_DIR");
}

/* executors: read, named by tasks, and every mistake said where it is. */
static void
test_config_executors(void **state)
{
	struct fixture *f = *state;
	const struct executor_def *ex;
	struct config *c;

	c = load(f,
	    "executors:\n"
	    "  nas: {type: ssh, host: nas.lan, user: me, port: 2222,\n"
	    "        identity: ~/.ssh/id, max_concurrent: 2,\n"
	    "        options: [ServerAliveInterval=15]}\n"
	    "  spare: {type: ssh, host: spare.lan}\n"
	    "defaults: {executor: nas}\n"
	    "tasks:\n"
	    "  backup: {command: x}\n"
	    "  here: {command: x, executor: local}\n");
	assert_non_null(c);
	ex = config_executor(c, config_find(c, "backup"));
	assert_non_null(ex);
	assert_string_equal(ex->host, "nas.lan");
	assert_string_equal(ex->user, "me");
	assert_int_equal(ex->port, 2222);
	assert_int_equal(ex->max_concurrent, 2);
	assert_string_equal(ex->options[0], "ServerAliveInterval=15");
	assert_null(ex->options[1]);
	assert_int_equal(ex->identity[0], '/');
	assert_null(config_executor(c, config_find(c, "here")));
	/* No task runs on spare: a warning, where it is defined. */
	assert_int_equal(c->warnings.n, 1);
	assert_int_equal(c->warnings.v[0].line, 5);
	assert_non_null(strstr(
	    c->warnings.v[0].message, "executor 'spare': no task runs on it"));
	config_free(c);

	c = load(f,
	    "executors:\n"
	    "  a: {type: pbs, host: h}\n"
	    "  b: {type: ssh}\n"
	    "  c: {type: ssh, host: h, prot: 22}\n"
	    "  d: {type: ssh, host: -oProxyCommand=x}\n"
	    "  e: {type: ssh, host: h, options: [BatchMode]}\n"
	    "  local: {type: ssh, host: h}\n"
	    "tasks:\n"
	    "  t: {command: x, executor: nass}\n"
	    "  u: {command: x, executor: c}\n");
	assert_null(c);
	assert_int_equal(f->errs.n, 7);
	assert_error(f, 0, 2, 13, "type: 'pbs' is not ssh");
	assert_error(f, 1, 3, 3, "executor 'b' (ssh) has no 'host'");
	assert_error(f, 2, 4, 27,
	    "unknown executor setting 'prot' (did you "
	    "mean 'port'?)");
	assert_error(f, 3, 5, 24, "host: '-oProxyCommand=x' must be one word");
	assert_error(f, 4, 6, 36, "options: 'BatchMode' is not an ssh option");
	assert_error(f, 5, 7, 3, "'local' is this machine");
	assert_error(f, 6, 9, 29, "executor: no executor named 'nass'");
	config_errors_release(&f->errs);

	/* Slurm's: its settings, and resources asked of it only. */
	c = load(f,
	    "executors:\n"
	    "  hpc: {type: slurm, partition: short, account: p1,\n"
	    "        args: [--qos=normal]}\n"
	    "tasks:\n"
	    "  train: {command: x, executor: hpc,\n"
	    "          resources: {cpus: 8, memory: 32G, gpus: 1, time: "
	    "4h}}\n");
	assert_non_null(c);
	ex = config_executor(c, config_find(c, "train"));
	assert_int_equal(ex->type, EXECUTOR_SLURM);
	assert_string_equal(ex->partition, "short");
	assert_string_equal(ex->args[0], "--qos=normal");
	assert_int_equal(config_find(c, "train")->policy->res_mcpus, 8000);
	assert_int_equal(
	    config_find(c, "train")->policy->res_memory, (int64_t)32 << 30);
	assert_int_equal(
	    config_find(c, "train")->policy->res_time_ms, 4 * 3600 * 1000);
	config_free(c);

	c = load(f,
	    "executors:\n"
	    "  hpc: {type: slurm, host: h}\n"
	    "tasks:\n"
	    "  a: {command: x, executor: hpc, resources: {cpu: 2}}\n"
	    "  b: {command: x, resources: {gpus: 1}}\n"
	    "  c: {command: x, resources: {memory: 2G}, limits: {memory: "
	    "1G}}\n");
	assert_null(c);
	assert_int_equal(f->errs.n, 4);
	assert_error(f, 0, 2, 22, "'host' is a setting of ssh executors");
	assert_error(f, 1, 4, 46,
	    "unknown resource 'cpu' (did you mean "
	    "'cpus'?)");
	assert_error(f, 2, 5, 30,
	    "resources: gpus and time are asked of "
	    "Slurm");
	assert_error(f, 3, 6, 30, "is more than limits: memory");
}

static void
test_config_after_takes_a_diamond_and_refuses_a_cycle(void **state)
{
	struct fixture *f = *state;
	struct config *c;

	c = load(f,
	    "tasks:\n"
	    "  d: {command: x, after: [b, c]}\n"
	    "  b: {command: x, after: [a]}\n"
	    "  c: {command: x, after: [a]}\n"
	    "  a: {command: x, every: 1h}\n");
	assert_non_null(c);
	assert_true(task_def_after(config_find(c, "d"), "b"));
	assert_true(task_def_after(config_find(c, "d"), "c"));
	assert_false(task_def_after(config_find(c, "d"), "a"));
	assert_null(config_find(c, "a")->after);
	config_free(c);

	assert_null(load(f,
	    "tasks:\n"
	    "  a: {command: x, after: [c]}\n"
	    "  b: {command: x, after: [a]}\n"
	    "  c: {command: x, after: [b]}\n"
	    "  z: {command: x}\n"));
	assert_int_equal(f->errs.n, 1);
	assert_error(f, 0, 2, 3,
	    "after: the tasks depend on each other in a cycle: "
	    "a -> c -> b -> a");
}

static void
test_config_after_names_tasks_of_the_file(void **state)
{
	struct fixture *f = *state;

	assert_null(load(f,
	    "tasks:\n"
	    "  backup: {command: x}\n"
	    "  report: {command: x, after: [bakup, report]}\n"
	    "  sync: {command: x, after: backup}\n"));
	assert_int_equal(f->errs.n, 3);
	assert_error(f, 0, 3, 32,
	    "after: no task named 'bakup' (did you mean 'backup'?)");
	assert_error(f, 1, 3, 39, "after: 'report' cannot run after itself");
	assert_error(f, 2, 4, 29, "'after' must be a list of task names");
}

static void
test_config_catch_up_fields(void **state)
{
	struct fixture *f = *state;
	struct config *c;

	c = load(f,
	    "defaults: {catch_up: latest, starting_deadline: 2h}\n"
	    "tasks:\n"
	    "  a: {command: x, every: 1h}\n"
	    "  b: {command: x, every: 1h, catch_up: all, catch_up_max: 3}\n"
	    "  c: {command: x, every: 1h, catch_up: none}\n");
	assert_non_null(c);
	assert_int_equal(
	    config_find(c, "a")->policy->catch_up, CATCH_UP_LATEST);
	assert_int_equal(config_find(c, "a")->policy->catch_up_max, 10);
	assert_int_equal(
	    config_find(c, "a")->policy->starting_deadline_ms, 7200000);
	assert_int_equal(config_find(c, "b")->policy->catch_up, CATCH_UP_ALL);
	assert_int_equal(config_find(c, "b")->policy->catch_up_max, 3);
	assert_int_equal(config_find(c, "c")->policy->catch_up, CATCH_UP_NONE);
	assert_false(task_def_equal(config_find(c, "a"), config_find(c, "c")));
	config_free(c);

	assert_null(load(f,
	    "tasks:\n"
	    "  a: {command: x, catch_up: newest}\n"
	    "  b: {command: x, catch_up_max: 5000}\n"
	    "  c: {command: x, starting_deadline: soon}\n"));
	assert_int_equal(f->errs.n, 3);
	assert_error(f, 0, 2, 29, "catch_up: 'newest'");
	assert_error(f, 1, 3, 33, "catch_up_max: '5000'");
	assert_error(f, 2, 4, 38, "starting_deadline: bad duration 'soon'");
}

/* The defaults block is a task of its own for submitted jobs; copies are
 * deep. */
static void
test_config_defaults_make_a_task_def(void **state)
{
	struct fixture *f = *state;
	struct task_def *copy;
	struct config *c;

	c = load(f,
	    "defaults: {env: {A: b}, timeout: 1m, limits: {nofile: 64}}\n"
	    "tasks:\n"
	    "  a: {command: x}\n");
	assert_non_null(c);
	assert_non_null(c->defaults);
	assert_null(c->defaults->command);
	assert_string_equal(c->defaults->policy->env[0], "A=b");
	assert_int_equal(c->defaults->policy->timeout_ms, 60000);
	assert_int_equal(c->defaults->policy->nlimits, 1);
	copy = task_def_copy(c->defaults);
	/* A copy's policy is its own, for a submitted job to change. */
	assert_ptr_not_equal(copy->policy, c->defaults->policy);
	assert_true(copy->policy->env != c->defaults->policy->env);
	assert_string_equal(copy->policy->env[0], "A=b");
	assert_true(copy->policy->limits != c->defaults->policy->limits);
	assert_true(task_def_equal(copy, c->defaults));
	task_def_free(copy);
	config_free(c);

	/* An empty file has defaults too. */
	c = load(f, "");
	assert_non_null(c);
	assert_non_null(c->defaults);
	config_free(c);
}

/* Notifiers by type; notify: from the defaults, via all by default. */
static void
test_config_notifiers_and_notify(void **state)
{
	struct fixture *f = *state;
	const struct task_def *d;
	struct config *c;

	c = load(f,
	    "notifiers:\n"
	    "  me: {type: mail, to: me@example.org}\n"
	    "  hook: {type: webhook, url: 'https://x.example/h', format: "
	    "slack, timeout: 5s}\n"
	    "defaults:\n"
	    "  notify: {on: [failure]}\n"
	    "tasks:\n"
	    "  a: {command: x}\n"
	    "  b: {command: x, notify: {on: [success, skipped], via: [hook]},"
	    " notify_every: 2h}\n");
	assert_non_null(c);
	assert_int_equal(c->nnotifiers, 2);
	assert_int_equal(c->notifiers[0].type, NOTIFIER_MAIL);
	assert_string_equal(c->notifiers[0].program[0], "/usr/sbin/sendmail");
	assert_int_equal(c->notifiers[1].type, NOTIFIER_WEBHOOK);
	assert_true(c->notifiers[1].slack);
	assert_int_equal(c->notifiers[1].timeout_ms, 5000);
	d = config_find(c, "a");
	assert_int_equal(d->policy->notify_on, NOTIFY_FAILURE);
	assert_int_equal(d->policy->nnotify_via, 2);
	assert_int_equal(d->policy->notify_every_ms, 24 * 3600 * 1000);
	d = config_find(c, "b");
	assert_int_equal(d->policy->notify_on, NOTIFY_SUCCESS | NOTIFY_SKIPPED);
	assert_int_equal(d->policy->nnotify_via, 1);
	assert_int_equal(d->policy->notify_via[0], 1);
	assert_int_equal(d->policy->notify_every_ms, 2 * 3600 * 1000);
	assert_false(task_def_equal(config_find(c, "a"), d));
	config_free(c);

	/* A bad defaults field is said once, not once per task. */
	assert_null(load(f,
	    "defaults: {notify: {via: [nobody]}}\n"
	    "tasks:\n"
	    "  a: {command: x}\n"
	    "  b: {command: x}\n"));
	assert_int_equal(f->errs.n, 1);
	assert_error(f, 0, 1, 27, "notify: via: no notifier named 'nobody'");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_config_loads_tasks_sorted_by_name),
		T(test_config_tasks_share_a_rule_they_both_give),
		T(test_config_sorts_names_alike_in_their_first_16_bytes),
		T(test_config_tasks_alike_share_a_policy),
		T(test_config_each_field_is_compared_and_shown),
		T(test_config_defaults_apply_wherever_they_stand),
		T(test_config_aliases_between_tasks),
		T(test_config_syntax_error_alone_after_bad_tasks),
		T(test_config_empty_file_has_no_tasks),
		T(test_config_syntax_error_has_line_and_column),
		T(test_config_nul_in_a_string_is_refused_with_its_place),
		T(test_config_yaml_errors_hint_at_tabs_and_unquoted_cron),
		T(test_config_unknown_field_suggests_the_right_one),
		T(test_config_unknown_top_key_suggests_tasks),
		T(test_config_reports_every_error_at_once),
		T(test_config_task_without_command_is_named),
		T(test_config_rejects_duplicate_tasks_and_fields),
		T(test_config_rejects_duplicates_in_big_and_small_mappings),
		T(test_config_rejects_bad_task_names),
		T(test_config_resolves_anchors_and_aliases),
		T(test_config_missing_file_says_cannot_open),
		T(test_config_error_format_is_file_line_col),
		T(test_config_task_equality_sees_each_field),
		T(test_config_limits_compare_by_field_not_padding),
		T(test_config_cron_schedule_uses_the_task_zone),
		T(test_config_defaults_apply_to_every_task),
		T(test_config_defaults_refuse_per_task_fields),
		T(test_config_schedule_errors_point_at_the_value),
		T(test_config_one_rule_per_task),
		T(test_config_at_and_start_at_read_the_zone),
		T(test_config_exec_fields_load_with_defaults),
		T(test_config_exec_field_errors_name_the_value),
		T(test_config_after_takes_a_diamond_and_refuses_a_cycle),
		T(test_config_executors),
		T(test_config_metrics_and_audit),
		T(test_config_triggers),
		T(test_config_capacity),
		T(test_config_after_names_tasks_of_the_file),
		T(test_config_catch_up_fields),
		T(test_config_defaults_make_a_task_def),
		T(test_config_notifiers_and_notify),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
