# History retention: rows and their log files go together, by count, age
# and size, also for history recorded before the setting.
. "$(dirname "$0")/lib.sh"

tasks <<'YAML'
defaults:
  history: {keep_runs: 3}
tasks:
  few: {command: echo few}
  big:
    command: head -c 1000 /dev/zero
    history: {max_bytes: 2500, keep_runs: 100}
  old:
    command: echo old
    history: {keep_days: 7}
YAML

# A run of 'old' from twenty days ago, with its log, before twd starts.
start_twd
twctl run old >/dev/null
wait_until "old to run" run_status_is old ok
twctl shutdown >/dev/null
mkdir -p "$TW_STATE_DIR/logs/old"
echo ancient >"$TW_STATE_DIR/logs/old/999.log"
then=$(( ($(date +%s) - 20 * 86400) * 1000 ))
sqlite3 "$TW_STATE_DIR/twd.db" "INSERT INTO runs (id, task, trigger, started_at, finished_at, status, exit_code, log_path) VALUES (999, 'old', 'manual', $then, $then, 'ok', 0, '$TW_STATE_DIR/logs/old/999.log')"
start_twd
wait_until "the old run to be pruned" sh -c "[ ! -e '$TW_STATE_DIR/logs/old/999.log' ]"
[ "$(twctl --json history old | jget 'len(d)')" = 1 ] || fail "old: $(twctl history old)"

for i in 1 2 3 4 5 6; do
	twctl run few >/dev/null
	wait_until "few run $i" sh -c "'$TWCTL' history -n 1 few | grep -q ' ok$'"
	twctl run big >/dev/null
	wait_until "big run $i" sh -c "'$TWCTL' history -n 1 big | grep -q ' ok$'"
done
wait_until "few to keep 3 runs" sh -c "[ \$('$TWCTL' --json history few | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') = 3 ]"
[ "$(ls "$TW_STATE_DIR/logs/few" | wc -l)" = 3 ] || fail "few logs: $(ls "$TW_STATE_DIR/logs/few")"
# The three kept are the newest.
newest=$(twctl --json history -n 1 few | jget 'd[0]["id"]')
[ -e "$TW_STATE_DIR/logs/few/$newest.log" ] || fail "the newest log went"

wait_until "big to keep 2500 bytes" sh -c "[ \$('$TWCTL' --json history big | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') = 2 ]"
# Each log is one record of 1000 bytes: "o ", the bytes, a newline.
[ "$(cat "$TW_STATE_DIR/logs/big/"*.log | wc -c)" = 2006 ] || fail "big logs"

# A broken setting names the value.
tasks <<'YAML'
tasks:
  x: {command: "true", history: {keep_run: 3, max_bytes: lots}}
YAML
expect_rc 1 "$TWD" --foreground --state-dir "$T/other" --socket "$T/other.sock"
expect_contains "$(cat "$T/err")" "unknown history setting 'keep_run' (did you mean 'keep_runs'?)"
expect_contains "$(cat "$T/err")" "history: max_bytes: bad size 'lots'"
