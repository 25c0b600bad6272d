# What clients and other local users can do to the daemon and to twctl:
# an impostor on the socket path is refused before a byte is sent, control
# characters from the socket are not printed raw, pipelined requests
# before a half-close are all answered, running out of descriptors neither
# spins nor floods the log, and a request with two bad arguments leaks
# nothing (LeakSanitizer, in the sanitizer pass).
. "$(dirname "$0")/lib.sh"

tasks <<'YAML'
tasks:
  t: {command: "true"}
YAML
start_twd

# Two mistyped arguments: one error, the first; nothing leaks.
out=$(ask_raw '{"id": 1, "cmd": "kill", "args": {"task": 1, "signal": 2}}')
expect_contains "$out" "argument 'task' must be a string"

# Pipelined, then shutdown(SHUT_WR), a last line without its newline:
# every request is answered before the daemon hangs up.
python3 - "$TW_SOCKET" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"".join(b'{"id": %d, "cmd": "status"}\n' % i for i in range(1000)) +
          b'{"id": "last", "cmd": "status"}')
s.shutdown(socket.SHUT_WR)
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
lines = data.splitlines()
assert len(lines) == 1001, len(lines)
assert b'"id":"last"' in lines[-1], lines[-1]
PY

# Out of descriptors: 100 idle clients against 64 descriptors. The next
# is told why and let go; the log says it once; all recovers.
prlimit --nofile=64: --pid "$TWD_PID"
python3 - "$TW_SOCKET" <<'PY'
import json, socket, sys, time
path = sys.argv[1]
idle = []
for i in range(100):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    idle.append(s)
time.sleep(0.5)
s = socket.socket(socket.AF_UNIX)
s.connect(path)
s.settimeout(10)
try:
    s.sendall(b'{"id": 1, "cmd": "status"}\n')
except OSError:
    pass
r = json.loads(s.makefile().readline())
assert r["error"]["code"] == "busy", r
for c in idle:
    c.close()
PY
wait_until "status again" twctl status
[ "$(grep -c 'accept:' "$T/twd.log")" -le 2 ] || fail "accept errors flood the log: $(grep -c accept: "$T/twd.log")"
grep -q "accept: Too many open files" "$T/twd.log" || fail "running out of descriptors was not logged"
prlimit --nofile=1024: --pid "$TWD_PID"

# An impostor that answers with escape sequences (the same user, so twctl
# talks to it): what it says is printed with its control characters shown.
mkdir -m 700 "$T/imp"
python3 - "$T/imp/s.sock" >"$T/imp.out" 2>&1 <<'PY' &
import socket, sys
srv = socket.socket(socket.AF_UNIX)
srv.bind(sys.argv[1])
srv.listen(4)
print("ready", flush=True)
c, _ = srv.accept()
c.makefile().readline()
c.sendall(b'{"id": 1, "ok": false, "error": {"code": "failed", "message": "\\u001b[2J\\u001b]0;pwned\\u0007gone \\u009b31m"}}\n')
c.close()
PY
imp=$!
wait_until "the impostor" grep -q ready "$T/imp.out"
expect_rc 1 twctl --socket "$T/imp/s.sock" status
wait "$imp" || true
expect_contains "$(cat "$T/err")" 'twctl: \x1b[2J\x1b]0;pwned\x07gone \u009b31m'
if grep -q "$(printf '\033')" "$T/err"; then fail "an escape character was printed raw"; fi

# A socket directory others may write in: refused before connecting.
mkdir -m 777 "$T/open"
python3 -c 'import socket, sys, time; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); time.sleep(30)' "$T/open/s.sock" &
open_pid=$!
at_cleanup "kill $open_pid 2>/dev/null || true"
wait_until "the listener" test -S "$T/open/s.sock"
expect_rc 3 twctl --socket "$T/open/s.sock" status
expect_contains "$(cat "$T/err")" "refusing to use the socket '$T/open/s.sock': its directory '$T/open' may be written by others (mode 777)"

# Another user listening where we look (as root: a socket made by nobody
# and moved into a directory of ours): refused, naming the user, and the
# impostor gets nothing.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && [ -x /usr/bin/python3 ]; then
	mkdir -m 777 "$T/nobody"
	chmod 755 "$T"
	setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import socket, sys
srv = socket.socket(socket.AF_UNIX)
srv.bind(sys.argv[1])
srv.listen(1)
print("ready", flush=True)
c, _ = srv.accept()
c.settimeout(3)
try:
    got = c.recv(100)
except socket.timeout:
    got = b""
print("got %r" % got, flush=True)' "$T/nobody/s.sock" >"$T/nobody.out" 2>&1 &
	nobody_pid=$!
	wait_until "nobody's listener" grep -q ready "$T/nobody.out"
	mkdir -m 700 "$T/ours"
	mv "$T/nobody/s.sock" "$T/ours/s.sock"
	expect_rc 3 twctl --socket "$T/ours/s.sock" submit -- curl -u admin:hunter2 http://127.0.0.1:9/
	expect_contains "$(cat "$T/err")" "refusing to talk to '$T/ours/s.sock': it is served by nobody (uid 65534)"
	wait "$nobody_pid" || true
	expect_contains "$(cat "$T/nobody.out")" "got b''"
	chmod 700 "$T"
fi

# A crowd that asks and never reads: each costs one reply, then its
# requests wait; past the total bound the greediest are dropped, logged;
# a client that reads is answered meanwhile, and memory stays bounded.
python3 -c '
print("tasks:")
for i in range(2000):
    print(f"  task-{i:05}: {{command: \"true\", every: 1h, description: \"a task among many here\"}}")
' >"$TW_CONFIG"
twctl reload >/dev/null
python3 - "$TW_SOCKET" "$TWD_PID" <<'PY'
import json, socket, sys, time
path, pid = sys.argv[1], sys.argv[2]
def hwm():
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmHWM"):
            return int(l.split()[1]) // 1024
crowd = []
for i in range(120):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.setblocking(False)
    try:
        s.send(b'{"id": 1, "cmd": "list"}\n' * 200)
    except BlockingIOError:
        pass
    crowd.append(s)
g = socket.socket(socket.AF_UNIX)
g.connect(path)
g.settimeout(120)
g.sendall(b'{"id": 2, "cmd": "status"}\n')
r = json.loads(g.makefile().readline())
assert r["ok"], r
peak = hwm()
for s in crowd:
    s.close()
# 120 clients x 200 replies of a megabyte were gigabytes before.
assert peak < 1024, "twd peaked at %d MiB" % peak
PY
grep -q "dropped: .* bytes of replies unread, the most of any client" "$T/twd.log" ||
	fail "the greediest clients were not dropped"
twctl status >/dev/null || fail "status after the crowd"
