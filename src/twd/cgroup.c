/*
 * Runs' cgroups (cgroup.h). The subtree twd may write is its own cgroup,
 * delegated to it (systemd: Delegate=yes, as user sessions' services
 * are); a cgroup with processes may not give its controllers to children
 * (cgroup v2's "no internal processes" rule), so twd first moves itself
 * into a leaf of its own, "daemon", then enables memory, cpu and pids
 * below, then makes "run-ID" for each run.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "log.h"
#include "xmalloc.h"

struct cgroups {
	char *root; /* the delegated subtree; NULL when off */
	char *off;  /* why runs get no cgroups */
	char *name; /* this twd's, in its runs' cgroups' names */
};

/* Run id's cgroup (caller frees). */
static char *
run_dir(const struct cgroups *cg, int64_t id)
{
	return xasprintf("%s/run-%s-%" PRId64, cg->root, cg->name, id);
}

/* The whole of a small file (caller frees); NULL with errno. */
static char *
slurp(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1) {
		return NULL;
	}
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0) {
		return NULL;
	}
	buf[n] = '\0';
	return xstrdup(buf);
}

/* Write text to dir/file; 0, or -1 with errno. */
static int
put(const char *dir, const char *file, const char *text)
{
	char *path = xasprintf("%s/%s", dir, file);
	size_t n = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644), err;
	ssize_t w;

	free(path);
	if (fd == -1) {
		return -1;
	}
	w = write(fd, text, n);
	err = errno;
	close(fd);
	errno = err;
	return w == (ssize_t)n ? 0 : -1;
}

/* Whether the word is in the space-separated list. */
static int
has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = list; (p = strstr(p, word)) != NULL; p += n) {
		if ((p == list || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ' ' || p[n] == '\n')) {
			return 1;
		}
	}
	return 0;
}

/* Where the cgroup v2 hierarchy is mounted (caller frees); or NULL. */
static char *
v2_mount(void)
{
	char line[4096], point[4096], *dash;
	FILE *fp = fopen("/proc/self/mountinfo", "re");

	if (fp == NULL) {
		return NULL;
	}
	/* "ID PARENT MAJ:MIN ROOT POINT OPTIONS ... - TYPE SOURCE ..." */
	while (fgets(line, sizeof line, fp) != NULL) {
		if ((dash = strstr(line, " - cgroup2 ")) != NULL &&
		    sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1) {
			fclose(fp);
			return xstrdup(point);
		}
	}
	fclose(fp);
	return NULL;
}

/* twd's cgroup v2 directory, from /proc/self/cgroup; NULL with *why. */
static char *
own_cgroup(char **why, int *is_top)
{
	char *text, *line, *nl, *dir = NULL, *mount = v2_mount();

	if (mount == NULL) {
		*why = xstrdup("the system has no cgroup v2 hierarchy mounted "
		               "(cgroup v1 only): runs are held to their "
		               "rlimits");
		return NULL;
	}
	if ((text = slurp("/proc/self/cgroup")) == NULL) {
		*why = xasprintf(
		    "cannot read /proc/self/cgroup: %s", strerror(errno));
		free(mount);
		return NULL;
	}
	for (line = text; line != NULL && *line != '\0'; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL) {
			*nl++ = '\0';
		}
		if (strncmp(line, "0::", 3) == 0) {
			*is_top = strcmp(line + 3, "/") == 0;
			dir = xasprintf("%s%s", mount, *is_top ? "" : line + 3);
			break;
		}
	}
	free(text);
	free(mount);
	if (dir == NULL) {
		*why =
		    xstrdup("twd is in no cgroup v2 group (/proc/self/cgroup "
		            "has no 0:: line)");
	}
	return dir;
}

/*
 * Make root a subtree runs' cgroups can be made in: twd into its leaf,
 * the controllers enabled below. 0, or -1 with *why.
 */
static int
subtree_setup(const char *root, int own, int is_top, char **why)
{
	char *controllers, *file = xasprintf("%s/cgroup.controllers", root);
	char *leaf, pid[32];
	struct stat st;

	controllers = slurp(file);
	free(file);
	if (controllers == NULL) {
		*why = xasprintf(
		    "%s is no cgroup v2 directory: %s", root, strerror(errno));
		return -1;
	}
	if (!has_word(controllers, "memory") || !has_word(controllers, "cpu")) {
		*why = xasprintf("the memory and cpu controllers are not "
		                 "delegated to %s (it has: %.*s); systemd: "
		                 "Delegate=yes",
		    root, (int)strcspn(controllers, "\n"), controllers);
		free(controllers);
		return -1;
	}
	/*
	 * Delegated is ours: systemd chowns a delegated subtree to its
	 * user. root may write any cgroup, so for root only the hierarchy's
	 * top (a container's) or one it was given (TW_CGROUP_ROOT) will do:
	 * never a system service's group it was not handed.
	 */
	if (own &&
	    (stat(root, &st) == -1 || st.st_uid != geteuid() ||
	        (geteuid() == 0 && !is_top))) {
		*why = xasprintf("%s is not delegated to twd (systemd: "
		                 "Delegate=yes gives a user service its own)",
		    root);
		free(controllers);
		return -1;
	}
	if (access(root, W_OK) == -1) {
		*why = xasprintf("%s is not twd's to write (%s): its cgroup is "
		                 "not delegated to this user",
		    root, strerror(errno));
		free(controllers);
		return -1;
	}
	/* twd leaves the subtree's top for a leaf, then gives it away. */
	if (own) {
		leaf = xasprintf("%s/daemon", root);
		snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
		if ((mkdir(leaf, 0755) == -1 && errno != EEXIST) ||
		    put(leaf, "cgroup.procs", pid) == -1) {
			*why = xasprintf("cannot move twd into %s: %s", leaf,
			    strerror(errno));
			free(leaf);
			free(controllers);
			return -1;
		}
		free(leaf);
	}
	if (put(root, "cgroup.subtree_control",
	        has_word(controllers, "pids") ? "+memory +cpu +pids"
	                                      : "+memory +cpu") == -1) {
		*why = xasprintf("cannot enable memory and cpu below %s: %s",
		    root, strerror(errno));
		free(controllers);
		return -1;
	}
	free(controllers);
	return 0;
}

/*
 * Remove the cgroups an earlier twd of this name left (its runs lost):
 * their processes were killed with them, and an empty cgroup goes.
 */
static void
cgroups_sweep(const struct cgroups *cg)
{
	char *prefix = xasprintf("run-%s-", cg->name), *path;
	struct dirent *de;
	DIR *d;

	if ((d = opendir(cg->root)) == NULL) {
		free(prefix);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
			path = xasprintf("%s/%s", cg->root, de->d_name);
			if (rmdir(path) == 0) {
				log_info("removed %s, left by a run of an "
				         "earlier twd",
				    path);
			}
			free(path);
		}
	}
	closedir(d);
	free(prefix);
}

struct cgroups *
cgroups_open(const char *name)
{
	struct cgroups *cg = xcalloc(1, sizeof *cg);
	const char *env = getenv("TW_CGROUP_ROOT");
	char *root, *why = NULL;
	int is_top = 0;

	cg->name = xstrdup(name);
	root = env != NULL && env[0] != '\0' ? xstrdup(env)
	                                     : own_cgroup(&why, &is_top);
	if (root != NULL &&
	    subtree_setup(root, env == NULL, is_top, &why) == 0) {
		cg->root = root;
		cgroups_sweep(cg);
		log_info("runs get cgroups of their own under %s", root);
		return cg;
	}
	free(root);
	cg->off = why;
	log_info("cgroup limits are off: %s", why);
	return cg;
}

void
cgroups_free(struct cgroups *cg)
{
	if (cg == NULL) {
		return;
	}
	free(cg->root);
	free(cg->off);
	free(cg->name);
	free(cg);
}

const char *
cgroups_off(const struct cgroups *cg)
{
	return cg->root == NULL ? cg->off : NULL;
}

const char *
cgroups_root(const struct cgroups *cg)
{
	return cg->root;
}

char *
cgroups_run_make(struct cgroups *cg, int64_t id,
    const struct cgroup_limits *lim, char **cause)
{
	char *dir = run_dir(cg, id), num[64], *procs;
	const char *file = NULL;

	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		*cause = xasprintf(
		    "cannot make its cgroup %s: %s", dir, strerror(errno));
		free(dir);
		return NULL;
	}
	if (lim->memory > 0) {
		snprintf(num, sizeof num, "%" PRId64 "\n", lim->memory);
		if (put(dir, file = "memory.max", num) == -1) {
			goto fail;
		}
		if (lim->swap >= 0) {
			snprintf(num, sizeof num, "%" PRId64 "\n", lim->swap);
			if (put(dir, file = "memory.swap.max", num) == -1 &&
			    errno != ENOENT) {
				goto fail; /* no swap accounting: no file */
			}
		}
	}
	if (lim->mcpus > 0) {
		/* mcpus thousandths of each 100 ms period. */
		snprintf(
		    num, sizeof num, "%" PRId64 " 100000\n", lim->mcpus * 100);
		if (put(dir, file = "cpu.max", num) == -1) {
			goto fail;
		}
	}
	if (lim->pids > 0) {
		snprintf(num, sizeof num, "%" PRId64 "\n", lim->pids);
		if (put(dir, file = "pids.max", num) == -1) {
			goto fail;
		}
	}
	/* cgroupfs has it; a tree that stands for one (a test's) may not. */
	procs = xasprintf("%s/cgroup.procs", dir);
	if (access(procs, F_OK) == -1 &&
	    put(dir, file = "cgroup.procs", "") == -1) {
		free(procs);
		goto fail;
	}
	free(dir);
	return procs;
fail:
	*cause =
	    xasprintf("cannot write %s/%s: %s", dir, file, strerror(errno));
	rmdir(dir);
	free(dir);
	return NULL;
}

void
cgroups_run_end(struct cgroups *cg, int64_t id, struct cgroup_usage *out)
{
	static const char *const made[] = { "memory.max", "memory.swap.max",
		"cpu.max", "pids.max", "cgroup.procs", "memory.peak",
		"memory.events" };
	char *dir = run_dir(cg, id), *path, *text, *p;
	size_t i;

	out->memory_peak = -1;
	out->oom_kills = 0;
	path = xasprintf("%s/memory.peak", dir);
	if ((text = slurp(path)) != NULL) {
		out->memory_peak = strtoll(text, NULL, 10);
		free(text);
	}
	free(path);
	path = xasprintf("%s/memory.events", dir);
	if ((text = slurp(path)) != NULL &&
	    (p = strstr(text, "oom_kill ")) != NULL) {
		out->oom_kills = strtoll(p + 9, NULL, 10);
	}
	free(text);
	free(path);
	if (rmdir(dir) == -1 && errno == ENOTEMPTY) {
		/* Not cgroupfs (TW_CGROUP_ROOT, a test's tree): its files. */
		for (i = 0; i < sizeof made / sizeof made[0]; i++) {
			path = xasprintf("%s/%s", dir, made[i]);
			unlink(path);
			free(path);
		}
		rmdir(dir);
	}
	if (access(dir, F_OK) == 0) {
		log_warn(
		    "cannot remove the cgroup %s: %s", dir, strerror(errno));
	}
	free(dir);
}
