/*
 * Instant formatting and parsing. The protocol carries UTC strings so that
 * clients in any zone agree; only what is shown to people is local.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "duration.h"
#include "timefmt.h"

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int64_t
timefmt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
timefmt_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *
timefmt_iso(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)floor_div(ms, 1000);
	struct tm tm;
	char date[24];

	gmtime_r(&t, &tm);
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", date, (int)(ms - (int64_t)t * 1000));
	return buf;
}

int
timefmt_parse_iso(const char *s, int64_t *ms)
{
	struct tm tm;
	const char *p;
	int64_t frac = 0, scale = 1000, offset = 0;
	int hh, mm;
	time_t t;

	memset(&tm, 0, sizeof tm);
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL) {
		return -1;
	}
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++) {
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') &&
	    sscanf(p + 1, "%2d:%2d", &hh, &mm) == 2) {
		offset = (int64_t)(hh * 3600 + mm * 60) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -1;
	}
	if (*p != '\0') {
		return -1;
	}
	t = timegm(&tm);
	*ms = ((int64_t)t - offset) * 1000 + frac;
	return 0;
}

char *
timefmt_local(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)floor_div(ms, 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

char *
timefmt_relative(int64_t ms, int64_t now_ms, char *buf, size_t len)
{
	int64_t delta = ms - now_ms;
	char d[32];

	/* Round towards the nearer second so "in 5m" does not show as 4m59s. */
	if (delta >= 0) {
		delta = (delta + 500) / 1000;
	} else {
		delta = -((-delta + 500) / 1000);
	}
	/* Two units are enough for a glance: "3h12m", not "3h12m7s". */
	if (llabs(delta) >= 86400) {
		delta -= delta % 3600;
	} else if (llabs(delta) >= 3600) {
		delta -= delta % 60;
	}
	if (delta == 0) {
		snprintf(buf, len, "now");
	} else if (delta > 0) {
		snprintf(
		    buf, len, "in %s", duration_format(delta, d, sizeof d));
	} else {
		snprintf(
		    buf, len, "%s ago", duration_format(-delta, d, sizeof d));
	}
	return buf;
}
