/*
 * "Did you mean": the closest of a list of words to a misspelt one.
 */
#ifndef TW_SUGGEST_H
#define TW_SUGGEST_H

#include <stddef.h>

/*
 * The candidate nearest to word by edit distance, if near enough to be a
 * likely typo; else NULL. Returns a borrowed pointer into candidates.
 */
const char *suggest(const char *word, const char *const *candidates, size_t n);

#endif
