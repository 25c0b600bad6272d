/*
 * twweb: the web page and HTTP API over the daemon's socket. What the
 * files of twweb share: the server's state, and how a request is answered.
 */
#ifndef TW_WEB_H
#define TW_WEB_H

#include <sys/queue.h>

#include <jansson.h>

struct evconnlistener;
struct evhttp;
struct evhttp_request;
struct event_base;
struct tokens;

/* What an event stream may have unsent before it is cut off. */
#define WEB_STREAM_BACKLOG (4 * 1024 * 1024)

/* Failed logins, by address: so many a minute, then 429. */
#define WEB_FAILS_MAX    20
#define WEB_FAILS_WINDOW 60
#define WEB_FAILS_SLOTS  256

struct web_fail {
	char addr[64];
	long since; /* monotonic seconds of the window's start */
	int n;
};

struct stream;
struct feed;
LIST_HEAD(streams, stream);

struct web {
	struct event_base *base;
	struct evhttp *http;
	struct evconnlistener *listener; /* rests a second at EMFILE */
	struct ssl_ctx_st *tls;          /* HTTPS; NULL: HTTP */
	char *socket;                    /* the daemon's */
	char *share;                     /* the page's files */
	char *origin; /* "http://127.0.0.1:8469": writes must come from it */
	struct tokens *tokens;
	struct web_fail fails[WEB_FAILS_SLOTS];
	struct streams streams; /* /events */
	struct feed *feed;      /* their one subscription to the daemon */
	size_t stream_backlog;  /* bytes a stream may have unsent */
	int nstreams;
};

/* Who asks: the token's name, and whether it may only read. */
struct web_who {
	const char *name;
	int read_only;
};

/* Answer req with status and body (taken; JSON). */
void web_json(struct evhttp_request *req, int status, json_t *body);
/* Answer req with {"error": {"code", "message"}} and status. */
void web_error(struct evhttp_request *req, int status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The asker of req went away unanswered: free what evhttp let go of. */
void web_request_gone(struct evhttp_request *req);

/* api.c: a request under /api/v1/, its asker authenticated. */
void api_route(struct web *, struct evhttp_request *req, const char *path,
    const struct web_who *who);
/* streams.c: GET /api/v1/events for req; and close them all (at exit). */
void stream_open(struct web *, struct evhttp_request *req);
void api_streams_close(struct web *);

#endif
