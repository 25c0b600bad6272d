# The tasks file: twctl check against a corpus of broken files (each with
# its expected errors), owner and mode checks, includes, twctl reload with
# its diff and --dry-run, reload when the file changes, a broken reload
# that keeps the schedule, twctl edit with a fake editor, twctl init, and
# twctl import-crontab on a corpus that twd then loads.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")/.." && pwd)

# The corpus: each file's errors, positions included, as recorded.
cp -r "$here/config" "$T/corpus"
chmod -R go-w "$T/corpus"
for f in "$T"/corpus/*.yaml; do
	set +e
	"$TWCTL" check "$f" >"$T/out" 2>&1
	rc=$?
	set -e
	[ "$rc" = 1 ] || fail "$f: check exited $rc"
	sed "s|$T/corpus/||g" "$T/out" >"$T/got"
	diff -u "${f%.yaml}.err" "$T/got" >&2 || fail "$(basename "$f"): errors differ"
done
expect_rc 1 twctl check --json "$T/corpus/unknown-field.yaml"
[ "$(jget 'd[1]["line"], d[1]["column"], d[1]["message"]' <"$T/out")" = \
	"(4, 5, \"unknown field 'schedul' (did you mean 'schedule'?)\")" ] || fail "json: $(cat "$T/out")"

# A file others may write is refused, with the fix.
printf 'tasks:\n  a: {command: "true"}\n' >"$T/open.yaml"
chmod 666 "$T/open.yaml"
expect_rc 1 twctl check "$T/open.yaml"
expect_contains "$(cat "$T/err")" "may be written by anyone (mode 666), so it could make you run anything; run: chmod go-w '$T/open.yaml'"
chmod 600 "$T/open.yaml"
expect_rc 0 twctl check "$T/open.yaml"
expect_contains "$(cat "$T/out")" "1 task OK; none is scheduled"

# Includes: tasks from tasks.d, errors name their file.
mkdir "$T/tasks.d"
tasks <<'YAML'
include: [tasks.d/*.yaml]
tasks:
  a: {command: "true", every: 1h}
  # Far off, whatever the clock: a (in 1h) is always the next to run.
  b: {command: "true", at: "2099-01-01T03:00"}
YAML
printf 'tasks:\n  c: {command: "true", every: 2h, after: [a]}\n' >"$T/tasks.d/more.yaml"
expect_rc 0 twctl check
expect_contains "$(cat "$T/out")" "3 tasks OK; next: a at"
# Reloads by hand first: a daemon that does not watch the file.
start_twd --no-watch
[ "$(twctl list -q | tr '\n' ' ')" = "a b c " ] || fail "list: $(twctl list -q)"
before=$(twctl --json list | jget '[t["next_run"] for t in d if t["name"] == "c"][0]')

# reload --dry-run says what would change and changes nothing.
cat >"$TW_CONFIG" <<'YAML'
include: [tasks.d/*.yaml]
tasks:
  a: {command: "true", every: 2h, timeout: 5m}
  d: {command: "true", schedule: "0 4 * * *"}
YAML
expect_rc 0 twctl reload --dry-run
expect_contains "$(cat "$T/out")" "+ d (next: "
expect_contains "$(cat "$T/out")" "- b"
expect_contains "$(cat "$T/out")" "~ a: schedule, timeout (next: "
expect_contains "$(cat "$T/out")" " -> "
expect_contains "$(cat "$T/out")" "(dry run: nothing was changed)"
[ "$(twctl list -q | tr '\n' ' ')" = "a b c " ] || fail "a dry run changed: $(twctl list -q)"
expect_rc 0 twctl reload
expect_contains "$(cat "$T/out")" "~ a: schedule, timeout"
[ "$(twctl list -q | tr '\n' ' ')" = "a c d " ] || fail "reload: $(twctl list -q)"
# c, from the include, kept its state and next fire.
[ "$(twctl --json list | jget '[t["next_run"] for t in d if t["name"] == "c"][0]')" = "$before" ] ||
	fail "c's next fire moved"
expect_rc 0 twctl reload
expect_contains "$(cat "$T/out")" "no changes"

# A broken file: reload says why and exits 1; the schedule goes on; status
# shows it until a good file comes.
cp "$TW_CONFIG" "$T/good.yaml"
printf 'tasks:\n  a: {comand: x}\n' >"$TW_CONFIG"
expect_rc 1 twctl reload
expect_contains "$(cat "$T/err")" "1 error in the tasks file; nothing changed"
expect_contains "$(cat "$T/err")" "tasks.yaml:2:7: unknown field 'comand' (did you mean 'command'?)"
expect_contains "$(twctl status)" "NOT RELOADED: 1 error"
expect_contains "$(twctl status)" "tasks.yaml:2:7: unknown field 'comand'"
[ "$(twctl list -q | tr '\n' ' ')" = "a c d " ] || fail "the schedule changed: $(twctl list -q)"
cp "$T/good.yaml" "$TW_CONFIG"
expect_rc 0 twctl reload
case $(twctl status) in *"NOT RELOADED"*) fail "status still shows the error" ;; esac
twctl shutdown >/dev/null

# A watching daemon reloads when the file or an included one changes,
# also when an editor writes a new file and renames it over.
start_twd
printf 'tasks:\n  a: {command: "true", every: 2h}\n  e: {command: "true"}\n' >"$T/next.yaml"
mv "$T/next.yaml" "$TW_CONFIG.new"
printf 'include: [tasks.d/*.yaml]\n' | cat - "$TW_CONFIG.new" >"$TW_CONFIG.tmp"
rm "$TW_CONFIG.new"
mv "$TW_CONFIG.tmp" "$TW_CONFIG"
wait_until "the reload of a renamed file" sh -c "'$TWCTL' list -q | grep -q '^e$'"
grep -q "reloaded .* (the tasks file changed)" "$T/twd.log" || fail "no reload logged"
printf 'tasks:\n  c: {command: "true", every: 2h}\n  f: {command: "true"}\n' >"$T/tasks.d/more.yaml"
wait_until "the reload of an included file" sh -c "'$TWCTL' list -q | grep -q '^f$'"
# A broken file changes nothing; the status says so.
printf 'tasks:\n  a: {comand: x}\n' >"$TW_CONFIG"
wait_until "the failed reload in status" sh -c "'$TWCTL' status | grep -q 'NOT RELOADED'"
[ "$(twctl list -q | tr '\n' ' ')" = "a c e f " ] || fail "the schedule changed: $(twctl list -q)"

# twctl edit: a broken edit is shown and edited again, then installed.
cat >"$T/editor" <<'EOF'
#!/bin/sh
n=$(cat "$EDITS/count" 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" >"$EDITS/count"
sh "$EDITS/edit$n" "$1"
EOF
chmod +x "$T/editor"
mkdir "$T/edits"
echo 'printf "tasks:\n  x: {comand: 1}\n" >"$1"' >"$T/edits/edit1"
echo 'printf "tasks:\n  x: {command: \"true\", every: 1h}\n" >"$1"' >"$T/edits/edit2"
export EDITS="$T/edits" EDITOR="$T/editor"
unset VISUAL
echo e | twctl edit >"$T/out" 2>"$T/err" || fail "edit: $(cat "$T/err")"
expect_contains "$(cat "$T/err")" "unknown field 'comand' (did you mean 'command'?)"
expect_contains "$(cat "$T/err")" "What now? (e)dit again, (d)iscard the changes"
expect_contains "$(cat "$T/out")" "installed $TW_CONFIG"
expect_contains "$(cat "$T/out")" "+ x (next: "
[ "$(twctl list -q | tr '\n' ' ')" = "x " ] || fail "edit not loaded: $(twctl list -q)"
[ ! -e "$T"/.tasks.yaml.edit-* ] || fail "the copy was left behind"
# A broken edit discarded leaves the file as it was.
echo 0 >"$T/edits/count"
cp "$T/tasks.yaml" "$T/kept.yaml"
echo d | twctl edit >"$T/out" 2>"$T/err" && fail "a discarded edit exited 0"
expect_contains "$(cat "$T/err")" "discarded; $TW_CONFIG is as it was"
cmp "$T/tasks.yaml" "$T/kept.yaml" || fail "a discarded edit changed the file"

# twctl init writes a template that checks, and never over a file.
expect_rc 0 twctl init "$T/new/tasks.yaml"
expect_rc 0 twctl check "$T/new/tasks.yaml"
expect_rc 1 twctl init "$T/new/tasks.yaml"
expect_contains "$(cat "$T/err")" "File exists (change it with twctl edit)"

# import-crontab: the corpus as recorded, and twd loads what it makes.
(cd "$here/crontab" && "$TWCTL" import-crontab corpus.crontab) >"$T/imported.yaml" 2>"$T/err" &&
	fail "import did not report the lines it could not convert"
diff -u "$here/crontab/corpus.yaml" "$T/imported.yaml" >&2 || fail "import differs"
diff -u "$here/crontab/corpus.err" "$T/err" >&2 || fail "import messages differ"
cp "$T/imported.yaml" "$TW_CONFIG"
expect_rc 0 twctl reload
expect_contains "$(cat "$T/out")" "+ rsync-docs"
[ "$(twctl --json show old-job | jget 'd["state"]')" = disabled ] || fail "old-job not disabled"
expect_contains "$(twctl show rsync-docs)" "Nightly backup of the documents."
# Names say what the job is: scripts without .sh, what curl and find work
# on, a second run of a script told apart by its argument.
[ "$(twctl list -q | tr '\n' ' ')" = "backup backup-verify curl-example.com date-sundays deploy find-tmp lunch-reminder mail-monthly-report old-job rsync-docs start-agent " ] ||
	fail "names: $(twctl list -q | tr '\n' ' ')"
expect_rc 0 twctl import-crontab - </dev/null
expect_contains "$(cat "$T/out")" "tasks: {}"
# A header is no job's description: crontab -e's, up to its column legend,
# nor one that a variable line parts from the job.
printf '%s\n' '# Edit this file to introduce tasks to be run by cron.' \
	'# For more information see the manual pages of crontab(5) and cron(8)' \
	'#' '# m h  dom mon dow   command' '0 2 * * * backup-all' \
	'# Our jobs.' 'MAILTO=me@example.org' '0 3 * * * rotate-logs' \
	'# Mirror the site.' '0 4 * * * mirror-site' >"$T/header.crontab"
expect_rc 0 twctl import-crontab "$T/header.crontab"
[ "$(grep -c 'description:' "$T/out")" = 1 ] ||
	fail "one description only: $(cat "$T/out")"
expect_contains "$(grep 'description:' "$T/out")" "Mirror the site."
# TZ= sets the zone and, as cron does, the jobs' environment; CRON_TZ
# only the zone.
printf '%s\n' 'TZ=Europe/Paris' '0 2 * * * a-job' 'CRON_TZ=Asia/Tokyo' \
	'0 3 * * * b-job' >"$T/tz.crontab"
expect_rc 0 twctl import-crontab "$T/tz.crontab"
cp "$T/out" "$T/tz.yaml"
chmod 600 "$T/tz.yaml"
expect_rc 0 twctl check "$T/tz.yaml"
task_lines() { awk -v t="  $1:" '$0 == t {f = 1; next} /^  [^ ]/ {f = 0} f' "$T/tz.yaml"; }
expect_contains "$(task_lines a-job)" 'timezone: "Europe/Paris"'
expect_contains "$(task_lines a-job)" 'env: {"TZ":"Europe/Paris"}'
expect_contains "$(task_lines b-job)" 'timezone: "Asia/Tokyo"'
expect_contains "$(task_lines b-job)" 'env: {"TZ":"Europe/Paris"}'

# --merge adds them to the tasks file, names kept apart from its own,
# checked before it is installed, and the daemon takes them.
cat >"$TW_CONFIG" <<'YAML'
notifiers:
    desk: {type: desktop}

tasks:
    rsync-docs: {command: "true"}
    other: {command: "true"}

defaults:
    timeout: 1h
YAML
twctl reload >/dev/null
(cd "$here/crontab" && "$TWCTL" import-crontab --merge corpus.crontab) >"$T/out" 2>"$T/err" &&
	fail "merge did not report the lines it could not convert"
expect_contains "$(cat "$T/out")" "added 11 tasks to $TW_CONFIG"
expect_contains "$(cat "$T/out")" "+ rsync-docs-2"
expect_rc 0 twctl check
expect_contains "$(cat "$T/out")" "13 tasks OK"
[ "$(twctl --json show rsync-docs-2 | jget 'd["definition"]["description"]')" = "Nightly backup of the documents." ] ||
	fail "rsync-docs-2: $(twctl show rsync-docs-2)"
[ "$(twctl --json show rsync-docs | jget 'd["definition"]["command"]')" = true ] || fail "rsync-docs was changed"
# They keep cron's meaning over the file's defaults: cron's zone, and no
# timeout (the defaults' 1h would stop a long job cron let run).
[ "$(twctl --json show rsync-docs-2 | jget 'd["definition"]["timeout"]')" = None ] ||
	fail "timeout: $(twctl show rsync-docs-2)"
[ "$(twctl --json show rsync-docs-2 | jget 'd["definition"]["timezone"] == d["timezone"] != None')" = True ] ||
	fail "timezone: $(twctl --json show rsync-docs-2)"
[ "$(twctl --json show lunch-reminder | jget 'd["timezone"]')" = America/New_York ] ||
	fail "CRON_TZ: $(twctl show lunch-reminder)"
# Merged again, nothing is added twice: each job is known by its schedule
# and command.
cp "$TW_CONFIG" "$T/merged.yaml"
(cd "$here/crontab" && "$TWCTL" import-crontab --merge corpus.crontab) >"$T/out" 2>"$T/err" &&
	fail "a merge again did not report the lines it could not convert"
expect_contains "$(cat "$T/out")" "every job is in $TW_CONFIG already; nothing added"
expect_contains "$(cat "$T/err")" "not added again: line 7: the tasks file has it as 'rsync-docs-2'"
cmp "$TW_CONFIG" "$T/merged.yaml" || fail "a merge again changed the file"
# A flow-style tasks: cannot take lines; the file is left as it was.
printf 'tasks: {a: {command: "true"}}\n' >"$TW_CONFIG"
cp "$TW_CONFIG" "$T/flow.yaml"
expect_rc 1 twctl import-crontab --merge "$here/crontab/corpus.crontab"
expect_contains "$(cat "$T/err")" "writes tasks: in flow style"
cmp "$TW_CONFIG" "$T/flow.yaml" || fail "a refused merge changed the file"

# A file with no tasks at all reloads too (nothing to search in).
: >"$TW_CONFIG"
expect_rc 0 twctl reload
[ -z "$(twctl list -q)" ] || fail "tasks left: $(twctl list -q)"
expect_rc 0 twctl reload --dry-run
expect_contains "$(cat "$T/out")" "no changes"
