/*
 * Unit tests for time zones: loading, offsets, skipped and repeated wall
 * clock times, ISO 8601 in and out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tz.h"

/* 2026-03-08T07:00:00Z: New York springs forward from 02:00 EST. */
#define NY_SPRING INT64_C(1772953200)
/* 2026-11-01T06:00:00Z: New York falls back from 02:00 EDT. */
#define NY_FALL INT64_C(1793512800)

static int
setup(void **state)
{
	char *cause = NULL;

	*state = tz_load("America/New_York", &cause);
	return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	tz_free(*state);
	return 0;
}

static void
test_tz_unknown_zone_is_an_error(void **state)
{
	char *cause = NULL;

	(void)state;
	assert_null(tz_load("Mars/Olympus_Mons", &cause));
	assert_non_null(strstr(cause, "unknown time zone 'Mars/Olympus_Mons'"));
	free(cause);
	assert_null(tz_load("../../etc/passwd", &cause));
	free(cause);
	/* A slip of a real zone's name gets the real one. */
	assert_null(tz_load("Europe/Berln", &cause));
	assert_string_equal(cause,
	    "unknown time zone 'Europe/Berln' (did you mean 'Europe/Berlin'?)");
	free(cause);
	assert_null(tz_load("america/new_york", &cause));
	assert_non_null(strstr(cause, "did you mean 'America/New_York'?"));
	free(cause);
}

static void
test_tz_offsets_change_at_the_transition(void **state)
{
	assert_int_equal(tz_offset(*state, NY_SPRING - 1), -5 * 3600);
	assert_int_equal(tz_offset(*state, NY_SPRING), -4 * 3600);
	assert_int_equal(tz_offset(*state, NY_FALL - 1), -4 * 3600);
	assert_int_equal(tz_offset(*state, NY_FALL), -5 * 3600);
}

static void
test_tz_skipped_time_has_no_instant_but_a_jump(void **state)
{
	int64_t out[2], jump = 0;
	/* 02:30 on the spring day, as if UTC. */
	int64_t local = NY_SPRING - 5 * 3600 + 1800;

	assert_int_equal(tz_local_instants(*state, local, out, &jump), 0);
	assert_int_equal(jump, NY_SPRING);
}

static void
test_tz_repeated_time_has_two_instants(void **state)
{
	int64_t out[2], jump;
	/* 01:30 on the autumn day comes at 05:30Z and again at 06:30Z. */
	int64_t local = NY_FALL - 4 * 3600 - 1800;

	assert_int_equal(tz_local_instants(*state, local, out, &jump), 2);
	assert_int_equal(out[0], NY_FALL - 1800);
	assert_int_equal(out[1], NY_FALL + 1800);
}

static void
test_tz_formats_with_the_offset_of_the_day(void **state)
{
	char buf[40];

	assert_string_equal(
	    tz_format_iso(*state, NY_SPRING * 1000, buf, sizeof buf),
	    "2026-03-08T03:00:00-04:00");
	assert_string_equal(
	    tz_format_iso(*state, (NY_SPRING - 1) * 1000, buf, sizeof buf),
	    "2026-03-08T01:59:59-05:00");
}

static void
test_tz_parses_local_and_offset_times(void **state)
{
	char *cause = NULL;
	int64_t ms;

	assert_int_equal(
	    tz_parse_iso(*state, "2026-03-08T01:59:59", &ms, &cause), 0);
	assert_int_equal(ms, (NY_SPRING - 1) * 1000);
	/* A skipped time means the jump; a repeated one the first. */
	assert_int_equal(
	    tz_parse_iso(*state, "2026-03-08 02:30", &ms, &cause), 0);
	assert_int_equal(ms, NY_SPRING * 1000);
	assert_int_equal(
	    tz_parse_iso(*state, "2026-11-01T01:30", &ms, &cause), 0);
	assert_int_equal(ms, (NY_FALL - 1800) * 1000);
	assert_int_equal(
	    tz_parse_iso(*state, "2026-03-08T07:00:00Z", &ms, &cause), 0);
	assert_int_equal(ms, NY_SPRING * 1000);
	assert_int_equal(
	    tz_parse_iso(*state, "2026-03-08T08:00:00+01:00", &ms, &cause), 0);
	assert_int_equal(ms, NY_SPRING * 1000);
}

static void
test_tz_rejects_bad_dates(void **state)
{
	char *cause = NULL;
	int64_t ms;

	assert_int_equal(tz_parse_iso(*state, "tomorrow", &ms, &cause), -1);
	assert_non_null(strstr(cause, "'tomorrow' is not a date and time"));
	free(cause);
	assert_int_equal(
	    tz_parse_iso(*state, "2026-02-30T00:00", &ms, &cause), -1);
	assert_non_null(strstr(cause, "day 30 does not exist"));
	free(cause);
	assert_int_equal(
	    tz_parse_iso(*state, "2026-13-01T00:00", &ms, &cause), -1);
	free(cause);
}

/* glibc's offset at t under the TZ of the moment. */
static int
libc_offset(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	return (int)tm.tm_gmtoff;
}

/*
 * z agrees with glibc under TZ=tz, weekly from 1970 to until and on each
 * side of every change z knows of. Returns the disagreements.
 */
static int
agrees_with_libc(const struct tz *z, const char *tz, int64_t until)
{
	int64_t t, at, lo, mid, prev = 0;
	int wrong = 0;

	setenv("TZ", tz, 1);
	tzset();
	for (t = 0; t < until && wrong < 3; t += 7 * 86400) {
		if (tz_offset(z, t) != libc_offset(t)) {
			print_error("%s: at %lld: %d, glibc %d\n", tz,
			    (long long)t, tz_offset(z, t), libc_offset(t));
			wrong++;
		}
		/* The first change since the last probe, found exactly. */
		if (t > 0 && tz_offset(z, t) != tz_offset(z, prev)) {
			lo = prev;
			at = t;
			while (at - lo > 1) {
				mid = lo + (at - lo) / 2;
				if (tz_offset(z, mid) == tz_offset(z, prev)) {
					lo = mid;
				} else {
					at = mid;
				}
			}
			if (libc_offset(at) != tz_offset(z, at) ||
			    libc_offset(at - 1) != tz_offset(z, at - 1)) {
				print_error("%s: change at %lld: glibc "
				            "differs\n",
				    tz, (long long)at);
				wrong++;
			}
		}
		prev = t;
	}
	return wrong;
}

static int zones_checked, zones_wrong;

static int
check_zone_file(
    const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	const char *name = path + strlen("/usr/share/zoneinfo/");
	char *cause = NULL, tz[512];
	struct tz *z;

	(void)sb;
	(void)ftw;
	/* posix/ and right/ repeat the zones; right/ counts leap seconds. */
	if (type != FTW_F || strncmp(name, "posix/", 6) == 0 ||
	    strncmp(name, "right/", 6) == 0 || strchr(name, '.') != NULL ||
	    strcmp(name, "localtime") == 0 || strcmp(name, "posixrules") == 0 ||
	    strcmp(name, "leapseconds") == 0 || strcmp(name, "Factory") == 0) {
		return 0;
	}
	if ((z = tz_load(name, &cause)) == NULL) {
		/* Tables such as zone.tab are not zones. */
		free(cause);
		return 0;
	}
	snprintf(tz, sizeof tz, ":%s", name);
	zones_checked++;
	/* Through 2060: two decades past what the files list, by rule. */
	zones_wrong += agrees_with_libc(z, tz, INT64_C(2871763200)) != 0;
	tz_free(z);
	return 0;
}

/*
 * Every zone of the installed database, read from its file, changes its
 * offset when glibc says it does, through 2199 (past the file's own
 * transitions, by the rule at its end).
 */
static void
test_tz_every_zone_agrees_with_the_c_library(void **state)
{
	(void)state;
	zones_checked = zones_wrong = 0;
	assert_int_equal(
	    nftw("/usr/share/zoneinfo", check_zone_file, 16, FTW_PHYS), 0);
	unsetenv("TZ");
	assert_true(zones_checked > 300);
	assert_int_equal(zones_wrong, 0);
}

/* The local zone follows TZ as glibc does: a file, a POSIX string, none. */
static void
test_tz_local_follows_tz_as_the_c_library_does(void **state)
{
	static const char *const specs[] = {
		"EST5EDT,M3.2.0,M11.1.0",
		"EST5EDT",                         /* the US rule by default */
		"<+0330>-3:30",                    /* no summer time */
		"NZST-12NZDT,M9.5.0,M4.1.0/3",     /* southern */
		"IST-1GMT0,M10.5.0,M3.5.0/1",      /* negative summer time */
		"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", /* negative times */
		"AAA3BBB,J60/2,300/4:30:15",       /* Julian and plain days */
		"Europe/Berlin", ":America/New_York", /* files */
		"",                                   /* UTC */
	};
	char *cause = NULL;
	struct tz *z;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof specs / sizeof specs[0]; i++) {
		setenv("TZ", specs[i], 1);
		assert_non_null(z = tz_load(NULL, &cause));
		assert_string_equal(tz_name(z), "local");
		assert_int_equal(
		    agrees_with_libc(z, specs[i], INT64_C(7258118400)), 0);
		tz_free(z);
	}
	/*
	 * Summer time all year, as RFC 8536 reads this; glibc has five
	 * hours of winter at each new year.
	 */
	setenv("TZ", "EST5EDT,0/0,J365/25", 1);
	assert_non_null(z = tz_load(NULL, &cause));
	assert_int_equal(tz_offset(z, 0), -4 * 3600);
	assert_int_equal(tz_offset(z, NY_SPRING - 86400 * 60), -4 * 3600);
	assert_int_equal(tz_offset(z, INT64_C(7258118400) - 3600), -4 * 3600);
	tz_free(z);
	unsetenv("TZ");
}

static void
test_tz_a_file_that_is_not_a_zone_says_so(void **state)
{
	char dir[] = "/tmp/tw-tz-XXXXXX", path[64], *cause = NULL;
	FILE *fp;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/Nowhere", dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs("TZif2 but nothing more\n", fp);
	fclose(fp);
	setenv("TZDIR", dir, 1);
	assert_null(tz_load("Nowhere", &cause));
	assert_non_null(strstr(cause, "'Nowhere'"));
	assert_non_null(strstr(cause, "not a zone file"));
	free(cause);
	/* A directory of the database is no zone. */
	assert_null(tz_load(".", &cause));
	free(cause);
	unsetenv("TZDIR");
	assert_null(tz_load("America", &cause));
	assert_non_null(strstr(cause, "unknown time zone 'America'"));
	free(cause);
	unlink(path);
	rmdir(dir);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_tz_unknown_zone_is_an_error),
		T(test_tz_offsets_change_at_the_transition),
		T(test_tz_skipped_time_has_no_instant_but_a_jump),
		T(test_tz_repeated_time_has_two_instants),
		T(test_tz_formats_with_the_offset_of_the_day),
		T(test_tz_parses_local_and_offset_times),
		T(test_tz_rejects_bad_dates),
		cmocka_unit_test(test_tz_every_zone_agrees_with_the_c_library),
		cmocka_unit_test(
		    test_tz_local_follows_tz_as_the_c_library_does),
		cmocka_unit_test(test_tz_a_file_that_is_not_a_zone_says_so),
	};

	return cmocka_run_group_tests_name("tz", tests, NULL, NULL);
}
