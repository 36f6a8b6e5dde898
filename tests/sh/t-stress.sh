#!/bin/sh
# gf-stress: dry runs of every built-in plan, real short stress-ng runs and
# their windows, CPU-frequency steps on a fixture cpufreq tree, SIGTERM and
# SIGINT mid-run, YAML plan errors, and every exit code of gf-stress(1).
. "$GF_SRC/tests/lib.sh"
need jq jq
need stress-ng stress-ng

# No cpufreq (an empty tree) unless a test builds one: runs are the same
# on a laptop and on a CI runner.
mkdir -p "$TEST_DIR/nocpufreq"
GF_CPU_SYSFS="$TEST_DIR/nocpufreq"
export GF_CPU_SYSFS

# The Tekton instance sweep for this machine: 1 2 4 8 (<= ncpu), 16..ncpu+8.
ncpu=$(gf-stress -P idle:1 -n </dev/null 2>/dev/null | jq .stress.cpus)
sweep=0
for i in 1 2 4 8; do [ "$i" -le "$ncpu" ] && sweep=$((sweep + 1)) last=$i; done
i=16
while [ $i -le $((ncpu + 8)) ]; do sweep=$((sweep + 1)) last=$i; i=$((i + 8)); done

test_expect_success '--help prints the usage on stdout' '
	gf-stress --help >out 2>err &&
	grep -q "^usage: gf-stress \[-BFhnV\]" out && test ! -s err
'
test_expect_success '--version' 'gf-stress -V | grep -q "^gf-stress (gf) "'

test_expect_success 'curve:stepwise --dry-run prints the plan and exits 0' '
	gf-stress --plan curve:stepwise --dry-run </dev/null >out 2>err &&
	grep -q "plan curve:stepwise: 61 phases, estimated 18m50s" err &&
	grep -q "cpu-load-100 .*stress-ng --cpu $ncpu --cpu-method ackermann --cpu-load 100 --timeout 20" err &&
	jq -e ".stress.dry_run == true and .stress.plan.phase_count == 61
	    and .stress.plan.estimated_seconds == 1130
	    and (.windows // [] | length) == 0
	    and .steps[-1].tool == \"gf-stress\" and .steps[-1].ok" out
'

dry() {	# PLAN PHASES SECONDS [OPTION...]
	plan=$1 phases=$2 secs=$3; shift 3
	gf-stress -P "$plan" -n "$@" </dev/null >dry.json 2>/dev/null &&
	jq -e --argjson n "$phases" --argjson s "$secs" \
	    ".stress.plan.phase_count == \$n and
	     (.stress.plan.phases | length) == \$n and
	     .stress.plan.estimated_seconds == \$s" dry.json
}
test_expect_success 'dry run: curve:default is 73 phases, 1235 s' 'dry curve:default 73 1235'
test_expect_success 'dry run: curve:regression is 11 phases, 315 s' 'dry curve:regression 11 315'
test_expect_success 'dry run: idle:30 is one phase of 30 s' 'dry idle:30 1 30'
test_expect_success "dry run: tekton is 5 x $sweep runs of 25 s" "
	dry tekton $((5 * sweep)) $((5 * sweep * 25)) &&
	jq -e '.stress.plan.phases[0].name == \"cpu n=1\" and
	    (.stress.plan.freq_skipped | test(\"no cpufreq\"))' dry.json
"
test_expect_success "dry run: tekton:complete is 8 x $sweep runs" "
	dry tekton:complete $((8 * sweep)) $((8 * sweep * 25))
"
test_expect_success 'dry run: --time-scale 0.1 makes curve:default a 133 s demo' '
	dry curve:default 73 133 --time-scale 0.1
'
test_expect_success 'dry run: --total 600 gives 2 stepwise cycles' '
	dry curve:stepwise 25 455 --total 600
'
test_expect_success 'dry run: Tekton options as in the task' "
	gf-stress --stress-args 'vm-rw;vm-rw-bytes;4G' --stress-timeout 30s \
	    --stress-break-interval 10s -n </dev/null >d.json 2>/dev/null &&
	jq -e '.stress.plan.estimated_seconds == $sweep * 40 and
	    .stress.plan.phases[0].command == [\"stress-ng\", \"--vm-rw\", \"1\",
	    \"--taskset\", \"0\", \"--vm-rw-bytes\", \"4G\", \"--timeout\", \"30\",
	    \"--aggressive\", \"--metrics-brief\"]' d.json
"

test_expect_success 'idle:2 records one idle window of about 2 s' '
	gf-stress -P idle:2 </dev/null >idle.json 2>err &&
	jq -e "(.windows | length) == 1 and .windows[0].name == \"idle\"
	    and (.windows[0].end - .windows[0].start) >= 1.95
	    and (.windows[0].end - .windows[0].start) < 2.6
	    and .stress.phases_run == 1 and .stress.dry_run == false" idle.json &&
	grep -q "\[1/1\] idle for 2s" err
'

test_expect_success 'a tiny Tekton plan: ordered windows of 1 s runs' "
	gf-stress --stress-args 'cpu;none;none' --stress-timeout 1 -B 0.2 </dev/null >tk.json 2>err &&
	jq -e '(.windows | length) == $sweep and .stress.phases_run == $sweep
	    and (.stress.stress_ng_version | test(\"^[0-9]+[.]\"))
	    and .windows[0].name == \"cpu n=1\"
	    and .windows[0].params.instances == 1
	    and (.windows[0].params.command | startswith(\"stress-ng --cpu 1 --taskset\"))
	    and all(.windows[]; (.end - .start) >= 0.9 and (.end - .start) < 3)
	    and ([range(1; .windows | length) as \$i
	          | .windows[\$i].start >= .windows[\$i - 1].end + 0.15] | all)' tk.json &&
	grep -q 'estimated' err && grep -q 'successful run completed' err
"

test_expect_success 'the state file holds the same document' 'cmp tk.json "$GF_STATE"'

test_expect_success 'curve:regression scaled down: cpu-load windows in order' '
	gf-stress -P curve:regression --time-scale 0.01 --warmup 0 \
	    --cooldown 0 </dev/null >rg.json 2>/dev/null &&
	jq -e "[.windows[].name] == [\"cpu-load-0\", \"cpu-load-10\",
	    \"cpu-load-25\", \"cpu-load-50\", \"cpu-load-75\", \"cpu-load-50\",
	    \"cpu-load-25\", \"cpu-load-10\", \"cpu-load-0\"]
	    and .windows[3].params.load == 50
	    and .windows[3].params.curve == \"regression\"" rg.json
'

# A cpufreq tree with two 800 MHz steps (1.6 and 2.4 GHz) for every CPU.
make_cpufreq() {	# DIR
	n=$(nproc --all)
	i=0
	while [ $i -lt "$n" ] || [ $i -lt 2 ]; do
		d="$1/cpu$i/cpufreq"
		mkdir -p "$d"
		echo 800000 >"$d/cpuinfo_min_freq"
		echo 2400000 >"$d/cpuinfo_max_freq"
		echo 2400000 >"$d/scaling_max_freq"
		i=$((i + 1))
	done
}

test_expect_success 'frequency steps are written to scaling_max_freq and put back' "
	make_cpufreq freq &&
	GF_CPU_SYSFS=\$PWD/freq gf-stress --stress-args 'cpu;none;none' --stress-timeout 1 -B 0.1 \
	    </dev/null >fq.json 2>err &
	pid=\$! seen=no
	wait_until 10 'the 1.6 GHz step in scaling_max_freq' \\
	    'grep -q 1600000 freq/cpu0/cpufreq/scaling_max_freq 2>/dev/null' && seen=yes
	wait \$pid && [ \$seen = yes ] &&
	jq -e '(.windows | length) == 2 * $sweep
	    and .windows[0].name == \"cpu n=1 f=1.6GHz\"
	    and .windows[-1].name == \"cpu n=$last f=2.4GHz\"
	    and .windows[0].params.freq_khz == 1600000
	    and .stress.plan.freq_steps_khz == [1600000, 2400000]
	    and .stress.skipped_frequency_steps == []' fq.json &&
	grep -qx 2400000 freq/cpu0/cpufreq/scaling_max_freq
"

test_expect_success 'a CPU refusing a frequency: the run goes on' "
	make_cpufreq part &&
	rm part/cpu1/cpufreq/scaling_max_freq &&
	mkdir part/cpu1/cpufreq/scaling_max_freq &&
	GF_CPU_SYSFS=\$PWD/part gf-stress --stress-args 'cpu;none;none' --stress-timeout 1 -B 0 \
	    </dev/null >pt.json 2>err
"
# gf-stress steps only the CPUs it may use: cpu1 is one of them only on
# a machine with two or more.
if [ "$ncpu" -ge 2 ]; then
	test_expect_success '... and the refusal is recorded' "
		jq -e '(.windows | length) == 2 * $sweep and
		    (.stress.skipped_frequency_steps | length) >= 2 and
		    (.stress.skipped_frequency_steps[0] | .cpu == 1 and
		     .freq_khz == 1600000 and (.reason | test(\"cpu1\")))' pt.json &&
		grep -q 'skipped on cpu1' err
	"
else
	test_skip '... and the refusal is recorded' "one CPU: cpu1 is not stepped"
fi

test_expect_success 'cpufreq that is not writable: steps skipped with the reason' "
	make_cpufreq ro &&
	rm ro/cpu0/cpufreq/scaling_max_freq && mkdir ro/cpu0/cpufreq/scaling_max_freq &&
	GF_CPU_SYSFS=\$PWD/ro gf-stress -P tekton -n </dev/null >ro.json 2>err &&
	jq -e '.stress.plan.phase_count == 5 * $sweep and
	    (.stress.plan.freq_skipped | test(\"not writable\"))' ro.json &&
	grep -q 'CPU frequency steps skipped: .*not writable' err
"

test_expect_success '--no-freq-steps: one pass even with cpufreq' "
	GF_CPU_SYSFS=\$PWD/freq gf-stress -P tekton -F -n </dev/null >nf.json 2>/dev/null &&
	jq -e '.stress.plan.phase_count == 5 * $sweep and
	    .stress.plan.freq_skipped == \"frequency steps disabled\"' nf.json
"

# A plan whose stress-ng command lines carry $TEST_DIR, so that leftover
# workers of this test (and only them) can be found.
cat >"$TEST_DIR/long.yaml" <<EOF
name: interrupt-me
phases:
  - name: short
    duration: 1
    stress: [--cpu, 1, --temp-path, "$TEST_DIR"]
  - name: long
    duration: 60
    stress: [--cpu, 1, --temp-path, "$TEST_DIR"]
EOF

# The long phase's stress-ng (the oldest process with its command line:
# its workers rename themselves), once it has started a worker.
long_phase_running() {
	sp=$(pgrep -o -f -- "--temp-path $TEST_DIR --timeout 60") &&
	    pgrep -P "$sp" >/dev/null
}
wait_long_phase() {
	wait_until 20 'the long phase' 'grep -q "\[2/2\] long" err 2>/dev/null' &&
	wait_until 10 "the long phase's stress-ng and its worker" long_phase_running
}
# Its stress-ng is reaped and its group killed before gf-stress exits;
# the wait only allows for the kernel to finish removing them.
no_stress_ng_left() {
	wait_until 2 'no stress-ng of this test left' \
	    '! pgrep -f -- "--temp-path $TEST_DIR" >/dev/null'
}

interrupt() {	# SIGNAL
	rm -f err int.json
	gf-stress --plan-file long.yaml </dev/null >int.json 2>err &
	pid=$!
	wait_long_phase || { kill $pid; wait $pid; return 1; }
	kill -"$1" $pid
	wait $pid
	echo $? >rc
}

test_expect_success 'SIGTERM mid-run: exit 75, completed windows kept' '
	start=$(date +%s) &&
	interrupt TERM &&
	test "$(cat rc)" = 75 &&
	test $(( $(date +%s) - start )) -lt 15 &&
	jq -e "[.windows[].name] == [\"short\"]
	    and .stress.interrupted.signal == \"SIGTERM\"
	    and .stress.interrupted.phase == \"long\"
	    and .stress.phases_run == 1
	    and .steps[-1].exit == 75 and .steps[-1].ok == false" int.json &&
	grep -q "stopped by SIGTERM after 1 of 2 phases" err
'
test_expect_success 'SIGTERM leaves no stress-ng running' 'no_stress_ng_left'
test_expect_success 'SIGINT does the same' '
	interrupt INT && test "$(cat rc)" = 75 &&
	jq -e ".stress.interrupted.signal == \"SIGINT\" and
	    (.windows | length) == 1" int.json &&
	no_stress_ng_left
'

test_expect_success 'stress-ng killed under a phase: exit 70, no worker left' '
	rm -f err
	gf-stress --plan-file long.yaml </dev/null >killed.json 2>err &
	pid=$!
	wait_long_phase || { kill $pid; exit 1; }
	kill -KILL "$sp"
	wait $pid; rc=$?
	test $rc = 70 &&
	jq -e "[.windows[].name] == [\"short\"] and .steps[-1].exit == 70" killed.json &&
	grep -q "phase .long.: .* failed (signal 9)" err &&
	no_stress_ng_left
'

test_expect_success 'gf-stress killed (SIGKILL): the state file keeps the windows' '
	rm -f err
	gf-stress --plan-file long.yaml </dev/null >/dev/null 2>err &
	pid=$!
	wait_long_phase || { kill $pid; exit 1; }
	kill -KILL $pid; wait $pid
	jq -e "[.windows[].name] == [\"short\"]" "$GF_STATE"
'
test_expect_success '... and its stress-ng does not outlive it' '
	wait_until 5 "its stress-ng to end (parent-death signal)" \
	    "! pgrep -f -- \"--temp-path $TEST_DIR\" >/dev/null" ||
	    { pkill -f -- "--temp-path $TEST_DIR"; false; }
'

test_expect_code 66 'no stress-ng in PATH: exit 66 (a required program is missing)' "
	PATH=/nonexistent '$GF_BUILD/bin/gf-stress' --stress-args 'cpu;none;none' --stress-timeout 1 \
	    </dev/null >nostress.json 2>err
"
test_expect_success '... naming the package, with the failed step in the document' '
	grep -q "stress-ng not found in PATH: install it (Debian package .stress-ng.)" err &&
	jq -e ".steps[-1].exit == 66 and (.windows // [] | length) == 0" nostress.json
'
# The system refusing a new process: nobody held to one process.
if nobody_tools gf-stress; then
	test_expect_code 71 'the system refusing a process for stress-ng: exit 71' "
		as_nobody prlimit --nproc=1 '$NOBODY_BIN/gf-stress' -P curve:default \
		    </dev/null >nofork.json 2>err; rc=\$?
		grep -q \"cannot start 'stress-ng': Resource temporarily unavailable\" err &&
		jq -e '.steps[-1].exit == 71 and (.windows // [] | length) == 0' nofork.json >/dev/null ||
		    rc=99
		exit \$rc
	"
else
	test_skip 'the system refusing a process for stress-ng: exit 71' "$NOBODY_SKIP"
fi
test_expect_success 'an idle plan needs no stress-ng' '
	PATH=/nonexistent "$GF_BUILD/bin/gf-stress" -P idle:0.2 </dev/null >/dev/null
'

cat >"$TEST_DIR/bad.yaml" <<'EOF'
name: bad
phases:
  - name: idle
    duration: 1s
  - name: load
    duration: soon
    stress: --cpu 1
EOF
test_expect_code 65 'a YAML plan with a bad duration: exit 65' '
	gf-stress --plan-file bad.yaml </dev/null >out 2>err
'
test_expect_success '... the message gives file:line:col and the field' '
	gf-stress --plan-file bad.yaml </dev/null >out 2>err;
	grep -q "bad.yaml:6:5: phases\[1\].duration: bad duration .soon." err &&
	jq -e ".steps[-1].exit == 65 and (.windows // [] | length) == 0" out
'
test_expect_success 'a YAML syntax error gives line:col too' '
	printf "phases:\n  - name: [x\n" >syn.yaml;
	gf-stress --plan-file syn.yaml </dev/null >out 2>err; test $? = 65 &&
	grep -q "syn.yaml:3:1: " err
'
test_expect_code 65 'stress-ng rejecting a phase fails before anything runs' '
	printf "phases:\n  - {name: a, duration: 1}\n  - {name: b, duration: 1, stress: --cpu 1 --no-such-option}\n" >rej.yaml &&
	gf-stress --plan-file rej.yaml </dev/null >rej.json 2>err ||
	{ rc=$?; grep -q "phase .b.: stress-ng rejects" err &&
	  jq -e "(.windows // []) == []" rej.json || rc=99; exit $rc; }
'
test_expect_code 66 'a missing input document: exit 66' 'gf-stress -i nosuch.json -P idle:1 >/dev/null'
test_expect_success 'remote hosts in the document: a warning, the run is local' '
	echo "{\"hosts\": [{\"name\": \"b1\", \"address\": \"192.0.2.5\", \"connection\": \"ssh\"}]}" |
	    gf-stress -P idle:0.1 >h.json 2>err &&
	grep -q "host .b1. of the document is not this host" err &&
	jq -e "(.windows | length) == 1" h.json
'
test_expect_code 66 'a missing plan file: exit 66' 'gf-stress --plan-file nosuch.yaml </dev/null >/dev/null'

test_expect_success 'the example plans in share/plans are valid' '
	for f in "$GF_SRC"/share/plans/*.yaml; do
		gf-stress --plan-file "$f" -n </dev/null >/dev/null 2>err || { cat err; exit 1; }
	done
'

test_expect_success 'a failed input document passes through unchanged' '
	printf "{\"gf\": {\"version\": 1}, \"run\": {\"id\": \"r\", \"start\": \"2026-11-23T18:00:00Z\"}, \"x\": [1], \"steps\": [{\"tool\": \"gf-k3s\", \"ok\": false, \"exit\": 69}]}" >failed.json &&
	gf-stress -P idle:1 <failed.json >passed.json 2>err; test $? = 69 &&
	jq -S . failed.json >a && jq -S . passed.json >b && cmp a b
'

test_expect_success 'a config file gives the plan and time scale' '
	printf "plan: idle:10\ntime_scale: 0.05\n" >c.yaml &&
	gf-stress -c c.yaml </dev/null >c.json 2>/dev/null &&
	jq -e ".stress.plan.name == \"idle:10\" and .stress.time_scale == 0.05
	    and (.windows[0].end - .windows[0].start) < 1" c.json
'
test_expect_success 'the command line wins over GF_STRESS_PLAN' '
	GF_STRESS_PLAN=curve:default gf-stress -P idle:1 -n </dev/null >e.json 2>/dev/null &&
	jq -e ".stress.plan.name == \"idle:1\"" e.json &&
	GF_STRESS_PLAN=curve:default gf-stress -n </dev/null >e.json 2>/dev/null &&
	jq -e ".stress.plan.name == \"curve:default\"" e.json
'
test_expect_code 78 'a bad config field: exit 78' '
	printf "time_scale: fast\n" >bad-c.yaml &&
	gf-stress -c bad-c.yaml -P idle:1 </dev/null
'
test_expect_success 'repeats beyond --repeats'"'"' range in a config: 78, named' '
	printf "repeats: 4294967297\n" >bad-r.yaml &&
	{ gf-stress -c bad-r.yaml -P curve:stepwise -n </dev/null 2>err; rc=$?; } ;
	[ $rc = 78 ] && grep -q "bad-r.yaml: field '"'"'repeats'"'"': 4294967297 is out of range \[1, 100000\]" err
'
test_expect_code 78 '--host of another machine is refused (78)' '
	gf-stress --host 192.0.2.10 -P idle:1 </dev/null
'
test_expect_success '--host localhost runs here' '
	gf-stress -H localhost -P idle:1 -n </dev/null >/dev/null 2>&1
'
test_expect_code 64 'no plan is a usage error' 'gf-stress </dev/null'
test_expect_code 64 'an unknown plan is a usage error' 'gf-stress -P curve:nosuch -n </dev/null'
test_expect_code 64 'a bad Tekton entry is a usage error' "gf-stress --stress-args 'cpu;none' -n </dev/null"
test_expect_code 64 'two plans are a usage error' 'gf-stress -P idle:1 --plan-file x.yaml </dev/null'
test_expect_code 64 'a bad duration option is a usage error' 'gf-stress -P tekton --stress-timeout soon </dev/null'
test_expect_code 74 'a full stdout: exit 74' 'gf-stress -P idle:1 -n </dev/null >/dev/full'

test_done
