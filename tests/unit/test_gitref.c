/*
 * Unit tests for a repository's branches read from its files: loose refs
 * over packed-refs, lock files and symbolic refs left out, patterns, git
 * ls-remote's output, where a worktree's refs are, and what a branch
 * pattern may be.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gitref.h"
#include "tmpdir.h"
#include "xmalloc.h"

#define A "1111111111111111111111111111111111111111"
#define B "2222222222222222222222222222222222222222"
#define C "3333333333333333333333333333333333333333"

/* Remove what dir/what names (a shell glob). */
static void
rm_r(const char *dir, const char *what)
{
	char *cmd = xasprintf("rm -r %s/%s", dir, what);

	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void
put(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name), *cmd;
	FILE *fp;

	cmd = xasprintf("mkdir -p \"$(dirname '%s')\"", path);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	free(path);
}

static void
test_gitref_loose_over_packed(void **state)
{
	struct gitrefs refs = { NULL, 0 };
	char dir[64], *cause = NULL;

	(void)state;
	assert_int_equal(tmpdir_create(dir, sizeof dir, "gitref"), 0);
	put(dir, "HEAD", "ref: refs/heads/main\n");
	put(dir, "packed-refs",
	    "# pack-refs with: peeled fully-peeled sorted \n" A
	    " refs/heads/main\n" A " refs/heads/release/1.0\n" A
	    " refs/tags/v1\n^" B "\n" B " refs/remotes/origin/main\n");
	put(dir, "refs/heads/main", B "\n");      /* newer than packed */
	put(dir, "refs/heads/main.lock", C "\n"); /* being written */
	put(dir, "refs/heads/release/2.0", C "\n");
	put(dir, "refs/heads/sym", "ref: refs/heads/main\n");
	put(dir, "refs/heads/junk", "not an id\n");

	assert_int_equal(gitref_read(dir, "*", &refs, &cause), 0);
	assert_int_equal(refs.n, 3);
	assert_string_equal(refs.v[0].name, "main");
	assert_string_equal(refs.v[0].id, B);
	assert_string_equal(refs.v[1].name, "release/1.0");
	assert_string_equal(refs.v[1].id, A);
	assert_string_equal(refs.v[2].name, "release/2.0");
	assert_string_equal(gitref_find(&refs, "release/2.0")->id, C);
	assert_null(gitref_find(&refs, "sym"));

	assert_int_equal(gitref_read(dir, "release/*", &refs, &cause), 0);
	assert_int_equal(refs.n, 2);
	assert_int_equal(gitref_read(dir, "main", &refs, &cause), 0);
	assert_int_equal(refs.n, 1);

	/* Packing (loose files gone, the same ids in packed-refs): the same. */
	put(dir, "packed-refs",
	    A " refs/heads/release/1.0\n" B " refs/heads/main\n" C
	      " refs/heads/release/2.0\n");
	rm_r(dir, "refs/heads/*");
	assert_int_equal(gitref_read(dir, "*", &refs, &cause), 0);
	assert_int_equal(refs.n, 3);
	assert_string_equal(gitref_find(&refs, "main")->id, B);

	/* No refs/heads: not a repository any more, said. */
	rm_r(dir, "refs");
	assert_int_equal(gitref_read(dir, "*", &refs, &cause), -1);
	assert_non_null(strstr(cause, "refs/heads: not a directory"));
	free(cause);
	gitrefs_release(&refs);
	tmpdir_remove(dir);
}

static void
test_gitref_remote_output(void **state)
{
	struct gitrefs refs = { NULL, 0 };

	(void)state;
	gitref_parse_remote(A "\tHEAD\n" B "\trefs/heads/main\n" C
	                      "\trefs/heads/release/1\r\n" A
	                      "\trefs/tags/v1\n" A "\trefs/heads/release/0\n"
	                      "garbage\n",
	    "release/*", &refs);
	assert_int_equal(refs.n, 2);
	assert_string_equal(refs.v[0].name, "release/0");
	assert_string_equal(refs.v[1].name, "release/1");
	assert_string_equal(refs.v[1].id, C);
	gitref_parse_remote("", "*", &refs);
	assert_int_equal(refs.n, 0);
	gitrefs_release(&refs);
}

static void
test_gitref_dir(void **state)
{
	char dir[64], *path, *cause = NULL, *got;

	(void)state;
	assert_int_equal(tmpdir_create(dir, sizeof dir, "gitdir"), 0);
	/* A repository with its .git. */
	put(dir, "work/.git/HEAD", "ref: refs/heads/main\n");
	put(dir, "work/.git/refs/heads/main", A "\n");
	path = xasprintf("%s/work", dir);
	got = gitref_dir(path, &cause);
	assert_non_null(got);
	assert_non_null(strstr(got, "/work/.git"));
	free(got);
	free(path);
	/* A worktree of it: its refs are the main repository's. */
	put(dir, "work/.git/worktrees/wt/HEAD", "ref: refs/heads/x\n");
	put(dir, "work/.git/worktrees/wt/commondir", "../..\n");
	got = xasprintf("gitdir: %s/work/.git/worktrees/wt\n", dir);
	put(dir, "wt/.git", got);
	free(got);
	path = xasprintf("%s/wt", dir);
	got = gitref_dir(path, &cause);
	assert_non_null(got);
	assert_non_null(strstr(got, "/work/.git/worktrees/wt/../.."));
	free(got);
	free(path);
	/* A bare one. */
	put(dir, "bare.git/HEAD", "ref: refs/heads/main\n");
	put(dir, "bare.git/refs/heads/.keep", "");
	path = xasprintf("%s/bare.git", dir);
	got = gitref_dir(path, &cause);
	assert_string_equal(got, path);
	free(got);
	free(path);
	/* Refs in reftable files: said, not read as if it had none. */
	put(dir, "rt.git/HEAD", "ref: refs/heads/.invalid\n");
	put(dir, "rt.git/refs/heads",
	    "this repository uses the reftable format\n");
	put(dir, "rt.git/reftable/tables.list", "");
	path = xasprintf("%s/rt.git", dir);
	assert_null(gitref_dir(path, &cause));
	assert_non_null(strstr(cause, "reftable"));
	free(cause);
	free(path);
	/* None. */
	path = xasprintf("%s/nothing", dir);
	assert_null(gitref_dir(path, &cause));
	assert_non_null(strstr(cause, "No such file"));
	free(cause);
	free(path);
	assert_null(gitref_dir(dir, &cause));
	assert_non_null(strstr(cause, "is not a git repository"));
	free(cause);
	tmpdir_remove(dir);
}

static void
test_gitref_patterns(void **state)
{
	static const char *const good[] = { "main", "release/*", "feature/a-b",
		"v1.2", "*", "team/*/ready" };
	static const char *const bad[] = { "", "refs/heads/main", "a..b", "a b",
		"a~1", "a^", "a:b", "a?", "a[b]", "a\\b", "/a", "a/", "a//b",
		"a.", ".a", "a/.b", "a.lock", "a.lock/b", "@", "a@{1}" };
	char *cause = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		if (gitref_pattern_check(good[i], &cause) != 0) {
			fail_msg("'%s' refused: %s", good[i], cause);
		}
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (gitref_pattern_check(bad[i], &cause) != -1) {
			fail_msg("'%s' taken", bad[i]);
		}
		free(cause);
		cause = NULL;
	}
	assert_true(gitref_match("release/*", "release/1.0"));
	assert_true(gitref_match("release/*", "release/a/b"));
	assert_false(gitref_match("release/*", "releases/1"));
	assert_false(gitref_match("main", "main2"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gitref_loose_over_packed),
		cmocka_unit_test(test_gitref_remote_output),
		cmocka_unit_test(test_gitref_dir),
		cmocka_unit_test(test_gitref_patterns),
	};

	return cmocka_run_group_tests_name("gitref", tests, NULL, NULL);
}
