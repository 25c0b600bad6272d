# Fires missed during three days of downtime: dropped (catch_up: none), run
# once (latest), replayed in order up to catch_up_max (all), and dropped
# past a starting deadline; what is dropped is one skipped run that says
# so. The downtime is made by writing the last fire into the history.
. "$(dirname "$0")/lib.sh"

# An hourly minute half an hour away, so the newest missed fire is about
# 30 minutes old, never on time, whenever the test runs.
now=$(date +%s)
minute=$(( ($(date -u +%-M) + 30) % 60 ))
newest=$(python3 -c "
import sys
now, m = $now, $minute
t = now - now % 60
while (t // 60) % 60 != m:
    t -= 60
print(t)")
last=$(( (newest - 72 * 3600) * 1000 ))
rule="$minute * * * *"
tasks <<YAML
defaults:
  timezone: UTC
tasks:
  dropped: {command: "true", schedule: "$rule"}
  latest: {command: "true", schedule: "$rule", catch_up: latest}
  replayed: {command: "true", schedule: "$rule", catch_up: all, catch_up_max: 5, overlap: queue}
  deadline: {command: "true", schedule: "$rule", catch_up: all, starting_deadline: 2h, overlap: queue}
YAML
# The schema comes from a first start; then the last fires are three days old.
start_twd
twctl shutdown >/dev/null
for t in dropped latest replayed deadline; do
	sqlite3 "$TW_STATE_DIR/twd.db" "INSERT INTO runs (task, trigger, scheduled_at, started_at, finished_at, status, exit_code) VALUES ('$t', 'schedule', $last, $last, $last, 'ok', 0)"
done
start_twd
count() { twctl --json history -n 100 "$1" | jget "len([r for r in d if $2])"; }
wait_until "the replays" sh -c "[ \"\$('$TWCTL' --json history replayed | python3 -c 'import json,sys; print(sum(r[\"status\"] == \"ok\" for r in json.load(sys.stdin)))')\" = 6 ]"
wait_until "the deadline runs" sh -c "[ \"\$('$TWCTL' --json history deadline | python3 -c 'import json,sys; print(sum(r[\"status\"] == \"ok\" for r in json.load(sys.stdin)))')\" = 3 ]"
wait_until "the latest run" sh -c "[ \"\$('$TWCTL' --json history latest | python3 -c 'import json,sys; print(sum(r[\"status\"] == \"ok\" for r in json.load(sys.stdin)))')\" = 2 ]"

# none: nothing ran; one record says 72 fires were missed.
[ "$(count dropped 'r["trigger"] == "catch-up"')" = 0 ] || fail "dropped ran: $(twctl history dropped)"
expect_contains "$(twctl --json history -n 1 dropped | jget 'd[0]["reason"]')" "72 fires from"
expect_contains "$(twctl --json history -n 1 dropped | jget 'd[0]["reason"]')" "(catch_up: none)"
[ "$(twctl --json history -n 1 dropped | jget 'd[0]["status"]')" = skipped ] || fail "dropped: not skipped"

# latest: one run, of the newest fire; the 71 before are folded into it.
[ "$(count latest 'r["trigger"] == "catch-up"')" = 1 ] || fail "latest: $(twctl history latest)"
[ "$(twctl --json history latest | jget '[r["scheduled_at"] for r in d if r["trigger"] == "catch-up"][0]')" = \
	"$(python3 -c "import datetime; print(datetime.datetime.fromtimestamp($newest, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.000Z'))")" ] ||
	fail "latest ran the wrong fire: $(twctl --json history latest)"
expect_contains "$(twctl --json history latest | jget '[r["reason"] for r in d if r["status"] == "skipped"][0]')" "71 fires from"

# all, at most 5: the newest five, oldest first; 67 dropped.
twctl --json history replayed | python3 -c '
import json, sys
runs = sorted((r for r in json.load(sys.stdin) if r["trigger"] == "catch-up"), key=lambda r: r["id"])
assert len(runs) == 5, runs
at = [r["scheduled_at"] for r in runs]
assert at == sorted(at), at
' || fail "replayed: $(twctl history replayed)"
expect_contains "$(twctl --json history replayed | jget '[r["reason"] for r in d if r["status"] == "skipped"][0]')" "67 fires from"

# A starting deadline of 2h: the fires about 30 and 90 minutes old run.
[ "$(count deadline 'r["trigger"] == "catch-up"')" = 2 ] || fail "deadline: $(twctl history deadline)"
expect_contains "$(twctl --json history deadline | jget '[r["reason"] for r in d if r["status"] == "skipped"][0]')" "70 fires from"
expect_contains "$(twctl --json history deadline | jget '[r["reason"] for r in d if r["status"] == "skipped"][0]')" "past the starting deadline of 2h"

# why tells each decision, for the last fire and for one in the downtime.
expect_contains "$(twctl why dropped)" "did not run: 72 fires from"
expect_contains "$(twctl why dropped)" "(catch_up: none)"
expect_contains "$(twctl why latest)" "(catch-up) started at"
expect_contains "$(twctl why deadline)" "(catch-up) started at"
downtime=$(python3 -c "import datetime; print(datetime.datetime.fromtimestamp($newest - 36 * 3600).strftime('%Y-%m-%dT%H:%M:%S'))")
expect_contains "$(twctl why --at "$downtime" dropped)" "did not run: run "
expect_contains "$(twctl why --at "$downtime" dropped)" "missed while twd was not running"
expect_contains "$(twctl why --at "$downtime" deadline)" "past the starting deadline of 2h"
expect_contains "$(twctl why --at "$downtime" replayed)" "more than catch_up_max 5"

# The grid moved on: a restart catches up nothing more.
twctl shutdown >/dev/null
start_twd
sleep 0.5
[ "$(count latest 'r["trigger"] == "catch-up"')" = 1 ] || fail "a restart caught up again"
