#include <string.h>

#include "hash.h"

uint64_t
hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n-- > 0) {
		h = (h ^ *b++) * UINT64_C(1099511628211);
	}
	return h;
}

uint64_t
hash_str(uint64_t h, const char *s)
{
	return s != NULL ? hash_bytes(h, s, strlen(s) + 1) : h;
}
