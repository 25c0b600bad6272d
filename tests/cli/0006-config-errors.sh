# A broken tasks file stops twd from starting, with FILE:LINE:COL errors,
# all of them at once.
. "$(dirname "$0")/lib.sh"

tasks <<'YAML'
tasks:
  a:
    command: "echo unclosed
YAML
expect_rc 1 "$TWD" --foreground
expect_contains "$(cat "$T/err")" "$TW_CONFIG:4:1: found unexpected end of stream"
[ ! -e "$TW_SOCKET" ] || fail "a socket was created"

tasks <<'YAML'
tasks:
  a:
    comand: echo a
  b:
    command: echo b
    every: 5
YAML
expect_rc 1 "$TWD"
expect_contains "$(cat "$T/err")" "$TW_CONFIG:3:5: unknown field 'comand' (did you mean 'command'?)"
expect_contains "$(cat "$T/err")" "$TW_CONFIG:6:12: every: duration '5' has no unit"
expect_contains "$(cat "$T/err")" "twd: 2 errors in the tasks file"

rm "$TW_CONFIG"
expect_rc 1 "$TWD"
expect_contains "$(cat "$T/err")" "twd: no tasks file at $TW_CONFIG; write one (see taskweaver(5)) or name one with --config"
