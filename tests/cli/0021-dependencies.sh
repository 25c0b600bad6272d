# after: a diamond of dependencies (a -> b, a -> c, b + c -> d) runs each
# task once, in order; a failed dependency triggers nothing, and show says
# what a task waits for.
. "$(dirname "$0")/lib.sh"

step() { echo "echo $1 >>\"$T/order\"; [ ! -e \"$T/fail-$1\" ]"; }
tasks <<YAML
tasks:
  a: {command: '$(step a)'}
  b: {command: '$(step b)', after: [a]}
  c: {command: '$(step c)', after: [a]}
  d: {command: '$(step d)', after: [b, c]}
YAML
start_twd
[ "$(twctl --json show d | jget 'd["state"]')" = after ] || fail "d: $(twctl show d)"

twctl run a >/dev/null
wait_until "d to run" run_status_is d ok
order=$(tr '\n' ' ' <"$T/order")
case $order in
"a b c d " | "a c b d ") ;;
*) fail "order: $order" ;;
esac
for t in b c d; do
	[ "$(twctl --json history "$t" | jget 'len(d)')" = 1 ] || fail "$t ran $(twctl --json history "$t" | jget 'len(d)') times"
	[ "$(twctl --json history -n 1 "$t" | jget 'd[0]["trigger"]')" = dependency ] || fail "$t trigger"
done
[ "$(twctl --json show d | jget 'd["waiting_for"]')" = '["b", "c"]' ] || fail "d waits for: $(twctl --json show d | jget 'd["waiting_for"]')"

# b fails: c succeeds, d is not triggered and says it waits for b.
rm "$T/order"
touch "$T/fail-b"
twctl run a >/dev/null
wait_until "b to fail" run_status_is b failed
wait_until "c to succeed" sh -c "[ \$('$TWCTL' --json history c | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') = 2 ]"
sleep 0.3
[ "$(twctl --json history d | jget 'len(d)')" = 1 ] || fail "d ran after a failed b"
[ "$(twctl --json show d | jget 'd["waiting_for"]')" = '["b"]' ] || fail "d waits for: $(twctl --json show d | jget 'd["waiting_for"]')"
expect_contains "$(twctl show d)" 'waiting for       ["b"]'
expect_contains "$(twctl why d)" "next: it runs when its after: tasks have succeeded; still waiting for b"
expect_contains "$(twctl why d)" "last: run "
expect_contains "$(twctl why b)" "ended exit 1"
# Once b succeeds, d has all it needs.
rm "$T/fail-b"
twctl run b >/dev/null
wait_until "d to run again" sh -c "[ \$('$TWCTL' --json history d | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') = 2 ]"

# A cycle is refused with the cycle spelled out.
tasks <<'YAML'
tasks:
  a: {command: "true", after: [c]}
  b: {command: "true", after: [a]}
  c: {command: "true", after: [b]}
YAML
expect_rc 1 "$TWD" --foreground
expect_contains "$(cat "$T/err")" "tasks.yaml:2:3: after: the tasks depend on each other in a cycle: a -> c -> b -> a"
