# Shared by the tests in tests/cli: a private daemon in a temporary
# directory, never the user's own, and helpers to drive and check it.
set -eu

T=$(mktemp -d /tmp/tw-cli.XXXXXX)
export HOME="$T/home"
export TW_CONFIG="$T/tasks.yaml" TW_STATE_DIR="$T/state" TW_SOCKET="$T/twd.sock"
unset XDG_CONFIG_HOME XDG_STATE_HOME XDG_RUNTIME_DIR
mkdir -p "$HOME"
TWD_PID=""
# Under the sanitizers, reports go to files that cleanup looks for, since a
# daemon in the background has no stderr to see them on.
export ASAN_OPTIONS="log_path=$T/sanitizer:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="log_path=$T/sanitizer:print_stacktrace=1:${UBSAN_OPTIONS:-}"

# Stop the daemon the orderly way, so that every test also checks that twd
# exits 0 and (under the sanitizers) frees everything.
cleanup() {
	rc=$?
	pid=${TWD_PID:-$(cat "$TW_STATE_DIR/twd.pid" 2>/dev/null || true)}
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		# Twice: the second skips the grace for running jobs.
		kill -TERM "$pid" 2>/dev/null || true
		sleep 0.1
		kill -TERM "$pid" 2>/dev/null || true
		i=0
		while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 300 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "FAIL: twd (pid $pid) did not exit on SIGTERM" >&2
			kill -KILL "$pid" 2>/dev/null || true
			rc=1
		elif [ "$pid" = "$TWD_PID" ]; then
			st=0
			wait "$pid" || st=$?
			if [ "$st" != 0 ]; then
				echo "FAIL: twd exited $st on SIGTERM" >&2
				rc=1
			fi
		fi
	fi
	# What the test set up outside (a mount), once twd is gone.
	eval "${AT_CLEANUP:-:}"
	for f in "$T"/sanitizer*; do
		[ -e "$f" ] || continue
		echo "FAIL: sanitizer report:" >&2
		cat "$f" >&2
		rc=1
	done
	# KEEP=1 leaves the directory (logs, database) for a post-mortem.
	[ -n "${KEEP:-}" ] || rm -rf "$T"
	exit "$rc"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	[ -f "$T/twd.log" ] && sed 's/^/twd.log: /' "$T/twd.log" >&2
	exit 1
}

twctl() { "$TWCTL" "$@"; }

# One request line, as written, and the daemon's reply line.
ask_raw() { printf '%s\n' "$1" | socat -t 5 - "UNIX-CONNECT:$TW_SOCKET"; }

tasks() { cat >"$TW_CONFIG"; }

# Run $1 (shell text) at cleanup too, after what is there already: the
# servers a test starts are all stopped, whichever started last.
at_cleanup() {
	case ${AT_CLEANUP:-} in
	*"$1"*) ;;
	*) AT_CLEANUP="${AT_CLEANUP:+$AT_CLEANUP; }$1" ;;
	esac
}

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

# twctl dash in a tmux server of the test's own ($T/tmux), session "dash",
# $1 columns by $2 lines; the server is stopped at cleanup.
dash_start() {
	sock="$T/tmux"
	at_cleanup 'tmux -S "$sock" kill-server 2>/dev/null || true'
	tmux -S "$sock" new-session -d -s dash -x "$1" -y "$2" \
		"env TW_SOCKET='$TW_SOCKET' LANG=C.UTF-8 '$TWCTL' dash"
}
screen() { tmux -S "$sock" capture-pane -p -t dash; }
keys() { tmux -S "$sock" send-keys -t dash "$@"; }
# Wait until the dashboard shows a line matching $1 (a grep pattern).
shows() {
	i=0
	until screen | grep -q -- "$1"; do
		i=$((i + 1))
		[ "$i" -lt 100 ] || fail "the dashboard does not show '$1':
$(screen)"
		sleep 0.1
	done
}

# Poll a command until it succeeds; the deadline (WAIT_TENTHS tenths of
# a second, 30 s unless set) only stops a hang.
wait_until() {
	what=$1
	shift
	i=0
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -lt "${WAIT_TENTHS:-300}" ] || fail "timed out waiting for: $what"
		sleep 0.1
	done
}

# The kernel's PSI of kind (cpu, memory, io): "some avg10", a percentage;
# psi_above KIND N: whether it is above N.
psi_avg10() { sed -n 's/^some avg10=\([0-9.]*\) .*/\1/p' "/proc/pressure/$1"; }
psi_above() { python3 -c "import sys; sys.exit(0 if float('$(psi_avg10 "$1")') > $2 else 1)"; }

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

# Wait for our foreground twd to exit and check its status is $1.
expect_twd_exit() {
	st=0
	wait "$TWD_PID" || st=$?
	[ "$st" = "$1" ] || fail "twd exited $st, not $1 ($2)"
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

# A real sshd on 127.0.0.1 for this test: its own host and client keys,
# authorized_keys, config and port, in $T/sshd; stopped at cleanup by its
# pid, with every process below it (the sessions, and what they ran).
# Sets SSH_PORT and SSH_DIR; $SSH_DIR/executor.yaml is an executor entry
# (type: ssh) for it, to paste under a name in executors:.
sshd_start() {
	SSH_DIR="$T/sshd"
	# sshd's privilege-separation directory, which only root can make.
	if ! sshd_possible; then
		echo "skip: needs /usr/sbin/sshd (make deps) and /run/sshd (root)"
		exit 0
	fi
	mkdir -p "$SSH_DIR"
	chmod 700 "$SSH_DIR"
	# Started again: the same keys, on a new port.
	if [ ! -e "$SSH_DIR/host_key" ]; then
		ssh-keygen -q -t ed25519 -N '' -f "$SSH_DIR/host_key"
		ssh-keygen -q -t ed25519 -N '' -f "$SSH_DIR/client_key"
		cp "$SSH_DIR/client_key.pub" "$SSH_DIR/authorized_keys"
	fi
	SSH_PORT=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
	cat >"$SSH_DIR/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $SSH_PORT
HostKey $SSH_DIR/host_key
PidFile $SSH_DIR/sshd.pid
AuthorizedKeysFile $SSH_DIR/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
StrictModes no
AllowUsers $(id -un)
LogLevel VERBOSE
MaxSessions 100
CONF
	/usr/sbin/sshd -t -f "$SSH_DIR/sshd_config" || fail "sshd_config"
	/usr/sbin/sshd -D -e -f "$SSH_DIR/sshd_config" 2>"$SSH_DIR/sshd.log" &
	SSHD_PID=$!
	at_cleanup sshd_stop
	wait_until "sshd to listen" sh -c \
		"ssh-keyscan -p $SSH_PORT 127.0.0.1 >'$SSH_DIR/known_hosts' 2>/dev/null && [ -s '$SSH_DIR/known_hosts' ]"
	cat >"$SSH_DIR/executor.yaml" <<YAML
{type: ssh, host: 127.0.0.1, port: $SSH_PORT, user: $(id -un), identity: $SSH_DIR/client_key, config: /dev/null, options: [UserKnownHostsFile=$SSH_DIR/known_hosts, IdentitiesOnly=yes, StrictHostKeyChecking=yes]}
YAML
}

# Whether this machine can start a test's sshd.
sshd_possible() {
	[ -x /usr/sbin/sshd ] && { [ -d /run/sshd ] || mkdir -p /run/sshd 2>/dev/null; }
}

# The pids below $1, at any depth.
descendants() {
	ps -e -o pid=,ppid= | awk -v root="$1" '
		{ up[$1] = $2 }
		END {
			for (p in up) {
				q = p
				while (q in up && q != root && q > 1)
					q = up[q]
				if (q == root && p != root)
					print p
			}
		}'
}

# sshd and all below it, by pid.
sshd_stop() {
	[ -n "${SSHD_PID:-}" ] || return 0
	for p in $(descendants "$SSHD_PID") "$SSHD_PID"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	SSHD_PID=""
}

# A free TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# A one-node Slurm cluster of the test's own in $T/slurm: its munge key
# and socket, slurm.conf (SLURM_CONF, exported), ports, spool and state;
# munged, slurmctld and slurmd stopped at cleanup by their pids, after
# its jobs are cancelled. Needs root (the daemons' users).
slurm_start() {
	SLURM_DIR="$T/slurm"
	mkdir -p "$SLURM_DIR/spool" "$SLURM_DIR/state" "$SLURM_DIR/log"
	# munge's, beside $T (private to root): the munge user reaches it.
	MUNGE_DIR=$(mktemp -d /tmp/tw-munge.XXXXXX)
	chown munge:munge "$MUNGE_DIR"
	chmod 755 "$MUNGE_DIR"
	at_cleanup slurm_stop
	as_munge="setpriv --reuid=munge --regid=munge --init-groups"
	$as_munge mungekey --create --keyfile="$MUNGE_DIR/munge.key"
	$as_munge munged --foreground --key-file="$MUNGE_DIR/munge.key" \
		--socket="$MUNGE_DIR/munge.socket" \
		--pid-file="$MUNGE_DIR/munged.pid" \
		--log-file="$MUNGE_DIR/munged.log" \
		--seed-file="$MUNGE_DIR/seed" 2>"$SLURM_DIR/log/munged.err" &
	MUNGED_PID=$!
	wait_until "munged to listen" test -S "$MUNGE_DIR/munge.socket"
	SLURM_NODE=$(hostname -s)
	export SLURM_CONF="$SLURM_DIR/slurm.conf"
	cat >"$SLURM_CONF" <<CONF
ClusterName=tw
SlurmctldHost=$SLURM_NODE(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_DIR/munge.socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
KillWait=2
SlurmctldPidFile=$SLURM_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/slurmd.pid
SlurmdSpoolDir=$SLURM_DIR/spool
StateSaveLocation=$SLURM_DIR/state
SlurmctldLogFile=$SLURM_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_DIR/log/slurmd.log
NodeName=$SLURM_NODE NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=1024
PartitionName=debug Nodes=$SLURM_NODE Default=YES MaxTime=INFINITE State=UP
CONF
	slurmctld -D -i >"$SLURM_DIR/log/slurmctld.out" 2>&1 &
	SLURMCTLD_PID=$!
	wait_until "slurmctld to answer" scontrol ping
	slurmd -D -N "$SLURM_NODE" >"$SLURM_DIR/log/slurmd.out" 2>&1 &
	SLURMD_PID=$!
	wait_until "the node to be idle" sh -c \
		'[ "$(sinfo -h -N -o %T)" = idle ]'
}

# The cluster's jobs cancelled, then its daemons and what is below them.
slurm_stop() {
	if [ -z "${SLURMD_PID:-}" ]; then
		[ -z "${MUNGED_PID:-}" ] || kill -KILL "$MUNGED_PID" 2>/dev/null || true
		[ -z "${MUNGE_DIR:-}" ] || rm -rf "$MUNGE_DIR"
		return 0
	fi
	scancel --full --user="$(id -un)" 2>/dev/null || true
	# TERM first: slurmctld then reaps its own helpers (slurmscriptd).
	for p in "$SLURMD_PID" "$SLURMCTLD_PID"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	i=0
	while [ "$i" -lt 50 ] && { kill -0 "$SLURMD_PID" || kill -0 "$SLURMCTLD_PID"; } 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	for p in $(descendants "$SLURMD_PID") "$SLURMD_PID" \
		"$SLURMCTLD_PID" "$MUNGED_PID"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	# slurmstepd leaves slurmd's tree: found by the spool it uses.
	for p in $(ps -e -o pid=,comm= | awk '$2 == "slurmstepd" { print $1 }'); do
		if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null |
			grep -q "$SLURM_DIR" ||
			grep -qs "$SLURM_DIR" "/proc/$p/environ"; then
			kill -KILL "$p" 2>/dev/null || true
		fi
	done
	SLURMD_PID=""
	rm -rf "$MUNGE_DIR"
}

# twweb for the test's twd on a port of its own: WEB_PORT, WEB_PID, and
# WEB_URL, the address its first start prints (with the token in it);
# stopped at cleanup.
web_start() {
	TWWEB=${TWWEB:-$(dirname "$TWD")/twweb}
	WEB_PORT=$(free_port)
	"$TWWEB" --listen "$WEB_PORT" "$@" >"$T/web.out" 2>"$T/web.err" &
	WEB_PID=$!
	at_cleanup 'kill $WEB_PID 2>/dev/null || true'
	wait_until "twweb to start" test -s "$T/web.out"
	WEB_URL=$(head -1 "$T/web.out")
}
