# twctl restart RUN: a finished run again as a new run: a submitted job as
# it was submitted (name, directory, priority), --edit changing its command
# first; a task's run as twctl run starts it. Runs going on, unknown runs
# and --edit of a task's run are refused with the reason.
. "$(dirname "$0")/lib.sh"

tasks <<YAML
tasks:
  nightly: {command: 'echo nightly \$TW_RUN_ID'}
YAML
start_twd

mkdir "$T/work"
first=$(cd "$T/work" && "$TWCTL" --json submit -w -n greet -p high -- sh -c 'echo "hi from $(pwd)"' | jget 'd["id"]')
expect_rc 0 twctl restart -w "$first"
expect_contains "$(cat "$T/out")" "'greet' ended: ok"
again=$(twctl --json history -n 1 greet | jget 'd[0]["id"]')
[ "$again" -gt "$first" ] || fail "no new run: $again"
[ "$(twctl logs --run "$again")" = "hi from $T/work" ] || fail "restart: $(twctl logs --run "$again")"
[ "$(twctl --json history -n 1 greet | jget 'd[0]["trigger"]')" = submit ] || fail "trigger"

# --edit: the command in the editor, run as the same job otherwise.
cat >"$T/editor" <<'SH'
#!/bin/sh
sed -i 's/hi from/bye from/' "$1"
SH
chmod +x "$T/editor"
EDITOR="$T/editor" VISUAL= expect_rc 0 twctl restart -e -w "$first"
edited=$(twctl --json history -n 1 greet | jget 'd[0]["id"]')
[ "$(twctl logs --run "$edited")" = "bye from $T/work" ] || fail "--edit: $(twctl logs --run "$edited")"
printf '#!/bin/sh\n: >"$1"\n' >"$T/empty"
chmod +x "$T/empty"
EDITOR="$T/empty" VISUAL= expect_rc 2 twctl restart -e "$first"
expect_contains "$(cat "$T/err")" "the command is empty; nothing was changed"

# A task's run: run again as twctl run runs it.
t=$(twctl --json run -w nightly | jget 'd["id"]')
expect_rc 0 twctl restart -w "$t"
expect_contains "$(cat "$T/out")" "of 'nightly'"
[ "$(twctl --json history -n 1 nightly | jget 'd[0]["trigger"]')" = manual ] || fail "task restart trigger"
expect_rc 2 twctl restart -e "$t"
expect_contains "$(cat "$T/err")" "its command is in the tasks file"

# Refusals.
expect_rc 1 twctl restart 9999
expect_contains "$(cat "$T/err")" "there is no run 9999"
expect_rc 2 twctl restart nightly
expect_contains "$(cat "$T/err")" "is not a run id"
long=$(twctl --json submit -n long -- sleep 30 | jget 'd["id"]')
expect_rc 1 twctl restart "$long"
expect_contains "$(cat "$T/err")" "run $long is running: wait for it (twctl wait $long), or kill it first"
twctl kill "$long" >/dev/null

# twctl edit RUN: a queued job's command, changed before it starts, kept
# across a restart; a job that is not queued, or a task's run, is refused.
later=$(twctl --json submit --delay 1h -n later -- echo first | jget 'd["id"]')
cat >"$T/second" <<'SH'
#!/bin/sh
sed -i 's/first/second/' "$1"
SH
chmod +x "$T/second"
EDITOR="$T/second" VISUAL= expect_rc 0 twctl edit "$later"
expect_contains "$(cat "$T/out")" "run $later 'later' will run: echo second"
twctl shutdown >/dev/null
wait "$TWD_PID" || true
start_twd
[ "$(twctl --json queue | jget "[r['command'] for r in d if r['id'] == $later][0]")" = "echo second" ] ||
	fail "edit RUN after a restart: $(twctl --json queue)"
EDITOR="$T/second" VISUAL= expect_rc 2 twctl edit "$t"
expect_contains "$(cat "$T/err")" "its command is in the tasks file"
EDITOR="$T/second" VISUAL= expect_rc 1 twctl edit "$first"
expect_contains "$(cat "$T/err")" "is ok, not queued: only a queued job's command can change"
twctl kill "$later" >/dev/null
