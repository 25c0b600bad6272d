/*
 * Serving and writing the metrics.
 *
 * An exposition is a metrics_writer and where its text goes: an HTTP
 * reply, sent in chunks as the slices come, or a temporary file renamed
 * over the textfile when whole. A slice is written from an event of the
 * lowest priority, so fires and replies to twctl go first; a scrape of
 * 100,000 tasks is some fifty slices, not one long stall of the loop.
 */
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "config.h"
#include "log.h"
#include "metrics.h"
#include "notifiers.h"
#include "observe.h"
#include "tasks.h"
#include "twd.h"
#include "xmalloc.h"

/* Tasks per slice: about a millisecond's writing. */
#define OBSERVE_SLICE 2000
/* A scraper that reads nothing for this long is dropped (seconds). */
#define OBSERVE_HTTP_TIMEOUT     30
#define OBSERVE_HTTP_HEADERS_MAX 16384

struct exposition {
	struct observe *o;
	struct metrics_writer *w;
	struct metrics_text text;
	struct event *ev;
	struct evhttp_request *req; /* a scrape; or */
	int fd;                     /* the textfile's temporary file */
	char *tmp;
	TAILQ_ENTRY(exposition) entry;
};
TAILQ_HEAD(expositions, exposition);

struct observe {
	struct twd *twd;
	struct evhttp *http;
	char *listening; /* "host:port" served, or NULL */
	char *error;     /* why it is not, or NULL */
	struct expositions scrapes;

	char *textfile;
	int64_t interval_ms;
	int64_t written_ms; /* when the textfile was last begun */
	struct event *ev_textfile;
	struct exposition *writing; /* the textfile being written */
	int again;                  /* and due again once it is */
};

static void exposition_step(evutil_socket_t, short, void *);

void
observe_globals(struct twd *twd, struct metrics_globals *g)
{
	g->start_ms = twd->started_ms;
	g->reloads_ok = twd->reloads_ok;
	g->reloads_failed = twd->reloads_failed;
	g->last_reload_ok_ms = twd->last_reload_ok_ms;
	g->notifiers = notifiers_status(twd->notifiers);
}

/*
 * The next slice, at the loop's next turn: through a timer of no wait,
 * not event_active, whose event libevent would run again in the same
 * turn, the whole scrape with the loop held (a fire 150 ms late).
 */
static void
exposition_next(struct exposition *x)
{
	static const struct timeval now = { 0, 0 };

	evtimer_add(x->ev, &now);
}

static struct exposition *
exposition_new(struct observe *o)
{
	struct exposition *x = xcalloc(1, sizeof *x);
	struct metrics_globals g;

	x->o = o;
	x->fd = -1;
	observe_globals(o->twd, &g);
	x->w = metrics_writer_new(&g);
	json_decref(g.notifiers);
	x->ev = evtimer_new(o->twd->base, exposition_step, x);
	event_priority_set(x->ev, 2);
	exposition_next(x);
	return x;
}

static void
exposition_free(struct exposition *x)
{
	metrics_writer_free(x->w);
	event_free(x->ev);
	free(x->text.s);
	if (x->fd != -1) {
		close(x->fd);
		unlink(x->tmp);
	}
	free(x->tmp);
	free(x);
}

/* Scrapes */

static void
scrape_end(struct exposition *x)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(x->req);

	if (conn != NULL) {
		evhttp_connection_set_closecb(conn, NULL, NULL);
	}
	TAILQ_REMOVE(&x->o->scrapes, x, entry);
	exposition_free(x);
}

/* The scraper went away mid-reply: the request is evhttp's to free. */
static void
scrape_gone(struct evhttp_connection *conn, void *arg)
{
	struct exposition *x = arg;

	(void)conn;
	/* evhttp let go of the request (no connection): it is ours to free. */
	if (evhttp_request_get_connection(x->req) == NULL) {
		evhttp_send_reply_end(x->req);
	}
	TAILQ_REMOVE(&x->o->scrapes, x, entry);
	exposition_free(x);
}

static void
scrape_slice(struct exposition *x, int done)
{
	struct evbuffer *b = evbuffer_new();

	evbuffer_add(b, x->text.s, x->text.len);
	evhttp_send_reply_chunk(x->req, b);
	evbuffer_free(b);
	if (done) {
		evhttp_send_reply_end(x->req);
		scrape_end(x);
	}
}

static void
observe_request(struct evhttp_request *req, void *arg)
{
	struct observe *o = arg;
	const char *path =
	    evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	struct exposition *x;

	if (path == NULL || strcmp(path, "/metrics") != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND,
		    "Not Found: twd serves its metrics at /metrics");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", METRICS_CONTENT_TYPE);
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
		evhttp_send_reply(req, HTTP_OK, "OK", NULL);
		return;
	}
	x = exposition_new(o);
	x->req = req;
	TAILQ_INSERT_TAIL(&o->scrapes, x, entry);
	evhttp_connection_set_closecb(
	    evhttp_request_get_connection(req), scrape_gone, x);
	evhttp_send_reply_start(req, HTTP_OK, "OK");
}

static void
observe_unlisten(struct observe *o)
{
	struct exposition *x;

	while ((x = TAILQ_FIRST(&o->scrapes)) != NULL) {
		scrape_end(x);
	}
	if (o->http != NULL) {
		evhttp_free(o->http);
		o->http = NULL;
	}
	free(o->listening);
	o->listening = NULL;
	free(o->error);
	o->error = NULL;
}

static int
addr_is_loopback(const char *host)
{
	return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0;
}

static void
observe_listen(struct observe *o, const struct metrics_def *m)
{
	char *where;

	where = xasprintf(strchr(m->host, ':') != NULL ? "[%s]:%d" : "%s:%d",
	    m->host, m->port);
	if (o->listening != NULL && strcmp(o->listening, where) == 0) {
		free(where);
		return; /* as it was: scrapes go on */
	}
	observe_unlisten(o);
	o->http = evhttp_new(o->twd->base);
	evhttp_set_allowed_methods(o->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_timeout(o->http, OBSERVE_HTTP_TIMEOUT);
	/* A scraper sends a line and a few headers, never a body. */
	evhttp_set_max_headers_size(o->http, OBSERVE_HTTP_HEADERS_MAX);
	evhttp_set_max_body_size(o->http, 0);
	evhttp_set_gencb(o->http, observe_request, o);
	if (evhttp_bind_socket_with_handle(
	        o->http, m->host, (ev_uint16_t)m->port) == NULL) {
		o->error = xasprintf("cannot listen on %s: %s", where,
		    errno != 0 ? strerror(errno) : "refused");
		log_error("metrics: %s", o->error);
		evhttp_free(o->http);
		o->http = NULL;
		free(where);
		return;
	}
	o->listening = where;
	log_info("metrics served at http://%s/metrics", where);
	if (!addr_is_loopback(m->host)) {
		log_warn("metrics: %s is not a loopback address; /metrics "
		         "answers anyone who reaches it, unauthenticated",
		    where);
	}
}

/* The textfile */

static void
textfile_begin(struct observe *o)
{
	struct exposition *x;
	int fd;
	char *tmp;

	if (o->writing != NULL) {
		o->again = 1;
		return;
	}
	tmp = xasprintf("%s.%ld.tmp", o->textfile, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	o->written_ms = tw_now(&o->twd->clock);
	if (fd == -1) {
		log_error("metrics: cannot write %s: %s", tmp, strerror(errno));
		free(tmp);
		return;
	}
	x = exposition_new(o);
	x->fd = fd;
	x->tmp = tmp;
	o->writing = x;
}

/* Write all of the slice to the temporary file: 0, or -1 logged. */
static int
textfile_slice(struct exposition *x, int done)
{
	struct observe *o = x->o;
	size_t off = 0;
	ssize_t n;

	while (off < x->text.len) {
		if ((n = write(x->fd, x->text.s + off, x->text.len - off)) ==
		    -1) {
			if (errno == EINTR) {
				continue;
			}
			log_error("metrics: cannot write %s: %s", x->tmp,
			    strerror(errno));
			return -1;
		}
		off += (size_t)n;
	}
	if (!done) {
		return 0;
	}
	/*
	 * Whole, then renamed: a reader sees the old file or the new one.
	 * (No fsync: after a crash the next write replaces it anyway.)
	 */
	if (close(x->fd) == -1 || rename(x->tmp, o->textfile) == -1) {
		log_error("metrics: cannot write %s: %s", o->textfile,
		    strerror(errno));
		x->fd = -1;
		unlink(x->tmp);
		return -1;
	}
	x->fd = -1;
	return 0;
}

static void
textfile_due(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	textfile_begin(arg);
}

/* Write the textfile now, or when the interval since the last is over. */
static void
textfile_soon(struct observe *o)
{
	int64_t wait;
	struct timeval tv;

	if (o->textfile == NULL || evtimer_pending(o->ev_textfile, NULL)) {
		return;
	}
	wait = o->written_ms + o->interval_ms - tw_now(&o->twd->clock);
	if (wait < 0 || o->written_ms == 0) {
		wait = 0;
	}
	tv.tv_sec = wait / 1000;
	tv.tv_usec = (wait % 1000) * 1000;
	evtimer_add(o->ev_textfile, &tv);
}

static void
exposition_step(evutil_socket_t fd, short what, void *arg)
{
	struct exposition *x = arg;
	struct observe *o = x->o;
	int done;

	(void)fd;
	(void)what;
	x->text.len = 0;
	done = metrics_write(x->w, o->twd->tasks, &x->text, OBSERVE_SLICE);
	if (x->req != NULL) {
		scrape_slice(x, done); /* x is freed when done */
	} else if (textfile_slice(x, done) == -1 || done) {
		o->writing = NULL;
		exposition_free(x);
		if (o->again) {
			o->again = 0;
			textfile_soon(o);
		}
		return;
	}
	if (!done) {
		exposition_next(x);
	}
}

int
observe_textfile(const struct observe *o)
{
	return o != NULL && o->textfile != NULL;
}

void
observe_run_ended(struct observe *o)
{
	if (o != NULL) {
		textfile_soon(o);
	}
}

struct observe *
observe_create(struct twd *twd)
{
	struct observe *o = xcalloc(1, sizeof *o);

	o->twd = twd;
	TAILQ_INIT(&o->scrapes);
	o->ev_textfile = evtimer_new(twd->base, textfile_due, o);
	return o;
}

void
observe_configure(struct observe *o, const struct config *c)
{
	const struct metrics_def *m = &c->metrics;

	if (m->host != NULL) {
		observe_listen(o, m);
	} else {
		observe_unlisten(o);
	}
	if (o->textfile == NULL || m->textfile == NULL ||
	    strcmp(o->textfile, m->textfile) != 0) {
		free(o->textfile);
		o->textfile = m->textfile != NULL ? xstrdup(m->textfile) : NULL;
		o->written_ms = 0;
	}
	o->interval_ms = m->interval_ms;
	if (o->textfile == NULL) {
		evtimer_del(o->ev_textfile);
	} else {
		textfile_soon(o);
	}
}

const char *
observe_listening(const struct observe *o, const char **error)
{
	*error = o->error;
	return o->listening;
}

void
observe_free(struct observe *o)
{
	if (o == NULL) {
		return;
	}
	observe_unlisten(o);
	if (o->writing != NULL) {
		exposition_free(o->writing);
	}
	event_free(o->ev_textfile);
	free(o->textfile);
	free(o);
}
