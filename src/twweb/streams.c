/*
 * GET /api/v1/events: the daemon's events as Server-Sent Events.
 *
 * twweb holds one subscription to every event (the feed), whatever the
 * number of streams, and each stream takes what its filter wants. Each
 * event gets an id, counting from 1 in this twweb, and the newest ones
 * are kept in a ring: a client that comes back with Last-Event-ID is
 * given those it missed, when the ring still has them (and told when it
 * does not). The feed starts with the first stream, and is asked again a
 * second after the daemon went away, while a stream is open.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "calls.h"
#include "proto.h"
#include "web.h"
#include "xmalloc.h"

/* Streams at once; events kept for Last-Event-ID; a comment this often. */
#define STREAMS_MAX   64
#define STREAMS_RING  4096
#define STREAM_PING_S 15

struct stream {
	struct web *w;
	struct evhttp_request *req;
	proto_event_set events;
	char *task;    /* only its events, when set */
	int64_t run;   /* only its, when not 0 */
	int started;   /* the reply's head is sent */
	uint64_t last; /* Last-Event-ID: replayed from after it */
	int cutting;   /* cut off at the loop's next turn: nothing more sent */
	struct event *ev_ping;
	struct event *ev_cut;
	LIST_ENTRY(stream) entry;
};

/* One event as the streams send it. */
struct ring_event {
	uint64_t id;
	enum proto_event ev;
	char *task;
	int64_t run;
	char *block; /* "id: N\nevent: NAME\ndata: JSON\n\n" */
	size_t len;
};

struct feed {
	struct call *call;
	int up; /* subscribed */
	uint64_t next_id;
	struct ring_event ring[STREAMS_RING];
	size_t head, n; /* the oldest, and how many */
	struct event *ev_again;
};

static struct feed *
feed_of(struct web *w)
{
	if (w->feed == NULL) {
		w->feed = xcalloc(1, sizeof *w->feed);
		w->feed->next_id = 1;
	}
	return w->feed;
}

static void
stream_free(struct stream *s)
{
	struct evhttp_connection *conn;

	LIST_REMOVE(s, entry);
	s->w->nstreams--;
	event_free(s->ev_ping);
	event_free(s->ev_cut);
	if (s->req != NULL &&
	    (conn = evhttp_request_get_connection(s->req)) != NULL) {
		evhttp_connection_set_closecb(conn, NULL, NULL);
	}
	free(s->task);
	free(s);
}

static void
stream_gone(struct evhttp_connection *conn, void *arg)
{
	struct stream *s = arg;

	(void)conn;
	web_request_gone(s->req);
	s->req = NULL;
	stream_free(s);
}

static void
stream_end(struct stream *s)
{
	if (s->req != NULL) {
		if (s->started) {
			evhttp_send_reply_end(s->req);
		} else {
			web_error(s->req, HTTP_SERVUNAVAIL,
			    "daemon_unreachable",
			    "the daemon cannot be reached");
		}
	}
	stream_free(s);
}

/* Cut the stream off: its connection closed. */
static void
stream_cut(evutil_socket_t fd, short what, void *arg)
{
	struct stream *s = arg;
	struct evhttp_connection *conn = evhttp_request_get_connection(s->req);

	(void)fd;
	(void)what;
	evhttp_connection_set_closecb(conn, NULL, NULL);
	s->req = NULL;
	stream_free(s);
	evhttp_connection_free(conn);
}

static void
stream_send(struct stream *s, const char *text, size_t len)
{
	struct evhttp_connection *conn;
	struct bufferevent *bev;
	struct evbuffer *b;

	if (s->cutting || !s->started) {
		return;
	}
	conn = evhttp_request_get_connection(s->req);
	bev = evhttp_connection_get_bufferevent(conn);
	/*
	 * A client that reads nothing is cut off, not buffered for: its
	 * connection closed, since the end of a reply would wait behind what
	 * it does not read. From the loop's next turn, not from inside the
	 * feed's callback.
	 */
	if (evbuffer_get_length(bufferevent_get_output(bev)) >
	    s->w->stream_backlog) {
		s->cutting = 1;
		event_active(s->ev_cut, 0, 0);
		return;
	}
	b = evbuffer_new();
	evbuffer_add(b, text, len);
	evhttp_send_reply_chunk(s->req, b);
	evbuffer_free(b);
}

static void
stream_ping(evutil_socket_t fd, short what, void *arg)
{
	struct stream *s = arg;

	(void)fd;
	(void)what;
	stream_send(s, ": ping\n\n", 8);
}

static int
stream_wants(const struct stream *s, const struct ring_event *e)
{
	return (s->events & (1u << e->ev)) &&
	    (s->task == NULL ||
	        (e->task != NULL && !strcmp(s->task, e->task))) &&
	    (s->run == 0 || s->run == e->run);
}

/* The head of the reply, then what it missed since its Last-Event-ID. */
static void
stream_start(struct stream *s)
{
	struct feed *f = s->w->feed;
	struct ring_event *e;
	size_t i;

	evhttp_add_header(evhttp_request_get_output_headers(s->req),
	    "Content-Type", "text/event-stream");
	evhttp_add_header(evhttp_request_get_output_headers(s->req),
	    "Cache-Control", "no-cache");
	evhttp_send_reply_start(s->req, HTTP_OK, "OK");
	s->started = 1;
	stream_send(s, ": subscribed\n\n", 14);
	if (s->last == 0) {
		return;
	}
	if (f->n == 0 || f->ring[f->head].id > s->last + 1) {
		if (s->last + 1 < f->next_id) {
			stream_send(s,
			    ": events since Last-Event-ID are no longer "
			    "kept\n\n",
			    49);
		}
	}
	for (i = 0; i < f->n; i++) {
		e = &f->ring[(f->head + i) % STREAMS_RING];
		if (e->id > s->last && stream_wants(s, e)) {
			stream_send(s, e->block, e->len);
		}
	}
}

static void feed_start(struct web *w);

static void
feed_again(evutil_socket_t fd, short what, void *arg)
{
	struct web *w = arg;

	(void)fd;
	(void)what;
	if (!LIST_EMPTY(&w->streams)) {
		feed_start(w);
	}
}

static void
feed_reply(void *arg, struct proto_reply *rep, const char *error)
{
	struct web *w = arg;
	struct feed *f = w->feed;
	struct timeval again = { 1, 0 };
	struct stream *s, *next;

	if (rep != NULL && rep->ok) {
		f->up = 1;
		LIST_FOREACH(s, &w->streams, entry)
		{
			if (!s->started) {
				stream_start(s);
			}
		}
		return;
	}
	/* Refused, or the daemon went away: the streams end; asked again. */
	f->call = NULL;
	f->up = 0;
	(void)error;
	for (s = LIST_FIRST(&w->streams); s != NULL; s = next) {
		next = LIST_NEXT(s, entry);
		stream_end(s);
	}
	if (f->ev_again == NULL) {
		f->ev_again = evtimer_new(w->base, feed_again, w);
	}
	evtimer_add(f->ev_again, &again);
}

static void
feed_event(void *arg, json_t *event)
{
	struct web *w = arg;
	struct feed *f = w->feed;
	const char *name = json_string_value(json_object_get(event, "event"));
	json_t *data = json_object_get(event, "data");
	struct ring_event *e;
	proto_event_set set = 0;
	struct stream *s;
	char *text;
	int i;

	if (name == NULL || proto_event_match(name, &set) != 1) {
		return;
	}
	if (f->n == STREAMS_RING) {
		e = &f->ring[f->head];
		free(e->task);
		free(e->block);
		f->head = (f->head + 1) % STREAMS_RING;
		f->n--;
	}
	e = &f->ring[(f->head + f->n) % STREAMS_RING];
	f->n++;
	memset(e, 0, sizeof *e);
	e->id = f->next_id++;
	for (i = 0; i < PROTO_EV_COUNT && !(set & (1u << i)); i++) {
	}
	e->ev = (enum proto_event)i;
	if (json_is_string(json_object_get(data, "task"))) {
		e->task =
		    xstrdup(json_string_value(json_object_get(data, "task")));
	}
	/* A run's events carry it as id; its output, as run. */
	e->run = json_integer_value(
	    json_object_get(data, e->ev == PROTO_EV_RUN_OUTPUT ? "run" : "id"));
	text = json_dumps(event, JSON_COMPACT | JSON_REAL_PRECISION(15));
	e->block = xasprintf("id: %" PRIu64 "\nevent: %s\ndata: %s\n\n", e->id,
	    name, text != NULL ? text : "{}");
	e->len = strlen(e->block);
	free(text);
	LIST_FOREACH(s, &w->streams, entry)
	{
		if (stream_wants(s, e)) {
			stream_send(s, e->block, e->len);
		}
	}
}

static void
feed_start(struct web *w)
{
	struct feed *f = feed_of(w);

	if (f->call != NULL) {
		return;
	}
	f->call = call_subscribe(w->base, w->socket,
	    json_pack("{s:[s]}", "events", "*"), feed_reply, feed_event, w);
}

void
stream_open(struct web *w, struct evhttp_request *req)
{
	const char *q =
	    evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	const char *last = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Last-Event-ID");
	struct timeval ping = { STREAM_PING_S, 0 };
	struct evkeyvalq kv;
	struct evkeyval *kv_e;
	struct stream *s;
	char *end;

	if (w->nstreams >= STREAMS_MAX) {
		web_error(req, HTTP_SERVUNAVAIL, "busy",
		    "%d event streams are open: the most twweb keeps",
		    STREAMS_MAX);
		return;
	}
	s = xcalloc(1, sizeof *s);
	s->w = w;
	s->req = req;
	TAILQ_INIT(&kv);
	if (q != NULL && evhttp_parse_query_str(q, &kv) == 0) {
		TAILQ_FOREACH(kv_e, &kv, next)
		{
			if (strcmp(kv_e->key, "events") == 0 &&
			    proto_event_match(kv_e->value, &s->events) == 0) {
				web_error(req, HTTP_BADREQUEST, "bad_request",
				    "events: '%s' names no event", kv_e->value);
				evhttp_clear_headers(&kv);
				free(s->task);
				free(s);
				return;
			} else if (strcmp(kv_e->key, "task") == 0) {
				free(s->task);
				s->task = xstrdup(kv_e->value);
			} else if (strcmp(kv_e->key, "run") == 0) {
				s->run = strtoll(kv_e->value, &end, 10);
			}
		}
	}
	evhttp_clear_headers(&kv);
	if (s->events == 0) {
		proto_event_match("*", &s->events);
	}
	if (last != NULL) {
		s->last = strtoull(last, &end, 10);
	}
	LIST_INSERT_HEAD(&w->streams, s, entry);
	w->nstreams++;
	s->ev_ping = event_new(w->base, -1, EV_PERSIST, stream_ping, s);
	s->ev_cut = event_new(w->base, -1, 0, stream_cut, s);
	event_add(s->ev_ping, &ping);
	evhttp_connection_set_closecb(
	    evhttp_request_get_connection(req), stream_gone, s);
	if (feed_of(w)->up) {
		stream_start(s);
	} else {
		feed_start(w);
	}
}

void
api_streams_close(struct web *w)
{
	struct stream *s;
	size_t i;

	/*
	 * At exit: no reply is ended (it would wait to be written, its
	 * request out of evhttp's hands); evhttp_free closes them.
	 */
	while ((s = LIST_FIRST(&w->streams)) != NULL) {
		stream_free(s);
	}
	if (w->feed != NULL) {
		call_cancel(w->feed->call);
		if (w->feed->ev_again != NULL) {
			event_free(w->feed->ev_again);
		}
		for (i = 0; i < w->feed->n; i++) {
			free(w->feed->ring[(w->feed->head + i) % STREAMS_RING]
			         .task);
			free(w->feed->ring[(w->feed->head + i) % STREAMS_RING]
			         .block);
		}
		free(w->feed);
		w->feed = NULL;
	}
}
