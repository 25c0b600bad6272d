/*
 * Unit tests for runs on an ssh executor: the ssh command line, and the
 * line it hands the remote shell, run here by sh as sshd would run it.
 */
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

#include "remote.h"
#include "tmpdir.h"
#include "xmalloc.h"

static const struct executor_def nas = {
	.name = (char *)"nas",
	.type = EXECUTOR_SSH,
	.host = (char *)"nas.lan",
	.user = (char *)"me",
	.identity = (char *)"/keys/id",
	.port = 2222,
};

/* How many words argv has. */
static size_t
words(char **argv)
{
	size_t n = 0;

	while (argv[n] != NULL) {
		n++;
	}
	return n;
}

/* The index of word w in argv, or -1. */
static int
word_at(char **argv, const char *w)
{
	size_t i;

	for (i = 0; argv[i] != NULL; i++) {
		if (strcmp(argv[i], w) == 0) {
			return (int)i;
		}
	}
	return -1;
}

static void
test_remote_quote_survives_the_shell(void **state)
{
	char *q = remote_quote("it's $HOME");

	(void)state;
	assert_string_equal(q, "'it'\\''s $HOME'");
	free(q);
}

static void
test_remote_ssh_command_line(void **state)
{
	static char *opts[] = { (char *)"ControlPersist=10m",
		(char *)"ServerAliveInterval=5", NULL };
	static const char *const run[] = { "true", NULL };
	struct executor_def ex = nas;
	struct remote_run r = { 0 };
	char *cause = NULL, **argv;
	size_t n;

	(void)state;
	ex.options = opts;
	r.ex = &ex;
	r.control_dir = "/state/ssh";
	r.key = "k-1";
	r.argv = run;
	r.umask = -1;
	argv = remote_ssh_argv(&r, &cause);
	assert_non_null(argv);
	n = words(argv);
	assert_string_equal(argv[0], "ssh");
	assert_int_not_equal(word_at(argv, "BatchMode=yes"), -1);
	/* ssh takes an option's first value: the user's come first. */
	assert_true(word_at(argv, "ControlPersist=10m") <
	    word_at(argv, "ControlPersist=60"));
	assert_int_not_equal(word_at(argv, "ControlPath=/state/ssh/nas"), -1);
	assert_string_equal(argv[word_at(argv, "-p") + 1], "2222");
	assert_string_equal(argv[word_at(argv, "-i") + 1], "/keys/id");
	assert_string_equal(argv[word_at(argv, "-l") + 1], "me");
	/* The host after --, then the one line for the remote shell. */
	assert_string_equal(argv[n - 3], "--");
	assert_string_equal(argv[n - 2], "nas.lan");
	assert_non_null(strstr(argv[n - 1], "'k-1'"));
	strv_free(argv);
}

static void
test_remote_control_path_too_long_is_said(void **state)
{
	static const char *const run[] = { "true", NULL };
	struct remote_run r = { 0 };
	char dir[200], *cause = NULL;

	(void)state;
	memset(dir, 'd', sizeof dir - 1);
	dir[0] = '/';
	dir[sizeof dir - 1] = '\0';
	r.ex = &nas;
	r.control_dir = dir;
	r.key = "k";
	r.argv = run;
	assert_null(remote_ssh_argv(&r, &cause));
	assert_non_null(strstr(cause, "too long for a socket"));
	free(cause);
}

/*
 * Run the remote line of r with sh, as sshd would in the account's home
 * (home): its output into out (len bytes); returns its exit status.
 */
static int
run_there(const struct remote_run *r, const char *home, char *out, size_t len)
{
	char *cause = NULL, **argv, *cmd;
	size_t n;
	FILE *fp;
	int st;

	argv = remote_ssh_argv(r, &cause);
	assert_non_null(argv);
	assert_int_equal(setenv("HOME", home, 1), 0);
	assert_int_equal(chdir(home), 0);
	cmd = xasprintf("%s 2>&1", argv[words(argv) - 1]);
	fp = popen(cmd, "r");
	assert_non_null(fp);
	n = fread(out, 1, len - 1, fp);
	out[n] = '\0';
	st = pclose(fp);
	free(cmd);
	strv_free(argv);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
test_remote_line_runs_the_words_as_given(void **state)
{
	static const char *const run[] = { "sh", "-c",
		"printf '%s|' \"$@\" \"$X\" \"$(pwd)\" \"$(umask)\"; "
		"[ -e \"$HOME/.cache/taskweaver/runs/k-1\" ] && echo held",
		"sh", "a b", "it's", "$HOME", "*", "", NULL };
	static const char *const env[] = { "X=one 'two'", NULL };
	struct remote_run r = { 0 };
	char home[64], out[512], *sub, *want, *cwd = getcwd(NULL, 0);

	(void)state;
	assert_int_equal(tmpdir_create(home, sizeof home, "remote"), 0);
	sub = xasprintf("%s/work dir", home);
	assert_int_equal(mkdir(sub, 0700), 0);
	r.ex = &nas;
	r.control_dir = "/state/ssh";
	r.key = "k-1";
	r.argv = run;
	r.env = env;
	r.cwd = "work dir"; /* from the account's home */
	r.umask = 027;
	assert_int_equal(run_there(&r, home, out, sizeof out), 0);
	want = xasprintf("a b|it's|$HOME|*||one 'two'|%s|0027|held\n", sub);
	assert_string_equal(out, want);
	/* Its process group's file is gone with it. */
	free(want);
	want = xasprintf("%s/.cache/taskweaver/runs/k-1", home);
	assert_int_equal(access(want, F_OK), -1);
	free(want);
	free(sub);
	assert_int_equal(chdir(cwd), 0);
	free(cwd);
	tmpdir_remove(home);
}

static void
test_remote_line_keeps_255_for_ssh(void **state)
{
	static const char *const exit3[] = { "sh", "-c", "exit 3", NULL };
	static const char *const exit255[] = { "sh", "-c", "exit 255", NULL };
	static const char *const clear[] = { "sh", "-c",
		"echo \"${X-unset} $HOME\"", NULL };
	struct remote_run r = { 0 };
	char home[64], out[256], *want, *cwd = getcwd(NULL, 0);

	(void)state;
	assert_int_equal(tmpdir_create(home, sizeof home, "remote"), 0);
	r.ex = &nas;
	r.control_dir = "/state/ssh";
	r.key = "k-2";
	r.umask = -1;
	r.argv = exit3;
	assert_int_equal(run_there(&r, home, out, sizeof out), 3);
	r.argv = exit255;
	assert_int_equal(run_there(&r, home, out, sizeof out), 254);
	/* env_clear: only the account's essentials, and the run's env. */
	assert_int_equal(setenv("X", "from-sshd", 1), 0);
	r.argv = clear;
	r.env_clear = 1;
	assert_int_equal(run_there(&r, home, out, sizeof out), 0);
	want = xasprintf("unset %s\n", home);
	assert_string_equal(out, want);
	free(want);
	unsetenv("X");
	assert_int_equal(chdir(cwd), 0);
	free(cwd);
	tmpdir_remove(home);
}

static void
test_remote_ssh_words_on_failing(void **state)
{
	(void)state;
	assert_true(
	    remote_ssh_unreached("me@nas.lan: Permission denied (publickey)."));
	assert_true(remote_ssh_unreached(
	    "ssh: connect to host nas.lan port 22: Connection refused"));
	assert_true(remote_ssh_unreached(
	    "ssh: Could not resolve hostname nas.lan: Name or service not "
	    "known"));
	assert_true(remote_ssh_unreached("Host key verification failed."));
	assert_false(remote_ssh_unreached(
	    "Connection to nas.lan closed by remote host."));
	assert_false(
	    remote_ssh_unreached("client_loop: send disconnect: Broken pipe"));
}

static void
test_remote_srun_asks_for_the_resources(void **state)
{
	static char *args[] = { (char *)"--qos=normal", NULL };
	static const char *const run[] = { "python3", "train.py", NULL };
	struct executor_def ex = { .name = (char *)"hpc",
		.type = EXECUTOR_SLURM,
		.partition = (char *)"short",
		.account = (char *)"proj1",
		.args = args };
	struct task_policy p = { .res_mcpus = 8000,
		.res_memory = (int64_t)32 << 30,
		.res_gpus = 1,
		.res_time_ms = 4 * 3600 * 1000 + 1 };
	struct slurm_run r = { &ex, "tw-train-7", run, &p, "/state/id" };
	char **argv = remote_srun_argv(&r);
	int dash;

	(void)state;
	assert_string_equal(argv[0], "srun");
	assert_int_not_equal(word_at(argv, "--job-name=tw-train-7"), -1);
	assert_int_not_equal(word_at(argv, "--partition=short"), -1);
	assert_int_not_equal(word_at(argv, "--account=proj1"), -1);
	assert_int_not_equal(word_at(argv, "--cpus-per-task=8"), -1);
	assert_int_not_equal(word_at(argv, "--mem=32768M"), -1);
	assert_int_not_equal(word_at(argv, "--gpus=1"), -1);
	/* Minutes, rounded up: 4h and a millisecond is 241. */
	assert_int_not_equal(word_at(argv, "--time=241"), -1);
	dash = word_at(argv, "--");
	assert_true(word_at(argv, "--qos=normal") < dash);
	/* The job says its id first, then is the program itself. */
	assert_string_equal(argv[dash + 4], "/state/id");
	assert_string_equal(argv[dash + 5], "python3");
	assert_string_equal(argv[dash + 6], "train.py");
	assert_null(argv[dash + 7]);
	strv_free(argv);
}

static void
test_remote_slurm_words_on_ending(void **state)
{
	(void)state;
	assert_int_equal(remote_slurm_end("slurmstepd-vm: error: *** STEP "
	                                  "1.0 ON vm CANCELLED AT "
	                                  "2026-12-04T14:56:26 DUE TO TIME "
	                                  "LIMIT ***"),
	    SLURM_END_TIME);
	assert_int_equal(remote_slurm_end("slurmstepd: error: Detected 1 "
	                                  "oom-kill event(s) in StepId=4.0"),
	    SLURM_END_MEMORY);
	assert_int_equal(remote_slurm_end("*** JOB 5 ON n1 CANCELLED AT "
	                                  "2026-12-04T10:00:00 DUE TO NODE "
	                                  "FAILURE ***"),
	    SLURM_END_NODE);
	assert_int_equal(remote_slurm_end("slurmstepd: error: *** STEP 6.0 "
	                                  "ON n1 CANCELLED AT "
	                                  "2026-12-04T10:00:00 ***"),
	    SLURM_END_CANCEL);
	assert_int_equal(remote_slurm_end("srun: error: vm: task 0: Exited "
	                                  "with exit code 3"),
	    SLURM_END_OWN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remote_quote_survives_the_shell),
		cmocka_unit_test(test_remote_ssh_command_line),
		cmocka_unit_test(test_remote_control_path_too_long_is_said),
		cmocka_unit_test(test_remote_line_runs_the_words_as_given),
		cmocka_unit_test(test_remote_line_keeps_255_for_ssh),
		cmocka_unit_test(test_remote_ssh_words_on_failing),
		cmocka_unit_test(test_remote_srun_asks_for_the_resources),
		cmocka_unit_test(test_remote_slurm_words_on_ending),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
