# Tasks files that once hurt the daemon or misled: a FIFO or a directory
# matched by an include (the FIFO blocked the loop), a directory others may
# write in, a file included twice, a key too long for YAML, and an include
# directory empty at load, whose later files were never loaded.
. "$(dirname "$0")/lib.sh"

mkdir -m 700 "$T/conf.d"
tasks <<YAML
include: [conf.d/*.yaml]
tasks:
  main: {command: "true"}
YAML
# The includes are relative to the tasks file, which lives in $T.
start_twd
expect_contains "$(twctl list)" "main"

# A file added later to the include directory, empty at load, is loaded.
printf 'tasks:\n  later: {command: "true"}\n' >"$T/conf.d/later.yaml"
wait_until "the new include to load" sh -c "'$TWCTL' list | grep -q later"

# A FIFO and a directory matched by the pattern: errors at the include,
# and the loop goes on (a FIFO opened for reading blocked it).
mkfifo "$T/conf.d/fifo.yaml"
mkdir "$T/conf.d/dir.yaml"
expect_rc 1 twctl reload
expect_contains "$(cat "$T/err")" "$TW_CONFIG:1:11: include: '$T/conf.d/fifo.yaml' is a FIFO, not a regular file"
expect_contains "$(cat "$T/err")" "$TW_CONFIG:1:11: include: '$T/conf.d/dir.yaml' is a directory, not a regular file"
twctl status >/dev/null || fail "the daemon hangs on a FIFO"
expect_rc 1 twctl check
expect_contains "$(cat "$T/out") $(cat "$T/err")" "is a FIFO, not a regular file"
rm -r "$T/conf.d/fifo.yaml" "$T/conf.d/dir.yaml"

# The same file twice: said once, with where it was first included.
cat >"$TW_CONFIG" <<YAML
include: [conf.d/later.yaml, conf.d/*.yaml]
tasks:
  main: {command: "true"}
YAML
expect_rc 1 twctl check
expect_contains "$(cat "$T/out") $(cat "$T/err")" "include: '$T/conf.d/later.yaml' is included twice: first at $TW_CONFIG:1:11"

# A key past YAML's 1,024 characters, in our words.
python3 -c '
print("tasks:")
print("  " + "n" * 5000 + ": {command: x}")' >"$T/long.yaml"
expect_rc 1 twctl check "$T/long.yaml"
expect_contains "$(cat "$T/out") $(cat "$T/err")" "long.yaml:2:5003: a key of more than 1024 characters ends here"

# A directory others may write in: they could swap the file.
mkdir -m 777 "$T/open"
printf 'tasks:\n  x: {command: "true"}\n' >"$T/open/t.yaml"
expect_rc 1 twctl check "$T/open/t.yaml"
expect_contains "$(cat "$T/out") $(cat "$T/err")" "its directory '$T/open' may be written by anyone (mode 777)"
chmod 1777 "$T/open"
expect_rc 0 twctl check "$T/open/t.yaml"
