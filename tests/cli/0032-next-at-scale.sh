# twctl next merges the tasks' fires instead of listing every task's
# count fires and sorting them: with 20,000 tasks, -n 1000 answers at once
# (it took the loop minutes and gigabytes), in order of time then name,
# and the daemon answers others meanwhile.
. "$(dirname "$0")/lib.sh"

python3 -c '
print("tasks:")
for i in range(20000):
    print(f"  t{i:05}: {{command: \"true\", every: {60 + i % 7}m}}")
print("  zz-daily: {command: \"true\", schedule: \"0 4 * * *\"}")
' >"$TW_CONFIG"
start_twd

twctl --json next --all -n 1000 >"$T/next.json"
twctl status >/dev/null || fail "status after next"
python3 - "$T/next.json" <<'PY'
import json, sys
fires = json.load(open(sys.argv[1]))
assert len(fires) == 1000, len(fires)
keys = [(f["at"], f["task"]) for f in fires]
assert keys == sorted(keys), "not in order of time, then name"
assert len(set(keys)) == 1000, "a fire twice"
PY
# By default each task once: the first 1000 of the 20,001, by time.
twctl --json next >"$T/each.json"
python3 - "$T/each.json" <<'PY'
import json, sys
fires = json.load(open(sys.argv[1]))
assert len(fires) == 1000, len(fires)
assert len({f["task"] for f in fires}) == 1000, "a task twice"
keys = [(f["at"], f["task"]) for f in fires]
assert keys == sorted(keys), "not in order of time, then name"
PY
# One task: its own next fires, each after the one before.
twctl --json next -n 5 zz-daily >"$T/one.json"
python3 - "$T/one.json" <<'PY'
import json, sys
fires = json.load(open(sys.argv[1]))
assert [f["task"] for f in fires] == ["zz-daily"] * 5, fires
ats = [f["at"] for f in fires]
assert ats == sorted(ats) and len(set(ats)) == 5, ats
PY
expect_rc 2 twctl next -n 1001
expect_contains "$(cat "$T/err")" "-n: '1001' is not a number from 1 to 1000"
