/*
 * Runs on another machine through the system's ssh (remote.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remote.h"
#include "xmalloc.h"

/*
 * What runs there, as sh -c SCRIPT tw KEY DIR UMASK CLEAR WORD...: the
 * run's words in a session of its own, its process group in a file while
 * it runs, and its exit status the script's, but 255, which ssh keeps for
 * its own failures (a connection lost says nothing when it was shared):
 * that is 254. Once the run is started, the script's own output goes
 * nowhere: the shell's word on a run killed ("Killed") would otherwise
 * kill it by SIGPIPE once the connection is gone, before it cleans up.
 * No single quote in it: the whole is one quoted word of the line ssh
 * hands the login shell.
 */
static const char run_script[] =
    "k=$1 d=$2 m=$3 c=$4; shift 4; "
    "f=\"$HOME/.cache/taskweaver/runs/$k\"; "
    "mkdir -p \"${f%/*}\" || exit 125; "
    "if [ -n \"$d\" ]; then cd \"$d\" || exit 125; fi; "
    "[ \"$m\" = - ] || umask \"$m\"; "
    "if [ \"$c\" = 1 ]; then set -- env -i HOME=\"$HOME\" USER=\"$USER\" "
    "LOGNAME=\"$LOGNAME\" SHELL=\"$SHELL\" PATH=\"$PATH\" \"$@\"; fi; "
    "setsid \"$@\" </dev/null & p=$!; exec >/dev/null 2>&1; "
    "echo \"$p\" >\"$f\"; "
    "wait \"$p\"; r=$?; rm -f \"$f\"; [ \"$r\" != 255 ] || r=254; "
    "exit \"$r\"";

/* Signal the run with key $1 (its group) with $2, if it is there. */
static const char signal_script[] =
    "f=\"$HOME/.cache/taskweaver/runs/$1\"; "
    "[ -f \"$f\" ] || exit 0; kill -s \"$2\" -- \"-$(cat \"$f\")\"";

char *
remote_quote(const char *s)
{
	size_t n = 2, i;
	char *q, *p;

	for (i = 0; s[i] != '\0'; i++) {
		n += s[i] == '\'' ? 4 : 1;
	}
	q = p = xmalloc(n + 1);
	*p++ = '\'';
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '\'') {
			memcpy(p, "'\\''", 4);
			p += 4;
		} else {
			*p++ = s[i];
		}
	}
	*p++ = '\'';
	*p = '\0';
	return q;
}

/* A command being built: its words so far. */
struct words {
	char **v;
	size_t n;
};

/* s, quoted, after what line holds and a space. */
static void
line_add(char **line, size_t *len, const char *s, int quote)
{
	char *q = quote ? remote_quote(s) : xstrdup(s);
	size_t n = strlen(q);

	*line = xreallocarray(*line, *len + n + 2, 1);
	if (*len > 0) {
		(*line)[(*len)++] = ' ';
	}
	memcpy(*line + *len, q, n + 1);
	*len += n;
	free(q);
}

/*
 * ssh and its options for ex, up to and including the host; extra (an -o
 * value, or NULL) after the user's.
 */
static struct words
ssh_command(
    const struct executor_def *ex, const char *control_dir, const char *extra)
{
	struct words w = { NULL, 0 };
	size_t i;

	strv_add(&w.v, &w.n, xstrdup("ssh"));
	if (ex->ssh_config != NULL) {
		strv_add(&w.v, &w.n, xstrdup("-F"));
		strv_add(&w.v, &w.n, xstrdup(ex->ssh_config));
	}
	/* No terminal, no standard input, no question to ask. */
	strv_add(&w.v, &w.n, xstrdup("-T"));
	strv_add(&w.v, &w.n, xstrdup("-n"));
	strv_add(&w.v, &w.n, xstrdup("-o"));
	strv_add(&w.v, &w.n, xstrdup("BatchMode=yes"));
	/* The user's before twd's: for ssh, the first value given wins. */
	for (i = 0; ex->options != NULL && ex->options[i] != NULL; i++) {
		strv_add(&w.v, &w.n, xstrdup("-o"));
		strv_add(&w.v, &w.n, xstrdup(ex->options[i]));
	}
	if (extra != NULL) {
		strv_add(&w.v, &w.n, xstrdup("-o"));
		strv_add(&w.v, &w.n, xstrdup(extra));
	}
	/* One connection per executor, made at need, closed when idle. */
	strv_add(&w.v, &w.n, xstrdup("-o"));
	strv_add(&w.v, &w.n, xstrdup("ControlMaster=auto"));
	strv_add(&w.v, &w.n, xstrdup("-o"));
	strv_add(
	    &w.v, &w.n, xasprintf("ControlPath=%s/%s", control_dir, ex->name));
	strv_add(&w.v, &w.n, xstrdup("-o"));
	strv_add(&w.v, &w.n, xstrdup("ControlPersist=60"));
	/* A machine gone quiet is a lost run within a minute, not never. */
	strv_add(&w.v, &w.n, xstrdup("-o"));
	strv_add(&w.v, &w.n, xstrdup("ServerAliveInterval=15"));
	if (ex->port != 0) {
		strv_add(&w.v, &w.n, xstrdup("-p"));
		strv_add(&w.v, &w.n, xasprintf("%d", ex->port));
	}
	if (ex->identity != NULL) {
		strv_add(&w.v, &w.n, xstrdup("-i"));
		strv_add(&w.v, &w.n, xstrdup(ex->identity));
	}
	if (ex->user != NULL) {
		strv_add(&w.v, &w.n, xstrdup("-l"));
		strv_add(&w.v, &w.n, xstrdup(ex->user));
	}
	strv_add(&w.v, &w.n, xstrdup("--"));
	strv_add(&w.v, &w.n, xstrdup(ex->host));
	return w;
}

char **
remote_ssh_argv(const struct remote_run *r, char **cause)
{
	struct words w;
	char *line = NULL, m[16], n[16];
	size_t len = 0, i;

	if (strlen(r->control_dir) + 1 + strlen(r->ex->name) >
	    REMOTE_CONTROL_PATH_MAX) {
		*cause = xasprintf("the path of ssh's shared connection, "
		                   "%s/%s, is too long for a socket: give "
		                   "twd a shorter state directory "
		                   "(TW_STATE_DIR)",
		    r->control_dir, r->ex->name);
		return NULL;
	}
	w = ssh_command(r->ex, r->control_dir, NULL);
	line_add(&line, &len, "sh -c", 0);
	line_add(&line, &len, run_script, 1);
	line_add(&line, &len, "tw", 0);
	line_add(&line, &len, r->key, 1);
	line_add(&line, &len, r->cwd != NULL ? r->cwd : "", 1);
	if (r->umask >= 0) {
		snprintf(m, sizeof m, "%04o", (unsigned)r->umask);
	} else {
		snprintf(m, sizeof m, "-");
	}
	line_add(&line, &len, m, 1);
	line_add(&line, &len, r->env_clear ? "1" : "0", 0);
	if (r->nice != 0) {
		snprintf(n, sizeof n, "%d", r->nice);
		line_add(&line, &len, "nice -n", 0);
		line_add(&line, &len, n, 1);
	}
	line_add(&line, &len, "env", 0);
	for (i = 0; r->env != NULL && r->env[i] != NULL; i++) {
		line_add(&line, &len, r->env[i], 1);
	}
	for (i = 0; r->argv[i] != NULL; i++) {
		line_add(&line, &len, r->argv[i], 1);
	}
	strv_add(&w.v, &w.n, line);
	return w.v;
}

char **
remote_ssh_signal_argv(
    const struct executor_def *ex, const char *control_dir, const char *key)
{
	struct words w = ssh_command(ex, control_dir, NULL);
	char *line = NULL;
	size_t len = 0;

	line_add(&line, &len, "sh -c", 0);
	line_add(&line, &len, signal_script, 1);
	line_add(&line, &len, "tw", 0);
	line_add(&line, &len, key, 1);
	strv_add(&w.v, &w.n, line);
	return w.v;
}

char **
remote_ssh_check_argv(const struct executor_def *ex, const char *control_dir)
{
	/* Not a run's patience with a machine that does not answer. */
	struct words w = ssh_command(ex, control_dir, "ConnectTimeout=10");

	strv_add(&w.v, &w.n, xstrdup("true"));
	return w.v;
}

int
remote_ssh_unreached(const char *line)
{
	/* OpenSSH's words when no session was had (9.x; stable for years). */
	static const char *const unreached[] = { "Could not resolve hostname",
		"connect to host", "Permission denied",
		"Host key verification failed", "kex_exchange_identification",
		"Connection closed by", "Unable to negotiate",
		"Bad owner or permissions", "Bad configuration option",
		"too long for Unix domain socket", "No route to host",
		"Too many authentication failures" };
	size_t i;

	for (i = 0; i < sizeof unreached / sizeof unreached[0]; i++) {
		if (strstr(line, unreached[i]) != NULL) {
			return 1;
		}
	}
	return 0;
}

char **
remote_srun_argv(const struct slurm_run *r)
{
	const struct task_policy *p = r->policy;
	char **v = NULL;
	size_t n = 0, i;

	strv_add(&v, &n, xstrdup("srun"));
	strv_add(&v, &n, xasprintf("--job-name=%s", r->job_name));
	/* One task, its informational lines not in the run's log. */
	strv_add(&v, &n, xstrdup("--ntasks=1"));
	strv_add(&v, &n, xstrdup("--quiet"));
	if (r->ex->partition != NULL) {
		strv_add(&v, &n, xasprintf("--partition=%s", r->ex->partition));
	}
	if (r->ex->account != NULL) {
		strv_add(&v, &n, xasprintf("--account=%s", r->ex->account));
	}
	if (p->res_mcpus > 0) {
		/* Slurm counts whole CPUs: a part of one asks for one. */
		strv_add(&v, &n,
		    xasprintf(
		        "--cpus-per-task=%d", (p->res_mcpus + 999) / 1000));
	}
	if (p->res_memory > 0) {
		/* Slurm's unit is the MiB: rounded up, never below asked. */
		strv_add(&v, &n,
		    xasprintf("--mem=%lldM",
		        (long long)((p->res_memory + (1 << 20) - 1) >> 20)));
	}
	if (p->res_gpus > 0) {
		strv_add(&v, &n, xasprintf("--gpus=%d", p->res_gpus));
	}
	if (p->res_time_ms > 0) {
		/* Minutes, rounded up. */
		strv_add(&v, &n,
		    xasprintf("--time=%lld",
		        (long long)((p->res_time_ms + 59999) / 60000)));
	}
	for (i = 0; r->ex->args != NULL && r->ex->args[i] != NULL; i++) {
		strv_add(&v, &n, xstrdup(r->ex->args[i]));
	}
	strv_add(&v, &n, xstrdup("--"));
	if (r->id_file != NULL) {
		strv_add(&v, &n, xstrdup("/bin/sh"));
		strv_add(&v, &n, xstrdup("-c"));
		strv_add(&v, &n,
		    xstrdup("echo \"$SLURM_JOB_ID\" >\"$0\" 2>/dev/null; "
		            "exec \"$@\""));
		strv_add(&v, &n, xstrdup(r->id_file));
	}
	for (i = 0; r->argv[i] != NULL; i++) {
		strv_add(&v, &n, xstrdup(r->argv[i]));
	}
	return v;
}

char **
remote_scancel_argv(const char *job_name)
{
	char **v = NULL;
	size_t n = 0;

	strv_add(&v, &n, xstrdup("sh"));
	strv_add(&v, &n, xstrdup("-c"));
	strv_add(&v, &n,
	    xstrdup("case $1 in TERM|KILL) exec scancel --name=\"$0\" "
	            "--user=\"$(id -un)\";; *) exec scancel "
	            "--signal=\"$1\" --name=\"$0\" --user=\"$(id -un)\";; "
	            "esac"));
	strv_add(&v, &n, xstrdup(job_name));
	return v;
}

char **
remote_squeue_argv(const char *job_name)
{
	char **v = NULL;
	size_t n = 0;

	strv_add(&v, &n, xstrdup("squeue"));
	strv_add(&v, &n, xstrdup("--noheader"));
	strv_add(&v, &n, xasprintf("--name=%s", job_name));
	strv_add(&v, &n, xstrdup("--format=%i %T %r"));
	return v;
}

char **
remote_sinfo_argv(const struct executor_def *ex)
{
	char **v = NULL;
	size_t n = 0;

	strv_add(&v, &n, xstrdup("sinfo"));
	strv_add(&v, &n, xstrdup("--noheader"));
	strv_add(&v, &n, xstrdup("--format=%P %a %T"));
	if (ex->partition != NULL) {
		strv_add(&v, &n, xasprintf("--partition=%s", ex->partition));
	}
	return v;
}

enum slurm_end
remote_slurm_end(const char *line)
{
	if (strstr(line, "DUE TO TIME LIMIT") != NULL) {
		return SLURM_END_TIME;
	}
	if (strstr(line, "oom-kill") != NULL ||
	    strstr(line, "OUT_OF_MEMORY") != NULL ||
	    strstr(line, "out-of-memory") != NULL) {
		return SLURM_END_MEMORY;
	}
	if (strstr(line, "NODE FAIL") != NULL ||
	    strstr(line, "NODE_FAIL") != NULL) {
		return SLURM_END_NODE;
	}
	if (strstr(line, "CANCELLED") != NULL) {
		return SLURM_END_CANCEL;
	}
	return SLURM_END_OWN;
}
