/*
 * Socket server. Each client has a bufferevent; whole lines are taken with
 * evbuffer_readln, so a slow writer never blocks the loop, and a line may
 * not grow past PROTO_MAX_REQUEST. Clients are freed when the loop is idle,
 * never inside their own callbacks.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "log.h"
#include "server.h"
#include "timefmt.h"
#include "xmalloc.h"

/* Replies a client has not read yet; past this it is dropped as stuck. */
#define CLIENT_MAX_PENDING (16 * 1024 * 1024)

/*
 * Past this much unread reply, a client's next requests wait: they are
 * not read, nor answered, until it has read what it was sent. A client
 * that sends without reading costs at most this and one reply.
 */
#define CLIENT_PAUSE_AT (1024 * 1024)

/*
 * Unread replies of all clients together; past this, the client with the
 * most is dropped, and so on, so a crowd cannot exhaust the memory.
 */
#define SERVER_MAX_PENDING (64 * 1024 * 1024)

/*
 * A subscriber this far behind misses lossy events (a job's output lines)
 * until it catches up; the others still reach it.
 */
#define CLIENT_MAX_LAG (256 * 1024)

/*
 * How long a refused client may go on sending after our last reply. Closing
 * with unread input makes the kernel send a reset, which can destroy the
 * reply before the client reads it; so read and discard for a while first.
 */
#define CLIENT_LINGER_SECS 2

struct client {
	struct server *server;
	struct bufferevent *bev;
	unsigned long id;
	long uid, pid;  /* the peer, as SO_PEERCRED had it when it came */
	int closing;    /* flush what is queued, then drop */
	int eof;        /* it has sent all it will */
	int paused;     /* its requests wait until it reads its replies */
	json_t *asking; /* the id of the request being handled */
	json_t *held;   /* the id of a request answered later; or NULL */
	struct event *ev_linger;
	int dead;               /* to be freed when the loop is idle */
	proto_event_set events; /* subscribed to */
	char *task;             /* only this task's, when set */
	int64_t run;            /* only this run's, when not 0 */
	char *skipped; /* the newest lossy event skipped while it lagged */
	size_t nskipped;
	TAILQ_ENTRY(client) entry;
};

TAILQ_HEAD(client_list, client);

struct server {
	struct event_base *base;
	char *path;
	struct evconnlistener *listener;
	struct client_list clients;
	size_t nclients;
	unsigned long next_id;
	struct event *ev_gc;
	server_request_cb cb;
	void *arg;
	/*
	 * A descriptor held back for when there are no others: closed to
	 * accept a client and tell it why it cannot be served.
	 */
	int spare;
	int starved; /* out of descriptors; said once until it is over */
	struct event *ev_resume; /* listen again, after a pause */
};

static void
client_drop(struct client *c)
{
	if (c->dead) {
		return;
	}
	c->dead = 1;
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	event_active(c->server->ev_gc, 0, 0);
}

static void
client_free(struct client *c)
{
	if (c->ev_linger != NULL) {
		event_free(c->ev_linger);
	}
	bufferevent_free(c->bev);
	free(c->task);
	free(c->skipped);
	json_decref(c->held);
	free(c);
}

/*
 * Write what is queued, such as the reply to "shutdown", before the loop
 * that would have written it is gone. Best effort: the socket is not made
 * blocking. The bufferevent owns its output's start, so copy, not drain.
 */
static void
client_flush(struct client *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	size_t len = evbuffer_get_length(out);
	unsigned char *p;

	if (len == 0 || (p = evbuffer_pullup(out, -1)) == NULL) {
		return;
	}
	if (send(bufferevent_getfd(c->bev), p, len,
	        MSG_NOSIGNAL | MSG_DONTWAIT) == -1) {
		log_debug(
		    "client %lu: last reply lost: %s", c->id, strerror(errno));
	}
}

static void
server_gc(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	struct client *c, *next;

	size_t freed = 0;

	(void)fd;
	(void)what;
	for (c = TAILQ_FIRST(&srv->clients); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->dead) {
			freed +=
			    evbuffer_get_length(bufferevent_get_output(c->bev));
			TAILQ_REMOVE(&srv->clients, c, entry);
			srv->nclients--;
			client_free(c);
		}
	}
#ifdef __GLIBC__
	/* Clients dropped with much unread: give that memory back. */
	if (freed >= CLIENT_PAUSE_AT) {
		malloc_trim(0);
	}
#endif
}

static void client_linger_over(evutil_socket_t, short, void *);
static void client_eof_tail(struct client *);
static void server_refuse_fd(int, const char *, const char *, ...)
    __attribute__((format(printf, 3, 4)));
static void client_said_all(struct client *);
static void client_read(struct bufferevent *, void *);

static void
client_tell_dropped(struct client *c)
{
	struct timeval tv = { CLIENT_LINGER_SECS * 5, 0 };
	json_t *msg = proto_reply_error(NULL, PROTO_E_TOO_SLOW,
	    "this subscriber fell too far behind the events and was "
	    "dropped");
	char *line;
	size_t len;

	if ((line = proto_encode(msg, PROTO_MAX_REPLY, &len)) != NULL) {
		evbuffer_add(bufferevent_get_output(c->bev), line, len);
		free(line);
	}
	json_decref(msg);
	c->closing = 1;
	c->ev_linger = evtimer_new(c->server->base, client_linger_over, c);
	evtimer_add(c->ev_linger, &tv);
}

/*
 * Before more unread output is queued (len bytes): while all clients'
 * together would pass SERVER_MAX_PENDING, drop the one with the most.
 * Only clients that do not read have any, so the cost is theirs.
 */
static void
server_bound(struct server *srv, size_t len)
{
	struct client *c, *worst;
	size_t total, n, most;

	for (;;) {
		total = len;
		worst = NULL;
		most = 0;
		TAILQ_FOREACH(c, &srv->clients, entry)
		{
			if (c->dead) {
				continue;
			}
			n = evbuffer_get_length(bufferevent_get_output(c->bev));
			total += n;
			if (n > most) {
				most = n;
				worst = c;
			}
		}
		if (total <= SERVER_MAX_PENDING || worst == NULL) {
			return;
		}
		log_warn(
		    "client %lu: dropped: %zu bytes of replies unread, the "
		    "most of any client, with %zu unread in all (limit "
		    "%d)",
		    worst->id, most, total, SERVER_MAX_PENDING);
		client_drop(worst);
	}
}

/*
 * Queue line for c. A reply (now) goes to the socket at once when nothing
 * is queued before it; events wait for the loop, which writes all that a
 * turn published in one writev, and wakes a subscriber once, not per event.
 */
static void
client_send_line(struct client *c, const char *line, size_t len, int now)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	ssize_t n;

	/* One reply, however big, is let through to a client that reads. */
	if (evbuffer_get_length(out) > 0 &&
	    evbuffer_get_length(out) + len > CLIENT_MAX_PENDING) {
		log_warn("client %lu: not reading its replies; dropped", c->id);
		if (c->events == 0 || c->closing) {
			client_drop(c);
			return;
		}
		/*
		 * A subscriber is told why, after what it has not read yet;
		 * if it does not read that either, it goes at the timer.
		 */
		client_tell_dropped(c);
		return;
	}
	if (evbuffer_get_length(out) > 0) {
		server_bound(c->server, len);
		if (c->dead) {
			return;
		}
	}
	/*
	 * Most replies go in one send(2), with no loop turn waiting for the
	 * socket to be writable and no epoll_ctl to ask and unask for it.
	 */
	if (now && evbuffer_get_length(out) == 0) {
		n = send(bufferevent_getfd(c->bev), line, len,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			line += n;
			len -= (size_t)n;
		}
		if (len == 0) {
			return;
		}
	}
	evbuffer_add(out, line, len);
}

void
client_send(struct client *c, json_t *msg)
{
	json_t *id;
	char *line;
	size_t len;

	if (c->dead) {
		json_decref(msg);
		return;
	}
	if ((line = proto_encode(msg, PROTO_MAX_REPLY, &len)) == NULL) {
		id = json_incref(json_object_get(msg, "id"));
		json_decref(msg);
		msg = proto_reply_error(id, PROTO_E_TOO_LARGE,
		    "reply is over the message size limit");
		json_decref(id);
		line = proto_encode(msg, PROTO_MAX_REPLY, &len);
	}
	json_decref(msg);
	client_send_line(c, line, len, 1);
	free(line);
}

void
client_peer(const struct client *c, long *uid, long *pid)
{
	*uid = c->uid;
	*pid = c->pid;
}

unsigned long
client_id(const struct client *c)
{
	return c->id;
}

unsigned long
client_hold(struct client *c)
{
	c->held = json_incref(c->asking != NULL ? c->asking : json_null());
	bufferevent_disable(c->bev, EV_READ);
	return c->id;
}

void
server_answer(struct server *srv, unsigned long id, json_t *data,
    const char *code, const char *message)
{
	struct client *c;

	TAILQ_FOREACH(c, &srv->clients, entry)
	{
		if (c->id == id) {
			break;
		}
	}
	if (c == NULL || c->held == NULL || c->dead) {
		json_decref(data); /* it has gone */
		return;
	}
	client_send(c,
	    data != NULL ? proto_reply_ok(c->held, data)
	                 : proto_reply_error(c->held, code, message));
	json_decref(c->held);
	c->held = NULL;
	if (c->paused || c->dead) {
		return;
	}
	if (!c->eof) {
		bufferevent_enable(c->bev, EV_READ);
	}
	client_read(c->bev, c); /* what it sent meanwhile */
}

void
client_subscribe(
    struct client *c, proto_event_set events, const char *task, int64_t run)
{
	c->events = events;
	free(c->task);
	c->task = task != NULL ? xstrdup(task) : NULL;
	c->run = run;
}

/* Whether c is to get ev of task and run. */
static int
client_wants(
    const struct client *c, enum proto_event ev, const char *task, int64_t run)
{
	if (c->dead || c->closing || !(c->events & (1U << ev))) {
		return 0;
	}
	if (c->task != NULL && (task == NULL || strcmp(c->task, task) != 0)) {
		return 0;
	}
	return c->run == 0 || c->run == run;
}

int
server_wants(const struct server *srv, enum proto_event ev, const char *task,
    int64_t run)
{
	const struct client *c;

	TAILQ_FOREACH(c, &srv->clients, entry)
	{
		if (client_wants(c, ev, task, run)) {
			return 1;
		}
	}
	return 0;
}

void
server_publish(struct server *srv, enum proto_event ev, const char *task,
    int64_t run, int lossy, json_t *data)
{
	struct client *c;
	char ts[TIMEFMT_ISO_LEN], *line = NULL;
	json_t *msg;
	size_t len = 0;

	TAILQ_FOREACH(c, &srv->clients, entry)
	{
		if (!client_wants(c, ev, task, run)) {
			continue;
		}
		if (line == NULL) {
			msg = json_pack("{s:s, s:s, s:O}", "event",
			    proto_event_name(ev), "ts",
			    timefmt_iso(timefmt_now_ms(), ts, sizeof ts),
			    "data", data);
			line = proto_encode(msg, PROTO_MAX_REPLY, &len);
			json_decref(msg);
			if (line == NULL) {
				log_warn("event %s is over the message size "
				         "limit; not sent",
				    proto_event_name(ev));
				break;
			}
		}
		if (lossy &&
		    evbuffer_get_length(bufferevent_get_output(c->bev)) >
		        CLIENT_MAX_LAG) {
			free(c->skipped);
			c->skipped = xstrndup(line, len);
			c->nskipped = len;
			continue;
		}
		client_send_line(c, line, len, 0);
	}
	free(line);
	json_decref(data);
}

/* Reply with an error, then hang up once it is written. */
static void
client_refuse(struct client *c, const char *code, const char *message)
{
	client_send(c, proto_reply_error(NULL, code, message));
	c->closing = 1;
	if (!c->dead &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		client_said_all(c);
	}
}

static void
client_linger_over(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	client_drop(arg);
}

/*
 * Whether c has so much unread reply that its requests must wait: it is
 * then not read from until client_write finds its replies read.
 */
static int
client_pause(struct client *c)
{
	if (!c->paused && !c->dead &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) >=
	        CLIENT_PAUSE_AT) {
		c->paused = 1;
		bufferevent_disable(c->bev, EV_READ);
	}
	return c->paused;
}

/* One request line (taken), its newline gone: answer it. */
static void
client_line(struct client *c, char *line, size_t len)
{
	struct proto_request req;
	const char *code;
	char *cause;

	if (len > 0 && line[len - 1] == '\r') {
		line[--len] = '\0';
	}
	if (len > 0) {
		if (proto_request_decode(&req, line, len, &code, &cause) ==
		    -1) {
			client_send(c, proto_reply_error(req.id, code, cause));
			free(cause);
		} else {
			c->asking = req.id;
			c->server->cb(c, &req, c->server->arg);
			c->asking = NULL;
		}
		proto_request_release(&req);
	}
	free(line);
}

static void
client_read(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line, *msg;
	size_t len;

	if (c->closing) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	while (!c->dead && !c->closing && c->held == NULL && !client_pause(c) &&
	    (line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		client_line(c, line, len);
	}
	if (c->paused || c->held != NULL) {
		/* The rest is read when it has read its replies, or has one. */
		return;
	}
	if (c->eof && !c->dead && !c->closing) {
		client_eof_tail(c);
		return;
	}
	/* What is left has no newline yet; it may not grow past the cap. */
	if (!c->dead && !c->closing &&
	    evbuffer_get_length(in) >= PROTO_MAX_REQUEST) {
		msg = xasprintf(
		    "request is over the limit of %d bytes", PROTO_MAX_REQUEST);
		log_warn("client %lu: %s; dropped", c->id, msg);
		client_refuse(c, PROTO_E_TOO_LARGE, msg);
		free(msg);
	}
}

/* All said to a closing client: hang up our side, drop it at its EOF. */
static void
client_said_all(struct client *c)
{
	struct timeval tv = { CLIENT_LINGER_SECS, 0 };

	if (c->ev_linger != NULL) {
		return;
	}
	shutdown(bufferevent_getfd(c->bev), SHUT_WR);
	c->ev_linger = evtimer_new(c->server->base, client_linger_over, c);
	evtimer_add(c->ev_linger, &tv);
}

static void
client_write(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) != 0) {
		return;
	}
	if (c->paused && !c->dead) {
		/* Read all it was sent: its waiting requests come next. */
		c->paused = 0;
		if (!c->eof && c->held == NULL) {
			bufferevent_enable(bev, EV_READ);
		}
		client_read(bev, c);
		if (c->dead || c->paused ||
		    evbuffer_get_length(bufferevent_get_output(bev)) != 0) {
			return;
		}
	}
	if (c->skipped != NULL && !c->closing) {
		/* Caught up: the newest skipped event shows what was missed. */
		client_send_line(c, c->skipped, c->nskipped, 0);
		free(c->skipped);
		c->skipped = NULL;
		return;
	}
	if (c->closing && c->eof) {
		client_drop(c); /* nothing more to read, all written */
	} else if (c->closing) {
		client_said_all(c);
	}
}

/*
 * The client has said all it will (shutdown(SHUT_WR), as a pipe into
 * socat does): once every whole line it sent is answered, answer a last
 * one without its newline too, then hang up once the answers are written.
 */
static void
client_eof_tail(struct client *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t len;
	char *line;

	/* The input's end is the bufferevent's: take the last line out. */
	if ((len = evbuffer_get_length(in)) > 0 && len < PROTO_MAX_REQUEST) {
		line = xmalloc(len + 1);
		evbuffer_remove(in, line, len);
		line[len] = '\0';
		client_line(c, line, len);
	}
	if (c->dead || c->held != NULL) {
		return; /* closed after the answer */
	}
	c->closing = 1;
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		client_drop(c);
	}
}

static void
client_eof(struct client *c)
{
	if (c->eof) {
		return;
	}
	c->eof = 1;
	client_read(c->bev, c);
}

static void
client_event(struct bufferevent *bev, short what, void *arg)
{
	struct client *c = arg;

	(void)bev;
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR)) {
		client_eof(c);
	} else if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		client_drop(c);
	}
}

static void
server_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct server *srv = arg;
	struct ucred cred;
	socklen_t len = sizeof cred;
	struct client *c;

	(void)l;
	(void)sa;
	(void)salen;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    cred.uid != getuid()) {
		log_warn("refused a connection from uid %ld: not this user",
		    len == sizeof cred ? (long)cred.uid : -1L);
		server_refuse_fd(fd, PROTO_E_FORBIDDEN,
		    "this twd serves its own user only (uid %ld), not uid %ld",
		    (long)getuid(), len == sizeof cred ? (long)cred.uid : -1L);
		close(fd);
		return;
	}
	if (srv->starved) {
		log_info("accept: descriptors are free again");
		srv->starved = 0;
	}
	c = xcalloc(1, sizeof *c);
	c->server = srv;
	c->id = ++srv->next_id;
	c->uid = (long)cred.uid;
	c->pid = (long)cred.pid;
	c->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	/* Stop reading once a line could be over the cap, so it stays bounded. */
	bufferevent_setwatermark(c->bev, EV_READ, 0, PROTO_MAX_REQUEST);
	bufferevent_setcb(c->bev, client_read, client_write, client_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&srv->clients, c, entry);
	srv->nclients++;
}

/*
 * One error line to a connection that will not be served, written if the
 * socket takes it at once; then the caller closes it.
 */
static void
server_refuse_fd(int fd, const char *code, const char *fmt, ...)
{
	json_t *msg;
	va_list ap;
	char *text, *line;
	size_t len;

	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	msg = proto_reply_error(NULL, code, text);
	if ((line = proto_encode(msg, PROTO_MAX_REPLY, &len)) != NULL &&
	    send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) == -1) {
		log_debug("refusal not sent: %s", strerror(errno));
	}
	free(line);
	json_decref(msg);
	free(text);
}

static void
server_spare_open(struct server *srv)
{
	srv->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/*
 * accept(2) failed. Out of descriptors, the pending connection would
 * make the listener ready again at once, for ever: take it with the spare
 * descriptor, tell it why, and close it. Said once in the log until a
 * client is served again; those connected are served throughout.
 */
static void
server_accept_error(struct evconnlistener *l, void *arg)
{
	struct server *srv = arg;
	struct timeval pause = { 0, 100000 };
	int err = errno, fd;

	if (err != EMFILE && err != ENFILE && err != ENOBUFS && err != ENOMEM) {
		log_warn("accept: %s", strerror(err));
		return;
	}
	if (!srv->starved) {
		log_warn("accept: %s; %zu clients are served, new ones are "
		         "told to try again",
		    strerror(err), srv->nclients);
		srv->starved = 1;
	}
	if (srv->spare == -1) {
		/* No spare either: stop listening for a moment. */
		evconnlistener_disable(l);
		evtimer_add(srv->ev_resume, &pause);
		return;
	}
	close(srv->spare);
	while ((fd = accept4(evconnlistener_get_fd(l), NULL, NULL,
	            SOCK_CLOEXEC | SOCK_NONBLOCK)) != -1) {
		server_refuse_fd(fd, PROTO_E_BUSY,
		    "twd has no file descriptors left for another client "
		    "(%zu are connected); try again when some have closed",
		    srv->nclients);
		close(fd);
	}
	server_spare_open(srv);
}

static void
server_resume(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;

	(void)fd;
	(void)what;
	if (srv->spare == -1) {
		server_spare_open(srv);
	}
	evconnlistener_enable(srv->listener);
}

/* Remove a socket left by a twd that died; refuse if one still answers. */
static int
server_clear_path(const struct sockaddr_un *sun, char **cause)
{
	struct stat sb;
	int fd, rc;

	if (lstat(sun->sun_path, &sb) == -1) {
		return 0;
	}
	if (!S_ISSOCK(sb.st_mode)) {
		*cause =
		    xasprintf("'%s' exists and is not a socket", sun->sun_path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		*cause = xasprintf("socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)sun, sizeof *sun);
	close(fd);
	if (rc == 0) {
		*cause = xasprintf(
		    "another twd is listening on '%s'", sun->sun_path);
		return -1;
	}
	unlink(sun->sun_path);
	return 0;
}

struct server *
server_create(struct event_base *base, const char *path, server_request_cb cb,
    void *arg, char **cause)
{
	struct sockaddr_un sun;
	struct server *srv;
	mode_t mask;
	int fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		*cause = xasprintf("socket path '%s' is too long (%zu bytes, "
		                   "the limit is %zu)",
		    path, strlen(path), sizeof sun.sun_path - 1);
		return NULL;
	}
	strcpy(sun.sun_path, path);
	if (server_clear_path(&sun, cause) == -1) {
		return NULL;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1) {
		*cause = xasprintf("socket: %s", strerror(errno));
		return NULL;
	}
	mask = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		umask(mask);
		*cause =
		    xasprintf("cannot bind '%s': %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	umask(mask);

	srv = xcalloc(1, sizeof *srv);
	srv->base = base;
	srv->path = xstrdup(path);
	srv->cb = cb;
	srv->arg = arg;
	TAILQ_INIT(&srv->clients);
	srv->ev_gc = event_new(base, -1, 0, server_gc, srv);
	srv->ev_resume = evtimer_new(base, server_resume, srv);
	server_spare_open(srv);
	srv->listener = evconnlistener_new(base, server_accept, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 64, fd);
	if (srv->listener == NULL) {
		*cause = xasprintf(
		    "cannot listen on '%s': %s", path, strerror(errno));
		close(fd);
		server_free(srv);
		return NULL;
	}
	evconnlistener_set_error_cb(srv->listener, server_accept_error);
	return srv;
}

void
server_close_listener(struct server *srv)
{
	if (srv != NULL && srv->listener != NULL) {
		evconnlistener_free(srv->listener);
		srv->listener = NULL;
		unlink(srv->path);
	}
}

void
server_free(struct server *srv)
{
	struct client *c;

	if (srv == NULL) {
		return;
	}
	while ((c = TAILQ_FIRST(&srv->clients)) != NULL) {
		TAILQ_REMOVE(&srv->clients, c, entry);
		if (!c->dead) {
			client_flush(c);
		}
		client_free(c);
	}
	if (srv->listener != NULL) {
		evconnlistener_free(srv->listener);
		unlink(srv->path);
	}
	event_free(srv->ev_gc);
	event_free(srv->ev_resume);
	if (srv->spare != -1) {
		close(srv->spare);
	}
	free(srv->path);
	free(srv);
}

size_t
server_clients(const struct server *srv)
{
	return srv->nclients;
}
