/*
 * Calls to the daemon. Each is a connection of its own: the socket
 * accepts many, and a slow request (a report) holds up nothing else.
 * The connection is made at once (a Unix socket's connect does not wait);
 * the peer must be this user, as twctl checks.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "calls.h"
#include "xmalloc.h"

/* How long a reply may take; a subscription has no such bound. */
#define CALL_TIMEOUT_S 60

struct call {
	struct bufferevent *bev;
	call_reply_cb cb;
	call_event_cb ev;
	void *arg;
	int answered; /* the reply came: what follows is events */
	struct event *ev_fail;
	char *error; /* to be told from ev_fail */
};

static void
call_free(struct call *c)
{
	if (c->bev != NULL) {
		bufferevent_free(c->bev);
	}
	event_free(c->ev_fail);
	free(c->error);
	free(c);
}

void
call_cancel(struct call *c)
{
	if (c != NULL) {
		call_free(c);
	}
}

/* Tell the asker of an end, once, and free the call. */
static void
call_end(struct call *c, struct proto_reply *rep, const char *error)
{
	call_reply_cb cb = c->cb;
	void *arg = c->arg;

	call_free(c);
	cb(arg, rep, error);
}

static void
call_fail_later(evutil_socket_t fd, short what, void *arg)
{
	struct call *c = arg;
	char *error = c->error;

	(void)fd;
	(void)what;
	c->error = NULL;
	call_end(c, NULL, error);
	free(error);
}

static void
call_read(struct bufferevent *bev, void *arg)
{
	struct call *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct proto_reply rep;
	json_error_t jerr;
	json_t *event;
	char *line, *cause = NULL;
	size_t len;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		if (!c->answered) {
			c->answered = 1;
			if (proto_reply_decode(&rep, line, len, &cause) == -1) {
				free(line);
				call_end(c, NULL, cause);
				free(cause);
				return;
			}
			free(line);
			if (c->ev == NULL || !rep.ok) {
				call_end(c, &rep, NULL);
				proto_reply_release(&rep);
				return;
			}
			c->cb(c->arg, &rep, NULL);
			proto_reply_release(&rep);
			continue;
		}
		event = json_loadb(line, len, 0, &jerr);
		free(line);
		if (event != NULL) {
			c->ev(c->arg, event);
			json_decref(event);
		}
	}
	if (evbuffer_get_length(in) > PROTO_MAX_REPLY) {
		call_end(c, NULL, "the daemon's reply is too long");
	}
}

static void
call_event(struct bufferevent *bev, short what, void *arg)
{
	struct call *c = arg;

	(void)bev;
	if (what & BEV_EVENT_TIMEOUT) {
		call_end(c, NULL, "the daemon did not answer in time");
	} else if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		call_end(c, NULL,
		    c->answered ? "the daemon went away"
		                : "the daemon closed the connection");
	}
}

/* A connection to socket, its peer checked: the fd, or -1 with *cause. */
static int
call_connect(const char *socket_path, char **cause)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ucred cred;
	socklen_t len = sizeof cred;
	int fd;

	if (strlen(socket_path) >= sizeof sa.sun_path) {
		*cause = xasprintf("socket path too long: %s", socket_path);
		return -1;
	}
	strcpy(sa.sun_path, socket_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		*cause = xasprintf("socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == -1) {
		*cause = errno == ENOENT || errno == ECONNREFUSED
		    ? xasprintf(
		          "twd is not running (no socket at '%s')", socket_path)
		    : xasprintf("cannot connect to %s: %s", socket_path,
		          strerror(errno));
		close(fd);
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    cred.uid != getuid()) {
		*cause = xasprintf(
		    "the socket %s is not this user's twd", socket_path);
		close(fd);
		return -1;
	}
	evutil_make_socket_nonblocking(fd);
	return fd;
}

static struct call *
call_new(struct event_base *base, const char *socket_path, json_t *msg,
    call_reply_cb cb, call_event_cb ev, void *arg)
{
	struct call *c = xcalloc(1, sizeof *c);
	struct timeval tv = { CALL_TIMEOUT_S, 0 };
	char *line, *cause = NULL;
	size_t len;
	int fd;

	c->cb = cb;
	c->ev = ev;
	c->arg = arg;
	c->ev_fail = event_new(base, -1, 0, call_fail_later, c);
	line = proto_encode(msg, PROTO_MAX_REQUEST, &len);
	json_decref(msg);
	if (line == NULL) {
		cause = xstrdup("the request is too large");
	} else if ((fd = call_connect(socket_path, &cause)) != -1) {
		c->bev =
		    bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
		bufferevent_setcb(c->bev, call_read, NULL, call_event, c);
		if (ev == NULL) {
			bufferevent_set_timeouts(c->bev, &tv, NULL);
		}
		bufferevent_enable(c->bev, EV_READ);
		bufferevent_write(c->bev, line, len);
	}
	free(line);
	if (cause != NULL) {
		/* Told from the loop: the caller has its call first. */
		c->error = cause;
		event_active(c->ev_fail, 0, 0);
	}
	return c;
}

struct call *
call_start(struct event_base *base, const char *socket_path, const char *cmd,
    json_t *args, const char *actor, call_reply_cb cb, void *arg)
{
	json_t *msg = proto_request_new(1, cmd, args);

	if (actor != NULL) {
		json_object_set_new(msg, "actor", json_string(actor));
	}
	return call_new(base, socket_path, msg, cb, NULL, arg);
}

struct call *
call_subscribe(struct event_base *base, const char *socket_path, json_t *args,
    call_reply_cb cb, call_event_cb ev, void *arg)
{
	return call_new(base, socket_path,
	    proto_request_new(1, "subscribe", args), cb, ev, arg);
}
