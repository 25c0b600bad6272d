/*
 * A git repository's branches, read from its files as git writes them
 * (loose refs over packed-refs) or from git ls-remote's output, and the
 * rules of a branch pattern. No git process, no libgit2: the files are
 * git's documented format (gitrepository-layout(5)).
 */
#ifndef TW_GITREF_H
#define TW_GITREF_H

#include <stddef.h>

/* A commit id: SHA-1 (40 hex digits) or SHA-256 (64). */
#define GITREF_ID_MAX 64

struct gitref {
	char *name;                 /* the branch: "main", "release/1.2" */
	char id[GITREF_ID_MAX + 1]; /* its commit */
};

struct gitrefs {
	struct gitref *v; /* sorted by name once read */
	size_t n;
};

/*
 * The directory that holds repo's refs (caller frees): repo/.git, the
 * main repository's of a worktree (its .git a "gitdir:" file), or repo
 * itself when it is bare. NULL with *cause when repo is none of these.
 */
char *gitref_dir(const char *repo, char **cause);
/*
 * Whether pattern may name branches: a valid ref name (git
 * check-ref-format's rules) in which '*' stands for any characters,
 * '/' included. Returns 0, or -1 with *cause.
 */
int gitref_pattern_check(const char *pattern, char **cause);
/* Whether the branch is one pattern names. */
int gitref_match(const char *pattern, const char *branch);
/*
 * The branches of dir (gitref_dir's) that pattern names, into *out
 * (emptied first). Returns 0, or -1 with *cause when the refs cannot be
 * read at all.
 */
int gitref_read(
    const char *dir, const char *pattern, struct gitrefs *out, char **cause);
/*
 * The branches pattern names in git ls-remote's output text, into *out
 * (emptied first): "ID<TAB>refs/heads/NAME" lines.
 */
void
gitref_parse_remote(const char *text, const char *pattern, struct gitrefs *out);
/* The branch called name in refs; NULL if it has none. */
const struct gitref *gitref_find(const struct gitrefs *, const char *name);
void gitrefs_release(struct gitrefs *);

#endif
