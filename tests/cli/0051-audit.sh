# The audit log: each request that changes something is recorded once,
# with the uid and program of who asked, refused ones as refused; reads
# only with audit: {reads: true}; a reload twd made on its own is twd's,
# with what it changed; and the rows outlive a kill -9.
. "$(dirname "$0")/lib.sh"

tasks <<YAML
notifiers:
  log: {type: command, run: ["true"]}
tasks:
  a: {command: "true"}
  slow: {command: "sleep 30"}
YAML
start_twd

twctl run -w a >/dev/null
twctl run slow >/dev/null
wait_until "slow to start" run_status_is slow running
twctl kill slow >/dev/null
twctl pause a >/dev/null
twctl resume a >/dev/null
id=$(twctl submit -w -- true | sed -n 's/^started run \([0-9]*\).*/\1/p')
twctl restart "$(twctl --json history -n 1 a | jget 'd[0]["id"]')" \
	>/dev/null
twctl reload >/dev/null
twctl reload -n >/dev/null
twctl notify-test log >/dev/null
twctl clean >/dev/null
expect_rc 1 twctl run nosuch
# Reads are not recorded.
twctl status >/dev/null
twctl list >/dev/null
twctl history >/dev/null

twctl --json audit >"$T/audit.json"
python3 - "$T/audit.json" "$(id -u)" "$TWCTL" <<'PY' || fail "audit: $(cat "$T/audit.json")"
import json, sys
rows, uid, twctl = json.load(open(sys.argv[1])), int(sys.argv[2]), sys.argv[3]
rows.reverse()  # oldest first
asked = [r["request"] for r in rows]
want = ["run", "run", "kill", "pause", "resume", "submit", "restart",
        "reload", "notify-test", "clean", "run"]
assert asked == want, asked
for r in rows:
    assert r["uid"] == uid, r
    assert r["pid"] > 0, r
    assert r["exe"].endswith("/twctl"), r
    assert r["cmdline"].startswith(twctl + " "), r
assert rows[0]["args"] == {"task": "a"}, rows[0]
assert all(r["ok"] for r in rows[:-1]), rows
assert rows[-1]["ok"] is False and rows[-1]["args"] == {"task": "nosuch"}
assert "no task named 'nosuch'" in rows[-1]["error"], rows[-1]
assert rows[7]["changes"] == {"added": [], "removed": [], "changed": []}
PY
expect_contains "$(twctl audit)" "refused: no task named 'nosuch'"
expect_contains "$(twctl audit -n 1)" "nosuch"
[ "$(twctl audit -n 1 | wc -l)" = 2 ] || fail "audit -n 1: $(twctl audit -n 1)"
expect_contains "$(twctl audit --since 2030-01-01T00:00)" "no requests recorded"

# A change of the file: twd's own row, with what changed.
tasks <<YAML
audit: {reads: true}
notifiers:
  log: {type: command, run: ["true"]}
tasks:
  a: {command: "true"}
  b: {command: "true"}
YAML
# (Once it is loaded, reads are recorded: the polling's own among them.)
own() { twctl --json audit -n 20 | jget '[r for r in d if r["uid"] is None]'; }
twds_reload() { [ "$(own)" != "[]" ]; }
wait_until "the reload of the changed file" twds_reload
own >"$T/own.json"
python3 - "$T/own.json" <<'PY' || fail "own reload: $(cat "$T/own.json")"
import json, sys
[r] = json.load(open(sys.argv[1]))
assert r["request"] == "reload", r
assert r["uid"] is None and r["pid"] is None, r
assert [a["task"] for a in r["changes"]["added"]] == ["b"], r
assert r["changes"]["removed"] == ["slow"], r
PY
# Now reads are recorded too, a report (answered later, from its thread)
# when it is answered.
twctl status >/dev/null
[ "$(twctl --json audit -n 1 | jget 'd[0]["request"]')" = status ] ||
	fail "status not recorded: $(twctl --json audit -n 2)"
twctl report >/dev/null
[ "$(twctl --json audit -n 1 | jget '[(r["request"], r["ok"]) for r in d]')" = '[["report", true]]' ] ||
	fail "report not recorded: $(twctl --json audit -n 2)"

# Written: a kill -9 loses none.
twctl --json audit -n 10000 | jget 'sorted(r["id"] for r in d)' >"$T/before"
kill -KILL "$TWD_PID"
wait "$TWD_PID" 2>/dev/null || true
start_twd
last=$(jget 'd[-1]' <"$T/before")
twctl --json audit -n 10000 |
	jget "sorted(r['id'] for r in d if r['id'] <= $last)" >"$T/after"
cmp -s "$T/before" "$T/after" ||
	fail "after kill -9: $(cat "$T/after"), not $(cat "$T/before")"

# shutdown too, recorded before twd goes.
twctl shutdown >/dev/null
wait "$TWD_PID" || fail "twd did not exit 0 on shutdown"
start_twd
[ "$(twctl --json audit -n 10000 |
	jget 'len([r for r in d if r["request"] == "shutdown"])')" = 1 ] ||
	fail "shutdown not recorded once"
