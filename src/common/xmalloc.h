/*
 * Allocation that cannot fail: on exhaustion the process ends with a message,
 * so callers never carry out-of-memory paths of their own.
 */
#ifndef TW_XMALLOC_H
#define TW_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
/* Formatted string on the heap; caller frees. */
char *xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *, va_list) __attribute__((format(printf, 1, 0)));

/* String vectors: NULL-terminated arrays of owned strings. */
/* A deep copy of v (NULL for NULL). */
char **strv_copy(char *const *v);
/* s (taken) after the n strings of *v; n counts it. */
void strv_add(char ***v, size_t *n, char *s);
/* v and its strings; NULL is nothing. */
void strv_free(char **v);

#endif
