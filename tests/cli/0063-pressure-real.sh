# pressure: against the kernel's own PSI (/proc/pressure): the test loads
# the CPUs until "some avg10" of cpu is well above a task's bound, and its
# run must wait, saying why; a reload that raises the bound lets it go.
# (0061 drives the bound both ways through files the test writes; here
# what is checked is that twd reads the kernel's.) Skipped, saying so,
# where the kernel has no PSI.
. "$(dirname "$0")/lib.sh"

if [ ! -r /proc/pressure/cpu ]; then
	echo "skip: this kernel has no PSI (/proc/pressure/cpu): pressure: is ignored there, as twctl check warns"
	exit 0
fi

tasks <<YAML
tasks:
  strained: {command: "true", pressure: {cpu: 20%}}
YAML
start_twd

# More busy loops than CPUs: some task always waits for one.
n=$(($(nproc) + 2))
pids=""
while [ "$n" -gt 0 ]; do
	sh -c 'while :; do :; done' &
	pids="$pids $!"
	n=$((n - 1))
done
at_cleanup "kill $pids 2>/dev/null || true"
WAIT_TENTHS=600 wait_until "cpu pressure above 25%" psi_above cpu 25
twctl run strained >"$T/out"
kill $pids 2>/dev/null || true
expect_contains "$(cat "$T/out")" "'strained': the machine's cpu pressure is"
expect_contains "$(cat "$T/out")" "above its bound of 20%"
run_status_is strained queued || fail "strained: $(twctl --json history -n 1 strained)"

sed -i 's/cpu: 20%/cpu: 100%/' "$TW_CONFIG"
twctl reload >/dev/null
wait_until "strained runs once its bound is raised" run_status_is strained ok
echo ok
