# Without a daemon, every verb that needs one says so in one line, says
# how to start it, and exits 3.
. "$(dirname "$0")/lib.sh"

for v in $(twctl list-commands); do
	case $v in
	help | list-commands | list-values | cron | check | edit | init | import-crontab | plugins | dash | web) continue ;; # need no daemon (dash: a terminal; web: twweb waits for one)
	run | kill | logs | show | pause | resume | why | submit | wait) args=backup ;;
	restart) args=1 ;;
	*) args="" ;;
	esac
	# shellcheck disable=SC2086
	expect_rc 3 twctl "$v" $args
	[ "$(wc -l <"$T/err")" = 1 ] || fail "$v: not one line: $(cat "$T/err")"
	expect_contains "$(cat "$T/err")" "twctl: twd is not running (no socket at '$TW_SOCKET'); start it with: twd"
	[ ! -s "$T/out" ] || fail "$v wrote to stdout"

	expect_rc 3 twctl --json "$v" $args
	[ "$(jget 'd["error"]["code"]' <"$T/out")" = daemon_unreachable ] || fail "$v --json: $(cat "$T/out")"
done

# A --socket flag is repeated in the hint, since twd would not know it.
expect_rc 3 twctl --socket "$T/elsewhere.sock" status
expect_contains "$(cat "$T/err")" "start it with: twd --socket $T/elsewhere.sock"

# A socket file with nobody behind it is called stale.
python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$TW_SOCKET"
expect_rc 3 twctl status
expect_contains "$(cat "$T/err")" "a stale socket"
