/*
 * Cron lines, as a tasks file or `twctl cron` gives them: parsed or
 * refused with a cause; a rule that parses describes itself, equals
 * itself, and finds its next fires in three zones, each later than the
 * last, in bounded time (libFuzzer's -timeout catches a loop).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schedule.h"
#include "tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tz *zones[3];

static void
load_zones(void)
{
	static const char *const names[] = { "UTC", "America/New_York",
		"Australia/Lord_Howe" }; /* half-hour DST */
	char *cause;
	size_t i;

	for (i = 0; i < 3; i++) {
		if ((zones[i] = tz_load(names[i], &cause)) == NULL) {
			abort();
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* 2026-03-08 and 2026-11-01, near New York's DST changes, and 1999. */
	static const int64_t from[] = { INT64_C(1772935200000),
		INT64_C(1793491200000), INT64_C(946684799000) };
	struct schedule_fire fire;
	struct schedule *s;
	char *expr, *cause = NULL, *warning = NULL, buf[256];
	int64_t now;
	size_t z, i, n;

	if (zones[0] == NULL) {
		load_zones();
	}
	if (size > 4096) {
		return 0;
	}
	expr = malloc(size + 1);
	memcpy(expr, data, size);
	expr[size] = '\0';
	if ((s = schedule_cron_seeded(expr, size, &warning, &cause)) == NULL) {
		if (cause == NULL) {
			abort();
		}
		free(cause);
		free(expr);
		return 0;
	}
	free(warning);
	if (!schedule_equal(s, s) || schedule_text(s) == NULL) {
		abort();
	}
	schedule_describe(s, buf, sizeof buf);
	for (z = 0; z < 3; z++) {
		schedule_set_tz(s, zones[z]);
		for (i = 0; i < sizeof from / sizeof from[0]; i++) {
			now = from[i];
			for (n = 0; n < 4; n++) {
				if (!schedule_next_fire(s, 0, now, &fire)) {
					break;
				}
				if (fire.at_ms <= now) {
					abort(); /* strictly after, always */
				}
				schedule_note_text(&fire, buf, sizeof buf);
				now = fire.at_ms;
			}
		}
	}
	schedule_free(s);
	free(expr);
	return 0;
}
