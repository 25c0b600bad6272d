# Run a command (the benchmarks) with a real sshd and, as root where
# slurm-wlm is installed, a one-node Slurm cluster, both of the tests'
# fixtures (tests/cli/lib.sh): on 127.0.0.1, in a temporary directory,
# stopped by their pids when the command ends. The command finds them in
# TW_BENCH_SSH_DIR, TW_BENCH_SSH_PORT and SLURM_CONF.
. "$(dirname "$0")/../cli/lib.sh"

if sshd_possible; then
	sshd_start
	export TW_BENCH_SSH_DIR="$SSH_DIR" TW_BENCH_SSH_PORT="$SSH_PORT"
fi
if [ "$(id -u)" = 0 ] && command -v slurmctld >/dev/null; then
	slurm_start
fi
"$@"
