# twctl dash sizes its columns from what they show (a long name, a cron
# line with day names) within the terminal, at 80x24, 160x45 and 60x15;
# and Tab moves to the running jobs, submitted ones too, whose log opens
# with l and which K kills, after a y; in a task's details, 1-9 open the
# log of one of its recent runs, which a newer run does not replace.
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || fail "tmux is not installed (make deps)"

tasks <<YAML
tasks:
  disk-report-weekly: {command: 'true', schedule: '0 7 * * MON-FRI'}
  a: {command: 'true', every: 1h}
  talk: {command: 'echo talk-\$TW_RUN_ID'}
YAML
start_twd
dash_start 80 24
shows "^ disk-report-weekly "
shows " 0 7 \* \* MON-FRI "
tmux -S "$sock" resize-window -t dash -x 160 -y 45
shows "^ disk-report-weekly "
shows " 0 7 \* \* MON-FRI "
# Narrow: the name gives way first, the schedule keeps what it can.
tmux -S "$sock" resize-window -t dash -x 60 -y 15
shows "^ disk-repor "
shows " 0 7 \* \* MON-FR"

tmux -S "$sock" resize-window -t dash -x 100 -y 30
keys Tab
shows "no job is running"
talker=$(twctl --json submit -n talker -- sh -c 'echo hello-from-talker; sleep 30' | jget 'd["id"]')
sleeper=$(twctl --json submit -n sleeper -- sleep 30 | jget 'd["id"]')
shows "^ $sleeper  *sleeper "
keys Tab
keys l
shows "hello-from-talker"
keys q
shows "^ $sleeper  *sleeper "
keys j K
shows "Kill run $sleeper (sleeper) (SIGTERM, then SIGKILL)? y/n"
keys y
shows "killed run $sleeper (sleeper)"
wait_until "sleeper to be killed" run_status_is sleeper killed
[ "$(twctl --json history -n 1 talker | jget 'd[0]["status"]')" = running ] ||
	fail "the wrong job was killed: $(twctl history)"
twctl kill "$talker" >/dev/null

for i in 1 2 3; do twctl run -w talk >/dev/null; done
oldest=$(twctl --json history talk | jget 'd[-1]["id"]')
keys G Enter
shows "recent runs (1-9: a run's log)"
keys 3
shows "log of talk, run $oldest:"
shows "^  *talk-$oldest$"
# A newer run does not take the pane (the dashboard follows a task's
# newest run only when no run was chosen); a second is ample for its event.
twctl run -w talk >/dev/null
sleep 1
screen | grep -q "log of talk, run $oldest:" || fail "a newer run replaced the chosen one: $(screen)"
