# Another process holds the history's write lock (a DB browser, sqlite3
# in a transaction): the loop does not wait on it, no job starts whose run
# is not recorded, fires are kept and recorded once the lock is gone, with
# the true reason, and status says what is wrong meanwhile.
. "$(dirname "$0")/lib.sh"


tasks <<YAML
tasks:
  tick: {command: "echo tick", every: 1s}
YAML
start_twd
wait_until "a first tick" run_status_is tick ok
# The dashboard, in tmux, shows it in its banner.
dash_start 120 30
shows "config ok"

# sqlite3 holding BEGIN IMMEDIATE until told to let go.
mkfifo "$T/sql"
sqlite3 "$TW_STATE_DIR/twd.db" <"$T/sql" >"$T/sql.out" 2>&1 &
sql_pid=$!
exec 3>"$T/sql"
echo "BEGIN IMMEDIATE;" >&3
echo "SELECT 'locked';" >&3
wait_until "the lock" grep -q locked "$T/sql.out"
before=$(twctl --json history -n 1 tick | jget 'd[0]["id"]')

wait_until "twd to notice" sh -c "'$TWCTL' --json status | grep -q '\"state_error\": {'"
expect_contains "$(twctl status)" "history:    NOT WRITTEN since"
expect_contains "$(twctl --json status | jget 'd["state_error"]["error"]')" "locked"
# Nothing is taken that could not be recorded.
expect_rc 1 twctl submit -- touch "$T/ran"
expect_contains "$(cat "$T/err")" "cannot write its history"
# Fires go on being kept while it lasts; none runs.
sleep 2.5
[ ! -e "$T/ran" ] || fail "a submitted job ran without a record"
[ "$(twctl --json status | jget 'd["running"]')" = 0 ] || fail "a job started while locked"
expect_contains "$(twctl why tick)" "twd cannot write its history"
shows "HISTORY NOT WRITTEN: .*locked"

echo "ROLLBACK;" >&3
exec 3>&-
wait "$sql_pid" || true
wait_until "the history to be written again" sh -c \
	"'$TWCTL' --json status | grep -q '\"state_error\": null'"
wait_until "the kept fires to run" sh -c \
	"[ \"\$('$TWCTL' --json history -n 50 --status ok tick | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')\" -ge 4 ]"
twctl --json history -n 50 tick >"$T/runs"
python3 - "$T/runs" "$before" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))
before = int(sys.argv[2])
ids = [r["id"] for r in runs]
assert len(ids) == len(set(ids)), ids
late = [r for r in runs if r["id"] > before]
assert late, runs
for r in runs:
    assert "missed while twd was not running" not in (r["reason"] or ""), r
held = [r for r in late if "held in the queue while twd could not write its history" in (r["reason"] or "")]
assert held, late
PY
[ ! -e "$T/ran" ] || fail "the refused submit ran after all"
shows "config ok"
