/*
 * Duration parsing and formatting. A duration is one or more number-unit
 * pairs, largest unit first by convention though any order is accepted.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <string.h>

#include "duration.h"
#include "xmalloc.h"

static const struct {
	char unit;
	int64_t secs;
} duration_units[] = {
	{ 'w', 7 * 86400 },
	{ 'd', 86400 },
	{ 'h', 3600 },
	{ 'm', 60 },
	{ 's', 1 },
};

#define DURATION_HINT                                                          \
	"expected a number and a unit (s, m, h, d, w), as in 90s or 1h30m"

static int64_t
duration_unit(char c)
{
	size_t i;

	for (i = 0; i < sizeof duration_units / sizeof duration_units[0]; i++) {
		if (duration_units[i].unit == c) {
			return duration_units[i].secs;
		}
	}
	return 0;
}

int
duration_parse(const char *s, int64_t *secs, char **cause)
{
	const char *p = s;
	int64_t total = 0, n, unit;

	while (isspace((unsigned char)*p)) {
		p++;
	}
	if (*p == '\0') {
		*cause = xasprintf("empty duration: " DURATION_HINT);
		return -1;
	}
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p)) {
			goto bad;
		}
		for (n = 0; isdigit((unsigned char)*p); p++) {
			if (n > (INT64_MAX - 9) / 10) {
				goto overflow;
			}
			n = n * 10 + (*p - '0');
		}
		if (*p == '\0') {
			*cause = xasprintf(
			    "duration '%s' has no unit: " DURATION_HINT, s);
			return -1;
		}
		if ((unit = duration_unit(*p)) == 0) {
			goto bad;
		}
		p++;
		if (n > (INT64_MAX - total) / unit) {
			goto overflow;
		}
		total += n * unit;
		while (isspace((unsigned char)*p)) {
			p++;
		}
	}
	*secs = total;
	return 0;

bad:
	*cause = xasprintf("bad duration '%s': " DURATION_HINT, s);
	return -1;
overflow:
	*cause = xasprintf("duration '%s' is too large", s);
	return -1;
}

char *
duration_format(int64_t secs, char *buf, size_t len)
{
	size_t i, off = 0;
	int64_t n;

	if (len == 0) {
		return buf;
	}
	buf[0] = '\0';
	if (secs <= 0) {
		snprintf(buf, len, "0s");
		return buf;
	}
	/* Weeks read worse than days in output, so stop at days. */
	for (i = 1; i < sizeof duration_units / sizeof duration_units[0]; i++) {
		n = secs / duration_units[i].secs;
		secs %= duration_units[i].secs;
		if (n == 0 || off >= len) {
			continue;
		}
		off += snprintf(buf + off, len - off, "%" PRId64 "%c", n,
		    duration_units[i].unit);
	}
	return buf;
}

char *
duration_format_ms(int64_t ms, char *buf, size_t len)
{
	if (ms < 0) {
		ms = 0;
	}
	if (ms < 1000) {
		snprintf(buf, len, "%" PRId64 "ms", ms);
	} else if (ms < 60 * 1000) {
		snprintf(buf, len, "%" PRId64 ".%02" PRId64 "s", ms / 1000,
		    (ms % 1000) / 10);
	} else if (ms < 3600 * 1000) {
		snprintf(buf, len, "%" PRId64 "m%02" PRId64 "s", ms / 60000,
		    (ms / 1000) % 60);
	} else {
		snprintf(buf, len, "%" PRId64 "h%02" PRId64 "m", ms / 3600000,
		    (ms / 60000) % 60);
	}
	return buf;
}

int
size_parse(const char *s, int64_t *bytes, char **cause)
{
	static const char units[] = "KMGT";
	const char *p = s, *u;
	int64_t n = 0, mult = 1;

	if (!isdigit((unsigned char)*p)) {
		goto bad;
	}
	for (; isdigit((unsigned char)*p); p++) {
		if (n > (INT64_MAX - 9) / 10) {
			goto overflow;
		}
		n = n * 10 + (*p - '0');
	}
	if (*p != '\0' &&
	    (u = strchr(units, toupper((unsigned char)*p))) != NULL) {
		for (mult = 1024; u > units; u--) {
			mult *= 1024;
		}
		p++;
		if (*p == 'i') {
			p++;
		}
	}
	if (*p == 'B' || *p == 'b') {
		p++;
	}
	if (*p != '\0') {
		goto bad;
	}
	if (n > INT64_MAX / mult) {
		goto overflow;
	}
	*bytes = n * mult;
	return 0;

bad:
	*cause = xasprintf("bad size '%s': expected a number of bytes with an "
	                   "optional K, M, G or T, as in 512M",
	    s);
	return -1;
overflow:
	*cause = xasprintf("size '%s' is too large", s);
	return -1;
}

char *
size_format(int64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	double v = (double)bytes;
	int i = -1;

	while (v >= 1024 && i < 3) {
		v /= 1024;
		i++;
	}
	if (i < 0) {
		snprintf(buf, len, "%lldB", (long long)bytes);
	} else if (v == (double)(int64_t)v) {
		snprintf(buf, len, "%lld%c", (long long)v, units[i]);
	} else {
		snprintf(buf, len, "%.1f%c", v, units[i]);
	}
	return buf;
}
