#!/bin/sh
# Runs every tests/cli/NNNN-*.sh in its own shell and prints a summary.
# Needs TWD and TWCTL (absolute paths to the binaries under test).
: "${TWD:?set TWD to the twd binary}" "${TWCTL:?set TWCTL to the twctl binary}"
export TWD TWCTL
here=$(cd "$(dirname "$0")" && pwd)
pass=0
failed=0
names=""
for t in "$here"/[0-9][0-9][0-9][0-9]-*.sh; do
	name=$(basename "$t" .sh)
	out=$(mktemp)
	# A hung test is a failed test, not a hung CI run.
	if timeout -k 5 180 sh "$t" >"$out" 2>&1; then
		pass=$((pass + 1))
		echo "ok    $name"
	else
		failed=$((failed + 1))
		names="$names $name"
		echo "FAIL  $name"
		sed 's/^/      | /' "$out"
	fi
	rm -f "$out"
done
echo "cli: $pass passed, $failed failed"
[ "$failed" -eq 0 ] || { echo "cli: failed:$names"; exit 1; }
