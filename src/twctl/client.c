/*
 * Protocol client. Replies are read into a buffer that grows as a line
 * needs, up to PROTO_MAX_REPLY, so a confused peer cannot make twctl grow
 * without bound.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "xmalloc.h"

struct conn {
	int fd;
	json_int_t next_id;
	char *buf;
	size_t size;     /* of buf */
	size_t len;      /* bytes in buf */
	size_t scanned;  /* of them, known to hold no newline */
	json_t *pending; /* events that came while a reply was awaited */
};

struct conn *
conn_open(const char *path, enum conn_failure *why, char **cause)
{
	struct sockaddr_un sun;
	struct conn *c;
	int fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		*why = CONN_ERROR;
		*cause = xasprintf("socket path '%s' is too long", path);
		return NULL;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		*why = CONN_ERROR;
		*cause = xasprintf("socket: %s", strerror(errno));
		return NULL;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		if (errno == ENOENT || errno == ECONNREFUSED) {
			*why = CONN_NOT_RUNNING;
			*cause = xasprintf("twd is not running (%s socket at "
			                   "'%s')",
			    errno == ENOENT ? "no" : "a stale", path);
		} else {
			*why = CONN_ERROR;
			*cause = xasprintf("cannot reach twd at '%s': %s", path,
			    strerror(errno));
		}
		close(fd);
		return NULL;
	}
	c = xcalloc(1, sizeof *c);
	c->fd = fd;
	c->size = 65536;
	c->buf = xmalloc(c->size);
	return c;
}

void
conn_close(struct conn *c)
{
	if (c == NULL) {
		return;
	}
	close(c->fd);
	free(c->buf);
	json_decref(c->pending);
	free(c);
}

static int
conn_write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = send(fd, p, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR) {
				continue;
			}
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read until a whole line is buffered. Returns its length (no newline). */
static ssize_t
conn_read_line(struct conn *c, int timeout_ms, char **cause)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	char *nl;
	ssize_t n;
	int rc;

	while ((nl = memchr(c->buf + c->scanned, '\n', c->len - c->scanned)) ==
	    NULL) {
		c->scanned = c->len;
		if (c->len == c->size) {
			if (c->size == PROTO_MAX_REPLY) {
				*cause = xstrdup("reply from twd is over the "
				                 "message size limit");
				return -1;
			}
			c->size = c->size * 2 < PROTO_MAX_REPLY
			    ? c->size * 2
			    : PROTO_MAX_REPLY;
			c->buf = xreallocarray(c->buf, c->size, 1);
		}
		rc = poll(&pfd, 1, timeout_ms);
		if (rc == -1 && errno == EINTR) {
			continue;
		}
		if (rc == 0 && timeout_ms >= 0) {
			*cause = xasprintf("twd did not answer within %d s",
			    timeout_ms / 1000);
			return -1;
		}
		n = read(c->fd, c->buf + c->len, c->size - c->len);
		if (n == -1 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			*cause = xstrdup(n == 0 ? "twd closed the connection "
			                          "without answering"
			                        : strerror(errno));
			return -1;
		}
		c->len += (size_t)n;
	}
	return nl - c->buf;
}

/* Forget the line of n bytes (and its newline) at the start of buf. */
static void
conn_consume(struct conn *c, ssize_t n)
{
	c->len -= (size_t)n + 1;
	c->scanned = 0;
	memmove(c->buf, c->buf + n + 1, c->len);
}

/* The event a line holds ({"event", "data"}), or NULL if it is none. */
static json_t *
conn_event_decode(const char *line, size_t len)
{
	json_t *msg = json_loadb(line, len, 0, NULL);

	if (msg == NULL || !json_is_string(json_object_get(msg, "event")) ||
	    !json_is_object(json_object_get(msg, "data"))) {
		json_decref(msg);
		return NULL;
	}
	return msg;
}

int
conn_call(struct conn *c, const char *cmd, json_t *args,
    struct proto_reply *rep, int timeout_ms, char **cause)
{
	json_t *msg = proto_request_new(++c->next_id, cmd, args), *ev;
	char *line;
	size_t len;
	ssize_t n;
	int rc;

	line = proto_encode(msg, PROTO_MAX_REQUEST, &len);
	json_decref(msg);
	if (line == NULL) {
		*cause = xstrdup("request is over the message size limit");
		return -1;
	}
	rc = conn_write_all(c->fd, line, len);
	free(line);
	if (rc == -1) {
		*cause = xasprintf("cannot send to twd: %s", strerror(errno));
		return -1;
	}
	/* Events of a subscription may come first: keep them for later. */
	while ((n = conn_read_line(c, timeout_ms, cause)) != -1 &&
	    (ev = conn_event_decode(c->buf, (size_t)n)) != NULL) {
		if (c->pending == NULL) {
			c->pending = json_array();
		}
		json_array_append_new(c->pending, ev);
		conn_consume(c, n);
	}
	if (n == -1) {
		return -1;
	}
	rc = proto_reply_decode(rep, c->buf, (size_t)n, cause);
	conn_consume(c, n);
	return rc;
}

json_t *
conn_read_event(struct conn *c, char **cause)
{
	struct proto_reply rep;
	char *why = NULL;
	json_t *msg;
	ssize_t n;

	if (json_array_size(c->pending) > 0) {
		msg = json_incref(json_array_get(c->pending, 0));
		json_array_remove(c->pending, 0);
		return msg;
	}
	if ((n = conn_read_line(c, -1, cause)) == -1) {
		return NULL;
	}
	msg = conn_event_decode(c->buf, (size_t)n);
	if (msg == NULL &&
	    proto_reply_decode(&rep, c->buf, (size_t)n, &why) == 0) {
		/* Its last word: a subscriber that fell behind is dropped. */
		*cause = xasprintf(
		    "twd: %s", rep.ok ? "an unexpected reply" : rep.message);
		proto_reply_release(&rep);
	} else if (msg == NULL) {
		free(why);
		*cause = xstrdup("twd sent something that is no event");
	}
	conn_consume(c, n);
	return msg;
}

int
conn_fd(const struct conn *c)
{
	return c->fd;
}

int
conn_event_ready(const struct conn *c)
{
	return json_array_size(c->pending) > 0 ||
	    memchr(c->buf, '\n', c->len) != NULL;
}

void
conn_wait_close(struct conn *c)
{
	char buf[4096];
	ssize_t n;

	do {
		n = read(c->fd, buf, sizeof buf);
	} while (n > 0 || (n == -1 && errno == EINTR));
}
