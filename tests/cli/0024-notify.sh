# Failures reach the user: a mail through a fake sendmail, a command with
# the event on stdin, webhooks (generic and Slack) to a local listener, a
# desktop notification to a fake service on a private session bus; the
# rules tell a failure once and its recovery once; a webhook that never
# answers stalls nothing.
. "$(dirname "$0")/lib.sh"

helpers=""
trap 'rc=$?; [ -z "$helpers" ] || kill $helpers 2>/dev/null || true; (exit $rc); cleanup' EXIT
here=$(cd "$(dirname "$0")/.." && pwd)

# A sendmail that keeps each message it is given.
mkdir "$T/mail"
cat >"$T/sendmail" <<EOF
#!/bin/sh
[ "\$*" = "-t -oi" ] || echo "bad arguments: \$*" >&2
cat >"$T/mail/\$\$"
EOF
chmod +x "$T/sendmail"

# Two webhook listeners: one that answers, one that never does.
python3 "$here/helpers/http-sink.py" "$T/port" "$T/posts" &
helpers="$helpers $!"
python3 "$here/helpers/http-sink.py" "$T/hang-port" /dev/null hang &
helpers="$helpers $!"
wait_until "the listeners" sh -c "[ -s '$T/port' ] && [ -s '$T/hang-port' ]"
port=$(cat "$T/port")
hang=$(cat "$T/hang-port")

# A session bus at $XDG_RUNTIME_DIR/bus with a notification service on it;
# twd is not told its address and must find it there.
mkdir -m 700 "$T/run"
dbus-daemon --session --address="unix:path=$T/run/bus" --fork --print-pid >"$T/dbus-pid"
helpers="$helpers $(cat "$T/dbus-pid")"
DBUS_SESSION_BUS_ADDRESS="unix:path=$T/run/bus" "$FAKE_NOTIFYD" >"$T/desktop" &
helpers="$helpers $!"
wait_until "the notification service" grep -q ready "$T/desktop"
export XDG_RUNTIME_DIR="$T/run"
unset DBUS_SESSION_BUS_ADDRESS

tasks <<YAML
notifiers:
  me: {type: mail, to: me@example.org, from: tw@example.org, sendmail: ['$T/sendmail', -t, -oi]}
  log: {type: command, run: [sh, -c, 'cat >>"\$0/events"; echo "\$TW_NOTIFY_EVENT \$TW_TASK \$TW_STATUS \$TW_EXIT_CODE" >>"\$0/env"', '$T']}
  hook: {type: webhook, url: "http://127.0.0.1:$port/generic"}
  chat: {type: webhook, url: "http://127.0.0.1:$port/slack", format: slack}
  desk: {type: desktop}
  down: {type: webhook, url: "http://127.0.0.1:$hang/", timeout: 4s}
defaults:
  notify: {on: [failure, recovery, config_error], via: [log]}
tasks:
  flaky:
    command: 'echo copying; echo "disk full" >&2; [ -e "$T/fixed" ]'
    notify: {on: [failure, recovery], via: [me, log, hook, chat, desk]}
  retried:
    command: exit 4
    retries: 1
    retry_delay: 1s
  often:
    command: exit 5
    notify_every: 1s
YAML
start_twd

# notify-test: every notifier answers, but the one that is down.
expect_rc 1 twctl notify-test
for n in me log hook chat desk; do
	expect_contains "$(cat "$T/out")" "$n: sent"
done
expect_contains "$(cat "$T/out")" "down: failed: "
# While a delivery hangs (its webhook never answers), twd answers at once.
"$TWCTL" notify-test down >/dev/null 2>&1 &
hanging=$!
sleep 0.3
twctl status >/dev/null
kill -0 "$hanging" || fail "the hanging delivery was over before status answered"
wait "$hanging" && fail "notify-test down succeeded" || true
expect_rc 0 twctl notify-test desk
expect_contains "$(cat "$T/desktop")" "app=TaskWeaver	urgency=1	summary=TaskWeaver test"
expect_rc 1 twctl notify-test nosuch
expect_contains "$(cat "$T/err")" "no notifier named 'nosuch'"
rm -f "$T"/mail/* "$T/posts" "$T/events" "$T/env"

# A failure, told once through each; the second failure is not told.
twctl run flaky >/dev/null
wait_until "the failure's mail" sh -c "ls '$T/mail' | grep -q ."
wait_until "the failure's webhooks" sh -c "[ \$(wc -l <'$T/posts') = 2 ]"
wait_until "the failure on the desktop" grep -q "summary=flaky failed: exit 1" "$T/desktop"
mail=$(cat "$T"/mail/*)
expect_contains "$mail" "To: me@example.org"
expect_contains "$mail" "From: tw@example.org"
expect_contains "$mail" "Subject: [TaskWeaver] flaky failed: exit 1"
expect_contains "$mail" "X-TaskWeaver-Task: flaky"
expect_contains "$mail" "Auto-Submitted: auto-generated"
expect_contains "$mail" "Its last lines of output:
copying
disk full"
expect_contains "$mail" "The whole log: twctl logs flaky --run 1"
python3 - "$T/posts" <<'EOF' || fail "webhooks: $(cat "$T/posts")"
import json, sys
posts = {p["path"]: p for p in map(json.loads, open(sys.argv[1]))}
g = json.loads(posts["/generic"]["body"])
assert posts["/generic"]["type"] == "application/json", posts
assert g["event"] == "failure" and g["task"] == "flaky", g
assert g["run"]["exit_code"] == 1 and g["output"] == ["copying", "disk full"], g
assert g["log_command"] == "twctl logs flaky --run 1", g
s = json.loads(posts["/slack"]["body"])
assert s["text"].startswith("*flaky failed: exit 1*\n"), s
EOF
expect_contains "$(cat "$T/desktop")" "urgency=2	summary=flaky failed: exit 1	body=Run 1 of flaky"
[ "$(cat "$T/env")" = "failure flaky failed 1" ] || fail "command env: $(cat "$T/env")"
[ "$(jget 'd["event"]' <"$T/events")" = failure ] || fail "command stdin: $(cat "$T/events")"
twctl run flaky >/dev/null
wait_until "the second failure" sh -c "[ \$('$TWCTL' --json history flaky | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') = 2 ]"
sleep 0.5
[ "$(ls "$T/mail" | wc -l)" = 1 ] || fail "the second failure was told"

# The recovery, once.
touch "$T/fixed"
twctl run flaky >/dev/null
wait_until "the recovery's mail" sh -c "[ \$(ls '$T/mail' | wc -l) = 2 ]"
expect_contains "$(cat "$T"/mail/* | grep Subject:)" "Subject: [TaskWeaver] flaky recovered"
wait_until "the recovery on the desktop" grep -q "urgency=0	summary=flaky recovered" "$T/desktop"
twctl run flaky >/dev/null
wait_until "flaky ok again" sh -c "[ \$('$TWCTL' --json history flaky | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') = 4 ]"
sleep 0.5
[ "$(ls "$T/mail" | wc -l)" = 2 ] || fail "a second success was told"

# Retries: the first attempt's failure is no failure; the last one is.
: >"$T/env"
twctl run retried >/dev/null
wait_until "both attempts" sh -c "[ \$('$TWCTL' --json history retried | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') = 2 ] && grep -q retried '$T/env'"
sleep 0.5
[ "$(grep -c retried "$T/env")" = 1 ] || fail "retried told: $(cat "$T/env")"
expect_contains "$(cat "$T/env")" "failure retried failed 4"

# notify_every: told again once that much time has passed.
twctl run often >/dev/null
wait_until "often's failure" grep -q "failure often" "$T/env"
twctl run often >/dev/null
sleep 0.3
[ "$(grep -c "failure often" "$T/env")" = 1 ] || fail "often told twice at once"
sleep 1
twctl run often >/dev/null
wait_until "often's failure told again" sh -c "[ \$(grep -c 'failure often' '$T/env') = 2 ]"

# The webhook that never answers: status stays quick, and says so.
# (libcurl's own timeout says it, or on a slow machine the delivery's.)
expect_contains "$(twctl status)" "down (webhook): 0 sent, 2 failed; failing: "
twctl status | grep -Eq "down .*(POST http://127.0.0.1:$hang/: Operation timed out|no answer within its timeout of 4)" ||
	fail "down: $(twctl status)"
expect_contains "$(twctl status)" "desk (desktop): "

# A reload that fails is told, and the schedule goes on.
cp "$TW_CONFIG" "$T/good.yaml"
printf 'tasks:\n  broken: {comand: x}\n' >"$TW_CONFIG"
kill -HUP "$TWD_PID"
wait_until "the config error" grep -q config_error "$T/env"
expect_contains "$(tail -n 1 "$T/events")" "unknown field 'comand'"
twctl show flaky >/dev/null || fail "the old schedule is gone"

# Bad notifier settings are refused with the place and the value.
cat >"$TW_CONFIG" <<'YAML'
notifiers:
  a: {type: mial}
  b: {type: mail}
  c: {type: webhook, url: ftp://x, to: me@x}
  d: {type: command, run: []}
tasks:
  t: {command: "true", notify: {on: [failur], via: [e]}}
YAML
expect_rc 1 "$TWD" --foreground --socket "$T/other.sock"
expect_contains "$(cat "$T/err")" "tasks.yaml:2:13: type: 'mial' is not desktop, mail, webhook or command (did you mean 'mail'?)"
expect_contains "$(cat "$T/err")" "notifier 'b' (mail) has no 'to' address"
expect_contains "$(cat "$T/err")" "url: 'ftp://x' is not an http:// or https:// URL"
expect_contains "$(cat "$T/err")" "'to' is a setting of mail notifiers, not of webhook ones"
expect_contains "$(cat "$T/err")" "notify: on: 'failur' is not failure, retry, recovery, success, skipped, config_error or state_error (did you mean 'failure'?)"
expect_contains "$(cat "$T/err")" "notify: via: no notifier named 'e'"
cp "$T/good.yaml" "$TW_CONFIG"
