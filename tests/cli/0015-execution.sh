# Jobs that misbehave are contained and recorded: timeouts, SIGTERM
# ignored, orphaned grandchildren, start failures, resource limits, a flood
# of output, a fork loop, and 1,000 runs leaving no zombie and no
# descriptor behind.
. "$(dirname "$0")/lib.sh"

printf '#!/bin/sh\necho hi\n' >"$T/noexec.sh"
# A fork loop that would make 1,000 processes. The kernel does not hold
# root to RLIMIT_NPROC, so as root the loop runs as nobody.
as_user=""
[ "$(id -u)" != 0 ] || as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
chmod 644 "$T/noexec.sh"
tasks <<YAML
defaults:
  kill_grace: 1s
tasks:
  sleeper: {command: sleep 30, timeout: 1s}
  stubborn:
    command: trap '' TERM; while :; do sleep 1; done
    timeout: 1s
  family:
    command: (sleep 60; echo orphan) & echo \$! > "$T/grandchild"; sleep 60
    timeout: 1s
  leaver:
    command: (sleep 1; echo done >"$T/left") & echo parent leaves
  missing: {run: [tw-no-such-program]}
  nowhere: {command: "true", cwd: /nonexistent/dir}
  noexec: {run: ["$T/noexec.sh"]}
  argv: {run: [printf, '%s|', a b, "c'd", \$HOME]}
  envy:
    command: echo "\$GREETING \$TW_TASK \$TW_ATTEMPT"; umask
    env: {GREETING: hello}
    umask: "027"
  hog:
    run: [python3, -c, "x = bytearray(300 << 20)"]
    limits: {memory: 100M}
  spin:
    command: while :; do :; done
    limits: {cpu: 1s}
  flood:
    command: head -c 104857600 /dev/zero
    max_output: 1M
  quick: {command: "true", overlap: allow}
  forky:
    command: $as_user sh -c 'i=0; while [ \$i -lt 1000 ]; do sleep 2 >/dev/null 2>&1 & i=\$((i+1)); done; echo made all 1000'
    limits: {nproc: 20}
YAML
start_twd

status_of() { twctl --json history -n 1 "$1" | jget 'd[0]["status"]'; }
field_of() { twctl --json history -n 1 "$1" | jget "d[0][\"$2\"]"; }
run_and_wait() {
	twctl run "$1" >/dev/null 2>&1 || true
	wait_until "$1 to finish" sh -c "[ \"\$('$TWCTL' --json history -n 1 $1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0][\"status\"])')\" != running ]"
}

run_and_wait sleeper
[ "$(status_of sleeper)" = timeout ] || fail "sleeper: $(twctl history sleeper)"
[ "$(field_of sleeper signal_name)" = SIGTERM ] || fail "sleeper signal"
expect_contains "$(field_of sleeper reason)" "ran past its timeout of 1s"
expect_contains "$(twctl history sleeper)" "timeout"

run_and_wait stubborn
[ "$(status_of stubborn)" = timeout ] || fail "stubborn: $(twctl history stubborn)"
[ "$(field_of stubborn signal_name)" = SIGKILL ] || fail "stubborn was not SIGKILLed"

run_and_wait family
[ "$(status_of family)" = timeout ] || fail "family"
gc=$(cat "$T/grandchild")
wait_until "the grandchild to die with its group" sh -c "! kill -0 $gc 2>/dev/null"

# A grandchild left behind by a job that ended is reaped, not a zombie.
run_and_wait leaver
[ "$(status_of leaver)" = ok ] || fail "leaver"
wait_until "the grandchild to finish" test -e "$T/left"
sleep 0.5
! ps -o stat= --ppid "$TWD_PID" | grep -q Z || fail "zombie: $(ps -o pid,stat,cmd --ppid "$TWD_PID")"

expect_rc 1 twctl run missing
expect_contains "$(cat "$T/err")" "cannot run 'tw-no-such-program': No such file or directory"
[ "$(status_of missing)" = start_failed ] || fail "missing"
expect_contains "$(twctl history missing)" "start failed"
expect_rc 1 twctl run nowhere
expect_contains "$(cat "$T/err")" "cannot change directory to '/nonexistent/dir'"
expect_rc 1 twctl run noexec
expect_contains "$(cat "$T/err")" "Permission denied"

run_and_wait argv
id=$(twctl --json history -n 1 argv | jget 'd[0]["id"]')
[ "$(twctl logs -r "$id" argv)" = "a b|c'd|\$HOME|" ] || fail "argv: $(twctl logs -r "$id" argv)"

run_and_wait envy
id=$(twctl --json history -n 1 envy | jget 'd[0]["id"]')
[ "$(twctl logs -r "$id" envy)" = "hello envy 1
0027" ] || fail "env: $(twctl logs -r "$id" envy)"

run_and_wait hog
[ "$(status_of hog)" = failed ] || fail "hog was not stopped by its memory limit"
expect_contains "$(twctl logs --stderr hog)" "MemoryError"

run_and_wait spin
[ "$(status_of spin)" = failed ] || fail "spin"
[ "$(field_of spin signal_name)" = SIGXCPU ] || [ "$(field_of spin signal_name)" = SIGKILL ] ||
	fail "spin: $(field_of spin signal_name)"
[ "$(twctl --json history -n 1 spin | jget 'd[0]["cpu_user"] >= 0.5')" = True ] || fail "cpu time not recorded"

# 100 MB of output: the log keeps 1M, the daemon keeps answering.
twctl run flood >/dev/null
while [ "$(status_of flood)" = running ]; do
	twctl status >/dev/null || fail "twd stopped answering during the flood"
done
[ "$(status_of flood)" = ok ] || fail "flood: $(status_of flood)"
[ "$(field_of flood output_bytes)" = 104857600 ] || fail "flood bytes: $(field_of flood output_bytes)"
[ "$(field_of flood truncated)" = True ] || fail "flood not marked truncated"
size=$(wc -c <"$TW_STATE_DIR/logs/flood/$(twctl --json history -n 1 flood | jget 'd[0]["id"]').log")
[ "$size" -lt 1100000 ] || fail "the log kept $size bytes"
rss=$(awk '/VmRSS/ { print $2 }' "/proc/$TWD_PID/status")
[ "$rss" -lt 65536 ] || fail "twd's RSS grew to $rss kB"

# The process limit stops the fork loop well short of its 1,000.
run_and_wait forky
[ "$(status_of forky)" = failed ] || fail "forky: $(twctl history forky)"
expect_contains "$(twctl logs --stderr forky)" "fork"
[ -z "$(twctl logs --stdout forky)" ] || fail "the fork loop made all its processes"

# Many runs leave no zombie and no descriptor behind.
fds_before=$(ls "/proc/$TWD_PID/fd" | wc -l)
python3 - "$TW_SOCKET" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rb")
for i in range(1000):
    s.sendall(b'{"cmd": "run", "args": {"task": "quick"}}\n')
    r = json.loads(f.readline())
    assert r["ok"], r
PY
wait_until "1000 quick runs" sh -c "[ \"\$('$TWCTL' --json history -n 1000 quick | python3 -c 'import json,sys; print(sum(r[\"status\"] == \"ok\" for r in json.load(sys.stdin)))')\" = 1000 ]"
fds_after=$(ls "/proc/$TWD_PID/fd" | wc -l)
[ "$fds_after" -le "$fds_before" ] || fail "descriptors grew from $fds_before to $fds_after"
! ps -o stat= --ppid "$TWD_PID" | grep -q Z || fail "zombies left"

# A plain command line runs without the shell, so a missing program is a
# start failure with the reason; a line that needs the shell gets it.
tasks <<'YAML'
tasks:
  missing: {command: "no-such-program --flag=1"}
  piped: {command: "echo abc | tr a x"}
  builtin: {command: "exit 4"}
  plain: {command: "printf %s:%s a b"}
YAML
kill -HUP "$TWD_PID"
wait_until "the reload" sh -c "'$TWCTL' list -q | grep -q '^plain$'"
twctl run missing >/dev/null 2>&1 || true
wait_until "missing to fail to start" run_status_is missing start_failed
expect_contains "$(twctl --json history -n 1 missing | jget 'd[0]["reason"]')" "cannot run 'no-such-program'"
for t in piped builtin plain; do twctl run "$t" >/dev/null; done
wait_until "piped" run_status_is piped ok
expect_contains "$(twctl logs piped)" "xbc"
wait_until "builtin" run_status_is builtin failed
[ "$(twctl --json history -n 1 builtin | jget 'd[0]["exit_code"]')" = 4 ] || fail "exit 4 went wrong"
wait_until "plain" run_status_is plain ok
[ "$(twctl logs plain)" = "a:b" ] || fail "plain: $(twctl logs plain)"
