# The http task type (a plugin, build/plugins/http) against a local HTTP
# server and a local HTTPS one with a self-signed certificate: the
# request as the task says it (method, headers and ${VAR} from the task's
# env, JSON body), status, headers and body in the log, a status not
# expected failing the run, 503 retried (exit 75) then ok, TLS refused
# unless insecure: true; and with: checked against its schema by check.
. "$(dirname "$0")/lib.sh"

PLUGINS=$(dirname "$TWD")/plugins
HERE=$(cd "$(dirname "$0")/.." && pwd)
python3 "$HERE/helpers/http-fake.py" "$T/http.port" "$T/requests.jsonl" &
HTTP_PID=$!
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
	-keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
python3 "$HERE/helpers/http-fake.py" "$T/https.port" "$T/requests.jsonl" \
	"$T/cert.pem" "$T/key.pem" &
HTTPS_PID=$!
at_cleanup 'kill "$HTTP_PID" "$HTTPS_PID" 2>/dev/null || true'
wait_until "the HTTP servers" test -s "$T/http.port" -a -s "$T/https.port"
http="http://127.0.0.1:$(cat "$T/http.port")"
https="https://127.0.0.1:$(cat "$T/https.port")"

EXAMPLES=$(cd "$(dirname "$0")/../../examples/plugins" && pwd)
tasks <<YAML
plugin_path: [$PLUGINS, $EXAMPLES]
notifiers:
  phone:
    type: twilio-sms
    with: {account: AC1, token: tok, from: "+15550001111", to: "+15552223333",
           base_url: "$http"}
tasks:
  told: {command: "exit 4", notify: {on: [failure], via: [phone]}}
  backup: {type: pg-backup, with: {database: shop, dir: ~/dumps, keep: 3}}
  ping:
    type: http
    with:
      method: POST
      url: "$http/ok?from=\${WHO}"
      headers: {Authorization: "Bearer \${TOKEN}"}
      json: {full: true, n: 3}
    env: {TOKEN: s3cret, WHO: tw}
  failing: {type: http, with: {url: "$http/fail"}}
  flaky:
    type: http
    with: {url: "$http/flaky", retries_on_status: [503]}
    retries: 2
    retry_delay: 1s
  big: {type: http, with: {url: "$http/big", max_body: 1000}}
  tls: {type: http, with: {url: "$https/ok"}}
  tls-insecure: {type: http, with: {url: "$https/ok", insecure: true}}
  unset: {type: http, with: {url: "$http/ok/\${NOPE}"}}
YAML
start_twd

# The request went as the task said, and its answer is in the log.
expect_rc 0 twctl run -w ping
python3 - "$T/requests.jsonl" <<'PY' || fail "request: $(cat "$T/requests.jsonl")"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])][-1]
assert r["method"] == "POST" and r["path"] == "/ok?from=tw", r
assert r["headers"]["Authorization"] == "Bearer s3cret", r
assert r["headers"]["Content-Type"] == "application/json", r
assert json.loads(r["body"]) == {"full": True, "n": 3}, r
PY
log=$(twctl logs ping)
expect_contains "$log" "> POST $http/ok?from=tw"
expect_contains "$log" "HTTP/1.0 200 OK"
expect_contains "$log" "X-Fake: yes"
expect_contains "$log" '{"ok": true}'

# A status not expected fails the run, and says which.
expect_rc 1 twctl run -w failing
expect_contains "$(twctl logs --stderr failing)" "status 500 is not one expected"

# 503 asks to be tried again (exit 75): the retry gets 200.
twctl run flaky >/dev/null
wait_until "flaky's retry to succeed" run_status_is flaky ok
[ "$(twctl --json history flaky | jget 'len(d)')" = 2 ] ||
	fail "flaky: $(twctl history flaky)"
[ "$(twctl --json history flaky | jget 'd[1]["exit_code"]')" = 75 ] ||
	fail "flaky's first: $(twctl history flaky)"

# The body logged is capped.
expect_rc 0 twctl run -w big
expect_contains "$(twctl logs big)" "199000 more bytes of the body not logged"

# TLS is checked unless the task says otherwise.
expect_rc 1 twctl run -w tls
expect_contains "$(twctl logs --stderr tls)" "certificate"
expect_rc 0 twctl run -w tls-insecure

# ${VAR} comes from the task's env only.
expect_rc 1 twctl run -w unset
expect_contains "$(twctl logs --stderr unset)" "\${NOPE} is not in the task's env"

# with: is checked against the plugin's schema, where it is.
cat >"$T/bad.yaml" <<YAML
plugin_path: [$PLUGINS]
tasks:
  a: {type: http, with: {url: x, methd: GET}}
  b: {type: http, with: {url: x, method: FETCH, timeout: soon}}
  c: {type: http, with: {method: GET}}
  d: {type: http, with: {url: x}, command: "true"}
YAML
expect_rc 1 twctl check "$T/bad.yaml"
err=$(cat "$T/err")
expect_contains "$err" "bad.yaml:3:34: with: plugin 'http' has no parameter 'methd' (did you mean 'method'?)"
expect_contains "$err" "bad.yaml:4:42: with: method: 'FETCH' is not one of its values"
expect_contains "$err" "bad.yaml:4:58: with: timeout: "
expect_contains "$err" "bad.yaml:5:25: with: plugin 'http' needs 'url'"
expect_contains "$err" "bad.yaml:6:13: 'type' runs a plugin"

# The SMS example notifier, against the fake of Twilio's API.
expect_rc 4 twctl run -w told
wait_until "the SMS to be sent" grep -q Messages.json "$T/requests.jsonl"
python3 - "$T/requests.jsonl" <<'PY' || fail "SMS: $(cat "$T/requests.jsonl")"
import base64, json, sys, urllib.parse
r = [json.loads(l) for l in open(sys.argv[1]) if "Messages.json" in l][-1]
assert r["method"] == "POST", r
assert r["path"] == "/2010-04-01/Accounts/AC1/Messages.json", r
assert r["headers"]["Authorization"] == "Basic " + base64.b64encode(b"AC1:tok").decode(), r
form = urllib.parse.parse_qs(r["body"])
assert form["To"] == ["+15552223333"] and form["From"] == ["+15550001111"], form
assert "told" in form["Body"][0], form
PY
[ "$(twctl --json status | jget '[n for n in d["notifiers"] if n["name"] == "phone"][0]["sent"]')" = 1 ] ||
	fail "phone: $(twctl status)"

# twctl plugins finds them, and shows their parameters.
expect_contains "$(twctl plugins)" "pg-backup"
expect_contains "$(twctl plugins)" "twilio-sms"
expect_contains "$(twctl plugins show pg-backup)" '["custom","plain"]'

expect_contains "$(TW_CONFIG="$TW_CONFIG" twctl plugins)" "http"
expect_contains "$(twctl plugins show http)" "expect_status"
