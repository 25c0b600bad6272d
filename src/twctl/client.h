/*
 * twctl's side of the socket: connect, send one request, read its reply.
 * Blocking and simple, as a command-line client may be.
 */
#ifndef TW_CLIENT_H
#define TW_CLIENT_H

#include <jansson.h>

#include "proto.h"

struct conn;

/* Why a connection failed: the daemon is absent, or something else. */
enum conn_failure {
	CONN_NOT_RUNNING,
	CONN_ERROR,
};

/*
 * Connect to path. Returns the connection (caller closes), or NULL with
 * *cause (caller frees) and *why.
 */
struct conn *conn_open(const char *path, enum conn_failure *why, char **cause);
void conn_close(struct conn *);

/*
 * Send cmd with args (taken) and wait for the reply, at most timeout_ms.
 * Returns 0 with rep filled (caller releases), or -1 with *cause.
 */
int conn_call(struct conn *, const char *cmd, json_t *args,
    struct proto_reply *rep, int timeout_ms, char **cause);
/*
 * Wait for the next event of a subscription ({"event", "ts", "data"}).
 * Returns it (caller owns), or NULL with *cause.
 */
json_t *conn_read_event(struct conn *, char **cause);
/* The socket, for poll(2). */
int conn_fd(const struct conn *);
/* Whether conn_read_event has an event without reading the socket. */
int conn_event_ready(const struct conn *);
/* Wait until the daemon hangs up (as it does when it exits). */
void conn_wait_close(struct conn *);

#endif
