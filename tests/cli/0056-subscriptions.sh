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

# Made at run time through the web API, kept across a restart of twd.
web_start
token=$(sed -n 's|.*#token=\(tw_[0-9a-f]*\)$|\1|p' "$T/web.out")
viewer=$("$TWWEB" --new-token viewer --read-only)
W="http://127.0.0.1:$WEB_PORT/api/v1"
J="Content-Type: application/json"
post() { curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $1" -H "$J" -d "$2" "$W/subscriptions"; }
[ "$(post "$token" "{\"name\": \"api-hook\", \"events\": [\"run.finished\"], \"task\": \"good\", \"url\": \"$http/ok?api\", \"secret\": \"k2\"}")" = 200 ] ||
	fail "POST /subscriptions: $(cat "$T/body")"
[ "$(post "$viewer" '{"name": "x", "events": "run.*", "url": "http://127.0.0.1:1/"}')" = 403 ] ||
	fail "a read-only token made a subscription: $(cat "$T/body")"
[ "$(post "$token" '{"name": "x", "events": "run.nope", "url": "http://127.0.0.1:1/"}')" = 400 ] ||
	fail "a bad subscription: $(cat "$T/body")"
expect_contains "$(cat "$T/body")" "names no event"
[ "$(post "$token" '{"name": "ends", "events": "run.*", "url": "http://127.0.0.1:1/"}')" = 400 ] ||
	fail "the tasks file's subscription replaced: $(cat "$T/body")"
curl -s -H "Authorization: Bearer $viewer" "$W/subscriptions" >"$T/subs.json"
python3 - "$T/subs.json" <<'PY' || fail "GET /subscriptions: $(cat "$T/subs.json")"
import json, sys
subs = {s["name"]: s for s in json.load(open(sys.argv[1]))["subscriptions"]}
assert subs["api-hook"]["from"] == "api" and subs["api-hook"]["signed"], subs
assert "secret" not in subs["api-hook"], subs
assert subs["ends"]["from"] == "file", subs
PY
api_hits() { [ "$(grep -c '"path": "/ok?api"' "$T/hits.jsonl")" -ge "$1" ]; }
twctl run -w good >/dev/null
wait_until "the API's subscription posted" api_hits 1
twctl shutdown >/dev/null
wait "$TWD_PID" || true
start_twd
twctl run -w good >/dev/null
wait_until "the API's subscription posted after a restart" api_hits 2
python3 - "$T/hits.jsonl" <<'PY' || fail "api-hook: $(grep api "$T/hits.jsonl")"
import hashlib, hmac, json, sys
for h in (json.loads(l) for l in open(sys.argv[1])):
    if h["path"] == "/ok?api":
        want = "sha256=" + hmac.new(b"k2", h["body"].encode(), hashlib.sha256).hexdigest()
        assert h["headers"]["X-TaskWeaver-Signature"] == want, h
        assert json.loads(h["body"])["subscription"] == "api-hook"
PY
expect_contains "$(twctl status)" "subscription:api-hook"
del() { curl -s -o "$T/body" -w '%{http_code}' -X DELETE -H "Authorization: Bearer $1" "$W/subscriptions/$2"; }
[ "$(del "$viewer" api-hook)" = 403 ] || fail "a read-only token deleted: $(cat "$T/body")"
[ "$(del "$token" api-hook)" = 200 ] || fail "DELETE: $(cat "$T/body")"
[ "$(del "$token" api-hook)" = 404 ] || fail "DELETE twice: $(cat "$T/body")"
[ "$(del "$token" ends)" = 404 ] || fail "the file's deleted: $(cat "$T/body")"
# The file's subscription posts this run's end; the deleted one, not.
before=$(grep -c '"path": "/ok"' "$T/hits.jsonl")
twctl run -w good >/dev/null
more_ends() { [ "$(grep -c '"path": "/ok"' "$T/hits.jsonl")" -gt "$before" ]; }
wait_until "the file's subscription posted" more_ends
sleep 1 # the deleted one would have posted beside it
[ "$(grep -c '"path": "/ok?api"' "$T/hits.jsonl")" = 2 ] || fail "posted after its delete"
