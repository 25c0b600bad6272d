# Long output goes through a pager at a terminal, as git's does: TW_PAGER,
# then PAGER, then less; never when output is not a terminal, with
# --no-pager, or while logs -f follows.
. "$(dirname "$0")/lib.sh"

tasks <<YAML
tasks:
  talk: {command: 'seq 1 5'}
YAML
start_twd
twctl run --wait talk >/dev/null

# On a terminal (script(1) gives twctl one); the pager marks what it got.
at_tty() {
	script -qec "$*" /dev/null >"$T/tty.out" 2>&1 ||
		fail "at a terminal, '$*' exited $?: $(cat "$T/tty.out")"
}
# Run $1 at a terminal and fail with $2 if it was paged.
not_paged() {
	at_tty "$1"
	[ ! -e "$T/paged" ] || fail "$2"
}
export TW_PAGER="sed 's/^/paged: /' >'$T/paged'"
at_tty "'$TWCTL' history talk"
expect_contains "$(cat "$T/paged")" "paged: "
expect_contains "$(cat "$T/paged")" "talk"
rm -f "$T/paged"
at_tty "'$TWCTL' logs talk"
expect_contains "$(cat "$T/paged")" "paged: 5"
rm -f "$T/paged"

# --no-pager, a pipe, or PAGER=cat: no pager.
not_paged "'$TWCTL' --no-pager history talk" "--no-pager paged"
not_paged "'$TWCTL' history talk --no-pager" "--no-pager after the command paged"
twctl history talk >/dev/null
[ ! -e "$T/paged" ] || fail "a pipe was paged"
TW_PAGER=cat not_paged "'$TWCTL' history talk" "TW_PAGER=cat paged"
# PAGER is used when TW_PAGER is not set; LESS gets FRX unless set.
(
	unset TW_PAGER
	PAGER="env >'$T/paged'" at_tty "'$TWCTL' list"
)
expect_contains "$(cat "$T/paged")" "LESS=FRX"
rm -f "$T/paged"
# A pager quit before it read all (q in less) is no failure of twctl's.
TW_PAGER='exec 0<&-; sleep 0.3' at_tty "'$TWCTL' history talk"
TW_PAGER='exec 0<&-; sleep 0.3' at_tty "'$TWCTL' logs talk"
# Commands that print a line or two and logs -f are not paged.
not_paged "'$TWCTL' status" "status was paged"
not_paged "'$TWCTL' run -f talk" "run -f was paged"
