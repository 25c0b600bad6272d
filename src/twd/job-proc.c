/*
 * The processes a job leaves behind, from /proc: descendants that left its
 * process group (signalled with it), and the groups of runs an earlier twd
 * left running (killed, but only if they carry the run's marker).
 */
#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "job.h"
#include "job-int.h"
#include "log.h"
#include "xmalloc.h"

/* A process as /proc/PID/stat has it: who it is, its parent, its group. */
struct proc_entry {
	pid_t pid, ppid, pgrp;
};

static struct proc_entry *proc_table(size_t *);

/* Whether marker is one of the NUL-separated strings of pid's environ. */
static int
proc_has_env(const char *pid, const char *marker)
{
	char path[300], *buf = NULL, *p;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, found = 0;

	snprintf(path, sizeof path, "/proc/%s/environ", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		return 0;
	}
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 4096 : cap * 2;
			buf = xreallocarray(buf, cap + 1, 1);
		}
		if ((n = read(fd, buf + len, cap - len)) <= 0) {
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	for (p = buf; p != NULL && p < buf + len; p += strlen(p) + 1) {
		buf[len] = '\0';
		if (strcmp(p, marker) == 0) {
			found = 1;
			break;
		}
	}
	free(buf);
	return found;
}

int
job_orphan_kill(pid_t pgid, const char *marker)
{
	struct proc_entry *t;
	char pid[32];
	size_t n, i;
	int found = 0;

	if (pgid <= 1 || kill(-pgid, 0) == -1 || (t = proc_table(&n)) == NULL) {
		return 0;
	}
	for (i = 0; !found && i < n; i++) {
		snprintf(pid, sizeof pid, "%ld", (long)t[i].pid);
		found = t[i].pgrp == pgid && proc_has_env(pid, marker);
	}
	free(t);
	if (found && kill(-pgid, SIGKILL) == -1) {
		found = 0;
	}
	return found;
}

/* Every process there is, from /proc (caller frees); *n of them. */
static struct proc_entry *
proc_table(size_t *n)
{
	struct proc_entry *v = NULL, e;
	char path[300], buf[512], *p;
	struct dirent *de;
	size_t cap = 0;
	ssize_t len;
	long ppid, pgrp;
	int fd;
	DIR *d;

	*n = 0;
	if ((d = opendir("/proc")) == NULL) {
		return NULL;
	}
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0])) {
			continue;
		}
		snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
			continue;
		}
		len = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (len <= 0) {
			continue;
		}
		buf[len] = '\0';
		/* "pid (comm) state ppid pgrp ...": comm may hold anything. */
		if ((p = strrchr(buf, ')')) == NULL ||
		    sscanf(p + 1, " %*c %ld %ld", &ppid, &pgrp) != 2) {
			continue;
		}
		e.pid = (pid_t)strtol(de->d_name, NULL, 10);
		e.ppid = (pid_t)ppid;
		e.pgrp = (pid_t)pgrp;
		if (*n == cap) {
			cap = cap == 0 ? 256 : cap * 2;
			v = xreallocarray(v, cap, sizeof *v);
		}
		v[(*n)++] = e;
	}
	closedir(d);
	return v;
}

static int
pid_in(const pid_t *v, size_t n, pid_t pid)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i] == pid) {
			return 1;
		}
	}
	return 0;
}

/*
 * Send sig to the job's descendants outside its process group: those
 * below its process while it lives, and below twd (the subreaper, which
 * inherits them when their parents die) those with the job's marker in
 * their environment, with all below them. Each is remembered once, for
 * result.escaped. A stop is rare: one pass over /proc is cheap enough.
 */
void
job_signal_escaped(struct job *job, int sig)
{
	struct proc_entry *t;
	pid_t *tree = NULL, self = getpid();
	size_t n, ntree = 0, i, j;
	char pid[32];

	if ((t = proc_table(&n)) == NULL) {
		return;
	}
	tree = xreallocarray(NULL, n + 1, sizeof *tree);
	/* Its own process, unless reaped: the number may be another's now. */
	if (!(job->flags & JOB_EXITED)) {
		tree[ntree++] = job->pid;
	}
	for (i = 0; job->marker != NULL && i < n; i++) {
		snprintf(pid, sizeof pid, "%ld", (long)t[i].pid);
		if (t[i].ppid == self && t[i].pid != job->pid &&
		    proc_has_env(pid, job->marker)) {
			tree[ntree++] = t[i].pid;
		}
	}
	/* Everything below those, a generation at a time. */
	for (j = 0; j < ntree; j++) {
		for (i = 0; i < n; i++) {
			if (t[i].ppid == tree[j] &&
			    !pid_in(tree, ntree, t[i].pid)) {
				tree[ntree++] = t[i].pid;
			}
		}
	}
	for (i = 0; i < n; i++) {
		if (!pid_in(tree, ntree, t[i].pid) || t[i].pgrp == job->pid) {
			continue;
		}
		kill(t[i].pid, sig);
		if (sig != SIGKILL && sig != SIGCONT) {
			kill(t[i].pid, SIGCONT);
		}
		if (!pid_in(job->escaped, job->nescaped, t[i].pid)) {
			job->escaped = xreallocarray(job->escaped,
			    job->nescaped + 1, sizeof *job->escaped);
			job->escaped[job->nescaped++] = t[i].pid;
			log_info("job %ld: %s to pid %ld, which left its "
			         "process group",
			    (long)job->pid, strsignal(sig), (long)t[i].pid);
		}
	}
	job->result.escaped = (int)job->nescaped;
	free(tree);
	free(t);
}
