# Ad-hoc jobs: submit --wait gives the job's exit status, a batch of 1,000
# is recorded whole, jobs follow priorities, queues and --after, and bad
# requests are refused with the field and the value.
. "$(dirname "$0")/lib.sh"

# Each gated job appends its name to $T/order and waits for its gate file.
gated() { echo "echo $1 >>'$T/order'; while [ ! -e '$T/gate-$1' ]; do sleep 0.05; done"; }
tasks <<YAML
max_concurrent: 2
queues:
  one: {max_concurrent: 1}
defaults:
  env: {GREETING: hello}
tasks:
  build: {command: "true"}
YAML
start_twd

# --wait: the job's own exit status, or 128 + the signal that ended it.
expect_rc 7 twctl submit --wait -- sh -c 'exit 7'
expect_contains "$(cat "$T/out")" "ended: exit 7"
expect_rc 143 twctl submit -w -- sh -c 'kill -TERM $$'
expect_rc 0 twctl submit -w -n greet -- sh -c 'echo "$GREETING from $PWD"'
# It ran with the defaults, where it was submitted from, under its name.
expect_contains "$(twctl logs greet)" "hello from $PWD"
[ "$(twctl --json history -n 1 greet | jget 'd[0]["trigger"]')" = submit ] || fail "not a submit run"
[ "$(twctl --json history -n 1 greet | jget 'd[0]["command"][0]')" = sh ] || fail "no command recorded"
# A program that is not there: start_failed, and --wait says 1.
expect_rc 1 twctl submit -w -- /no/such/program
expect_contains "$(cat "$T/out")" "ended: start failed: cannot run '/no/such/program'"
expect_rc 1 twctl submit -- /no/such/program
expect_contains "$(cat "$T/err")" "could not start: cannot run '/no/such/program'"

# A batch of 1,000 through two slots: every one recorded, every one ok.
seq 1 1000 | sed 's/.*/test -n "&"/' >"$T/jobs"
printf '\n# a comment and a blank line are no jobs\n' >>"$T/jobs"
expect_rc 0 twctl submit --batch --wait <"$T/jobs"
expect_contains "$(cat "$T/out")" "queued 1000 jobs"
expect_contains "$(cat "$T/out")" "all 1000 jobs ended, every one ok"
[ "$(twctl --json history -n 1000 --status ok test | jget 'len(d)')" = 1000 ] || fail "not all 1000 recorded ok"

# Priorities and queues: with queue 'one' busy, the high job goes first.
twctl submit -q one -n blocker -- sh -c "$(gated blocker)" >/dev/null
wait_until "the blocker" grep -q blocker "$T/order"
expect_contains "$(twctl submit -q one -n low -p low -- sh -c "$(gated low)")" "queue 'one' is full"
twctl submit -q one -n high -p high -- sh -c "$(gated high)" >/dev/null
touch "$T/gate-blocker" "$T/gate-low" "$T/gate-high"
wait_until "low to finish" run_status_is low ok
[ "$(tr '\n' ' ' <"$T/order")" = "blocker high low " ] || fail "order: $(cat "$T/order")"

# --after a run: the job waits for it; if it fails, the job never runs.
rm -f "$T/order" "$T"/gate-*
first=$(twctl --json submit -n first -- sh -c "$(gated first)" | jget 'd["id"]')
expect_contains "$(twctl submit -a "$first" -n second -- sh -c 'echo second >>"$0"' "$T/order")" \
	"it waits for run $first to succeed"
sleep 0.3
[ "$(tr '\n' ' ' <"$T/order")" = "first " ] || fail "second did not wait: $(cat "$T/order")"
touch "$T/gate-first"
wait_until "second after first" run_status_is second ok
doomed=$(twctl --json submit -n doomed -- sh -c "$(gated doomed); exit 3" | jget 'd["id"]')
twctl submit -a "$doomed" -n never -- true >/dev/null
touch "$T/gate-doomed"
wait_until "never to be dropped" run_status_is never skipped
expect_contains "$(twctl --json history -n 1 never | jget 'd[0]["reason"]')" \
	"run $doomed, which it was to run after, did not succeed (exit 3)"
expect_rc 1 twctl submit -a "$doomed" -- true
expect_contains "$(cat "$T/err")" "after: run $doomed did not succeed (exit 3)"

# --after a task: the job waits until the task has succeeded since.
expect_contains "$(twctl submit -a build -n deploy -- true)" "it waits for task 'build' to succeed"
sleep 0.3
run_status_is deploy queued || fail "deploy did not wait for build"
twctl run build >/dev/null
wait_until "deploy after build" run_status_is deploy ok

# A queued job can be taken off by its name.
twctl submit -q one -n hold -- sh -c "$(gated hold)" >/dev/null
twctl submit -q one -n held -- true >/dev/null
expect_contains "$(twctl kill held)" "signalled 1 run of held"
run_status_is held killed || fail "held was not taken off the queue"
touch "$T/gate-hold"

# Refused, with the field and the value: a value that cannot be is a
# usage error (2), as when twctl finds it; an after: that is not there or
# failed is a refusal (1).
expect_rc 2 twctl submit -q nope -- true
expect_contains "$(cat "$T/err")" "queue: no queue named 'nope' in the tasks file"
expect_rc 2 twctl submit -n build -- true
expect_contains "$(cat "$T/err")" "name: 'build' is a task of the tasks file"
expect_rc 2 twctl submit -n 'bad name' -- true
expect_contains "$(cat "$T/err")" "name: 'bad name' is not a task name"
expect_rc 2 twctl submit -p urgent -- true
expect_contains "$(cat "$T/err")" "priority: must be critical, high, normal, low or a number from 0 to 100"
expect_rc 1 twctl submit -a 99999 -- true
expect_contains "$(cat "$T/err")" "after: there is no run 99999"
expect_rc 1 twctl submit -a nosuchtask -- true
expect_contains "$(cat "$T/err")" "after: no task named 'nosuchtask'"
expect_rc 2 twctl submit -t 5x -- true
expect_contains "$(cat "$T/err")" "--timeout: bad duration '5x'"
expect_rc 2 twctl submit
expect_rc 2 twctl submit --batch -- true
expect_rc 2 twctl submit --batch </dev/null
expect_contains "$(cat "$T/err")" "no jobs on stdin"
# Options end at the command: its own -j is not twctl's --json.
expect_rc 0 twctl submit -w -n opts -- sh -c 'echo "$1"' sh -j
expect_contains "$(twctl logs opts)" "-j"
expect_rc 0 twctl submit -w -n noopts sh -c 'echo "$1"' sh -j
expect_contains "$(twctl logs noopts)" "-j"
