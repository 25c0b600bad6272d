# twctl run starts a task now and prints its id; history shows each run
# with its result; the output is in the run's log file.
. "$(dirname "$0")/lib.sh"

tasks <<'YAML'
tasks:
  hello:
    command: echo "hello from $TW_TASK run $TW_RUN_ID"; echo oops >&2
  broken:
    command: exit 3
  crash:
    command: kill -SEGV $$
YAML
start_twd

out=$(twctl run hello)
expect_contains "$out" "started run 1 of 'hello'"
wait_until "hello to finish" run_status_is hello ok
log="$TW_STATE_DIR/logs/hello/1.log"
[ "$(twctl logs --stdout hello)" = "hello from hello run 1" ] || fail "stdout: $(cat "$log")"
[ "$(twctl logs --stderr hello)" = "oops" ] || fail "stderr: $(cat "$log")"
[ "$(twctl logs hello | sort)" = "hello from hello run 1
oops" ] || fail "both: $(twctl logs hello)"
# The file marks each line with its stream (taskweaver(5), LOG FILES).
grep -qx 'O hello from hello run 1' "$log" || fail "log: $(cat "$log")"
grep -qx 'E oops' "$log" || fail "log: $(cat "$log")"

id=$(twctl run --json broken | jget 'd["id"]')
[ "$id" = 2 ] || fail "run --json id: $id"
wait_until "broken to finish" run_status_is broken failed
# It wrote nothing: no log file, and its logs are empty, not an error.
[ ! -e "$TW_STATE_DIR/logs/broken/2.log" ] || fail "a log file for no output"
out=$(twctl logs broken) || fail "logs of a run with no output: $out"
[ -z "$out" ] || fail "logs of a run with no output: $out"
twctl run crash >/dev/null
wait_until "crash to finish" run_status_is crash failed

out=$(twctl history)
echo "$out" | head -1 | grep -q '^ID  *TASK  *STARTED  *TRIGGER  *DURATION  *RESULT$' || fail "header: $out"
expect_contains "$(echo "$out" | grep '^1 ')" "hello"
expect_contains "$(echo "$out" | grep '^1 ')" " ok"
expect_contains "$(echo "$out" | grep '^2 ')" "exit 3"
expect_contains "$(echo "$out" | grep '^3 ')" "SIGSEGV"
[ "$(echo "$out" | sed -n 2p | cut -c1)" = 3 ] || fail "newest first: $out"

[ "$(twctl history broken | wc -l)" = 2 ] || fail "history TASK filters"
[ "$(twctl history -n 2 | wc -l)" = 3 ] || fail "history -n limits"
json=$(twctl history --json hello)
[ "$(echo "$json" | jget 'd[0]["status"]')" = ok ] || fail "$json"
[ "$(echo "$json" | jget 'd[0]["exit_code"]')" = 0 ] || fail "$json"
[ "$(echo "$json" | jget 'd[0]["trigger"]')" = manual ] || fail "$json"
[ "$(echo "$json" | jget 'd[0]["log"]')" = "$log" ] || fail "$json"
[ "$(echo "$json" | jget 'd[0]["output_bytes"]')" = 28 ] || fail "$json"
json=$(twctl history --json crash)
[ "$(echo "$json" | jget 'd[0]["signal_name"]')" = SIGSEGV ] || fail "$json"

expect_rc 1 twctl run nope
[ "$(cat "$T/err")" = "twctl: no task named 'nope'" ] || fail "$(cat "$T/err")"
expect_rc 1 twctl --json run nope
[ "$(jget 'd["error"]["code"]' <"$T/out")" = not_found ] || fail "$(cat "$T/out")"
[ ! -s "$T/err" ] || fail "--json wrote to stderr: $(cat "$T/err")"
expect_rc 1 twctl history nope
expect_contains "$(cat "$T/err")" "no task named 'nope'"
# list says which tasks fail, in the dashboard's words.
expect_contains "$(twctl list | grep '^broken ')" " failing "
expect_contains "$(twctl list | grep '^hello ')" " idle "

# A name close to a task's: did you mean it?
expect_rc 1 twctl run helo
expect_contains "$(cat "$T/err")" "no task named 'helo' (did you mean 'hello'?)"
expect_rc 1 twctl show crsh
expect_contains "$(cat "$T/err")" "(did you mean 'crash'?)"
expect_rc 2 twctl history -n 0

# logs --since: every run of the task since then, oldest first, each named.
twctl --json run --wait hello >"$T/second.json" || true
second=$(jget 'd["id"]' <"$T/second.json") || fail "run --wait: $(cat "$T/second.json")"
expect_rc 0 twctl logs --since 1h --stdout hello
[ "$(grep -v '^$' "$T/out" | sed 's/, [0-9-]* [0-9:]*:/:/')" = "── run 1: ok ──
hello from hello run 1
── run $second: ok ──
hello from hello run $second" ] || fail "--since: $(cat "$T/out")"
twctl --json logs --since today --stderr hello >"$T/lines"
[ "$(python3 -c 'import json, sys
print(" ".join(str(json.loads(l)["run"]) for l in open(sys.argv[1])))' "$T/lines")" = "1 $second" ] ||
	fail "--since --json: $(cat "$T/lines")"
expect_rc 0 twctl logs --since 2099-01-01 hello
expect_contains "$(cat "$T/err")" "no run of 'hello' since 2099-01-01"
expect_rc 2 twctl logs --since 1h --run 1 hello

# Jobs start in the home directory, whatever twd's own directory is.
tasks <<'YAML'
tasks:
  where: {command: pwd}
YAML
kill -HUP "$TWD_PID"
wait_until "the reload" sh -c "'$TWCTL' list | grep -q '^where '"
id=$(twctl --json run where | jget 'd["id"]')
wait_until "where to finish" run_status_is where ok
[ "$(twctl logs -r "$id" where)" = "$HOME" ] || fail "cwd: $(twctl logs -r "$id" where)"
