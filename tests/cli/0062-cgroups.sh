# cgroup limits. This machine may delegate no cgroup v2 subtree (cgroup v1
# only, as CI's), so twd is first given a directory tree made by the test
# (TW_CGROUP_ROOT) that stands for one: the files twd writes (the
# controllers enabled, each run's memory.max, memory.swap.max, cpu.max,
# pids.max, its pid in cgroup.procs) are checked, and the test then plays
# the kernel: it writes memory.peak and an oom_kill to memory.events and
# SIGKILLs the job, which twd must record as oom with its limit. Then,
# with no such tree, the real thing where the system delegates one, or a
# line saying why it was skipped.
. "$(dirname "$0")/lib.sh"

cg=$T/cg
mkdir "$cg"
echo "cpuset cpu io memory hugetlb pids rdma misc" >"$cg/cgroup.controllers"
: >"$cg/cgroup.subtree_control"
export TW_CGROUP_ROOT="$cg"
tasks <<YAML
capacity: {cpus: 2, memory: 1G, swap: 0}
tasks:
  hog:
    command: "sleep 60"
    resources: {cpus: 0.5, memory: 600M}
    limits: {nproc: 50}
  plain: {command: "true"}
YAML
start_twd
twctl status >"$T/status"
grep -q "^cgroups:    on: each run in its own, under $cg$" "$T/status" ||
	fail "status: $(cat "$T/status")"
[ "$(cat "$cg/cgroup.subtree_control")" = "+memory +cpu +pids" ] ||
	fail "subtree_control: $(cat "$cg/cgroup.subtree_control")"

twctl run hog >/dev/null
wait_until "hog runs" run_status_is hog running
pid=$(twctl --json history -n 1 hog | jget 'd[0]["pid"]')
id=$(twctl --json history -n 1 hog | jget 'd[0]["id"]')
dir=$(ls -d "$cg"/run-*-"$id")
[ "$(cat "$dir/memory.max")" = 629145600 ] || fail "memory.max: $(cat "$dir/memory.max")"
[ "$(cat "$dir/memory.swap.max")" = 0 ] || fail "memory.swap.max: $(cat "$dir/memory.swap.max")"
[ "$(cat "$dir/cpu.max")" = "50000 100000" ] || fail "cpu.max: $(cat "$dir/cpu.max")"
[ "$(cat "$dir/pids.max")" = 50 ] || fail "pids.max: $(cat "$dir/pids.max")"
[ "$(cat "$dir/cgroup.procs")" = "$pid" ] ||
	fail "cgroup.procs: '$(cat "$dir/cgroup.procs")', the job is $pid"

# The kernel, played: a peak, an OOM kill, the job gone by SIGKILL.
echo 123456789 >"$dir/memory.peak"
printf 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n' >"$dir/memory.events"
kill -KILL "$pid"
wait_until "hog ends" run_status_is hog oom
twctl --json history -n 1 hog >"$T/h"
expect_contains "$(jget 'd[0]["reason"]' <"$T/h")" "killed by the kernel's OOM killer at its memory limit of 600M (resources: memory)"
[ "$(jget 'd[0]["memory_peak"]' <"$T/h")" = 123456789 ] || fail "peak: $(cat "$T/h")"
[ "$(jget 'd[0]["oom_kills"]' <"$T/h")" = 1 ] || fail "oom_kills: $(cat "$T/h")"
[ ! -e "$dir" ] || fail "the run's cgroup was left: $(ls "$dir")"
twctl history hog >"$T/hist"
grep -q " oom$" "$T/hist" || fail "history: $(cat "$T/hist")"
twctl run plain >/dev/null
wait_until "plain runs" run_status_is plain ok
twctl shutdown >/dev/null
wait "$TWD_PID" || fail "twd did not stop cleanly"
TWD_PID=

# The real thing, where this machine delegates a cgroup v2 subtree.
unset TW_CGROUP_ROOT
tasks <<YAML
tasks:
  greedy:
    run: [python3, -c, "b = bytearray(512 << 20); b[::4096] = b'x' * (len(b) // 4096)"]
    resources: {memory: 64M}
YAML
start_twd
if twctl status | grep -q "^cgroups:    on"; then
	twctl run greedy >/dev/null
	wait_until "greedy ends" sh -c '! "$TWCTL" --json history -n 1 greedy | grep -q "\"status\": \"running\""'
	run_status_is greedy oom || fail "greedy: $(twctl --json history -n 1 greedy)"
	echo "real cgroup v2: a run past its memory.max recorded as oom"
else
	echo "skip: real cgroup v2 enforcement: $(twctl status | sed -n 's/^cgroups:    off: //p')"
fi
echo ok
