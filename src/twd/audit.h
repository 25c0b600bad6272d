/*
 * The audit log: each request that changes something (every request,
 * with audit: {reads: true}) recorded with its peer and its outcome, and
 * each reload twd made of its own accord. See audit.c.
 */
#ifndef TW_AUDIT_H
#define TW_AUDIT_H

#include <jansson.h>

struct audit;
struct client;
struct twd;

struct audit *audit_create(struct twd *);
/* Record what is still held as cut short by the shutdown. */
void audit_free(struct audit *);
/*
 * Record request cmd of client c with args, asked on behalf of actor (as
 * the client says; or NULL), answered ok or with error.
 */
void audit_request(struct audit *, struct client *c, const char *cmd,
    json_t *args, const char *actor, int ok, const char *error);
/* The request is answered later: audit_answered records it then. */
void audit_hold(struct audit *, struct client *c, const char *cmd, json_t *args,
    const char *actor);
/*
 * The held request of client (client_hold's number) was answered: ok or
 * error, with changes (a reload's) when not NULL. Returns 1, or 0 when
 * none of that client was held here (a read not audited).
 */
int audit_answered(struct audit *, unsigned long client, int ok,
    const char *error, json_t *changes);
/* What twd did of its own accord (a reload on a file change). */
void audit_own(struct audit *, const char *cmd, json_t *args, int ok,
    const char *error, json_t *changes);

#endif
