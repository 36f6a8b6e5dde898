#!/bin/sh
# gf-kepler-install: the local stack with the simulated meter, started
# and stopped for real (Prometheus 2.42, node-exporter 1.5, gf-powersim),
# pid files, stale state, and gf-provision down after a killed pipeline.
. "$GF_SRC/tests/lib.sh"
need jq jq
need prometheus prometheus
need prometheus-node-exporter prometheus-node-exporter

S=$TEST_DIR/stack
# Every process of a stack in DIR still running (by command line).
stack_procs() { pgrep -f -- "$1" || true; }
# The state file records the stack in DIR as running.
state_has_stack() {	# DIR
	jq -e --arg d "$1" ".stack.running and .stack.state_dir == \$d" \
	    "$GF_STATE" >/dev/null 2>&1
}
# Stop a stack at exit even when a test failed half-way.
trap 'gf-kepler-install --stop -d "$S" </dev/null >/dev/null 2>&1;
    gf-kepler-install --stop -d "$TEST_DIR/killed" </dev/null >/dev/null 2>&1;
    test_cleanup' EXIT

test_expect_success 'up | kepler-install --power simulated exits 0 with .stack.prometheus.url' '
	gf-provision up --provider local </dev/null |
	    gf-kepler-install --components prometheus,node-exporter \
	    --power simulated -d "$S" >doc.json &&
	jq -e ".stack.prometheus.url | startswith(\"http://127.0.0.1:\")" doc.json
'
URL=$(jq -r .stack.prometheus.url "$TEST_DIR/doc.json" 2>/dev/null)

test_expect_success 'the stack section records pids, data dirs, versions, source' '
	jq -e ".stack | .running and .mode == \"local\"
	    and .power.source == \"simulated\" and .power.labels.source == \"simulated\"
	    and .prometheus.version == \"2.42.0+ds\"
	    and (.node_exporter.version | startswith(\"1.5\"))
	    and .prometheus.data_dir == \"$S/prometheus/data\"
	    and .prometheus.pid > 0 and .node_exporter.pid > 0
	    and .power.meter.pid > 0 and .scrape_interval == 3
	    and (.power.availability | has(\"present\"))" doc.json &&
	for p in $(jq -r ".stack | .prometheus.pid, .node_exporter.pid, .power.meter.pid" doc.json); do
		kill -0 $p || exit 1
	done
'
test_expect_success 'cleanup has the stack, the state file too' '
	jq -e ".cleanup == [{\"kind\": \"stack\", \"tool\": \"gf-kepler-install\",
	    \"state_dir\": \"$S\"}]" doc.json && cmp doc.json "$GF_STATE"
'
power_above_zero() {
	v=$(prom_value "$URL" "sum(rate(node_rapl_package_joules_total[30s]))") &&
	    awk -v v="$v" "BEGIN { exit !(v > 0) }"
}
test_expect_success 'sum(rate(node_rapl_package_joules_total[30s])) > 0 within 60 s' '
	wait_until 60 "package power above 0" power_above_zero
'
test_expect_success 'the series say source="simulated", gf_power_source says so too' '
	prom_query "$URL" "node_rapl_package_joules_total" >q1 &&
	jq -e ".data.result[0].metric.source == \"simulated\"" q1 &&
	prom_query "$URL" "gf_power_source" >q2 &&
	jq -e ".data.result | length == 1 and .[0].metric.source == \"simulated\"
	    and .[0].value[1] == \"1\"" q2
'
test_expect_success 'Prometheus: admin API on, scrape interval 3s, long retention' '
	http_get "$URL/api/v1/status/flags" >flags &&
	jq -e ".data[\"web.enable-admin-api\"] == \"true\" and
	    .data[\"storage.tsdb.retention.time\"] == \"100y\"" flags &&
	http_get "$URL/api/v1/status/config" | jq -r .data.yaml | grep -q "scrape_interval: 3s"
'
test_expect_success 'every port is on 127.0.0.1' '
	jq -r ".stack.node_exporter.url" doc.json | grep -q "^http://127.0.0.1:" &&
	! grep -r "0.0.0.0" "$S/prometheus/prometheus.yml"
'
test_expect_code 75 'a second start in the same state dir is refused (75)' '
	gf-kepler-install --power simulated -d "$S" </dev/null >/dev/null
'
test_expect_success 'the refusal left the running stack alone' '
	kill -0 $(cat "$S/prometheus/prometheus.pid")
'

test_expect_success '--stop (document on stdin) leaves no process of the stack' '
	gf-kepler-install --stop <doc.json >stop.json &&
	test -z "$(stack_procs "$S")" &&
	jq -e ".stack.running == false and .stack.stop.prometheus == \"stopped\"
	    and .stack.stop.meter == \"stopped\" and (.cleanup[0].released | length > 0)" stop.json &&
	! ls "$S"/*/*.pid 2>/dev/null
'
test_expect_success '--stop again is a no-op that exits 0' '
	gf-kepler-install --stop <doc.json >stop2.json &&
	jq -e ".stack.stop.prometheus == \"not running\"" stop2.json
'
test_expect_success 'stale pid files: a dead pid, garbage, a reused pid' '
	# A live process that is not the meter: its pid stands for a reused one.
	sleep 300 & other=$!
	echo 999999 >"$S/prometheus/prometheus.pid" &&
	echo garbage >"$S/node-exporter/node-exporter.pid" &&
	echo $other >"$S/powersim/powersim.pid" &&
	gf-kepler-install --stop -d "$S" </dev/null >stale.json; rc=$?
	alive=0; kill -0 $other && alive=1; kill $other
	[ $rc -eq 0 ] && [ $alive -eq 1 ] &&
	jq -e ".stack.stop | .prometheus == \"stale pid file\" and
	    .node_exporter == \"stale pid file\" and .meter == \"stale pid file\"" stale.json &&
	! ls "$S"/*/*.pid 2>/dev/null
'
test_expect_success 'a start over stale pid files works' '
	echo 999999 >"$S/prometheus/prometheus.pid" &&
	gf-kepler-install --power simulated -d "$S" -C prometheus </dev/null >re.json &&
	jq -e ".stack.components == [\"prometheus\", \"powersim\"]" re.json &&
	gf-provision down <re.json >/dev/null &&
	test -z "$(stack_procs "$S")"
'

test_expect_success 'down after a killed pipeline stops the stack (state file)' '
	K=$TEST_DIR/killed
	# The sleep stands for the rest of a pipeline, killed before it reads.
	( gf-provision up --provider local </dev/null |
	    gf-kepler-install --power simulated -d "$K" | sleep 600 ) &
	pipe=$!
	wait_until 20 "the stack in the state file" "state_has_stack \"$K\""; up=$?
	kill $pipe; pkill -P $pipe sleep 2>/dev/null; wait $pipe 2>/dev/null
	[ $up -eq 0 ] && test -n "$(stack_procs "$K")" &&
	gf-provision down </dev/null >down.json &&
	test -z "$(stack_procs "$K")" &&
	jq -e ".provision.down[0].result.prometheus == \"stopped\"" down.json &&
	gf-provision down </dev/null >/dev/null
'

test_expect_success 'the stack keeps no descriptor of its caller open' '
	H=$TEST_DIR/held
	gf-kepler-install --power simulated -C node-exporter -d "$H" </dev/null \
	    >held.json 3>held.txt &&
	n=0; for p in $(cat "$H"/*/*.pid); do
		n=$((n + $(ls -l /proc/$p/fd | grep -c held.txt)))
	done
	gf-kepler-install --stop <held.json >/dev/null
	[ $n -eq 0 ]
'

test_expect_code 66 'a missing prometheus gives 66 (and starts nothing)' '
	mkdir -p bin && ln -sf "$GF_BUILD/bin/gf-kepler-install" bin/ &&
	PATH=$TEST_DIR/bin gf-kepler-install --power none -d "$TEST_DIR/np" </dev/null >/dev/null 2>err
'
test_expect_success 'the message names the Debian package' '
	grep -q "Debian package prometheus" err && test -z "$(stack_procs "$TEST_DIR/np")"
'
test_expect_code 69 '--power rapl without a readable RAPL gives 69' '
	mkdir -p nosys && gf-kepler-install --power rapl --sysfs nosys -d "$TEST_DIR/nr" </dev/null >/dev/null
'
test_expect_code 78 '--components kepler is not in the local stack (78)' '
	gf-kepler-install -C kepler -d "$TEST_DIR/nk" </dev/null >/dev/null
'
test_expect_code 64 'an unknown component is a usage error' '
	gf-kepler-install -C grafana </dev/null >/dev/null
'
test_expect_code 64 'an unknown power source is a usage error' '
	gf-kepler-install --power solar </dev/null >/dev/null
'
test_expect_code 64 'a bad scrape interval is a usage error' '
	gf-kepler-install --scrape-interval fast </dev/null >/dev/null
'
test_expect_code 78 'a host that is not local is refused (78)' '
	echo "{\"hosts\": [{\"name\": \"m1\", \"connection\": \"ssh\"}]}" |
	    gf-kepler-install -d "$TEST_DIR/nh" >/dev/null
'
test_expect_code 65 'a bad config file gives 65' '
	printf "curve:\n  idle_watts: lots\n" >c.yml &&
	gf-kepler-install -c c.yml --power simulated -d "$TEST_DIR/nc" </dev/null >/dev/null
'
test_expect_code 65 'bad JSON on stdin gives 65' '
	echo "{" | gf-kepler-install >/dev/null
'
test_expect_code 69 'a failed document is passed on with its status' '
	echo "{\"steps\": [{\"tool\": \"x\", \"ok\": false, \"exit\": 69}]}" |
	    gf-kepler-install -d "$TEST_DIR/nf" >/dev/null
'
test_expect_code 66 'a missing -i file gives 66' '
	gf-kepler-install -i "$TEST_DIR/nope.json" -d "$TEST_DIR/nm" >/dev/null
'
test_expect_code 73 'a state directory that cannot be created gives 73' '
	echo file >afile &&
	gf-kepler-install --power simulated -d "$TEST_DIR/afile/sub" </dev/null >/dev/null
'
test_expect_code 74 'a full stdout gives 74 (--stop)' '
	gf-kepler-install --stop -d "$TEST_DIR/nothing" </dev/null >/dev/full
'
# 71: the system refusing a process (nobody held to one), and a stack
# process it may not signal (another user's).
if nobody_tools gf-kepler-install gf-powersim; then
	nobody_dir n71
	test_expect_code 71 'a process the system refuses to start gives 71' '
		as_nobody prlimit --nproc=1 "$NOBODY_BIN/gf-kepler-install" --power simulated \
		    -d "$TEST_DIR/n71/st" </dev/null >n71.json 2>err; rc=$?
		grep -q "cannot start .*: Resource temporarily unavailable" err &&
		jq -e ".steps[-1].exit == 71" n71.json >/dev/null || rc=99
		exit $rc
	'
	start_foreign_stack "$TEST_DIR/n71/foreign"
	test_expect_code 71 '--stop on a process it may not signal gives 71' '
		as_nobody "$NOBODY_BIN/gf-kepler-install" --stop -d "$TEST_DIR/n71/foreign" \
		    </dev/null >/dev/null 2>err; rc=$?
		grep -q "cannot stop process $FOREIGN_PID: Operation not permitted" err &&
		kill -0 $FOREIGN_PID || rc=99
		exit $rc
	'
	stop_pid $FOREIGN_PID
else
	test_skip 'a process the system refuses to start gives 71' "$NOBODY_SKIP"
	test_skip '--stop on a process it may not signal gives 71' "$NOBODY_SKIP"
fi
test_expect_success '--help, --version' '
	gf-kepler-install --help | grep -q "^usage: gf-kepler-install" &&
	gf-kepler-install -V | grep -q "(gf)"
'
test_done
