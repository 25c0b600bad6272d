/*
 * Time zones. A zone is read from its file in the IANA database (TZif,
 * RFC 8536) into a table of the instants its UTC offset changes, the rule
 * at the file's end carried on to TZ_LAST; every later question is a
 * binary search. Nothing here reads or sets TZ but for the local zone, so
 * zones may be loaded on any thread while jobs start on another.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "suggest.h"
#include "tz.h"
#include "xmalloc.h"

/* Past this instant (2200-01-01) the last known offset holds. */
#define TZ_LAST INT64_C(7258118400)
/* A rule alone is followed from 1900-01-01. */
#define TZ_RULE_FROM INT64_C(-2208988800)
/* The biggest zone file is 3 kB; one of a megabyte is not one. */
#define TZ_FILE_MAX (1024 * 1024)

struct tz_transition {
	int64_t at; /* first instant with the new offset */
	int offset;
};

struct tz {
	char *name;
	int offset0; /* before the first transition */
	struct tz_transition *v;
	size_t n, cap;
};

/* A date of a POSIX TZ rule: Jn, n, or Mm.w.d, and the time of day. */
struct tz_date {
	char kind; /* 'J', 'N' or 'M' */
	int n, m, w, d;
	int secs; /* local time of day, -167h to 167h */
};

/* "CET-1CEST,M3.5.0,M10.5.0/3": offsets east of UTC, in seconds. */
struct tz_rule {
	int std, dst;
	int has_dst;
	struct tz_date start, end;
};

/*
 * The offset is offset from at on. A change at or before the last one
 * known replaces what it overlaps (a rule's transitions may coincide).
 */
static void
tz_add(struct tz *z, int64_t at, int offset)
{
	while (z->n > 0 && z->v[z->n - 1].at >= at) {
		z->n--;
	}
	if (offset == (z->n > 0 ? z->v[z->n - 1].offset : z->offset0)) {
		return;
	}
	if (z->n == z->cap) {
		z->cap = z->cap == 0 ? 64 : z->cap * 2;
		z->v = xreallocarray(z->v, z->cap, sizeof *z->v);
	}
	z->v[z->n].at = at;
	z->v[z->n].offset = offset;
	z->n++;
}

static int
tz_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t
tz_days(int64_t y, int m, int d)
{
	int64_t era, yoe, doy;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static int
tz_month_days(int64_t y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };

	return m == 2 && tz_leap(y) ? 29 : days[m - 1];
}

/* The day (days since the epoch) date falls on in year y. */
static int64_t
tz_date_day(const struct tz_date *date, int64_t y)
{
	int64_t first, day;
	int wd;

	switch (date->kind) {
	case 'J': /* 1 to 365, February 29 never counted */
		return tz_days(y, 1, 1) + date->n - 1 +
		    (tz_leap(y) && date->n >= 60);
	case 'N': /* 0 to 365, February 29 counted */
		return tz_days(y, 1, 1) + date->n;
	default: /* day d of week w (5: the last) of month m */
		first = tz_days(y, date->m, 1);
		wd = (int)(((first + 4) % 7 + 7) % 7); /* 1970-01-01: Thu */
		day = first + (date->d - wd + 7) % 7 + (date->w - 1) * 7;
		while (day - first >= tz_month_days(y, date->m)) {
			day -= 7;
		}
		return day;
	}
}

/* [+-]hh[:mm[:ss]] with hours up to max, as seconds; NULL if it is not. */
static const char *
tz_parse_hms(const char *s, int max, int *secs)
{
	int sign = 1, h = 0, m = 0, sec = 0, digits = 0;

	if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
	}
	while (isdigit((unsigned char)*s) && digits++ < 3) {
		h = h * 10 + (*s++ - '0');
	}
	if (digits == 0 || h > max) {
		return NULL;
	}
	if (*s == ':') {
		if (!isdigit((unsigned char)s[1]) ||
		    !isdigit((unsigned char)s[2])) {
			return NULL;
		}
		m = (s[1] - '0') * 10 + (s[2] - '0');
		s += 3;
		if (*s == ':') {
			if (!isdigit((unsigned char)s[1]) ||
			    !isdigit((unsigned char)s[2])) {
				return NULL;
			}
			sec = (s[1] - '0') * 10 + (s[2] - '0');
			s += 3;
		}
	}
	if (m > 59 || sec > 59) {
		return NULL;
	}
	*secs = sign * (h * 3600 + m * 60 + sec);
	return s;
}

/* A zone abbreviation: three letters or more, or <...>. */
static const char *
tz_parse_abbr(const char *s)
{
	const char *p = s;

	if (*p == '<') {
		while (*++p != '\0' && *p != '>') {
			if (!isalnum((unsigned char)*p) && *p != '+' &&
			    *p != '-') {
				return NULL;
			}
		}
		return *p == '>' && p - s >= 4 ? p + 1 : NULL;
	}
	while (isalpha((unsigned char)*p)) {
		p++;
	}
	return p - s >= 3 ? p : NULL;
}

static const char *
tz_parse_int(const char *s, int lo, int hi, int *v)
{
	int n = 0, digits = 0;

	while (isdigit((unsigned char)*s) && digits++ < 3) {
		n = n * 10 + (*s++ - '0');
	}
	if (digits == 0 || n < lo || n > hi) {
		return NULL;
	}
	*v = n;
	return s;
}

/* ",date[/time]" */
static const char *
tz_parse_date(const char *s, struct tz_date *date)
{
	if (s == NULL || *s++ != ',') {
		return NULL;
	}
	date->secs = 2 * 3600;
	if (*s == 'J') {
		date->kind = 'J';
		s = tz_parse_int(s + 1, 1, 365, &date->n);
	} else if (*s == 'M') {
		date->kind = 'M';
		if ((s = tz_parse_int(s + 1, 1, 12, &date->m)) == NULL ||
		    *s != '.' ||
		    (s = tz_parse_int(s + 1, 1, 5, &date->w)) == NULL ||
		    *s != '.' ||
		    (s = tz_parse_int(s + 1, 0, 6, &date->d)) == NULL) {
			return NULL;
		}
	} else {
		date->kind = 'N';
		s = tz_parse_int(s, 0, 365, &date->n);
	}
	if (s != NULL && *s == '/') {
		s = tz_parse_hms(s + 1, 167, &date->secs);
	}
	return s;
}

/*
 * A POSIX TZ string, as at the end of a zone file or in TZ. Without a
 * rule, a zone with summer time follows the US rule, as glibc does.
 */
static int
tz_parse_rule(const char *s, struct tz_rule *r)
{
	int secs;

	memset(r, 0, sizeof *r);
	if ((s = tz_parse_abbr(s)) == NULL ||
	    (s = tz_parse_hms(s, 24, &secs)) == NULL) {
		return -1;
	}
	r->std = -secs;
	if (*s == '\0') {
		return 0;
	}
	if ((s = tz_parse_abbr(s)) == NULL) {
		return -1;
	}
	r->has_dst = 1;
	r->dst = r->std + 3600;
	if (*s != ',' && *s != '\0') {
		if ((s = tz_parse_hms(s, 24, &secs)) == NULL) {
			return -1;
		}
		r->dst = -secs;
	}
	if (*s == '\0') {
		s = ",M3.2.0,M11.1.0";
	}
	s = tz_parse_date(tz_parse_date(s, &r->start), &r->end);
	return s != NULL && *s == '\0' ? 0 : -1;
}

/* The rule's changes after the instant from, up to TZ_LAST. */
static void
tz_follow_rule(struct tz *z, const struct tz_rule *r, int64_t from)
{
	int64_t y, start, end;
	time_t t;
	struct tm tm;

	/* A "big bang" transition (-2^59) is long before any rule. */
	if (from < TZ_RULE_FROM) {
		from = TZ_RULE_FROM;
	}
	if (!r->has_dst) {
		tz_add(z, from + 1, r->std);
		return;
	}
	t = (time_t)from;
	if (gmtime_r(&t, &tm) == NULL) {
		return;
	}
	for (y = tm.tm_year + 1900; y <= 2200; y++) {
		/* Each date's time is in the offset in force until then. */
		start =
		    tz_date_day(&r->start, y) * 86400 + r->start.secs - r->std;
		end = tz_date_day(&r->end, y) * 86400 + r->end.secs - r->dst;
		if (start < end) {
			if (start > from) {
				tz_add(z, start, r->dst);
			}
			if (end > from) {
				tz_add(z, end, r->std);
			}
		} else {
			if (end > from) {
				tz_add(z, end, r->std);
			}
			if (start > from) {
				tz_add(z, start, r->dst);
			}
		}
	}
	while (z->n > 0 && z->v[z->n - 1].at > TZ_LAST) {
		z->n--;
	}
}

static int64_t
tz_be(const unsigned char *p, int size)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < size; i++) {
		v = v << 8 | p[i];
	}
	return size == 4 ? (int64_t)(int32_t)(uint32_t)v : (int64_t)v;
}

/*
 * A TZif file's contents into z: the 64-bit data of version 2 and later
 * (the 32-bit data of version 1), then its footer's rule. -1 if it is not
 * one.
 */
static int
tz_read_tzif(struct tz *z, const unsigned char *p, size_t len)
{
	const unsigned char *end = p + len, *times, *idx, *types, *footer;
	int64_t cnt[6], block, at = INT64_MIN;
	int size = 4, i, version;
	struct tz_rule rule;
	char text[128];
	size_t flen;

	if (len < 44 || memcmp(p, "TZif", 4) != 0) {
		return -1;
	}
	version = p[4];
	for (;;) {
		for (i = 0; i < 6; i++) {
			cnt[i] = tz_be(p + 20 + 4 * i, 4);
			if (cnt[i] < 0) {
				return -1;
			}
		}
		/* isutcnt isstdcnt leapcnt timecnt typecnt charcnt */
		block = cnt[3] * size + cnt[3] + cnt[4] * 6 + cnt[5] +
		    cnt[2] * (size + 4) + cnt[1] + cnt[0];
		if (cnt[4] < 1 || block > end - (p + 44)) {
			return -1;
		}
		if (size == 8 || version < '2') {
			break;
		}
		p += 44 + block; /* to the 64-bit header */
		if (end - p < 44 || memcmp(p, "TZif", 4) != 0) {
			return -1;
		}
		size = 8;
	}
	times = p + 44;
	idx = times + cnt[3] * size;
	types = idx + cnt[3];
	footer = times + block;
	z->offset0 = (int)tz_be(types, 4);
	for (i = 0; i < cnt[3]; i++) {
		if (idx[i] >= cnt[4]) {
			return -1;
		}
		at = tz_be(times + (size_t)i * (size_t)size, size);
		if (at <= TZ_LAST) {
			tz_add(z, at, (int)tz_be(types + idx[i] * 6, 4));
		}
	}
	if (size == 8 && footer < end && *footer == '\n') {
		flen = (size_t)(end - footer) - 1;
		if (flen > 0 && footer[flen] == '\n' &&
		    flen - 1 < sizeof text) {
			memcpy(text, footer + 1, flen - 1);
			text[flen - 1] = '\0';
			if (text[0] != '\0' &&
			    tz_parse_rule(text, &rule) == 0) {
				tz_follow_rule(z, &rule,
				    at != INT64_MIN ? at : TZ_RULE_FROM);
			}
		}
	}
	return 0;
}

/* Read the zone file at path into z: 0, or -1 with errno (EINVAL: not). */
static int
tz_read_file(struct tz *z, const char *path)
{
	unsigned char *buf;
	struct stat sb;
	ssize_t n;
	size_t len = 0;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		rc = errno;
	} else if (!S_ISREG(sb.st_mode)) {
		rc = ENOENT; /* a directory ("America") names no zone */
	} else {
		rc = sb.st_size > TZ_FILE_MAX ? EINVAL : 0;
	}
	if (rc != 0) {
		close(fd);
		errno = rc;
		return -1;
	}
	buf = xmalloc((size_t)sb.st_size + 1);
	while (len < (size_t)sb.st_size &&
	    (n = read(fd, buf + len, (size_t)sb.st_size - len)) != 0) {
		if (n == -1 && errno != EINTR) {
			free(buf);
			close(fd);
			return -1;
		}
		len += n > 0 ? (size_t)n : 0;
	}
	close(fd);
	if ((rc = tz_read_tzif(z, buf, len)) == -1) {
		errno = EINVAL;
	}
	free(buf);
	return rc;
}

static char *
tz_path(const char *name)
{
	const char *dir = getenv("TZDIR");

	if (*name == '/') {
		return xstrdup(name);
	}
	return xasprintf("%s/%s",
	    dir != NULL && *dir != '\0' ? dir : "/usr/share/zoneinfo", name);
}

/* The zone names under dir (prefix: the path so far), into *v. */
static void
tz_collect(const char *dir, const char *prefix, char ***v, size_t *n)
{
	struct dirent *de;
	char *path, *name;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		return;
	}
	while ((de = readdir(d)) != NULL && *n < 4096) {
		/* posix/ and right/ repeat the zones; files with a dot are not. */
		if (de->d_name[0] == '.' || strchr(de->d_name, '.') != NULL ||
		    (*prefix == '\0' &&
		        (strcmp(de->d_name, "posix") == 0 ||
		            strcmp(de->d_name, "right") == 0))) {
			continue;
		}
		path = xasprintf("%s/%s", dir, de->d_name);
		name = *prefix != '\0' ? xasprintf("%s/%s", prefix, de->d_name)
		                       : xstrdup(de->d_name);
		if (de->d_type == DT_DIR) {
			tz_collect(path, name, v, n);
			free(name);
		} else {
			*v = xreallocarray(*v, *n + 1, sizeof **v);
			(*v)[(*n)++] = name;
		}
		free(path);
	}
	closedir(d);
}

size_t
tz_names(char ***v)
{
	char *dir = tz_path("");
	size_t n = 0;

	*v = NULL;
	dir[strlen(dir) - 1] = '\0'; /* the slash tz_path put after it */
	tz_collect(dir, "", v, &n);
	free(dir);
	return n;
}

/* "Europe/Berlin" for "Europe/Berln": a zone name near name; caller frees. */
static char *
tz_suggest(const char *name)
{
	char **v, *hint;
	const char *best;
	size_t n = tz_names(&v), i;

	best = suggest(name, (const char *const *)v, n);
	hint = best != NULL ? xstrdup(best) : NULL;
	for (i = 0; i < n; i++) {
		free(v[i]);
	}
	free(v);
	return hint;
}

/*
 * The local zone as the C library finds it: TZ names a zone file (after
 * an optional ':'), or else is a POSIX TZ string; without TZ,
 * /etc/localtime. What cannot be read is UTC.
 */
static void
tz_read_local(struct tz *z)
{
	const char *tz = getenv("TZ");
	struct tz_rule rule;
	char *path;
	int rc;

	if (tz == NULL) {
		if (tz_read_file(z, "/etc/localtime") == -1) {
			z->n = 0;
			z->offset0 = 0;
		}
		return;
	}
	if (*tz == ':') {
		tz++;
	}
	if (*tz == '\0') {
		return; /* UTC */
	}
	path = tz_path(tz);
	rc = strstr(tz, "..") == NULL ? tz_read_file(z, path) : -1;
	free(path);
	if (rc == 0) {
		return;
	}
	z->n = 0;
	z->offset0 = 0;
	if (tz_parse_rule(tz, &rule) == 0) {
		z->offset0 = rule.std;
		tz_follow_rule(z, &rule, TZ_RULE_FROM);
	}
}

struct tz *
tz_load(const char *name, char **cause)
{
	struct tz *z;
	char *path, *hint;
	int rc;

	z = xcalloc(1, sizeof *z);
	z->name = xstrdup(name != NULL ? name : "local");
	if (strcmp(z->name, "UTC") == 0) {
		return z; /* no transitions, offset 0 */
	}
	if (strcmp(z->name, "local") == 0) {
		tz_read_local(z);
		return z;
	}
	/* Zone names are paths under the database; none may escape it. */
	if (*name == '/' || strstr(name, "..") != NULL) {
		errno = ENOENT;
		rc = -1;
	} else {
		path = tz_path(name);
		rc = tz_read_file(z, path);
		free(path);
	}
	if (rc == -1 && errno == EINVAL) {
		*cause = xasprintf("time zone '%s': its file in the IANA "
		                   "database is not a zone file",
		    name);
	} else if (rc == -1) {
		hint = tz_suggest(name);
		*cause = hint != NULL
		    ? xasprintf("unknown time zone '%s' (did you mean '%s'?)",
		          name, hint)
		    : xasprintf("unknown time zone '%s' (not in the IANA "
		                "database under /usr/share/zoneinfo)",
		          name);
		free(hint);
	}
	if (rc == -1) {
		tz_free(z);
		return NULL;
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
