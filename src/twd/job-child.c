/*
 * Starting a job's process: its environment, the clone (CLONE_VM and
 * CLONE_VFORK on a stack kept from job to job, so a start costs no copy of
 * twd's memory), and the child's steps to exec, each of which can fail
 * alone and says which through a pipe.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <spawn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "job.h"
#include "job-int.h"
#include "log.h"
#include "xmalloc.h"

/* The child's stack between clone and exec. */
#define JOB_STACK (64 * 1024)

#if defined(__SANITIZE_ADDRESS__)
#define JOB_USE_CLONE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JOB_USE_CLONE 0
#endif
#endif
#ifndef JOB_USE_CLONE
#define JOB_USE_CLONE 1
#endif

/* What the child reports through the status pipe when exec cannot happen. */
struct job_child_error {
	int stage;
	int err;
	int index; /* which limit, for JOB_STAGE_LIMIT */
};

/* The steps between clone and exec, in order; each can fail alone. */
enum {
	JOB_STAGE_CGROUP,
	JOB_STAGE_DEVNULL,
	JOB_STAGE_FDS,
	JOB_STAGE_CWD,
	JOB_STAGE_NICE,
	JOB_STAGE_LIMIT,
	JOB_STAGE_EXEC,
};

/* Mark every descriptor above stderr close-on-exec. */
static int
job_child_cloexec_all(void)
{
	long max, fd;

#ifdef CLOSE_RANGE_CLOEXEC
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0) {
		return 0;
	}
#endif
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536) {
		max = 65536;
	}
	for (fd = 3; fd < max; fd++) {
		fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	}
	return 0;
}

/* Lower the soft limit to value, or to the hard limit if that is lower. */
static int
job_child_limit(const struct job_limit *l)
{
	struct rlimit rl;

	if (getrlimit(l->resource, &rl) == -1) {
		return -1;
	}
	rl.rlim_cur = (rlim_t)l->value;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
	}
	return setrlimit(l->resource, &rl);
}

/*
 * Write our pid to a cgroup's cgroup.procs: into it. No allocation (the
 * child may share the daemon's memory): the number on our own stack.
 */
static int
job_child_cgroup(const char *procs)
{
	char num[24], *p = num + sizeof num;
	long pid = (long)getpid();
	int fd, err;
	ssize_t w;

	*--p = '\n';
	do {
		*--p = (char)('0' + pid % 10);
		pid /= 10;
	} while (pid > 0);
	if ((fd = open(procs, O_WRONLY | O_CLOEXEC)) == -1) {
		return -1;
	}
	w = write(fd, p, (size_t)(num + sizeof num - p));
	err = errno;
	close(fd);
	errno = err;
	return w == (ssize_t)(num + sizeof num - p) ? 0 : -1;
}

/* Whether "NAME=..." a and b set the same variable. */
static int
env_same_name(const char *a, const char *b)
{
	size_t n = strcspn(a, "=");

	return strncmp(a, b, n) == 0 && (b[n] == '=' || b[n] == '\0');
}

#if JOB_USE_CLONE
/*
 * The children's stack, made at the first job: size bytes above a page
 * that faults should one ever overflow it; -1 if none could be had.
 */
static int
job_stack_make(struct job_list *jl, size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	void *p;

	size = (size + page - 1) / page * page + page;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (p == MAP_FAILED) {
		return -1;
	}
	if (mprotect(p, page, PROT_NONE) == -1) {
		munmap(p, size);
		return -1;
	}
	jl->stack = p;
	jl->stack_size = size;
	return 0;
}
#endif

/* What the child needs; it shares the daemon's memory, so all is ready. */
struct job_child_args {
	const struct job_spec *spec;
	char **envp; /* the job's environment */
	char **sh;   /* room for the argv of a script without #! */
	int out_fd, err_fd;
	int status_fd; /* fork: where to say why exec failed; clone: -1 */
	struct job_child_error ce; /* clone: the child says it here */
};

/* The value of PATH in envp, or the C library's default without one. */
static const char *
job_child_path(char *const *envp)
{
	for (; envp != NULL && *envp != NULL; envp++) {
		if (strncmp(*envp, "PATH=", 5) == 0) {
			return *envp + 5;
		}
	}
	return "/bin:/usr/bin";
}

/*
 * exec path; an executable file without #! is a shell script, run by
 * /bin/sh with sh, the daemon's array of two more than argv, as its argv.
 */
static void
job_child_execve(
    const char *path, char *const *argv, char **sh, char *const *envp)
{
	size_t i;

	execve(path, argv, envp);
	if (errno != ENOEXEC) {
		return;
	}
	sh[0] = (char *)"/bin/sh";
	sh[1] = (char *)path;
	for (i = 1; argv[i - 1] != NULL; i++) {
		sh[i + 1] = argv[i];
	}
	execve(sh[0], sh, envp);
	errno = ENOEXEC;
}

/*
 * execvp with the job's environment: the program is looked up in the job's
 * PATH, as execvp would with envp as environ. The daemon's environ is not
 * touched, so that no thread of the daemon ever sees it change. Returns
 * with errno when no exec succeeded.
 */
static void
job_child_exec(
    const char *file, char *const *argv, char **sh, char *const *envp)
{
	const char *p, *dir, *end;
	char path[PATH_MAX];
	size_t dlen, flen = strlen(file);
	int eacces = 0;

	if (*file == '\0') {
		errno = ENOENT;
		return;
	}
	if (strchr(file, '/') != NULL) {
		job_child_execve(file, argv, sh, envp);
		return;
	}
	for (p = job_child_path(envp);; p = end + 1) {
		dir = p;
		end = strchrnul(p, ':');
		dlen = (size_t)(end - dir);
		if (dlen + 1 + flen + 1 > sizeof path) {
			errno = ENAMETOOLONG;
		} else {
			/* An empty element is the working directory. */
			memcpy(path, dir, dlen);
			path[dlen] = '/';
			memcpy(
			    path + (dlen == 0 ? 0 : dlen + 1), file, flen + 1);
			job_child_execve(path, argv, sh, envp);
		}
		if (errno == EACCES) {
			eacces = 1;
		} else if (errno != ENOENT && errno != ENOTDIR &&
		    errno != ENAMETOOLONG && errno != ESTALE &&
		    errno != ENODEV && errno != ETIMEDOUT) {
			return;
		}
		if (*end == '\0') {
			break;
		}
	}
	errno = eacces ? EACCES : ENOENT;
}

/*
 * The child, between clone and exec. With CLONE_VM it runs in the daemon's
 * memory on a stack of its own while the daemon waits: it calls system
 * calls alone, allocates nothing, and writes no memory of the daemon's but
 * a->ce, which the daemon reads, and a->sh, set aside for it.
 */
static int
job_child(void *arg)
{
	struct job_child_args *a = arg;
	const struct job_spec *spec = a->spec;
	struct job_child_error ce;
	sigset_t none;
	size_t i;
	int fd, sig;

	setsid();
	/* Into its cgroup first, so that all it does is counted there. */
	if (spec->cgroup_procs != NULL &&
	    job_child_cgroup(spec->cgroup_procs) == -1) {
		ce.stage = JOB_STAGE_CGROUP;
		goto fail;
	}
	/* The daemon's handlers and ignored signals must not reach the job. */
	for (sig = 1; sig < NSIG; sig++) {
		if (sig != SIGKILL && sig != SIGSTOP) {
			signal(sig, SIG_DFL);
		}
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if ((fd = open(a->spec->stdin_path != NULL ? a->spec->stdin_path
	                                           : "/dev/null",
	         O_RDONLY)) == -1) {
		ce.stage = JOB_STAGE_DEVNULL;
		goto fail;
	}
	if (dup2(fd, STDIN_FILENO) == -1 ||
	    dup2(a->out_fd, STDOUT_FILENO) == -1 ||
	    dup2(a->err_fd, STDERR_FILENO) == -1) {
		ce.stage = JOB_STAGE_FDS;
		goto fail;
	}
	job_child_cloexec_all();
	if (a->status_fd != -1) {
		fcntl(a->status_fd, F_SETFD, FD_CLOEXEC);
	}

	if (spec->cwd != NULL && chdir(spec->cwd) == -1) {
		ce.stage = JOB_STAGE_CWD;
		goto fail;
	}
	if (spec->nice != 0 && setpriority(PRIO_PROCESS, 0, spec->nice) == -1) {
		ce.stage = JOB_STAGE_NICE;
		goto fail;
	}
	for (i = 0; i < spec->nlimits; i++) {
		if (job_child_limit(&spec->limits[i]) == -1) {
			ce.stage = JOB_STAGE_LIMIT;
			ce.index = (int)i;
			goto fail;
		}
	}
	if (spec->umask >= 0) {
		umask((mode_t)spec->umask);
	}
	job_child_exec(
	    spec->argv[0], (char *const *)spec->argv, a->sh, a->envp);
	ce.stage = JOB_STAGE_EXEC;

fail:
	ce.err = errno;
	if (a->status_fd == -1) {
		a->ce = ce; /* the daemon reads it when we are gone */
	}
	while (a->status_fd != -1 &&
	    write(a->status_fd, &ce, sizeof ce) == -1 && errno == EINTR) {
		;
	}
	_exit(127);
}

/*
 * The job's environment: the daemon's (unless env_clear) with spec's
 * variables over it, a later one of the same name winning. Only the array
 * is allocated; the strings are borrowed.
 */
static char **
job_environment(const struct job_spec *spec)
{
	const char *const *add = spec->env;
	char *const *base = spec->env_clear ? NULL : environ;
	size_t nbase = 0, nadd = 0, n = 0, i, j;
	char **envp;

	while (base != NULL && base[nbase] != NULL) {
		nbase++;
	}
	while (add != NULL && add[nadd] != NULL) {
		nadd++;
	}
	envp = xreallocarray(NULL, nbase + nadd + 1, sizeof *envp);
	for (i = 0; i < nbase; i++) {
		for (j = 0; j < nadd && !env_same_name(base[i], add[j]); j++) {
			;
		}
		if (j == nadd) {
			envp[n++] = base[i];
		}
	}
	for (i = 0; i < nadd; i++) {
		for (j = i + 1; j < nadd && !env_same_name(add[i], add[j]);
		     j++) {
			;
		}
		if (j == nadd) {
			envp[n++] = (char *)add[i];
		}
	}
	envp[n] = NULL;
	return envp;
}

/*
 * Start the child. clone(CLONE_VM | CLONE_VFORK), as posix_spawn does,
 * spares copying the daemon's page tables and the faults of copy-on-write
 * for each job: the daemon waits (microseconds) until the child has exec'd.
 * Every signal is blocked meanwhile so that no handler of the daemon's runs
 * in the child. Under AddressSanitizer, whose bookkeeping a child on a
 * foreign stack would upset, it is a plain fork, and the child says why
 * exec failed through a pipe. Returns the pid, or -1; *ce has stage -1
 * when exec happened, else why it did not.
 */
static pid_t
job_clone(
    struct job_list *jl, struct job_child_args *a, struct job_child_error *ce)
{
#if JOB_USE_CLONE
	sigset_t all, saved;
	pid_t pid;
	int err;

	if (jl->stack == NULL && job_stack_make(jl, JOB_STACK) == -1) {
		return -1;
	}
	a->status_fd = -1;
	a->ce.stage = -1;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &saved);
	pid = clone(job_child, (char *)jl->stack + jl->stack_size,
	    CLONE_VM | CLONE_VFORK | SIGCHLD, a);
	err = errno;
	sigprocmask(SIG_SETMASK, &saved, NULL);
	*ce = a->ce;
	errno = err;
	return pid;
#else
	int st[2], err;
	ssize_t n;
	pid_t pid;

	(void)jl;
	if (pipe2(st, O_CLOEXEC) == -1) {
		return -1;
	}
	a->status_fd = st[1];
	if ((pid = fork()) == 0) {
		job_child(a);
	}
	err = errno;
	close(st[1]);
	ce->stage = -1;
	/* The child closes st[1] on a good exec, or writes why it failed. */
	do {
		n = pid == -1 ? 0 : read(st[0], ce, sizeof *ce);
	} while (n == -1 && errno == EINTR);
	if (n != (ssize_t)sizeof *ce) {
		ce->stage = -1;
	}
	close(st[0]);
	errno = err;
	return pid;
#endif
}

/* Why the child could not exec, naming the step that failed. */
static char *
job_child_cause(const struct job_spec *spec, const struct job_child_error *ce)
{
	const struct job_limit *l;
	const char *hint = "";

	switch (ce->stage) {
	case JOB_STAGE_CGROUP:
		return xasprintf("cannot move into its cgroup (%s): %s",
		    spec->cgroup_procs, strerror(ce->err));
	case JOB_STAGE_DEVNULL:
		return xasprintf("cannot open %s as its input: %s",
		    spec->stdin_path != NULL ? spec->stdin_path : "/dev/null",
		    strerror(ce->err));
	case JOB_STAGE_FDS:
		return xasprintf("cannot set up the job's descriptors: %s",
		    strerror(ce->err));
	case JOB_STAGE_CWD:
		return xasprintf("cannot change directory to '%s': %s",
		    spec->cwd, strerror(ce->err));
	case JOB_STAGE_NICE:
		if (spec->nice < 0 && (ce->err == EACCES || ce->err == EPERM)) {
			hint = " (a negative nice needs privilege: "
			       "CAP_SYS_NICE or RLIMIT_NICE)";
		}
		return xasprintf("cannot set nice to %d: %s%s", spec->nice,
		    strerror(ce->err), hint);
	case JOB_STAGE_LIMIT:
		l = &spec->limits[ce->index];
		return xasprintf("cannot set the %s limit to %llu: %s",
		    l->name != NULL ? l->name : "resource",
		    (unsigned long long)l->value, strerror(ce->err));
	default:
		return xasprintf(
		    "cannot run '%s': %s", spec->argv[0], strerror(ce->err));
	}
}

pid_t
job_child_start(struct job_list *jl, const struct job_spec *spec, int out_fd,
    int err_fd, char **cause)
{
	struct job_child_error ce;
	struct job_child_args args;
	char **envp;
	int status, i;
	pid_t pid;

	args.spec = spec;
	args.envp = envp = job_environment(spec);
	for (i = 0; spec->argv[i] != NULL; i++) {
		;
	}
	/* Kept from job to job: no allocation a start on the hot path. */
	if ((size_t)i + 2 > jl->sh_cap) {
		jl->sh_cap = (size_t)i + 2;
		jl->sh = xreallocarray(jl->sh, jl->sh_cap, sizeof *jl->sh);
	}
	args.sh = jl->sh;
	/*
	 * At exec the kernel starts the job's peak memory (ru_maxrss) from
	 * the high-water mark of the memory it is started from: ours, shared
	 * under CLONE_VM or copied by fork. Bring ours down to what is
	 * resident now, or the job inherits twd's own all-time peak.
	 */
	if (jl->clear_refs != -1 && pwrite(jl->clear_refs, "5", 1, 0) != 1) {
		log_debug("cannot reset the memory high-water mark: %s",
		    strerror(errno));
	}
	args.out_fd = out_fd;
	args.err_fd = err_fd;
	pid = job_clone(jl, &args, &ce);
	free(envp);
	if (pid == -1) {
		*cause = xasprintf("cannot fork: %s", strerror(errno));
		return -1;
	}
	if (ce.stage != -1) {
		*cause = job_child_cause(spec, &ce);
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR) {
			;
		}
		return -1;
	}
	return pid;
}

pid_t
job_spawn(const char *const *argv, const char *last, int out_fd)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	const char **v;
	size_t n = 0;
	sigset_t none, all;
	pid_t pid;
	int rc;

	while (argv[n] != NULL) {
		n++;
	}
	v = xreallocarray(NULL, n + 2, sizeof *v);
	memcpy(v, argv, n * sizeof *v);
	v[n] = last;
	v[n + (last != NULL)] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (out_fd != -1) {
		posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	} else {
		posix_spawn_file_actions_addopen(
		    &fa, 1, "/dev/null", O_WRONLY, 0);
	}
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	/* Its own group, and none of the daemon's blocked signals. */
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	sigfillset(&all);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr,
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
	        POSIX_SPAWN_SETPGROUP);
	rc = posix_spawnp(&pid, v[0], &fa, &attr, (char *const *)v, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	free(v);
	if (rc != 0) {
		log_warn("cannot start %s: %s", argv[0], strerror(rc));
		return -1;
	}
	return pid;
}

int
job_spawn_quiet(const char *const *argv, const char *last)
{
	return job_spawn(argv, last, -1) == -1 ? -1 : 0;
}
