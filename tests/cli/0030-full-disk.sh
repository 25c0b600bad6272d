# A full disk under the state directory: no job starts whose run could not
# be recorded, a submit says so truthfully, run ids are never handed out
# twice, output that could not be logged is counted with its run, and all
# of it resumes by itself when space returns. Needs root, for a tmpfs of
# its own.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! mkdir -p "$TW_STATE_DIR" ||
	! mount -t tmpfs -o size=2m,mode=700 tmpfs "$TW_STATE_DIR" 2>/dev/null; then
	echo "skip: needs root to mount a small tmpfs"
	exit 0
fi
at_cleanup 'umount "$TW_STATE_DIR"'

gated='while [ ! -e "$0" ]; do sleep 0.05; done; head -c 300000 /dev/zero | tr "\0" y'
tasks <<YAML
tasks:
  noisy: {command: "echo noise", every: 1s}
YAML
start_twd
wait_until "a first noisy run" run_status_is noisy ok
# A job whose output comes once the disk is full.
twctl submit -n writer -- sh -c "$gated" "$T/gate" >/dev/null
wait_until "the writer" run_status_is writer running

dd if=/dev/zero of="$TW_STATE_DIR/fill" bs=64k 2>/dev/null || true
touch "$T/gate"
# A submit the history cannot take (its spec makes the log grow): it is
# refused, and its job never runs.
big=$(head -c 100000 /dev/zero | tr '\0' x)
expect_rc 1 twctl submit -n full_submit -- sh -c 'touch "$0"' "$T/ran" "$big" "$big" "$big"
expect_contains "$(cat "$T/err")" "full"
wait_until "status to say so" sh -c "'$TWCTL' --json status | grep -q '\"state_error\": {'"
expect_contains "$(twctl --json status | jget 'd["state_error"]["error"]')" "full"
sleep 2
[ ! -e "$T/ran" ] || fail "the refused job ran"

rm -f "$TW_STATE_DIR/fill"
wait_until "the history to be written again" sh -c \
	"'$TWCTL' --json status | grep -q '\"state_error\": null'"
wait_until "the writer's end" run_status_is writer ok
expect_contains "$(twctl --json history -n 1 writer | jget 'd[0]["reason"]')" \
	"bytes of its output were not written to its log"
wait_until "noisy again" sh -c \
	"[ \"\$('$TWCTL' --json history -n 1 noisy | python3 -c 'import json,sys; print(json.load(sys.stdin)[0][\"status\"])')\" = ok ]"
[ ! -e "$T/ran" ] || fail "the refused job ran after all"

# Every log belongs to the run of its id, of its task; no id twice. The
# logs first: a run that starts after the history was read has a log too.
python3 - "$TWCTL" "$TW_STATE_DIR/logs" <<'PY'
import json, os, subprocess, sys
logs = [(task, f) for task in os.listdir(sys.argv[2])
        for f in os.listdir(os.path.join(sys.argv[2], task))]
runs = json.loads(subprocess.check_output([sys.argv[1], "--json", "history", "-n", "1000"]))
ids = [r["id"] for r in runs]
assert len(ids) == len(set(ids)), ids
by_id = {r["id"]: r["task"] for r in runs}
assert "full_submit" not in by_id.values(), runs
for task, f in logs:
    rid = int(f.split(".")[0])
    assert by_id.get(rid) == task, (task, f, by_id.get(rid))
PY
