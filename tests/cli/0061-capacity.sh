# capacity: with {cpus: 2, memory: 1G}, three tasks of 600M never run two
# at once (the history's times say), while tiny ones flow past them; a
# waiting run says which resource it waits for; status shows what is in
# use; a task that could never fit is refused at load; pressure: holds a
# run while PSI (here a file the test writes: TW_PSI_DIR) is above its
# bound, and lets it go once it eases, re-read on a timer.
. "$(dirname "$0")/lib.sh"

mkdir "$T/psi"
psi() { printf 'some avg10=%s avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n' "$2" >"$T/psi/$1"; }
psi cpu 0.00
psi memory 0.00
psi io 0.00
export TW_PSI_DIR="$T/psi"

tasks <<YAML
capacity: {cpus: 2, memory: 1G}
tasks:
  big1: {command: "sleep 2", resources: {memory: 600M}}
  big2: {command: "sleep 2", resources: {memory: 600M}}
  big3: {command: "sleep 2", resources: {memory: 600M}}
  tiny: {command: "sleep 0.2", resources: {memory: 10M, cpus: 0.25}, overlap: allow}
  calm: {command: "true", pressure: {memory: 10%}}
YAML
start_twd

twctl run big1 >/dev/null
twctl status >"$T/status"
grep -q "^capacity:   0 of 2 CPUs, 600M of 1G memory in use by runs here" "$T/status" ||
	fail "status: $(cat "$T/status")"
grep -q "^cgroups:    o[nf]" "$T/status" || fail "status says nothing of cgroups: $(cat "$T/status")"
# The dashboard's header says what is in use.
dash_start 220 30
shows "capacity: [0-9.]* of 2 CPUs, [0-9.]*[MG] of 1G memory"
twctl run big2 >"$T/out"
expect_contains "$(cat "$T/out")" "queued run 2 of 'big2': it needs 600M memory, 424M free of capacity"
twctl run big3 >/dev/null
twctl why big3 >"$T/why"
expect_contains "$(cat "$T/why")" "it needs 600M memory, 424M free of capacity"
i=0
while [ $i -lt 5 ]; do
	twctl run tiny >/dev/null
	i=$((i + 1))
done

all_done() {
	[ "$(twctl --json history -n 100 | jget 'len([r for r in d if r["status"] == "ok"])')" = 8 ]
}
WAIT_TENTHS=600 wait_until "all eight runs end" all_done
python3 - "$TW_STATE_DIR/twd.db" <<'PY' || fail "the runs overlapped as they may not"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT task, started_at, finished_at FROM runs").fetchall()
big = sorted((s, f) for t, s, f in rows if t.startswith("big"))
tiny = [(s, f) for t, s, f in rows if t == "tiny"]
assert len(big) == 3 and len(tiny) == 5, rows
for (s1, f1), (s2, f2) in zip(big, big[1:]):
    assert s2 >= f1, ("two 600M runs at once", big)
# The tiny ones did not wait for the big ones: all started before the last.
assert max(s for s, f in tiny) < big[-1][0], ("tiny waited", tiny, big)
PY

twctl show big1 >"$T/show"
grep -q "^resources  *memory 600M" "$T/show" || fail "show: $(cat "$T/show")"

# pressure: held while memory PSI is 55%, above its bound of 10%.
psi memory 55.00
twctl run calm >"$T/out"
expect_contains "$(cat "$T/out")" "'calm': the machine's memory pressure is 55.0% (PSI some avg10), above its bound of 10%"
twctl why calm >"$T/why"
expect_contains "$(cat "$T/why")" "memory pressure is 55.0%"
psi memory 2.00
wait_until "calm runs once the pressure eases" run_status_is calm ok

# A submitted job asks for its own resources: two of 600M sent together do
# not overlap (with the defaults' none they would), one that could never
# fit is refused, and one queued when a reload shrinks the capacity below
# it is skipped, saying why, not left waiting for ever.
expect_rc 2 twctl submit --memory 2G -- true
expect_contains "$(cat "$T/err")" "resources: memory 2G is more than capacity: memory 1G: it could never start"
expect_rc 2 twctl submit --cpus lots -- true
expect_contains "$(cat "$T/err")" "resources: cpus: 'lots' is not a number of CPUs"
printf 'sleep 1\nsleep 1\n' | twctl submit -n sub --memory 600M -b >/dev/null
subs_done() { [ "$(twctl --json history -n 10 sub | jget 'len([r for r in d if r["status"] == "ok"])')" = 2 ]; }
wait_until "both submitted 600M jobs end" subs_done
python3 - "$TW_STATE_DIR/twd.db" <<'PY' || fail "two submitted 600M jobs ran at once"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
(s1, f1), (s2, f2) = db.execute("SELECT started_at, finished_at FROM runs WHERE task = 'sub' ORDER BY started_at").fetchall()
assert s2 >= f1, ((s1, f1), (s2, f2))
PY
twctl pause --all >/dev/null
twctl submit -n wide --cpus 2 -- true >/dev/null
sed -i 's/^capacity: {cpus: 2,/capacity: {cpus: 1.5,/' "$TW_CONFIG"
twctl reload >/dev/null
twctl resume --all >/dev/null
wait_until "the job that no longer fits is skipped" run_status_is wide skipped
expect_contains "$(twctl --json history -n 1 wide | jget 'd[0]["reason"]')" \
	"resources: cpus 2 is more than capacity: cpus 1.5: it could never start"

# Never fits: refused, at the task, and the running schedule goes on.
cat >>"$TW_CONFIG" <<YAML
  huge: {command: "true", resources: {memory: 2G}}
YAML
expect_rc 1 twctl check
expect_contains "$(cat "$T/err")" "task 'huge': resources: memory 2G is more than capacity: memory 1G: it could never start"
expect_contains "$(cat "$T/err")" "tasks.yaml:8:3:"
echo ok
