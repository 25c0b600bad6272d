#!/bin/sh
# Runs every tests/cli/NNNN-*.sh in its own shell, several at once (each
# has its own daemon, directory and socket), and prints a summary in the
# tests' order. Needs TWD and TWCTL (absolute paths to the binaries under
# test). TW_CLI_JOBS sets how many run at once (default: processors + 1).
: "${TWD:?set TWD to the twd binary}" "${TWCTL:?set TWCTL to the twctl binary}"
export TWD TWCTL
here=$(cd "$(dirname "$0")" && pwd)
jobs=${TW_CLI_JOBS:-$(($(nproc 2>/dev/null || echo 1) + 1))}
out=$(mktemp -d /tmp/tw-cli-run.XXXXXX)
trap 'rm -rf "$out"' EXIT

# One test: its output and exit status into $out. A hung test is a failed
# test, not a hung CI run.
ls "$here"/[0-9][0-9][0-9][0-9]-*.sh | xargs -P "$jobs" -I{} sh -c '
	name=$(basename "$1" .sh)
	rc=0
	timeout -k 5 180 sh "$1" >"$2/$name.out" 2>&1 || rc=$?
	echo "$rc" >"$2/$name.rc"
' sh {} "$out"

pass=0
failed=0
names=""
for t in "$here"/[0-9][0-9][0-9][0-9]-*.sh; do
	name=$(basename "$t" .sh)
	if [ "$(cat "$out/$name.rc" 2>/dev/null)" = 0 ]; then
		pass=$((pass + 1))
		echo "ok    $name"
	else
		failed=$((failed + 1))
		names="$names $name"
		echo "FAIL  $name"
		sed 's/^/      | /' "$out/$name.out"
	fi
done
echo "cli: $pass passed, $failed failed"
[ "$failed" -eq 0 ] || { echo "cli: failed:$names"; exit 1; }
