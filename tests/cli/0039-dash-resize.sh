# twctl dash when the window changes size: shrunk, the selection stays in
# view and running jobs keep a line; grown again, the table fills the
# window from its first task instead of staying scrolled to the end.
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || fail "tmux is not installed (make deps)"

python3 -c '
print("tasks:")
for i in range(40):
    print(f"  t{i:02}: {{command: \"true\", every: 1h}}")
' | tasks
start_twd
dash_start 100 50
shows "40 tasks"
shows "^ t00 "
keys G
shows "^ t39 "
tmux -S "$sock" resize-window -t dash -x 100 -y 15
shows "^ t39 "
if screen | grep -q "^ t00 "; then
	fail "shrunk, t00 still shows: $(screen)"
fi
tmux -S "$sock" resize-window -t dash -x 100 -y 50
shows "^ t00 "
shows "^ t39 "

# At 60x15 a running job still shows, in one line.
tmux -S "$sock" resize-window -t dash -x 60 -y 15
id=$(twctl --json submit -n sleeper -- sleep 30 | jget 'd["id"]')
shows " 1 running: $id sleeper "
twctl kill "$id" >/dev/null
shows "0 running"
if screen | grep -q "running: "; then
	fail "the jobs line stayed: $(screen)"
fi
