#!/bin/sh
# What every gf tool promises (gf(7)): --help and --version on stdout with
# exit 0, usage errors exit 64 with the input document passed on with a
# failed step, a manual page, a malformed document refused with exit 65
# and line:column (a new document carrying the failure, nothing of the
# input), a document whose last step failed passed on unchanged with the
# same status, one meaning per short option across the tools, and a
# closed or full stdout reported as exit 74.
. "${GF_SRC:-.}/tests/lib.sh"
need jq jq

tools="gf-commit gf-kepler-install gf-powersim gf-provision gf-snapshot gf-stress gf-train gf-tunnel gf-validate"

# Arguments that make each tool read the document and otherwise do as
# little as possible (a dry run or a command that needs no peer).
args_for() {
	case $1 in
	gf-provision) echo "up --provider local" ;;
	gf-kepler-install) echo "--stop --state-dir $TEST_DIR/nostack" ;;
	gf-stress) echo "--plan idle:1 --dry-run" ;;
	gf-train) echo "--from-csv $TEST_DIR/none.csv --out $TEST_DIR/m" ;;
	gf-validate) echo "--prometheus http://127.0.0.1:9 --checks $TEST_DIR/none.yaml" ;;
	gf-snapshot) echo "--prometheus http://127.0.0.1:9 --out $TEST_DIR/s" ;;
	gf-commit) echo "--repo $TEST_DIR/r --init --dry-run" ;;
	esac
}
# Helper programs that read no run document.
no_doc() { case $1 in gf-powersim|gf-tunnel) return 0 ;; esac; return 1; }
# Tools that run even after a failed step (clean-up and reporting);
# gf-kepler-install --stop is clean-up, so its pass-through is checked
# without --stop (it must not start anything).
runs_anyway() { case $1 in gf-snapshot|gf-commit) return 0 ;; esac; return 1; }
passthrough_args() {
	case $1 in
	gf-kepler-install) echo "--state-dir $TEST_DIR/nostack --power none" ;;
	*) args_for "$1" ;;
	esac
}

printf '{"steps": [{"tool": "gf-x", "ok": false, "exit": 69, "error": {"message": "x"}}], "keep": {"me": 1}}\n' >"$TEST_DIR/failed.json"
printf '{"hosts": [\n  {"name": "a",}\n]}\n' >"$TEST_DIR/bad.json"
printf '{"cleanup": [{"kind": "stack", "state_dir": "/nonexistent/s"}], "keep": {"me": 1}}\n' >"$TEST_DIR/pending.json"

for t in $tools; do
	test_expect_success "$t --help: usage on stdout, exit 0" \
		"$t --help >out 2>err && grep -q 'usage' out"
	test_expect_success "$t --version names the tool and gf's version" \
		"$t --version >out && grep -q '^$t (gf) ' out"
	if no_doc "$t"; then
		test_expect_code 64 "$t with an unknown option exits 64" \
			"$t --no-such-option </dev/null >out 2>err; rc=\$?; [ ! -s out ] || rc=99; exit \$rc"
	else
		test_expect_code 64 "$t with an unknown option exits 64, passing the document on" \
			"$t --no-such-option <pending.json >out 2>err; rc=\$?
			grep -q \"unknown option '--no-such-option'\" err &&
			jq -e '.keep.me == 1 and .cleanup[0].state_dir == \"/nonexistent/s\"
			    and .steps[-1].tool == \"$t\" and .steps[-1].exit == 64' out >/dev/null || rc=99
			exit \$rc"
		test_expect_code 64 "$t names a stray argument" \
			"$t $(args_for "$t") stray-arg <pending.json >out 2>err; rc=\$?
			grep -q \"unexpected argument 'stray-arg'\" err &&
			jq -e '.steps[-1].exit == 64 and .keep.me == 1' out >/dev/null || rc=99
			exit \$rc"
	fi
	test_expect_success "$t has a manual page that passes mandoc -Tlint" \
		"[ -f '$GF_SRC/man/$t.1' ] && mandoc -Tlint -Wwarning '$GF_SRC/man/$t.1'"
	test_expect_success "$t --help and its manual list the same long options" "
		$t --help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u >help.opts &&
		grep -E '^\\.It Fl ' '$GF_SRC/man/$t.1' |
		    grep -oE 'Fl \\\\?-[a-z][a-z0-9-]+' | sed -E 's/^Fl \\\\?-/--/' | sort -u >man.opts &&
		diff -u man.opts help.opts
	"
	no_doc "$t" && continue
	a=$(args_for "$t")
	test_expect_code 65 "$t refuses a malformed document with line:col, in a new document" \
		"$t $a <bad.json >out 2>err; rc=\$?; grep -q '<stdin>:2:' err &&
		jq -e '(.hosts == null) and .steps[-1].exit == 65 and
		    (.steps[-1].error.message | test(\"<stdin>:2:\"))' out >/dev/null || rc=99; exit \$rc"
	if ! runs_anyway "$t"; then
		p=$(passthrough_args "$t")
		test_expect_code 69 "$t passes a failed document on with its status" \
			"$t $p <failed.json >out 2>err; rc=\$?; jq -e '.keep.me == 1 and (.steps | length) == 1' out >/dev/null || rc=99; exit \$rc"
	fi
done

test_expect_code 74 "a full stdout is exit 74" \
	'gf-stress --plan idle:1 --dry-run </dev/null >/dev/full 2>err; rc=$?; grep -q "cannot write" err || rc=99; exit $rc'
test_expect_success "a terminal-less empty stdin starts a new document" \
	'gf-stress --plan idle:1 --dry-run </dev/null >out 2>/dev/null && jq -e ".run.id and .gf.version == 1" out'
test_expect_success "gf-kepler-install --stop runs after a failed step (clean-up)" \
	'gf-kepler-install --stop --state-dir nostack <failed.json >out 2>err; [ $? -eq 69 ] && jq -e "(.steps | length) == 2" out >/dev/null'
test_expect_code 69 "a clean-up tool's ok step does not hide the failure from later tools" \
	'gf-commit --repo r --init --dry-run <failed.json 2>/dev/null | gf-stress --plan idle:1 --dry-run >out 2>err; rc=$?; jq -e ".steps | length == 2" out >/dev/null || rc=99; exit $rc'
test_expect_success "the state file holds the document after a step" \
	'gf-stress --plan idle:1 --dry-run </dev/null >out 2>/dev/null && jq -e ".run.id" "$GF_STATE" >/dev/null && [ "$(stat -c %a "$GF_STATE")" = 600 ]'
# One meaning per short option: every tool's --help pairs "-x, --name".
test_expect_success "a short option means the same in every tool" "
	for t in $tools; do \$t --help; done |
	    grep -oE -- '^ +-[A-Za-z], --[a-z][a-z0-9-]+' | sed 's/^ *//' | sort -u >pairs &&
	cut -c1-2 pairs | uniq -d >dups &&
	{ [ ! -s dups ] || { grep -F -f dups pairs; false; }; }
"
test_done
