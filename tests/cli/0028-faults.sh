# Faults that once stalled the queue or lost runs: a run that cannot start
# frees its slot, run ids are positive, a job's peak memory is its own.
. "$(dirname "$0")/lib.sh"

tasks <<YAML
max_concurrent: 1
tasks:
  idle: {command: "true", schedule: "@yearly"}
YAML
start_twd

# One slot: a job that cannot start must not keep the next one waiting.
twctl submit -n sleeper -- sleep 1 >/dev/null
twctl submit -n missing -- /nonexistent/program >/dev/null || true
twctl submit -n after -- true >/dev/null
wait_until "the job after the failed start" run_status_is after ok
run_status_is missing start_failed || fail "missing: $(twctl --json history -n 1 missing)"
[ "$(twctl --json status | jget 'd["running"] + d["queued"]')" = 0 ] ||
	fail "slots still held: $(twctl --json status)"

# Two slots, both busy; three runs that cannot start (no program, no cwd,
# no exec bit), then a good one: it runs as soon as a slot is free.
cat >"$TW_CONFIG" <<YAML
max_concurrent: 2
tasks:
  idle: {command: "true", schedule: "@yearly"}
  nocwd: {command: "true", cwd: "$T/no/such/dir"}
YAML
twctl reload >/dev/null
printf '#!/bin/sh\ntrue\n' >"$T/noexec"
chmod 644 "$T/noexec"
twctl submit -n busy1 -- sleep 1 >/dev/null
twctl submit -n busy2 -- sleep 1 >/dev/null
twctl submit -n nosuch -- /nonexistent/program >/dev/null || true
twctl run nocwd >/dev/null || true
twctl submit -n noexec -- "$T/noexec" >/dev/null || true
twctl submit -n good -- true >/dev/null
wait_until "the good run" run_status_is good ok
for t in nosuch nocwd noexec; do
	run_status_is $t start_failed || fail "$t: $(twctl --json history -n 1 $t)"
done
wait_until "nothing left running" sh -c \
	"[ \"\$('$TWCTL' --json status | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[\"running\"] + d[\"queued\"])')\" = 0 ]"

# Run ids are positive: 0, negatives and other numbers are usage errors.
twctl submit -n victim -- sleep 30 >/dev/null
for id in 0 -1 +0 00; do
	expect_rc 2 twctl kill -- "$id"
	expect_contains "$(cat "$T/err")" "not a run id"
done
for bad in 0 -3 1.5 '"7"'; do
	expect_contains "$(ask_raw "{\"id\":1,\"cmd\":\"kill\",\"args\":{\"run\":$bad}}")" \
		'"code":"bad_request"'
done
run_status_is victim running || fail "victim was killed by a bad id"
expect_contains "$(twctl kill victim)" "signalled 1 run of victim"

# A timeout out of range is refused, not turned into no timeout at all.
for t in 1e300 9223372036854775807 -1 0.5; do
	out=$(ask_raw "{\"id\":1,\"cmd\":\"submit\",\"args\":{\"jobs\":[{\"run\":[\"true\"],\"timeout\":$t}]}}")
	expect_contains "$out" "timeout: must be a number of seconds from 1 to 315360000 (3650d)"
done
expect_rc 2 twctl submit -t 99999999999d -- true
expect_contains "$(cat "$T/err")" "timeout: must be a number of seconds from 1"
# A field a job does not have is an error naming the nearest, not ignored.
out=$(ask_raw '{"id":1,"cmd":"submit","args":{"jobs":[{"run":["true"],"priorty":"high"}]}}')
expect_contains "$out" "unknown field 'priorty' (did you mean 'priority'?)"
expect_contains "$out" '"bad_request"'

# Descendants that leave the job's process group (setsid, or orphaned to
# twd, the subreaper) are stopped with it: at a timeout, a kill and a
# shutdown; the run's record counts them.
cat >"$TW_CONFIG" <<YAML
tasks:
  escape: {command: "setsid sleep 301 & echo \$! >'$T/esc1'; sleep 300", timeout: 1s}
YAML
twctl reload >/dev/null
twctl run escape >/dev/null
wait_until "the timeout" run_status_is escape timeout
wait_gone "$(cat "$T/esc1")"
expect_contains "$(twctl --json history -n 1 escape | jget 'd[0]["reason"]')" \
	"1 process that had left its process group was stopped with it"

# Orphaned: its parent is gone, twd inherited it; the marker finds it.
id=$(twctl --json submit -n orphans -- sh -c \
	"(setsid sleep 302 & echo \$! >'$T/esc2'); setsid sleep 303 & echo \$! >'$T/esc3'; sleep 300" |
	jget 'd["id"]')
wait_until "the escapees" test -s "$T/esc3"
wait_until "the orphan to be twd's" sh -c \
	"[ \"\$(cut -d' ' -f4 /proc/$(cat "$T/esc2")/stat)\" = $TWD_PID ]"
expect_contains "$(twctl kill "$id")" "signalled 1 run of $id"
wait_until "the kill" run_status_is orphans killed
wait_gone "$(cat "$T/esc2")"
wait_gone "$(cat "$T/esc3")"
expect_contains "$(twctl --json history -n 1 orphans | jget 'd[0]["reason"]')" \
	"2 processes that had left its process group were stopped with it"

# Shutdown: twd stops them before it exits.
twctl submit -n atexit -- sh -c "setsid sleep 304 & echo \$! >'$T/esc4'; sleep 300" >/dev/null
wait_until "the last escapee" test -s "$T/esc4"
kill -TERM "$TWD_PID"
sleep 0.1
kill -TERM "$TWD_PID"
expect_twd_exit 0 "shutdown with an escapee"
wait_gone "$(cat "$T/esc4")"
TWD_PID=""
