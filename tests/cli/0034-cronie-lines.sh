# Cron lines current cronie accepts: day-of-week ranges that end on Sunday,
# steps past a field's range (with a warning that says what they mean),
# and random ranges, chosen once from the task's name and shown.
. "$(dirname "$0")/lib.sh"

tasks <<'YAML'
tasks:
  weekend: {command: "true", schedule: "0 9 * * SAT-SUN"}
  fri-sun: {command: "true", schedule: "0 9 * * 5-0"}
  hourly: {command: "true", schedule: "*/60 * * * *"}
  backup: {command: "true", schedule: "0~30 3 * * *"}
YAML
expect_rc 0 twctl check
expect_contains "$(cat "$T/err")" "warning: $TW_CONFIG:4:39: schedule: minute: the step of '*/60' is past the range 0-59, so it means 0 only"
[ "$(twctl --json check | jget 'len(d["warnings"])')" = 1 ] || fail "warnings in --json"
start_twd
grep -q "the step of '\*/60' is past the range" "$T/twd.log" || fail "twd did not log the warning"

# The random minute: in its range, shown, the same after a reload and a
# restart (it comes from the name), and what twctl cron -t says too.
shown=$(twctl --json show backup | jget 'd["schedule"]')
case $shown in "0~30 3 * * * (as "[0-9]*" 3 * * *)") ;; *) fail "show: $shown" ;; esac
minute=$(echo "$shown" | sed 's/.*(as \([0-9]*\) .*/\1/')
[ "$minute" -ge 0 ] && [ "$minute" -le 30 ] || fail "minute $minute"
twctl reload >/dev/null
[ "$(twctl --json show backup | jget 'd["schedule"]')" = "$shown" ] || fail "changed on reload"
twctl cron -n 1 -t backup '0~30 3 * * *' >"$T/cron" 2>"$T/cron.err"
expect_contains "$(cat "$T/cron.err")" "(as $minute 3 * * *), for a task named 'backup'"
expect_contains "$(cat "$T/cron")" "$(printf '%02d' "$minute"):00"

# import-crontab converts them, and says what to look at.
printf '0 9 * * SAT-SUN weekend-job\n0 */24 * * * stepped\n0~30 3 * * * random\n0 9 * * FRI-MON wrong\n' >"$T/crontab"
expect_rc 1 twctl import-crontab "$T/crontab"
expect_contains "$(cat "$T/out")" 'schedule: "0 9 * * SAT-SUN"'
expect_contains "$(cat "$T/err")" "warning: line 2: hour: the step of '*/24' is past"
expect_contains "$(cat "$T/err")" "warning: line 3: '0~30 3 * * *' has a random range"
expect_contains "$(cat "$T/err")" "not converted: line 4: day-of-week: range 'FRI-MON' goes backwards"
