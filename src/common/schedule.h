/*
 * The schedule engine: given a rule, a time zone and an instant, when does
 * it fire next. Pure: no clock, no I/O; every instant is passed in, in
 * milliseconds since the epoch. See taskweaver(5) for the rules, DST ones
 * included.
 */
#ifndef TW_SCHEDULE_H
#define TW_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

struct schedule;
struct tz;

/*
 * A cron expression: 5 fields, 6 with leading seconds, or a macro such as
 * "@daily". Returns the rule (caller frees), or NULL with *cause (caller
 * frees) naming the field and the value.
 */
struct schedule *schedule_cron(const char *expr, char **cause);
/*
 * The same, with cronie's random ranges ("0~30": one value from 0 to 30)
 * chosen from seed, the same for the same seed (a task's name hashed), and
 * shown in the rule's text ("0~30 * * * * (as 17 * * * *)"). *warning,
 * when warning is not NULL, is set to what the rule means that one may not
 * expect (a step past its field's range: a minute step of 60 is minute
 * 0 only), or
 * NULL; caller frees.
 */
struct schedule *schedule_cron_seeded(
    const char *expr, uint64_t seed, char **warning, char **cause);
/* The seed of a task's random ranges, from its name. */
uint64_t schedule_seed(const char *name);
/* The rule as written (with its random ranges' values). Borrowed. */
const char *schedule_text(const struct schedule *);
/* A fixed interval of secs (> 0) between fires. Caller frees. */
struct schedule *schedule_every(int64_t secs);
/* One fire, at ms. Caller frees. */
struct schedule *schedule_at(int64_t ms);
/* Another holder of s, which is freed when the last lets go. */
struct schedule *schedule_ref(struct schedule *);
void schedule_free(struct schedule *);

/* Cron rules read wall-clock time in tz (borrowed; NULL: UTC). */
void schedule_set_tz(struct schedule *, const struct tz *);
/* Interval rules: the first fire, when nothing fired before. */
void schedule_set_start(struct schedule *, int64_t start_ms);
/* A one-shot rule's instant, or 0 for any other rule. */
int64_t schedule_once_at(const struct schedule *);
/* Whether it is "@reboot": fires once per boot, decided by the caller. */
int schedule_is_reboot(const struct schedule *);

/* Why a fire is not simply the wall-clock time the rule names. */
enum schedule_note {
	SCHEDULE_NOTE_NONE,
	SCHEDULE_NOTE_GAP,          /* its time was skipped: runs at the jump */
	SCHEDULE_NOTE_REPEAT_ONCE,  /* its time came twice: runs the first */
	SCHEDULE_NOTE_REPEAT_FIRST, /* a wildcard rule, the first copy */
	SCHEDULE_NOTE_REPEAT_SECOND, /* a wildcard rule, the second copy */
};

struct schedule_fire {
	int64_t at_ms;
	enum schedule_note note;
	int64_t local; /* the wall-clock time the rule named (s, as UTC) */
};

/*
 * The first fire strictly after now_ms into *fire. last_ms is the previous
 * fire (0 if none was recorded): interval rules keep their phase from it,
 * passing over fires missed in between. Returns 1, or 0 when the rule
 * never fires again.
 */
int schedule_next_fire(const struct schedule *, int64_t last_ms, int64_t now_ms,
    struct schedule_fire *fire);
/* The same, only the instant; 0 for never. */
int64_t schedule_next(const struct schedule *, int64_t last_ms, int64_t now_ms);
/* The note in words ("02:30 does not exist (DST gap): runs at the jump"). */
char *schedule_note_text(const struct schedule_fire *, char *buf, size_t len);

/* Short text for tables: the expression as written, "every 5m" ... */
char *schedule_describe(const struct schedule *, char *buf, size_t len);
/* Whether two rules fire at the same instants (NULL equals only NULL). */
int schedule_equal(const struct schedule *, const struct schedule *);

#endif
