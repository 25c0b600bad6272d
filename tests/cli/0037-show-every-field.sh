# twctl show shows every field a task may set: each name of the field
# table (twctl list-values fields) is a key of `show --json` and a line of `show`,
# or is named below with the line or key that shows it. A new field fails
# this test until show has it.
. "$(dirname "$0")/lib.sh"

# pressure: is shown whether or not this kernel has PSI.
mkdir "$T/psi"
printf 'some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n' | tee "$T/psi/cpu" "$T/psi/memory" "$T/psi/io" >/dev/null
export TW_PSI_DIR="$T/psi"

# The field table, as twctl has it (list-values fields).
FIELDS=$(twctl list-values fields)
[ "$(echo "$FIELDS" | wc -l)" -gt 30 ] || fail "no field table: $FIELDS"

tasks <<'YAML'
queues:
  heavy: {max_concurrent: 1}
notifiers:
  me: {type: command, run: [cat]}
tasks:
  cron:
    description: every field a cron task may have
    command: echo cron
    shell: [/bin/bash, -c]
    schedule: "30 2 * * *"
    timezone: Europe/Berlin
    jitter: 30s
    catch_up: all
    catch_up_max: 5
    starting_deadline: 10m
    cwd: /tmp
    env: {A: b}
    env_clear: true
    umask: "027"
    nice: 5
    limits: {nofile: 256, memory: 2G, cpu: 10m}
    resources: {cpus: 2, memory: 1G}
    pressure: {cpu: 50%, memory: 10%}
    executor: local
    timeout: 1h
    kill_grace: 5s
    max_output: 1M
    enabled: false
    priority: high
    queue: heavy
    overlap: queue
    retries: 3
    retry_delay: 20s
    retry_backoff: 3
    retry_max_delay: 2h
    retry_on: [75, timeout]
    history: {keep_runs: 10, keep_days: 7, max_bytes: 5M}
    notify: {on: [failure, retry], via: [me]}
    notify_every: 2h
  interval:
    run: [echo, interval]
    every: 5m
    start_at: "2030-01-01T00:00:00Z"
    after: [cron]
  once:
    command: echo once
    at: "2031-06-01T12:00:00Z"
YAML
# A task of a plugin's type, for type and with.
mkdir -p "$T/plugins"
cat >"$T/plugins/p" <<'SH'
#!/bin/sh
echo '{"protocol": 1, "kind": ["task"], "params": {"n": {"type": "integer"}}}'
SH
chmod +x "$T/plugins/p"
sed -i "1i plugin_path: [$T/plugins]" "$TW_CONFIG"
printf '  plugged: {type: p, with: {n: 3}}\n' >>"$TW_CONFIG"
# A task a change runs, for on.
mkdir "$T/inbox"
printf '  watched: {command: "true", on: {path: {watch: [%s/inbox], glob: "*.csv"}}}\n' "$T" >>"$TW_CONFIG"
start_twd

: >"$T/json"
: >"$T/text"
for t in cron interval once plugged watched; do
	twctl --json show "$t" >>"$T/json"
	twctl show "$t" >>"$T/text"
done

# Where a field shows when not under its own name.
shown_as() {
	case "$1" in
	at | every | start_at) echo schedule ;;
	retry_backoff | retry_delay | retry_max_delay | retry_on) echo retries ;;
	catch_up_max) echo catch_up ;;
	notify_every) echo notify ;;
	enabled) echo state ;;
	*) echo "$1" ;;
	esac
}

python3 - "$T/json" $FIELDS <<'PY' || fail "show --json lacks fields"
import json, sys
text = open(sys.argv[1]).read()
dec, keys, i = json.JSONDecoder(), set(), 0
while i < len(text):
    if text[i].isspace():
        i += 1
        continue
    d, i = dec.raw_decode(text, i)
    keys |= set(d) | set(d["definition"])
grouped = {"at": "schedule", "every": "schedule", "start_at": "schedule"}
missing = [f for f in sys.argv[2:] if grouped.get(f, f) not in keys]
if missing:
    print("not in show --json:", missing)
    sys.exit(1)
PY

for f in $FIELDS; do
	label=$(shown_as "$f")
	grep -q "^$label  *[^ ]" "$T/text" ||
		fail "'$f' is not shown by twctl show (looked for a '$label' line)"
done

# What the grouped fields say, on their lines.
expect_contains "$(cat "$T/text")" "retries           3, first after 20s, each wait x3 up to 2h; on exit 75, timeout"
expect_contains "$(cat "$T/text")" "history           10 runs, 7 days, 5M of logs"
expect_contains "$(cat "$T/text")" "notify            failure, retry via me; again after 2h"
expect_contains "$(cat "$T/text")" "catch_up          all, at most 5"
expect_contains "$(cat "$T/text")" "starting_deadline 10m"
expect_contains "$(cat "$T/text")" "jitter            30s"
expect_contains "$(cat "$T/text")" "pressure          cpu 50%, memory 10%"
expect_contains "$(cat "$T/text")" "resources         cpus 2, memory 1G"
expect_contains "$(cat "$T/text")" "on                on change to *.csv in $T/inbox"
expect_contains "$(cat "$T/text")" "watching          1 directory"
# Limits in their units, not raw JSON.
grep -q "^limits  *nofile 256, memory 2G, cpu 10m$" "$T/text" ||
	fail "limits: $(grep '^limits' "$T/text")"
# Fields by name, one value a line, as a script wants them; --json an
# object; a name that is no field says the nearest.
[ "$(twctl show cron timeout retries queue timezone)" = "3600
3
heavy
Europe/Berlin" ] || fail "show fields: $(twctl show cron timeout retries queue timezone)"
[ "$(twctl --json show interval every after | jget 'd["after"], d["every"]')" = "(['cron'], 'every 5m')" ] ||
	fail "show --json fields: $(twctl --json show interval every after)"
expect_rc 2 twctl show cron timeot
expect_contains "$(cat "$T/err")" "show: 'timeot' is no field of a task (did you mean 'timeout'?)"
# A duplicate key under history: is a duplicate setting, not a limit.
printf 'tasks:\n  a: {command: x, history: {keep_runs: 1, keep_runs: 2}}\n' >"$T/dup.yaml"
expect_rc 1 twctl check "$T/dup.yaml"
expect_contains "$(cat "$T/err")" "duplicate setting 'keep_runs'"
echo "ok"
