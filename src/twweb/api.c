/*
 * The API, /api/v1/: each endpoint a request of the socket protocol
 * (taskweaver-ipc(7)), its reply the body, its error an HTTP status. The
 * daemon decides everything; twweb maps and checks who may write. The
 * event stream is streams.c's.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "calls.h"
#include "logfmt.h"
#include "web.h"
#include "xmalloc.h"

/* A log is read this much at a time (?offset= for the next). */
#define API_LOG_CHUNK (1024 * 1024)

/* What is done with a reply before it is sent. */
enum api_shape {
	SHAPE_JSON, /* the data as it is */
	SHAPE_LOG,  /* read the run's log from an offset */
	SHAPE_TEXT, /* the data's "text", as text/plain */
};

struct api_pending {
	struct web *w;
	struct evhttp_request *req;
	struct call *call;
	enum api_shape shape;
	int64_t offset;     /* SHAPE_LOG: from where, */
	const char *stream; /* and which stream's text (static); or NULL */
};

/* The HTTP status of a protocol error code. */
static int
api_status(const char *code)
{
	static const struct {
		const char *code;
		int status;
	} map[] = {
		{ "bad_request", HTTP_BADREQUEST },
		{ "not_found", HTTP_NOTFOUND },
		{ "forbidden", 403 },
		{ "too_large", 413 },
		{ "shutting_down", HTTP_SERVUNAVAIL },
		{ "busy", HTTP_SERVUNAVAIL },
		{ "too_slow", HTTP_SERVUNAVAIL },
		{ "failed", 409 },
	};
	size_t i;

	for (i = 0; i < sizeof map / sizeof map[0]; i++) {
		if (strcmp(code, map[i].code) == 0) {
			return map[i].status;
		}
	}
	return HTTP_INTERNAL;
}

static void
api_pending_free(struct api_pending *p)
{
	struct evhttp_connection *conn;

	if (p->req != NULL &&
	    (conn = evhttp_request_get_connection(p->req)) != NULL) {
		evhttp_connection_set_closecb(conn, NULL, NULL);
	}
	free(p);
}

/* The asker went away before the answer: the call is dropped. */
static void
api_gone(struct evhttp_connection *conn, void *arg)
{
	struct api_pending *p = arg;

	(void)conn;
	call_cancel(p->call);
	web_request_gone(p->req);
	p->req = NULL;
	api_pending_free(p);
}

/*
 * The log of run (a record) from offset: the whole records of up to a
 * chunk of it, {"lines": [{"stream", "text", "complete"}], "text"} with
 * only stream's (stdout, stderr; all when NULL) in text, and the offset
 * to ask next.
 */
static void
api_log(struct evhttp_request *req, json_t *data, int64_t offset,
    const char *stream)
{
	json_t *run = json_object_get(data, "run"), *lines = json_array();
	const char *path = json_string_value(json_object_get(run, "log"));
	const char *status = json_string_value(json_object_get(run, "status"));
	char *buf = xmalloc(API_LOG_CHUNK), *p, *nl, *end;
	struct logfmt_record rec;
	struct evbuffer *text = evbuffer_new();
	ssize_t n = 0;
	struct stat sb;
	int fd = -1;
	int64_t size = 0, used;

	if (path != NULL && (fd = open(path, O_RDONLY | O_CLOEXEC)) != -1 &&
	    fstat(fd, &sb) == 0) {
		size = (int64_t)sb.st_size;
		if (offset < size &&
		    (n = pread(fd, buf, API_LOG_CHUNK, (off_t)offset)) < 0) {
			n = 0;
		}
	}
	if (fd != -1) {
		close(fd);
	}
	/* Whole records only: a line being written waits for the next ask. */
	end = buf + n;
	for (p = buf; p < end && (nl = memchr(p, '\n', (size_t)(end - p)));
	     p = nl + 1) {
		logfmt_parse(p, (size_t)(nl - p), &rec);
		json_array_append_new(lines,
		    json_pack("{s:s, s:s%, s:b}", "stream",
		        logfmt_stream_name(rec.stream), "text", rec.text,
		        rec.len, "complete", rec.complete));
		if (stream == NULL ||
		    strcmp(stream, logfmt_stream_name(rec.stream)) == 0) {
			evbuffer_add(text, rec.text, rec.len);
			if (rec.complete) {
				evbuffer_add(text, "\n", 1);
			}
		}
	}
	used = (int64_t)(p - buf);
	/* (pullup of an empty buffer is NULL: text is "" then.) */
	evbuffer_add(text, "", 1);
	web_json(req, HTTP_OK,
	    json_pack("{s:O, s:o, s:s%, s:I, s:I, s:b}", "run", run, "lines",
	        lines, "text", (const char *)evbuffer_pullup(text, -1),
	        evbuffer_get_length(text) - 1, "offset", (json_int_t)offset,
	        "next_offset", (json_int_t)(offset + used), "complete",
	        status != NULL && strcmp(status, "running") != 0 &&
	            strcmp(status, "queued") != 0 && offset + used >= size));
	evbuffer_free(text);
	free(buf);
}

static void
api_reply(void *arg, struct proto_reply *rep, const char *error)
{
	struct api_pending *p = arg;
	struct evbuffer *b;
	const json_t *text;

	if (rep == NULL) {
		web_error(p->req, HTTP_SERVUNAVAIL, "daemon_unreachable", "%s",
		    error);
	} else if (!rep->ok) {
		web_error(p->req, api_status(rep->code), rep->code, "%s",
		    rep->message);
	} else if (p->shape == SHAPE_LOG) {
		api_log(p->req, rep->data, p->offset, p->stream);
	} else if (p->shape == SHAPE_TEXT) {
		text = json_object_get(rep->data, "text");
		b = evbuffer_new();
		evbuffer_add(
		    b, json_string_value(text), json_string_length(text));
		evhttp_add_header(evhttp_request_get_output_headers(p->req),
		    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
		evhttp_send_reply(p->req, HTTP_OK, NULL, b);
		evbuffer_free(b);
	} else {
		web_json(p->req, HTTP_OK, json_incref(rep->data));
	}
	api_pending_free(p);
}

/* Ask the daemon cmd with args (taken) for req. */
static struct api_pending *
api_ask(struct web *w, struct evhttp_request *req, const char *cmd,
    json_t *args, const struct web_who *who, enum api_shape shape,
    int64_t offset)
{
	struct api_pending *p = xcalloc(1, sizeof *p);
	char *actor = xasprintf("web:%s", who->name);

	p->w = w;
	p->req = req;
	p->shape = shape;
	p->offset = offset;
	p->call =
	    call_start(w->base, w->socket, cmd, args, actor, api_reply, p);
	free(actor);
	evhttp_connection_set_closecb(
	    evhttp_request_get_connection(req), api_gone, p);
	return p;
}

/* The request's JSON body: an object, {} when none; NULL after a 4xx. */
static json_t *
api_body(struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const char *type = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Content-Type");
	size_t len = evbuffer_get_length(in);
	json_error_t jerr;
	json_t *body;

	if (len == 0) {
		return json_object();
	}
	if (type == NULL || strncmp(type, "application/json", 16) != 0) {
		web_error(req, 415, "unsupported_media_type",
		    "the body must be JSON (Content-Type: application/json)");
		return NULL;
	}
	body = json_loadb((const char *)evbuffer_pullup(in, -1), len, 0, &jerr);
	if (body == NULL || !json_is_object(body)) {
		web_error(req, HTTP_BADREQUEST, "bad_request",
		    body == NULL ? "the body is not JSON: %s (column %d)"
		                 : "the body must be a JSON object%s",
		    body == NULL ? jerr.text : "",
		    body == NULL ? jerr.column : 0);
		json_decref(body);
		return NULL;
	}
	return body;
}

/* Whether who may write, from where req comes: 1, or 0 after a 403. */
static int
api_may_write(
    struct web *w, struct evhttp_request *req, const struct web_who *who)
{
	const char *origin =
	    evhttp_find_header(evhttp_request_get_input_headers(req), "Origin");

	if (who->read_only) {
		web_error(req, 403, "read_only",
		    "the token '%s' may look, not change", who->name);
		return 0;
	}
	if (origin != NULL && strcmp(origin, w->origin) != 0) {
		web_error(req, 403, "cross_origin",
		    "a write from the page at %s, not from %s", origin,
		    w->origin);
		return 0;
	}
	return 1;
}

/* A run id of a path segment: digits only. */
static int
api_run_id(const char *s, size_t len, int64_t *id)
{
	size_t i;

	if (len == 0 || len > 18) {
		return -1;
	}
	*id = 0;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9') {
			return -1;
		}
		*id = *id * 10 + (s[i] - '0');
	}
	return *id > 0 ? 0 : -1;
}

/* Query parameters into a history request's arguments. */
static json_t *
api_runs_args(struct evhttp_request *req)
{
	const char *q =
	    evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	struct evkeyvalq kv;
	struct evkeyval *e;
	json_t *args = json_object();
	char *end;
	long n;

	TAILQ_INIT(&kv);
	if (q != NULL && evhttp_parse_query_str(q, &kv) == 0) {
		TAILQ_FOREACH(e, &kv, next)
		{
			if (strcmp(e->key, "limit") == 0 ||
			    strcmp(e->key, "before") == 0) {
				n = strtol(e->value, &end, 10);
				json_object_set_new(args, e->key,
				    *end == '\0' ? json_integer(n)
				                 : json_string(e->value));
			} else if (strcmp(e->key, "task") == 0 ||
			    strcmp(e->key, "status") == 0 ||
			    strcmp(e->key, "since") == 0) {
				json_object_set_new(
				    args, e->key, json_string(e->value));
			}
		}
	}
	evhttp_clear_headers(&kv);
	return args;
}

/* GET /runs/{id}/log?offset=N&stream=stdout|stderr */
static void
api_log_ask(struct web *w, struct evhttp_request *req, int64_t id,
    const struct web_who *who)
{
	const char *q =
	    evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	const char *v, *stream = NULL;
	struct api_pending *p;
	struct evkeyvalq kv;
	int64_t off = 0;
	char *end;

	TAILQ_INIT(&kv);
	if (q != NULL && evhttp_parse_query_str(q, &kv) == 0) {
		if ((v = evhttp_find_header(&kv, "offset")) != NULL) {
			off = strtoll(v, &end, 10);
			if (*end != '\0' || off < 0) {
				evhttp_clear_headers(&kv);
				web_error(req, HTTP_BADREQUEST, "bad_request",
				    "offset: '%s' is not a byte offset", v);
				return;
			}
		}
		if ((v = evhttp_find_header(&kv, "stream")) != NULL) {
			stream = strcmp(v, "stdout") == 0 ? "stdout"
			    : strcmp(v, "stderr") == 0    ? "stderr"
			                                  : "";
		}
	}
	evhttp_clear_headers(&kv);
	if (stream != NULL && *stream == '\0') {
		web_error(req, HTTP_BADREQUEST, "bad_request",
		    "stream: stdout or stderr");
		return;
	}
	p = api_ask(w, req, "logs", json_pack("{s:I}", "run", (json_int_t)id),
	    who, SHAPE_LOG, off);
	p->stream = stream;
}

/* The routes */

/* A segment, %-decoded (caller frees). */
static char *
seg_name(const char *p, size_t len)
{
	char *raw = xstrndup(p, len), *name = evhttp_uridecode(raw, 0, NULL);

	free(raw);
	return name != NULL ? name : xstrdup("");
}

static int
seg_is(const char *p, size_t len, const char *word)
{
	return strlen(word) == len && strncmp(p, word, len) == 0;
}

void
api_route(struct web *w, struct evhttp_request *req, const char *path,
    const struct web_who *who)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	const char *segs[4];
	size_t lens[4], n = 0;
	const char *p = path + 1, *slash;
	char *name;
	json_t *body = NULL, *args;
	int64_t id;

	/* "/tasks/backup/run" into its segments. */
	while (*p != '\0' && n < 4) {
		slash = strchr(p, '/');
		segs[n] = p;
		lens[n] = slash != NULL ? (size_t)(slash - p) : strlen(p);
		n++;
		p = slash != NULL ? slash + 1 : p + strlen(p);
	}
	if (*p != '\0' || n == 0) {
		goto not_found;
	}
	if (m == EVHTTP_REQ_GET) {
		if (n == 1 && seg_is(segs[0], lens[0], "whoami")) {
			/* The page hides what this token may not do. */
			web_json(req, HTTP_OK,
			    json_pack("{s:s, s:b}", "name", who->name,
			        "read_only", who->read_only));
		} else if (n == 1 && seg_is(segs[0], lens[0], "status")) {
			api_ask(w, req, "status", NULL, who, SHAPE_JSON, 0);
		} else if (n == 1 && seg_is(segs[0], lens[0], "tasks")) {
			api_ask(w, req, "list", NULL, who, SHAPE_JSON, 0);
		} else if (n == 2 && seg_is(segs[0], lens[0], "tasks")) {
			name = seg_name(segs[1], lens[1]);
			api_ask(w, req, "show",
			    json_pack("{s:s}", "task", name), who, SHAPE_JSON,
			    0);
			free(name);
		} else if (n == 1 && seg_is(segs[0], lens[0], "runs")) {
			api_ask(w, req, "history", api_runs_args(req), who,
			    SHAPE_JSON, 0);
		} else if (n == 1 && seg_is(segs[0], lens[0], "queue")) {
			api_ask(w, req, "queue", NULL, who, SHAPE_JSON, 0);
		} else if ((n == 2 || n == 3) &&
		    seg_is(segs[0], lens[0], "runs") &&
		    api_run_id(segs[1], lens[1], &id) == 0) {
			if (n == 2) {
				api_ask(w, req, "logs",
				    json_pack("{s:I}", "run", (json_int_t)id),
				    who, SHAPE_JSON, 0);
			} else if (seg_is(segs[2], lens[2], "log")) {
				api_log_ask(w, req, id, who);
			} else {
				goto not_found;
			}
		} else if (n == 1 && seg_is(segs[0], lens[0], "events")) {
			stream_open(w, req);
		} else if (n == 1 && seg_is(segs[0], lens[0], "metrics")) {
			api_ask(w, req, "metrics", NULL, who, SHAPE_TEXT, 0);
		} else if (n == 1 &&
		    seg_is(segs[0], lens[0], "subscriptions")) {
			api_ask(
			    w, req, "subscriptions", NULL, who, SHAPE_JSON, 0);
		} else {
			goto not_found;
		}
		return;
	}
	if (m == EVHTTP_REQ_DELETE && n == 2 &&
	    seg_is(segs[0], lens[0], "subscriptions")) {
		if (api_may_write(w, req, who)) {
			name = seg_name(segs[1], lens[1]);
			api_ask(w, req, "subscription-delete",
			    json_pack("{s:s}", "name", name), who, SHAPE_JSON,
			    0);
			free(name);
		}
		return;
	}
	if (m != EVHTTP_REQ_POST) {
		web_error(req, 405, "method_not_allowed",
		    "%s takes GET and POST", path);
		return;
	}
	if (!api_may_write(w, req, who) || (body = api_body(req)) == NULL) {
		return;
	}
	if (n == 3 && seg_is(segs[0], lens[0], "tasks") &&
	    (seg_is(segs[2], lens[2], "run") ||
	        seg_is(segs[2], lens[2], "pause") ||
	        seg_is(segs[2], lens[2], "resume"))) {
		name = seg_name(segs[1], lens[1]);
		args = json_pack("{s:s}", "task", name);
		free(name);
		if (seg_is(segs[2], lens[2], "run") &&
		    json_is_true(json_object_get(body, "force"))) {
			json_object_set_new(args, "force", json_true());
		}
		api_ask(w, req,
		    seg_is(segs[2], lens[2], "run")         ? "run"
		        : seg_is(segs[2], lens[2], "pause") ? "pause"
		                                            : "resume",
		    args, who, SHAPE_JSON, 0);
	} else if (n == 3 && seg_is(segs[0], lens[0], "runs") &&
	    api_run_id(segs[1], lens[1], &id) == 0 &&
	    seg_is(segs[2], lens[2], "kill")) {
		args = json_pack("{s:I}", "run", (json_int_t)id);
		if (json_is_string(json_object_get(body, "signal"))) {
			json_object_set(
			    args, "signal", json_object_get(body, "signal"));
		}
		api_ask(w, req, "kill", args, who, SHAPE_JSON, 0);
	} else if (n == 1 && seg_is(segs[0], lens[0], "jobs")) {
		/* One job, or {"jobs": [...]}, as submit takes them. */
		args = json_object_get(body, "jobs") != NULL
		    ? json_incref(body)
		    : json_pack("{s:[O]}", "jobs", body);
		api_ask(w, req, "submit", args, who, SHAPE_JSON, 0);
	} else if (n == 1 && seg_is(segs[0], lens[0], "subscriptions")) {
		api_ask(w, req, "subscription-add", json_incref(body), who,
		    SHAPE_JSON, 0);
	} else if (n == 1 && seg_is(segs[0], lens[0], "reload")) {
		api_ask(w, req, "reload",
		    json_pack("{s:b}", "dry_run",
		        json_is_true(json_object_get(body, "dry_run"))),
		    who, SHAPE_JSON, 0);
	} else {
		json_decref(body);
		goto not_found;
	}
	json_decref(body);
	return;
not_found:
	web_error(req, HTTP_NOTFOUND, "not_found", "no endpoint %s %s",
	    m == EVHTTP_REQ_GET ? "GET" : "POST", path);
}
