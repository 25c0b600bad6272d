/*
 * The token store. A token is "tw_" and 32 random bytes in hex; the file
 * holds {"tokens": [{"name", "sha256", "read_only", "created"}]}, written
 * whole to a temporary file and renamed, 0600 in a 0700 directory.
 */
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "paths.h"
#include "timefmt.h"
#include "tokens.h"
#include "xmalloc.h"

#define TOKEN_BYTES 32
#define TOKENS_MAX  1000

struct token {
	char *name;
	unsigned char hash[32];
	int read_only;
	char *created;
};

struct tokens {
	char *path;
	struct token *v;
	size_t n;
	struct stat seen; /* of the file as it was read */
};

static void
sha256(const char *s, unsigned char out[32])
{
	unsigned int len = 32;

	EVP_Digest(s, strlen(s), out, &len, EVP_sha256(), NULL);
}

static void
hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
unhex(const char *s, unsigned char *out, size_t n)
{
	unsigned int b;
	size_t i;

	if (strlen(s) != 2 * n) {
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &b) != 1) {
			return -1;
		}
		out[i] = (unsigned char)b;
	}
	return 0;
}

static void
tokens_clear(struct tokens *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].name);
		free(t->v[i].created);
	}
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

static int
tokens_load(struct tokens *t, char **cause)
{
	json_error_t jerr;
	json_t *root, *list, *e;
	const char *name, *hash;
	size_t i;

	if (stat(t->path, &t->seen) == -1) {
		memset(&t->seen, 0, sizeof t->seen);
	}
	if ((root = json_load_file(t->path, 0, &jerr)) == NULL) {
		if (access(t->path, F_OK) == -1 && errno == ENOENT) {
			return 0;
		}
		*cause = xasprintf(
		    "%s:%d:%d: %s", t->path, jerr.line, jerr.column, jerr.text);
		return -1;
	}
	list = json_object_get(root, "tokens");
	t->v = xcalloc(json_array_size(list) + 1, sizeof *t->v);
	json_array_foreach(list, i, e)
	{
		name = json_string_value(json_object_get(e, "name"));
		hash = json_string_value(json_object_get(e, "sha256"));
		if (name == NULL || hash == NULL ||
		    unhex(hash, t->v[t->n].hash, 32) == -1) {
			*cause = xasprintf("%s: token %zu: needs a name and a "
			                   "sha256 of 64 hex digits",
			    t->path, i + 1);
			json_decref(root);
			return -1;
		}
		t->v[t->n].name = xstrdup(name);
		t->v[t->n].read_only =
		    json_is_true(json_object_get(e, "read_only"));
		t->v[t->n].created = xstrdup(
		    json_string_value(json_object_get(e, "created")) != NULL
		        ? json_string_value(json_object_get(e, "created"))
		        : "");
		t->n++;
	}
	json_decref(root);
	return 0;
}

struct tokens *
tokens_open(const char *dir, char **cause)
{
	struct tokens *t = xcalloc(1, sizeof *t);

	if (paths_make_private_dir(dir, cause) == -1) {
		free(t);
		return NULL;
	}
	t->path = xasprintf("%s/tokens.json", dir);
	if (tokens_load(t, cause) == -1) {
		tokens_free(t);
		return NULL;
	}
	return t;
}

void
tokens_free(struct tokens *t)
{
	if (t == NULL) {
		return;
	}
	tokens_clear(t);
	free(t->path);
	free(t);
}

int
tokens_refresh(struct tokens *t, char **cause)
{
	struct stat sb;

	if (stat(t->path, &sb) == -1) {
		memset(&sb, 0, sizeof sb);
	}
	if (sb.st_ino == t->seen.st_ino && sb.st_size == t->seen.st_size &&
	    sb.st_mtim.tv_sec == t->seen.st_mtim.tv_sec &&
	    sb.st_mtim.tv_nsec == t->seen.st_mtim.tv_nsec) {
		return 0;
	}
	tokens_clear(t);
	return tokens_load(t, cause);
}

size_t
tokens_count(const struct tokens *t)
{
	return t->n;
}

json_t *
tokens_json(const struct tokens *t)
{
	json_t *list = json_array();
	size_t i;

	for (i = 0; i < t->n; i++) {
		json_array_append_new(list,
		    json_pack("{s:s, s:b, s:s}", "name", t->v[i].name,
		        "read_only", t->v[i].read_only, "created",
		        t->v[i].created));
	}
	return list;
}

static int
tokens_save(const struct tokens *t, char **cause)
{
	json_t *root = json_object(), *list = json_array();
	char *tmp = xasprintf("%s.%ld.tmp", t->path, (long)getpid());
	char h[65];
	size_t i;
	int fd, rc = -1;

	for (i = 0; i < t->n; i++) {
		hex(t->v[i].hash, 32, h);
		json_array_append_new(list,
		    json_pack("{s:s, s:s, s:b, s:s}", "name", t->v[i].name,
		        "sha256", h, "read_only", t->v[i].read_only, "created",
		        t->v[i].created));
	}
	json_object_set_new(root, "tokens", list);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd != -1 && json_dumpfd(root, fd, JSON_INDENT(2)) == 0 &&
	    fsync(fd) == 0 && close(fd) == 0 && rename(tmp, t->path) == 0) {
		rc = 0;
	} else {
		*cause =
		    xasprintf("cannot write %s: %s", t->path, strerror(errno));
		if (fd != -1) {
			close(fd);
		}
		unlink(tmp);
	}
	free(tmp);
	json_decref(root);
	return rc;
}

char *
tokens_new(struct tokens *t, const char *name, int read_only, char **cause)
{
	unsigned char raw[TOKEN_BYTES];
	char h[2 * TOKEN_BYTES + 1], at[40], *token;
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (strcmp(t->v[i].name, name) == 0) {
			*cause = xasprintf("a token called '%s' exists", name);
			return NULL;
		}
	}
	if (t->n >= TOKENS_MAX) {
		*cause = xasprintf("%d tokens are the most kept", TOKENS_MAX);
		return NULL;
	}
	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
		*cause = xasprintf("no random bytes: %s", strerror(errno));
		return NULL;
	}
	hex(raw, sizeof raw, h);
	token = xasprintf("tw_%s", h);
	t->v = xreallocarray(t->v, t->n + 1, sizeof *t->v);
	t->v[t->n].name = xstrdup(name);
	sha256(token, t->v[t->n].hash);
	t->v[t->n].read_only = read_only;
	t->v[t->n].created =
	    xstrdup(timefmt_iso(timefmt_now_ms(), at, sizeof at));
	t->n++;
	if (tokens_save(t, cause) == -1) {
		t->n--;
		free(t->v[t->n].name);
		free(t->v[t->n].created);
		free(token);
		return NULL;
	}
	return token;
}

int
tokens_check(const struct tokens *t, const char *token, const char **name,
    int *read_only)
{
	unsigned char h[32];
	size_t i;
	int found = -1;

	sha256(token, h);
	/* Every one compared, whichever matches: no timing tells which. */
	for (i = 0; i < t->n; i++) {
		if (CRYPTO_memcmp(h, t->v[i].hash, sizeof h) == 0) {
			found = (int)i;
		}
	}
	if (found == -1) {
		return 0;
	}
	*name = t->v[found].name;
	*read_only = t->v[found].read_only;
	return 1;
}
