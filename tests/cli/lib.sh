# Shared by the tests in tests/cli: a private daemon in a temporary
# directory, never the user's own, and helpers to drive and check it.
set -eu

T=$(mktemp -d /tmp/tw-cli.XXXXXX)
export HOME="$T/home"
export TW_CONFIG="$T/tasks.yaml" TW_STATE_DIR="$T/state" TW_SOCKET="$T/twd.sock"
unset XDG_CONFIG_HOME XDG_STATE_HOME XDG_RUNTIME_DIR
mkdir -p "$HOME"
TWD_PID=""

cleanup() {
	if [ -n "$TWD_PID" ] && kill -0 "$TWD_PID" 2>/dev/null; then
		kill -KILL "$TWD_PID" 2>/dev/null || true
	fi
	pid=$(cat "$TW_STATE_DIR/twd.pid" 2>/dev/null || true)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -rf "$T"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	[ -f "$T/twd.log" ] && sed 's/^/twd.log: /' "$T/twd.log" >&2
	exit 1
}

twctl() { "$TWCTL" "$@"; }

tasks() { cat >"$TW_CONFIG"; }

# twd in the foreground, its log in $T/twd.log; returns once it serves.
start_twd() {
	"$TWD" --foreground "$@" >>"$T/twd.log" 2>&1 &
	TWD_PID=$!
	i=0
	until twctl status >/dev/null 2>&1; do
		kill -0 "$TWD_PID" 2>/dev/null || fail "twd exited at start"
		i=$((i + 1))
		[ "$i" -lt 300 ] || fail "timed out waiting for twd to serve"
		sleep 0.1
	done
}

# Poll a command until it succeeds; the deadline only stops a hang.
wait_until() {
	what=$1
	shift
	i=0
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -lt 300 ] || fail "timed out waiting for: $what"
		sleep 0.1
	done
}

# Wait for a pid that is not our child to go away.
wait_gone() {
	wait_until "pid $1 to exit" sh -c "! kill -0 $1 2>/dev/null"
}

# The value at a Python expression over the JSON on stdin, e.g. 'd["pid"]'.
jget() {
	python3 -c 'import json, sys
d = json.load(sys.stdin)
v = eval(sys.argv[1])
print(json.dumps(v) if isinstance(v, (dict, list)) else v)' "$1"
}

# Succeeds when the newest run of task $1 has finished with status $2.
run_status_is() {
	[ "$(twctl --json history -n 1 "$1" | jget 'd[0]["status"]')" = "$2" ]
}

expect_contains() {
	case "$1" in
	*"$2"*) ;;
	*) fail "expected '$2' in: $1" ;;
	esac
}

expect_rc() {
	want=$1
	shift
	set +e
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	[ "$rc" -eq "$want" ] || fail "'$*' exited $rc, not $want; stdout: $(cat "$T/out"); stderr: $(cat "$T/err")"
}
