/*
 * Schedule rules and their next fire. Cron rules are matched against
 * wall-clock time, found by walking the calendar field by field, and then
 * turned into instants with the time zone, which is where DST comes in.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "hash.h"
#include "log.h"
#include "schedule.h"
#include "tz.h"
#include "xmalloc.h"

/*
 * How far ahead a cron rule is searched. The Gregorian calendar repeats
 * its weekdays every 400 years but every date-weekday pairing a rule can
 * ask for (Feb 29 on a Monday, the fifth Friday of February) comes within
 * 28 years, so a rule that has not fired by then never will.
 */
#define CRON_HORIZON_DAYS (366 * 29)
/* The largest change of UTC offset at a DST transition, with room. */
#define DST_MARGIN (6 * 3600)

enum schedule_kind {
	SCHEDULE_CRON,
	SCHEDULE_EVERY,
	SCHEDULE_AT,
	SCHEDULE_REBOOT,
};

struct cron {
	uint64_t sec;       /* bits 0-59 */
	uint64_t min;       /* bits 0-59 */
	uint32_t hour;      /* bits 0-23 */
	uint32_t dom;       /* bits 1-31 */
	uint16_t month;     /* bits 1-12 */
	uint8_t dow;        /* bits 0-6, Sunday 0 */
	uint8_t dow_last;   /* bits 0-6: the month's last such weekday */
	uint8_t dow_nth[7]; /* per weekday, bits 1-5: the N-th of the month */
	uint8_t dom_last;   /* "L": the month's last day */
	uint8_t dom_star;   /* the field began with '*' (cron's DOM_STAR) */
	uint8_t dow_star;
	/*
	 * The minute or hour field began with '*'. Such a rule follows elapsed
	 * time across DST; one with both fixed follows the wall clock, once.
	 */
	uint8_t wild;
};

struct schedule {
	enum schedule_kind kind;
	unsigned refs;    /* its holders: schedule_ref, schedule_free */
	const char *text; /* as written, for display: in own, or static */
	const struct tz *tz;
	/*
	 * The last cron fire found, and the second it was found after. Tasks
	 * that share a rule ask for the same second as they are set up, so
	 * one search serves them all. A cache, not the rule: it changes
	 * behind a const pointer.
	 */
	int64_t memo_from; /* INT64_MIN: none */
	struct schedule_fire memo;
	int memo_found;
	union { /* by kind; tasks alike share one, yet keep it small */
		struct cron cron;
		struct {
			int64_t every_ms;
			int64_t start_ms;
		};
		int64_t at_ms;
	};
	char own[]; /* one allocation with the rule */
};

static struct schedule *
schedule_new(enum schedule_kind kind, const char *text)
{
	size_t len = strlen(text) + 1;
	struct schedule *s = xcalloc(1, sizeof *s + len);

	s->kind = kind;
	s->refs = 1;
	s->memo_from = INT64_MIN;
	memcpy(s->own, text, len);
	s->text = s->own;
	return s;
}

struct schedule *
schedule_ref(struct schedule *s)
{
	s->refs++;
	return s;
}

void
schedule_free(struct schedule *s)
{
	if (s != NULL && --s->refs == 0) {
		free(s);
	}
}

void
schedule_set_tz(struct schedule *s, const struct tz *tz)
{
	s->tz = tz;
	s->memo_from = INT64_MIN;
}

void
schedule_set_start(struct schedule *s, int64_t start_ms)
{
	if (s->kind != SCHEDULE_EVERY) {
		fatalx("bug: schedule_set_start on a rule of kind %d", s->kind);
	}
	s->start_ms = start_ms;
}

int64_t
schedule_once_at(const struct schedule *s)
{
	return s->kind == SCHEDULE_AT ? s->at_ms : 0;
}

int
schedule_is_reboot(const struct schedule *s)
{
	return s->kind == SCHEDULE_REBOOT;
}

struct schedule *
schedule_every(int64_t secs)
{
	struct schedule *s;
	char d[32], *text;

	if (secs <= 0) {
		fatalx("bug: schedule_every(%lld)", (long long)secs);
	}
	text = xasprintf("every %s", duration_format(secs, d, sizeof d));
	s = schedule_new(SCHEDULE_EVERY, text);
	free(text);
	s->every_ms = secs * 1000;
	return s;
}

struct schedule *
schedule_at(int64_t ms)
{
	struct schedule *s = schedule_new(SCHEDULE_AT, "once");

	s->at_ms = ms;
	return s;
}

/* Civil dates, after Howard Hinnant's public-domain algorithms. */

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
days_in_month(int64_t y, int m)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
		return 29;
	}
	return dim[m - 1];
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Cron parsing. */

static const char *const month_names[] = { "jan", "feb", "mar", "apr", "may",
	"jun", "jul", "aug", "sep", "oct", "nov", "dec" };
static const char *const dow_names[] = { "sun", "mon", "tue", "wed", "thu",
	"fri", "sat" };

enum cron_field_id {
	F_SEC,
	F_MIN,
	F_HOUR,
	F_DOM,
	F_MONTH,
	F_DOW,
};

static const struct cron_field {
	const char *name;
	int min, max;
	const char *const *names; /* for min.. onwards, or NULL */
} cron_fields[] = {
	[F_SEC] = { "second", 0, 59, NULL },
	[F_MIN] = { "minute", 0, 59, NULL },
	[F_HOUR] = { "hour", 0, 23, NULL },
	[F_DOM] = { "day-of-month", 1, 31, NULL },
	[F_MONTH] = { "month", 1, 12, month_names },
	[F_DOW] = { "day-of-week", 0, 7, dow_names },
};

static const struct {
	const char *name;
	const char *expr;
} cron_macros[] = {
	{ "@yearly", "0 0 0 1 1 *" },
	{ "@annually", "0 0 0 1 1 *" },
	{ "@monthly", "0 0 0 1 * *" },
	{ "@weekly", "0 0 0 * * 0" },
	{ "@daily", "0 0 0 * * *" },
	{ "@midnight", "0 0 0 * * *" },
	{ "@hourly", "0 0 * * * *" },
};

/*
 * A number or a name at *pp; advances *pp. Returns 0, or -1 with *cause.
 */
static int
cron_value(const struct cron_field *f, const char **pp, int *v, char **cause)
{
	const char *p = *pp;
	long n;
	int i;

	if (isdigit((unsigned char)*p)) {
		for (n = 0; isdigit((unsigned char)*p); p++) {
			n = n * 10 + (*p - '0');
			if (n > 1000) {
				break;
			}
		}
		while (isdigit((unsigned char)*p)) {
			p++;
		}
		if (n < f->min || n > f->max) {
			*cause = xasprintf("%s: %.*s is out of range %d-%d",
			    f->name, (int)(p - *pp), *pp, f->min, f->max);
			return -1;
		}
		*v = (int)n;
		*pp = p;
		return 0;
	}
	if (f->names != NULL && isalpha((unsigned char)p[0]) &&
	    isalpha((unsigned char)p[1]) && isalpha((unsigned char)p[2])) {
		for (i = 0; i <= f->max - f->min && i < 12; i++) {
			if (f->names == dow_names && i > 6) {
				break;
			}
			if (strncasecmp(p, f->names[i], 3) == 0) {
				*v = f->min + i;
				*pp = p + 3;
				return 0;
			}
		}
	}
	*cause = xasprintf("%s: '%.*s' is not a %s", f->name,
	    (int)strcspn(p, ",-/#"), p,
	    f->names == month_names     ? "number or month name"
	        : f->names == dow_names ? "number or day name"
	                                : "number");
	return -1;
}

static void
cron_set(struct cron *c, enum cron_field_id id, int v)
{
	switch (id) {
	case F_SEC:
		c->sec |= UINT64_C(1) << v;
		break;
	case F_MIN:
		c->min |= UINT64_C(1) << v;
		break;
	case F_HOUR:
		c->hour |= UINT32_C(1) << v;
		break;
	case F_DOM:
		c->dom |= UINT32_C(1) << v;
		break;
	case F_MONTH:
		c->month |= (uint16_t)(1u << v);
		break;
	case F_DOW:
		c->dow |= (uint8_t)(1u << (v % 7)); /* 7 is Sunday too */
		break;
	}
}

/* The day-of-week extensions: DOW#N and DOWL. Returns 1 if it was one. */
static int
cron_dow_special(struct cron *c, const char *elem, char **cause)
{
	const struct cron_field *f = &cron_fields[F_DOW];
	const char *p = elem;
	int v;

	if (strpbrk(elem, "#Ll") == NULL || strchr(elem, '-') != NULL ||
	    strchr(elem, '/') != NULL || *elem == '*') {
		return 0;
	}
	if (cron_value(f, &p, &v, cause) == -1) {
		return -1;
	}
	v %= 7;
	if ((*p == 'L' || *p == 'l') && p[1] == '\0') {
		c->dow_last |= (uint8_t)(1u << v);
		return 1;
	}
	if (*p == '#' && p[1] >= '1' && p[1] <= '5' && p[2] == '\0') {
		c->dow_nth[v] |= (uint8_t)(1u << (p[1] - '0'));
		return 1;
	}
	if (*p == '#') {
		*cause = xasprintf(
		    "%s: '%s': the week after # must be 1 to 5", f->name, elem);
	} else {
		*cause =
		    xasprintf("%s: '%s' is not DAY#N or DAYL", f->name, elem);
	}
	return -1;
}

/* What the parse of one expression carries from element to element. */
struct cron_parse {
	uint64_t seed;  /* for the values of ~ ranges */
	int nrandom;    /* ~ ranges so far */
	int chosen[32]; /* their values, in order */
	char *warning;  /* the first thing it means that one may not expect */
};

/* One value of lo to hi for the nth ~ range, from the seed alone. */
static int
cron_random(uint64_t seed, int nth, int lo, int hi)
{
	uint64_t x = seed + (uint64_t)nth * UINT64_C(0x9e3779b97f4a7c15);

	/* splitmix64: the same seed gives the same values, everywhere. */
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	x ^= x >> 31;
	return lo + (int)(x % (uint64_t)(hi - lo + 1));
}

/* cronie's random range: [LO]~[HI], one value in it; 1 if it was one. */
static int
cron_tilde(struct cron *c, enum cron_field_id id, const char *elem,
    struct cron_parse *cp, char **cause)
{
	const struct cron_field *f = &cron_fields[id];
	const char *p = elem;
	int lo = f->min, hi = id == F_DOW ? 6 : f->max, v;

	if (strchr(elem, '~') == NULL) {
		return 0;
	}
	if (*p != '~' && cron_value(f, &p, &lo, cause) == -1) {
		return -1;
	}
	if (*p++ != '~') {
		*cause = xasprintf(
		    "%s: '%s' is not a random range LO~HI", f->name, elem);
		return -1;
	}
	if (*p != '\0' && cron_value(f, &p, &hi, cause) == -1) {
		return -1;
	}
	if (*p != '\0') {
		*cause =
		    xasprintf("%s: unexpected '%s' in '%s' (a random range "
		              "takes no step)",
		        f->name, p, elem);
		return -1;
	}
	if (id == F_DOW && hi == 0 && lo > 0) {
		hi = 7; /* ~SUN: Sunday at the end, as cronie reads it */
	}
	if (hi < lo) {
		*cause = xasprintf(
		    "%s: random range '%s' goes backwards", f->name, elem);
		return -1;
	}
	if (cp->nrandom == (int)(sizeof cp->chosen / sizeof cp->chosen[0])) {
		*cause = xasprintf("%s: too many random ranges", f->name);
		return -1;
	}
	v = cron_random(cp->seed, cp->nrandom, lo, hi);
	cp->chosen[cp->nrandom++] = v;
	cron_set(c, id, v);
	return 1;
}

/* One comma-separated element: *, N, N-M, with /STEP; L; DOW#N; DOWL. */
static int
cron_element(struct cron *c, enum cron_field_id id, const char *elem,
    struct cron_parse *cp, char **cause)
{
	const struct cron_field *f = &cron_fields[id];
	const char *p = elem;
	int lo, hi, step = 1, v, rc;
	long n;

	if (*elem == '\0') {
		*cause = xasprintf("%s: empty list element", f->name);
		return -1;
	}
	if (id == F_DOM && (strcmp(elem, "L") == 0 || strcmp(elem, "l") == 0)) {
		c->dom_last = 1;
		return 0;
	}
	if (id == F_DOW && (rc = cron_dow_special(c, elem, cause)) != 0) {
		return rc == 1 ? 0 : -1;
	}
	if ((rc = cron_tilde(c, id, elem, cp, cause)) != 0) {
		return rc == 1 ? 0 : -1;
	}
	if (*p == '*') {
		lo = f->min;
		hi = id == F_DOW ? 6 : f->max;
		p++;
	} else {
		if (cron_value(f, &p, &lo, cause) == -1) {
			return -1;
		}
		hi = lo;
		if (*p == '-') {
			p++;
			if (cron_value(f, &p, &hi, cause) == -1) {
				return -1;
			}
			/*
			 * FRI-SUN, 5-0: Sunday is the week's end too, as
			 * current cronie reads it; FRI-MON still goes back.
			 */
			if (id == F_DOW && hi == 0 && lo > 0) {
				hi = 7;
			}
			if (hi < lo) {
				*cause = xasprintf("%s: range '%s' goes "
				                   "backwards",
				    f->name, elem);
				return -1;
			}
		} else if (*p == '/') {
			/* "10/5": from 10 to the end, every 5. */
			hi = id == F_DOW ? 6 : f->max;
		}
	}
	if (*p == '/') {
		p++;
		if (!isdigit((unsigned char)*p)) {
			*cause = xasprintf(
			    "%s: '%s' needs a number after '/'", f->name, elem);
			return -1;
		}
		for (n = 0; isdigit((unsigned char)*p) && n <= 1000; p++) {
			n = n * 10 + (*p - '0');
		}
		if (n < 1 || n > 1000) {
			*cause = xasprintf("%s: step in '%s' must be from 1 to "
			                   "1000",
			    f->name, elem);
			return -1;
		}
		step = (int)n;
		/* As cronie: accepted, the first value only; said. */
		if (lo + step > hi && hi > lo && cp->warning == NULL) {
			cp->warning = xasprintf("%s: the step of '%s' is past "
			                        "the range %d-%d, so it means "
			                        "%d only",
			    f->name, elem, lo, hi, lo);
		}
	}
	if (*p != '\0') {
		*cause =
		    xasprintf("%s: unexpected '%s' in '%s'", f->name, p, elem);
		return -1;
	}
	for (v = lo; v <= hi; v += step) {
		cron_set(c, id, v);
	}
	return 0;
}

static int
cron_field_parse(struct cron *c, enum cron_field_id id, char *text,
    struct cron_parse *cp, char **cause)
{
	char *elem, *rest = text;

	/* strsep keeps empty elements, so "1,,2" is an error, not "1,2". */
	while ((elem = strsep(&rest, ",")) != NULL) {
		if (cron_element(c, id, elem, cp, cause) == -1) {
			return -1;
		}
	}
	return 0;
}

/*
 * The expression as written with each ~ range's value after it:
 * "0~30 * * * *" chosen as 17 reads "0~30 * * * * (as 17 * * * *)".
 */
static char *
cron_chosen_text(const char *expr, const struct cron_parse *cp)
{
	size_t len = strlen(expr), i = 0, j, k = 0, n = 0;
	char *as = xmalloc(len + (size_t)cp->nrandom * 4 + 1), *out;

	while (i < len) {
		if (isalnum((unsigned char)expr[i]) || expr[i] == '~') {
			for (j = i; j < len &&
			     (isalnum((unsigned char)expr[j]) ||
			         expr[j] == '~');
			     j++) {
				;
			}
			if (memchr(expr + i, '~', j - i) != NULL &&
			    (int)k < cp->nrandom) {
				n += (size_t)sprintf(
				    as + n, "%d", cp->chosen[k++]);
			} else {
				memcpy(as + n, expr + i, j - i);
				n += j - i;
			}
			i = j;
		} else {
			as[n++] = expr[i++];
		}
	}
	as[n] = '\0';
	out = xasprintf("%s (as %s)", expr, as);
	free(as);
	return out;
}

static int cron_check_fires(const struct schedule *, char **);

struct schedule *
schedule_cron(const char *expr, char **cause)
{
	return schedule_cron_seeded(expr, 0, NULL, cause);
}

uint64_t
schedule_seed(const char *name)
{
	/* Fixed, so a task's random ranges outlive a new twd too. */
	return hash_str(HASH_START, name);
}

const char *
schedule_text(const struct schedule *s)
{
	return s->text;
}

struct schedule *
schedule_cron_seeded(
    const char *expr, uint64_t seed, char **warning, char **cause)
{
	struct cron_parse cp = { .seed = seed };
	const char *text = expr;
	char *copy, *p, *tok, *msg, *save = NULL, *fields[7];
	int star[7];
	struct schedule *s;
	size_t i, n = 0;
	int first;

	while (isspace((unsigned char)*text)) {
		text++;
	}
	if (strcasecmp(text, "@reboot") == 0) {
		return schedule_new(SCHEDULE_REBOOT, "@reboot");
	}
	if (*text == '@') {
		for (i = 0; i < sizeof cron_macros / sizeof cron_macros[0];
		     i++) {
			if (strcasecmp(text, cron_macros[i].name) == 0) {
				break;
			}
		}
		if (i == sizeof cron_macros / sizeof cron_macros[0]) {
			*cause =
			    xasprintf("unknown macro '%s' (expected "
			              "@yearly, @annually, @monthly, "
			              "@weekly, @daily, @midnight, @hourly "
			              "or @reboot)",
			        text);
			return NULL;
		}
		s = schedule_cron(cron_macros[i].expr, cause);
		s->text = cron_macros[i].name;
		return s;
	}

	copy = xstrdup(text);
	for (p = copy; (tok = strtok_r(p, " \t", &save)) != NULL; p = NULL) {
		if (n < 7) {
			fields[n] = tok;
		}
		n++;
	}
	if (n != 5 && n != 6) {
		*cause =
		    xasprintf("expected 5 fields (minute hour day-of-month "
		              "month day-of-week) or 6 (with seconds "
		              "first), not %zu",
		        n);
		free(copy);
		return NULL;
	}
	s = schedule_new(SCHEDULE_CRON, text);
	first = n == 5 ? F_MIN : F_SEC;
	if (n == 5) {
		s->cron.sec = 1; /* second 0 */
	}
	for (i = 0; i < n; i++) {
		star[i] = fields[i][0] == '*';
		/* Parsed in place: the copy is cut at its commas. */
		if (cron_field_parse(&s->cron, (enum cron_field_id)(first + i),
		        fields[i], &cp, cause) == -1) {
			goto fail;
		}
	}
	s->cron.dom_star = star[n - 3];
	s->cron.dow_star = star[n - 1];
	s->cron.wild = star[n - 5] || star[n - 4];
	free(copy);
	copy = NULL;
	if (cron_check_fires(s, &msg) == -1) {
		*cause = msg;
		goto fail;
	}
	if (cp.nrandom > 0) {
		/* Shown with what it was chosen as: one allocation again. */
		msg = cron_chosen_text(text, &cp);
		s = xreallocarray(s, 1, sizeof *s + strlen(msg) + 1);
		strcpy(s->own, msg);
		s->text = s->own;
		free(msg);
	}
	if (warning != NULL) {
		*warning = cp.warning;
	} else {
		free(cp.warning);
	}
	return s;

fail:
	free(cp.warning);
	free(copy);
	schedule_free(s);
	return NULL;
}

/* Cron matching. */

static int
cron_day_matches(const struct cron *c, int64_t y, int m, int d, int wday)
{
	int dim = days_in_month(y, m), dom_ok, dow_ok;

	dom_ok = ((c->dom >> d) & 1) || (c->dom_last && d == dim);
	dow_ok = ((c->dow >> wday) & 1) ||
	    ((c->dow_nth[wday] >> ((d - 1) / 7 + 1)) & 1) ||
	    (((c->dow_last >> wday) & 1) && d + 7 > dim);
	/* cron's rule: with either field a '*', both must match, else either. */
	if (c->dom_star || c->dow_star) {
		return dom_ok && dow_ok;
	}
	return dom_ok || dow_ok;
}

/* The lowest set bit at or above from, or -1. */
static int
next_bit(uint64_t bits, int from, int max)
{
	if (from > max) {
		return -1;
	}
	bits &= ~UINT64_C(0) << from;
	if (bits == 0) {
		return -1;
	}
	return __builtin_ctzll(bits);
}

/* The first second of the day at or after secs that matches; -1 if none. */
static int
cron_time_of_day(const struct cron *c, int secs)
{
	int h0 = secs / 3600, m0 = secs / 60 % 60, s0 = secs % 60, h, m, s;

	for (h = next_bit(c->hour, h0, 23); h != -1;
	     h = next_bit(c->hour, h + 1, 23)) {
		for (m = next_bit(c->min, h == h0 ? m0 : 0, 59); m != -1;
		     m = next_bit(c->min, m + 1, 59)) {
			s = next_bit(c->sec, h == h0 && m == m0 ? s0 : 0, 59);
			if (s != -1) {
				return h * 3600 + m * 60 + s;
			}
		}
	}
	return -1;
}

/*
 * The first wall-clock time at or after local (seconds, as if UTC) that
 * the rule names, or -1 within the horizon.
 */
static int64_t
cron_next_local(const struct cron *c, int64_t local)
{
	int64_t day = floor_div(local, 86400), end = day + CRON_HORIZON_DAYS, y;
	int secs = (int)(local - day * 86400), m, d, t;

	while (day < end) {
		civil_from_days(day, &y, &m, &d);
		if (!((c->month >> m) & 1)) {
			/* Skip the rest of the month. */
			day += days_in_month(y, m) - d + 1;
			secs = 0;
			continue;
		}
		if (cron_day_matches(c, y, m, d, (int)(((day % 7) + 11) % 7)) &&
		    (t = cron_time_of_day(c, secs)) != -1) {
			return day * 86400 + t;
		}
		day++;
		secs = 0;
	}
	return -1;
}

/* A rule whose dates never come is an error at load, with the reason. */
static int
cron_check_fires(const struct schedule *s, char **cause)
{
	static const char *const months[] = { "January", "February", "March",
		"April", "May", "June", "July", "August", "September",
		"October", "November", "December" };
	const struct cron *c = &s->cron;
	int m, d, last = 0;

	/* 2000-01-01 starts a leap year, so Feb 29 is within the horizon. */
	if (cron_next_local(c, days_from_civil(2000, 1, 1) * 86400) != -1) {
		return 0;
	}
	for (m = 1; m <= 12; m++) {
		if ((c->month >> m) & 1) {
			last = m;
		}
	}
	for (d = 31; d >= 1 && !((c->dom >> d) & 1); d--) {
		;
	}
	if (d >= 1 && last != 0) {
		*cause =
		    xasprintf("never fires: day-of-month %d does not occur "
		              "in %s%s",
		        d, c->month == 0x1ffe ? "any month" : months[last - 1],
		        (c->month & (c->month - 1)) != 0 && c->month != 0x1ffe
		            ? " or the other months given"
		            : "");
	} else {
		*cause = xstrdup("never fires: no date matches both the "
		                 "day-of-month and day-of-week fields");
	}
	return -1;
}

static void
consider(struct schedule_fire *best, int *found, int64_t t, int64_t after,
    enum schedule_note note, int64_t local)
{
	if (t <= after || (*found && t * 1000 >= best->at_ms)) {
		return;
	}
	best->at_ms = t * 1000;
	best->note = note;
	best->local = local;
	*found = 1;
}

/*
 * The next cron fire after `after` (seconds). Wall-clock times map to
 * instants through the zone: one normally; none when DST skips them (a
 * fixed rule then runs once at the jump, a wild one not at all); two when
 * DST repeats them (a fixed rule runs at the first only, a wild one at
 * both). This is Vixie cron's and cronie's behaviour.
 */
static int
cron_next(const struct schedule *s, int64_t after, struct schedule_fire *f)
{
	const struct cron *c = &s->cron;
	const struct tz *tz = s->tz;
	int64_t local, inst[2], jump, bound = 0, t;
	int found = 0, n, i, o1, o2;

	if (tz == NULL) {
		local = cron_next_local(c, after + 1);
		if (local == -1) {
			return 0;
		}
		f->at_ms = local * 1000;
		f->note = SCHEDULE_NOTE_NONE;
		f->local = local;
		return 1;
	}
	/*
	 * Start early enough to see a repeated hour that begins soon: its
	 * wall-clock times are earlier than now's.
	 */
	o1 = tz_offset(tz, after + 1);
	o2 = tz_offset(tz, after + 1 + DST_MARGIN);
	local = after + 1 + (o1 < o2 ? o1 : o2);
	for (;;) {
		if ((local = cron_next_local(c, local)) == -1) {
			break;
		}
		if (found && local > bound) {
			break;
		}
		n = tz_local_instants(tz, local, inst, &jump);
		if (n == 0) {
			if (!c->wild) {
				consider(f, &found, jump, after,
				    SCHEDULE_NOTE_GAP, local);
			}
		} else if (n == 2 && !c->wild) {
			consider(f, &found, inst[0], after,
			    SCHEDULE_NOTE_REPEAT_ONCE, local);
		} else {
			for (i = 0; i < n; i++) {
				consider(f, &found, inst[i], after,
				    n == 1       ? SCHEDULE_NOTE_NONE
				        : i == 0 ? SCHEDULE_NOTE_REPEAT_FIRST
				                 : SCHEDULE_NOTE_REPEAT_SECOND,
				    local);
			}
		}
		if (found) {
			/* No later wall-clock time can map before this. */
			t = f->at_ms / 1000;
			o1 = tz_offset(tz, t - DST_MARGIN);
			o2 = tz_offset(tz, t + DST_MARGIN);
			o1 = o1 > o2 ? o1 : o2;
			o2 = tz_offset(tz, t);
			bound = t + (o1 > o2 ? o1 : o2);
		}
		local++;
	}
	return found;
}

/* A cron rule's first fire after the second from, found once per second. */
static int
cron_next_memo(struct schedule *s, int64_t from, struct schedule_fire *fire)
{
	if (s->memo_from != from) {
		memset(&s->memo, 0, sizeof s->memo);
		s->memo_found = cron_next(s, from, &s->memo);
		s->memo_from = from;
	}
	*fire = s->memo;
	return s->memo_found;
}

int
schedule_next_fire(const struct schedule *s, int64_t last_ms, int64_t now_ms,
    struct schedule_fire *fire)
{
	int64_t missed;

	memset(fire, 0, sizeof *fire);
	switch (s->kind) {
	case SCHEDULE_CRON:
		return cron_next_memo(
		    (struct schedule *)s, floor_div(now_ms, 1000), fire);
	case SCHEDULE_EVERY:
		if (last_ms <= 0 || last_ms > now_ms) {
			/* Never fired, or the clock went back: start afresh. */
			if (s->start_ms > now_ms) {
				fire->at_ms = s->start_ms;
			} else if (s->start_ms > 0) {
				/* Keep start_at's phase. */
				missed = (now_ms - s->start_ms) / s->every_ms;
				fire->at_ms =
				    s->start_ms + (missed + 1) * s->every_ms;
			} else {
				fire->at_ms = now_ms + s->every_ms;
			}
		} else {
			missed = (now_ms - last_ms) / s->every_ms;
			fire->at_ms = last_ms + (missed + 1) * s->every_ms;
		}
		fire->local = floor_div(fire->at_ms, 1000);
		return 1;
	case SCHEDULE_AT:
		if (s->at_ms <= now_ms || last_ms >= s->at_ms) {
			return 0;
		}
		fire->at_ms = s->at_ms;
		fire->local = floor_div(fire->at_ms, 1000);
		return 1;
	case SCHEDULE_REBOOT:
		return 0;
	}
	fatalx("bug: schedule kind %d", (int)s->kind);
}

int64_t
schedule_next(const struct schedule *s, int64_t last_ms, int64_t now_ms)
{
	struct schedule_fire f;

	return schedule_next_fire(s, last_ms, now_ms, &f) ? f.at_ms : 0;
}

char *
schedule_note_text(const struct schedule_fire *f, char *buf, size_t len)
{
	char hm[16];
	int secs = (int)(f->local - floor_div(f->local, 86400) * 86400);

	if (secs % 60 != 0) {
		snprintf(hm, sizeof hm, "%02d:%02d:%02d", secs / 3600,
		    secs / 60 % 60, secs % 60);
	} else {
		snprintf(
		    hm, sizeof hm, "%02d:%02d", secs / 3600, secs / 60 % 60);
	}
	switch (f->note) {
	case SCHEDULE_NOTE_NONE:
		snprintf(buf, len, "%s", "");
		break;
	case SCHEDULE_NOTE_GAP:
		snprintf(buf, len,
		    "%s does not exist (DST gap): runs at the "
		    "jump",
		    hm);
		break;
	case SCHEDULE_NOTE_REPEAT_ONCE:
		snprintf(buf, len,
		    "%s happens twice (DST overlap): runs at the "
		    "first only",
		    hm);
		break;
	case SCHEDULE_NOTE_REPEAT_FIRST:
		snprintf(buf, len,
		    "first %s (DST overlap): a wildcard rule "
		    "runs at both",
		    hm);
		break;
	case SCHEDULE_NOTE_REPEAT_SECOND:
		snprintf(buf, len,
		    "second %s (DST overlap): a wildcard rule "
		    "runs at both",
		    hm);
		break;
	}
	return buf;
}

char *
schedule_describe(const struct schedule *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s", s->text);
	return buf;
}

int
schedule_equal(const struct schedule *a, const struct schedule *b)
{
	if (a == NULL || b == NULL) {
		return a == b;
	}
	if (a->kind != b->kind) {
		return 0;
	}
	switch (a->kind) {
	case SCHEDULE_CRON:
		if (memcmp(&a->cron, &b->cron, sizeof a->cron) != 0) {
			return 0;
		}
		break;
	case SCHEDULE_EVERY:
		if (a->every_ms != b->every_ms || a->start_ms != b->start_ms) {
			return 0;
		}
		break;
	case SCHEDULE_AT:
		if (a->at_ms != b->at_ms) {
			return 0;
		}
		break;
	case SCHEDULE_REBOOT:
		break;
	}
	return (a->tz == b->tz ||
	    (a->tz != NULL && b->tz != NULL &&
	        strcmp(tz_name(a->tz), tz_name(b->tz)) == 0));
}
