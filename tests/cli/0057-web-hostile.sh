# twweb under hostile clients stays bounded and the daemon unaffected:
# 10,000 idle connections, more connections than it has descriptors for
# (it rests its listener instead of spinning, and serves again after), an
# event stream whose reader reads nothing (cut off past its backlog).
. "$(dirname "$0")/lib.sh"
# Ten thousand connections take a while under the sanitizers.
WAIT_TENTHS=1200

tasks <<YAML
tasks: {}
YAML
start_twd
# A small backlog, so that the reader below is cut off soon; under
# AddressSanitizer, freed memory not held back by the hundred megabytes,
# so that what twweb holds is what it measures.
export TWWEB_STREAM_BACKLOG=65536
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=4"
web_start
token=$(sed -n 's|.*#token=\(tw_[0-9a-f]*\)$|\1|p' "$T/web.out")
A="Authorization: Bearer $token"
api_ok() {
	[ "$(curl -s -m 20 -o /dev/null -w '%{http_code}' -H "$A" \
		"http://127.0.0.1:$1/api/v1/status")" = 200 ]
}
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$1/status"; }

# 10,000 idle connections, held while the API is asked.
python3 - "$WEB_PORT" "$T/held" <<'PY' &
import resource, socket, sys, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
socks = []
for i in range(min(10000, hard - 100)):
    socks.append(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10))
open(sys.argv[2], "w").write(str(len(socks)))
time.sleep(30)
PY
held=$!
at_cleanup "kill $held 2>/dev/null || true"
wait_until "the idle connections" test -s "$T/held"
api_ok "$WEB_PORT" || fail "no answer beside $(cat "$T/held") idle connections"
rss=$(rss_kb "$WEB_PID")
[ "$rss" -lt 204800 ] || fail "twweb holds $rss kB for $(cat "$T/held") idle connections"
twctl status >/dev/null || fail "the daemon does not answer"
kill "$held"
wait "$held" 2>/dev/null || true

# A reader that reads nothing while 3,000 jobs run (9,000 events, some
# 6 MB): cut off past its backlog, twweb's memory as it was.
python3 - "$WEB_PORT" "$token" "$T/slow" <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.sendall(("GET /api/v1/events?events=run.* HTTP/1.1\r\nHost: x\r\n"
           "Authorization: Bearer " + sys.argv[2] + "\r\n\r\n").encode())
open(sys.argv[3], "w").write("asked")
time.sleep(60)
PY
slow=$!
at_cleanup "kill $slow 2>/dev/null || true"
wait_until "the slow reader" test -s "$T/slow"
seq 1 3000 | sed 's/.*/true/' | twctl submit --batch --wait >/dev/null
rss=$(rss_kb "$WEB_PID")
[ "$rss" -lt 204800 ] || fail "twweb holds $rss kB for a reader that reads nothing"
cut_off() { ! ss -Htn state established "( sport = :$WEB_PORT )" | grep -q .; }
wait_until "the slow reader cut off" cut_off
api_ok "$WEB_PORT" || fail "no answer after the slow reader"
kill "$slow" 2>/dev/null || true

# More connections than descriptors: it rests, never spins, serves again.
kill "$WEB_PID"
wait "$WEB_PID" 2>/dev/null || true
port=$(free_port)
(ulimit -n 256 && exec "$TWWEB" --listen "$port" >"$T/web2.out" 2>"$T/web2.err") &
web2=$!
at_cleanup "kill $web2 2>/dev/null || true"
wait_until "the second twweb" test -s "$T/web2.out"
python3 - "$port" <<'PY'
import socket, sys, time
socks = []
for i in range(600):
    try:
        socks.append(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2))
    except OSError:
        break
time.sleep(3)
for s in socks:
    s.close()
PY
lines=$(wc -l <"$T/web2.err")
[ "$lines" -le 5 ] || fail "twweb said $lines lines out of descriptors: $(tail -3 "$T/web2.err")"
expect_contains "$(cat "$T/web2.err")" "taking no connection for a second"
wait_until "twweb to serve again" api_ok "$port"
twctl status >/dev/null || fail "the daemon does not answer"
