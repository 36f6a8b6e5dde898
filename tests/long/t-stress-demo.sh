#!/bin/sh
# gf-stress: the demo's two-minute version of the validator's default
# curve (--time-scale 0.1), run for real: 73 back-to-back windows whose
# lengths follow the curve and whose total matches the estimate.
. "$GF_SRC/tests/lib.sh"
need jq jq
need stress-ng stress-ng
mkdir -p "$TEST_DIR/nocpufreq"
GF_CPU_SYSFS="$TEST_DIR/nocpufreq"
export GF_CPU_SYSFS

test_expect_success 'curve:default --time-scale 0.1 runs in about 133 s' '
	start=$(date +%s) &&
	gf-stress --plan curve:default --time-scale 0.1 </dev/null >demo.json 2>err &&
	took=$(( $(date +%s) - start )) &&
	test "$took" -ge 133 && test "$took" -lt 160 &&
	grep -q "plan curve:default: 73 phases, estimated 2m13s" err
'
test_expect_success '73 windows: warm-up, 6 cycles of 11 steps and a cool-down' '
	jq -e "(.windows | length) == 73 and .stress.phases_run == 73
	    and .windows[0].name == \"warmup\"
	    and ([.windows[].name] | map(select(. == \"cooldown\")) | length) == 6
	    and ([.windows[].name] | map(select(. == \"cpu-load-100\")) | length) == 6
	    and .windows[6].name == \"cpu-load-100\"
	    and (.windows[6].end - .windows[6].start) >= 2.9
	    and (.windows[6].end - .windows[6].start) < 4" demo.json
'
test_expect_success 'windows follow each other without gaps or overlaps' '
	jq -e "[range(1; .windows | length) as \$i
	    | (.windows[\$i].start - .windows[\$i - 1].end)
	    | . >= 0 and . < 0.5] | all" demo.json
'
test_expect_success 'the windows cover the estimate within 10 %' '
	jq -e "(.windows[-1].end - .windows[0].start) as \$d
	    | \$d >= 133 and \$d < 146.3" demo.json
'
test_done
