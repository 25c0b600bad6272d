/*
 * twweb's tokens: random secrets a browser or a program presents as
 * "Authorization: Bearer TOKEN". Kept in STATE/web/tokens.json (0600) by
 * their SHA-256 only, so the file does not give them away; a token is
 * shown once, when it is made.
 */
#ifndef TW_TOKENS_H
#define TW_TOKENS_H

#include <jansson.h>
#include <stddef.h>

struct tokens;

/* The store of dir (made 0700 if need be). NULL with *cause. */
struct tokens *tokens_open(const char *dir, char **cause);
void tokens_free(struct tokens *);
/*
 * Read the file again if it changed (a token made or removed by another
 * twweb): 0, or -1 with *cause (the tokens are then none).
 */
int tokens_refresh(struct tokens *, char **cause);
/* How many tokens there are. */
size_t tokens_count(const struct tokens *);
/*
 * Make a token called name (read-only or not), save the store, and return
 * the token itself (caller frees): the only time it is seen. NULL with
 * *cause (a name taken, the file not written).
 */
char *
tokens_new(struct tokens *, const char *name, int read_only, char **cause);
/*
 * The token presented: 1 with its name (borrowed) and whether it is
 * read-only, or 0. Every stored token is compared, in constant time.
 */
int tokens_check(const struct tokens *, const char *token, const char **name,
    int *read_only);
/* [{"name", "read_only", "created"}]: the tokens, not their hashes. */
json_t *tokens_json(const struct tokens *);

#endif
