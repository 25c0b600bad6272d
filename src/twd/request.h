/*
 * The daemon's methods: one handler per protocol command, found by name in
 * a table. Each turns a request into a reply on the client.
 */
#ifndef TW_REQUEST_H
#define TW_REQUEST_H

struct client;
struct proto_request;

/* A server_request_cb; arg is the struct twd. */
void request_dispatch(struct client *, struct proto_request *, void *arg);

/* Wait for the reports still being made (at shutdown), and drop them. */
void reports_wait(void);

#endif
