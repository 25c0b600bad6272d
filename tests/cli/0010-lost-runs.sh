# A twd killed outright leaves a run unfinished; the next twd records it as
# lost instead of leaving it "running" for ever.
. "$(dirname "$0")/lib.sh"

tasks <<'YAML'
tasks:
  long: {command: sleep 30}
YAML
start_twd
twctl run long >/dev/null
wait_until "long to run" sh -c "'$TWCTL' status | grep -q 'running: *1'"
pid=$(twctl --json history -n 1 long | jget 'd[0]["pid"]')
kill -KILL "$TWD_PID"
wait "$TWD_PID" || true
kill -KILL "-$pid" 2>/dev/null || true

start_twd
grep -q "1 run(s) were left running by a twd that stopped abruptly" "$T/twd.log" || fail "no warning"
json=$(twctl --json history long)
[ "$(echo "$json" | jget 'd[0]["status"]')" = lost ] || fail "$json"
expect_contains "$(twctl history long)" "lost"
