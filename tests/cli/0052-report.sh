# twctl report: per task the runs by status, success rate, durations,
# CPU and memory, lateness and the longest failure streak, sorted by
# failures; from the daemon, or with none from the state directory; and
# as one HTML page that headless Chromium renders without an error.
. "$(dirname "$0")/lib.sh"

tasks <<YAML
tasks:
  good: {command: "true"}
  bad: {command: "exit 1"}
  flaky: {command: "exit 0"}
  tick: {every: 1s, command: "true"}
YAML
start_twd

for i in 1 2 3; do twctl run -w good >/dev/null; done
for i in 1 2; do expect_rc 1 twctl run -w bad; done
twctl run -w flaky >/dev/null
twctl submit -w -- true >/dev/null
twctl submit -w -n named -- true >/dev/null
two_ticks() { [ "$(twctl --json history tick | jget 'len(d)')" -ge 2 ]; }
wait_until "two scheduled runs" two_ticks
twctl pause tick >/dev/null

twctl --json report >"$T/r.json"
python3 - "$T/r.json" <<'PY' || fail "report: $(cat "$T/r.json")"
import json, sys
r = json.load(open(sys.argv[1]))
rows = {t["task"]: t for t in r["tasks"]}
names = [t["task"] for t in r["tasks"]]
# Failures first, then by name; submitted jobs are one row.
assert names[0] == "bad", names
assert names[1:] == sorted(names[1:]), names
assert "(submitted)" in rows and "named" not in rows, names
assert rows["(submitted)"]["runs"] == 2, rows["(submitted)"]
bad, good = rows["bad"], rows["good"]
assert bad["by_status"]["failed"] == 2 and bad["failures"] == 2, bad
assert bad["success_rate"] == 0 and bad["longest_failure_streak"] == 2, bad
assert good["runs"] == 3 and good["success_rate"] == 1, good
assert good["duration_ms"]["p50"] <= good["duration_ms"]["max"], good
assert good["max_rss_kb"] > 0 and good["cpu_ms"] is not None, good
assert len(good["recent"]) == 3, good
assert good["lateness_ms"] is None, good          # run by hand
assert rows["tick"]["lateness_ms"]["p95"] >= 0, rows["tick"]
total = r["total"]
assert total["runs"] == sum(t["runs"] for t in r["tasks"]), total
assert total["failures"] == 2 and total["tasks"] == len(names), total
assert sum(sum(d["by_status"].values()) for d in r["days"]) == total["runs"]
PY

# Only the tasks named; the table has a total line.
[ "$(twctl --json report bad good | jget '[t["task"] for t in d["tasks"]]')" = \
	'["bad", "good"]' ] || fail "report bad good: $(twctl --json report bad good)"
out=$(twctl report --since 30d)
expect_contains "$out" "total"
expect_contains "$out" "bad"
expect_contains "$(twctl report --since 2099-01-01T00:00 2>&1 || true)" "past"

# HTML, rendered by a real browser.
twctl report --format html >"$T/report.html"
expect_contains "$(cat "$T/report.html")" "<svg"
if command -v chromium >/dev/null 2>&1; then
	(cd "$T" && timeout 120 chromium --headless --no-sandbox --disable-gpu \
		--user-data-dir="$T/chromium" --enable-logging=stderr --v=0 \
		--window-size=1280,900 --screenshot="$T/report.png" \
		"file://$T/report.html") >/dev/null 2>"$T/chromium.err" ||
		fail "chromium: $(tail -5 "$T/chromium.err")"
	[ -s "$T/report.png" ] || fail "no screenshot"
	timeout 120 chromium --headless --no-sandbox --disable-gpu \
		--user-data-dir="$T/chromium" --enable-logging=stderr --v=0 \
		--dump-dom "file://$T/report.html" >"$T/dom.html" 2>>"$T/chromium.err"
	if grep CONSOLE "$T/chromium.err"; then
		fail "the page logged to the console"
	fi
	python3 - "$T/dom.html" <<'PY' || fail "rendered DOM: $(head -c 2000 "$T/dom.html")"
import sys
dom = open(sys.argv[1]).read()
assert dom.count("<svg") == 1 + 5, dom.count("<svg")   # days, and a chart per task
assert "<td>bad</td>" in dom and "Total" in dom
assert dom.count('class="fail"') == 2, dom.count('class="fail"')
PY
else
	echo "skip: no chromium to render the HTML report"
fi

# No daemon: read from the state directory, the same figures.
twctl shutdown >/dev/null
wait "$TWD_PID" || fail "twd exited non-zero"
TWD_PID=
PATH="$(dirname "$TWD"):$PATH" twctl --json report --state-dir "$TW_STATE_DIR" \
	>"$T/direct.json" || fail "report --state-dir"
python3 - "$T/r.json" "$T/direct.json" <<'PY' || fail "direct: $(cat "$T/direct.json")"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
# (tick, paused, goes on being skipped: not compared.)
strip = lambda r: {t["task"]: (t["by_status"], t["longest_failure_streak"])
                   for t in r["tasks"] if t["task"] != "tick"}
assert strip(a) == strip(b), (strip(a), strip(b))
PY
PATH="$(dirname "$TWD"):$PATH" twctl report >"$T/out" 2>"$T/err" ||
	fail "report with no daemon: $(cat "$T/err")"
expect_contains "$(cat "$T/err")" "twd is not running; reading the history in $TW_STATE_DIR"
expect_contains "$(cat "$T/out")" "bad"
