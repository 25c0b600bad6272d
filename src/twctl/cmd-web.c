/*
 * twctl web: start twweb (the web page and HTTP API) in the background
 * and say where it is; stop it; make and list its tokens. twweb does the
 * work; this starts it for the user, as systemctl --user would.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "paths.h"
#include "xmalloc.h"

/* How long twweb may take to say where it serves. */
#define WEB_START_MS 10000

static const struct option cmd_web_longopts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "open", no_argument, NULL, 'o' },
	{ "insecure-listen", no_argument, NULL, 'I' },
	{ "tls-cert", required_argument, NULL, 'C' },
	{ "tls-key", required_argument, NULL, 'K' },
	{ "read-only", no_argument, NULL, 'r' },
	{ "name", required_argument, NULL, 'n' },
	{ NULL, 0, NULL, 0 },
};

/* STATE/web, where twweb keeps its tokens, pid and log (caller frees). */
static char *
web_dir(void)
{
	char *state = paths_state_dir(NULL), *dir;

	dir = xasprintf("%s/web", state);
	free(state);
	return dir;
}

/* Run twweb with argv[1..] and wait: its exit status. */
static int
web_run(const char *const argv[])
{
	char prog[PATH_MAX];
	const char *path = cmd_sibling("twweb", prog, sizeof prog);
	int status;
	pid_t pid;

	if ((pid = fork()) == -1) {
		fprintf(stderr, "twctl: fork: %s\n", strerror(errno));
		return EXIT_FAIL;
	}
	if (pid == 0) {
		/* execvp's argv is char *const[], though it writes none. */
		execvp(path, (char *const *)argv);
		fprintf(stderr, "twctl: cannot run %s: %s\n", path,
		    strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR) {
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? EXIT_OK
	                                                     : EXIT_FAIL;
}

static int
web_token(struct cmd_ctx *ctx)
{
	const char *name = ctx->opt['n'] != NULL ? ctx->opt['n'] : NULL;
	const char *argv[6];
	char generated[64];
	int n = 0;

	if (name == NULL) {
		snprintf(
		    generated, sizeof generated, "token-%ld", (long)time(NULL));
		name = generated;
	}
	argv[n++] = "twweb";
	argv[n++] = "--new-token";
	argv[n++] = name;
	if (ctx->opt['r'] != NULL) {
		argv[n++] = "--read-only";
	}
	argv[n] = NULL;
	fprintf(stderr,
	    "twctl: the %stoken '%s', shown this once (twweb keeps its "
	    "hash only):\n",
	    ctx->opt['r'] != NULL ? "read-only " : "", name);
	return web_run(argv);
}

/* The pid twweb wrote, when it runs; else 0. */
static pid_t
web_pid(const char *dir)
{
	char *path = xasprintf("%s/twweb.pid", dir);
	long pid = 0;
	FILE *fp;

	if ((fp = fopen(path, "re")) != NULL) {
		if (fscanf(fp, "%ld", &pid) != 1 || pid <= 0 ||
		    kill((pid_t)pid, 0) == -1) {
			pid = 0;
		}
		fclose(fp);
	}
	free(path);
	return (pid_t)pid;
}

static int
web_stop(void)
{
	char *dir = web_dir();
	pid_t pid = web_pid(dir);
	int i;

	free(dir);
	if (pid == 0) {
		fprintf(stderr, "twctl: twweb is not running\n");
		return EXIT_FAIL;
	}
	kill(pid, SIGTERM);
	for (i = 0; i < 100 && kill(pid, 0) == 0; i++) {
		usleep(50000);
	}
	printf("twweb (pid %ld) stopped\n", (long)pid);
	return EXIT_OK;
}

/* Start twweb detached, its log in STATE/web/twweb.log; print its URL. */
static int
web_start(struct cmd_ctx *ctx)
{
	char prog[PATH_MAX], line[512], *dir = web_dir(), *log;
	const char *path = cmd_sibling("twweb", prog, sizeof prog);
	const char *argv[16];
	struct pollfd pfd;
	size_t got = 0;
	ssize_t r;
	int p[2], fd, n = 0, status;
	pid_t pid;

	if ((pid = web_pid(dir)) != 0) {
		fprintf(stderr,
		    "twctl: twweb already runs (pid %ld); twctl web stop "
		    "stops it\n",
		    (long)pid);
		free(dir);
		return EXIT_FAIL;
	}
	argv[n++] = "twweb";
	if (ctx->opt['l'] != NULL) {
		argv[n++] = "--listen";
		argv[n++] = ctx->opt['l'];
	}
	if (ctx->opt['I'] != NULL) {
		argv[n++] = "--insecure-listen";
	}
	if (ctx->opt['C'] != NULL) {
		argv[n++] = "--tls-cert";
		argv[n++] = ctx->opt['C'];
	}
	if (ctx->opt['K'] != NULL) {
		argv[n++] = "--tls-key";
		argv[n++] = ctx->opt['K'];
	}
	if (ctx->socket_flag != NULL) {
		argv[n++] = "--socket";
		argv[n++] = ctx->socket_flag;
	}
	argv[n] = NULL;
	if (paths_make_private_dir(dir, &log) == -1) {
		fprintf(stderr, "twctl: %s\n", log);
		free(log);
		free(dir);
		return EXIT_FAIL;
	}
	log = xasprintf("%s/twweb.log", dir);
	free(dir);
	if (pipe(p) == -1 || (pid = fork()) == -1) {
		fprintf(stderr, "twctl: %s\n", strerror(errno));
		free(log);
		return EXIT_FAIL;
	}
	if (pid == 0) {
		/* Its own session: it outlives this terminal. */
		setsid();
		dup2(p[1], STDOUT_FILENO);
		close(p[0]);
		close(p[1]);
		if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		         0600)) != -1) {
			dup2(fd, STDERR_FILENO);
		}
		if ((fd = open("/dev/null", O_RDONLY)) != -1) {
			dup2(fd, STDIN_FILENO);
		}
		execvp(path, (char *const *)argv);
		fprintf(stderr, "twctl: cannot run %s: %s\n", path,
		    strerror(errno));
		_exit(127);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	while (got < sizeof line - 1 && memchr(line, '\n', got) == NULL &&
	    poll(&pfd, 1, WEB_START_MS) > 0 &&
	    (r = read(p[0], line + got, sizeof line - 1 - got)) > 0) {
		got += (size_t)r;
	}
	close(p[0]);
	line[got] = '\0';
	if (got == 0 || strchr(line, '\n') == NULL) {
		if (waitpid(pid, &status, WNOHANG) == 0) {
			kill(pid, SIGTERM);
		}
		fprintf(stderr, "twctl: twweb did not start; see %s\n", log);
		free(log);
		return EXIT_FAIL;
	}
	*strchr(line, '\n') = '\0';
	if (strstr(line, "#token=") != NULL) {
		printf("twweb serves %s\n(the token in it is shown this once: "
		       "keep the address, or make another with twctl web "
		       "token new)\n",
		    line);
	} else {
		printf("twweb serves %s (pid %ld, log %s)\nopen it with a "
		       "token: %s#token=TOKEN (twctl web token new makes "
		       "one)\n",
		    line, (long)pid, log, line);
	}
	free(log);
	if (ctx->opt['o'] != NULL) {
		argv[0] = "xdg-open";
		argv[1] = line;
		argv[2] = NULL;
		if (fork() == 0) {
			execvp("xdg-open", (char *const *)argv);
			_exit(127);
		}
	}
	return EXIT_OK;
}

static int
cmd_web_exec(struct cmd_ctx *ctx)
{
	const char *argv[3] = { "twweb", "--tokens", NULL };

	if (ctx->argc == 0) {
		return web_start(ctx);
	}
	if (strcmp(ctx->argv[0], "stop") == 0 && ctx->argc == 1) {
		return web_stop();
	}
	if (strcmp(ctx->argv[0], "token") == 0 && ctx->argc == 2 &&
	    strcmp(ctx->argv[1], "new") == 0) {
		return web_token(ctx);
	}
	if (strcmp(ctx->argv[0], "tokens") == 0 && ctx->argc == 1) {
		return web_run(argv);
	}
	fprintf(stderr, "twctl: web: '%s' is not stop, token new or tokens\n",
	    ctx->argv[0]);
	cmd_usage(ctx->entry, stderr);
	return EXIT_USAGE;
}

const struct cmd_entry cmd_web_entry = {
	.name = "web",
	.summary = "start the web page and HTTP API (twweb), stop it, make "
	           "its tokens",
	.usage = "[--listen [addr:]port] [--tls-cert file --tls-key file] "
	         "[--open] | stop | token new [--read-only] [--name name] | "
	         "tokens",
	.help = "  -l, --listen ADDR    where twweb serves (127.0.0.1:8469); "
	        "an address that is\n"
	        "                       not loopback needs TLS or "
	        "--insecure-listen\n"
	        "      --tls-cert FILE  serve HTTPS with this certificate "
	        "(PEM),\n"
	        "      --tls-key FILE   and this key\n"
	        "  -o, --open           open the page in the browser "
	        "(xdg-open)\n"
	        "  -r, --read-only      token new: one that may look, not "
	        "change\n"
	        "  -n, --name NAME      token new: its name, in the audit log\n"
	        "\nThe first start makes a token and prints the address with "
	        "it, once.\n",
	.getopt = "l:orn:",
	.longopts = cmd_web_longopts,
	.args_min = 0,
	.args_max = 2,
	.flags = 0,
	.exec = cmd_web_exec,
};
