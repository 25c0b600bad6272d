/*
 * capacity: what the runs on this machine may take together (cpus,
 * memory), each run counted by its resources:; and a task's pressure:,
 * the machine's PSI above which its runs wait. A run that could never
 * fit is an error at load, not a run that waits for ever.
 */
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config-int.h"
#include "config.h"
#include "duration.h"
#include "xmalloc.h"

const char *
config_cpus_text(int64_t mcpus, char *buf, size_t len)
{
	if (mcpus % 1000 == 0) {
		snprintf(buf, len, "%" PRId64, mcpus / 1000);
	} else {
		snprintf(buf, len, "%.3g", (double)mcpus / 1000);
	}
	return buf;
}

const char *
config_psi_dir(void)
{
	const char *dir = getenv("TW_PSI_DIR");

	return dir != NULL && dir[0] != '\0' ? dir : "/proc/pressure";
}

/* MemTotal of /proc/meminfo, in bytes; 0 if it cannot be read. */
static int64_t
mem_total(void)
{
	char line[256];
	long long kb = 0;
	FILE *fp = fopen("/proc/meminfo", "r");

	if (fp == NULL) {
		return 0;
	}
	while (fgets(line, sizeof line, fp) != NULL) {
		if (sscanf(line, "MemTotal: %lld kB", &kb) == 1) {
			break;
		}
	}
	fclose(fp);
	return (int64_t)kb * 1024;
}

/* cpus: auto | N */
static void
capacity_cpus(struct loader *l, struct capacity_def *cap, yaml_node_t *v)
{
	const char *val = node_text(v);
	long n;

	if (strcmp(val, "auto") == 0) {
		n = sysconf(_SC_NPROCESSORS_ONLN);
		cap->mcpus = (n > 0 ? n : 1) * INT64_C(1000);
	} else if ((cap->mcpus = cpus_parse(val)) <= 0) {
		cap->mcpus = 0;
		loader_error(l, v,
		    "cpus: '%s' is not auto or a number of CPUs such as 2 or "
		    "1.5",
		    val);
	}
}

/* memory: SIZE | N% (of MemTotal) */
static void
capacity_memory(struct loader *l, struct capacity_def *cap, yaml_node_t *v)
{
	const char *val = node_text(v);
	char *end, *cause = NULL;
	int64_t total;
	double pct;

	if (val[0] != '\0' && val[strlen(val) - 1] == '%') {
		pct = strtod(val, &end);
		if (end != val + strlen(val) - 1 || !(pct > 0) || pct > 100) {
			loader_error(l, v,
			    "memory: '%s' is not a percentage from 1%% to "
			    "100%% of the machine's memory",
			    val);
			return;
		}
		if ((total = mem_total()) == 0) {
			loader_error(l, v,
			    "memory: '%s' of what? /proc/meminfo has no "
			    "MemTotal: give a size such as 8G",
			    val);
			return;
		}
		cap->memory = (int64_t)((double)total * pct / 100);
		return;
	}
	if (size_parse(val, &cap->memory, &cause) == -1 ||
	    cap->memory < 1024 * 1024) {
		loader_error(l, v, "memory: %s",
		    cause != NULL
		        ? cause
		        : "less than 1M: give a size such as 8G, or 80%");
		free(cause);
		cap->memory = 0;
	}
}

/* capacity: {cpus, memory, swap, backfill} */
void
loader_capacity(struct loader *l, struct config *c, yaml_node_t *map)
{
	static const char *const keys[] = { "backfill", "cpus", "memory",
		"swap" };
	static const struct field backfill = { .name = "backfill",
		.want = "a duration" };
	struct capacity_def *cap = &c->capacity;
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	char *cause = NULL;
	const char *key;

	if (node_is_null(map)) {
		return;
	}
	if (map->type != YAML_MAPPING_NODE) {
		loader_error(l, map,
		    "'capacity' must be a mapping such as {cpus: auto, "
		    "memory: 80%%}, not %s",
		    node_kind(map));
		return;
	}
	if (loader_check_keys(l, map, "capacity setting") == -1) {
		return;
	}
	cap->on = 1;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		v = yaml_document_get_node(&l->doc.doc, p->value);
		key = node_text(k);
		if (v->type != YAML_SCALAR_NODE || node_is_null(v)) {
			loader_error(l, v,
			    "capacity: %s must be a value, not %s", key,
			    node_kind(v));
		} else if (strcmp(key, "cpus") == 0) {
			capacity_cpus(l, cap, v);
		} else if (strcmp(key, "memory") == 0) {
			capacity_memory(l, cap, v);
		} else if (strcmp(key, "swap") == 0) {
			if (size_parse(node_text(v), &cap->swap, &cause) ==
			    -1) {
				loader_error(l, v, "swap: %s", cause);
				free(cause);
				cause = NULL;
				cap->swap = -1;
			}
		} else if (strcmp(key, "backfill") == 0) {
			value_duration(l, &backfill, v, 0, &cap->backfill_ms);
		} else {
			loader_unknown_key(
			    l, k, "capacity setting", keys, NITEMS(keys));
		}
	}
}

char *
capacity_never_fits(const struct capacity_def *cap, const struct task_policy *p)
{
	char a[32], b[32], c[32], d[32], cpus[160] = "", mem[160] = "";

	if (!cap->on || p->executor >= 0) {
		return NULL; /* a run elsewhere asks its executor, not here */
	}
	if (cap->mcpus > 0 && p->res_mcpus > cap->mcpus) {
		snprintf(cpus, sizeof cpus,
		    "cpus %s is more than capacity: cpus %s",
		    config_cpus_text(p->res_mcpus, a, sizeof a),
		    config_cpus_text(cap->mcpus, b, sizeof b));
	}
	if (cap->memory > 0 && p->res_memory > cap->memory) {
		snprintf(mem, sizeof mem,
		    "memory %s is more than capacity: memory %s",
		    size_format(p->res_memory, c, sizeof c),
		    size_format(cap->memory, d, sizeof d));
	}
	if (*cpus == '\0' && *mem == '\0') {
		return NULL;
	}
	return xasprintf("resources: %s%s%s: it could never start", cpus,
	    *cpus != '\0' && *mem != '\0' ? ", and " : "", mem);
}

void
config_check_capacity(struct loader *l, const struct config *c)
{
	const struct task_def *t;
	char *cause;
	size_t i;

	for (i = 0; i < c->ntasks; i++) {
		t = c->tasks[i];
		/* A task with errors is its name alone. */
		if (t->policy == NULL ||
		    (cause = capacity_never_fits(&c->capacity, t->policy)) ==
		        NULL) {
			continue;
		}
		errors_add(l->errs, t->file, t->line, t->column,
		    xasprintf("task '%s': %s", t->name, cause));
		free(cause);
	}
}

json_t *
show_pressure(const struct task_def *d, const struct field_ctx *x)
{
	const struct task_policy *p = d->policy;
	json_t *o;

	(void)x;
	if (p->press_cpu == 0 && p->press_memory == 0 && p->press_io == 0) {
		return NULL;
	}
	o = json_object();
	if (p->press_cpu > 0) {
		json_object_set_new(o, "cpu", json_integer(p->press_cpu));
	}
	if (p->press_memory > 0) {
		json_object_set_new(o, "memory", json_integer(p->press_memory));
	}
	if (p->press_io > 0) {
		json_object_set_new(o, "io", json_integer(p->press_io));
	}
	return o;
}

int
same_pressure(const struct task_def *a, const struct task_def *b)
{
	return a->policy->press_cpu == b->policy->press_cpu &&
	    a->policy->press_memory == b->policy->press_memory &&
	    a->policy->press_io == b->policy->press_io;
}
