# The socket speaks JSON lines; bad requests get error replies and never
# stop the daemon; only the daemon's own user is served.
. "$(dirname "$0")/lib.sh"

tasks <<'YAML'
tasks:
  t: {command: "true"}
YAML
start_twd

python3 - "$TW_SOCKET" <<'PY'
import json, socket, sys

def connect():
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    return s, s.makefile("rb")

s, f = connect()
def ask(raw):
    s.sendall(raw)
    return json.loads(f.readline())

r = ask(b'{"id": 1, "cmd": "status"}\n')
assert r["id"] == 1 and r["ok"] and r["data"]["protocol"] == 1, r
r = ask(b'this is not json\n')
assert not r["ok"] and r["error"]["code"] == "bad_request", r
assert r["id"] is None, r
r = ask(b'{"id": 2, "cmd": "stauts"}\n')
assert r["id"] == 2 and r["error"]["code"] == "unknown_command", r
assert "did you mean 'status'" in r["error"]["message"], r
r = ask(b'{"id": "x", "cmd": "run", "args": {}}\n')
assert r["id"] == "x" and r["error"]["code"] == "bad_request", r
assert "missing argument 'task'" in r["error"]["message"], r
r = ask(b'{"id": 3, "cmd": "status", "proto": 2}\n')
assert r["error"]["code"] == "protocol_mismatch", r
# Two requests in one write, and a CRLF line: both answered, in order.
s.sendall(b'{"id": 4, "cmd": "status"}\r\n{"id": 5, "cmd": "list"}\n')
assert json.loads(f.readline())["id"] == 4
assert json.loads(f.readline())["id"] == 5
# The connection survived all of that.
assert ask(b'{"id": 6, "cmd": "status"}\n')["ok"]

# A line over the 1 MiB cap: an error reply, then the daemon hangs up.
big, fb = connect()
try:
    big.sendall(b'{"cmd": "' + b"x" * (1024 * 1024 + 10))
except (BrokenPipeError, ConnectionResetError):
    pass
r = json.loads(fb.readline())
assert r["error"]["code"] == "too_large", r
assert fb.readline() == b"", "still connected after too_large"
# A client that connects and says nothing does not block the others.
idle, _ = connect()
assert ask(b'{"id": 7, "cmd": "status"}\n')["ok"]
PY
twctl status >/dev/null || fail "daemon did not survive bad requests"

# Another user is refused (needs root to become someone else, and a
# python3 that user may run, not one in root's home).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && [ -x /usr/bin/python3 ]; then
	chmod 755 "$T"
	chmod 711 "$(dirname "$TW_SOCKET")"
	chmod 777 "$TW_SOCKET"
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
try:
    s.sendall(b"{\"cmd\": \"status\"}\n")
except (BrokenPipeError, ConnectionResetError):
    pass
print(s.makefile().readline().strip())' "$TW_SOCKET" 2>&1) || fail "as nobody: $out"
	# One line that says why, and nothing else.
	expect_contains "$out" '"code":"forbidden"'
	expect_contains "$out" "this twd serves its own user only (uid 0), not uid 65534"
	case $out in *'"ok":true'*) fail "another user got an answer: $out" ;; esac
	grep -q "refused a connection from uid 65534" "$T/twd.log" || fail "refusal not logged"
fi

# Replies may be far over the 1 MiB a request may be: 10,000 tasks listed.
python3 -c '
print("tasks:")
for i in range(10000):
    print(f"  task-with-a-longish-name-{i:05}: {{command: \"true\", every: 2h, description: \"a task among many\"}}")
' >"$TW_CONFIG"
twctl reload >/dev/null || fail "reload of 10,000 tasks"
twctl --json list >"$T/list.json" || fail "list of 10,000 tasks"
[ "$(wc -c <"$T/list.json")" -gt 1048576 ] || fail "the list is not over 1 MiB"
[ "$(jget 'len(d)' <"$T/list.json")" = 10000 ] || fail "not all 10,000 tasks listed"
twctl list | grep -q 'task-with-a-longish-name-09999' || fail "list in a table"
