#!/bin/sh
# make install into a temporary prefix: every file where it belongs, and
# the systemd unit naming twd by an absolute path that systemd accepts
# (systemd-analyze verify, where it is installed); make uninstall removes
# them all.
set -eu
T=$(mktemp -d /tmp/tw-install.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL  install: $*"; exit 1; }
make --no-print-directory install PREFIX="$T/prefix" >"$T/log" 2>&1 ||
	{ cat "$T/log"; fail "make install"; }
unit="$T/prefix/share/systemd/user/twd.service"
for f in bin/twd bin/twctl bin/twd-deliver share/man/man1/twd.1 \
	share/man/man5/taskweaver.5 share/taskweaver/twd.service \
	share/systemd/user/twd.service share/bash-completion/completions/twctl \
	share/zsh/site-functions/_twctl share/fish/vendor_completions.d/twctl.fish \
	bin/twweb share/man/man1/twweb.1 share/systemd/user/twweb.service \
	share/taskweaver/web/index.html share/taskweaver/web/app.js \
	share/taskweaver/web/style.css share/taskweaver/web/openapi.yaml; do
	[ -e "$T/prefix/$f" ] || fail "no $f"
done
# A package's (PREFIX=/usr): zsh's completion where Debian's zsh looks.
make --no-print-directory install PREFIX=/usr DESTDIR="$T/pkg" >"$T/log" 2>&1 ||
	{ cat "$T/log"; fail "make install DESTDIR"; }
[ -e "$T/pkg/usr/share/zsh/vendor-completions/_twctl" ] ||
	fail "zsh: $(find "$T/pkg" -name _twctl)"
grep -qx "ExecStart=$T/prefix/bin/twd --foreground" "$unit" ||
	fail "ExecStart: $(grep ExecStart "$unit")"
if command -v systemd-analyze >/dev/null; then
	for u in "$unit" "$T/prefix/share/systemd/user/twweb.service"; do
		systemd-analyze verify --man=no "$u" >"$T/verify" 2>&1 ||
			{ cat "$T/verify"; fail "systemd-analyze verify $u"; }
	done
fi
# The installed twweb finds its page beside it.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -m 700 "$T/state"
"$T/prefix/bin/twweb" -d "$T/state" -s "$T/none.sock" -l "$port" >"$T/web" 2>&1 &
web=$!
i=0
until curl -sf "http://127.0.0.1:$port/" >"$T/page" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || { kill "$web"; fail "installed twweb serves no page: $(cat "$T/web")"; }
	sleep 0.1
done
kill "$web"
wait "$web" 2>/dev/null || true
grep -q "<title>TaskWeaver</title>" "$T/page" || fail "installed page: $(head -c 200 "$T/page")"
make --no-print-directory install PREFIX=relative/path >"$T/log" 2>&1 &&
	fail "a relative BINDIR was accepted"
grep -q "is not absolute" "$T/log" || fail "relative BINDIR: $(cat "$T/log")"
make --no-print-directory uninstall PREFIX="$T/prefix" >"$T/log" 2>&1 ||
	fail "make uninstall"
left=$(find "$T/prefix" -type f | head -3)
[ -z "$left" ] || fail "left after uninstall: $left"
echo "ok    install"
