/*
 * Unit tests for the executor: real processes, a real event loop, logs in
 * a temporary directory.
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "job.h"
#include "logfmt.h"
#include "tmpdir.h"

struct fixture {
	char dir[64];
	char log[128];
	struct event_base *base;
	struct event *ev_chld;
	struct job_list *jobs;
	int done;
	struct job_result res;
	char log_error[256]; /* res.log_error, which is the job's */
	uint64_t last_seq;   /* of the records job_output_cb saw */
	char seen[4096];     /* their text, one line each */
};

static void
on_sigchld(evutil_socket_t fd, short what, void *arg)
{
	struct fixture *f = arg;

	(void)fd;
	(void)what;
	job_list_reap(f->jobs);
}

static void
on_done(struct job *job, const struct job_result *res, void *arg)
{
	struct fixture *f = arg;

	(void)job;
	f->done++;
	f->res = *res;
	snprintf(f->log_error, sizeof f->log_error, "%s",
	    res->log_error != NULL ? res->log_error : "");
	f->res.log_error = NULL;
}

static void
on_output(
    struct job *job, const struct logfmt_record *rec, uint64_t seq, void *arg)
{
	struct fixture *f = arg;
	size_t used = strlen(f->seen);

	(void)job;
	assert_int_equal(seq, f->last_seq + 1);
	f->last_seq = seq;
	snprintf(f->seen + used, sizeof f->seen - used, "%s:%.*s\n",
	    logfmt_stream_name(rec->stream), (int)rec->len, rec->text);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (tmpdir_create(f->dir, sizeof f->dir, "job") == -1) {
		return -1;
	}
	snprintf(f->log, sizeof f->log, "%s/run.log", f->dir);
	f->base = event_base_new();
	f->jobs = job_list_create(f->base);
	f->ev_chld = evsignal_new(f->base, SIGCHLD, on_sigchld, f);
	evsignal_add(f->ev_chld, NULL);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	job_list_free(f->jobs);
	event_free(f->ev_chld);
	event_base_free(f->base);
	if (tmpdir_remove(f->dir) == -1) {
		return -1;
	}
	free(f);
	return 0;
}

static struct job *
start_sh(struct fixture *f, const char *script, const char *cwd)
{
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	const char *env[] = { "TW_TEST=from-env", NULL };
	struct job_spec spec = { .argv = argv,
		.cwd = cwd,
		.log_path = f->log,
		.env = env,
		.umask = -1 };
	struct job *job;
	char *cause = NULL;

	job = job_start(f->jobs, &spec, on_done, on_output, f, &cause);
	if (job == NULL) {
		fail_msg("job_start: %s", cause);
	}
	return job;
}

static struct job *
start_spec(struct fixture *f, struct job_spec *spec, const char *script)
{
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	struct job *job;
	char *cause = NULL;

	spec->argv = argv;
	spec->log_path = f->log;
	if ((job = job_start(f->jobs, spec, on_done, on_output, f, &cause)) ==
	    NULL) {
		fail_msg("job_start: %s", cause);
	}
	return job;
}

/* Run the loop until the job is reported (the test's timeout guards it). */
static void
run_until_done(struct fixture *f)
{
	while (!f->done) {
		event_base_loop(f->base, EVLOOP_ONCE);
	}
}

/* The log file as it is, records and all; none is empty. */
static char *
read_log(struct fixture *f)
{
	static char buf[65536];
	FILE *fp = fopen(f->log, "r");
	size_t n;

	if (fp == NULL) {
		assert_int_equal(errno, ENOENT);
		buf[0] = '\0';
		return buf;
	}
	n = fread(buf, 1, sizeof buf - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* What the job wrote to one stream, put back together from the log. */
static char *
read_stream(struct fixture *f, enum logfmt_stream which)
{
	static char out[65536];
	struct logfmt_record rec;
	char *line = read_log(f), *nl;
	size_t used = 0;

	for (; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		logfmt_parse(line, (size_t)(nl - line), &rec);
		if (rec.stream != which) {
			continue;
		}
		assert_true(used + rec.len + 2 < sizeof out);
		memcpy(out + used, rec.text, rec.len);
		used += rec.len;
		if (rec.complete) {
			out[used++] = '\n';
		}
	}
	out[used] = '\0';
	return out;
}

static void
test_job_output_and_exit_status_are_captured(void **state)
{
	struct fixture *f = *state;
	struct stat sb;

	start_sh(f, "echo out; echo err >&2; echo $TW_TEST; exit 3", NULL);
	assert_int_equal(job_list_count(f->jobs), 1);
	run_until_done(f);
	assert_int_equal(f->done, 1);
	assert_int_equal(f->res.how, JOB_END_EXITED);
	assert_int_equal(f->res.exit_code, 3);
	assert_false(f->res.stopped);
	assert_string_equal(read_stream(f, LOGFMT_STDOUT), "out\nfrom-env\n");
	assert_string_equal(read_stream(f, LOGFMT_STDERR), "err\n");
	assert_int_equal(f->res.output_bytes, 17);
	assert_int_equal(stat(f->log, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(job_list_count(f->jobs), 0);
}

static void
test_job_that_writes_nothing_leaves_no_log(void **state)
{
	struct fixture *f = *state;
	struct stat sb;

	start_sh(f, "exit 0", NULL);
	run_until_done(f);
	assert_int_equal(f->res.exit_code, 0);
	assert_int_equal(f->res.output_bytes, 0);
	assert_int_equal(stat(f->log, &sb), -1);
	assert_string_equal(f->log_error, "");
}

/* The first output makes the log's directory (logs/TASK) if it is new. */
static void
test_job_log_makes_its_directory(void **state)
{
	struct fixture *f = *state;
	struct stat sb;

	snprintf(f->log, sizeof f->log, "%s/new-task/1.log", f->dir);
	start_sh(f, "echo kept", NULL);
	run_until_done(f);
	assert_int_equal(f->res.exit_code, 0);
	assert_string_equal(f->log_error, "");
	assert_int_equal(stat(f->log, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	*strrchr(f->log, '/') = '\0';
	assert_int_equal(stat(f->log, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
}

static void
test_job_whose_log_cannot_be_made_runs_and_says_why(void **state)
{
	struct fixture *f = *state;
	char want[256];

	/* A file where its directory would be. */
	snprintf(want, sizeof want, "%s/not-a-dir", f->dir);
	close(open(want, O_WRONLY | O_CREAT, 0600));
	snprintf(f->log, sizeof f->log, "%s/not-a-dir/run.log", f->dir);
	start_sh(f, "echo lost; echo lost too; exit 4", NULL);
	run_until_done(f);
	assert_int_equal(f->res.exit_code, 4);
	assert_int_equal(f->res.output_bytes, 14);
	snprintf(want, sizeof want, "cannot create log '%s': Not a directory",
	    f->log);
	assert_string_equal(f->log_error, want);
	/* Followers still saw it. */
	assert_string_equal(f->seen, "stdout:lost\nstdout:lost too\n");
}

static void
test_job_environment_is_the_daemons_with_its_own_over_it(void **state)
{
	struct fixture *f = *state;
	const char *env[] = { "TW_OVER=first", "TW_NEW=new", "TW_OVER=job",
		NULL };
	struct job_spec spec = { .umask = -1, .env = env };
	char *out, *ign;

	setenv("TW_OVER", "daemon", 1);
	setenv("TW_KEPT", "daemon", 1);
	/* An ignored signal of the daemon's is not the job's. */
	signal(SIGPIPE, SIG_IGN);
	start_spec(f, &spec,
	    "env | grep '^TW_[KON]' | sort; grep SigIgn /proc/$$/status");
	signal(SIGPIPE, SIG_DFL);
	run_until_done(f);
	out = read_stream(f, LOGFMT_STDOUT);
	assert_non_null(ign = strstr(out, "SigIgn:\t"));
	*ign = '\0';
	assert_string_equal(out, "TW_KEPT=daemon\nTW_NEW=new\nTW_OVER=job\n");
	assert_false(strtoull(ign + 8, NULL, 16) & (1ULL << (SIGPIPE - 1)));
	/* The daemon's own environment is untouched. */
	assert_string_equal(getenv("TW_OVER"), "daemon");
	assert_null(getenv("TW_NEW"));
}

static void
write_program(const char *dir, const char *name, const char *text, int mode)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, (mode_t)mode), 0);
}

/*
 * A program is looked up in the job's PATH, not the daemon's, as execvp
 * would: a file there that may not be run is passed over, and an
 * executable file without #! is run by /bin/sh with the job's arguments.
 */
static void
test_job_program_is_found_in_the_jobs_path(void **state)
{
	struct fixture *f = *state;
	const char *argv[] = { "tw-only-here", "one", "two words", NULL };
	char path[256], dir[96], locked[96], *cause = NULL;
	const char *env[] = { path, NULL };
	struct job_spec spec = {
		.argv = argv, .log_path = f->log, .env = env, .umask = -1
	};

	snprintf(dir, sizeof dir, "%s/bin", f->dir);
	snprintf(locked, sizeof locked, "%s/locked", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(mkdir(locked, 0700), 0);
	write_program(locked, "tw-only-here", "#!/bin/sh\necho wrong\n", 0600);
	write_program(
	    dir, "tw-only-here", "printf '%s|' \"found in $0\" \"$@\"\n", 0700);
	snprintf(path, sizeof path, "PATH=/nonexistent:%s::%s", locked, dir);
	if (job_start(f->jobs, &spec, on_done, on_output, f, &cause) == NULL) {
		fail_msg("job_start: %s", cause);
	}
	run_until_done(f);
	assert_int_equal(f->res.exit_code, 0);
	snprintf(
	    path, sizeof path, "found in %s/tw-only-here|one|two words|", dir);
	assert_string_equal(read_stream(f, LOGFMT_STDOUT), path);
	/* The daemon's own PATH is as it was. */
	assert_null(strstr(getenv("PATH"), dir));

	/* Found only where it may not be run: as execvp, EACCES. */
	snprintf(path, sizeof path, "PATH=%s:/nonexistent", locked);
	assert_null(job_start(f->jobs, &spec, on_done, on_output, f, &cause));
	assert_non_null(strstr(cause, "Permission denied"));
	free(cause);
}

static void
test_job_killed_by_a_signal_reports_it(void **state)
{
	struct fixture *f = *state;

	start_sh(f, "kill -SEGV $$", NULL);
	run_until_done(f);
	assert_int_equal(f->res.how, JOB_END_SIGNALED);
	assert_int_equal(f->res.signal, SIGSEGV);
}

static void
test_job_runs_in_its_own_session_with_stdin_closed(void **state)
{
	struct fixture *f = *state;
	char want[64];
	struct job *job;

	job = start_sh(f, "ps -o sid= -p $$ | tr -d ' '; cat; echo eof", NULL);
	snprintf(want, sizeof want, "%ld\neof\n", (long)job_pid(job));
	run_until_done(f);
	assert_string_equal(read_stream(f, LOGFMT_STDOUT), want);
}

static void
test_job_starts_in_the_given_directory(void **state)
{
	struct fixture *f = *state;
	char want[80];

	start_sh(f, "pwd", f->dir);
	run_until_done(f);
	snprintf(want, sizeof want, "%s\n", f->dir);
	assert_string_equal(read_stream(f, LOGFMT_STDOUT), want);
}

static void
test_job_missing_program_fails_to_start_with_reason(void **state)
{
	struct fixture *f = *state;
	const char *argv[] = { "tw-no-such-program", NULL };
	struct job_spec spec = {
		.argv = argv, .log_path = f->log, .umask = -1
	};
	char *cause = NULL;

	assert_null(job_start(f->jobs, &spec, on_done, on_output, f, &cause));
	assert_string_equal(cause,
	    "cannot run 'tw-no-such-program': No such "
	    "file or directory");
	free(cause);
	assert_int_equal(job_list_count(f->jobs), 0);
}

static void
test_job_missing_directory_fails_to_start_with_reason(void **state)
{
	struct fixture *f = *state;
	const char *argv[] = { "true", NULL };
	struct job_spec spec = { .argv = argv,
		.cwd = "/nonexistent/dir",
		.log_path = f->log,
		.umask = -1 };
	char *cause = NULL;

	assert_null(job_start(f->jobs, &spec, on_done, on_output, f, &cause));
	assert_string_equal(cause,
	    "cannot change directory to "
	    "'/nonexistent/dir': No such file or "
	    "directory");
	free(cause);
}

static void
test_job_stop_terms_the_whole_group(void **state)
{
	struct fixture *f = *state;
	struct job *job;

	/* A child of the job that would outlive it keeps the pipe open. */
	job = start_sh(f, "sleep 30 & sleep 30; echo not reached", NULL);
	job_stop(job, 10000);
	run_until_done(f);
	assert_true(f->res.stopped);
	assert_int_equal(f->res.how, JOB_END_SIGNALED);
	assert_int_equal(f->res.signal, SIGTERM);
	assert_string_equal(read_log(f), "");
	assert_int_equal(f->last_seq, 0);
}

static void
test_job_stop_kills_what_ignores_sigterm(void **state)
{
	struct fixture *f = *state;
	struct job *job;

	job = start_sh(f,
	    "trap '' TERM; echo ready; while :; do sleep 1; "
	    "done",
	    NULL);
	/* Only once the trap is set is SIGTERM sure to be ignored. */
	while (strstr(read_log(f), "ready") == NULL) {
		event_base_loop(f->base, EVLOOP_ONCE);
	}
	job_stop(job, 200);
	run_until_done(f);
	assert_true(f->res.stopped);
	assert_int_equal(f->res.signal, SIGKILL);
}

static void
test_job_timeout_stops_it_and_says_so(void **state)
{
	struct fixture *f = *state;
	struct job_spec spec = {
		.umask = -1, .timeout_ms = 100, .kill_grace_ms = 5000
	};

	start_spec(f, &spec, "sleep 30");
	run_until_done(f);
	assert_true(f->res.timed_out);
	assert_true(f->res.stopped);
	assert_int_equal(f->res.signal, SIGTERM);
}

static void
test_job_timeout_kills_what_ignores_sigterm(void **state)
{
	struct fixture *f = *state;
	struct job_spec spec = {
		.umask = -1, .timeout_ms = 300, .kill_grace_ms = 100
	};

	start_spec(f, &spec, "trap '' TERM; while :; do sleep 1; done");
	run_until_done(f);
	assert_true(f->res.timed_out);
	assert_int_equal(f->res.signal, SIGKILL);
}

static void
test_job_output_is_capped_with_a_note(void **state)
{
	struct fixture *f = *state;
	struct job_spec spec = { .umask = -1, .max_output = 1024 };
	char *log;

	/* 1 MiB of output, of which 1 KiB is kept. */
	start_spec(f, &spec, "head -c 1048576 /dev/zero | tr '\\0' x");
	run_until_done(f);
	assert_int_equal(f->res.how, JOB_END_EXITED);
	assert_true(f->res.truncated);
	assert_int_equal(f->res.output_bytes, 1048576);
	log = read_log(f);
	assert_memory_equal(log, "o ", 2);
	assert_int_equal(strspn(log + 2, "x"), 1024);
	assert_string_equal(log + 2 + 1024, "\nT output past 1K discarded\n");
}

/* Its ends of the pipes block: a job writing faster than twd reads waits. */
static void
test_job_writes_more_than_a_pipe_holds_on_both_streams(void **state)
{
	struct fixture *f = *state;

	start_sh(f,
	    "head -c 300000 /dev/zero | tr '\\0' x && "
	    "head -c 300000 /dev/zero | tr '\\0' y >&2",
	    NULL);
	run_until_done(f);
	assert_int_equal(f->res.how, JOB_END_EXITED);
	assert_int_equal(f->res.exit_code, 0);
	assert_int_equal(f->res.output_bytes, 600000);
}

static void
test_job_streams_are_kept_apart_in_order(void **state)
{
	struct fixture *f = *state;

	start_sh(f, "echo one; echo two >&2; echo three", NULL);
	run_until_done(f);
	assert_string_equal(read_stream(f, LOGFMT_STDOUT), "one\nthree\n");
	assert_string_equal(read_stream(f, LOGFMT_STDERR), "two\n");
	/* Each record was reported as it was logged, and in the same order. */
	assert_int_equal(f->last_seq, 3);
	assert_non_null(strstr(f->seen, "stdout:one\n"));
	assert_non_null(strstr(f->seen, "stderr:two\n"));
	assert_true(strstr(f->seen, "stdout:one\n") <
	    strstr(f->seen, "stdout:three\n"));
}

static void
test_job_unended_and_long_lines_come_back_whole(void **state)
{
	struct fixture *f = *state;
	char want[20000];

	/* 20,000 bytes on one line: three records, the last one a piece. */
	start_sh(
	    f, "head -c 20000 /dev/zero | tr '\\0' y; printf 'tail' >&2", NULL);
	run_until_done(f);
	memset(want, 'y', sizeof want);
	assert_int_equal(strlen(read_stream(f, LOGFMT_STDOUT)), sizeof want);
	assert_memory_equal(read_stream(f, LOGFMT_STDOUT), want, sizeof want);
	assert_string_equal(read_stream(f, LOGFMT_STDERR), "tail");
	assert_non_null(strstr(read_log(f), "e tail\n"));
	assert_int_equal(f->last_seq, 4);
}

static void
test_job_a_waiting_piece_of_a_line_is_logged(void **state)
{
	struct fixture *f = *state;
	struct job *job;

	/* A prompt with no newline shows up while the job still runs. */
	job = start_sh(f, "printf 'continue? '; sleep 30", NULL);
	while (strstr(read_log(f), "o continue? \n") == NULL) {
		event_base_loop(f->base, EVLOOP_ONCE);
	}
	assert_int_equal(f->done, 0);
	job_stop(job, 1000);
	run_until_done(f);
}

static void
collect_tail(const struct logfmt_record *rec, uint64_t seq, void *arg)
{
	char *out = arg;
	size_t used = strlen(out);

	snprintf(out + used, 4096 - used, "%llu=%.*s ", (unsigned long long)seq,
	    (int)rec->len, rec->text);
}

static void
test_job_keeps_the_last_lines_in_memory(void **state)
{
	struct fixture *f = *state;
	char got[4096] = "", want[4096] = "";
	struct job *job;
	size_t used = 0;
	int i;

	job = start_sh(f, "seq 1 250; echo done; sleep 30", NULL);
	while (strstr(read_log(f), "O done\n") == NULL) {
		event_base_loop(f->base, EVLOOP_ONCE);
	}
	job_tail(job, collect_tail, got);
	for (i = 252 - JOB_TAIL_LINES; i <= 250; i++) {
		used += (size_t)snprintf(
		    want + used, sizeof want - used, "%d=%d ", i, i);
	}
	snprintf(want + used, sizeof want - used, "251=done ");
	assert_string_equal(got, want);
	job_stop(job, 1000);
	run_until_done(f);
}

static void
test_job_limits_umask_nice_and_env_apply(void **state)
{
	struct fixture *f = *state;
	const struct job_limit limits[] = { { RLIMIT_NOFILE, 64, "nofile" },
		{ RLIMIT_CORE, 0, "core" } };
	const char *env[] = { "ONLY=this", NULL };
	struct job_spec spec = { .umask = 077,
		.nice = 5,
		.limits = limits,
		.nlimits = 2,
		.env = env,
		.env_clear = 1 };

	start_spec(f, &spec,
	    "ulimit -n; ulimit -c; umask; cut -d' ' -f19 /proc/$$/stat; "
	    "env | grep -v '^PWD=' | sort");
	run_until_done(f);
	assert_string_equal(
	    read_stream(f, LOGFMT_STDOUT), "64\n0\n0077\n5\nONLY=this\n");
}

static void
test_job_records_cpu_time_and_memory(void **state)
{
	struct fixture *f = *state;
	struct job_spec spec = { .umask = -1 };

	/* Busy for a while: some CPU time must show. */
	start_spec(
	    f, &spec, "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done");
	run_until_done(f);
	assert_true(f->res.cpu_user_ms + f->res.cpu_sys_ms > 0);
	assert_true(f->res.max_rss_kb > 0);
}

/*
 * A small job started after the starter's memory peaked records its own
 * peak, not the starter's: the kernel starts a child's ru_maxrss from the
 * high-water mark of the memory it was started from.
 */
static void
test_job_peak_memory_is_its_own_not_the_daemons(void **state)
{
	struct fixture *f = *state;
	struct job_spec spec = { .umask = -1 };
	size_t big = (size_t)256 << 20, i;
	char *p;

	p = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	    -1, 0);
	assert_true(p != MAP_FAILED);
	for (i = 0; i < big; i += 4096) {
		p[i] = 1;
	}
	munmap(p, big);
	start_spec(f, &spec, "exit 0");
	run_until_done(f);
	assert_true(f->res.max_rss_kb > 0);
	/* Well under the 256 MiB peak (the sanitizers' own memory aside). */
	assert_true(f->res.max_rss_kb < 128 * 1024);
}

/*
 * A step before exec that fails is named: nice below 0 without the
 * privilege (a child of the test drops root's first, when it has it).
 */
static void
test_job_start_failure_names_the_step(void **state)
{
	struct fixture *f = *state;
	const char *argv[] = { "true", NULL };
	struct job_spec spec = {
		.argv = argv, .log_path = f->log, .umask = -1, .nice = -5
	};
	char buf[512] = "", *cause = NULL;
	struct job_list *jl;
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	if ((pid = fork()) == 0) {
		close(fds[0]);
		if (geteuid() == 0 && setresuid(65534, 65534, 65534) == -1) {
			_exit(2);
		}
		jl = job_list_create(f->base);
		if (job_start(jl, &spec, on_done, on_output, f, &cause) ==
		        NULL &&
		    write(fds[1], cause, strlen(cause)) == -1) {
			_exit(3);
		}
		_exit(0);
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_string_equal(buf,
	    "cannot set nice to -5: Permission denied (a negative nice needs "
	    "privilege: CAP_SYS_NICE or RLIMIT_NICE)");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* A process in a session (and group) of its own with env, as a job is. */
static pid_t
spawn_orphan(const char *env)
{
	char sleep[] = "sleep", secs[] = "30", *argv[] = { sleep, secs, NULL };
	char *envp[] = { (char *)env, NULL };
	posix_spawnattr_t attr;
	pid_t pid;

	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
	assert_int_equal(
	    posix_spawn(&pid, "/bin/sleep", NULL, &attr, argv, envp), 0);
	posix_spawnattr_destroy(&attr);
	return pid;
}

/* Only a group with the run's marker in its environment is killed. */
static void
test_job_orphan_kill_checks_the_marker(void **state)
{
	pid_t ours = spawn_orphan("TW_RUN_ID=42"), other;
	int status;

	(void)state;
	other = spawn_orphan("TW_RUN_ID=420");
	assert_int_equal(job_orphan_kill(other, "TW_RUN_ID=42"), 0);
	assert_int_equal(job_orphan_kill(ours, "TW_RUN_ID=42"), 1);
	assert_int_equal(waitpid(ours, &status, 0), ours);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(waitpid(other, &status, WNOHANG), 0);
	kill(other, SIGKILL);
	waitpid(other, &status, 0);
	/* Gone: nothing to kill. */
	assert_int_equal(job_orphan_kill(ours, "TW_RUN_ID=42"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_job_output_and_exit_status_are_captured),
		T(test_job_that_writes_nothing_leaves_no_log),
		T(test_job_log_makes_its_directory),
		T(test_job_writes_more_than_a_pipe_holds_on_both_streams),
		T(test_job_whose_log_cannot_be_made_runs_and_says_why),
		T(test_job_environment_is_the_daemons_with_its_own_over_it),
		T(test_job_program_is_found_in_the_jobs_path),
		T(test_job_killed_by_a_signal_reports_it),
		T(test_job_runs_in_its_own_session_with_stdin_closed),
		T(test_job_starts_in_the_given_directory),
		T(test_job_missing_program_fails_to_start_with_reason),
		T(test_job_missing_directory_fails_to_start_with_reason),
		T(test_job_stop_terms_the_whole_group),
		T(test_job_stop_kills_what_ignores_sigterm),
		T(test_job_timeout_stops_it_and_says_so),
		T(test_job_timeout_kills_what_ignores_sigterm),
		T(test_job_output_is_capped_with_a_note),
		T(test_job_streams_are_kept_apart_in_order),
		T(test_job_unended_and_long_lines_come_back_whole),
		T(test_job_a_waiting_piece_of_a_line_is_logged),
		T(test_job_keeps_the_last_lines_in_memory),
		T(test_job_limits_umask_nice_and_env_apply),
		T(test_job_records_cpu_time_and_memory),
		T(test_job_peak_memory_is_its_own_not_the_daemons),
		T(test_job_start_failure_names_the_step),
		T(test_job_orphan_kill_checks_the_marker),
	};

	return cmocka_run_group_tests_name("job", tests, NULL, NULL);
}
