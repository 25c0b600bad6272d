/*
 * Inside the protocol methods: what request.c shares with the files of
 * more methods (request-observe.c).
 */
#ifndef TW_REQUEST_INT_H
#define TW_REQUEST_INT_H

#include <jansson.h>
#include <stdint.h>

struct client;
struct twd;

/*
 * A failed request: a code from proto.h and a heap message. Or, with later
 * set, one that is answered later (see client_hold).
 */
struct request_error {
	const char *code;
	char *message;
	int later;
};

/* c is the client asking, for what must stay with it (subscriptions). */
typedef json_t *(*request_fn)(
    struct twd *, struct client *c, json_t *args, struct request_error *);

/* The first error of a request is the one told; later ones are dropped. */
json_t *
request_fail(struct request_error *err, const char *code, char *message);
/* args[key] as a string, or NULL (and an error when required). */
const char *arg_string(
    json_t *args, const char *key, int required, struct request_error *err);
/*
 * args' "since" (an RFC 3339 instant) into *since_ms and "limit" (1 to
 * max) into *limit, each when given: 0, or -1 with an error.
 */
int arg_since_limit(json_t *args, int64_t *since_ms, int *limit, int max,
    struct request_error *err);

/* request-observe.c */
json_t *
req_audit(struct twd *, struct client *, json_t *, struct request_error *);
json_t *
req_metrics(struct twd *, struct client *, json_t *, struct request_error *);
json_t *
req_report(struct twd *, struct client *, json_t *, struct request_error *);

json_t *req_subscriptions(
    struct twd *, struct client *, json_t *, struct request_error *);
json_t *req_subscription_add(
    struct twd *, struct client *, json_t *, struct request_error *);
json_t *req_subscription_delete(
    struct twd *, struct client *, json_t *, struct request_error *);

#endif
