#!/bin/sh
# Many runs of gf-commit at once on a new local repository, round after
# round: every run's commit must be on the branch. The first runs all find
# the branch missing, and a creation that checked for the branch before
# taking its lock let a later run overwrite an earlier one's commit (a few
# rounds in a hundred under load) while both said committed.
. "$GF_SRC/tests/lib.sh"

printf 'leak:libpcre2-8.so\n' >"$TEST_DIR/lsan.supp"
export LSAN_OPTIONS="suppressions=$TEST_DIR/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export GF_STATE=none

need git git
need stress-ng stress-ng

ROUNDS=${GF_RACE_ROUNDS:-100}
RUNS=8

# Busy CPUs and disk widen the window, as a loaded CI runner does.
stress-ng --cpu 2 --io 1 --timeout 600s >/dev/null 2>&1 &
test_track_pid $!

test_expect_success "$ROUNDS rounds of $RUNS runs on an empty repository" '
	round=0 &&
	while [ $round -lt $ROUNDS ]; do
		rm -rf r.git && git init -q --bare r.git &&
		i=0 &&
		while [ $i -lt $RUNS ]; do
			printf "{\"run\": %d}\n" $i >run-$i.json
			( gf-commit -r r.git -a run-$i.json </dev/null \
			    >/dev/null 2>run-$i.err; echo $? >run-$i.rc ) &
			i=$((i + 1))
		done
		wait
		i=0 &&
		while [ $i -lt $RUNS ]; do
			test "$(cat run-$i.rc)" = 0 || {
				echo "round $round run $i: exit $(cat run-$i.rc)"
				cat run-$i.err; exit 1; }
			i=$((i + 1))
		done
		n=$(git -C r.git rev-list --count main) &&
		test "$n" = $RUNS || {
			echo "round $round: $n of $RUNS commits on main"
			git -C r.git log --format="%h %p" main; exit 1; }
		round=$((round + 1))
	done'

test_done
