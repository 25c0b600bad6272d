# The bash completion offers commands, options and task names, all asked
# of twctl itself.
. "$(dirname "$0")/lib.sh"
comp=$(cd "$(dirname "$0")/../../completions" && pwd)/twctl.bash

tasks <<'YAML'
tasks:
  backup: {command: "true"}
  bake: {command: "true"}
  other: {command: "true"}
YAML
start_twd

mkdir "$T/bin"
ln -s "$TWCTL" "$T/bin/twctl"
complete_line() {
	PATH="$T/bin:$PATH" bash -c '
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_twctl
		printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort' sh "$comp" "$@"
}

[ "$(complete_line twctl sta)" = status ] || fail "verb: $(complete_line twctl sta)"
[ "$(complete_line twctl --json hi)" = history ] || fail "verb after option"
[ "$(complete_line twctl run ba)" = "backup
bake" ] || fail "tasks: $(complete_line twctl run ba)"
expect_contains "$(complete_line twctl history --)" "--limit"
expect_contains "$(complete_line twctl shutdown --)" "--no-wait"
expect_contains "$(complete_line twctl help li)" "list-commands"
# show TASK FIELD: after the task, the fields of the tasks file.
[ "$(complete_line twctl show backup time)" = "timeout
timezone" ] || fail "fields: $(complete_line twctl show backup time)"
# zsh and fish show each command's summary: list-commands --describe.
expect_contains "$(twctl list-commands --describe)" "$(printf 'restart\trun a finished run again, as a new run')"
[ "$(complete_line twctl logs ot)" = other ] || fail "logs task: $(complete_line twctl logs ot)"
[ "$(complete_line twctl kill --signal KILL ot)" = other ] || fail "kill task"
[ "$(complete_line twctl why ot)" = other ] || fail "why task"
expect_contains "$(complete_line twctl submit --)" "--batch"
# Option values, from twctl list-values: signals, statuses, zones.
[ "$(complete_line twctl kill -s TE)" = TERM ] || fail "kill -s: $(complete_line twctl kill -s TE)"
[ "$(complete_line twctl kill --signal USR)" = "USR1
USR2" ] || fail "kill --signal: $(complete_line twctl kill --signal USR)"
[ "$(complete_line twctl history --status fa)" = failed ] || fail "history --status"
[ "$(complete_line twctl history -s start)" = start_failed ] || fail "history -s"
[ "$(complete_line twctl cron --tz Europe/Berl)" = Europe/Berlin ] || fail "cron --tz: $(complete_line twctl cron --tz Europe/Berl)"
expect_rc 2 twctl list-values colours
[ "$(complete_line twctl submit --after ba)" = "backup
bake" ] || fail "submit --after: $(complete_line twctl submit --after ba)"
expect_contains "$(complete_line twctl submit sh)" "sh"
touch "$T/crontab.txt"
[ "$(cd "$T" && complete_line twctl import-crontab cront)" = crontab.txt ] || fail "import-crontab file"
[ "$(complete_line twctl -s "$T/cront")" = "$T/crontab.txt" ] || fail "the socket is a file"
[ "$(twctl list -q)" = "backup
bake
other" ] || fail "list -q: $(twctl list -q)"
