/*
 * A repository's branches from its files: refs/heads/ (loose refs, one
 * file each, a commit id and a newline) over packed-refs (a line
 * "ID refs/heads/NAME" each, written by git gc or git pack-refs). A
 * branch moved by git is a loose file renamed into place; packing moves
 * it into packed-refs with the same id, which is no move at all.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitref.h"
#include "xmalloc.h"

/* The longest ref file, or line of packed-refs, that is read whole. */
#define GITREF_LINE_MAX 4096

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The first line of path, without its newline (caller frees); or NULL. */
static char *
first_line(const char *path)
{
	char buf[GITREF_LINE_MAX];
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		return NULL;
	}
	if (fgets(buf, sizeof buf, fp) == NULL) {
		fclose(fp);
		return NULL;
	}
	fclose(fp);
	buf[strcspn(buf, "\r\n")] = '\0';
	return xstrdup(buf);
}

/* A relative path of a git file is relative to where the file is. */
static char *
relative_to(const char *dir, const char *path)
{
	return path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", dir, path);
}

/* A repository's own directory: what has HEAD, objects and refs. */
static int
is_gitdir(const char *dir)
{
	char *head = xasprintf("%s/HEAD", dir);
	char *refs = xasprintf("%s/refs", dir);
	struct stat st;
	int ok = stat(head, &st) == 0 && S_ISREG(st.st_mode) && is_dir(refs);

	free(head);
	free(refs);
	return ok;
}

/*
 * dir (taken), if its refs are files: git 2.45's reftable keeps them in
 * tables of its own, which twd does not read.
 */
static char *
gitref_files(const char *repo, char *dir, char **cause)
{
	char *tables = xasprintf("%s/reftable", dir);
	int reftable = is_dir(tables);

	free(tables);
	if (!reftable) {
		return dir;
	}
	*cause = xasprintf("'%s' keeps its refs in reftable files, which twd "
	                   "does not read: watch it as a remote (remote: "
	                   "file://%s)",
	    repo, repo);
	free(dir);
	return NULL;
}

char *
gitref_dir(const char *repo, char **cause)
{
	char *dot = xasprintf("%s/.git", repo), *line, *gitdir, *common, *cpath;
	struct stat st;

	if (stat(repo, &st) == -1) {
		*cause = xasprintf("'%s': %s", repo, strerror(errno));
		free(dot);
		return NULL;
	}
	if (stat(dot, &st) == 0 && S_ISDIR(st.st_mode) && is_gitdir(dot)) {
		return gitref_files(repo, dot, cause);
	}
	if (stat(dot, &st) == 0 && S_ISREG(st.st_mode)) {
		/* A worktree: "gitdir: PATH"; its refs are the common dir's. */
		line = first_line(dot);
		if (line == NULL || strncmp(line, "gitdir: ", 8) != 0) {
			*cause = xasprintf("'%s' is not a git repository: "
			                   "%s does not say 'gitdir:'",
			    repo, dot);
			free(line);
			free(dot);
			return NULL;
		}
		gitdir = relative_to(repo, line + 8);
		free(line);
		cpath = xasprintf("%s/commondir", gitdir);
		if ((common = first_line(cpath)) != NULL) {
			line = common;
			common = relative_to(gitdir, line);
			free(line);
			free(gitdir);
			gitdir = common;
		}
		free(cpath);
		free(dot);
		if (!is_gitdir(gitdir)) {
			*cause =
			    xasprintf("'%s' is not a git repository: its "
			              "git directory %s has no HEAD and refs",
			        repo, gitdir);
			free(gitdir);
			return NULL;
		}
		return gitref_files(repo, gitdir, cause);
	}
	free(dot);
	if (is_gitdir(repo)) {
		return gitref_files(repo, xstrdup(repo), cause); /* bare */
	}
	*cause = xasprintf("'%s' is not a git repository (no .git in it, "
	                   "and not a bare repository)",
	    repo);
	return NULL;
}

int
gitref_pattern_check(const char *p, char **cause)
{
	size_t n = strlen(p), i, len;
	const char *c;

	if (n == 0) {
		*cause = xstrdup("the branch is empty");
		return -1;
	}
	if (strncmp(p, "refs/", 5) == 0) {
		*cause = xasprintf("'%s': name the branch without refs/heads/ "
		                   "(as main or release/*)",
		    p);
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch < 0x20 || ch == 0x7f || strchr(" ~^:?[\\", ch) != NULL) {
			*cause = xasprintf("'%s' is not a valid branch: '%c' "
			                   "cannot be in a ref name",
			    p, ch >= 0x20 && ch != 0x7f ? ch : '?');
			return -1;
		}
	}
	if (p[0] == '/' || p[n - 1] == '/' || p[n - 1] == '.' ||
	    strstr(p, "//") != NULL || strstr(p, "..") != NULL ||
	    strstr(p, "@{") != NULL || strcmp(p, "@") == 0) {
		*cause =
		    xasprintf("'%s' is not a valid branch (git "
		              "check-ref-format: no leading or trailing "
		              "'/', no '//', '..' or '@{', no trailing '.')",
		        p);
		return -1;
	}
	/* No part may begin with '.' or end with ".lock". */
	for (c = p;; c += len + 1) {
		len = strcspn(c, "/");
		if (c[0] == '.' ||
		    (len >= 5 && strncmp(c + len - 5, ".lock", 5) == 0)) {
			*cause = xasprintf("'%s' is not a valid branch: a part "
			                   "may not begin with '.' or end with "
			                   "'.lock'",
			    p);
			return -1;
		}
		if (c[len] == '\0') {
			break;
		}
	}
	return 0;
}

int
gitref_match(const char *pattern, const char *branch)
{
	return fnmatch(pattern, branch, 0) == 0;
}

static int
is_id(const char *s, size_t n)
{
	size_t i;

	if (n != 40 && n != 64) {
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]) ||
		    isupper((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

/* Add or replace (a loose ref over a packed one) name at id. */
static void
refs_put(struct gitrefs *out, const char *name, const char *id, size_t idlen)
{
	struct gitref *r = NULL;
	size_t i;

	for (i = 0; i < out->n; i++) {
		if (strcmp(out->v[i].name, name) == 0) {
			r = &out->v[i];
			break;
		}
	}
	if (r == NULL) {
		out->v = xreallocarray(out->v, out->n + 1, sizeof *out->v);
		r = &out->v[out->n++];
		r->name = xstrdup(name);
	}
	memcpy(r->id, id, idlen);
	r->id[idlen] = '\0';
}

static int
ref_cmp(const void *a, const void *b)
{
	return strcmp(
	    ((const struct gitref *)a)->name, ((const struct gitref *)b)->name);
}

/* One line of packed-refs or ls-remote: ID, a space or tab, the ref. */
static void
refs_line(struct gitrefs *out, const char *line, const char *pattern)
{
	size_t idlen = strcspn(line, " \t");
	const char *ref = line + idlen;

	if (!is_id(line, idlen) || (*ref != ' ' && *ref != '\t')) {
		return; /* a comment, a peeled tag (^ID) */
	}
	ref++;
	if (strncmp(ref, "refs/heads/", 11) != 0 ||
	    !gitref_match(pattern, ref + 11)) {
		return;
	}
	refs_put(out, ref + 11, line, idlen);
}

/* The loose refs below dir/refs/heads/prefix. */
static void
read_loose(struct gitrefs *out, const char *heads, const char *prefix,
    const char *pattern, int depth)
{
	char *path = xasprintf("%s/%s", heads, prefix), *name, *file, *line;
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (depth > 32 || (d = opendir(path)) == NULL) {
		free(path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    (strlen(de->d_name) >= 5 &&
		        strcmp(de->d_name + strlen(de->d_name) - 5, ".lock") ==
		            0)) {
			continue;
		}
		name = prefix[0] != '\0'
		    ? xasprintf("%s/%s", prefix, de->d_name)
		    : xstrdup(de->d_name);
		file = xasprintf("%s/%s", heads, name);
		if (stat(file, &st) == 0 && S_ISDIR(st.st_mode)) {
			read_loose(out, heads, name, pattern, depth + 1);
		} else if (gitref_match(pattern, name) &&
		    (line = first_line(file)) != NULL) {
			/* "ref: ..." (a symbolic ref) is no branch of its own. */
			if (is_id(line, strlen(line))) {
				refs_put(out, name, line, strlen(line));
			}
			free(line);
		}
		free(file);
		free(name);
	}
	closedir(d);
	free(path);
}

int
gitref_read(
    const char *dir, const char *pattern, struct gitrefs *out, char **cause)
{
	char *packed = xasprintf("%s/packed-refs", dir);
	char *heads = xasprintf("%s/refs/heads", dir);
	char buf[GITREF_LINE_MAX];
	FILE *fp;

	gitrefs_release(out);
	if ((fp = fopen(packed, "r")) != NULL) {
		while (fgets(buf, sizeof buf, fp) != NULL) {
			buf[strcspn(buf, "\r\n")] = '\0';
			refs_line(out, buf, pattern);
		}
		fclose(fp);
	} else if (errno != ENOENT) {
		*cause = xasprintf("%s: %s", packed, strerror(errno));
		free(packed);
		free(heads);
		return -1;
	}
	if (!is_dir(heads)) {
		*cause = xasprintf("%s: not a directory: is this still a "
		                   "git repository?",
		    heads);
		free(packed);
		free(heads);
		gitrefs_release(out);
		return -1;
	}
	read_loose(out, heads, "", pattern, 0);
	if (out->n > 1) {
		qsort(out->v, out->n, sizeof *out->v, ref_cmp);
	}
	free(packed);
	free(heads);
	return 0;
}

void
gitref_parse_remote(const char *text, const char *pattern, struct gitrefs *out)
{
	const char *p = text, *nl;
	char buf[GITREF_LINE_MAX];
	size_t n;

	gitrefs_release(out);
	while (*p != '\0') {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (n < sizeof buf) {
			memcpy(buf, p, n);
			buf[n] = '\0';
			if (n > 0 && buf[n - 1] == '\r') {
				buf[n - 1] = '\0';
			}
			refs_line(out, buf, pattern);
		}
		p += n + (nl != NULL);
	}
	if (out->n > 1) {
		qsort(out->v, out->n, sizeof *out->v, ref_cmp);
	}
}

const struct gitref *
gitref_find(const struct gitrefs *refs, const char *name)
{
	struct gitref key = { .name = (char *)(uintptr_t)name };

	if (refs->n == 0) {
		return NULL;
	}
	return bsearch(&key, refs->v, refs->n, sizeof key, ref_cmp);
}

void
gitrefs_release(struct gitrefs *refs)
{
	size_t i;

	for (i = 0; i < refs->n; i++) {
		free(refs->v[i].name);
	}
	free(refs->v);
	refs->v = NULL;
	refs->n = 0;
}
