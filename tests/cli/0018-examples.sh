# The demo's tasks file (what `make run` starts) loads, and its tasks run.
. "$(dirname "$0")/lib.sh"
examples=$(cd "$(dirname "$0")/../../examples" && pwd)

expect_rc 0 twctl check "$examples/tasks.yaml"
expect_contains "$(cat "$T/out")" "8 tasks OK; next: "

# The file of taskweaver(5)'s EXAMPLES loads too: the manual cannot rot.
sed -n '/^\.Sh EXAMPLES/,/^\.Ed/p' "$examples/../man/taskweaver.5" |
	sed '1,/^\.Bd/d; /^\.Ed/d' >"$T/man-example.yaml"
chmod 600 "$T/man-example.yaml"
expect_rc 0 twctl check "$T/man-example.yaml"
expect_contains "$(cat "$T/out")" "3 tasks OK"
start_twd --config "$examples/tasks.yaml"
[ "$(twctl --json status | jget 'd["tasks"]')" = 8 ] || fail "$(twctl status)"
# The chain: fetch, then build, then publish.
twctl run fetch >/dev/null
wait_until "publish, after build, after fetch" run_status_is publish ok
twctl run disk-report >/dev/null
wait_until "disk-report to finish" run_status_is disk-report ok
wait_until "quarter to fire on its own" run_status_is quarter ok
