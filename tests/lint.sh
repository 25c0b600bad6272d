#!/bin/sh
# Lints that make check runs: man pages render cleanly, sources are
# clang-format clean, every protocol command is documented, and no
# placeholder is left in the tree.
set -u
cd "$(dirname "$0")/.."
pass=0
failed=0

check() {
	name=$1
	shift
	if out=$("$@" 2>&1) && [ -z "$out" ]; then
		pass=$((pass + 1))
		echo "ok    lint: $name"
	else
		failed=$((failed + 1))
		echo "FAIL  lint: $name"
		echo "$out" | sed 's/^/      | /'
	fi
}

man_lint() {
	for m in man/*.[1-8]; do
		mandoc -Tlint -W warning "$m"
	done
}

format_lint() {
	for f in src/*/*.c src/*/*.h tests/unit/*.c tests/fuzz/*.c tests/bench/*.c; do
		clang-format --dry-run "$f" 2>&1 | head -5
	done
}

# Each name in request_table[] has an entry in taskweaver-ipc(7).
ipc_documented() {
	sed -n '/^} request_table\[\] = {/,/^};/p' src/twd/request.c |
	    sed -n 's/.*{ "\([a-z-]*\)".*/\1/p' | while read -r cmd; do
		grep -q "^\.It Li $cmd" man/taskweaver-ipc.7 ||
		    echo "'$cmd' is not in man/taskweaver-ipc.7"
	done
}

# Each tasks-file field in config.c has an entry in taskweaver(5).
fields_documented() {
	sed -n '/^static const struct field task_fields\[\] = {/,/^};/p' src/twd/config.c |
	    sed -n 's/.*{ "\([a-z_]*\)".*/\1/p' | while read -r field; do
		grep -q "^\.It Ic $field" man/taskweaver.5 ||
		    echo "'$field' is not in man/taskweaver.5"
	done
}

no_placeholders() {
	grep -rnwE 'TODO|FIXME|XXX' src tests/unit man completions || true
}

check "man pages" man_lint
check "clang-format" format_lint
check "protocol documented" ipc_documented
check "fields documented" fields_documented
check "no placeholders" no_placeholders
echo "lint: $pass passed, $failed failed"
[ "$failed" -eq 0 ]
