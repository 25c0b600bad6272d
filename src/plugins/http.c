/*
 * The http task type (taskweaver-plugins(7)): one HTTP request, its
 * status line, headers and (capped) body written to the run's log, and
 * its status the run's result. A plugin, not a part of twd: twd never
 * links libcurl, and a request that hangs or floods is a job's problem.
 *
 *	http describe
 *	http run < REQUEST
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#define EXIT_RETRY 75 /* the plugin protocol's "try me again" */

static const char describe[] =
    "{\"protocol\": 1, \"version\": \"1.0\", \"kind\": [\"task\"],\n"
    " \"summary\": \"an HTTP request; its status, headers and body in the "
    "log\",\n"
    " \"params\": {\n"
    "  \"url\": {\"type\": \"string\", \"required\": true,\n"
    "          \"description\": \"http:// or https://; ${VAR} from the "
    "task's env\"},\n"
    "  \"method\": {\"type\": \"string\", \"enum\": [\"GET\", \"POST\", "
    "\"PUT\", \"PATCH\", \"DELETE\", \"HEAD\"],\n"
    "             \"default\": \"GET\"},\n"
    "  \"headers\": {\"type\": \"map\", \"description\": \"request headers; "
    "${VAR} from the task's env\"},\n"
    "  \"json\": {\"type\": \"any\", \"description\": \"a body, sent as "
    "application/json\"},\n"
    "  \"body\": {\"type\": \"string\", \"description\": \"a body, sent as "
    "it is; ${VAR} from the task's env\"},\n"
    "  \"expect_status\": {\"type\": \"list\", \"items\": \"integer\",\n"
    "                    \"description\": \"the statuses that succeed "
    "(default: any 2xx)\"},\n"
    "  \"retries_on_status\": {\"type\": \"list\", \"items\": \"integer\",\n"
    "                        \"description\": \"statuses that ask to be "
    "retried (exit 75)\"},\n"
    "  \"timeout\": {\"type\": \"duration\", \"default\": 30, "
    "\"description\": \"for the whole request\"},\n"
    "  \"insecure\": {\"type\": \"boolean\", \"default\": false,\n"
    "               \"description\": \"accept any TLS certificate\"},\n"
    "  \"max_body\": {\"type\": \"integer\", \"default\": 65536,\n"
    "               \"description\": \"bytes of the response body "
    "logged\"}}}\n";

/* The response body written so far, and what was left out. */
struct body {
	long long max, written, dropped;
};

static void
fail(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "http: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	exit(1);
}

/*
 * s with each ${NAME} replaced by env's NAME; what is not there is an
 * error naming where (the task's env only, never twd's whole one).
 */
static char *
expand(const char *s, json_t *env, const char *where)
{
	size_t cap = strlen(s) + 1, n = 0, len;
	char *out = malloc(cap), name[256];
	const char *end, *v;

	if (out == NULL) {
		fail("%s%s", "out of memory", "");
	}
	while (*s != '\0') {
		if (s[0] == '$' && s[1] == '{' &&
		    (end = strchr(s + 2, '}')) != NULL &&
		    (size_t)(end - s - 2) < sizeof name) {
			memcpy(name, s + 2, (size_t)(end - s - 2));
			name[end - s - 2] = '\0';
			if ((v = json_string_value(
			         json_object_get(env, name))) == NULL) {
				fprintf(stderr,
				    "http: %s: ${%s} is not in the task's "
				    "env\n",
				    where, name);
				exit(1);
			}
			s = end + 1;
		} else {
			name[0] = *s++;
			name[1] = '\0';
			v = name;
		}
		len = strlen(v);
		if (n + len + 1 > cap) {
			cap = (n + len + 1) * 2;
			if ((out = realloc(out, cap)) == NULL) {
				fail("%s%s", "out of memory", "");
			}
		}
		memcpy(out + n, v, len);
		n += len;
	}
	out[n] = '\0';
	return out;
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	(void)arg;
	fwrite(data, size, n, stdout);
	return size * n;
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	long long len = (long long)(size * n), keep;

	keep = b->written + len <= b->max ? len : b->max - b->written;
	if (keep > 0) {
		fwrite(data, 1, (size_t)keep, stdout);
		b->written += keep;
	}
	b->dropped += len - (keep > 0 ? keep : 0);
	return size * n;
}

/* Whether status is one of list's; NULL list: any 2xx. */
static int
status_in(json_t *list, long status, int dflt_2xx)
{
	json_t *v;
	size_t i;

	if (!json_is_array(list) || json_array_size(list) == 0) {
		return dflt_2xx && status >= 200 && status < 300;
	}
	json_array_foreach(list, i, v)
	{
		if (json_integer_value(v) == status) {
			return 1;
		}
	}
	return 0;
}

static int
run(void)
{
	json_error_t jerr;
	json_t *req, *params, *env, *headers, *v;
	struct curl_slist *hl = NULL;
	struct body b = { 0, 0, 0 };
	const char *method, *key;
	char *url, *line, *body = NULL, errbuf[CURL_ERROR_SIZE] = "";
	int has_type = 0, rc;
	long status = 0;
	CURLcode cc;
	CURL *c;

	if ((req = json_loadf(stdin, 0, &jerr)) == NULL) {
		fail("the request on stdin is not JSON: %s%s", jerr.text, "");
	}
	params = json_object_get(req, "params");
	env = json_object_get(req, "env");
	url = expand(json_string_value(json_object_get(params, "url")) != NULL
	        ? json_string_value(json_object_get(params, "url"))
	        : "",
	    env, "url");
	if (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0) {
		fail("url: '%s' is not an http:// or https:// URL%s", url, "");
	}
	method = json_string_value(json_object_get(params, "method"));
	b.max = json_integer_value(json_object_get(params, "max_body"));
	if (!json_is_integer(json_object_get(params, "max_body"))) {
		b.max = 65536;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (c = curl_easy_init()) == NULL) {
		fail("%s%s", "cannot start libcurl", "");
	}
	headers = json_object_get(params, "headers");
	json_object_foreach(headers, key, v)
	{
		char *val = expand(
		    json_is_string(v) ? json_string_value(v) : "", env, key);
		size_t len = strlen(key) + strlen(val) + 3;

		line = malloc(len);
		snprintf(line, len, "%s: %s", key, val);
		has_type |= strcasecmp(key, "Content-Type") == 0;
		hl = curl_slist_append(hl, line);
		free(line);
		free(val);
	}
	if ((v = json_object_get(params, "json")) != NULL) {
		body = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!has_type) {
			hl = curl_slist_append(
			    hl, "Content-Type: application/json");
		}
	} else if (json_is_string(json_object_get(params, "body"))) {
		body =
		    expand(json_string_value(json_object_get(params, "body")),
		        env, "body");
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "taskweaver-http/1.0");
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
	if (method != NULL && strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (method != NULL) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_TIMEOUT,
	    json_is_integer(json_object_get(params, "timeout"))
	        ? (long)json_integer_value(json_object_get(params, "timeout"))
	        : 30L);
	if (json_is_true(json_object_get(params, "insecure"))) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	printf("> %s %s\n", method != NULL ? method : "GET", url);
	fflush(stdout);
	cc = curl_easy_perform(c);
	if (b.written > 0) {
		printf("\n");
	}
	if (b.dropped > 0) {
		printf("(%lld more bytes of the body not logged: max_body)\n",
		    b.dropped);
	}
	fflush(stdout);
	if (cc != CURLE_OK) {
		fprintf(stderr, "http: %s %s: %s\n",
		    method != NULL ? method : "GET", url,
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc));
		rc = 1;
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (status_in(json_object_get(params, "retries_on_status"),
		        status, 0)) {
			fprintf(stderr,
			    "http: status %ld asks to be tried again "
			    "(retries_on_status)\n",
			    status);
			rc = EXIT_RETRY;
		} else if (!status_in(json_object_get(params, "expect_status"),
		               status, 1)) {
			fprintf(stderr,
			    "http: status %ld is not one expected "
			    "(expect_status)\n",
			    status);
			rc = 1;
		} else {
			rc = 0;
		}
	}
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	curl_global_cleanup();
	free(body);
	free(url);
	json_decref(req);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "describe") == 0) {
		fputs(describe, stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "run") == 0) {
		return run();
	}
	fprintf(stderr,
	    "usage: http describe | run < REQUEST "
	    "(a TaskWeaver plugin: taskweaver-plugins(7))\n");
	return 2;
}
