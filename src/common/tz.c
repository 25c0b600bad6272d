/*
 * Time zones. The C library knows every zone but only through the
 * process-wide TZ, which jobs inherit and logging uses; so a zone is read
 * once, with TZ switched for the occasion, into a table of the instants its
 * offset changes, and every later question is a binary search.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "tz.h"
#include "xmalloc.h"

/*
 * The span the table covers. Zones change their rules rarely and far
 * ahead; outside the span the nearest known offset holds.
 */
#define TZ_FIRST INT64_C(0)          /* 1970-01-01 */
#define TZ_LAST  INT64_C(7258118400) /* 2200-01-01 */
/*
 * Probe step: no real zone changes its offset twice within a week, so a
 * change between two probes is a single transition, then found exactly.
 */
#define TZ_STEP (7 * 86400)

struct tz_transition {
	int64_t at; /* first instant with the new offset */
	int offset;
};

struct tz {
	char *name;
	int offset0; /* before the first transition */
	struct tz_transition *v;
	size_t n;
};

static int
tz_probe(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	return (int)tm.tm_gmtoff;
}

/* Zone names are paths under the database; refuse ones that escape it. */
static int
tz_exists(const char *name)
{
	const char *dir = getenv("TZDIR");
	struct stat sb;
	char *path;
	int ok;

	if (*name == '/' || strstr(name, "..") != NULL) {
		return 0;
	}
	path =
	    xasprintf("%s/%s", dir != NULL ? dir : "/usr/share/zoneinfo", name);
	ok = stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
	free(path);
	return ok;
}

static void
tz_build(struct tz *z)
{
	int64_t t, lo, hi, mid;
	int prev, cur, cap = 0;

	z->offset0 = prev = tz_probe(TZ_FIRST);
	for (t = TZ_FIRST + TZ_STEP; t < TZ_LAST + TZ_STEP; t += TZ_STEP) {
		if ((cur = tz_probe(t)) == prev) {
			continue;
		}
		/* The change is in (t - step, t]: find its first second. */
		lo = t - TZ_STEP;
		hi = t;
		while (hi - lo > 1) {
			mid = lo + (hi - lo) / 2;
			if (tz_probe(mid) == prev) {
				lo = mid;
			} else {
				hi = mid;
			}
		}
		if ((int)z->n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			z->v = xreallocarray(z->v, (size_t)cap, sizeof *z->v);
		}
		z->v[z->n].at = hi;
		z->v[z->n].offset = cur;
		z->n++;
		prev = cur;
	}
}

struct tz *
tz_load(const char *name, char **cause)
{
	char *saved = NULL, *spec;
	const char *old = getenv("TZ");
	struct tz *z;

	if (name != NULL && strcmp(name, "local") != 0 &&
	    strcmp(name, "UTC") != 0 && !tz_exists(name)) {
		*cause = xasprintf("unknown time zone '%s' (not in the IANA "
		                   "database under /usr/share/zoneinfo)",
		    name);
		return NULL;
	}
	z = xcalloc(1, sizeof *z);
	z->name = xstrdup(name != NULL ? name : "local");
	if (strcmp(z->name, "UTC") == 0) {
		return z; /* no transitions, offset 0 */
	}
	if (strcmp(z->name, "local") != 0) {
		saved = old != NULL ? xstrdup(old) : NULL;
		spec = xasprintf(":%s", name);
		setenv("TZ", spec, 1);
		free(spec);
		tzset();
	}
	tz_build(z);
	if (strcmp(z->name, "local") != 0) {
		if (saved != NULL) {
			setenv("TZ", saved, 1);
		} else {
			unsetenv("TZ");
		}
		free(saved);
		tzset();
	}
	return z;
}

void
tz_free(struct tz *z)
{
	if (z == NULL) {
		return;
	}
	free(z->name);
	free(z->v);
	free(z);
}

const char *
tz_name(const struct tz *z)
{
	return z->name;
}

int
tz_offset(const struct tz *z, int64_t t)
{
	size_t lo = 0, hi = z->n, mid;

	/* The last transition at or before t. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (z->v[mid].at <= t) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo == 0 ? z->offset0 : z->v[lo - 1].offset;
}

int
tz_local_instants(
    const struct tz *z, int64_t local, int64_t out[2], int64_t *jump)
{
	/*
	 * Offsets a day either side: transitions are months apart, so these
	 * are the offsets before and after any change near local.
	 */
	int before = tz_offset(z, local - 86400 - 14 * 3600);
	int after = tz_offset(z, local + 86400 + 14 * 3600);
	int64_t a = local - before, b = local - after, lo, hi, mid;
	int n = 0;

	if (a + tz_offset(z, a) == local) {
		out[n++] = a;
	}
	if (b != a && b + tz_offset(z, b) == local) {
		out[n++] = b;
	}
	if (n == 2 && out[1] < out[0]) {
		a = out[0];
		out[0] = out[1];
		out[1] = a;
	}
	if (n == 0) {
		/* A skipped time: the clock jumped somewhere in (b, a]. */
		lo = b < a ? b : a;
		hi = b < a ? a : b;
		while (hi - lo > 1) {
			mid = lo + (hi - lo) / 2;
			if (tz_offset(z, mid) == before) {
				lo = mid;
			} else {
				hi = mid;
			}
		}
		*jump = hi;
	}
	return n;
}

char *
tz_format_iso(const struct tz *z, int64_t ms, char *buf, size_t len)
{
	int64_t t = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	int off = tz_offset(z, t);
	time_t local = (time_t)(t + off);
	struct tm tm;
	char date[24];

	gmtime_r(&local, &tm);
	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
	if (off == 0 && strcmp(z->name, "UTC") == 0) {
		snprintf(buf, len, "%sZ", date);
	} else {
		snprintf(buf, len, "%s%c%02d:%02d", date, off < 0 ? '-' : '+',
		    abs(off) / 3600, abs(off) / 60 % 60);
	}
	return buf;
}

int
tz_parse_iso(const struct tz *z, const char *s, int64_t *ms, char **cause)
{
	int y, mo, d, h, mi, sec = 0, n = 0, oh, om, count;
	int64_t inst[2], jump;
	struct tm tm;
	const char *p;
	int64_t local;

	if (sscanf(s, "%4d-%2d-%2d%*1[T ]%2d:%2d%n", &y, &mo, &d, &h, &mi,
	        &n) != 5 ||
	    n == 0) {
		goto bad;
	}
	p = s + n;
	if (*p == ':') {
		if (sscanf(p, ":%2d%n", &sec, &n) != 1) {
			goto bad;
		}
		p += n;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 59) {
		*cause = xasprintf("'%s' is not a valid date and time", s);
		return -1;
	}
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	local = (int64_t)timegm(&tm);
	if (tm.tm_mday != d) {
		*cause = xasprintf(
		    "'%s': day %d does not exist in that month", s, d);
		return -1;
	}
	if (*p == 'Z' || *p == 'z') {
		if (p[1] != '\0') {
			goto bad;
		}
		*ms = local * 1000;
		return 0;
	}
	if (*p == '+' || *p == '-') {
		if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) != 2 ||
		    p[1 + n] != '\0') {
			goto bad;
		}
		*ms = (local - (*p == '-' ? -1 : 1) * (oh * 3600 + om * 60)) *
		    1000;
		return 0;
	}
	if (*p != '\0') {
		goto bad;
	}
	count = tz_local_instants(z, local, inst, &jump);
	*ms = (count == 0 ? jump : inst[0]) * 1000;
	return 0;

bad:
	*cause = xasprintf("'%s' is not a date and time as in "
	                   "2026-03-08T09:30:00, optionally with Z or +01:00",
	    s);
	return -1;
}
