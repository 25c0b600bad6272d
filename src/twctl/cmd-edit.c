/*
 * twctl edit and init: change the tasks file as crontab -e and visudo do.
 * The editor works on a copy beside the file; the copy is checked with
 * the daemon's own loader and, only when it is good, put in place with a
 * rename, so a daemon watching the file never sees half of it.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "config.h"
#include "output.h"
#include "paths.h"
#include "xmalloc.h"

/* The file twctl init writes, and twctl edit starts from when none is. */
static const char edit_template[] =
    "# TaskWeaver tasks: twd(1) runs them; taskweaver(5) describes every\n"
    "# key. Check this file with `twctl check`; edit it with `twctl "
    "edit`.\n"
    "#\n"
    "# defaults:                  # fields for every task\n"
    "#   timezone: Europe/Berlin\n"
    "#   timeout: 1h\n"
    "#\n"
    "# notifiers:                 # where failures are told\n"
    "#   desktop: {type: desktop}\n"
    "#   me: {type: mail, to: me@example.org}\n"
    "\n"
    "tasks:\n"
    "  # A cron rule: 02:30 every night.\n"
    "  # backup:\n"
    "  #   command: rsync -a ~/docs /mnt/backup/\n"
    "  #   schedule: \"30 2 * * *\"\n"
    "  #   retries: 2\n"
    "\n"
    "  # An interval, spread over 30 seconds.\n"
    "  # ping:\n"
    "  #   command: curl -fsS https://example.com/health\n"
    "  #   every: 5m\n"
    "  #   jitter: 30s\n"
    "\n"
    "  # No schedule: it runs with `twctl run hello`.\n"
    "  hello:\n"
    "    command: echo hello from TaskWeaver\n";

/* mkdir -p, new directories 0700. Returns 0, or -1 with errno. */
static int
edit_mkdirs(const char *dir)
{
	char *p = xstrdup(dir), *s, c;
	int rc = 0;

	for (s = p + 1; rc == 0; s++) {
		if (*s != '/' && *s != '\0') {
			continue;
		}
		c = *s;
		*s = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST) {
			rc = -1;
		}
		*s = c;
		if (c == '\0') {
			break;
		}
	}
	free(p);
	return rc;
}

/* Write len bytes to path (a new file, 0600), synced. Returns 0 or -1. */
static int
edit_write(const char *path, const char *data, size_t len, int flags)
{
	ssize_t n;
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0600)) ==
	    -1) {
		return -1;
	}
	while (len > 0) {
		if ((n = write(fd, data, len)) == -1) {
			if (errno == EINTR) {
				continue;
			}
			close(fd);
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* The whole of path (NUL-terminated) into *data; NULL if unreadable. */
static char *
edit_read(const char *path, size_t *len)
{
	char *data = NULL;
	size_t cap = 0;
	ssize_t n;
	int fd;

	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		return NULL;
	}
	for (;;) {
		if (cap - *len < 4096) {
			cap = cap == 0 ? 8192 : cap * 2;
			data = xreallocarray(data, cap, 1);
		}
		if ((n = read(fd, data + *len, cap - *len - 1)) <= 0) {
			break;
		}
		*len += (size_t)n;
	}
	close(fd);
	data[*len] = '\0';
	return data;
}

int
cmd_run_editor(const char *path)
{
	const char *editor = getenv("VISUAL");
	pid_t pid;
	int status;

	if (editor == NULL || *editor == '\0') {
		editor = getenv("EDITOR");
	}
	if (editor == NULL || *editor == '\0') {
		editor = "vi";
	}
	if ((pid = fork()) == -1) {
		return -1;
	}
	if (pid == 0) {
		/* Through the shell: EDITOR may be "code --wait". */
		execl("/bin/sh", "sh", "-c", "exec $0 \"$1\"", editor, path,
		    (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			return -1;
		}
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Ask what to do with a copy that has errors: 'e' again, or 'd'. */
static int
edit_ask(void)
{
	char line[64];

	for (;;) {
		fprintf(stderr,
		    "What now? (e)dit again, (d)iscard the "
		    "changes: ");
		fflush(stderr);
		if (fgets(line, sizeof line, stdin) == NULL) {
			fputc('\n', stderr);
			return 'd';
		}
		if (line[0] == 'e' || line[0] == 'd') {
			return line[0];
		}
	}
}

/* Tell a running twd to load the file now, and say what changed. */
static void
edit_reload(struct cmd_ctx *ctx)
{
	const struct cmd_entry *reload = cmd_find("reload");
	char *argv[] = { (char *)"reload", NULL };

	/* Without a daemon, twctl reload says so; twd loads it at start. */
	cmd_exec(reload, 1, argv, ctx->socket_flag, ctx->json);
}

/* twctl edit RUN: a queued submitted job's command, before it starts. */
static int
edit_job(struct cmd_ctx *ctx)
{
	struct proto_reply rep;
	char *line;
	int64_t id;
	int rc;

	if ((rc = cmd_run_id(ctx, NULL, ctx->argv[0], &id)) != 1) {
		if (rc == 0) {
			output_error(ctx->json, "usage",
			    "edit: '%s' is not a run id; twctl edit with no "
			    "argument edits the tasks file",
			    ctx->argv[0]);
		}
		return EXIT_USAGE;
	}
	if ((line = cmd_edit_job_command(ctx, (long long)id,
	         "run when its turn in the queue comes", &rc)) == NULL) {
		return rc;
	}
	rc = cmd_call(ctx, "amend",
	    json_pack("{s:I, s:s}", "run", (json_int_t)id, "command", line),
	    &rep);
	free(line);
	if (rc != EXIT_OK) {
		return rc;
	}
	if (ctx->json) {
		output_json(rep.data);
	} else {
		printf("run %lld '%s' will run: %s\n", (long long)id,
		    json_get_string(rep.data, "task", "?"),
		    json_get_string(rep.data, "command", "?"));
	}
	proto_reply_release(&rep);
	return EXIT_OK;
}

static int
cmd_edit_exec(struct cmd_ctx *ctx)
{
	struct config_errors errs = { NULL, 0 };
	struct config *c;
	char *path = paths_config(NULL), *copy, *before, *after;
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	size_t blen, alen, i;
	int fd, rc = EXIT_FAIL;

	if (ctx->argc == 1) {
		free(path);
		free(dir);
		return edit_job(ctx);
	}
	*slash = '\0';
	if ((before = edit_read(path, &blen)) == NULL) {
		if (errno != ENOENT) {
			output_error(0, "failed", "cannot read %s: %s", path,
			    strerror(errno));
			free(path);
			free(dir);
			return EXIT_FAIL;
		}
		/* The first tasks file: from the template. */
		before = xstrdup(edit_template);
		blen = strlen(before);
		if (edit_mkdirs(dir) == -1) {
			output_error(0, "failed", "cannot create %s: %s", dir,
			    strerror(errno));
			free(before);
			free(path);
			free(dir);
			return EXIT_FAIL;
		}
	}
	copy = xasprintf("%s/.%s.edit-XXXXXX.yaml", dir, slash + 1);
	if ((fd = mkstemps(copy, 5)) == -1) {
		output_error(0, "failed", "cannot create a copy in %s: %s", dir,
		    strerror(errno));
		goto out;
	}
	close(fd);
	if (edit_write(copy, before, blen, O_TRUNC) == -1) {
		output_error(
		    0, "failed", "cannot write %s: %s", copy, strerror(errno));
		goto out;
	}
	for (;;) {
		if ((i = (size_t)cmd_run_editor(copy)) != 0) {
			output_error(0, "failed",
			    "the editor exited %zu; nothing changed", i);
			break;
		}
		after = edit_read(copy, &alen);
		if (after == NULL ||
		    (alen == blen && memcmp(after, before, blen) == 0 &&
		        access(path, F_OK) == 0)) {
			printf("no changes\n");
			free(after);
			rc = EXIT_OK;
			break;
		}
		free(after);
		if ((c = config_load(copy, &errs)) != NULL) {
			config_free(c);
			if (rename(copy, path) == -1) {
				output_error(0, "failed",
				    "cannot replace %s: %s", path,
				    strerror(errno));
				break;
			}
			printf("installed %s\n", path);
			fflush(stdout);
			edit_reload(ctx);
			rc = EXIT_OK;
			break;
		}
		config_errors_print(&errs, stderr);
		config_errors_release(&errs);
		if (edit_ask() == 'd') {
			fprintf(stderr, "discarded; %s is as it was\n", path);
			break;
		}
	}
out:
	unlink(copy); /* gone already when it was installed */
	free(copy);
	free(before);
	free(path);
	free(dir);
	return rc;
}

static int
cmd_init_exec(struct cmd_ctx *ctx)
{
	char *path = paths_config(ctx->argc == 1 ? ctx->argv[0] : NULL);
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int rc = EXIT_OK;

	*slash = '\0';
	if (edit_mkdirs(dir) == -1 ||
	    edit_write(path, edit_template, strlen(edit_template), O_EXCL) ==
	        -1) {
		output_error(ctx->json, "failed", "cannot create %s: %s%s",
		    path, strerror(errno),
		    errno == EEXIST ? " (change it with twctl edit)" : "");
		rc = EXIT_FAIL;
	} else {
		printf("wrote %s; change it with twctl edit, then start twd\n",
		    path);
	}
	free(path);
	free(dir);
	return rc;
}

const struct cmd_entry cmd_edit_entry = {
	.name = "edit",
	.summary = "edit the tasks file in $VISUAL or $EDITOR, check it, "
	           "install it (or a queued job's command)",
	.usage = "[run-id]",
	.help = "As crontab -e: the editor works on a copy; a copy with "
	        "errors is not\ninstalled (edit again or discard); a good "
	        "one replaces the file at once\nand a running twd loads it. "
	        "With no tasks file yet, the copy starts\nfrom the template of "
	        "twctl init.\n"
	        "\nWith the id of a queued submitted job, edit its command "
	        "instead: it runs\nthat when its turn comes.\n",
	.args_min = 0,
	.args_max = 1,
	.exec = cmd_edit_exec,
};

const struct cmd_entry cmd_init_entry = {
	.name = "init",
	.summary = "write a first, commented tasks file",
	.usage = "[file]",
	.help = "Never over an existing file. The file is the configured one "
	        "unless named.\n",
	.args_min = 0,
	.args_max = 1,
	.exec = cmd_init_exec,
};
