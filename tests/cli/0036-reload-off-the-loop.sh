# A reload reads the tasks file on a thread of its own: while a big file
# loads, twd answers other clients, and the asker gets its answer when the
# load is done, in order with its other requests. Reloads asked during a
# load share the next one. Shutting down during a load answers the asker.
# No time is judged: what is checked is what was answered during the load.
. "$(dirname "$0")/lib.sh"
# Loads of 60,000 tasks, under the sanitizers and beside the other tests:
# two minutes before a wait is called a hang.
WAIT_TENTHS=1200

big() { # $1 tasks, $2 file; task 7 broken when $3 is "broken"
	python3 -c '
import sys
n, path, broken = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "broken"
with open(path, "w") as f:
    f.write("tasks:\n  keep: {command: \"true\", every: 1h}\n")
    for i in range(n):
        when = "every: lots" if broken and i == 7 else "schedule: \"*/5 * * * *\""
        f.write(f"  t{i}: {{command: echo {i}, {when}}}\n")
' "$1" "$2" "${3:-}"
}

printf 'tasks:\n  keep: {command: "true", every: 1h}\n' | tasks
start_twd --no-watch
N=60000
big "$N" "$TW_CONFIG"

# One client asks for the reload; another asks for status meanwhile.
python3 - "$TW_SOCKET" "$N" >"$T/during" <<'PY' || fail "$(cat "$T/during")"
import json, select, socket, sys

path, n = sys.argv[1], int(sys.argv[2])

def conn():
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    return s, s.makefile("rb")

def ask(s, f, req):
    s.sendall((json.dumps(req) + "\n").encode())
    return json.loads(f.readline())

a, fa = conn()
a.sendall(b'{"id": 1, "cmd": "reload"}\n')
b, fb = conn()
during = 0
# Until the reload is answered: a twd that loads on its loop answers no
# status before that, or only one that sees no load.
while not select.select([a], [], [], 0)[0]:
    st = ask(b, fb, {"id": 2, "cmd": "status"})
    assert st["ok"], st
    r = st["data"]["reloading"]
    if r is not None:
        assert r["why"] == "twctl reload", r
        during += 1
rep = json.loads(fa.readline())
assert rep["ok"] and rep["id"] == 1, rep
assert len(rep["data"]["added"]) == n, len(rep["data"]["added"])
assert rep["data"]["dry_run"] is False
assert during > 0, "no status was answered while the file loaded"
print("status answered", during, "times during the load")
PY
[ "$(twctl --json status | jget 'd["tasks"]')" = $((N + 1)) ] ||
	fail "the reload did not apply"

# Pipelined on one connection: the reload's answer comes first, then the
# status after it, which no longer sees a load.
big "$N" "$TW_CONFIG"
sed -i 's/{command: echo 5,/{command: echo five,/' "$TW_CONFIG"
python3 - "$TW_SOCKET" >"$T/order" <<'PY' || fail "$(cat "$T/order")"
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b'{"id": "r", "cmd": "reload", "args": {"dry_run": true}}\n'
          b'{"id": "s", "cmd": "status"}\n')
f = s.makefile("rb")
first, second = json.loads(f.readline()), json.loads(f.readline())
assert first["id"] == "r" and first["ok"], first
assert first["data"]["dry_run"] is True
assert [c["task"] for c in first["data"]["changed"]] == ["t5"], first["data"]["changed"]
assert second["id"] == "s" and second["data"]["reloading"] is None, second
PY
# A dry run changed nothing.
expect_contains "$(twctl show t5)" "echo 5"

# Four askers while a load runs: each is answered, and those that came
# during it share one load after it: fewer loads than askers.
loads_before=$(grep -c "reloaded $TW_CONFIG" "$T/twd.log" || true)
python3 - "$TW_SOCKET" >"$T/shared" <<'PY' || fail "$(cat "$T/shared")"
import json, socket, sys
path = sys.argv[1]
socks = []
for i in range(4):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall(json.dumps({"id": i, "cmd": "reload"}).encode() + b"\n")
    socks.append(s.makefile("rb"))
for i, f in enumerate(socks):
    rep = json.loads(f.readline())
    assert rep["ok"] and rep["id"] == i, rep
PY
loads=$(($(grep -c "reloaded $TW_CONFIG" "$T/twd.log") - loads_before))
[ "$loads" -ge 1 ] && [ "$loads" -lt 4 ] ||
	fail "4 reloads asked together took $loads loads"
expect_contains "$(twctl show t5)" "echo five"

# A broken big file: the asker gets every error, status says the schedule
# runs on; the old tasks are kept.
big "$N" "$TW_CONFIG" broken
expect_rc 1 twctl reload
expect_contains "$(cat "$T/err")" "tasks.yaml:10:"
expect_contains "$(cat "$T/err")" "bad duration 'lots'"
expect_contains "$(twctl status)" "NOT RELOADED"
[ "$(twctl --json status | jget 'd["tasks"]')" = $((N + 1)) ] ||
	fail "a broken file changed the schedule"

# SIGHUP loads on the thread too, and the log says who asked.
big "$N" "$TW_CONFIG"
kill -HUP "$TWD_PID"
wait_until "the SIGHUP reload" grep -q "reloaded $TW_CONFIG (SIGHUP)" "$T/twd.log"
twctl status | grep -q "NOT RELOADED" && fail "errors stayed after a good reload"

# Shut down while a load runs: the asker is told, twd exits 0.
sed -i 's/{command: echo 6,/{command: echo six,/' "$TW_CONFIG"
python3 - "$TW_SOCKET" >"$T/stop" <<'PY' || fail "$(cat "$T/stop")"
import json, socket, sys
path = sys.argv[1]
a = socket.socket(socket.AF_UNIX)
a.connect(path)
a.sendall(b'{"id": 1, "cmd": "reload"}\n')
b = socket.socket(socket.AF_UNIX)
b.connect(path)
fb = b.makefile("rb")
while True:
    b.sendall(b'{"id": 2, "cmd": "status"}\n')
    if json.loads(fb.readline())["data"]["reloading"] is not None:
        break
b.sendall(b'{"id": 3, "cmd": "shutdown"}\n')
assert json.loads(fb.readline())["ok"]
rep = json.loads(a.makefile("rb").readline())
assert not rep["ok"] and "shutting down" in rep["error"]["message"], rep
PY
expect_twd_exit 0 "shutdown during a reload"
TWD_PID=""
expect_contains "$(cat "$T/twd.log")" "stopped"
echo "ok"
