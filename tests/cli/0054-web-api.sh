# twweb, the HTTP API over the socket: every endpoint against a real twd;
# 401 without a token, 403 for a read-only token on every write, a
# foreign Origin or a body that is not JSON refused; the event stream
# gets the end of a run started through the API; writes are audited with
# the token's name; hostile paths and bodies are refused; and twctl web
# starts and stops it.
. "$(dirname "$0")/lib.sh"

tasks <<YAML
tasks:
  hello: {command: "echo hello; echo oops >&2"}
  bad: {command: "exit 2"}
  slow: {command: "sleep 30"}
YAML
start_twd

web_start
port=$WEB_PORT
web_pid=$WEB_PID
U="http://127.0.0.1:$port/api/v1"
token=$(sed -n 's|^http://127.0.0.1:'"$port"'/#token=\(tw_[0-9a-f]*\)$|\1|p' "$T/web.out")
[ -n "$token" ] || fail "no token in the first start's address: $(cat "$T/web.out")"
[ "$(stat -c %a "$TW_STATE_DIR/web/tokens.json")" = 600 ] || fail "tokens.json is not 0600"
grep -q "$token" "$TW_STATE_DIR/web/tokens.json" && fail "the token itself is in tokens.json"
viewer=$("$TWWEB" --new-token viewer --read-only)

# code METHOD PATH [curl args...]: the status, the body in $T/body.
code() {
	m=$1 p=$2
	shift 2
	curl -s -o "$T/body" -w '%{http_code}' -X "$m" "$@" "$U$p"
}
A="Authorization: Bearer $token"
R="Authorization: Bearer $viewer"
J="Content-Type: application/json"
expect_code() {
	want=$1
	shift
	got=$(code "$@")
	[ "$got" = "$want" ] || fail "$*: $got, not $want: $(cat "$T/body")"
}
body() { jget "$1" <"$T/body"; }

# No token, a wrong one.
expect_code 401 GET /status
expect_contains "$(cat "$T/body")" '"unauthorized"'
expect_code 401 GET /status -H "Authorization: Bearer tw_nope"

# Reads, with either token.
for t in "$A" "$R"; do
	expect_code 200 GET /status -H "$t"
	[ "$(body 'd["tasks"]')" = 3 ] || fail "status: $(cat "$T/body")"
done
expect_code 200 GET /whoami -H "$R"
[ "$(body 'd["read_only"]')" = True ] || fail "whoami: $(cat "$T/body")"
expect_code 200 GET /tasks -H "$A"
[ "$(body '[t["name"] for t in d["tasks"]]')" = '["bad", "hello", "slow"]' ] ||
	fail "tasks: $(cat "$T/body")"
expect_code 200 GET /tasks/hello -H "$A"
expect_code 404 GET /tasks/nosuch -H "$A"

# The event stream, opened before a run is started through the API.
curl -s -N -H "$A" "$U/events?events=run.finished" >"$T/sse" &
sse=$!
at_cleanup "kill $sse 2>/dev/null || true"
subscribed() { grep -q '^: subscribed' "$T/sse"; }
wait_until "the event stream" subscribed
expect_code 200 POST /tasks/hello/run -H "$A"
id=$(body 'd["id"]')
finished() { grep -q '^event: run.finished' "$T/sse"; }
wait_until "run.finished on the stream" finished
grep '^data: ' "$T/sse" | head -1 | sed 's/^data: //' >"$T/ev.json"
[ "$(jget 'd["data"]["id"]' <"$T/ev.json")" = "$id" ] || fail "event: $(cat "$T/sse")"
# Back with Last-Event-ID: what it missed since then is given first.
curl -s -N -m 3 -H "$A" -H "Last-Event-ID: 1" \
	"$U/events?events=run.finished&task=hello" >"$T/sse2" || true
grep -q "^data: .*\"id\":$id," "$T/sse2" || fail "no replay: $(cat "$T/sse2")"
grep -q '^id: 1$' "$T/sse2" && fail "event 1 given again: $(cat "$T/sse2")"

# Runs, paged; one run; its log, whole and by stream, and from an offset.
expect_code 200 POST /tasks/bad/run -H "$A"
expect_code 200 POST /jobs -H "$A" -H "$J" -d '{"command": "echo via-api", "name": "api-job"}'
wait_until "the job to end" run_status_is api-job ok
expect_code 200 GET "/runs?limit=2" -H "$A"
[ "$(body 'len(d["runs"])')" = 2 ] || fail "runs: $(cat "$T/body")"
last=$(body 'd["runs"][1]["id"]')
expect_code 200 GET "/runs?limit=10&before=$last" -H "$A"
[ "$(body 'all(r["id"] < '"$last"' for r in d["runs"])')" = True ] ||
	fail "before=$last: $(cat "$T/body")"
expect_code 200 GET "/runs?task=bad&status=failed" -H "$A"
[ "$(body 'len(d["runs"])')" = 1 ] || fail "runs of bad: $(cat "$T/body")"
expect_code 200 GET "/runs/$id" -H "$A"
[ "$(body 'd["run"]["status"]')" = ok ] || fail "run $id: $(cat "$T/body")"
expect_code 200 GET "/runs/$id/log" -H "$A"
[ "$(body 'd["text"]')" = "hello
oops" ] || fail "log: $(cat "$T/body")"
[ "$(body 'd["complete"]')" = True ] || fail "log not complete: $(cat "$T/body")"
expect_code 200 GET "/runs/$id/log?stream=stderr" -H "$A"
[ "$(body 'd["text"]')" = oops ] || fail "stderr: $(cat "$T/body")"
next=$(body 'd["next_offset"]')
expect_code 200 GET "/runs/$id/log?offset=$next" -H "$A"
[ "$(body 'd["lines"]')" = "[]" ] || fail "past the end: $(cat "$T/body")"
expect_code 400 GET "/runs/$id/log?stream=both" -H "$A"
expect_code 400 GET "/events?task=hello&events=run.nothing" -H "$A"
expect_code 404 GET "/runs/99999" -H "$A"
expect_code 200 GET /queue -H "$A"
expect_code 200 GET /metrics -H "$A"
expect_contains "$(cat "$T/body")" "taskweaver_runs_total"

# Writes: pause, resume, kill, reload.
expect_code 200 POST /tasks/hello/pause -H "$A"
expect_code 200 POST /tasks/hello/resume -H "$A"
expect_code 200 POST /tasks/slow/run -H "$A"
slow=$(body 'd["id"]')
wait_until "slow to run" run_status_is slow running
expect_code 200 POST "/runs/$slow/kill" -H "$A"
expect_code 200 POST /reload -H "$A" -H "$J" -d '{"dry_run": true}'
[ "$(body 'd["dry_run"]')" = True ] || fail "reload: $(cat "$T/body")"
expect_code 404 POST /tasks/nosuch/run -H "$A"

# A read-only token writes nothing.
for w in /tasks/hello/run /tasks/hello/pause /tasks/hello/resume \
	"/runs/$slow/kill" /jobs /reload; do
	expect_code 403 POST "$w" -H "$R" -H "$J" -d '{"command": "true"}'
	expect_contains "$(cat "$T/body")" '"read_only"'
done

# Forms and other sites cannot write.
expect_code 403 POST /tasks/hello/run -H "$A" -H "Origin: http://evil.example"
expect_code 415 POST /jobs -H "$A" -H "Content-Type: application/x-www-form-urlencoded" -d 'command=id'
expect_code 400 POST /jobs -H "$A" -H "$J" -d '{"command": '
expect_code 400 POST /jobs -H "$A" -H "$J" -d '[1]'
head -c 2000000 /dev/zero | tr '\0' 'x' >"$T/big"
got=$(code POST /jobs -H "$A" -H "$J" --data-binary @"$T/big")
[ "$got" = 413 ] || fail "a 2 MB body: $got"
expect_code 404 GET "/runs/1/../../../etc/passwd" -H "$A"
expect_code 404 GET "/runs/-1/log" -H "$A"
expect_code 405 DELETE /tasks -H "$A"
expect_code 404 GET /../etc/passwd
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")" = 200 ] ||
	fail "the page is not served"

# The API as its OpenAPI file says: the same endpoints, each there.
curl -sf "http://127.0.0.1:$port/openapi.yaml" >"$T/openapi.yaml" || fail "no openapi.yaml"
python3 - "$T/openapi.yaml" "$U" "$token" "$id" <<'PY' || fail "openapi.yaml"
import sys, urllib.request, urllib.error, yaml
doc, base, token, run = yaml.safe_load(open(sys.argv[1])), sys.argv[2], sys.argv[3], sys.argv[4]
assert doc["openapi"].startswith("3."), doc["openapi"]
served = {"/whoami": {"get"}, "/status": {"get"}, "/tasks": {"get"},
          "/tasks/{name}": {"get"}, "/tasks/{name}/run": {"post"},
          "/tasks/{name}/pause": {"post"}, "/tasks/{name}/resume": {"post"},
          "/runs": {"get"}, "/runs/{id}": {"get"}, "/runs/{id}/log": {"get"},
          "/runs/{id}/kill": {"post"}, "/jobs": {"post"}, "/queue": {"get"},
          "/reload": {"post"}, "/events": {"get"}, "/metrics": {"get"},
          "/subscriptions": {"get", "post"}, "/subscriptions/{name}": {"delete"}}
documented = {p: {m for m in ops if m in ("get", "post", "delete")}
              for p, ops in doc["paths"].items()}
assert documented == served, (documented, served)
for path, methods in documented.items():
    if "get" not in methods or path == "/events":
        continue
    url = base + path.replace("{name}", "hello").replace("{id}", run)
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req) as r:
        assert r.status == 200, (path, r.status)
PY

# Writes are in the audit log under the token's name.
twctl --json audit -n 100 >"$T/audit.json"
python3 - "$T/audit.json" <<'PY' || fail "audit: $(cat "$T/audit.json")"
import json, sys
rows = json.load(open(sys.argv[1]))
runs = [r for r in rows if r["request"] == "run" and r["args"] == {"task": "hello"}]
assert runs and all(r["actor"] == "web:default" for r in runs), runs
assert all(r["exe"].endswith("/twweb") for r in runs), runs
PY

# Wrong tokens, many: the address waits, right token or not.
i=0
while [ "$i" -lt 20 ]; do
	code GET /status -H "Authorization: Bearer tw_guess$i" >/dev/null
	i=$((i + 1))
done
expect_code 429 GET /status -H "$A"

# Not on a network address without TLS, unless asked.
expect_rc 2 "$TWWEB" --listen "0.0.0.0:$(free_port)"
expect_contains "$(cat "$T/err")" "refusing to listen on 0.0.0.0"
expect_contains "$(cat "$T/err")" "--tls-cert"

# HTTPS with a certificate of the test's own.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 \
	-keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
tport=$(free_port)
"$TWWEB" --listen "$tport" --tls-cert "$T/cert.pem" --tls-key "$T/key.pem" \
	>"$T/tls.out" 2>"$T/tls.err" &
tls_pid=$!
at_cleanup "kill $tls_pid 2>/dev/null || true"
wait_until "twweb over TLS" test -s "$T/tls.out"
expect_contains "$(cat "$T/tls.out")" "https://127.0.0.1:$tport/"
[ "$(curl -s --cacert "$T/cert.pem" -o /dev/null -w '%{http_code}' -H "$A" \
	"https://127.0.0.1:$tport/api/v1/status")" = 200 ] || fail "no answer over TLS"
curl -s -m 5 -H "$A" "http://127.0.0.1:$tport/api/v1/status" >/dev/null 2>&1 &&
	fail "plain HTTP answered on the TLS port"
expect_rc 2 "$TWWEB" --listen "$(free_port)" --tls-cert "$T/cert.pem"
expect_contains "$(cat "$T/err")" "go together"
expect_rc 1 "$TWWEB" --listen "$(free_port)" --tls-cert "$T/key.pem" --tls-key "$T/cert.pem"
expect_contains "$(cat "$T/err")" "TLS with"
kill "$tls_pid"

# twctl web starts it in the background and stops it.
kill "$web_pid"
wait "$web_pid" 2>/dev/null || true
port2=$(free_port)
expect_rc 0 twctl web --listen "$port2"
expect_contains "$(cat "$T/out")" "twweb serves http://127.0.0.1:$port2/"
curl -sf -H "$A" "http://127.0.0.1:$port2/api/v1/status" >/dev/null ||
	fail "twctl web: not serving"
expect_rc 1 twctl web --listen "$port2"
expect_contains "$(cat "$T/err")" "twweb already runs"
expect_rc 0 twctl web token new --read-only --name phone
expect_contains "$(cat "$T/out")" "tw_"
expect_contains "$(twctl web tokens)" '"phone"'
expect_rc 0 twctl web stop
curl -s "http://127.0.0.1:$port2/" >/dev/null 2>&1 && fail "still serving after stop"
true
