# pressure: memory, against the kernel's own PSI (/proc/pressure/memory):
# the test makes real memory pressure, a reader going round a 128M file in
# a memory cgroup of 16M (each pass refaults what the last one evicted, and
# the kernel counts those stalls), and a task's run with pressure: {memory:
# 5%} waits for it, saying why; once the load is stopped and the pressure
# has eased, the timer's re-read lets it run. Skipped, saying so, where the
# kernel has no PSI or no memory cgroup this test may make (0061 drives the
# memory bound through files instead).
. "$(dirname "$0")/lib.sh"

if [ ! -r /proc/pressure/memory ]; then
	echo "skip: this kernel has no PSI (/proc/pressure/memory): pressure: is ignored there, as twctl check warns"
	exit 0
fi
# A cgroup v1 memory hierarchy, as these machines mount (twd itself uses
# v2 only; here the cgroup is the load's, made by the test).
mnt=$(awk '$3 == "cgroup" && $4 ~ /(^|,)memory(,|$)/ { print $2; exit }' /proc/mounts)
cg=${mnt:+$mnt/tw-test.$$}
if [ -z "$mnt" ] || ! mkdir "$cg" 2>/dev/null; then
	echo "skip: no memory cgroup this test may make (${mnt:-no cgroup v1 memory controller mounted}): the memory load cannot be made here"
	exit 0
fi
# Stop every process of the load (the loop first, then its reader), and
# remove its cgroup once it is empty.
load_stop() {
	i=0
	while [ -d "$cg" ] && ! rmdir "$cg" 2>/dev/null && [ "$i" -lt 100 ]; do
		for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do
			kill "$p" 2>/dev/null || true
		done
		sleep 0.1
		i=$((i + 1))
	done
}
at_cleanup "load_stop || true"
echo 16M >"$cg/memory.limit_in_bytes"


tasks <<YAML
tasks:
  eased: {command: "true", pressure: {memory: 5%}}
YAML
start_twd

# The reader joins the cgroup before it writes the file, so the file's
# pages are charged there and each pass must evict the last one's.
sh -c 'echo $$ >"$1/cgroup.procs" && exec sh -c "head -c 128M /dev/zero >\"\$0\" && while :; do cat \"\$0\" >/dev/null; done" "$2"' \
	load "$cg" "$T/load.dat" &
WAIT_TENTHS=900 wait_until "memory pressure above 10%" psi_above memory 10
twctl run eased >"$T/out"
expect_contains "$(cat "$T/out")" "'eased': the machine's memory pressure is"
expect_contains "$(cat "$T/out")" "above its bound of 5%"
expect_contains "$(twctl why eased)" "memory pressure is"
run_status_is eased queued || fail "eased: $(twctl --json history -n 1 eased)"

load_stop
# No reload, no nudge: twd reads PSI again on its own while the run waits.
WAIT_TENTHS=1200 wait_until "eased runs once the memory pressure eases" run_status_is eased ok
echo ok
