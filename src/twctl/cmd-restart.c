/*
 * twctl restart: a finished run again, as a new run: a submitted job as it
 * was submitted (--edit changes its command first, in the editor), a
 * task's run as twctl run starts it. The editing of a job's command is
 * twctl edit RUN's too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "output.h"
#include "xmalloc.h"

static const struct option cmd_restart_longopts[] = {
	{ "edit", no_argument, NULL, 'e' },
	{ "wait", no_argument, NULL, 'w' },
	{ NULL, 0, NULL, 0 },
};

/* A word as the shell reads it back: in single quotes unless plain. */
static char *
shell_quote(const char *w)
{
	char *out, *q;

	if (*w != '\0' &&
	    strspn(w,
	        "abcdefghijklmnopqrstuvwxyz"
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	        "-_./=:,+@%") == strlen(w)) {
		return xstrdup(w);
	}
	out = q = xcalloc(1, strlen(w) * 4 + 3);
	*q++ = '\'';
	for (; *w != '\0'; w++) {
		if (*w == '\'') {
			memcpy(q, "'\\''", 4);
			q += 4;
		} else {
			*q++ = *w;
		}
	}
	*q = '\'';
	return out;
}

/* The command of a submitted job's RUN as one shell line; NULL if none. */
static char *
restart_line(const json_t *run)
{
	const json_t *c = json_object_get(run, "command"), *w;
	char *line = NULL, *word, *joined;
	size_t i;

	if (json_is_string(c)) {
		return xstrdup(json_string_value(c));
	}
	json_array_foreach(c, i, w)
	{
		word = shell_quote(json_string_value(w));
		joined = line == NULL ? xstrdup(word)
		                      : xasprintf("%s %s", line, word);
		free(line);
		free(word);
		line = joined;
	}
	return line;
}

char *
cmd_edit_job_command(
    struct cmd_ctx *ctx, long long id, const char *then, int *rc)
{
	struct proto_reply rep;
	const char *tmp = getenv("TMPDIR");
	char *path, *line = NULL, *cmd;
	char buf[65536];
	FILE *fp;
	int fd, status;

	if ((*rc = cmd_call(ctx, "logs",
	         json_pack("{s:I}", "run", (json_int_t)id), &rep)) != EXIT_OK) {
		return NULL;
	}
	*rc = EXIT_USAGE;
	cmd = restart_line(json_object_get(rep.data, "run"));
	proto_reply_release(&rep);
	if (cmd == NULL) {
		output_error(ctx->json, "usage",
		    "run %lld is a task's, not a submitted job's: its command "
		    "is in the tasks file (twctl edit)",
		    id);
		return NULL;
	}
	/* Where the user keeps temporary files; .sh: the editor's syntax. */
	path = xasprintf("%s/twctl-job-XXXXXX.sh",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if ((fd = mkstemps(path, 3)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		output_error(ctx->json, "failed", "cannot write %s: %s", path,
		    strerror(errno));
		if (fd != -1) {
			close(fd);
			unlink(path);
		}
		free(path);
		free(cmd);
		*rc = EXIT_FAIL;
		return NULL;
	}
	fprintf(fp,
	    "%s\n# The command of run %lld, %s.\n# Lines starting with # "
	    "are left out; an empty command changes nothing.\n",
	    cmd, id, then);
	fclose(fp);
	free(cmd);
	if ((status = cmd_run_editor(path)) != 0) {
		output_error(ctx->json, "failed",
		    "the editor exited %d; nothing was changed", status);
		*rc = EXIT_FAIL;
	} else if ((fp = fopen(path, "r")) != NULL) {
		while (line == NULL && fgets(buf, sizeof buf, fp) != NULL) {
			buf[strcspn(buf, "\n")] = '\0';
			if (buf[strspn(buf, " \t")] != '\0' &&
			    buf[strspn(buf, " \t")] != '#') {
				line = xstrdup(buf);
			}
		}
		fclose(fp);
		if (line == NULL) {
			output_error(ctx->json, "usage",
			    "the command is empty; nothing was changed");
		}
	}
	unlink(path);
	free(path);
	return line;
}

static int
cmd_restart_exec(struct cmd_ctx *ctx)
{
	struct proto_reply rep;
	json_t *args, *run;
	char *line = NULL;
	int64_t id;
	int rc, wait = ctx->opt['w'] != NULL;

	if ((rc = cmd_run_id(ctx, NULL, ctx->argv[0], &id)) != 1) {
		if (rc == 0) {
			output_error(ctx->json, "usage",
			    "restart: '%s' is not a run id (twctl history "
			    "shows them)",
			    ctx->argv[0]);
		}
		return EXIT_USAGE;
	}
	if (ctx->opt['e'] != NULL &&
	    (line = cmd_edit_job_command(ctx, (long long)id,
	         "run again as a new job with the same name,\n# directory, "
	         "queue and limits",
	         &rc)) == NULL) {
		return rc;
	}
	/* Before the run exists, so that its end cannot pass unseen. */
	if (wait) {
		if ((rc = cmd_call(ctx, "subscribe",
		         json_pack("{s:[s]}", "events", "run.finished"),
		         &rep)) != EXIT_OK) {
			free(line);
			return rc;
		}
		proto_reply_release(&rep);
	}
	args = json_pack("{s:I}", "run", (json_int_t)id);
	if (line != NULL) {
		json_object_set_new(args, "command", json_string(line));
		free(line);
	}
	if ((rc = cmd_call(ctx, "restart", args, &rep)) != EXIT_OK) {
		return rc;
	}
	/* A task's run comes back as run's reply, a job's as submit's. */
	if ((run = json_object_get(rep.data, "run")) != NULL) {
		json_object_set(
		    run, "waiting", json_object_get(rep.data, "waiting"));
	} else {
		run = rep.data;
	}
	rc = cmd_run_started(ctx, run, wait);
	proto_reply_release(&rep);
	return rc;
}

const struct cmd_entry cmd_restart_entry = {
	.name = "restart",
	.summary = "run a finished run again, as a new run",
	.usage = "[--json] [-e] [-w] run-id",
	.help = "  -e, --edit       change a submitted job's command first, "
	        "in $VISUAL or\n"
	        "                   $EDITOR\n"
	        "  -w, --wait       wait until the new run ends and exit with "
	        "its status\n"
	        "\nA submitted job runs again with what it was submitted with "
	        "(name,\ndirectory, queue, priority, timeout), now; a task's "
	        "run as twctl run\nstarts one.\n",
	.getopt = "ew",
	.longopts = cmd_restart_longopts,
	.args_min = 1,
	.args_max = 1,
	.flags = CMD_NEEDS_DAEMON,
	.exec = cmd_restart_exec,
};
