#!/bin/sh
# The demo contract: `make demo` on a clean clone exits 0 within 5
# minutes, prints the path of an existing report-*.md and leaves no
# process running; Ctrl-C in the middle stops everything too.
. "$GF_SRC/tests/lib.sh"
need git git
need jq jq
need make make
need stress-ng stress-ng
need prometheus prometheus
need prometheus-node-exporter prometheus-node-exporter

# No process whose command line names DIR (the stack's state lives there).
none_left() { ! pgrep -f -- "$1" >/dev/null; }

test_expect_success 'make demo on a clean clone: exit 0 within 5 minutes' '
	git clone -q "$GF_SRC" clone &&
	cd clone &&
	start=$(date +%s) &&
	make demo >../demo.out 2>../demo.err; rc=$?
	end=$(date +%s)
	echo "make demo: exit $rc in $((end - start)) s"
	tail -n 20 ../demo.out
	[ $rc -eq 0 ] && [ $((end - start)) -le 300 ]
'
test_expect_success 'it printed the path of an existing report-*.md' '
	report=$(sed -n "s/^report: *//p" demo.out) &&
	echo "$report" | grep -q "/report-[^/]*\.md$" && test -s "$report"
'
test_expect_success 'the summary names the models, the verdict and the snapshot' '
	grep -q "^models" demo.out && grep -q "^selected: " demo.out &&
	grep -Eq "(PASS|FAIL|NO-THRESHOLD)" demo.out &&
	snap=$(sed -n "s/^snapshot: *//p" demo.out) && test -s "$snap"
'
test_expect_success 'the results repository has the report committed' '
	git -C clone/demo-out/results log --oneline | grep -q . &&
	git -C clone/demo-out/results ls-tree -r --name-only HEAD | grep -q "report-.*\.md$"
'
test_expect_success 'no process of the demo is left running' '
	none_left "$TEST_DIR/clone/demo-out"
'
test_expect_success 'the power source is said plainly' '
	grep -Eq "^power source: (rapl|simulated)" demo.out
'

# Ctrl-C: SIGINT to the whole foreground process group, as a terminal does.
test_expect_success 'Ctrl-C during the load stops everything' '
	mkdir -p int && cd int &&
	setsid sh -c "exec \"$GF_SRC/scripts/demo.sh\"" >out 2>err &
	pid=$!
	cd "$TEST_DIR"
	wait_until 60 "the second load phase" "grep -q \"gf-stress: \\[2/\" int/err" &&
	pgrep -f -- "$TEST_DIR/int/demo-out" >/dev/null || { kill -TERM -$pid; exit 1; }
	kill -INT -$pid
	wait $pid; rc=$?
	echo "demo exit $rc after SIGINT"
	[ $rc -ne 0 ] &&
	wait_until 5 "no process of the demo" "none_left \"$TEST_DIR/int/demo-out\""
'
test_done
