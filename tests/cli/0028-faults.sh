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
expect_rc 1 twctl submit -t 99999999999d -- true
expect_contains "$(cat "$T/err")" "timeout: must be a number of seconds from 1"
