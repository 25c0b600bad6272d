# A job's stdout and stderr are kept apart; twctl logs shows either or both,
# its last lines, and follows a running job through the daemon's events;
# subscribers get run.started, run.output and run.finished.
. "$(dirname "$0")/lib.sh"

tasks <<YAML
tasks:
  chatty:
    command: echo first; echo warn >&2; while [ ! -e "$T/go" ]; do sleep 0.1; done; echo second; exit 5
  counted:
    command: for i in 1 2 3 4 5 6 7 8 9 10; do echo \$i; echo e\$i >&2; done; printf 'no newline'
  latin1:
    command: printf 'caf\\351\\n'
YAML
start_twd

# Follow a job that waits for us: -f prints as it comes, exits with its 5.
twctl run chatty >/dev/null
twctl logs -f chatty >"$T/follow" 2>&1 &
follower=$!
twctl logs -f --stderr chatty >"$T/follow-err" 2>&1 &
follower_err=$!
wait_until "logs -f to print the first line" grep -q first "$T/follow"
wait_until "logs -f --stderr to print warn" grep -q warn "$T/follow-err"
kill -0 "$follower" || fail "logs -f exited while the job runs"
# While it runs, "logs" answers with the last lines from memory.
tail=$(twctl --json logs chatty >/dev/null; python3 - "$TW_SOCKET" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b'{"id": 1, "cmd": "logs", "args": {"task": "chatty"}}\n')
r = json.loads(s.makefile("rb").readline())
print(" ".join("%s:%s" % (l["stream"], l["text"]) for l in r["data"]["tail"]))
PY
)
expect_contains "$tail" "stdout:first"
expect_contains "$tail" "stderr:warn"
touch "$T/go"
rc=0
wait "$follower" || rc=$?
[ "$rc" = 5 ] || fail "logs -f exited $rc, not the job's 5"
[ "$(sort "$T/follow")" = "first
second
warn" ] || fail "logs -f printed: $(cat "$T/follow")"
rc=0
wait "$follower_err" || rc=$?
[ "$rc" = 5 ] || fail "logs -f --stderr exited $rc"
[ "$(cat "$T/follow-err")" = "warn" ] || fail "logs -f --stderr printed: $(cat "$T/follow-err")"

# Streams and -n together: the last lines of one stream.
twctl run counted >/dev/null
wait_until "counted to finish" run_status_is counted ok
[ "$(twctl logs -n 2 --stdout counted)" = "10
no newline" ] || fail "logs -n 2 --stdout: $(twctl logs -n 2 --stdout counted)"
[ "$(twctl logs -n 3 --stderr counted)" = "e8
e9
e10" ] || fail "logs -n 3 --stderr: $(twctl logs -n 3 --stderr counted)"
[ "$(twctl logs --stdout counted | wc -l)" = 10 ] || fail "stdout lines"
[ "$(twctl logs counted | wc -l)" = 20 ] || fail "all lines"
# The unended last line stays unended.
[ "$(twctl logs --stdout counted | tail -c 10)" = "no newline" ] || fail "the last piece"

# A subscriber sees the run from start to end, its output line by line,
# with bytes that are not UTF-8 replaced (the log keeps them).
python3 - "$TW_SOCKET" "$TWCTL" >"$T/events" <<'PY'
import json, socket, subprocess, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rb")
s.sendall(b'{"id": 1, "cmd": "subscribe", "args": {"events": ["run.*"], "task": "latin1"}}\n')
r = json.loads(f.readline())
assert r["ok"] and r["data"]["events"] == ["run.started", "run.finished", "run.output", "run.queued", "run.skipped"], r
subprocess.run([sys.argv[2], "run", "latin1"], check=True, stdout=subprocess.DEVNULL)
while True:
    e = json.loads(f.readline())
    d = e["data"]
    if e["event"] == "run.output":
        print(e["event"], d["task"], d["seq"], d["stream"], d["text"], d["complete"])
    else:
        print(e["event"], d["task"], d["status"], d["attempt"])
    if e["event"] == "run.finished":
        break
PY
[ "$(cat "$T/events")" = "run.queued latin1 queued 1
run.started latin1 running 1
run.output latin1 1 stdout caf� True
run.finished latin1 ok 1" ] || fail "events: $(cat "$T/events")"
[ "$(twctl logs latin1 | od -An -c | tr -s ' ')" = " c a f 351 \n" ] || fail "latin1 log: $(twctl logs latin1 | od -c)"
# The run's duration is measured, and it was attempt 1.
[ "$(twctl --json history -n 1 latin1 | jget 'd[0]["duration"] >= 0 and d[0]["attempt"] == 1')" = True ] ||
	fail "record: $(twctl --json history -n 1 latin1)"

# Subscriptions that make no sense are refused with the reason.
python3 - "$TW_SOCKET" >"$T/refused" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rb")
for args in ({"events": ["tusk.*"]}, {}, {"events": ["run.*"], "task": "nope"},
             {"events": ["run.*"], "run": 999}):
    s.sendall(json.dumps({"id": 1, "cmd": "subscribe", "args": args}).encode() + b"\n")
    r = json.loads(f.readline())
    print(r["error"]["code"], r["error"]["message"])
PY
expect_contains "$(cat "$T/refused")" "bad_request no event matches 'tusk.*'"
expect_contains "$(cat "$T/refused")" "bad_request argument 'events' must be an array"
expect_contains "$(cat "$T/refused")" "not_found no task named 'nope'"
expect_contains "$(cat "$T/refused")" "not_found no run 999"
