/*
 * The tasks file's sections for watching twd from outside: metrics: (a
 * Prometheus endpoint and a node_exporter textfile) and audit: (which
 * requests are recorded, and how long).
 */
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "config-int.h"
#include "config.h"
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
