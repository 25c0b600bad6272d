# Every verb answers -h, is in the man page and in "help"; usage errors
# exit 2 with a suggestion; --version names the protocol.
. "$(dirname "$0")/lib.sh"
man=$(dirname "$0")/../../man/twctl.1

verbs=$(twctl list-commands)
[ -n "$verbs" ] || fail "list-commands printed nothing"
for v in $verbs; do
	expect_rc 0 twctl "$v" -h
	expect_contains "$(cat "$T/out")" "usage: twctl $v"
	expect_rc 0 twctl help "$v"
	grep -qE "^\.(It )?Cm $v( |$)" "$man" || fail "'$v' is missing from twctl.1"
	expect_contains "$(twctl help)" "  $v "
done

expect_rc 0 twctl --version
expect_contains "$(cat "$T/out")" "(protocol 1)"
expect_rc 0 "$TWD" --version

expect_rc 2 twctl stauts
expect_contains "$(cat "$T/err")" "unknown command 'stauts' (did you mean 'status'?)"
# With --json, errors and help are JSON too.
expect_rc 2 twctl --json stauts
[ "$(jget 'd["error"]["code"]' <"$T/out")" = usage ] || fail "--json unknown: $(cat "$T/out")"
expect_contains "$(jget 'd["error"]["message"]' <"$T/out")" "did you mean 'status'?"
expect_rc 0 twctl --json help
[ "$(jget 'len(d)' <"$T/out")" = "$(echo "$verbs" | wc -l)" ] || fail "--json help: $(cat "$T/out")"
expect_rc 0 twctl --json help status
[ "$(jget 'd["usage"]' <"$T/out")" = "twctl status [--json]" ] || fail "--json help status"
expect_rc 2 twctl
expect_rc 2 twctl run
expect_contains "$(cat "$T/err")" "too few arguments"
expect_rc 2 twctl status extra
expect_contains "$(cat "$T/err")" "too many arguments"
expect_rc 2 twctl history --bogus
expect_contains "$(cat "$T/err")" "unknown option '--bogus'"
expect_rc 2 "$TWD" --grace soon
expect_contains "$(cat "$T/err")" "bad duration 'soon'"
