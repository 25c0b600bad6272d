# Tasks files that took the loader minutes or gigabytes: an alias of a
# long list in every task, thousands of variables in thousands of tasks,
# lists nested 100,000 deep, 200,000 anchors, too many includes. Each is
# read in linear time or refused with a clear error. The timeouts only
# stop a hang (each took minutes before); no time is judged.
. "$(dirname "$0")/lib.sh"

# One list of 20,000 words named by 2,000 tasks: 40 million copies.
python3 -c '
print("tasks:")
print("  t0: {run: &r [" + ", ".join(f"w{i}" for i in range(20000)) + "]}")
for t in range(1, 2000):
    print(f"  t{t}: {{run: *r}}")' >"$T/alias.yaml"
expect_rc 1 timeout 120 "$TWCTL" check "$T/alias.yaml"
expect_contains "$(cat "$T/err")" "aliases make this file more than"

# 3,000 variables in the defaults and in each of 1,000 tasks, one of them
# overriding: linear, and the task's own value wins.
python3 -c '
print("defaults:")
print("  env: {" + ", ".join(f"D{i}: d" for i in range(3000)) + "}")
print("tasks:")
for t in range(1000):
    print(f"  t{t}: {{command: \"true\", env: {{" + ", ".join(f"V{i}: v" for i in range(3000)) + ", D7: own}}")' >"$T/env.yaml"
expect_rc 0 timeout 120 "$TWCTL" check "$T/env.yaml"

# Lists in lists 100,000 deep: refused at the 1,001st.
python3 -c '
print("tasks:")
print("  a: {command: x, env: {X: " + "[" * 100000 + "]" * 100000 + "}}")' >"$T/deep.yaml"
expect_rc 1 timeout 120 "$TWCTL" check "$T/deep.yaml"
expect_contains "$(cat "$T/err")" "deep.yaml:2:1024: lists and mappings nest deeper than 1000 levels here"

# 200,000 anchors, each named once.
python3 -c '
print("tasks:")
for i in range(200000):
    print(f"  t{i}: {{command: &a{i} x, description: *a{i}}}")' >"$T/anchors.yaml"
expect_rc 0 timeout 120 "$TWCTL" check "$T/anchors.yaml"
expect_contains "$(cat "$T/out")" "200000 tasks OK"

# More than 10,000 included files: the rest is refused, not read.
mkdir -m 700 "$T/inc"
python3 -c '
import sys
for i in range(10001):
    open(f"{sys.argv[1]}/f{i:05}.yaml", "w").write(f"tasks:\n  i{i}: {{command: x}}\n")' "$T/inc"
printf 'include: [inc/*.yaml]\ntasks:\n  main: {command: x}\n' >"$T/many.yaml"
expect_rc 1 timeout 120 "$TWCTL" check "$T/many.yaml"
expect_contains "$(cat "$T/err")" "many.yaml:1:11: include: more than 10000 files; the rest of '$T/inc/*.yaml' is not read"

# The env override, in the daemon: the task's value.
cat >"$TW_CONFIG" <<'YAML'
defaults:
  env: {A: from-defaults, B: kept}
tasks:
  show: {command: 'echo "$A $B"', env: {A: own}}
YAML
start_twd
twctl run show >/dev/null
wait_until "show to finish" run_status_is show ok
expect_contains "$(twctl logs show)" "own kept"

# A file past 64 MiB is refused before it is read.
truncate -s 65M "$T/huge.yaml"
expect_rc 1 "$TWCTL" check "$T/huge.yaml"
expect_contains "$(cat "$T/err")" "it is 68157440 bytes, over the 64 MiB a tasks file may be"
