# twctl submit runs the job with the caller's environment, as pueue and
# tsp do (the tasks file's env under it), or twd's with --clean-env; the
# environment outlives a restart and goes with twctl restart, and a job
# cannot take twd's own variables (TW_RUN_ID) from its caller.
. "$(dirname "$0")/lib.sh"

tasks <<YAML
defaults:
  env: {FROM_FILE: file, SHARED: file}
tasks: {}
YAML
unset MY_VAR SHARED
start_twd

show='echo "my=$MY_VAR shared=$SHARED file=$FROM_FILE id=$TW_RUN_ID"'

id=$(MY_VAR=mine SHARED=caller twctl --json submit -w -n envjob -- sh -c "$show" | jget 'd["id"]')
expect_contains "$(twctl logs envjob --run "$id")" "my=mine shared=caller file=file id=$id"

# --clean-env: twd's environment (no MY_VAR) and the tasks file's.
id=$(MY_VAR=mine twctl --json submit -w --clean-env -n clean -- sh -c "$show" | jget 'd["id"]')
expect_contains "$(twctl logs clean --run "$id")" "my= shared=file file=file id=$id"

# A job submitted from a job: its TW_RUN_ID is its own, not its caller's.
id=$(TW_RUN_ID=999999 twctl --json submit -w -n nested -- sh -c "$show" | jget 'd["id"]')
expect_contains "$(twctl logs nested --run "$id")" "id=$id"

# --batch: every job has it.
printf '%s\n' "$show" "$show" | MY_VAR=batch twctl submit -w -b >/dev/null
expect_contains "$(twctl logs echo)" "my=batch"

# Queued across a restart, the job keeps the environment it was given.
twctl pause --all >/dev/null
MY_VAR=kept twctl submit -n held -- sh -c "$show" >/dev/null
twctl shutdown >/dev/null
wait "$TWD_PID" || true
start_twd
twctl resume --all >/dev/null
wait_until "held to run" run_status_is held ok
expect_contains "$(twctl logs held)" "my=kept"

# restart RUN runs it as it was, with its environment, not this shell's.
id=$(twctl --json history -n 1 envjob | jget 'd[0]["id"]')
MY_VAR=other twctl restart -w "$id" >/dev/null || fail "restart -w $id"
expect_contains "$(twctl logs envjob)" "my=mine shared=caller"

# Bad environments from other clients are refused, named.
reply=$(ask_raw '{"id":1,"cmd":"submit","args":{"jobs":[{"command":"true"}],"env":{"A=B":"x"}}}')
expect_contains "$reply" "env: 'A=B' must be a name without '='"
reply=$(ask_raw '{"id":2,"cmd":"submit","args":{"jobs":[{"command":"true","env":["X=1"]}]}}')
expect_contains "$reply" "env: must be an object"

# An empty environment is one: the job runs with only twd's own variables.
reply=$(ask_raw '{"id":3,"cmd":"submit","args":{"jobs":[{"command":"echo \"empty=${HOME-none} id=$TW_RUN_ID\"","name":"bare"}],"env":{}}}')
expect_contains "$reply" '"ok":true'
wait_until "bare to run" run_status_is bare ok
expect_contains "$(twctl logs bare)" "id="
