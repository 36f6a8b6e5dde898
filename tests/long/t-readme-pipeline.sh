#!/bin/sh
# The pipeline README.md shows, run as written (taken from the README, so
# the two cannot drift apart): every step succeeds, the document carries
# each tool's section, and nothing of the stack is left running.
. "$GF_SRC/tests/lib.sh"
need jq jq
need stress-ng stress-ng
need prometheus prometheus
need prometheus-node-exporter prometheus-node-exporter

# The indented block under "## A pipeline", without its indentation.
awk '/^## A pipeline/ { on = 1; next }
    on && /^## / { exit }
    on && /^    / { sub(/^    /, ""); print; seen = 1; next }
    on && seen && !/^$/ { exit }' "$GF_SRC/README.md" >"$TEST_DIR/pipeline.sh"
trap 'gf-kepler-install --stop -d "$TEST_DIR/gf-stack" </dev/null >/dev/null 2>&1; test_cleanup' EXIT

test_expect_success 'the README has a pipeline from gf-provision up to down' '
	cat pipeline.sh &&
	head -n 1 pipeline.sh | grep -q "^gf-provision up" &&
	tail -n 1 pipeline.sh | grep -q "^gf-provision down"
'
test_expect_success 'it runs as written: exit 0' '
	unset RUNNER_TEMP GF_STATE
	sh -e pipeline.sh 2>pipeline.err || { tail -n 20 pipeline.err; exit 1; }
'
test_expect_success 'every tool left its section, no step failed' '
	jq -e "[.steps[] | select(.ok | not)] == []" run.json &&
	jq -e "(.hosts | length) == 1 and .stack.prometheus.url and (.windows | length) > 10" run.json &&
	jq -e "(.train.best | length) > 0 and (.validate.summaries | length) == (.windows | length)" run.json &&
	jq -e ".snapshot.sha256 and .commit.sha" run.json &&
	git -C results-repo log --oneline | grep -q .
'
test_expect_success 'nothing of the stack is left running' '
	! pgrep -f -- "$TEST_DIR/gf-stack" >/dev/null
'
test_done
