# Interval tasks fire on their own; SIGHUP reloads the tasks file, and a
# broken file leaves the running schedule alone.
. "$(dirname "$0")/lib.sh"

tasks <<'YAML'
tasks:
  tick:
    command: echo tick
    every: 1s
YAML
start_twd

count_runs() { twctl --json history "$1" | jget 'len([r for r in d if r["trigger"] == "schedule"])'; }
wait_until "two scheduled runs" sh -c "[ \$('$TWCTL' --json history tick | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') -ge 2 ]"
[ "$(count_runs tick)" -ge 2 ] || fail "runs were not from the schedule"

tasks <<'YAML'
tasks:
  tick:
    command: echo tick
    every: 1s
  added:
    command: echo added
YAML
kill -HUP "$TWD_PID"
wait_until "the new task" sh -c "'$TWCTL' list | grep -q '^added '"
grep -q "reloaded .*2 tasks, 1 added, 0 removed, 0 changed" "$T/twd.log" || fail "no reload summary"

tasks <<'YAML'
tasks:
  tick: [broken
YAML
kill -HUP "$TWD_PID"
wait_until "the reload error" grep -q "failed; the running schedule is unchanged" "$T/twd.log"
grep -q "$TW_CONFIG:3:1: " "$T/twd.log" || fail "reload error has no position"
before=$(count_runs tick)
wait_until "tick to go on firing" sh -c "[ \$('$TWCTL' --json history tick | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') -gt $before ]"
[ "$(twctl --json status | jget 'd["tasks"]')" = 2 ] || fail "tasks changed"
