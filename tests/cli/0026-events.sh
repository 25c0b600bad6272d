# twctl events: the sequence of events of a run, a skipped fire, a pause,
# a reload and a shutdown, as JSON lines and as one-liners.
. "$(dirname "$0")/lib.sh"

tasks <<'YAML'
tasks:
  hello: {command: 'echo hi; echo oops >&2'}
  slow: {command: 'sleep 0.5'}
YAML
start_twd
"$TWCTL" events --json 'run.*' >"$T/json" 2>"$T/json.err" &
json_pid=$!
"$TWCTL" events >"$T/lines" 2>"$T/lines.err" &
lines_pid=$!
# Both subscribed: a run then shows up in what they print.
wait_until "the subscriptions" sh -c "'$TWCTL' --json status | grep -q '\"clients\": 3'"

twctl run hello >/dev/null
wait_until "hello's run.finished" grep -q '"run.finished"' "$T/json"
python3 - "$T/json" <<'PY' || fail "events: $(cat "$T/json")"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
names = [e["event"] for e in evs]
out = [e["data"]["text"] for e in evs if e["event"] == "run.output"]
assert names[0] == "run.queued" and names[1] == "run.started", names
assert names[-1] == "run.finished", names
assert sorted(out) == ["hi", "oops"], out
assert evs[-1]["data"]["status"] == "ok" and evs[-1]["data"]["task"] == "hello", evs[-1]
assert all(e["ts"].endswith("Z") for e in evs), evs
PY

# A fire skipped by the overlap policy: run.skipped, then run.finished.
twctl run slow >/dev/null
twctl run slow >/dev/null 2>&1 || true
wait_until "the skipped run" grep -q '"run.skipped"' "$T/json"
grep '"run.skipped"' "$T/json" | grep -q 'overlap: skip' || fail "skip: $(cat "$T/json")"

twctl pause hello >/dev/null
tasks <<'YAML'
tasks:
  hello: {command: 'echo hi'}
YAML
twctl reload >/dev/null
twctl shutdown >/dev/null
wait "$json_pid" && fail "events did not exit 3 when twd went away" || true
wait "$lines_pid" || true
grep -q "task.changed     hello paused" "$T/lines" || fail "lines: $(cat "$T/lines")"
grep -q "config.reloaded  0 added, 1 removed, 1 changed" "$T/lines" || fail "lines: $(cat "$T/lines")"
grep -q "daemon.stopping  asked to by a client" "$T/lines" || fail "lines: $(cat "$T/lines")"
grep -q "run.finished     hello run 1: ok" "$T/lines" || fail "lines: $(cat "$T/lines")"
! grep -q "run.output" "$T/lines" || fail "run.output is not in the default set"
