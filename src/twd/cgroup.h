/*
 * cgroup v2 limits for runs, where the system delegates a subtree to the
 * user (as systemd does for a user's services): each run in a child
 * cgroup of its own with memory.max, memory.swap.max, cpu.max and
 * pids.max, and its peak memory and OOM kills read when it ends. Without
 * a delegated subtree nothing is made, and why is kept for twctl status.
 * Knows nothing of tasks: it is given numbers and paths.
 */
#ifndef TW_CGROUP_H
#define TW_CGROUP_H

#include <stdint.h>

struct cgroups;

/* What a run's cgroup limits; 0 (or -1 for swap) where nothing is. */
struct cgroup_limits {
	int64_t memory; /* memory.max, bytes */
	int64_t swap;   /* memory.swap.max, bytes; -1: left as it is */
	int64_t mcpus;  /* cpu.max, thousandths of a CPU */
	int64_t pids;   /* pids.max */
};

/* What a run's cgroup saw, once it ended. */
struct cgroup_usage {
	int64_t memory_peak; /* bytes (memory.peak); -1: unknown */
	int64_t oom_kills;   /* memory.events oom_kill */
};

/*
 * twd's delegated subtree: TW_CGROUP_ROOT if set, else twd's own cgroup
 * from /proc/self/cgroup, if it is cgroup v2 with the memory and cpu
 * controllers and delegated to twd's user. Runs' cgroups are named
 * run-NAME-ID, NAME this twd's (two twds may share a subtree). Always
 * returns a set; one that is off says why (cgroups_off).
 */
struct cgroups *cgroups_open(const char *name);
void cgroups_free(struct cgroups *);
/* NULL when runs get cgroups; else why not, in words. */
const char *cgroups_off(const struct cgroups *);
/* The subtree runs' cgroups are made in; NULL when off. */
const char *cgroups_root(const struct cgroups *);
/*
 * Make run id's cgroup with lim: its cgroup.procs path, for the job's
 * child to enter (caller frees); NULL with *cause when it could not be.
 */
char *cgroups_run_make(struct cgroups *, int64_t id,
    const struct cgroup_limits *lim, char **cause);
/* Read what run id's cgroup saw, then remove it. */
void cgroups_run_end(struct cgroups *, int64_t id, struct cgroup_usage *out);

#endif
