# With the daemon running (started the usual way, in the background):
# status and list, for people and as JSON.
. "$(dirname "$0")/lib.sh"

tasks <<'YAML'
tasks:
  backup:
    command: echo backing up
    every: 1h
  a-much-longer-task-name:
    command: "true"
    every: 90s
  manual:
    command: "true"
YAML

"$TWD" 2>"$T/started" || fail "twd did not start"
pid=$(cat "$TW_STATE_DIR/twd.pid")
# In the background, it says where it logs and how to stop it.
expect_contains "$(cat "$T/started")" "twd: running in the background (pid $pid); it logs to $TW_STATE_DIR/twd.log"
expect_contains "$(cat "$T/started")" "twctl shutdown stops it"
kill -0 "$pid" || fail "twd is not running after it returned"
TWD_PID=$pid

out=$(twctl status)
expect_contains "$out" "version:    0.1.0 (protocol 1)"
expect_contains "$out" "pid:        $pid"
expect_contains "$out" "uptime:"
expect_contains "$out" "tasks file: $TW_CONFIG"
expect_contains "$out" "tasks:      3"
expect_contains "$out" "running:    0"

json=$(twctl status --json)
[ "$(echo "$json" | jget 'd["protocol"]')" = 1 ] || fail "protocol: $json"
[ "$(echo "$json" | jget 'd["pid"]')" = "$pid" ] || fail "pid: $json"
[ "$(echo "$json" | jget 'd["tasks"]')" = 3 ] || fail "tasks: $json"
[ "$(echo "$json" | jget 'd["config"]')" = "$TW_CONFIG" ] || fail "config: $json"
[ "$(twctl --json status | jget 'd["running"]')" = 0 ] || fail "--json before the verb"

out=$(twctl list)
echo "$out" | head -1 | grep -q '^TASK  *STATE  *SCHEDULE  *NEXT  *LAST  *RESULT$' || fail "header: $out"
# Aligned: every row has its state where the header has STATE.
col=$(echo "$out" | head -1 | awk '{ print index($0, "STATE") }')
for t in a-much-longer-task-name backup manual; do
	row=$(echo "$out" | grep "^$t ") || fail "no row for $t: $out"
	c=$(echo "$row" | awk '{ rest = substr($0, length($1) + 1)
		print length($1) + match(rest, /[^ ]/) }')
	[ "$c" = "$col" ] || fail "row '$row' not aligned at column $col"
done
expect_contains "$(echo "$out" | grep '^backup ')" "every 1h"
expect_contains "$(echo "$out" | grep '^backup ')" " in "
expect_contains "$(echo "$out" | grep '^manual ')" "manual"
expect_contains "$(echo "$out" | grep '^manual ')" "never"
# The dashboard's words for a task's state.
expect_contains "$(echo "$out" | grep '^backup ')" "backup                   idle"

json=$(twctl list --json)
[ "$(echo "$json" | jget 'len(d)')" = 3 ] || fail "list --json: $json"
[ "$(echo "$json" | jget 'd[1]["name"]')" = backup ] || fail "order: $json"
[ "$(echo "$json" | jget 'd[1]["schedule"]')" = "every 1h" ] || fail "$json"
echo "$json" | jget 'd[1]["next_run"]' | grep -q 'Z$' || fail "next_run: $json"
[ "$(echo "$json" | jget 'd[2]["next_run"]')" = None ] || fail "manual next: $json"

twctl shutdown >/dev/null
wait_gone "$pid"
[ ! -e "$TW_SOCKET" ] || fail "socket left behind"
