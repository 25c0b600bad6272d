# Plugins that misbehave are contained: a describe that is not JSON, that
# hangs (bounded), that speaks another protocol or gives a type this twd
# does not know is a load error at the type's place; a run that crashes is
# failed with its signal, one that floods is cut at max_output, one that
# ignores SIGTERM at its timeout is killed; twd goes on through all.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/plugins"
for n in bad-json hang old bad-schema notifier-only crash flood stubborn pager progress; do
	ln -s "$(cd "$(dirname "$0")/.." && pwd)/helpers/test-plugin" "$T/plugins/$n"
done

cat >"$T/bad.yaml" <<YAML
plugin_path: [$T/plugins]
tasks:
  a: {type: bad-json}
  b: {type: hang}
  c: {type: old}
  d: {type: bad-schema}
  e: {type: notifier-only}
  f: {type: nowhere}
notifiers:
  n1: {type: crash}
  n2: {type: pager, with: {chanel: x}}
  n3: {type: smoke-signal}
YAML
expect_rc 1 twctl check "$T/bad.yaml"
err=$(cat "$T/err")
expect_contains "$err" "bad.yaml:3:13: type: plugin 'bad-json' ($T/plugins/bad-json): 'describe' did not print JSON"
expect_contains "$err" "bad.yaml:4:13: type: plugin 'hang' ($T/plugins/hang): 'describe' did not end within 5 s"
expect_contains "$err" "bad.yaml:5:13: type: plugin 'old' ($T/plugins/old): it speaks protocol 99; this twd speaks 1"
expect_contains "$err" "parameter 'x' has no type of string"
expect_contains "$err" "bad.yaml:7:13: type: plugin 'notifier-only' is a notifier, not a task type"
expect_contains "$err" "bad.yaml:8:13: type: no plugin named 'nowhere' (an executable file) in $T/plugins, $HOME/.local/share/taskweaver/plugins, "
expect_contains "$err" "type: plugin 'crash' is a task type, not a notifier"
expect_contains "$err" "with: plugin 'pager' has no parameter 'chanel' (did you mean 'channel'?)"
expect_contains "$err" "type: 'smoke-signal' is not desktop, mail, webhook or command, nor a plugin"

tasks <<YAML
plugin_path: [$T/plugins]
notifiers:
  page: {type: pager, with: {channel: ops}, timeout: 10s}
tasks:
  crash: {type: crash, notify: {on: [failure], via: [page]}}
  flood: {type: flood, max_output: 1M}
  stubborn: {type: stubborn, timeout: 1s, kill_grace: 1s}
  progress: {type: progress}
YAML
PAGER_OUT="$T/paged" PROGRESS_GO="$T/go" start_twd
expect_rc 139 twctl run -w crash
[ "$(twctl --json history -n 1 crash | jget 'd[0]["signal"]')" = 11 ] ||
	fail "crash: $(twctl history -n 1 crash)"
expect_rc 0 twctl run -w flood
[ "$(twctl --json history -n 1 flood | jget 'd[0]["truncated"]')" = True ] ||
	fail "flood: $(twctl --json history -n 1 flood)"
# The crash was told through the notifier plugin: its request, the event
# in it.
wait_until "the pager plugin to be told" test -s "$T/paged"
python3 - "$T/paged" <<'PY' || fail "paged: $(cat "$T/paged")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["protocol"] == 1 and r["notifier"] == "page", r
assert r["params"] == {"channel": "ops"}, r
assert r["event"]["event"] == "failure" and r["event"]["task"] == "crash", r
PY
expect_rc 137 twctl run -w stubborn
run_status_is stubborn timeout || fail "stubborn: $(twctl history -n 1 stubborn)"
twctl status >/dev/null || fail "twd is not well after them"

# ::progress and ::summary lines: with the run while it goes, and after.
twctl run progress >/dev/null
wait_until "progress to say 40%" sh -c \
	"'$TWCTL' history -n 1 progress | grep -q 'running 40%: halfway'"
touch "$T/go"
wait_until "progress to end" run_status_is progress ok
expect_contains "$(twctl history -n 1 progress)" "ok: copied 3 files"
[ "$(twctl --json history -n 1 progress | jget 'd[0]["summary"]')" = "copied 3 files" ] ||
	fail "summary: $(twctl --json history -n 1 progress)"
