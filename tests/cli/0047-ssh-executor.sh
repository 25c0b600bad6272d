# Tasks on an ssh executor run on a real sshd (127.0.0.1, its own keys and
# port): output comes back into the run's log by stream, with the TW_*
# variables; timeout and twctl kill stop the whole process group there;
# runs share one connection; the executor's slots are its own; a key the
# machine refuses is start_failed, a connection that goes is lost; and a
# restarted twd stops there what the one before it left running.
. "$(dirname "$0")/lib.sh"

sshd_start
ssh-keygen -q -t ed25519 -N '' -f "$T/stranger_key"
box=$(cat "$SSH_DIR/executor.yaml")
tasks <<YAML
max_concurrent: 1
defaults: {executor: box}
executors:
  box: $(echo "$box" | sed 's/{type: ssh,/{type: ssh, max_concurrent: 4,/')
  refused: $(echo "$box" | sed "s|$SSH_DIR/client_key|$T/stranger_key|")
tasks:
  hello:
    command: 'echo "out id=\$TW_RUN_ID ex=\$TW_EXECUTOR task=\$TW_TASK x=\$X"; echo oops >&2; exit 3'
    executor: box
    env: {X: "it's here"}
  slow:
    command: 'sleep 61 & echo \$! >$T/child; echo \$\$ >$T/parent; wait'
    executor: box
    timeout: 2s
    kill_grace: 2s
  hold:
    command: 'echo \$\$ >$T/hold.\$TW_RUN_ID; exec sleep 60'
    executor: box
    overlap: allow
  quick: {command: 'true', executor: box}
  here: {command: 'true', executor: local}
  denied: {command: 'true', executor: refused, retries: 1, retry_delay: 1s,
           retry_on: [start_failed]}
YAML
start_twd

# Output and exit status come back; stdout and stderr kept apart.
expect_rc 3 twctl run -w hello
id=$(twctl --json history -n 1 hello | jget 'd[0]["id"]')
expect_contains "$(twctl logs hello)" "out id=$id ex=box task=hello x=it's here"
[ "$(twctl logs --stderr hello)" = oops ] || fail "stderr: $(twctl logs --stderr hello)"
[ "$(twctl show hello executor)" = box ] || fail "show: $(twctl show hello executor)"

# Timeout: the process group there goes, the child it forked too.
expect_rc 143 twctl run -w slow
run_status_is slow timeout || fail "slow: $(twctl history -n 1 slow)"
wait_gone "$(cat "$T/parent")"
wait_gone "$(cat "$T/child")"

# twctl kill reaches it there.
rm -f "$T/child" "$T/parent"
sed 's/timeout: 2s/timeout: 1h/' "$TW_CONFIG" >"$T/t2" && mv "$T/t2" "$TW_CONFIG"
twctl reload >/dev/null
twctl run slow >/dev/null
wait_until "slow to start there" test -s "$T/child"
twctl kill slow >/dev/null
wait_until "slow to end" run_status_is slow killed
wait_gone "$(cat "$T/parent")"
wait_gone "$(cat "$T/child")"

# Its own slots: max_concurrent: 1 is this machine's; runs there go on
# beside a local one.
a=$(twctl --json run hold | jget 'd["id"]')
b=$(twctl --json run hold | jget 'd["id"]')
wait_until "both holds to run" sh -c "test -s '$T/hold.$a' && test -s '$T/hold.$b'"
expect_rc 0 twctl run -w here
twctl kill hold >/dev/null
wait_until "holds to end" sh -c "[ -z \"\$('$TWCTL' --json queue | grep running)\" ]"

# One connection for many runs: 200 submitted jobs (the defaults'
# executor), four at a time, and sshd accepted one login for all so far.
seq 200 | sed 's/.*/true/' | twctl submit -b -w >/dev/null ||
	fail "200 jobs on box: $(twctl history -n 3)"
twctl run -w quick >/dev/null
# A submitted job there has the machine's environment, not this shell's.
id=$(FROM_CALLER=yes twctl --json submit -w -n where -- sh -c 'echo "home=$HOME caller=${FROM_CALLER-unset}"' | jget 'd["id"]')
expect_contains "$(twctl logs where --run "$id")" "home=$(getent passwd "$(id -un)" | cut -d: -f6) caller=unset"
n=$(grep -c "Accepted publickey" "$SSH_DIR/sshd.log")
[ "$n" = 1 ] || fail "$n logins for the runs, not 1: $(grep Accepted "$SSH_DIR/sshd.log")"

# A key the machine refuses: the run never started; retry_on applies.
expect_rc 1 twctl run -w denied
i=0
until [ "$(twctl --json history denied | jget 'len(d)')" = 2 ] &&
	run_status_is denied start_failed; do
	i=$((i + 1))
	[ "$i" -lt 300 ] || fail "denied's retry: $(twctl history denied)"
	sleep 0.1
done
[ "$(twctl --json history -n 1 denied | jget 'd[0]["attempt"]')" = 2 ] ||
	fail "denied's retry: $(twctl history denied)"
expect_contains "$(twctl --json history denied | jget 'd[1]["reason"]')" "ssh could not run it on 'refused'"
expect_contains "$(twctl --json history denied | jget 'd[1]["reason"]')" "Permission denied"

# twd gone abruptly while a run goes on there: the next one stops it.
twctl run hold >/dev/null
id=$(twctl --json history -n 1 hold | jget 'd[0]["id"]')
wait_until "hold to start there" test -s "$T/hold.$id"
kill -KILL "$TWD_PID"
wait "$TWD_PID" || true
start_twd
wait_gone "$(cat "$T/hold.$id")"
run_status_is hold lost || fail "hold: $(twctl history -n 1 hold)"

# The connection going mid-run (sshd's processes killed, not the run's):
# lost. What is left there is then stopped by its pid.
twctl run hold >/dev/null
id=$(twctl --json history -n 1 hold | jget 'd[0]["id"]')
wait_until "hold to start there" test -s "$T/hold.$id"
for p in $(descendants "$SSHD_PID") "$SSHD_PID"; do
	[ "$(cat /proc/"$p"/comm 2>/dev/null)" = sshd ] && kill -KILL "$p"
done
wait_until "hold to be lost" run_status_is hold lost
expect_contains "$(twctl --json history -n 1 hold | jget 'd[0]["reason"]')" "the connection to 'box' was lost"
# (twd may have stopped it first, as it does what a lost run left.)
kill -KILL "$(cat "$T/hold.$id")" 2>/dev/null || true

# twctl executors: each, with its runs; --check tries each as a run would.
sshd_start
sed "s/port: [0-9]*/port: $SSH_PORT/; s|UserKnownHostsFile=[^,]*|UserKnownHostsFile=$SSH_DIR/known_hosts|" "$TW_CONFIG" >"$T/t3"
mv "$T/t3" "$TW_CONFIG"
twctl reload >/dev/null
expect_rc 1 twctl executors --check
out=$(cat "$T/out")
expect_contains "$out" "box"
expect_contains "$out" "127.0.0.1:$SSH_PORT"
expect_contains "$out" "ok in"
expect_contains "$out" "FAILED: "
expect_contains "$out" "Permission denied"
twctl --json executors --check >"$T/ex.json" || true
python3 - "$T/ex.json" <<'PY' || fail "executors --json: $(cat "$T/ex.json")"
import json, sys
e = {x["name"]: x for x in json.load(open(sys.argv[1]))}
assert e["box"]["check_ok"] is True and e["box"]["check_ms"] >= 0, e
assert e["refused"]["check_ok"] is False, e
assert e["box"]["connection"] is True, e
PY
expect_contains "$(twctl status)" "box (ssh root@127.0.0.1:$SSH_PORT): 0 running; connection up"
