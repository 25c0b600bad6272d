# on: path: 500 files made in a burst are one run whose TW_PATHS lists
# them all (and none the glob leaves out); per_file makes a run for each,
# queued through the queue's limit; a watched directory removed and made
# again is still watched; one not there at the start is watched once it
# appears; files made while twd is down are found at the next start, and
# run or are recorded skipped by catch_up.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/inbox" "$T/each"
tasks <<YAML
queues:
  files: {max_concurrent: 2}
tasks:
  import:
    command: 'echo "\$TW_TRIGGER \$(wc -l <"\$TW_PATHS")" >>$T/import.out; cp "\$TW_PATHS" $T/import.\$TW_RUN_ID'
    on:
      path: {watch: [$T/inbox], events: [created, moved_to], glob: "*.csv", debounce: 1s}
    overlap: queue
    catch_up: latest
  each:
    command: 'echo "\$TW_PATH" >>$T/each.out'
    on:
      path: {watch: $T/each, per_file: true, debounce: 1s}
    overlap: allow
    queue: files
  late:
    command: 'cat "\$TW_PATHS" >>$T/late.out'
    on:
      path: {watch: [$T/later/deeper], debounce: 0s}
YAML
twctl check >"$T/check" 2>&1 || fail "check: $(cat "$T/check")"
grep -q "later/deeper.*watched once it appears" "$T/check" ||
	fail "no warning for a directory not there: $(cat "$T/check")"
start_twd

runs() { twctl --json history -n 1000 "$1" | jget 'len(d)'; }
runs_are() { [ "$(runs "$1")" = "$2" ]; }
ok_runs_are() {
	[ "$(twctl --json history -n 1000 "$1" |
		jget 'len([r for r in d if r["status"] == "ok"])')" = "$2" ]
}

# A burst: 500 .csv and 20 .txt the glob leaves out.
i=0
while [ $i -lt 500 ]; do
	: >"$T/inbox/f$i.csv"
	i=$((i + 1))
done
i=0
while [ $i -lt 20 ]; do
	: >"$T/inbox/n$i.txt"
	i=$((i + 1))
done
wait_until "import runs for the burst" ok_runs_are import 1
id=$(twctl --json history -n 1 import | jget 'd[0]["id"]')
[ "$(wc -l <"$T/import.$id")" = 500 ] ||
	fail "TW_PATHS lists $(wc -l <"$T/import.$id") paths, not 500"
[ "$(grep -c '\.csv$' "$T/import.$id")" = 500 ] || fail "TW_PATHS has more than the .csv"
[ "$(sort -u "$T/import.$id" | wc -l)" = 500 ] || fail "TW_PATHS repeats paths"
grep -qx "$T/inbox/f499.csv" "$T/import.$id" || fail "TW_PATHS lacks f499.csv"
[ "$(cat "$T/import.out")" = "path 500" ] || fail "import: $(cat "$T/import.out")"
twctl --json history -n 1 import >"$T/h"
[ "$(jget 'd[0]["trigger"]' <"$T/h")" = path ] || fail "trigger: $(cat "$T/h")"
[ "$(jget 'd[0]["change"]["paths"]' <"$T/h")" = 500 ] || fail "change: $(cat "$T/h")"
twctl why import >"$T/why"
grep -q "it ran because 500 paths changed" "$T/why" || fail "why: $(cat "$T/why")"
# The list stays beside the run's log.
[ -f "$TW_STATE_DIR/logs/import/$id.paths" ] || fail "no $id.paths beside the log"

# A file moved in counts (moved_to); one more run, for it alone.
: >"$T/elsewhere.csv"
mv "$T/elsewhere.csv" "$T/inbox/moved.csv"
wait_until "import runs for the file moved in" ok_runs_are import 2
[ "$(sed -n 2p "$T/import.out")" = "path 1" ] || fail "the move: $(cat "$T/import.out")"

# The directory removed and made again: still watched.
rm -rf "$T/inbox"
mkdir "$T/inbox"
: >"$T/inbox/again.csv"
wait_until "import runs in the directory made again" ok_runs_are import 3
id=$(twctl --json history -n 1 import | jget 'd[0]["id"]')
[ "$(cat "$T/import.$id")" = "$T/inbox/again.csv" ] ||
	fail "after the directory came back: $(cat "$T/import.$id")"

# per_file: a run for each of 500 files, two at a time (the queue).
i=0
while [ $i -lt 500 ]; do
	echo x >"$T/each/e$i"
	i=$((i + 1))
done
WAIT_TENTHS=1200 wait_until "each runs 500 times" ok_runs_are each 500
[ "$(sort -u "$T/each.out" | wc -l)" = 500 ] || fail "each: $(sort -u "$T/each.out" | wc -l) paths, not 500"
grep -qx "$T/each/e0" "$T/each.out" || fail "each lacks e0"
python3 - "$TW_STATE_DIR/twd.db" <<'PY' || fail "more than two per_file runs at once"
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute(
    "SELECT started_at, finished_at FROM runs WHERE task = 'each'").fetchall()
ev = sorted([(s, 1) for s, f in rows] + [(f, -1) for s, f in rows], key=lambda e: (e[0], e[1]))
n = most = 0
for _, d in ev:
    n += d
    most = max(most, n)
assert most <= 2, most
PY

# A directory not there at the start is watched once it appears.
mkdir -p "$T/later/deeper"
: >"$T/later/deeper/first"
wait_until "late runs once its directory appears" ok_runs_are late 1
grep -qx "$T/later/deeper/first" "$T/late.out" || fail "late: $(cat "$T/late.out")"

# While twd is down, files are made. import (catch_up: latest) runs once
# for the two .csv (not the .txt, nor what was there before, nor a file
# written before the stop, an event import does not watch for); each
# (catch_up: none) records a skipped run for its file, saying why.
echo more >>"$T/inbox/again.csv"
imports=$(runs import)
eaches=$(runs each)
lates=$(runs late)
twctl shutdown >/dev/null
wait "$TWD_PID" || fail "twd did not stop cleanly"
TWD_PID=
: >"$T/inbox/down1.csv"
: >"$T/inbox/down2.csv"
: >"$T/inbox/down.txt"
echo x >"$T/each/down-each"
start_twd
wait_until "import runs for the files made while down" ok_runs_are import $((imports + 1))
id=$(twctl --json history -n 1 import | jget 'd[0]["id"]')
[ "$(cat "$T/import.$id")" = "$T/inbox/down1.csv
$T/inbox/down2.csv" ] || fail "made while down: $(cat "$T/import.$id")"
[ "$(twctl --json history -n 1 import | jget 'd[0]["change"]["while_down"]')" = True ] ||
	fail "not said to be while down: $(twctl --json history -n 1 import)"
wait_until "each records the file made while down" runs_are each $((eaches + 1))
run_status_is each skipped || fail "each: $(twctl --json history -n 1 each)"
expect_contains "$(twctl --json history -n 1 each | jget 'd[0]["reason"]')" \
	"1 path changed: $T/each/down-each while twd was not running (catch_up: none)"
[ "$(runs late)" = "$lates" ] || fail "late ran again for a file it had seen"

# A restart with nothing changed finds nothing: the next run is the new
# file's alone.
twctl shutdown >/dev/null
wait "$TWD_PID" || fail "twd did not stop cleanly"
TWD_PID=
start_twd
: >"$T/inbox/after.csv"
wait_until "import runs for the file made after" ok_runs_are import $((imports + 2))
id=$(twctl --json history -n 1 import | jget 'd[0]["id"]')
[ "$(cat "$T/import.$id")" = "$T/inbox/after.csv" ] || fail "after the restart: $(cat "$T/import.$id")"
[ "$(runs each)" = $((eaches + 1)) ] || fail "each ran again after a restart with nothing changed"

# A change twd had not fired yet when it stopped (in its debounce) is not
# lost: the next start finds it, and it runs once.
: >"$T/inbox/pending.csv"
twctl shutdown >/dev/null
wait "$TWD_PID" || fail "twd did not stop cleanly"
TWD_PID=
start_twd
pending_runs() { grep -lx "$T/inbox/pending.csv" "$T"/import.[0-9]* | wc -l; }
pending_ran() { [ "$(pending_runs)" -ge 1 ]; }
wait_until "import runs for the file pending at the stop" pending_ran
wait_until "import's runs end" run_status_is import ok
[ "$(pending_runs)" = 1 ] || fail "pending.csv ran $(pending_runs) times"
echo ok
