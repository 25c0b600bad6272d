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

# Each tasks-file field (config-fields.c) has an entry in taskweaver(5).
fields_documented() {
	[ "$(sed -n '/^const struct field task_fields\[\] = {/,/^};/p' src/twd/config-fields.c | grep -c '{ "')" -gt 30 ] ||
		echo "no field table found in src/twd/config-fields.c"
	sed -n '/^const struct field task_fields\[\] = {/,/^};/p' src/twd/config-fields.c |
	    sed -n 's/.*{ "\([a-z_]*\)".*/\1/p' | while read -r field; do
		grep -q "^\.It Ic $field" man/taskweaver.5 ||
		    echo "'$field' is not in man/taskweaver.5"
	done
}

# Tables that say "Keep alphabetized" are: the protocol's methods, twctl's
# verbs, the tasks-file fields and limits, the top-level keys.
in_order() { # $1: what, then the names in table order
	what=$1
	shift
	printf '%s\n' "$@" >"$tmp.got"
	LC_ALL=C sort "$tmp.got" >"$tmp.want"
	cmp -s "$tmp.got" "$tmp.want" ||
		echo "$what out of order: $(diff "$tmp.got" "$tmp.want" | grep '^>' | head -3 | tr '\n' ' ')"
}

tables_sorted() {
	tmp=$(mktemp)
	in_order "request_table (src/twd/request.c)" $(sed -n '/^} request_table\[\] = {/,/^};/p' src/twd/request.c |
	    sed -n 's/.*{ "\([a-z-]*\)".*/\1/p')
	in_order "cmd_table (src/twctl/cmd.c)" $(sed -n '/^const struct cmd_entry \*const cmd_table\[\] = {/,/^};/p' src/twctl/cmd.c |
	    sed -n 's/.*&cmd_\([a-z_]*\)_entry,.*/\1/p')
	in_order "task_fields (src/twd/config-fields.c)" $(sed -n '/^const struct field task_fields\[\] = {/,/^};/p' src/twd/config-fields.c |
	    sed -n 's/.*{ "\([a-z_]*\)".*/\1/p')
	in_order "limit_names (src/twd/config-fields.c)" $(sed -n '/^} limit_names\[\] = {/,/^};/p' src/twd/config-fields.c |
	    sed -n 's/.*{ "\([a-z_]*\)".*/\1/p')
	rm -f "$tmp" "$tmp.got" "$tmp.want"
}

# Each event of proto.c has an entry in taskweaver-ipc(7).
events_documented() {
	sed -n '/^static const char \*const proto_event_names/,/^};/p' src/common/proto.c |
	    sed -n 's/.*= "\([a-z.]*\)",/\1/p' | while read -r ev; do
		grep -q "^\.It Li $ev\$" man/taskweaver-ipc.7 ||
		    echo "event '$ev' is not in man/taskweaver-ipc.7"
	done
}

# The verbs whose operand is a task (by their usage) are the ones the three
# completion files complete task names for.
completions_agree() {
	twctl=${TWCTL:-build/twctl}
	[ -x "$twctl" ] || { echo "no $twctl to ask; build first"; return; }
	want=$("$twctl" list-commands | while read -r verb; do
		# Options' own operands ([-a task|run]) are not the verb's.
		"$twctl" "$verb" --help 2>&1 | head -1 | sed 's/\[-[^]]*\]//g' |
		    grep -qE "^usage: twctl $verb .*( |\[|\|)task([]| |\|]|$)" &&
		    echo "$verb"
	done | LC_ALL=C sort | tr '\n' ' ')
	bash=$(sed -n 's/^\t\(run | history[a-z |]*\))$/\1/p' completions/twctl.bash | tr -d ' ' | tr '|' '\n')
	zsh=$(sed -n 's/^\t\(run|history[a-z|]*\))$/\1/p' completions/_twctl | tr '|' '\n')
	fish=$(sed -n "s/.*(__twctl_verb) \(run history[a-z ]*\)' -a.*/\1/p" completions/twctl.fish | tr ' ' '\n')
	for f in bash zsh fish; do
		eval "got=\$$f"
		got=$(printf '%s\n' $got | LC_ALL=C sort | tr '\n' ' ')
		[ "$got" = "$want" ] ||
		    echo "$f completion completes tasks for '$got', the verbs taking a task are '$want'"
	done
}

no_placeholders() {
	grep -rnwE 'TODO|FIXME|XXX' src tests/unit man completions || true
}

check "man pages" man_lint
check "clang-format" format_lint
check "protocol documented" ipc_documented
check "fields documented" fields_documented
check "events documented" events_documented
check "tables sorted" tables_sorted
check "completions agree" completions_agree
check "no placeholders" no_placeholders
echo "lint: $pass passed, $failed failed"
[ "$failed" -eq 0 ]
