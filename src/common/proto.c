/*
 * Protocol encoding and decoding, shared by the daemon and every client so
 * the two sides cannot drift apart. Framing (finding the lines) is the
 * caller's: the daemon uses evbuffers, twctl a plain read loop.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"
#include "xmalloc.h"

int
proto_request_decode(struct proto_request *req, const char *line, size_t len,
    const char **code, char **cause)
{
	json_error_t jerr;
	json_t *cmd, *proto;

	memset(req, 0, sizeof *req);
	req->id = json_null();
	*code = PROTO_E_BAD_REQUEST;
	if (len + 1 > PROTO_MAX_REQUEST) {
		*code = PROTO_E_TOO_LARGE;
		*cause = xasprintf("request of %zu bytes is over the limit of "
		                   "%d",
		    len, PROTO_MAX_REQUEST);
		return -1;
	}
	req->root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (req->root == NULL) {
		*cause = xasprintf(
		    "invalid JSON at column %d: %s", jerr.column, jerr.text);
		return -1;
	}
	if (!json_is_object(req->root)) {
		*cause = xstrdup("request must be a JSON object");
		return -1;
	}
	if ((req->id = json_object_get(req->root, "id")) == NULL) {
		req->id = json_null();
	} else if (!json_is_integer(req->id) && !json_is_string(req->id)) {
		req->id = json_null();
		*cause = xstrdup("'id' must be an integer or a string");
		return -1;
	}
	proto = json_object_get(req->root, "proto");
	if (proto != NULL &&
	    (!json_is_integer(proto) ||
	        json_integer_value(proto) != PROTO_VERSION)) {
		*code = PROTO_E_PROTO_MISMATCH;
		if (json_is_integer(proto)) {
			*cause = xasprintf("client speaks protocol %lld, twd "
			                   "speaks %d",
			    (long long)json_integer_value(proto),
			    PROTO_VERSION);
		} else {
			*cause = xasprintf("'proto' must be an integer; twd "
			                   "speaks protocol %d",
			    PROTO_VERSION);
		}
		return -1;
	}
	cmd = json_object_get(req->root, "cmd");
	if (cmd == NULL || !json_is_string(cmd)) {
		*cause = xstrdup("request needs 'cmd', a string");
		return -1;
	}
	req->cmd = json_string_value(cmd);
	req->args = json_object_get(req->root, "args");
	if (req->args == NULL || json_is_null(req->args)) {
		req->args = json_object();
		json_object_set_new(req->root, "args", req->args);
	} else if (!json_is_object(req->args)) {
		*cause = xstrdup("'args' must be an object");
		return -1;
	}
	return 0;
}

void
proto_request_release(struct proto_request *req)
{
	if (req == NULL) {
		return;
	}
	json_decref(req->root);
	memset(req, 0, sizeof *req);
}

json_t *
proto_request_new(json_int_t id, const char *cmd, json_t *args)
{
	json_t *msg = json_object();

	json_object_set_new(msg, "id", json_integer(id));
	json_object_set_new(msg, "proto", json_integer(PROTO_VERSION));
	json_object_set_new(msg, "cmd", json_string(cmd));
	json_object_set_new(msg, "args", args != NULL ? args : json_object());
	return msg;
}

json_t *
proto_reply_ok(json_t *id, json_t *data)
{
	json_t *msg = json_object();

	json_object_set(msg, "id", id != NULL ? id : json_null());
	json_object_set_new(msg, "ok", json_true());
	json_object_set_new(msg, "data", data != NULL ? data : json_object());
	return msg;
}

json_t *
proto_reply_error(json_t *id, const char *code, const char *message)
{
	json_t *msg = json_object(), *err = json_object();

	json_object_set_new(err, "code", json_string(code));
	json_object_set_new(err, "message", json_string(message));
	json_object_set(msg, "id", id != NULL ? id : json_null());
	json_object_set_new(msg, "ok", json_false());
	json_object_set_new(msg, "error", err);
	return msg;
}

char *
proto_encode(const json_t *msg, size_t max, size_t *len)
{
	char *s, *line;
	size_t n;

	s = json_dumps(msg, JSON_COMPACT | JSON_ENSURE_ASCII | PROTO_REALS);
	if (s == NULL) {
		return NULL;
	}
	n = strlen(s);
	if (n + 1 > max) {
		free(s);
		return NULL;
	}
	line = xmalloc(n + 2);
	memcpy(line, s, n);
	line[n] = '\n';
	line[n + 1] = '\0';
	free(s);
	*len = n + 1;
	return line;
}

int
proto_reply_decode(
    struct proto_reply *rep, const char *line, size_t len, char **cause)
{
	json_error_t jerr;
	json_t *ok, *err, *code, *message;

	memset(rep, 0, sizeof *rep);
	rep->root = json_loadb(line, len, 0, &jerr);
	if (rep->root == NULL || !json_is_object(rep->root)) {
		*cause = xasprintf("daemon sent a malformed reply: %s",
		    rep->root == NULL ? jerr.text : "not an object");
		goto fail;
	}
	if ((ok = json_object_get(rep->root, "ok")) == NULL ||
	    !json_is_boolean(ok)) {
		*cause = xstrdup("daemon sent a reply without 'ok'");
		goto fail;
	}
	rep->ok = json_is_true(ok);
	if ((rep->data = json_object_get(rep->root, "data")) == NULL) {
		rep->data = json_null();
	}
	if (!rep->ok) {
		err = json_object_get(rep->root, "error");
		code = json_object_get(err, "code");
		message = json_object_get(err, "message");
		rep->code = json_is_string(code) ? json_string_value(code)
		                                 : PROTO_E_FAILED;
		rep->message = json_is_string(message)
		    ? json_string_value(message)
		    : "unknown error";
	}
	return 0;

fail:
	json_decref(rep->root);
	rep->root = NULL;
	return -1;
}

void
proto_reply_release(struct proto_reply *rep)
{
	if (rep == NULL) {
		return;
	}
	json_decref(rep->root);
	memset(rep, 0, sizeof *rep);
}

char *
proto_result_text(const char *status, int exit_code, const char *signame,
    char *buf, size_t len)
{
	if (strcmp(status, "failed") == 0) {
		if (signame != NULL) {
			snprintf(buf, len, "%s", signame);
		} else {
			snprintf(buf, len, "exit %d", exit_code);
		}
	} else if (strcmp(status, "killed") == 0 && signame != NULL) {
		snprintf(buf, len, "killed (%s)", signame);
	} else if (strcmp(status, "start_failed") == 0) {
		snprintf(buf, len, "start failed");
	} else {
		snprintf(buf, len, "%s", status);
	}
	return buf;
}

static const char *const proto_event_names[PROTO_EV_COUNT] = {
	[PROTO_EV_RUN_STARTED] = "run.started",
	[PROTO_EV_RUN_FINISHED] = "run.finished",
	[PROTO_EV_RUN_OUTPUT] = "run.output",
	[PROTO_EV_NOTIFY_RESULT] = "notify.result",
	[PROTO_EV_RUN_QUEUED] = "run.queued",
	[PROTO_EV_RUN_SKIPPED] = "run.skipped",
	[PROTO_EV_TASK_CHANGED] = "task.changed",
	[PROTO_EV_CONFIG_RELOADED] = "config.reloaded",
	[PROTO_EV_CONFIG_ERROR] = "config.error",
	[PROTO_EV_DAEMON_STOPPING] = "daemon.stopping",
	[PROTO_EV_STATE_ERROR] = "state.error",
	[PROTO_EV_STATE_OK] = "state.ok",
};

const char *
proto_event_name(enum proto_event ev)
{
	return proto_event_names[ev];
}

int
proto_event_match(const char *pattern, proto_event_set *set)
{
	int i, n = 0;

	for (i = 0; i < PROTO_EV_COUNT; i++) {
		if (fnmatch(pattern, proto_event_names[i], 0) == 0) {
			*set |= 1U << i;
			n++;
		}
	}
	return n;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t
utf8_sequence(const unsigned char *p, size_t n)
{
	size_t len, i;
	unsigned int cp;

	if (p[0] < 0x80) {
		return 1;
	} else if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n) {
		return 0;
	}
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			return 0;
		}
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and past U+10FFFF are not UTF-8. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
		return 0;
	}
	return len;
}

json_t *
proto_string_lossy(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	char *buf = NULL;
	size_t i = 0, used = 0, seq;
	json_t *o;

	while (i < len) {
		seq = utf8_sequence(p + i, len - i);
		if (seq != 0 && p[i] != 0) {
			if (buf != NULL) {
				memcpy(buf + used, s + i, seq);
				used += seq;
			}
			i += seq;
			continue;
		}
		if (buf == NULL) {
			/* Each bad byte may grow to three. */
			buf = xreallocarray(NULL, len, 3);
			memcpy(buf, s, i);
			used = i;
		}
		memcpy(buf + used, "\xef\xbf\xbd", 3);
		used += 3;
		i++;
	}
	if (buf == NULL) {
		return json_stringn(s, len);
	}
	o = json_stringn(buf, used);
	free(buf);
	return o;
}
