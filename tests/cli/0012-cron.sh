# twctl cron previews a rule without the daemon, DST notes included.
. "$(dirname "$0")/lib.sh"

out=$(twctl cron --tz America/New_York --from 2026-03-07T12:00 -n 2 '30 2 * * *')
[ "$out" = "Sun 2026-03-08T03:00:00-04:00  in 14h      # 02:30 does not exist (DST gap): runs at the jump
Mon 2026-03-09T02:30:00-04:00  in 1d13h" ] || fail "gap: $out"

# Options may come after the expression, as the usage shows.
out=$(twctl cron '30 1 * * *' -z America/New_York -f 2026-10-31T12:00 -n 2)
[ "$out" = "Sun 2026-11-01T01:30:00-04:00  in 13h30m   # 01:30 happens twice (DST overlap): runs at the first only
Mon 2026-11-02T01:30:00-05:00  in 1d14h" ] || fail "overlap: $out"

out=$(twctl cron -z Australia/Lord_Howe -f 2026-04-05T01:20 -n 4 '*/15 * * * *')
expect_contains "$out" "Sun 2026-04-05T01:30:00+11:00  in 10m      # first 01:30"
expect_contains "$out" "Sun 2026-04-05T01:30:00+10:30  in 40m      # second 01:30"

out=$(twctl cron -z UTC -f 2026-01-01T00:00:00Z -n 3 '*/20 * * * * *')
[ "$out" = "Thu 2026-01-01T00:00:20Z  in 20s
Thu 2026-01-01T00:00:40Z  in 40s
Thu 2026-01-01T00:01:00Z  in 1m" ] || fail "seconds: $out"

json=$(twctl cron --json -z Europe/Berlin -f 2026-03-28T12:00 -n 2 '30 2 * * *')
[ "$(echo "$json" | jget 'd[0]["at"]')" = "2026-03-29T03:00:00+02:00" ] || fail "$json"
expect_contains "$(echo "$json" | jget 'd[0]["note"]')" "DST gap"
[ "$(echo "$json" | jget 'd[1]["note"]')" = None ] || fail "$json"
# The weekday on the zone's wall clock, and the seconds from --from.
[ "$(echo "$json" | jget 'd[0]["weekday"]')" = Sun ] || fail "$json"
[ "$(echo "$json" | jget 'd[1]["in"]')" = 135000.0 ] || fail "$json"
# Near midnight the weekday is the zone's, not UTC's.
[ "$(twctl cron --json -z Pacific/Auckland -f 2026-06-01T00:00 -n 1 '30 23 * * *' | jget 'd[0]["weekday"]')" = Mon ] ||
	fail "Auckland's Monday"

# Errors go to stderr, name the field and the value, and exit 1.
expect_rc 1 twctl cron '0 0 * * 8'
[ "$(cat "$T/err")" = "twctl: day-of-week: 8 is out of range 0-7" ] || fail "$(cat "$T/err")"
[ ! -s "$T/out" ] || fail "an error printed on stdout"
expect_rc 1 twctl cron '0 0 30 2 *'
expect_contains "$(cat "$T/err")" "never fires: day-of-month 30 does not occur in February"
expect_rc 1 twctl cron --tz Mars/Base '@daily'
expect_contains "$(cat "$T/err")" "unknown time zone 'Mars/Base'"
expect_rc 1 twctl cron --from yesterday '@daily'
expect_contains "$(cat "$T/err")" "'yesterday' is not a date and time"
expect_rc 1 twctl --json cron '61 * * * *'
[ "$(jget 'd["error"]["message"]' <"$T/out")" = "minute: 61 is out of range 0-59" ] || fail "$(cat "$T/out")"
expect_rc 2 twctl cron -n 0 '@daily'
expect_rc 2 twctl cron
