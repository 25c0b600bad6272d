/*
 * A tasks file opened and parsed: checked as cron checks its spool (owner,
 * mode, kind of file, its directory), and libyaml's errors put in our
 * words, with a hint where the character at fault suggests one (a tab, an
 * unquoted cron line).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "paths.h"
#include "xmalloc.h"
#include "config-int.h"

/*
 * Whether gid is the user's own group, with nobody else in it (a user
 * private group, as Debian and Ubuntu make them; umask 002 goes with it).
 */
static int
config_private_group(gid_t gid)
{
	struct passwd pw;
	struct group gr;
	char *pbuf = NULL, *gbuf = NULL, **m;
	int private = 0;

	if (paths_user(getuid(), &pw, &pbuf) != NULL &&
	    paths_group(gid, &gr, &gbuf) != NULL && gid == pw.pw_gid) {
		for (m = gr.gr_mem; *m != NULL && strcmp(*m, pw.pw_name) == 0;
		     m++) {
			;
		}
		private = *m == NULL;
	}
	free(pbuf);
	free(gbuf);
	return private;
}

/*
 * A tasks file says what runs as the user: like cron and ssh, refuse one
 * that someone else owns or may write.
 */
static int
config_check_owner(FILE *fp, const char *path, struct config_errors *errs)
{
	struct stat st;

	if (fstat(fileno(fp), &st) == -1) {
		errors_add(errs, path, 0, 0,
		    xasprintf("cannot stat: %s", strerror(errno)));
		return -1;
	}
	if (st.st_uid != getuid()) {
		errors_add(errs, path, 0, 0,
		    xasprintf("belongs to uid %u, not to you (uid %u); "
		              "run: chown %u '%s'",
		        (unsigned)st.st_uid, (unsigned)getuid(),
		        (unsigned)getuid(), path));
		return -1;
	}
	if ((st.st_mode & S_IWOTH) ||
	    ((st.st_mode & S_IWGRP) && !config_private_group(st.st_gid))) {
		errors_add(errs, path, 0, 0,
		    xasprintf("may be written by %s (mode %03o), so it could "
		              "make you run anything; run: chmod go-w '%s'",
		        (st.st_mode & S_IWOTH) ? "anyone" : "its group",
		        (unsigned)(st.st_mode & 0777), path));
		return -1;
	}
	return 0;
}

/* What a file of mode is, in words, when it is no regular file. */
const char *
config_file_kind(mode_t mode)
{
	return S_ISDIR(mode) ? "a directory"
	    : S_ISFIFO(mode) ? "a FIFO"
	    : S_ISSOCK(mode) ? "a socket"
	    : S_ISCHR(mode)  ? "a character device"
	    : S_ISBLK(mode)  ? "a block device"
	                     : "not a regular file";
}

/*
 * Open a tasks file. Not blocking: a FIFO (one an include's pattern
 * matched, say) would hold the loop until something wrote to it; and a
 * regular file only. NULL after an error.
 */
static FILE *
config_open(const char *path, struct config_errors *errs)
{
	struct stat st;
	FILE *fp;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		errors_add(errs, path, 0, 0,
		    xasprintf("cannot open: %s", strerror(errno)));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		errors_add(errs, path, 0, 0,
		    xasprintf("cannot stat: %s", strerror(errno)));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		errors_add(errs, path, 0, 0,
		    xasprintf("cannot read it: it is %s, not a regular file",
		        config_file_kind(st.st_mode)));
		close(fd);
		return NULL;
	}
	if (st.st_size > CONFIG_MAX_BYTES) {
		errors_add(errs, path, 0, 0,
		    xasprintf("it is %lld bytes, over the %d MiB a tasks file "
		              "may be",
		        (long long)st.st_size, CONFIG_MAX_BYTES >> 20));
		close(fd);
		return NULL;
	}
	if (fcntl(fd, F_SETFL, 0) == -1 || (fp = fdopen(fd, "r")) == NULL) {
		errors_add(errs, path, 0, 0,
		    xasprintf("cannot open: %s", strerror(errno)));
		close(fd);
		return NULL;
	}
	return fp;
}

/*
 * The directory of a tasks file, as cron checks its spool: another user
 * who may write in it could swap the file for a link to one of theirs.
 */
static int
config_check_dir(const char *path, struct config_errors *errs)
{
	char *dir = paths_dirname(path);
	struct stat st;
	int rc = 0;

	if (stat(dir, &st) == -1) {
		rc = 0; /* opening the file says what is missing */
	} else if (st.st_uid != getuid() && st.st_uid != 0) {
		errors_add(errs, path, 0, 0,
		    xasprintf("its directory '%s' belongs to uid %u, not to "
		              "you (uid %u), who could replace the file",
		        dir, (unsigned)st.st_uid, (unsigned)getuid()));
		rc = -1;
	} else if (!(st.st_mode & S_ISVTX) &&
	    ((st.st_mode & S_IWOTH) ||
	        ((st.st_mode & S_IWGRP) && !config_private_group(st.st_gid)))) {
		errors_add(errs, path, 0, 0,
		    xasprintf("its directory '%s' may be written by %s (mode "
		              "%03o), who could replace the file; run: chmod "
		              "go-w '%s'",
		        dir, (st.st_mode & S_IWOTH) ? "anyone" : "its group",
		        (unsigned)(st.st_mode & 0777), dir));
		rc = -1;
	}
	free(dir);
	return rc;
}

/*
 * The character at mark (its line and column count characters, not bytes)
 * into *c, if it is one byte: 0, or -1.
 */
static int
yaml_char_at(int fd, yaml_mark_t mark, char *c)
{
	char buf[4096];
	size_t line = 0, col = 0, i;
	off_t off = 0;
	ssize_t n;

	while ((n = pread(fd, buf, sizeof buf, off)) > 0) {
		for (i = 0; i < (size_t)n; i++) {
			if (line == mark.line && col == mark.column) {
				*c = buf[i];
				return 0;
			}
			if (buf[i] == '\n') {
				line++;
				col = 0;
			} else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
				col += line ==
				    mark.line; /* a character's first byte */
			}
			if (line > mark.line) {
				return -1;
			}
		}
		off += n;
	}
	return -1;
}

/*
 * libyaml's message (msg, taken) with what a tasks file most likely got
 * wrong there, in our words: a tab in the indentation, a cron expression
 * left unquoted (its '*' starts an alias). fd is the file, to look at the
 * character the parser stopped at.
 */
static char *
yaml_hint(char *msg, const yaml_parser_t *parser, int fd)
{
	const char *hint = NULL;
	char *out, c = '\0';

	if (parser->problem != NULL &&
	    strcmp(parser->problem,
	        "found character that cannot start any token") == 0 &&
	    yaml_char_at(fd, parser->problem_mark, &c) == 0 && c == '\t') {
		hint = "a tab: YAML indents with spaces only";
	} else if (parser->context != NULL &&
	    strcmp(parser->context, "while scanning an alias") == 0) {
		hint = "a value that starts with '*' is read as an alias: "
		       "quote it, as in schedule: \"*/5 * * * *\"";
	}
	if (hint == NULL) {
		return msg;
	}
	out = xasprintf("%s; %s", msg, hint);
	free(msg);
	return out;
}

/* Read path (checked as config_check_owner does) into doc: 0, or -1. */
int
loader_parse(const char *path, struct ydoc *doc, struct config_errors *errs,
    const struct ydoc_stream *stream)
{
	yaml_parser_t parser;
	FILE *fp;
	char *msg;

	if ((fp = config_open(path, errs)) == NULL) {
		return -1;
	}
	if (config_check_owner(fp, path, errs) == -1 ||
	    config_check_dir(path, errs) == -1) {
		fclose(fp);
		return -1;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, fp);
	if (ydoc_load_stream(doc, &parser, stream) == -1) {
		if (doc->overflow) {
			yaml_parser_delete(&parser);
			fclose(fp);
			return -1;
		}
		if (parser.context != NULL) {
			/* libyaml's context reads "while parsing a block ...". */
			msg = xasprintf("%s (%s started at line %lu, column "
			                "%lu)",
			    parser.problem, parser.context,
			    (unsigned long)parser.context_mark.line + 1,
			    (unsigned long)parser.context_mark.column + 1);
		} else if (parser.problem != NULL &&
		    strcmp(parser.problem,
		        "mapping values are not allowed "
		        "in this context") == 0 &&
		    parser.problem_mark.column > YAML_KEY_MAX) {
			/* libyaml reads no plain key past 1024 characters. */
			msg = xasprintf("a key of more than %d characters "
			                "ends here: YAML reads none that long "
			                "(a task name is at most %d)",
			    YAML_KEY_MAX, TASK_NAME_MAX);
		} else {
			msg = xstrdup(parser.problem != NULL ? parser.problem
			                                     : "invalid YAML");
		}
		msg = yaml_hint(msg, &parser, fileno(fp));
		errors_add(errs, path, (unsigned)parser.problem_mark.line + 1,
		    (unsigned)parser.problem_mark.column + 1, msg);
		yaml_parser_delete(&parser);
		fclose(fp);
		return -1;
	}
	yaml_parser_delete(&parser);
	fclose(fp);
	return 0;
}
