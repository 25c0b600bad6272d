# A second twd for the same state refuses to start and names the first.
. "$(dirname "$0")/lib.sh"

tasks <<'YAML'
tasks:
  t: {command: "true", every: 1h}
YAML
start_twd

expect_rc 1 "$TWD" --foreground
expect_contains "$(cat "$T/err")" "twd: already running (pid $TWD_PID)"
expect_rc 1 "$TWD"
expect_contains "$(cat "$T/err")" "already running (pid $TWD_PID)"

# Another state directory but the same socket: refused too.
expect_rc 1 "$TWD" --foreground --state-dir "$T/other"
expect_contains "$(cat "$T/err")" "another twd is listening on '$TW_SOCKET'"

twctl status >/dev/null || fail "the first twd was disturbed"
