/*
 * Admission by resources (admit.h): cpus and memory against capacity.
 */
#include <stdio.h>
#include <string.h>

#include "admit.h"
#include "config.h"
#include "duration.h"

void
admit_init(struct admit *a, const struct capacity_def *cap)
{
	memset(a, 0, sizeof *a);
	a->cap = cap;
}

void
admit_take(struct admit *a, const struct admit_need *need)
{
	a->used.mcpus += need->mcpus;
	a->used.memory += need->memory;
}

/* What is left of the capacity: taken and reserved off (may be < 0). */
static struct admit_need
admit_free(const struct admit *a)
{
	struct admit_need f;

	f.mcpus = a->cap->mcpus - a->used.mcpus - a->reserved.mcpus;
	f.memory = a->cap->memory - a->used.memory - a->reserved.memory;
	return f;
}

int
admit_fits(const struct admit *a, const struct admit_need *need)
{
	struct admit_need f = admit_free(a);

	if (a->cap == NULL || !a->cap->on) {
		return 1;
	}
	return (a->cap->mcpus == 0 || need->mcpus <= f.mcpus) &&
	    (a->cap->memory == 0 || need->memory <= f.memory);
}

int
admit_try(struct admit *a, const struct admit_need *need, const void *who,
    int64_t *blocked_ms, int64_t now_ms)
{
	if (admit_fits(a, need)) {
		return 1;
	}
	if (*blocked_ms == 0) {
		*blocked_ms = now_ms;
	}
	/* The first that does not fit, past its backfill: it reserves. */
	if (a->holder == NULL && now_ms - *blocked_ms >= a->cap->backfill_ms) {
		a->holder = who;
		a->reserved = *need;
	}
	return 0;
}

const char *
admit_shortfall(
    const struct admit *a, const struct admit_need *need, char *buf, size_t len)
{
	struct admit_need f = admit_free(a);
	char x[32], y[32];

	if (admit_fits(a, need)) {
		return NULL;
	}
	if (a->cap->memory > 0 && need->memory > f.memory) {
		snprintf(buf, len, "needs %s memory, %s free of capacity",
		    size_format(need->memory, x, sizeof x),
		    size_format(f.memory > 0 ? f.memory : 0, y, sizeof y));
	} else {
		snprintf(buf, len, "needs %s CPUs, %s free of capacity",
		    config_cpus_text(need->mcpus, x, sizeof x),
		    config_cpus_text(f.mcpus > 0 ? f.mcpus : 0, y, sizeof y));
	}
	return buf;
}
