/*
 * Allocation wrappers: the only place out-of-memory is handled, by ending
 * the process with a message (tmux xmalloc.c does the same).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xmalloc.h"

void *
xmalloc(size_t size)
{
	void *p;

	if (size == 0) {
		size = 1;
	}
	if ((p = malloc(size)) == NULL) {
		fatal("xmalloc: allocating %zu bytes", size);
	}
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p;

	if (nmemb == 0 || size == 0) {
		nmemb = size = 1;
	}
	if ((p = calloc(nmemb, size)) == NULL) {
		fatal("xcalloc: allocating %zu * %zu bytes", nmemb, size);
	}
	return p;
}

void *
xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	void *p;

	if (nmemb == 0 || size == 0) {
		nmemb = size = 1;
	}
	if (SIZE_MAX / nmemb < size) {
		errno = ENOMEM;
		fatal("xreallocarray: %zu * %zu bytes overflows", nmemb, size);
	}
	if ((p = realloc(ptr, nmemb * size)) == NULL) {
		fatal("xreallocarray: allocating %zu * %zu bytes", nmemb, size);
	}
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p;
	size_t len;

	len = strnlen(s, n);
	p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) == -1) {
		fatal("xvasprintf: out of memory");
	}
	return s;
}

char **
strv_copy(char *const *v)
{
	char **c;
	size_t n = 0, i;

	if (v == NULL) {
		return NULL;
	}
	while (v[n] != NULL) {
		n++;
	}
	c = xcalloc(n + 1, sizeof *c);
	for (i = 0; i < n; i++) {
		c[i] = xstrdup(v[i]);
	}
	return c;
}

void
strv_add(char ***v, size_t *n, char *s)
{
	*v = xreallocarray(*v, *n + 2, sizeof **v);
	(*v)[(*n)++] = s;
	(*v)[*n] = NULL;
}

void
strv_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++) {
		free(v[i]);
	}
	free(v);
}
