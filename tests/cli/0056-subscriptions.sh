# subscriptions: events POSTed to a callback URL as they happen, through
# twd-deliver: the body is the event, signed with the secret (an HMAC the
# receiver verifies), filtered by task and status; a callback that hangs
# delays neither the other callbacks nor the socket; a failed delivery is
# counted in twctl status.
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")/.." && pwd)

python3 "$HERE/helpers/http-fake.py" "$T/http.port" "$T/hits.jsonl" &
HTTP_PID=$!
at_cleanup 'kill "$HTTP_PID" 2>/dev/null || true'
wait_until "the HTTP server" test -s "$T/http.port"
http="http://127.0.0.1:$(cat "$T/http.port")"

tasks <<YAML
subscriptions:
  ends:
    events: run.finished
    url: $http/ok
    secret: s3cret-value
  failures:
    events: [run.finished]
    status: failed
    task: bad
    url: $http/ok?failures
  hangs:
    events: run.*
    url: $http/slow
    timeout: 20s
  broken:
    events: run.finished
    task: good
    url: $http/fail
    timeout: 3s
tasks:
  good: {command: "true"}
  bad: {command: "exit 3"}
YAML
start_twd

twctl run -w good >/dev/null
expect_rc 3 twctl run -w bad
# The socket answers while a callback hangs.
twctl status >/dev/null || fail "the socket does not answer"
ends() { [ "$(grep -c '"path": "/ok"' "$T/hits.jsonl" 2>/dev/null)" -ge 2 ]; }
wait_until "both ends delivered" ends
failures() { grep -q '"path": "/ok?failures"' "$T/hits.jsonl"; }
wait_until "the failure delivered" failures

python3 - "$T/hits.jsonl" <<'PY' || fail "deliveries: $(cat "$T/hits.jsonl")"
import hashlib, hmac, json, sys
hits = [json.loads(l) for l in open(sys.argv[1])]
ends = [h for h in hits if h["path"] == "/ok"]
assert len(ends) == 2, ends
for h in ends:
    sig = h["headers"]["X-TaskWeaver-Signature"]
    want = "sha256=" + hmac.new(b"s3cret-value", h["body"].encode(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(sig, want), (sig, want)
    assert h["headers"]["X-TaskWeaver-Event"] == "run.finished", h
    ev = json.loads(h["body"])
    assert ev["event"] == "run.finished" and ev["subscription"] == "ends", ev
assert sorted(json.loads(h["body"])["data"]["task"] for h in ends) == ["bad", "good"]
fails = [h for h in hits if h["path"] == "/ok?failures"]
assert len(fails) == 1, fails
ev = json.loads(fails[0]["body"])
assert ev["data"]["task"] == "bad" and ev["data"]["status"] == "failed", ev
assert "X-TaskWeaver-Signature" not in fails[0]["headers"], fails[0]
PY

# The broken callback (500, retried) is a failed delivery in twctl status.
broken_counted() {
	[ "$(twctl --json status | jget '[n["failed"] for n in d["notifiers"] if n["name"] == "subscription:broken"][0]')" = 1 ]
}
wait_until "the broken callback's failure counted" broken_counted
expect_contains "$(twctl status)" "subscription:broken"

# A subscription's mistakes are said where they are.
cat >"$T/bad.yaml" <<YAML
subscriptions:
  a: {events: run.nothing, url: $http/ok}
  b: {events: run.finished, url: ftp://x}
  c: {url: $http/ok}
  d: {events: run.finished, url: $http/ok, status: fine}
tasks: {}
YAML
expect_rc 1 twctl check "$T/bad.yaml"
out=$(cat "$T/out" "$T/err")
expect_contains "$out" "bad.yaml:2:15: events: 'run.nothing' names no event"
expect_contains "$out" "bad.yaml:3:34: url: 'ftp://x' is not an http:// or https:// URL"
expect_contains "$out" "bad.yaml:4:3: subscription 'c' has no 'events'"
expect_contains "$out" "status: 'fine' is not a run status"
expect_contains "$out" "4 errors in"
