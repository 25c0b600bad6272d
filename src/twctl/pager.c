/*
 * The pager of pager.h: a child reading a pipe that becomes twctl's
 * standard output; at exit the pipe is closed and the pager waited for, so
 * the shell's prompt comes back after it, not under it.
 */
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pager.h"

static int pager_off;
static pid_t pager_pid = -1;

void
pager_disable(void)
{
	pager_off = 1;
}

static void
pager_wait(void)
{
	int status;

	fflush(stdout);
	close(STDOUT_FILENO);
	while (waitpid(pager_pid, &status, 0) == -1 && errno == EINTR) {
		;
	}
}

void
pager_start(void)
{
	const char *pager = getenv("TW_PAGER");
	int p[2];
	pid_t pid;

	if (pager_off || pager_pid != -1 || !isatty(STDOUT_FILENO)) {
		return;
	}
	if (pager == NULL) {
		pager = getenv("PAGER");
	}
	if (pager == NULL) {
		pager = "less";
	}
	if (pager[strspn(pager, " \t")] == '\0' || strcmp(pager, "cat") == 0 ||
	    pipe(p) == -1) {
		return;
	}
	fflush(stdout);
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return;
	}
	if (pid == 0) {
		dup2(p[0], STDIN_FILENO);
		close(p[0]);
		close(p[1]);
		setenv("LESS", "FRX", 0);
		execl("/bin/sh", "sh", "-c", pager, (char *)NULL);
		fprintf(stderr, "twctl: cannot run the pager '%s': %s\n", pager,
		    strerror(errno));
		_exit(127);
	}
	close(p[0]);
	dup2(p[1], STDOUT_FILENO);
	close(p[1]);
	/*
	 * A pager quit before all was read (q in less) is no failure: what
	 * is left is not written, and twctl ends with its own status, not
	 * killed by SIGPIPE (as git does).
	 */
	signal(SIGPIPE, SIG_IGN);
	pager_pid = pid;
	atexit(pager_wait);
}
