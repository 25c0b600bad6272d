# on: git: remote: a bare repository served through a file:// URL, read
# by git ls-remote (polled every 0.3 s here: TW_GIT_POLL_MS). A push of a
# new release branch runs deploy within a poll, and each push after it
# once; twd stopped between two pushes runs once, for the new commit
# only; a remote that cannot be read says why in show and why.
. "$(dirname "$0")/lib.sh"

command -v git >/dev/null 2>&1 || fail "no git (make deps installs it)"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org \
	GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
export TW_GIT_POLL_MS=300
git init -q --bare -b main "$T/app.git"
git clone -q "$T/app.git" "$T/work" 2>/dev/null
w() { git -C "$T/work" "$@"; }
push() {
	w commit -q --allow-empty -m "$1"
	w push -q origin "HEAD:refs/heads/$2" 2>/dev/null
	w rev-parse HEAD
}
push one main >/dev/null

tasks <<YAML
tasks:
  deploy:
    command: 'echo "\$TW_TRIGGER \$TW_GIT_REF \$TW_GIT_OLD \$TW_GIT_NEW \$TW_GIT_REPO" >>$T/deploy.out'
    on:
      git: {remote: "file://$T/app.git", branch: "release/*", poll: 2m}
    catch_up: latest
  broken:
    command: "true"
    on:
      git: {remote: "file://$T/nothere.git", branch: main}
YAML
start_twd

polled() {
	[ "$(twctl --json show deploy | jget 'd["watch"]["git"]["polled"] is not None')" = True ]
}
wait_until "the first poll" polled
runs() { twctl --json history "$1" | jget 'len(d)'; }
runs_are() { [ "$(runs "$1")" = "$2" ]; }
[ "$(runs deploy)" = 0 ] || fail "deploy ran for branches there at the start"
twctl list >"$T/list"
grep -q "on push to branches release/\* of file://$T/app.git (polled every 2m)" "$T/list" ||
	fail "list: $(cat "$T/list")"

a=$(push two release/1.0)
wait_until "deploy runs for the new release branch" runs_are deploy 1
wait_until "deploy's run ends" run_status_is deploy ok
[ "$(cat "$T/deploy.out")" = "git refs/heads/release/1.0  $a file://$T/app.git" ] ||
	fail "deploy's environment: $(cat "$T/deploy.out")"

b=$(push three release/1.0)
wait_until "deploy runs for the push" runs_are deploy 2
wait_until "deploy's run ends" run_status_is deploy ok
[ "$(sed -n 2p "$T/deploy.out")" = "git refs/heads/release/1.0 $a $b file://$T/app.git" ] ||
	fail "the second push: $(cat "$T/deploy.out")"
# main is not release/*: nothing.
push four main >/dev/null

# Stopped between two pushes: one run, for the new commit.
twctl shutdown >/dev/null
wait "$TWD_PID" || fail "twd did not stop cleanly"
TWD_PID=
c=$(push five release/1.0)
start_twd
wait_until "deploy runs for the push while down" runs_are deploy 3
wait_until "deploy's run ends" run_status_is deploy ok
[ "$(sed -n 3p "$T/deploy.out")" = "git refs/heads/release/1.0 $b $c file://$T/app.git" ] ||
	fail "after the restart: $(cat "$T/deploy.out")"
d=$(push six release/1.0)
wait_until "deploy runs for the next push" runs_are deploy 4
wait_until "deploy's run ends" run_status_is deploy ok
[ "$(sed -n 4p "$T/deploy.out")" = "git refs/heads/release/1.0 $c $d file://$T/app.git" ] ||
	fail "runs after the restart: $(cat "$T/deploy.out")"
[ "$(wc -l <"$T/deploy.out")" = 4 ] || fail "deploy ran more: $(cat "$T/deploy.out")"

# A remote that is not there: the error is told, nothing runs.
has_error() { twctl show broken | grep -q "^trigger error  *git ls-remote file://$T/nothere.git failed"; }
wait_until "broken's error in show" has_error
twctl why broken >"$T/why"
grep -q "its trigger is not all watched: git ls-remote" "$T/why" || fail "why: $(cat "$T/why")"
[ "$(runs broken)" = 0 ] || fail "broken ran"
# The last poll's output is kept for a look.
[ -s "$TW_STATE_DIR/logs/.triggers/broken.log" ] || fail "no log of broken's poll"
echo ok
