/*
 * The floors the daemon benchmarks are measured against, in the same run:
 *
 *	floors spawn N [P]
 *	                  posix_spawn + waitpid of /bin/true, N times, one
 *	                  after the other: the ceiling of job dispatch; with
 *	                  P, as P such loops side by side, N in all: the
 *	                  ceiling of running P jobs at once
 *	floors ask SOCKET connects, writes one status request, reads the
 *	                  reply's line, exits: the least a command-line
 *	                  client of the daemon can cost
 *	floors echo SOCKET
 *	                  answers each line of each client with the line: the
 *	                  least a server in another process can cost
 *	floors timer N PHASE_MS FILE
 *	                  the floor of schedule lateness: sleeps on a
 *	                  CLOCK_REALTIME timerfd to each of the next N whole
 *	                  seconds, and to each plus PHASE_MS, and at each
 *	                  instant posix_spawns "floors stamp FILE" as a
 *	                  scheduler would its job
 *	floors parse FILE libyaml parsing FILE into events, and nothing
 *	                  else: the floor of loading a tasks file
 *	floors stamp FILE the job of both: appends "TW_TASK lateness_us
 *	                  phase_ms" to FILE: its clock less the due instant
 *	                  that TW_SCHEDULED_AT gives (as twd sets it), and
 *	                  the instant's milliseconds
 *
 * spawn and parse print the seconds they took on stdout.
 */
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>

extern char **environ;

static int64_t
realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* TW_SCHEDULED_AT, "YYYY-MM-DDTHH:MM:SS.mmmZ", in microseconds. */
static int64_t
scheduled_us(const char *s)
{
	struct tm tm;
	const char *p;
	int ms = 0;

	memset(&tm, 0, sizeof tm);
	if (s == NULL || (p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL) {
		return -1;
	}
	if (*p == '.') {
		ms = atoi(p + 1);
	}
	return ((int64_t)timegm(&tm) * 1000 + ms) * 1000;
}

static int
stamp(const char *file)
{
	int64_t now = realtime_us(), due;
	const char *task = getenv("TW_TASK");
	char line[256];
	int fd, n;

	if ((due = scheduled_us(getenv("TW_SCHEDULED_AT"))) < 0) {
		fprintf(stderr, "floors stamp: no TW_SCHEDULED_AT\n");
		return 1;
	}
	n = snprintf(line, sizeof line, "%s %lld %lld\n",
	    task != NULL ? task : "?", (long long)(now - due),
	    (long long)(due / 1000 % 1000));
	if ((fd = open(file, O_WRONLY | O_CREAT | O_APPEND, 0600)) == -1 ||
	    write(fd, line, (size_t)n) != n) {
		perror(file);
		return 1;
	}
	close(fd);
	return 0;
}

/* Spawn the stamp for the instant at_ms, as task, without waiting. */
static int
timer_spawn(char *self, char *file, const char *task, int64_t at_ms)
{
	char *argv[] = { self, (char *)"stamp", file, NULL };
	char when[64], tw_task[64], *env[] = { when, tw_task, NULL };
	struct tm tm;
	time_t t = (time_t)(at_ms / 1000);
	pid_t pid;

	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "TW_SCHEDULED_AT=%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + strlen(when), sizeof when - strlen(when), ".%03dZ",
	    (int)(at_ms % 1000));
	snprintf(tw_task, sizeof tw_task, "TW_TASK=%s", task);
	return posix_spawn(&pid, self, NULL, NULL, argv, env) == 0 ? 0 : -1;
}

static int
timer(char *self, long n, long phase_ms, char *file)
{
	struct itimerspec its;
	int64_t base, at[2];
	uint64_t expirations;
	long i;
	int fd, k;

	/* The children are not waited for, as a daemon reaps later. */
	signal(SIGCHLD, SIG_IGN);
	if ((fd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC)) == -1) {
		perror("timerfd_create");
		return 1;
	}
	base = realtime_us() / 1000000 + 1;
	for (i = 0; i < n; i++) {
		at[0] = (base + i) * 1000;
		at[1] = at[0] + phase_ms;
		for (k = 0; k < 2; k++) {
			memset(&its, 0, sizeof its);
			its.it_value.tv_sec = (time_t)(at[k] / 1000);
			its.it_value.tv_nsec = (long)(at[k] % 1000) * 1000000;
			if (timerfd_settime(
			        fd, TFD_TIMER_ABSTIME, &its, NULL) == -1 ||
			    read(fd, &expirations, sizeof expirations) == -1 ||
			    timer_spawn(self, file,
			        k == 0 ? "floor-cron" : "floor-every",
			        at[k]) == -1) {
				perror("floors timer");
				return 1;
			}
		}
	}
	return 0;
}

static int
unix_socket(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	snprintf(sun->sun_path, sizeof sun->sun_path, "%s", path);
	return socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

static int
ask(const char *path)
{
	static const char req[] = "{\"id\":1,\"cmd\":\"status\"}\n";
	struct sockaddr_un sun;
	char buf[65536];
	ssize_t n;
	int fd = unix_socket(path, &sun);

	if (fd == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    write(fd, req, sizeof req - 1) != (ssize_t)(sizeof req - 1)) {
		perror(path);
		return 1;
	}
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		if (memchr(buf, '\n', (size_t)n) != NULL) {
			return 0;
		}
	}
	return 1;
}

static int
echo(const char *path)
{
	struct sockaddr_un sun;
	char buf[65536];
	ssize_t n;
	int fd = unix_socket(path, &sun), c;

	unlink(path);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    listen(fd, 16) == -1) {
		perror(path);
		return 1;
	}
	while ((c = accept(fd, NULL, NULL)) != -1) {
		while ((n = read(c, buf, sizeof buf)) > 0) {
			if (write(c, buf, (size_t)n) != n) {
				break;
			}
		}
		close(c);
	}
	return 0;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
parse(const char *path)
{
	yaml_parser_t parser;
	yaml_event_t event;
	double t0 = now_s();
	FILE *fp = fopen(path, "r");
	int end;

	if (fp == NULL) {
		perror(path);
		return 1;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, fp);
	do {
		if (!yaml_parser_parse(&parser, &event)) {
			fprintf(stderr, "%s: %s\n", path, parser.problem);
			return 1;
		}
		end = event.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&event);
	} while (!end);
	yaml_parser_delete(&parser);
	fclose(fp);
	printf("%.6f\n", now_s() - t0);
	return 0;
}

/* Spawn argv n times, one after the other. */
static int
spawn_n(long n, char **argv)
{
	pid_t pid;
	long i;
	int status;

	for (i = 0; i < n; i++) {
		if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) !=
		        0 ||
		    waitpid(pid, &status, 0) != pid) {
			perror(argv[0]);
			return 1;
		}
	}
	return 0;
}

/*
 * n spawns, by p loops side by side (each in a process of its own, the
 * first p - 1 a job more if n does not divide); the seconds it took.
 */
static int
spawn_loops(long n, long p, char **argv)
{
	double t0 = now_s();
	pid_t pid;
	long i;
	int status, failed = 0;

	for (i = 0; i < p - 1; i++) {
		if ((pid = fork()) == -1) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			_exit(spawn_n(n / p + (i < n % p), argv));
		}
	}
	failed = spawn_n(n / p, argv);
	while (wait(&status) != -1) {
		failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	}
	if (failed) {
		return 1;
	}
	printf("%.6f\n", now_s() - t0);
	return 0;
}

int
main(int argc, char **argv)
{
	char *true_argv[] = { (char *)"/bin/true", NULL };
	const char *mode = argc > 1 ? argv[1] : "";
	long n = argc > 2 ? atol(argv[2]) : 0, p;

	if (argc == 3 && strcmp(mode, "stamp") == 0) {
		return stamp(argv[2]);
	}
	if (argc == 3 && strcmp(mode, "parse") == 0) {
		return parse(argv[2]);
	}
	if (argc == 3 && strcmp(mode, "ask") == 0) {
		return ask(argv[2]);
	}
	if (argc == 3 && strcmp(mode, "echo") == 0) {
		return echo(argv[2]);
	}
	if (argc == 5 && strcmp(mode, "timer") == 0) {
		return timer(argv[0], n, atol(argv[3]), argv[4]);
	}
	if ((argc == 3 || argc == 4) && n > 0 && strcmp(mode, "spawn") == 0) {
		p = argc == 4 ? atol(argv[3]) : 1;
		if (p < 1 || p > n) {
			fprintf(stderr, "floors: spawn: P must be 1 to N\n");
			return 2;
		}
		return spawn_loops(n, p, true_argv);
	}
	fprintf(stderr,
	    "usage: floors spawn N [P] | "
	    "ask|echo SOCKET | timer N PHASE_MS FILE | parse|stamp FILE\n");
	return 2;
}
