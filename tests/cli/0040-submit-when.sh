# twctl submit says when a job may start (--delay, --at) and what it waits
# for (-d, after the job submitted before it, as tsp -d); a wait outlives
# a restart, and usage errors say what was wrong.
. "$(dirname "$0")/lib.sh"

tasks <<YAML
tasks: {}
YAML
start_twd

now=$(date +%s)
d=$(twctl --json submit --delay 1h -n later -- true | jget 'd["id"]')
expect_contains "$(twctl queue)" "it waits until"
expect_contains "$(twctl queue)" "as it was asked to"
at=$(twctl --json queue | jget "[r for r in d if r['id'] == $d][0]['not_before']")
secs=$(python3 -c "import datetime, sys
print(int(datetime.datetime.fromisoformat(sys.argv[1].replace('Z', '+00:00')).timestamp()))" "$at")
[ $((secs - now)) -ge 3590 ] && [ $((secs - now)) -le 3660 ] ||
	fail "--delay 1h: not before $at, now $now"

# A time of day that has passed today is tomorrow's.
past=$(date -d '-2 minutes' +%H:%M)
a=$(twctl --json submit --at "$past" -n tomorrow -- true | jget 'd["id"]')
at=$(twctl --json queue | jget "[r for r in d if r['id'] == $a][0]['not_before']")
secs=$(python3 -c "import datetime, sys
print(int(datetime.datetime.fromisoformat(sys.argv[1].replace('Z', '+00:00')).timestamp()))" "$at")
[ $((secs - now)) -gt 82800 ] && [ $((secs - now)) -le 86400 ] ||
	fail "--at $past: not before $at, now $now"
expect_rc 0 twctl submit --at "2031-05-01 08:30" -n dated -- true
expect_contains "$(cat "$T/out")" "it waits until 2031-05-01 08:30:00"

expect_rc 2 twctl submit --at soon -- true
expect_contains "$(cat "$T/err")" "--at: 'soon' is neither a time of day"
expect_rc 2 twctl submit --at 10:00 --delay 1m -- true
expect_contains "$(cat "$T/err")" "--delay and --at both say when"
expect_rc 2 twctl submit -d -a later -- true
expect_contains "$(cat "$T/err")" "give one"

# The wait outlives a restart: the queued job still waits for its time.
twctl shutdown >/dev/null
wait "$TWD_PID" || true
start_twd
expect_contains "$(twctl queue)" "it waits until"

# -d: after the job submitted before it, which must succeed.
twctl submit -n first -- sh -c 'sleep 0.3' >/dev/null
expect_rc 0 twctl submit -d -w -n second -- echo second
expect_contains "$(cat "$T/out")" "it waits for run"
expect_contains "$(cat "$T/out")" "run $(($(twctl --json history -n 1 second | jget 'd[0]["id"]'))) 'second' ended: ok"
expect_rc 1 twctl submit -w -n failing -- false
expect_rc 1 twctl submit -d -n never -- true
expect_contains "$(cat "$T/err")" "did not succeed"
# With --batch, each job waits for the one before it.
twctl submit -n gate -- sh -c "while [ ! -e '$T/go' ]; do sleep 0.05; done" >/dev/null
printf 'echo one\necho two\n' | twctl --json submit -d -b >"$T/ids.json"
twctl --json queue >"$T/q.json"
python3 - "$T/q.json" "$T/ids.json" <<'PY' || fail "batch: $(twctl queue)"
import json, sys
q = {r["id"]: r for r in json.load(open(sys.argv[1]))}
one, two = json.load(open(sys.argv[2]))["ids"]
gate = [i for i, r in q.items() if r["task"] == "gate"][0]
assert q[one]["waiting"] == "it waits for run %d to succeed" % gate, q[one]
assert q[two]["waiting"] == "it waits for run %d to succeed" % one, q[two]
PY
touch "$T/go"
wait_until "the batch to run" sh -c "[ \$('$TWCTL' --json history echo | python3 -c 'import json,sys; print(sum(r[\"status\"] == \"ok\" for r in json.load(sys.stdin)))') = 2 ]"

# -l: a label of the user's, shown with the job in queue and history.
lab=$(twctl --json submit -w -n tagged -l "nightly build" -- true | jget 'd["id"]')
expect_contains "$(twctl history tagged)" "tagged [nightly build]"
[ "$(twctl --json history -n 1 tagged | jget 'd[0]["label"]')" = "nightly build" ] ||
	fail "label in JSON: $(twctl --json history -n 1 tagged)"
twctl submit --delay 1h -n later2 -l waits -- true >/dev/null
expect_contains "$(twctl queue)" "later2 [waits]"
expect_rc 2 twctl submit -l "$(printf 'two\nlines')" -- true
expect_contains "$(cat "$T/err")" "label: must be 1 to 64 printable characters"
[ "$lab" -gt 0 ] || fail "no id"
