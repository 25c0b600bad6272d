/*
 * twweb: the daemon's web page and HTTP API, a client of its socket (twd
 * itself serves no HTTP but its metrics). libevent's evhttp parses HTTP.
 *
 * The page's files need no token: they hold nothing of the user's. Every
 * /api/v1/ request does, as "Authorization: Bearer TOKEN"; tokens are kept
 * hashed (tokens.h). Writes need a token that is not read-only, an Origin
 * (when the browser sends one) that is the page's own, and a JSON body:
 * no form can post to it from another site.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "paths.h"
#include "tokens.h"
#include "version.h"
#include "web.h"
#include "xmalloc.h"

#define WEB_DEFAULT_PORT 8469
/* A request's body: a submit of many jobs fits. */
#define WEB_BODY_MAX    (1024 * 1024)
#define WEB_HEADERS_MAX 16384
#define WEB_TIMEOUT     60

static const struct option twweb_longopts[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "socket", required_argument, NULL, 's' },
	{ "state-dir", required_argument, NULL, 'd' },
	{ "share", required_argument, NULL, 'S' },
	{ "insecure-listen", no_argument, NULL, 'I' },
	{ "tls-cert", required_argument, NULL, 'C' },
	{ "tls-key", required_argument, NULL, 'K' },
	{ "new-token", required_argument, NULL, 'n' },
	{ "read-only", no_argument, NULL, 'r' },
	{ "tokens", no_argument, NULL, 't' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void
twweb_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: twweb [-l [address:]port] [-s socket] [-d dir] "
	    "[--tls-cert file --tls-key file] [--insecure-listen]\n"
	    "       twweb [-d dir] --new-token NAME [--read-only]\n"
	    "       twweb [-d dir] --tokens\n"
	    "\n"
	    "  -l, --listen ADDR     where to serve (127.0.0.1:8469)\n"
	    "  -s, --socket PATH     the daemon's socket (TW_SOCKET)\n"
	    "  -d, --state-dir DIR   where the tokens are kept, in web/ "
	    "(TW_STATE_DIR)\n"
	    "      --tls-cert FILE   serve HTTPS with this certificate (PEM, "
	    "its chain after it)\n"
	    "      --tls-key FILE    ... and this private key\n"
	    "      --insecure-listen serve on an address that is not "
	    "loopback, without TLS\n"
	    "      --new-token NAME  make a token, print it and exit\n"
	    "      --read-only       ... one that may look but not change\n"
	    "      --tokens          list the tokens (not their secrets)\n");
}

void
web_json(struct evhttp_request *req, int status, json_t *body)
{
	struct evbuffer *b = evbuffer_new();
	char *text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15));

	json_decref(body);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "application/json");
	if (text != NULL) {
		evbuffer_add(b, text, strlen(text));
		evbuffer_add(b, "\n", 1);
	}
	free(text);
	evhttp_send_reply(req, status, NULL, b);
	evbuffer_free(b);
}

void
web_error(struct evhttp_request *req, int status, const char *code,
    const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	web_json(req, status,
	    json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg));
	free(msg);
}

void
web_request_gone(struct evhttp_request *req)
{
	/*
	 * evhttp has let go of a request whose asker went away before it
	 * was answered (its connection is gone); it is the answerer's to
	 * free, which evhttp_send_reply_end does for such a request.
	 */
	if (req != NULL && evhttp_request_get_connection(req) == NULL) {
		evhttp_send_reply_end(req);
	}
}

/* The page's own files, by name: nothing else is served from disk. */
static void
web_static(struct web *w, struct evhttp_request *req, const char *path)
{
	static const struct {
		const char *path, *file, *type;
	} files[] = {
		{ "/", "index.html", "text/html; charset=utf-8" },
		{ "/index.html", "index.html", "text/html; charset=utf-8" },
		{ "/app.js", "app.js", "text/javascript; charset=utf-8" },
		{ "/style.css", "style.css", "text/css; charset=utf-8" },
		{ "/openapi.yaml", "openapi.yaml", "application/yaml" },
	};
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b;
	char *file;
	size_t i;
	FILE *fp;
	char buf[8192];
	size_t n;

	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		if (strcmp(path, files[i].path) == 0) {
			break;
		}
	}
	if (i == sizeof files / sizeof files[0]) {
		web_error(req, HTTP_NOTFOUND, "not_found",
		    "no such page: the API is under /api/v1/");
		return;
	}
	file = xasprintf("%s/%s", w->share, files[i].file);
	if ((fp = fopen(file, "re")) == NULL) {
		web_error(req, HTTP_INTERNAL, "failed", "cannot read %s: %s",
		    file, strerror(errno));
		free(file);
		return;
	}
	free(file);
	b = evbuffer_new();
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0) {
		evbuffer_add(b, buf, n);
	}
	fclose(fp);
	evhttp_add_header(h, "Content-Type", files[i].type);
	evhttp_add_header(h, "Content-Security-Policy",
	    "default-src 'self'; img-src 'self' data:; "
	    "frame-ancestors 'none'");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Cache-Control", "no-cache");
	evhttp_send_reply(req, HTTP_OK, NULL, b);
	evbuffer_free(b);
}

static long
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec;
}

/* The slot of addr's failures, the oldest one reused. */
static struct web_fail *
web_fail_slot(struct web *w, const char *addr)
{
	struct web_fail *f, *oldest = &w->fails[0];
	size_t i;

	for (i = 0; i < WEB_FAILS_SLOTS; i++) {
		f = &w->fails[i];
		if (strcmp(f->addr, addr) == 0) {
			return f;
		}
		if (f->since < oldest->since) {
			oldest = f;
		}
	}
	snprintf(oldest->addr, sizeof oldest->addr, "%s", addr);
	oldest->since = mono_s();
	oldest->n = 0;
	return oldest;
}

/*
 * The token of req: 1 with *who, else 0 after a 401 (or a 429 for an
 * address that failed too often).
 */
static int
web_auth(struct web *w, struct evhttp_request *req, struct web_who *who)
{
	const char *auth = evhttp_find_header(
	    evhttp_request_get_input_headers(req), "Authorization");
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct web_fail *f;
	char *addr = NULL, *cause = NULL;
	ev_uint16_t port;

	if (tokens_refresh(w->tokens, &cause) == -1) {
		fprintf(stderr, "twweb: %s\n", cause);
		free(cause);
	}

	evhttp_connection_get_peer(conn, &addr, &port);
	f = web_fail_slot(w, addr != NULL ? addr : "?");
	if (mono_s() - f->since >= WEB_FAILS_WINDOW) {
		f->since = mono_s();
		f->n = 0;
	}
	/*
	 * Past the limit the address is refused before any token is looked
	 * at: a guess that would be right is refused too, so guessing stops
	 * paying. (Loopback is one address for all: a minute's wait.)
	 */
	if (f->n >= WEB_FAILS_MAX) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Retry-After", "60");
		web_error(req, 429, "too_many_attempts",
		    "%d requests with a wrong token in a minute: wait", f->n);
		return 0;
	}
	if (auth != NULL && strncmp(auth, "Bearer ", 7) == 0 &&
	    tokens_check(w->tokens, auth + 7, &who->name, &who->read_only)) {
		return 1;
	}
	f->n++;
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "WWW-Authenticate", "Bearer realm=\"taskweaver\"");
	web_error(req, 401, "unauthorized",
	    auth == NULL ? "no token: send Authorization: Bearer TOKEN (twctl "
	                   "web token new makes one)"
	                 : "that token is not known here");
	return 0;
}

static void
web_request(struct evhttp_request *req, void *arg)
{
	struct web *w = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = evhttp_uri_get_path(uri);
	struct web_who who;

	if (path == NULL) {
		web_error(req, HTTP_BADREQUEST, "bad_request", "no path");
		return;
	}
	if (strncmp(path, "/api/v1/", 8) != 0) {
		if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
			web_error(req, 405, "method_not_allowed",
			    "the page's files are only read");
			return;
		}
		web_static(w, req, path);
		return;
	}
	if (web_auth(w, req, &who)) {
		api_route(w, req, path + 7, &who);
	}
}

/* [ADDR:]PORT into host and port: 0, or -1 with a message said. */
static int
web_listen_parse(const char *v, char *host, size_t len, int *port)
{
	const char *colon = strrchr(v, ':'), *p = v;
	unsigned char addr[16];
	char *end;
	long n;

	snprintf(host, len, "127.0.0.1");
	if (colon != NULL) {
		if (v[0] == '[' && colon > v + 1 && colon[-1] == ']') {
			snprintf(
			    host, len, "%.*s", (int)(colon - v - 2), v + 1);
		} else {
			snprintf(host, len, "%.*s", (int)(colon - v), v);
		}
		if (strcmp(host, "localhost") == 0) {
			snprintf(host, len, "127.0.0.1");
		}
		p = colon + 1;
		if (inet_pton(AF_INET, host, addr) != 1 &&
		    inet_pton(AF_INET6, host, addr) != 1) {
			fprintf(stderr,
			    "twweb: --listen: '%s' is not an IP address\n",
			    host);
			return -1;
		}
	}
	n = strtol(p, &end, 10);
	if (*p < '0' || *p > '9' || *end != '\0' || n < 1 || n > 65535) {
		fprintf(stderr,
		    "twweb: --listen: '%s' is not a port or an address and "
		    "port (127.0.0.1:8469)\n",
		    v);
		return -1;
	}
	*port = (int)n;
	return 0;
}

static int
is_loopback(const char *host)
{
	return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0;
}

/* Where the page's files are: --share, else beside the program. */
static char *
web_share(const char *flag)
{
	char exe[PATH_MAX], *dir, *try;
	struct stat sb;
	ssize_t n;

	if (flag != NULL) {
		return xstrdup(flag);
	}
	if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) > 0) {
		exe[n] = '\0';
		dir = paths_dirname(exe);
		/* Installed (PREFIX/bin), or in the build tree. */
		try = xasprintf("%s/../share/taskweaver/web", dir);
		if (stat(try, &sb) == 0) {
			free(dir);
			return try;
		}
		free(try);
		try = xasprintf("%s/share/taskweaver/web", dir);
		free(dir);
		if (stat(try, &sb) == 0) {
			return try;
		}
		free(try);
	}
	return xstrdup(TW_WEB_DIR);
}

/*
 * Out of descriptors, accept(2) fails while the connection still waits,
 * and libevent would call it again at once, for ever: the listener rests
 * a second instead, and the connections it has go on being served. (The
 * callback's argument is evhttp's, so the listener is all it has.)
 */
static void
web_rested(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	evconnlistener_enable(arg);
}

static void
web_accept_error(struct evconnlistener *lev, void *arg)
{
	static long said; /* when it was last said, not to say it each time */
	struct timeval rest = { 1, 0 };
	int err = EVUTIL_SOCKET_ERROR();

	(void)arg;
	if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
		if (mono_s() - said >= 60) {
			fprintf(stderr,
			    "twweb: accept: %s; taking no connection for a "
			    "second at a time\n",
			    strerror(err));
			said = mono_s();
		}
		evconnlistener_disable(lev);
		event_base_once(evconnlistener_get_base(lev), -1, EV_TIMEOUT,
		    web_rested, lev, &rest);
		return;
	}
	fprintf(stderr, "twweb: accept: %s\n", strerror(err));
}

/* Each connection in TLS, with the context of --tls-cert and --tls-key. */
static struct bufferevent *
web_tls_bev(struct event_base *base, void *arg)
{
	return bufferevent_openssl_socket_new(base, -1, SSL_new(arg),
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
}

/* HTTPS for http: the context, or NULL after saying why. */
static SSL_CTX *
web_tls(struct evhttp *http, const char *cert, const char *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char err[256];

	if (ctx == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		ERR_error_string_n(ERR_get_error(), err, sizeof err);
		fprintf(
		    stderr, "twweb: TLS with %s and %s: %s\n", cert, key, err);
		SSL_CTX_free(ctx);
		return NULL;
	}
	evhttp_set_bevcb(http, web_tls_bev, ctx);
	return ctx;
}

/* Listen on host:port through a listener of our own: 0, or -1 said. */
static int
web_listen(struct web *w, const char *host, int port)
{
	struct sockaddr_storage ss;
	int len = sizeof ss;
	char *where = xasprintf(
	    strchr(host, ':') != NULL ? "[%s]:%d" : "%s:%d", host, port);

	if (evutil_parse_sockaddr_port(where, (struct sockaddr *)&ss, &len) ==
	    -1) {
		fprintf(stderr, "twweb: cannot listen on %s\n", where);
		free(where);
		return -1;
	}
	w->listener = evconnlistener_new_bind(w->base, NULL, NULL,
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	    -1, (struct sockaddr *)&ss, len);
	if (w->listener == NULL) {
		fprintf(stderr, "twweb: cannot listen on %s: %s\n", where,
		    strerror(errno));
		free(where);
		return -1;
	}
	free(where);
	if (evhttp_bind_listener(w->http, w->listener) == NULL) {
		fprintf(stderr, "twweb: cannot serve the listener\n");
		return -1;
	}
	evconnlistener_set_error_cb(w->listener, web_accept_error);
	return 0;
}

static void
web_stop(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopexit(arg, NULL);
}

/* --new-token and --tokens: the store alone, no server. */
static int
web_tokens_cmd(const char *dir, const char *name, int read_only)
{
	struct tokens *t;
	char *cause = NULL, *token;
	json_t *list;

	if ((t = tokens_open(dir, &cause)) == NULL) {
		fprintf(stderr, "twweb: %s\n", cause);
		return 1;
	}
	if (name == NULL) {
		list = tokens_json(t);
		json_dumpf(list, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(list);
		tokens_free(t);
		return 0;
	}
	if ((token = tokens_new(t, name, read_only, &cause)) == NULL) {
		fprintf(stderr, "twweb: %s\n", cause);
		tokens_free(t);
		return 1;
	}
	printf("%s\n", token);
	free(token);
	tokens_free(t);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *listen = NULL, *socket_flag = NULL, *state_flag = NULL,
	           *share_flag = NULL, *new_token = NULL, *tls_cert = NULL,
	           *tls_key = NULL;
	int ch, insecure = 0, read_only = 0, list = 0, port = WEB_DEFAULT_PORT;
	int rc = 1;
	char host[64] = "127.0.0.1", *state, *dir, *cause = NULL, *token;
	struct event *ev_int, *ev_term;
	char *pidfile = NULL, *end;
	const char *env;
	long n;
	struct rlimit rl;
	struct web w;
	FILE *fp;

	while ((ch = getopt_long(
	            argc, argv, "l:s:d:Vh", twweb_longopts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			listen = optarg;
			break;
		case 's':
			socket_flag = optarg;
			break;
		case 'd':
			state_flag = optarg;
			break;
		case 'S':
			share_flag = optarg;
			break;
		case 'I':
			insecure = 1;
			break;
		case 'C':
			tls_cert = optarg;
			break;
		case 'K':
			tls_key = optarg;
			break;
		case 'n':
			new_token = optarg;
			break;
		case 'r':
			read_only = 1;
			break;
		case 't':
			list = 1;
			break;
		case 'V':
			printf("twweb %s\n", TW_VERSION);
			return 0;
		case 'h':
			twweb_usage(stdout);
			return 0;
		default:
			twweb_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		twweb_usage(stderr);
		return 2;
	}
	state = paths_state_dir(state_flag);
	dir = xasprintf("%s/web", state);
	free(state);
	if (new_token != NULL || list) {
		ch = web_tokens_cmd(dir, new_token, read_only);
		free(dir);
		return ch;
	}
	if (listen != NULL &&
	    web_listen_parse(listen, host, sizeof host, &port) == -1) {
		free(dir);
		return 2;
	}
	if ((tls_cert == NULL) != (tls_key == NULL)) {
		free(dir);
		fprintf(
		    stderr, "twweb: --tls-cert and --tls-key go together\n");
		return 2;
	}
	if (!is_loopback(host) && !insecure && tls_cert == NULL) {
		free(dir);
		fprintf(stderr,
		    "twweb: refusing to listen on %s: it is not a loopback "
		    "address, and without TLS tokens would cross the network "
		    "in the clear. Give --tls-cert and --tls-key, or "
		    "--insecure-listen if the network is yours\n",
		    host);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Each client is a descriptor: as many as this user may have. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&w, 0, sizeof w);
	LIST_INIT(&w.streams);
	w.stream_backlog = WEB_STREAM_BACKLOG;
	if ((env = getenv("TWWEB_STREAM_BACKLOG")) != NULL &&
	    (n = strtol(env, &end, 10)) > 0 && *end == '\0') {
		w.stream_backlog = (size_t)n;
	}
	w.socket = paths_socket(socket_flag);
	w.share = web_share(share_flag);
	if ((w.tokens = tokens_open(dir, &cause)) == NULL) {
		fprintf(stderr, "twweb: %s\n", cause);
		free(cause);
		goto out;
	}
	w.base = event_base_new();
	w.http = evhttp_new(w.base);
	evhttp_set_max_body_size(w.http, WEB_BODY_MAX);
	evhttp_set_max_headers_size(w.http, WEB_HEADERS_MAX);
	evhttp_set_timeout(w.http, WEB_TIMEOUT);
	evhttp_set_allowed_methods(
	    w.http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_DELETE);
	evhttp_set_gencb(w.http, web_request, &w);
	if ((tls_cert != NULL &&
	        (w.tls = web_tls(w.http, tls_cert, tls_key)) == NULL) ||
	    web_listen(&w, host, port) == -1) {
		goto out;
	}
	w.origin = xasprintf(strchr(host, ':') ? "%s://[%s]:%d" : "%s://%s:%d",
	    w.tls != NULL ? "https" : "http", host, port);
	/* The first start makes the first token, and shows it this once. */
	if (tokens_count(w.tokens) == 0) {
		if ((token = tokens_new(w.tokens, "default", 0, &cause)) ==
		    NULL) {
			fprintf(stderr, "twweb: %s\n", cause);
			free(cause);
			goto out;
		}
		printf("%s/#token=%s\n", w.origin, token);
		free(token);
	} else {
		printf("%s/\n", w.origin);
	}
	fflush(stdout);
	fprintf(stderr, "twweb: serving %s/ for the daemon at %s\n", w.origin,
	    w.socket);
	pidfile = xasprintf("%s/twweb.pid", dir);
	if ((fp = fopen(pidfile, "we")) != NULL) {
		fprintf(fp, "%ld\n", (long)getpid());
		fclose(fp);
	}
	ev_int = evsignal_new(w.base, SIGINT, web_stop, w.base);
	ev_term = evsignal_new(w.base, SIGTERM, web_stop, w.base);
	evsignal_add(ev_int, NULL);
	evsignal_add(ev_term, NULL);
	event_base_dispatch(w.base);
	event_free(ev_int);
	event_free(ev_term);
	rc = 0;
out:
	api_streams_close(&w);
	if (w.http != NULL) {
		evhttp_free(w.http); /* the listener with it */
	}
	if (w.tls != NULL) {
		SSL_CTX_free(w.tls);
	}
	if (w.base != NULL) {
		event_base_free(w.base);
	}
	tokens_free(w.tokens);
	free(w.socket);
	free(w.share);
	free(w.origin);
	if (pidfile != NULL) {
		unlink(pidfile);
		free(pidfile);
	}
	free(dir);
	return rc;
}
