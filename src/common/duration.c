/*
 * Duration parsing and formatting. A duration is one or more number-unit
 * pairs, largest unit first by convention though any order is accepted.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
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
