# twctl dash in tmux against a real daemon: the table shows the tasks; r
# starts a run that shows as running, then finished; p pauses; / filters;
# Enter shows a task's output; a resize redraws; a daemon that goes away
# shows as disconnected, and one that comes back is found again.
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || fail "tmux is not installed (make deps)"

tasks <<YAML
tasks:
  alpha: {command: "echo alpha ran", every: 1h}
  gated: {command: 'echo waiting; while [ ! -e "$T/go" ]; do sleep 0.05; done; echo through'}
  broken: {command: "echo oops >&2; exit 3"}
YAML
start_twd
twctl run broken >/dev/null
wait_until "broken to fail" run_status_is broken failed

dash_start 100 30
shows "3 tasks"
shows "alpha .* idle .* every 1h"
shows "broken  *failing .*exit 3"
shows "gated .* idle .* manual"

# r on gated: running (with its job in the running pane), then ok.
keys G r
shows "gated .* running"
shows "RUN .* TASK .* PID .* ELAPSED .* LEFT"
shows "3 tasks  1 running  0 queued"
keys Enter
shows "output of run"
shows "waiting"
touch "$T/go"
shows "through"
keys q
shows "gated .* idle .* ok"

# l shows the log of gated's newest run; a run started meanwhile (here
# from outside) takes the pane, its output read as twd says it grows.
keys G l
shows "log of gated, run 2: 2 lines"
id=$(twctl --json run gated | jget 'd["id"]') || fail "run gated"
shows "log of gated, run $id: 2 lines"
keys q

# p pauses the selected task; the header counts it.
keys g p
shows "alpha .* paused"
shows "1 paused"
keys p
shows "alpha .* idle"

# / filters by name; Escape clears it.
keys / b r
shows "filter: br"
screen | grep -q "^ alpha " && fail "the filter left alpha: $(screen)"
keys Escape
shows "alpha .* idle"

# An applied filter: Escape drops it (and does not quit); it is no search
# in a log opened meanwhile.
keys / g a Enter
shows "filter: ga"
keys l
shows "log of gated"
screen | grep -q "search:" && fail "the filter became a search: $(screen)"
keys q
shows "filter: ga"
keys Escape
shows "alpha .* idle"
shows "config ok   sort: name$"

# A submitted job is no task of the file, but the header counts it.
id=$(twctl --json submit -- sleep 30 | jget 'd["id"]') || fail "submit"
shows "3 tasks  1 running"
shows " $id .* sleep "
twctl kill "$id" >/dev/null || fail "kill $id"
shows "3 tasks  0 running"

# s sorts; ? shows the keys.
keys s
shows "sorted by next run"
keys '?'
shows "run it now"
keys q

# A smaller window and back: still drawn, nothing broken.
tmux -S "$sock" resize-window -t dash -x 60 -y 20
shows "broken"
tmux -S "$sock" resize-window -t dash -x 100 -y 30
shows "RESULTS"

# The daemon goes away: disconnected; it comes back: found again.
twctl shutdown >/dev/null
shows "DISCONNECTED from twd"
# No daemon, no uptime (it read 'up 20791d', the time since 1970).
shows "TaskWeaver .* up -  "
start_twd
shows "config ok"
shows "broken  *failing"

keys q
i=0
while tmux -S "$sock" has-session -t dash 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 50 ] || fail "q did not quit"
	sleep 0.1
done

# A terminal that cannot move the cursor: refused with the reason.
tmux -S "$sock" new-session -d -s dumb -x 100 -y 10 \
	"env TW_SOCKET='$TW_SOCKET' TERM=dumb '$TWCTL' dash; echo \"rc=\$?\"; sleep 30"
i=0
until tmux -S "$sock" capture-pane -p -t dumb | grep -q "rc="; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || fail "TERM=dumb: $(tmux -S "$sock" capture-pane -p -t dumb)"
	sleep 0.1
done
expect_contains "$(tmux -S "$sock" capture-pane -p -t dumb)" "dash needs a terminal that can move the cursor, and TERM=dumb cannot"
expect_contains "$(tmux -S "$sock" capture-pane -p -t dumb)" "rc=2"
