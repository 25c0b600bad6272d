/*
 * Typo suggestions by optimal string alignment distance (Levenshtein plus
 * transposition, since "stauts" for "status" is the commonest slip).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "suggest.h"
#include "xmalloc.h"

static size_t
min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

static size_t
suggest_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, cost, d, width = lb + 1;
	size_t *m;

	m = xcalloc((la + 1) * width, sizeof *m);
	for (i = 0; i <= la; i++) {
		m[i * width] = i;
	}
	for (j = 0; j <= lb; j++) {
		m[j] = j;
	}
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			cost = tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]);
			d = min3(m[(i - 1) * width + j] + 1,
			    m[i * width + j - 1] + 1,
			    m[(i - 1) * width + j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] &&
			    m[(i - 2) * width + j - 2] + 1 < d) {
				d = m[(i - 2) * width + j - 2] + 1;
			}
			m[i * width + j] = d;
		}
	}
	d = m[la * width + lb];
	free(m);
	return d;
}

const char *
suggest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t i, d, best_d = (size_t)-1, limit;

	/* One slip per three letters, at least one and at most three. */
	limit = strlen(word) / 3;
	limit = limit < 1 ? 1 : limit > 3 ? 3 : limit;
	for (i = 0; i < n; i++) {
		d = suggest_distance(word, candidates[i]);
		if (d <= limit && d < best_d) {
			best = candidates[i];
			best_d = d;
		}
	}
	return best;
}
