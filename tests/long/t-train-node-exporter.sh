#!/bin/sh
# The demo pipeline's training step: the local stack (Prometheus,
# node-exporter, gf-powersim as the meter), a short stress-ng curve, and
# gf-train with the node-exporter profile for the windows gf-stress
# recorded. Also node-exporter's cpu collector (started here, as the stack
# does not enable it) for the NodeCPU group.
. "$GF_SRC/tests/lib.sh"
need jq jq
need stress-ng stress-ng
need prometheus-node-exporter prometheus-node-exporter

S="$TEST_DIR/stack"
trap 'gf-kepler-install --stop -d "$S" </dev/null >/dev/null 2>&1; test_cleanup' EXIT

# Prometheus at URL holds samples of every RAPL series newer than T.
rapl_after() {	# URL T
	prom_at_least "$1" \
	    'min(timestamp({__name__=~"node_rapl_.*_joules_total"}))' "$2"
}

test_expect_success 'stack, stress curve, gf-train --profile node-exporter (NodeSim)' '
	gf-kepler-install --power simulated --scrape-interval 1s -d "$S" </dev/null >stack.json 2>stack.err &&
	gf-stress --plan curve:stepwise --time-scale 0.15 <stack.json >stress.json 2>stress.err &&
	url=$(jq -r .stack.prometheus.url stack.json) &&
	last=$(jq "[.windows[].end] | max | ceil" stress.json) &&
	wait_until 20 "RAPL samples after the last window" \
	    "rapl_after $url $((last + 1))" &&
	gf-train --profile node-exporter -E rapl-sysfs -g NodeSim --step 1s -t all --seed 1 \
	    -o m <stress.json >train.json 2>train.err &&
	jq -e ".train.input.prometheus == .stack.prometheus.url" train.json &&
	jq -e ".train.datasets[0].rows >= 25" train.json &&
	jq -e "[.train.best[].component] | sort == [\"core\", \"dram\", \"package\"]" train.json &&
	jq -e "[.train.models[] | select(.trainer == \"LinearRegressionTrainer\") | .components.package.test.mae][0] < 5" train.json &&
	test -f m/gf/rapl-sysfs/AbsPower/NodeSim/SGDRegressorTrainer_0.json
'

# node-exporter with the cpu and stat collectors, on the meter's tree.
port=$(free_port)
sys=$(jq -r .stack.node_exporter.sysfs "$TEST_DIR/stack.json")
prometheus-node-exporter --web.listen-address=127.0.0.1:$port --path.sysfs="$sys" \
    --collector.disable-defaults --collector.cpu --collector.stat --collector.rapl \
    >"$TEST_DIR/ne.log" 2>&1 &
test_track_pid $!
wait_http "http://127.0.0.1:$port/metrics" 20 || { echo "Bail out! node-exporter"; exit 1; }
start_prometheus 1s "127.0.0.1:$port"
wait_until 30 "the first cpu sample" \
    'prom_value "$PROM_URL" "node_cpu_seconds_total" >/dev/null' ||
	{ echo "Bail out! no node_cpu_seconds_total samples"; exit 1; }
# The data to train on: idle 8 s, one CPU busy 10 s, idle 8 s, two busy
# 10 s, idle 4 s. These sleeps are idle phases of the workload.
start=$(date +%s)
sleep 8
stress-ng --cpu 1 --timeout 10s >/dev/null 2>&1
sleep 8
stress-ng --cpu 2 --timeout 10s >/dev/null 2>&1
sleep 4
end=$(date +%s)
wait_until 10 "cpu samples after $end" \
    'prom_at_least "$PROM_URL" "min(timestamp(node_cpu_seconds_total))" $((end + 1))' ||
	{ echo "Bail out! no samples after $end"; exit 1; }

test_expect_success 'node_cpu_seconds_total rates as features (NodeCPU)' '
	gf-train -p "$PROM_URL" -s $start -e $end --step 1s --profile node-exporter -E rapl-sysfs \
	    -g NodeCPU,NodeFull -t LinearRegressionTrainer,KNeighborsRegressorTrainer --cv-folds 3 \
	    -o n </dev/null >cpu.json 2>cpu.err &&
	jq -e "[.train.datasets[].feature_group] == [\"NodeCPU\", \"NodeFull\"]" cpu.json &&
	jq -e ".train.datasets[0].rows >= 30" cpu.json &&
	awk -F, "NR > 1 && \$2 > m { m = \$2 } END { exit !(m > 0.5) }" \
	    n/gf/preprocessed_data/preprocess_abs_default_rapl-sysfs_NodeCPU.csv
'

test_done
