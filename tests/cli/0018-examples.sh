# The demo's tasks file (what `make run` starts) loads, and its tasks run.
. "$(dirname "$0")/lib.sh"
examples=$(cd "$(dirname "$0")/../../examples" && pwd)

expect_rc 0 twctl check "$examples/tasks.yaml"
expect_contains "$(cat "$T/out")" "5 tasks OK; next: "
start_twd --config "$examples/tasks.yaml"
[ "$(twctl --json status | jget 'd["tasks"]')" = 5 ] || fail "$(twctl status)"
twctl run disk-report >/dev/null
wait_until "disk-report to finish" run_status_is disk-report ok
wait_until "quarter to fire on its own" run_status_is quarter ok
