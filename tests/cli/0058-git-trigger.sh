# on: git: with a local repository made here: a commit on main runs the
# task once, with what moved in its environment; a commit on another
# branch does not; a fast-forward of three commits is one run; packing
# the refs (git gc) runs nothing; a branch pattern fires for a new
# branch; a move while twd was down is caught up, or recorded as skipped
# under catch_up: none. why, list, next and show say what it waits for.
. "$(dirname "$0")/lib.sh"

command -v git >/dev/null 2>&1 || fail "no git (make deps installs it)"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org \
	GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
repo=$T/proj
git init -q -b main "$repo"
g() { git -C "$repo" "$@"; }
commit() { g commit -q --allow-empty -m "$1"; }
commit one
first=$(g rev-parse main)

tasks <<YAML
tasks:
  docs:
    command: 'echo "\$TW_TRIGGER \$TW_GIT_REF \$TW_GIT_OLD \$TW_GIT_NEW \$TW_GIT_REPO" >>$T/docs.out'
    on:
      git: {repo: $repo, branch: main}
  rel:
    command: 'echo "\$TW_GIT_REF \$TW_GIT_OLD \$TW_GIT_NEW" >>$T/rel.out'
    on:
      git: {repo: $repo, branch: "release/*"}
    catch_up: latest
YAML
start_twd

# The branches as they are at the start are a baseline: nothing ran.
[ "$(twctl --json history docs | jget 'len(d)')" = 0 ] ||
	fail "docs ran at start"
twctl list >"$T/list"
grep -q "on push to main in $repo" "$T/list" || fail "list: $(cat "$T/list")"
# The dashboard's schedule column says what runs it.
dash_start 200 20
shows "docs .*on push to main in"
twctl next >"$T/next"
grep -q "docs.*on push to main" "$T/next" || fail "next: $(cat "$T/next")"

runs() { twctl --json history "$1" | jget 'len(d)'; }
runs_are() { [ "$(runs "$1")" = "$2" ]; }

commit two
second=$(g rev-parse main)
wait_until "docs runs for the commit on main" runs_are docs 1
wait_until "docs's run ends" run_status_is docs ok
[ "$(cat "$T/docs.out")" = "git refs/heads/main $first $second $repo" ] ||
	fail "docs's environment: $(cat "$T/docs.out")"
twctl --json history -n 1 docs >"$T/h"
[ "$(jget 'd[0]["trigger"]' <"$T/h")" = git ] || fail "trigger: $(cat "$T/h")"
[ "$(jget 'd[0]["change"]["old"]' <"$T/h")" = "$first" ] || fail "old: $(cat "$T/h")"
[ "$(jget 'd[0]["change"]["new"]' <"$T/h")" = "$second" ] || fail "new: $(cat "$T/h")"
twctl why docs >"$T/why"
grep -q "main moved from $(echo "$first" | cut -c1-7) to $(echo "$second" | cut -c1-7)" "$T/why" ||
	fail "why: $(cat "$T/why")"
twctl history docs >"$T/hist"
grep -q git "$T/hist" || fail "history shows no trigger: $(cat "$T/hist")"

# Another branch: nothing. Then three commits fast-forwarded: one run.
g checkout -q -b feature
commit feature-only
g checkout -q -b ff main
commit ff1
commit ff2
commit ff3
tip=$(g rev-parse ff)
g checkout -q main
g merge -q --ff-only ff
wait_until "docs runs for the fast-forward" runs_are docs 2
wait_until "docs's run ends" run_status_is docs ok
[ "$(sed -n 2p "$T/docs.out")" = "git refs/heads/main $second $tip $repo" ] ||
	fail "the fast-forward: $(cat "$T/docs.out")"

# git gc packs the refs into packed-refs: the same commits, no run.
g gc -q
g pack-refs --all
[ -s "$repo/.git/packed-refs" ] || fail "git gc packed no refs"
[ ! -e "$repo/.git/refs/heads/main" ] || fail "main is still a loose ref"
# A commit after it shows whether the packing ran anything: one run more.
commit after-gc
third=$(g rev-parse main)
wait_until "docs runs for the commit after gc" runs_are docs 3
wait_until "docs's run ends" run_status_is docs ok
[ "$(sed -n 3p "$T/docs.out")" = "git refs/heads/main $tip $third $repo" ] ||
	fail "after gc: $(cat "$T/docs.out")"
[ "$(runs rel)" = 0 ] || fail "rel ran with no release branch"

# A new branch the pattern names fires, with no old commit.
g branch release/1.0
wait_until "rel runs for release/1.0" runs_are rel 1
wait_until "rel's run ends" run_status_is rel ok
[ "$(cat "$T/rel.out")" = "refs/heads/release/1.0  $third" ] ||
	fail "rel's environment: $(cat "$T/rel.out")"

# While twd is down, main and release/1.0 move. docs (catch_up: none)
# records a skipped run; rel (catch_up: latest) runs.
twctl shutdown >/dev/null
wait "$TWD_PID" || fail "twd did not stop cleanly"
TWD_PID=
commit while-down
g branch -f release/1.0 main
down=$(g rev-parse main)
start_twd
wait_until "docs records the move while down" runs_are docs 4
run_status_is docs skipped || fail "docs: $(twctl --json history -n 1 docs)"
twctl --json history -n 1 docs | jget 'd[0]["reason"]' >"$T/reason"
grep -q "main moved from $(echo "$third" | cut -c1-7) to $(echo "$down" | cut -c1-7) while twd was not running (catch_up: none)" "$T/reason" ||
	fail "the skip's reason: $(cat "$T/reason")"
wait_until "rel runs for the move while down" runs_are rel 2
wait_until "rel's run ends" run_status_is rel ok
[ "$(sed -n 2p "$T/rel.out")" = "refs/heads/release/1.0 $third $down" ] ||
	fail "rel after the restart: $(cat "$T/rel.out")"

# A restart with nothing moved runs nothing again.
twctl shutdown >/dev/null
wait "$TWD_PID" || fail "twd did not stop cleanly"
TWD_PID=
start_twd
commit sentinel
wait_until "docs runs for the sentinel" runs_are docs 5
[ "$(runs rel)" = 2 ] || fail "rel ran again after a restart with no move"

# A reload that points docs at another branch watches that one instead:
# where it stands then is a baseline, and main no longer counts.
sed -i 's/branch: main}/branch: feature}/' "$TW_CONFIG"
twctl reload >/dev/null
g checkout -q feature
commit on-feature
wait_until "docs runs for the branch it now watches" runs_are docs 6
g checkout -q main
commit main-unwatched
g checkout -q feature
commit on-feature-again
wait_until "docs runs for feature again" runs_are docs 7
twctl --json history -n 2 docs | jget '[r["change"]["branch"] for r in d]' >"$T/branches"
[ "$(cat "$T/branches")" = '["feature", "feature"]' ] || fail "after the reload: $(cat "$T/branches")"
g checkout -q main
sed -i 's/branch: feature}/branch: main}/' "$TW_CONFIG"
twctl reload >/dev/null

twctl check >"$T/check"
grep -q "2 tasks OK; none is scheduled; 2 run on change" "$T/check" || fail "check: $(cat "$T/check")"
twctl show docs >"$T/show"
grep -q "^on  *on push to main in $repo" "$T/show" || fail "show: $(cat "$T/show")"
grep -q "^branches  *main at $(g rev-parse --short=7 main)" "$T/show" ||
	fail "show's branches: $(cat "$T/show")"
grep -q "^state  *watching" "$T/show" || fail "show's state: $(cat "$T/show")"

# The repository goes away: said; back (a copy, the same branches), a
# reload watches it again, and runs nothing for what it already saw.
before=$(runs docs)
lastid=$(twctl --json history -n 1 docs | jget 'd[0]["id"]')
cp -a "$repo" "$T/copy"
rm -rf "$repo"
gone() { twctl show docs | grep -q "^trigger error  *the repository .* went away"; }
wait_until "show says the repository went away" gone
cp -a "$T/copy" "$repo"
twctl reload >/dev/null
commit back
wait_until "docs runs for a commit once the repository is back" runs_are docs $((before + 1))
twctl --json history -n 2 docs >"$T/h"
[ "$(jget 'd[1]["id"]' <"$T/h")" = "$lastid" ] || fail "a run for nothing after the reload: $(cat "$T/h")"
[ "$(jget 'd[0]["change"]["old"]' <"$T/h")" = "$(g rev-parse main~1)" ] || fail "back: $(cat "$T/h")"
echo "ok"
