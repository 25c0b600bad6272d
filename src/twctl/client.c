/*
 * Protocol client. Replies are read into a buffer that grows as a line
 * needs, up to PROTO_MAX_REPLY, so a confused peer cannot make twctl grow
 * without bound.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "paths.h"
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

/* "name (uid N)", or "uid N" for a uid with no name; caller frees. */
static char *
conn_user(uid_t uid)
{
	struct passwd *pw = getpwuid(uid);

	return pw != NULL ? xasprintf("%s (uid %ld)", pw->pw_name, (long)uid)
	                  : xasprintf("uid %ld", (long)uid);
}

/*
 * Whether the socket's directory is one only we (or root) may change: one
 * another user made first could hold their own listener. 0, or -1 with
 * *cause.
 */
static int
conn_check_dir(const char *path, char **cause)
{
	char *dir = paths_dirname(path), *who;
	struct stat sb;
	int rc = 0;

	if (stat(dir, &sb) == -1) {
		rc = 0; /* connect says what is missing */
	} else if (sb.st_uid != getuid() && sb.st_uid != 0) {
		who = conn_user(sb.st_uid);
		*cause = xasprintf("refusing to use the socket '%s': its "
		                   "directory '%s' belongs to %s, not to you; "
		                   "another user may listen there",
		    path, dir, who);
		free(who);
		rc = -1;
	} else if ((sb.st_mode & 022) != 0 && !(sb.st_mode & S_ISVTX)) {
		*cause = xasprintf("refusing to use the socket '%s': its "
		                   "directory '%s' may be written by others "
		                   "(mode %03o), who could listen there; "
		                   "chmod go-w '%s'",
		    path, dir, (unsigned)(sb.st_mode & 07777), dir);
		rc = -1;
	}
	free(dir);
	return rc;
}

/* Whether the process listening is this user's. 0, or -1 with *cause. */
static int
conn_check_peer(int fd, const char *path, char **cause)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	char *who;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		*cause = xasprintf("cannot tell who listens at '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	if (cred.uid == getuid()) {
		return 0;
	}
	who = conn_user(cred.uid);
	*cause = xasprintf("refusing to talk to '%s': it is served by %s "
	                   "(pid %ld), not by you; nothing was sent",
	    path, who, (long)cred.pid);
	free(who);
	return -1;
}

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
	/* Before a byte is sent: it may carry passwords in a command. */
	if (conn_check_dir(path, cause) == -1 ||
	    conn_check_peer(fd, path, cause) == -1) {
		*why = CONN_ERROR;
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
	char *line, *why = NULL;
	size_t len;
	ssize_t n;
	int rc, err;

	line = proto_encode(msg, PROTO_MAX_REQUEST, &len);
	json_decref(msg);
	if (line == NULL) {
		*cause = xstrdup("request is over the message size limit");
		return -1;
	}
	rc = conn_write_all(c->fd, line, len);
	free(line);
	if (rc == -1) {
		err = errno;
		/* Refused (busy, or not our twd): its one line says why. */
		if ((n = conn_read_line(c, 100, &why)) != -1 &&
		    proto_reply_decode(rep, c->buf, (size_t)n, &why) == 0) {
			conn_consume(c, n);
			return 0;
		}
		free(why);
		*cause = xasprintf("cannot send to twd: %s", strerror(err));
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
