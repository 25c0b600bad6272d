/*
 * Delivery of one notification, in a process of its own (twd-deliver,
 * started by the daemon as a job with a timeout), so that a mail program
 * that waits or a webhook that never answers cannot stall the daemon. It
 * may block; it says what went wrong in one line on stderr and exits 1.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <libnotify/notify.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deliver.h"
#include "xmalloc.h"

/* Webhook: attempts, and the wait before the second (doubled after). */
#define DELIVER_HTTP_ATTEMPTS 3
#define DELIVER_HTTP_WAIT_MS  1000

static int
deliver_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/*
 * Run program with data on its stdin and wait for it. Returns 0, or 1
 * after saying why it failed.
 */
static int
deliver_pipe(const json_t *program, const char *data, size_t len)
{
	size_t n = json_array_size(program), i;
	char **argv = xcalloc(n + 1, sizeof *argv);
	int fds[2], status;
	ssize_t w;
	pid_t pid;

	for (i = 0; i < n; i++) {
		argv[i] = (char *)json_string_value(json_array_get(program, i));
	}
	if (n == 0 || pipe(fds) == -1) {
		free(argv);
		return deliver_fail("cannot start the program: %s",
		    n == 0 ? "none given" : strerror(errno));
	}
	if ((pid = fork()) == -1) {
		free(argv);
		return deliver_fail("fork: %s", strerror(errno));
	}
	if (pid == 0) {
		dup2(fds[0], STDIN_FILENO);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[0], argv);
		fprintf(
		    stderr, "cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	while (len > 0 && (w = write(fds[1], data, len)) != 0) {
		if (w == -1 && errno == EINTR) {
			continue;
		}
		if (w == -1) {
			break; /* it stopped reading; its status says more */
		}
		data += w;
		len -= (size_t)w;
	}
	close(fds[1]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR) {
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		free(argv);
		return 0;
	}
	if (WIFEXITED(status)) {
		deliver_fail("'%s' exited %d", argv[0], WEXITSTATUS(status));
	} else {
		deliver_fail(
		    "'%s' was killed by signal %d", argv[0], WTERMSIG(status));
	}
	free(argv);
	return 1;
}

/* An RFC 5322 message to a sendmail(1) that reads its recipients (-t). */
static int
deliver_mail(const json_t *n, const json_t *ev)
{
	char date[64], *msg;
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	localtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S %z", &tm);
	msg = xasprintf("To: %s\n"
	                "%s%s%s"
	                "Subject: [TaskWeaver] %s\n"
	                "Date: %s\n"
	                "MIME-Version: 1.0\n"
	                "Content-Type: text/plain; charset=utf-8\n"
	                "Content-Transfer-Encoding: 8bit\n"
	                "Auto-Submitted: auto-generated\n"
	                "X-TaskWeaver-Event: %s\n"
	                "%s%s%s"
	                "\n%s\n",
	    str(n, "to"), json_object_get(n, "from") != NULL ? "From: " : "",
	    str(n, "from"), json_object_get(n, "from") != NULL ? "\n" : "",
	    str(ev, "summary"), date, str(ev, "event"),
	    json_is_string(json_object_get(ev, "task")) ? "X-TaskWeaver-Task: "
	                                                : "",
	    str(ev, "task"),
	    json_is_string(json_object_get(ev, "task")) ? "\n" : "",
	    str(ev, "body"));
	rc = deliver_pipe(json_object_get(n, "program"), msg, strlen(msg));
	free(msg);
	return rc;
}

/* The event as JSON on the program's stdin, and as TW_* variables. */
static int
deliver_command(const json_t *n, const json_t *ev)
{
	const json_t *run = json_object_get(ev, "run");
	char *data, num[32];
	json_t *req;
	int rc;

	/* A plugin's: its request, the event in it (taskweaver-plugins(7)). */
	if (json_object_get(n, "params") != NULL) {
		req = json_pack("{s:i, s:s, s:O, s:O}", "protocol", 1,
		    "notifier", str(n, "name"), "params",
		    json_object_get(n, "params"), "event", ev);
		data = json_dumps(req, JSON_COMPACT);
		json_decref(req);
	} else {
		data = json_dumps(ev, JSON_COMPACT);
	}

	setenv("TW_NOTIFY_EVENT", str(ev, "event"), 1);
	setenv("TW_NOTIFIER", str(n, "name"), 1);
	setenv("TW_SUMMARY", str(ev, "summary"), 1);
	setenv("TW_TASK", str(ev, "task"), 1);
	if (json_is_object(run)) {
		snprintf(num, sizeof num, "%lld",
		    (long long)json_integer_value(json_object_get(run, "id")));
		setenv("TW_RUN_ID", num, 1);
		setenv("TW_STATUS", str(run, "status"), 1);
		if (json_is_integer(json_object_get(run, "exit_code"))) {
			snprintf(num, sizeof num, "%lld",
			    (long long)json_integer_value(
			        json_object_get(run, "exit_code")));
			setenv("TW_EXIT_CODE", num, 1);
		}
	}
	rc = deliver_pipe(json_object_get(n, "program"), data, strlen(data));
	free(data);
	return rc;
}

static size_t
deliver_discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/*
 * X-TaskWeaver-Signature: sha256=HEX, the HMAC-SHA256 of the body with
 * the secret as its key, as GitHub signs its webhooks: the receiver
 * computes the same and compares.
 */
static struct curl_slist *
deliver_sign(struct curl_slist *headers, const char *secret, const char *body)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;
	char line[64 + 2 * EVP_MAX_MD_SIZE], *p;

	HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (const unsigned char *)body, strlen(body), mac, &len);
	p = line +
	    snprintf(line, sizeof line, "X-TaskWeaver-Signature: sha256=");
	for (i = 0; i < len; i++) {
		*p++ = digits[mac[i] >> 4];
		*p++ = digits[mac[i] & 15];
	}
	*p = '\0';
	return curl_slist_append(headers, line);
}

/* A POST of the event as JSON (or as a Slack message), tried again. */
static int
deliver_webhook(const json_t *n, const json_t *ev)
{
	char err[CURL_ERROR_SIZE], *body;
	struct curl_slist *headers = NULL;
	long code = 0, timeout_ms;
	json_t *slack;
	char *sig;
	CURLcode rc = CURLE_OK;
	CURL *curl;
	int attempt, wait_ms = DELIVER_HTTP_WAIT_MS;
	struct timespec t0, t1;
	double budget_ms, spent_ms;

	if (strcmp(str(n, "format"), "slack") == 0) {
		slack = json_object();
		json_object_set_new(slack, "text",
		    json_sprintf(
		        "*%s*\n%s", str(ev, "summary"), str(ev, "body")));
		body = json_dumps(slack, JSON_COMPACT);
		json_decref(slack);
	} else {
		body = json_dumps(ev, JSON_COMPACT | JSON_REAL_PRECISION(15));
	}
	/*
	 * Every attempt within the notifier's timeout, waits included, and
	 * a little left to say why the last one failed.
	 */
	budget_ms =
	    json_number_value(json_object_get(n, "timeout")) * 1000 * 0.9;
	timeout_ms = (long)(budget_ms / DELIVER_HTTP_ATTEMPTS);
	if (timeout_ms < 1000) {
		timeout_ms = 1000;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((curl = curl_easy_init()) == NULL) {
		free(body);
		return deliver_fail("cannot start libcurl");
	}
	headers = curl_slist_append(headers, "Content-Type: application/json");
	headers = curl_slist_append(headers, "User-Agent: TaskWeaver");
	if (json_is_string(json_object_get(n, "secret"))) {
		headers = deliver_sign(headers, str(n, "secret"), body);
	}
	if (strcmp(str(n, "format"), "event") == 0) {
		sig = xasprintf("X-TaskWeaver-Event: %s", str(ev, "event"));
		headers = curl_slist_append(headers, sig);
		free(sig);
	}
	curl_easy_setopt(curl, CURLOPT_URL, str(n, "url"));
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, deliver_discard);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (attempt = 1; attempt <= DELIVER_HTTP_ATTEMPTS; attempt++) {
		err[0] = '\0';
		code = 0;
		rc = curl_easy_perform(curl);
		if (rc == CURLE_OK) {
			curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
		}
		/* A client error will not get better by asking again. */
		if (rc == CURLE_OK && code < 500) {
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		spent_ms = (double)(t1.tv_sec - t0.tv_sec) * 1000 +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		if (attempt == DELIVER_HTTP_ATTEMPTS ||
		    spent_ms + wait_ms + timeout_ms > budget_ms) {
			break;
		}
		usleep((useconds_t)wait_ms * 1000);
		wait_ms *= 2;
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	curl_global_cleanup();
	free(body);
	if (rc != CURLE_OK) {
		return deliver_fail("POST %s: %s", str(n, "url"),
		    err[0] != '\0' ? err : curl_easy_strerror(rc));
	}
	if (code >= 300) {
		return deliver_fail(
		    "POST %s: the server answered %ld", str(n, "url"), code);
	}
	return 0;
}

/*
 * A daemon started from a login script or a user unit often has no
 * DBUS_SESSION_BUS_ADDRESS; the user's bus is at $XDG_RUNTIME_DIR/bus.
 */
static int
deliver_find_bus(void)
{
	const char *dir = getenv("XDG_RUNTIME_DIR");
	char path[256], *addr;
	struct stat st;

	if (getenv("DBUS_SESSION_BUS_ADDRESS") != NULL) {
		return 0;
	}
	if (dir != NULL) {
		snprintf(path, sizeof path, "%s/bus", dir);
	} else {
		snprintf(
		    path, sizeof path, "/run/user/%u/bus", (unsigned)getuid());
	}
	if (stat(path, &st) == -1 || !S_ISSOCK(st.st_mode)) {
		return deliver_fail("no desktop session bus: "
		                    "DBUS_SESSION_BUS_ADDRESS is unset and %s "
		                    "is not there",
		    path);
	}
	addr = xasprintf("unix:path=%s", path);
	setenv("DBUS_SESSION_BUS_ADDRESS", addr, 1);
	free(addr);
	return 0;
}

static int
deliver_desktop(const json_t *ev)
{
	const char *event = str(ev, "event");
	NotifyNotification *nn;
	NotifyUrgency urgency = NOTIFY_URGENCY_NORMAL;
	GError *err = NULL;
	int rc = 0;

	if (deliver_find_bus() != 0) {
		return 1;
	}
	if (!notify_init("TaskWeaver")) {
		return deliver_fail("cannot start libnotify");
	}
	if (strcmp(event, "failure") == 0 ||
	    strcmp(event, "config_error") == 0 ||
	    strcmp(event, "state_error") == 0) {
		urgency = NOTIFY_URGENCY_CRITICAL;
	} else if (strcmp(event, "recovery") == 0 ||
	    strcmp(event, "success") == 0) {
		urgency = NOTIFY_URGENCY_LOW;
	}
	nn = notify_notification_new(str(ev, "summary"), str(ev, "body"), NULL);
	notify_notification_set_urgency(nn, urgency);
	notify_notification_set_app_name(nn, "TaskWeaver");
	if (!notify_notification_show(nn, &err)) {
		rc =
		    deliver_fail("no desktop notification service answered: %s",
		        err != NULL ? err->message : "unknown error");
		g_clear_error(&err);
	}
	g_object_unref(G_OBJECT(nn));
	notify_uninit();
	return rc;
}

int
deliver_main(void)
{
	const char *ns = getenv("TW_NOTIFIER"), *es = getenv("TW_EVENT");
	json_t *n, *ev;
	const char *type;
	int rc;

	n = ns != NULL ? json_loads(ns, 0, NULL) : NULL;
	ev = es != NULL ? json_loads(es, 0, NULL) : NULL;
	if (n == NULL || ev == NULL) {
		json_decref(n);
		json_decref(ev);
		return deliver_fail("twd-deliver is twd's own: it needs "
		                    "TW_NOTIFIER and TW_EVENT");
	}
	type = str(n, "type");
	if (strcmp(type, "desktop") == 0) {
		rc = deliver_desktop(ev);
	} else if (strcmp(type, "mail") == 0) {
		rc = deliver_mail(n, ev);
	} else if (strcmp(type, "webhook") == 0) {
		rc = deliver_webhook(n, ev);
	} else if (strcmp(type, "command") == 0) {
		rc = deliver_command(n, ev);
	} else {
		rc = deliver_fail("unknown notifier type '%s'", type);
	}
	json_decref(n);
	json_decref(ev);
	return rc;
}

int
main(void)
{
	return deliver_main();
}
