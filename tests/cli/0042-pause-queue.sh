# twctl pause --queue holds every run of a queue (they wait, none is
# skipped) until resume --queue, across a restart; pause --all holds the
# submitted jobs too, as the word says.
. "$(dirname "$0")/lib.sh"

tasks <<YAML
queues:
  io: {max_concurrent: 2}
tasks:
  copy: {command: 'true', queue: io}
  free: {command: 'true'}
YAML
start_twd

expect_rc 0 twctl pause --queue io
expect_contains "$(cat "$T/out")" "paused queue io"
c=$(twctl --json run copy | jget 'd["id"]')
expect_contains "$(twctl queue)" "its queue 'io' is paused (twctl resume --queue io)"
# Other runs go on.
expect_rc 0 twctl run --wait free
# The pause outlives a restart; the queued run still waits.
twctl shutdown >/dev/null
wait "$TWD_PID" || true
start_twd
expect_contains "$(twctl queue)" "its queue 'io' is paused"
expect_rc 0 twctl resume --queue io
expect_contains "$(cat "$T/out")" "resumed queue io"
wait_until "the copy to run" run_status_is copy ok
[ "$(twctl --json history -n 1 copy | jget 'd[0]["id"]')" = "$c" ] || fail "another run of copy ran"

expect_rc 1 twctl pause --queue nope
expect_contains "$(cat "$T/err")" "no queue named 'nope'"
expect_rc 2 twctl pause
expect_contains "$(cat "$T/err")" "give a task, --queue QUEUE or --all"
expect_rc 2 twctl pause copy --all

# --all: the file's tasks and the submitted jobs.
expect_rc 0 twctl pause --all
expect_contains "$(cat "$T/out")" "paused submitted jobs"
expect_contains "$(cat "$T/out")" "paused copy"
expect_rc 0 twctl submit -n held -- true
expect_contains "$(cat "$T/out")" "submitted jobs are paused (twctl resume --all)"
expect_rc 0 twctl resume --all
wait_until "the submitted job to run" run_status_is held ok

# A submitted job waiting in a queue keeps that queue by name across a
# reload that puts another before it.
cat >"$TW_CONFIG" <<YAML
queues:
  io: {max_concurrent: 2}
  net: {max_concurrent: 1}
tasks:
  copy: {command: 'true', queue: io}
  free: {command: 'true'}
YAML
twctl reload >/dev/null
twctl pause --all >/dev/null
j=$(twctl --json submit -q net -n netjob -- true | jget 'd["id"]')
cat >"$TW_CONFIG" <<YAML
queues:
  cpu: {max_concurrent: 1}
  io: {max_concurrent: 2}
  net: {max_concurrent: 1}
tasks:
  copy: {command: 'true', queue: io}
  free: {command: 'true'}
YAML
twctl reload >/dev/null
[ "$(twctl --json queue | jget "[r for r in d if r['id'] == $j][0]['queue']")" = net ] ||
	fail "netjob's queue after the reload: $(twctl queue)"
twctl resume --all >/dev/null
wait_until "netjob to run" run_status_is netjob ok
