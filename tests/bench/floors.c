/*
 * The floors the daemon benchmarks are measured against, in the same run:
 *
 *	floors spawn N    posix_spawn + waitpid of /bin/true, N times, one
 *	                  after the other: the ceiling of job dispatch
 *	floors exec N     fork + exec + wait of "floors nothing": the least
 *	                  a command-line client can cost
 *	floors nothing    exits at once
 *
 * Each prints the seconds it took on stdout.
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	char *true_argv[] = { (char *)"true", NULL };
	char *self_argv[] = { argv[0], (char *)"nothing", NULL };
	long n = argc > 2 ? atol(argv[2]) : 0, i;
	double t0;
	pid_t pid;
	int status;

	if (argc >= 2 && strcmp(argv[1], "nothing") == 0) {
		return 0;
	}
	if (argc != 3 || n < 1) {
		fprintf(stderr, "usage: floors spawn|exec N\n");
		return 2;
	}
	t0 = now_s();
	for (i = 0; i < n; i++) {
		if (strcmp(argv[1], "spawn") == 0) {
			if (posix_spawn(&pid, "/bin/true", NULL, NULL, true_argv,
			        environ) != 0) {
				return 1;
			}
		} else if (posix_spawn(&pid, argv[0], NULL, NULL, self_argv,
		               environ) != 0) {
			return 1;
		}
		if (waitpid(pid, &status, 0) != pid) {
			return 1;
		}
	}
	printf("%.6f\n", now_s() - t0);
	return 0;
}
