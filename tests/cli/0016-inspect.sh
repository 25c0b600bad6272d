# show, logs (with -n, --run and -f), kill, and history filters.
. "$(dirname "$0")/lib.sh"

tasks <<YAML
defaults:
  env: {WHO: world}
tasks:
  hello:
    command: for i in 1 2 3 4 5; do echo "line \$i \$WHO"; done
    timeout: 1h
    limits: {nofile: 256}
  slow:
    command: echo started; while [ ! -e "$T/go" ]; do sleep 0.1; done; echo finished; exit 4
  long: {command: sleep 60}
  sturdy:
    command: trap 'echo got TERM' TERM; echo ready; while :; do sleep 0.1; done
  never: {command: "true"}
YAML
start_twd

twctl run hello >/dev/null
wait_until "hello to finish" run_status_is hello ok
twctl run hello >/dev/null
wait_until "hello to finish" sh -c "[ \$('$TWCTL' --json history hello | python3 -c 'import json,sys; print(sum(r[\"status\"] == \"ok\" for r in json.load(sys.stdin)))') = 2 ]"

# show: the definition with defaults applied, state, runs.
out=$(twctl show hello)
expect_contains "$out" "task              hello"
expect_contains "$out" "state             manual"
expect_contains "$out" "shell             [\"/bin/sh\",\"-c\"]"
expect_contains "$out" "env               {\"WHO\":\"world\"}"
expect_contains "$out" "limits            nofile 256"
expect_contains "$out" "timeout           1h"
expect_contains "$out" "kill_grace        10s"
[ "$(echo "$out" | grep -c ' ok$')" = 2 ] || fail "show runs: $out"
json=$(twctl --json show hello)
[ "$(echo "$json" | jget 'd["definition"]["cwd"]')" = "$HOME" ] || fail "$json"
expect_contains "$(twctl show never)" "no runs yet"
expect_rc 1 twctl show nope

# logs: the newest run, the last lines, a given run.
[ "$(twctl logs hello | head -1)" = "line 1 world" ] || fail "logs: $(twctl logs hello)"
[ "$(twctl logs -n 2 hello)" = "line 4 world
line 5 world" ] || fail "logs -n: $(twctl logs -n 2 hello)"
[ "$(twctl logs --run 1 hello | wc -l)" = 5 ] || fail "logs --run"
[ "$(twctl logs --run 1 | wc -l)" = 5 ] || fail "logs --run without the task"
expect_rc 2 twctl logs
expect_contains "$(cat "$T/err")" "logs: name a task, or a run with --run ID"
expect_rc 1 twctl logs never
expect_contains "$(cat "$T/err")" "it has not run yet"
expect_rc 1 twctl logs --run 999 hello
expect_contains "$(cat "$T/err")" "no run 999"

# logs -f follows a running job and exits with its status.
twctl run slow >/dev/null
wait_until "slow to start" sh -c "'$TWCTL' logs slow | grep -q started"
( sleep 1; touch "$T/go" ) &
set +e
out=$(twctl logs -f slow)
rc=$?
set -e
[ "$rc" = 4 ] || fail "logs -f exited $rc, not the job's 4"
[ "$out" = "started
finished" ] || fail "logs -f printed: $out"

# --json -f follows too: a line a record, then the run; the same status.
rm -f "$T/go"
twctl run slow >/dev/null
wait_until "slow to start again" sh -c "'$TWCTL' logs slow | grep -q started"
( sleep 1; touch "$T/go" ) &
set +e
twctl --json logs -f slow >"$T/follow.json"
rc=$?
set -e
[ "$rc" = 4 ] || fail "--json logs -f exited $rc, not the job's 4"
python3 - "$T/follow.json" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert [l["text"] for l in lines[:-1]] == ["started", "finished"], lines
assert all(l["stream"] == "stdout" and l["complete"] for l in lines[:-1]), lines
assert lines[-1]["run"]["status"] == "failed" and lines[-1]["run"]["exit_code"] == 4, lines[-1]
PY

# run --wait: the run's own exit status, and how it ended ($T/go is there).
expect_rc 4 twctl run --wait slow
expect_contains "$(cat "$T/out")" "started run"
expect_contains "$(cat "$T/out")" "'slow' ended: exit 4"
expect_rc 4 twctl --json run -w slow
[ "$(jget 'd["exit_code"]' <"$T/out")" = 4 ] || fail "run -w --json: $(cat "$T/out")"

# Start "$@" (output to $2), let it begin waiting, open the gate $1 its
# job waits for, and set rc to its exit status.
gated_waiter() {
	gate=$1 out=$2
	shift 2
	set +e
	"$@" >"$out" 2>&1 &
	waiter=$!
	sleep 0.3
	touch "$gate"
	wait "$waiter"
	rc=$?
	set -e
}

# -f on a queued run waits for it to start, then follows it.
first=$(twctl --json submit -n first -- sh -c "while [ ! -e '$T/go2' ]; do sleep 0.05; done" | jget 'd["id"]')
second=$(twctl --json submit -n second -a "$first" -- sh -c 'echo second; exit 3' | jget 'd["id"]')
[ "$(twctl --json logs --run "$second" | jget 'd["status"]')" = queued ] || fail "second is not queued"
gated_waiter "$T/go2" "$T/queued.out" twctl logs -f --run "$second"
[ "$rc" = 3 ] || fail "logs -f of a queued run exited $rc: $(cat "$T/queued.out")"
[ "$(cat "$T/queued.out")" = second ] || fail "logs -f of a queued run printed: $(cat "$T/queued.out")"

# wait: for a run in flight, by id; for a task's newest run, ended already.
w1=$(twctl --json submit -n w1 -- sh -c "while [ ! -e '$T/go3' ]; do sleep 0.05; done; exit 5" | jget 'd["id"]')
gated_waiter "$T/go3" "$T/wait.out" twctl wait "$w1"
[ "$rc" = 5 ] || fail "wait exited $rc: $(cat "$T/wait.out")"
expect_contains "$(cat "$T/wait.out")" "run $w1 'w1' ended: exit 5"
expect_rc 0 twctl wait hello
expect_contains "$(cat "$T/out")" "'hello' ended: ok"
expect_rc 1 twctl wait hello "$w1"
[ "$(twctl --json wait hello "$w1" | jget 'len(d)')" = 2 ] || fail "wait --json"
expect_rc 1 twctl wait nope
expect_contains "$(cat "$T/err")" "no task named 'nope'"

# kill by task, by run id, with a signal.
id=$(twctl --json run long | jget 'd["id"]')
expect_contains "$(twctl kill long)" "signalled 1 run of long"
wait_until "long to end" sh -c "! '$TWCTL' history -n 1 long | grep -q running"
[ "$(twctl --json history -n 1 long | jget 'd[0]["status"]')" = killed ] || fail "kill"
expect_contains "$(twctl --json history -n 1 long | jget 'd[0]["reason"]')" "killed with SIGTERM by twctl kill"
id=$(twctl --json run sturdy | jget 'd["id"]')
wait_until "sturdy to be ready" sh -c "'$TWCTL' logs sturdy | grep -q ready"
twctl kill --signal KILL "$id" >/dev/null
wait_until "sturdy to end" sh -c "! '$TWCTL' history -n 1 sturdy | grep -q running"
[ "$(twctl --json history -n 1 sturdy | jget 'd[0]["signal_name"]')" = SIGKILL ] || fail "kill -s KILL"
expect_rc 1 twctl kill long
expect_contains "$(cat "$T/err")" "'long' is not running"
expect_rc 2 twctl kill --signal BOGUS long
expect_contains "$(cat "$T/err")" "no signal 'BOGUS'"

# Durations as people write them: 1.005, not 1.0049999999999999; from
# the daemon, and as twctl prints them.
twctl --json history >"$T/h.json"
if grep -Eq '[0-9]\.[0-9]{7,}' "$T/h.json"; then fail "long reals: $(grep -Eo '[0-9]+\.[0-9]{7,}' "$T/h.json" | head -3)"; fi
grep -q '"duration": [0-9]' "$T/h.json" || fail "no durations in: $(head -c 300 "$T/h.json")"
ask_raw '{"id": 1, "cmd": "history", "args": {"limit": 20}}' >"$T/h.raw"
if grep -Eq '[0-9]\.[0-9]{7,}' "$T/h.raw"; then fail "long reals on the wire"; fi

# history filters.
[ "$(twctl --json history --status killed | jget 'len(d)')" = 2 ] || fail "--status"
[ "$(twctl --json history --status failed slow | jget 'd[0]["exit_code"]')" = 4 ] || fail "--status with a task"
total=$(twctl --json history -n 1000 | jget 'len(d)')
[ "$(twctl --json history --since 1h | jget 'len(d)')" = "$total" ] || fail "--since 1h"
[ "$(twctl --json history --since 2099-01-01T00:00 | jget 'len(d)')" = 0 ] || fail "--since a time"
expect_rc 2 twctl history --status weird
expect_contains "$(cat "$T/err")" "no run status 'weird'"
expect_rc 2 twctl history --since someday
expect_contains "$(cat "$T/err")" "--since: 'someday' is neither a duration back (2h), today, yesterday, a day"
# Today, yesterday and a day alone, in the local zone.
twctl --json history >"$T/all.json"
today=$(python3 -c '
import json, sys, time, datetime
midnight = datetime.datetime.combine(datetime.date.today(), datetime.time()).timestamp()
runs = json.load(open(sys.argv[1]))
print(sum(1 for r in runs if datetime.datetime.fromisoformat(r["started_at"].replace("Z", "+00:00")).timestamp() >= midnight))' "$T/all.json")
[ "$(twctl --json history --since today | jget 'len(d)')" = "$today" ] || fail "--since today"
[ "$(twctl --json history --since yesterday | jget 'len(d)')" = "$total" ] || fail "--since yesterday"
[ "$(twctl --json history --since 2099-01-01 | jget 'len(d)')" = 0 ] || fail "--since a day"
[ "$(twctl --json history --since 2000-01-01 | jget 'len(d)')" = "$total" ] || fail "--since an old day"

# A removed task's history stays, and filters still apply to it.
tasks <<'YAML'
tasks:
  hello: {command: "true"}
YAML
kill -HUP "$TWD_PID"
wait_until "long to be gone" sh -c "! '$TWCTL' list | grep -q '^long '"
[ "$(twctl --json history long | jget 'len(d)')" = 1 ] || fail "removed task's history"
[ "$(twctl --json history --status ok long | jget 'len(d)')" = 0 ] || fail "filter on a removed task"
expect_rc 1 twctl history never
