# twctl queue: what runs and what waits, in the order it will start, with
# what each waits for; submitted jobs and the file's tasks alike.
. "$(dirname "$0")/lib.sh"

tasks <<YAML
max_concurrent: 1
queues:
  io: {max_concurrent: 1}
tasks:
  gated: {command: 'while [ ! -e "$T/go" ]; do sleep 0.05; done'}
  low: {command: 'true', priority: low, queue: io}
YAML
start_twd

expect_contains "$(twctl queue)" "nothing is running or queued"
g=$(twctl --json run gated | jget 'd["id"]')
wait_until "gated to run" sh -c "'$TWCTL' --json queue | grep -q '\"running\"'"
a=$(twctl --json submit -n job-a -- true | jget 'd["id"]')
b=$(twctl --json submit -n job-b -p high -- true | jget 'd["id"]')
l=$(twctl --json run low | jget 'd["id"]')

twctl --json queue >"$T/q.json"
python3 - "$T/q.json" "$g" "$b" "$a" "$l" <<'PY' || fail "$(cat "$T/q.json")"
import json, sys
runs = json.load(open(sys.argv[1]))
ids = [int(x) for x in sys.argv[2:]]
# Running first, then by priority, then in order of arrival.
assert [r["id"] for r in runs] == ids, [r["id"] for r in runs]
assert runs[0]["status"] == "running" and runs[0]["position"] is None
assert [r["position"] for r in runs[1:]] == [1, 2, 3]
assert [r["submitted"] for r in runs] == [False, True, True, False]
assert runs[3]["queue"] == "io" and runs[1]["queue"] is None
for r in runs[1:]:
    assert r["waiting"] == "all 1 slots are taken (max_concurrent)", r
PY
out=$(twctl queue)
echo "$out" | head -1 | grep -q '^ID  *STATE  *POS  *TASK  *QUEUE  *SINCE  *WAITING FOR$' ||
	fail "header: $out"
expect_contains "$out" "queued   1    job-b"
expect_contains "$out" "io"

touch "$T/go"
wait_until "the queue to empty" sh -c "'$TWCTL' queue | grep -q 'nothing is running or queued'"
[ "$(twctl --json history -n 1 low | jget 'd[0]["status"]')" = ok ] || fail "low did not run"
