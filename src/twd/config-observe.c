/*
 * The tasks file's sections for watching twd from outside: metrics: (a
 * Prometheus endpoint and a node_exporter textfile), audit: (which
 * requests are recorded, and how long) and subscriptions: (events POSTed
 * to a URL as they happen).
 */
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "config-int.h"
#include "config.h"
#include "proto.h"
#include "run.h"
#include "xmalloc.h"

/*
 * listen: PORT (loopback), or ADDRESS:PORT, [IPV6]:PORT, localhost:PORT:
 * an address only when one is written out. Returns 0, or -1 after an error.
 */
static int
metrics_listen(struct loader *l, struct metrics_def *m, yaml_node_t *v)
{
	static const struct field f = { .name = "listen",
		.want = "a port, or an address and port" };
	const char *val, *colon, *port;
	char host[64];
	unsigned char addr[16];
	size_t n;
	long p;
	char *end;

	if ((val = loader_scalar(l, v, &f)) == NULL) {
		return -1;
	}
	if ((colon = strrchr(val, ':')) == NULL) {
		snprintf(host, sizeof host, "127.0.0.1");
		port = val;
	} else {
		n = (size_t)(colon - val);
		if (n >= 2 && val[0] == '[' && val[n - 1] == ']') {
			val++;
			n -= 2;
		}
		if (n == 0 || n >= sizeof host) {
			goto bad;
		}
		memcpy(host, val, n);
		host[n] = '\0';
		port = colon + 1;
		if (strcmp(host, "localhost") == 0) {
			snprintf(host, sizeof host, "127.0.0.1");
		} else if (inet_pton(AF_INET, host, addr) != 1 &&
		    inet_pton(AF_INET6, host, addr) != 1) {
			loader_error(l, v,
			    "listen: '%s' is not an IP address (write the "
			    "address itself, as 127.0.0.1:9469 or "
			    "[::1]:9469)",
			    host);
			return -1;
		}
	}
	p = strtol(port, &end, 10);
	if (*port < '0' || *port > '9' || *end != '\0' || p < 1 || p > 65535) {
		goto bad;
	}
	free(m->host);
	m->host = xstrdup(host);
	m->port = (int)p;
	return 0;
bad:
	loader_error(l, v,
	    "listen: '%s' is not a port (9469) or an address and port "
	    "(127.0.0.1:9469, [::1]:9469)",
	    node_text(v));
	return -1;
}

/* metrics: {listen: [ADDRESS:]PORT, textfile: PATH, interval: DURATION} */
void
loader_metrics(struct loader *l, struct config *c, yaml_node_t *map)
{
	static const char *const keys[] = { "interval", "listen", "textfile" };
	static const struct field interval = { .name = "interval",
		.want = "a duration" };
	static const struct field textfile = { .name = "textfile",
		.want = "a path" };
	struct metrics_def *m = &c->metrics;
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	const char *val;

	if (node_is_null(map)) {
		return;
	}
	if (map->type != YAML_MAPPING_NODE) {
		loader_error(l, map,
		    "'metrics' must be a mapping such as {listen: "
		    "127.0.0.1:9469}, not %s",
		    node_kind(map));
		return;
	}
	if (loader_check_keys(l, map, "metrics setting") == -1) {
		return;
	}
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		v = yaml_document_get_node(&l->doc.doc, p->value);
		if (strcmp(node_text(k), "listen") == 0) {
			metrics_listen(l, m, v);
		} else if (strcmp(node_text(k), "textfile") == 0) {
			if ((val = loader_scalar(l, v, &textfile)) == NULL) {
				continue;
			}
			if (val[0] != '/' && val[0] != '~') {
				loader_error(l, v,
				    "textfile: '%s' must be an absolute path "
				    "(or start with ~/)",
				    val);
				continue;
			}
			free(m->textfile);
			m->textfile = section_path(l, val);
		} else if (strcmp(node_text(k), "interval") == 0) {
			value_duration(l, &interval, v, 1, &m->interval_ms);
		} else {
			loader_unknown_key(
			    l, k, "metrics setting", keys, NITEMS(keys));
		}
	}
}

/* audit: {reads: BOOL, keep_days: N} */
void
loader_audit(struct loader *l, struct config *c, yaml_node_t *map)
{
	static const char *const keys[] = { "keep_days", "reads" };
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	long n;

	if (node_is_null(map)) {
		return;
	}
	if (map->type != YAML_MAPPING_NODE) {
		loader_error(l, map,
		    "'audit' must be a mapping such as {reads: true, "
		    "keep_days: 90}, not %s",
		    node_kind(map));
		return;
	}
	if (loader_check_keys(l, map, "audit setting") == -1) {
		return;
	}
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		v = yaml_document_get_node(&l->doc.doc, p->value);
		if (strcmp(node_text(k), "reads") == 0) {
			value_bool(l, "reads", v, &c->audit.reads);
		} else if (strcmp(node_text(k), "keep_days") == 0) {
			if (value_integer(
			        l, "keep_days", v, 1, 36500, 10, &n) == 0) {
				c->audit.keep_days = n;
			}
		} else {
			loader_unknown_key(
			    l, k, "audit setting", keys, NITEMS(keys));
		}
	}
}

/* A subscription's events: a pattern or a list of them, into *set. */
static int
subscription_events(struct loader *l, yaml_node_t *v, unsigned int *set)
{
	yaml_node_item_t *it;
	yaml_node_t *e;

	if (v->type == YAML_SCALAR_NODE) {
		if (proto_event_match(node_text(v), set) == 0) {
			loader_error(l, v,
			    "events: '%s' names no event (run.finished, "
			    "run.*, task.changed, ...: see taskweaver-ipc(7))",
			    node_text(v));
			return -1;
		}
		return 0;
	}
	if (v->type != YAML_SEQUENCE_NODE) {
		loader_error(l, v,
		    "events: a pattern or a list of them, such as "
		    "[run.finished, run.skipped], not %s",
		    node_kind(v));
		return -1;
	}
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		e = yaml_document_get_node(&l->doc.doc, *it);
		if (subscription_events(l, e, set) == -1) {
			return -1;
		}
	}
	return 0;
}

/* One subscription: {events, url, secret, task, status, timeout}. */
static void
loader_subscription(struct loader *l, struct config *c,
    struct subscription_def *sd, yaml_node_t *key, yaml_node_t *map)
{
	static const char *const keys[] = { "events", "secret", "status",
		"task", "timeout", "url" };
	static const struct field text = { .want = "a value" };
	static const struct field timeout = { .name = "timeout",
		.want = "a duration" };
	struct notifier_def *nd = &c->notifiers[sd->notifier];
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	struct field f = text;
	enum run_status st;
	const char *val;
	int has_events = 0, has_url = 0;

	if (map->type != YAML_MAPPING_NODE) {
		loader_error(l, map,
		    "subscription '%s' must be a mapping such as {events: "
		    "run.finished, url: https://...}, not %s",
		    sd->name, node_kind(map));
		return;
	}
	if (loader_check_keys(l, map, "subscription setting") == -1) {
		return;
	}
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		v = yaml_document_get_node(&l->doc.doc, p->value);
		f.name = node_text(k);
		if (strcmp(node_text(k), "events") == 0) {
			has_events = 1; /* a wrong one is said where it is */
			subscription_events(l, v, &sd->events);
		} else if (strcmp(node_text(k), "timeout") == 0) {
			value_duration(l, &timeout, v, 1, &nd->timeout_ms);
		} else if (strcmp(node_text(k), "url") == 0 ||
		    strcmp(node_text(k), "secret") == 0 ||
		    strcmp(node_text(k), "task") == 0 ||
		    strcmp(node_text(k), "status") == 0) {
			has_url |= strcmp(f.name, "url") == 0;
			if ((val = loader_scalar(l, v, &f)) == NULL) {
				continue;
			}
			if (strcmp(f.name, "url") == 0) {
				if (strncmp(val, "http://", 7) != 0 &&
				    strncmp(val, "https://", 8) != 0) {
					loader_error(l, v,
					    "url: '%s' is not an http:// or "
					    "https:// URL",
					    val);
					continue;
				}
				free(nd->url);
				nd->url = xstrdup(val);
			} else if (strcmp(f.name, "secret") == 0) {
				free(nd->secret);
				nd->secret = xstrdup(val);
			} else if (strcmp(f.name, "task") == 0) {
				free(sd->task);
				sd->task = xstrdup(val);
			} else if (run_status_parse(val, &st) == -1) {
				loader_error(l, v,
				    "status: '%s' is not a run status (ok, "
				    "failed, timeout, killed, start_failed, "
				    "lost, skipped)",
				    val);
			} else {
				free(sd->status);
				sd->status = xstrdup(val);
			}
		} else {
			loader_unknown_key(
			    l, k, "subscription setting", keys, NITEMS(keys));
		}
	}
	if (!has_url) {
		loader_error(
		    l, key, "subscription '%s' has no 'url'", sd->name);
	}
	if (!has_events) {
		loader_error(l, key,
		    "subscription '%s' has no 'events' (run.finished, run.*, "
		    "...)",
		    sd->name);
	}
}

/*
 * subscriptions: {NAME: {events, url, ...}}: each a webhook notifier of
 * its own, after the file's notifiers (whose indices tasks hold).
 */
void
loader_subscriptions(struct loader *l, struct config *c, yaml_node_t *map)
{
	yaml_node_pair_t *p;
	yaml_node_t *k, *v;
	struct subscription_def *sd;
	struct notifier_def *nd;
	size_t n;

	if (node_is_null(map)) {
		return;
	}
	if (map->type != YAML_MAPPING_NODE) {
		loader_error(l, map,
		    "'subscriptions' must be a mapping of names to "
		    "subscriptions, such as {deploys: {events: run.finished, "
		    "url: https://...}}, not %s",
		    node_kind(map));
		return;
	}
	if (loader_check_keys(l, map, "subscription") == -1) {
		return;
	}
	n = MAPPING_SIZE(map);
	c->subscriptions = xcalloc(n, sizeof *c->subscriptions);
	c->notifiers = xreallocarray(
	    c->notifiers, c->nnotifiers + n, sizeof *c->notifiers);
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		k = yaml_document_get_node(&l->doc.doc, p->key);
		v = yaml_document_get_node(&l->doc.doc, p->value);
		if (!loader_name_ok(l, k, "subscription")) {
			continue;
		}
		sd = &c->subscriptions[c->nsubscriptions++];
		sd->name = xstrdup(node_text(k));
		sd->notifier = (int)c->nnotifiers;
		nd = &c->notifiers[c->nnotifiers++];
		memset(nd, 0, sizeof *nd);
		nd->name = xasprintf("subscription:%s", sd->name);
		nd->type = NOTIFIER_WEBHOOK;
		nd->raw = 1;
		nd->timeout_ms = DEFAULT_NOTIFY_TIMEOUT_MS;
		loader_subscription(l, c, sd, k, v);
	}
}
