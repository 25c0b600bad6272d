# Cron, one-time and @reboot tasks run on their own; twctl next shows what
# comes, soonest first.
. "$(dirname "$0")/lib.sh"

echo boot-one >"$T/boot_id"
export TW_BOOT_ID_FILE="$T/boot_id"
at=$(date -u -d '+2 seconds' '+%Y-%m-%dT%H:%M:%SZ')
tasks <<YAML
defaults:
  timezone: America/New_York
tasks:
  tick:
    command: echo tick
    schedule: "* * * * * *"
  once:
    command: echo once
    at: $at
  startup:
    command: echo booted
    schedule: "@reboot"
  nightly:
    command: echo night
    schedule: "30 2 * * *"
    jitter: 10s
YAML
start_twd

# @reboot ran at the first start in this "boot".
wait_until "startup to run" run_status_is startup ok
[ "$(twctl --json history startup | jget 'd[0]["trigger"]')" = boot ] || fail "trigger"

# A 6-field rule fires every second, from the schedule.
wait_until "two ticks" sh -c "[ \$('$TWCTL' --json history tick | python3 -c 'import json,sys; print(len([r for r in json.load(sys.stdin) if r[\"trigger\"] == \"schedule\"]))') -ge 2 ]"

# The one-time task runs once, then is done.
wait_until "once to run" run_status_is once ok
wait_until "once to be done" sh -c "'$TWCTL' list | grep -q '^once .* done '"
[ "$(twctl --json history once | jget 'len(d)')" = 1 ] || fail "once ran more than once"

json=$(twctl --json list)
[ "$(echo "$json" | jget '[t["state"] for t in d if t["name"] == "startup"][0]')" = boot ] || fail "$json"
[ "$(echo "$json" | jget '[t["timezone"] for t in d if t["name"] == "nightly"][0]')" = America/New_York ] || fail "$json"
[ "$(echo "$json" | jget '[t["jitter"] for t in d if t["name"] == "nightly"][0]')" = 10.0 ] || fail "$json"
expect_contains "$(twctl list | grep '^startup ')" "at boot"

# next: each task's next fire, soonest first, in the task's zone; --all
# the coming fires of all merged; or one task's.
out=$(twctl next)
echo "$out" | head -1 | grep -q '^WHEN  *IN  *TASK  *NOTE$' || fail "header: $out"
echo "$out" | sed -n 2p | grep -q ' tick$' || fail "soonest first: $out"
[ "$(echo "$out" | grep -c ' tick$')" = 1 ] || fail "tick twice by default: $out"
expect_contains "$out" " nightly"
out=$(twctl next --all -n 3)
[ "$(echo "$out" | grep -c ' tick$')" = 3 ] || fail "--all: $out"
expect_rc 2 twctl next --all nightly
out=$(twctl next -n 2 nightly)
[ "$(echo "$out" | grep -c ' nightly')" = 2 ] || fail "one task: $out"
expect_contains "$out" "T02:30"
expect_contains "$(echo "$out" | sed -n 3p)" "T02:30:00-0"
json=$(twctl --json next --all -n 50)
echo "$json" | jget '[f["at"] for f in d] == sorted(f["at"] for f in d)' | grep -q True || fail "not sorted: $json"
expect_rc 1 twctl next nope

# Jitter delays the start by less than itself; the rule's grid stays.
twctl --json next -n 2 nightly | /usr/bin/python3 -c '
import json, sys
from datetime import datetime
from zoneinfo import ZoneInfo
d = json.load(sys.stdin)
t = [datetime.fromisoformat(f["at"].replace("Z", "+00:00")).astimezone(
    ZoneInfo("America/New_York")) for f in d]
assert (t[0].hour, t[0].minute) == (2, 30) and t[0].second < 10, t[0]
assert (t[1].hour, t[1].minute, t[1].second) == (2, 30, 0), t[1]
' || fail "jitter out of range"


# Restarting in the same boot does not run @reboot again; a new boot does.
twctl shutdown >/dev/null
start_twd
twctl status >/dev/null
sleep 1
[ "$(twctl --json history startup | jget 'len(d)')" = 1 ] || fail "@reboot ran again in the same boot"
twctl shutdown >/dev/null
echo boot-two >"$T/boot_id"
start_twd
wait_until "startup in the new boot" sh -c "[ \$('$TWCTL' --json history startup | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') = 2 ]"
