# The queue: priorities under a full queue, per-queue limits, each overlap
# policy, retries with backoff, pause and resume, kill of queued runs, and
# queued runs and pauses that survive a kill -9 of the daemon.
. "$(dirname "$0")/lib.sh"

# Each job appends its name to $T/order and waits for its gate file.
gated() { echo "echo $1 >>\"$T/order\"; while [ ! -e \"$T/gate-$1\" ]; do sleep 0.05; done"; }
tasks <<YAML
max_concurrent: 1
queues:
  one: {max_concurrent: 1}
tasks:
  blocker: {command: '$(gated blocker)'}
  low: {command: '$(gated low)', priority: low}
  normal: {command: '$(gated normal)'}
  crit: {command: '$(gated crit)', priority: critical}
  off: {command: "true", enabled: false, every: 1s}
YAML
start_twd
status_of() { twctl --json history -n 1 "$1" | jget 'd[0]["status"]'; }
field_of() { twctl --json history -n 1 "$1" | jget "d[0][\"$2\"]"; }
# The field $3 of run $2 of task $1.
run_field() { twctl --json logs -r "$2" "$1" | jget "d[\"$3\"]"; }

# One slot: the blocker takes it; the others queue and start by priority.
twctl run blocker >/dev/null
wait_until "the blocker to run" grep -q blocker "$T/order"
expect_contains "$(twctl run low)" "queued run 2 of 'low': all 1 slots are taken (max_concurrent)"
expect_contains "$(twctl why low)" "last: run 2 is queued since"
expect_contains "$(twctl why low)" "all 1 slots are taken (max_concurrent)"
expect_contains "$(twctl why off)" "next: nothing is scheduled: the task is disabled (enabled: false)"
twctl run normal >/dev/null
twctl run crit >/dev/null
[ "$(status_of crit)" = queued ] || fail "crit: $(status_of crit)"
expect_contains "$(twctl list)" "queued"
touch "$T/gate-blocker" "$T/gate-crit" "$T/gate-normal" "$T/gate-low"
wait_until "low to finish" run_status_is low ok
[ "$(cat "$T/order" | tr '\n' ' ')" = "blocker crit normal low " ] || fail "order: $(cat "$T/order")"
[ "$(twctl --json list | jget '[t["state"] for t in d if t["name"] == "off"][0]')" = disabled ] || fail "off is not disabled"
[ "$(twctl --json history off | jget 'len(d)')" = 0 ] || fail "a disabled task ran"

# A queue of its own: two tasks in queue 'one' take turns, while the
# global limit would let both run.
rm -f "$T"/gate-* "$T/order"
tasks <<YAML
max_concurrent: 8
queues:
  one: {max_concurrent: 1}
tasks:
  q1: {command: '$(gated q1)', queue: one}
  q2: {command: '$(gated q2)', queue: one}
  skipper: {command: '$(gated skipper)'}
  queuer: {command: '$(gated queuer)', overlap: queue}
  allower: {command: '$(gated allower)', overlap: allow}
  replacer: {command: '$(gated replacer)', overlap: replace}
  flaky: {command: exit 7, retries: 2, retry_delay: 1s, retry_backoff: 2}
  picky: {command: exit 4, retries: 2, retry_on: [3, timeout]}
YAML
kill -HUP "$TWD_PID"
wait_until "the reload" sh -c "'$TWCTL' list | grep -q '^q1 '"
twctl run q1 >/dev/null
expect_contains "$(twctl run q2)" "queue 'one' is full (1 running, its max_concurrent)"
touch "$T/gate-q1"
wait_until "q2 to start after q1" grep -q q2 "$T/order"
touch "$T/gate-q2"

# overlap: skip records the fire it skips; --force runs it anyway.
twctl run skipper >/dev/null
expect_rc 1 twctl run skipper
expect_contains "$(cat "$T/err")" "was skipped: overlap: skip: run"
expect_contains "$(twctl why skipper)" "last: it did not run: overlap: skip: run"
expect_contains "$(twctl why skipper)" "is running (overlap: skip: a fire while it runs is skipped)"
[ "$(status_of skipper)" = skipped ] || fail "skipper: $(status_of skipper)"
expect_contains "$(twctl run --force skipper)" "started run"
[ "$(grep -c skipper "$T/order")" = 2 ] || wait_until "the forced skipper" sh -c "[ \$(grep -c skipper '$T/order') = 2 ]"
touch "$T/gate-skipper"

# overlap: queue waits for the run before; allow runs beside it.
twctl run queuer >/dev/null
expect_contains "$(twctl run queuer)" "of its task is still running (overlap: queue)"
twctl run allower >/dev/null
expect_contains "$(twctl run allower)" "started run"
wait_until "both allowers" sh -c "[ \$(grep -c allower '$T/order') = 2 ]"
touch "$T/gate-queuer" "$T/gate-allower"
wait_until "the queued queuer" sh -c "[ \$(grep -c queuer '$T/order') = 2 ]"

# overlap: replace stops the run before and starts the new one.
twctl run replacer >/dev/null
wait_until "the first replacer" grep -q replacer "$T/order"
first=$(field_of replacer id)
twctl run replacer >/dev/null
wait_until "the first replacer to be stopped" sh -c "'$TWCTL' --json logs -r $first replacer | grep -q '\"status\": \"killed\"'"
expect_contains "$(twctl --json history replacer | jget "[r['reason'] for r in d if r['id'] == $first][0]")" "overlap: replace"
wait_until "the second replacer" sh -c "[ \$(grep -c replacer '$T/order') = 2 ]"
touch "$T/gate-replacer"

# Retries: three attempts, each its own run, waits of 1s then 2s (plus at
# most a tenth of jitter), as the records show.
twctl run flaky >/dev/null
wait_until "flaky's retry" sh -c "'$TWCTL' why flaky | grep -q 'it waits to retry until'"
wait_until "three attempts of flaky" sh -c "[ \"\$('$TWCTL' --json history flaky | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d), d[0][\"status\"])')\" = '3 failed' ]"
twctl --json history flaky | python3 -c '
import json, sys
from datetime import datetime
t = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
runs = sorted(json.load(sys.stdin), key=lambda r: r["id"])
assert [r["attempt"] for r in runs] == [1, 2, 3], runs
assert [r["trigger"] for r in runs] == ["manual", "retry", "retry"], runs
for prev, r, wait in ((runs[0], runs[1], 1.0), (runs[1], runs[2], 2.0)):
    d = t(r["not_before"]) - t(prev["finished_at"])
    assert wait <= d <= wait * 1.1 + 0.05, (wait, d, r)
    assert t(r["started_at"]) >= t(r["not_before"]), r
' || fail "retries: $(twctl history flaky)"
expect_contains "$(twctl why flaky)" "(retry, attempt 3) started at"
expect_contains "$(twctl why flaky)" "it ended exit 7 after"
# retry_on limits which failures retry: exit 4 is not in [3, timeout].
twctl run picky >/dev/null
wait_until "picky to fail" run_status_is picky failed
sleep 0.3
[ "$(twctl --json history picky | jget 'len(d)')" = 1 ] || fail "picky was retried"

# Pause: nothing starts, runs asked for wait; resume lets them go.
expect_contains "$(twctl pause q1)" "paused q1"
expect_contains "$(twctl run q1)" "its task is paused (twctl resume q1)"
[ "$(twctl --json show q1 | jget 'd["state"]')" = paused ] || fail "q1 not shown paused"
expect_contains "$(twctl why q1)" "next: no run starts: the task is paused (twctl resume q1)"
rm -f "$T/gate-q1"
twctl resume q1 >/dev/null
wait_until "q1 to run after resume" sh -c "[ \$(grep -c q1 '$T/order') = 2 ]"

# kill takes a queued run off the queue.
queued=$(twctl --json run q2 | jget 'd["id"]')
[ "$(twctl --json history -n 1 q2 | jget 'd[0]["status"]')" = queued ] || fail "q2 not queued"
twctl kill q2 >/dev/null
[ "$(twctl --json history q2 | jget "[r['status'] for r in d if r['id'] == $queued][0]")" = killed ] || fail "queued q2 not killed"
expect_contains "$(twctl --json history q2 | jget "[r['reason'] for r in d if r['id'] == $queued][0]")" "taken off the queue"
touch "$T/gate-q1"
wait_until "q1 to finish" run_status_is q1 ok

# kill -9: the queued run, a queued submitted job and the pause outlive
# the daemon; the run that was going is recorded lost, and its process
# group, still waiting for its gate, is killed by the next twd.
twctl pause skipper >/dev/null
rm -f "$T/gate-q1" "$T/gate-q2"
twctl run q1 >/dev/null
wait_until "q1 to run" sh -c "[ \$(grep -c q1 '$T/order') = 3 ]"
q1pid=$(field_of q1 pid)
waiting=$(twctl --json run q2 | jget 'd["id"]')
job=$(twctl --json submit -q one -n adhoc -- sh -c "echo adhoc >>'$T/order'" | jget 'd["id"]')
kill -9 "$TWD_PID"
wait "$TWD_PID" 2>/dev/null || true
kill -0 "$q1pid" || fail "q1 died with twd"
start_twd
# Gone, or a zombie left to an init that does not reap.
wait_until "q1's process group to be killed" sh -c "[ ! -e /proc/$q1pid ] || grep -q ') Z' /proc/$q1pid/stat"
[ "$(field_of q1 status)" = lost ] || fail "the running q1 was not recorded lost"
[ "$(field_of q1 pid)" = "$q1pid" ] || fail "the lost q1 lost its pid"
expect_contains "$(field_of q1 reason)" "its processes were killed when twd started again"
[ "$(run_field q2 "$waiting" status)" != lost ] || fail "the queued run was lost"
wait_until "the queued q2 to start after the restart" sh -c "[ \$(grep -c q2 '$T/order') = 2 ]"
touch "$T/gate-q2"
wait_until "q2 to finish" sh -c "'$TWCTL' --json logs -r $waiting q2 | grep -q '\"status\": \"ok\"'"
wait_until "the submitted job, after q2 in queue one" run_status_is adhoc ok
[ "$(run_field adhoc "$job" trigger)" = submit ] || fail "the job was not taken up again"
[ "$(tail -n 1 "$T/order")" = adhoc ] || fail "order: $(cat "$T/order")"
[ "$(twctl --json show skipper | jget 'd["paused"]')" = True ] || fail "the pause was forgotten"

# Settings that make no sense are refused with the place and the reason.
tasks <<'YAML'
queues: {one: {max_concurrent: 0}}
tasks:
  a: {command: "true", queue: onee, priority: urgent, overlap: replac}
  b: {command: "true", retry_on: [0, timeot], retries: many}
YAML
expect_rc 1 "$TWD" --foreground
expect_contains "$(cat "$T/err")" "tasks.yaml:1:32: max_concurrent: '0' is not a number from 1 to 10000"
expect_contains "$(cat "$T/err")" "queue: no queue named 'onee' (did you mean 'one'?)"
expect_contains "$(cat "$T/err")" "priority: 'urgent' is not critical, high, normal, low or a number from 0 to 100"
expect_contains "$(cat "$T/err")" "overlap: 'replac' is not skip, queue, allow or replace (did you mean 'replace'?)"
expect_contains "$(cat "$T/err")" "retry_on: '0' is not a number from 1 to 255"
expect_contains "$(cat "$T/err")" "retry_on: 'timeot' is not an exit code (1 to 255), timeout, start_failed or signal (did you mean 'timeout'?)"
expect_contains "$(cat "$T/err")" "retries: 'many' is not a number from 0 to 100"
