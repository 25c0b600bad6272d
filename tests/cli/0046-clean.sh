# twctl queue lists the submitted jobs that ended, after those going and
# waiting (as tsp and pueue do), until twctl clean takes them off the list
# (--successful: only those that succeeded); the history keeps them all.
. "$(dirname "$0")/lib.sh"

tasks <<YAML
tasks:
  sched: {command: "true"}
YAML
start_twd

expect_contains "$(twctl queue)" "nothing is running or queued"
twctl submit -w -n good -- true >/dev/null
twctl submit -w -n bad -- sh -c 'exit 3' >/dev/null || true
twctl run -w sched >/dev/null
twctl submit -n slow -- sleep 30 >/dev/null

out=$(twctl queue)
expect_contains "$out" "finished (twctl clean takes them off"
expect_contains "$out" "good"
expect_contains "$out" "exit 3"
case $out in *sched*) fail "a task's run is no submitted job: $out" ;; esac
twctl --json queue >"$T/q.json"
python3 - "$T/q.json" <<'PY' || fail "queue --json: $(cat "$T/q.json")"
import json, sys
q = json.load(open(sys.argv[1]))
assert [r["task"] for r in q] == ["slow", "good", "bad"], q
assert [r["status"] for r in q] == ["running", "ok", "failed"], q
PY

# --successful: the failed job stays listed.
[ "$(twctl --json clean --successful | jget 'd["cleaned"]')" = 1 ] ||
	fail "clean --successful did not take one"
out=$(twctl queue)
expect_contains "$out" "bad"
case $out in *good*) fail "good is still listed: $out" ;; esac

# The rest; the running job stays, and the history has every run.
expect_rc 0 twctl clean
expect_contains "$(cat "$T/out")" "1 finished job off the queue's list"
out=$(twctl queue)
case $out in *finished*) fail "finished jobs still listed: $out" ;; esac
expect_contains "$out" "slow"
expect_contains "$(twctl history)" "good"
expect_contains "$(twctl history)" "bad"
twctl kill slow >/dev/null

# Cleaned is kept across a restart.
twctl shutdown >/dev/null
wait "$TWD_PID" || true
start_twd
out=$(twctl queue)
expect_contains "$out" "finished (twctl clean"
expect_contains "$out" "slow"
case $out in *good*) fail "good is back after a restart: $out" ;; esac
