#!/bin/sh
# The metal CI's isolated-server flow on two test hosts (tests/hosts.sh):
# one run provisions host A, measures it and trains models; a second,
# separate run provisions host B, measures it and validates A's model
# there. Each tool is fed the real output of the one before it.
. "$GF_SRC/tests/lib.sh"
. "$GF_SRC/tests/hosts.sh"

printf 'leak:libpcre2-8.so\n' >"$TEST_DIR/lsan.supp"
export LSAN_OPTIONS="suppressions=$TEST_DIR/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

need jq jq
need stress-ng stress-ng
need prometheus prometheus
need prometheus-node-exporter prometheus-node-exporter

hosts_can_run || skip_all "$HOSTS_SKIP"
H=$TEST_DIR/hosts
hosts_up 2 "$H" || { echo "Bail out! $HOSTS_ERR"; exit 1; }
A=$TEST_DIR/a B=$TEST_DIR/b
mkdir -p "$A" "$B"
trap 'for d in "$A" "$B"; do
	test -f "$d/final.json" || continue
	gf-kepler-install --stop -i "$d/final.json" >/dev/null 2>&1
	gf-provision down -i "$d/final.json" >/dev/null 2>&1
done; hosts_at_exit' EXIT

hosts_inventory gfh1 >"$A/inventory.yml"
hosts_inventory gfh2 >"$B/inventory.yml"

cat >"$TEST_DIR/plan.yaml" <<'EOF'
name: short-steps
phases:
  - name: idle
    duration: 4s
  - name: cpu-load-50
    duration: 4s
    stress: [--cpu, 0, --cpu-method, ackermann, --cpu-load, 50]
  - name: cpu-load-100
    duration: 4s
    stress: [--cpu, 0, --cpu-method, ackermann, --cpu-load, 100]
  - name: idle-after
    duration: 4s
EOF

# Pass the document on once Prometheus has samples after its last window.
scraped() {	# FILE
	cat >"$1"
	prom_after_windows "$1" 'min(timestamp(gf_powersim_cpu_utilisation))' >&2
	cat "$1"
}

# measure DIR HOST: provision HOST alone, its stack, the plan on it.
measure() {
	GF_STATE=$1/gf-state.json gf-provision up --provider ssh \
	    --inventory "$1/inventory.yml" --known-hosts "$H/known_hosts" \
	    </dev/null 2>"$1/provision.err" |
	    gf-kepler-install --power simulated --scrape-interval 1s \
	        --state-dir "$1/stack" 2>"$1/kepler-install.err" |
	    gf-stress --host "$2" --plan-file "$TEST_DIR/plan.yaml" \
	        2>"$1/stress.err" |
	    scraped "$1/stress.json" 2>"$1/scraped.err"
}

test_expect_success 'run A: provision gfh1, measure it, train' '
	measure "$A" gfh1 |
	    gf-train --profile node-exporter --energy-source rapl-sysfs \
	        --feature-group NodeSim --step 1s --seed 1 \
	        --trainers LinearRegressionTrainer,PolynomialRegressionTrainer \
	        --out "$A/models" >"$A/final.json" 2>"$A/train.err" ||
	{ tail -n 3 "$A"/*.err >&2; false; }
	jq -e "all(.steps[]; .ok) and (.hosts | map(.name)) == [\"gfh1\"]
	    and .stack.hosts[0].name == \"gfh1\" and .stress.host == \"gfh1\"
	    and .train.input.prometheus == .stack.prometheus.url
	    and (.train.best | length) > 0" "$A/final.json"
'

MODEL=$(jq -r '.train as $t | [$t.best[] | select(.component == "package")][0] as $b
    | $t.models[] | select(.trainer == $b.trainer and .feature_group == $b.feature_group
        and .output_type == $b.output_type)
    | "\($t.out)/\(.files.dir)/package.gf.json"' "$A/final.json" 2>/dev/null)

test_expect_success 'run B: provision gfh2 alone, measure it, validate run A'"'"'s model' '
	test -f "$MODEL" &&
	measure "$B" gfh2 |
	    gf-validate --model "$MODEL" \
	        --feature-query "sim_cpu_utilisation=sum(gf_powersim_cpu_utilisation)" \
	        --measured "sum(rate(node_rapl_package_joules_total[5s]))" \
	        --step 1s --out "$B/report" >"$B/final.json" 2>"$B/validate.err" ||
	{ tail -n 3 "$B"/*.err >&2; false; }
	jq -e --arg m "$MODEL" "all(.steps[]; .ok) and (.hosts | map(.name)) == [\"gfh2\"]
	    and .stress.host == \"gfh2\" and .validate.prometheus == .stack.prometheus.url
	    and .validate.results[0].model == \$m and .validate.results[0].samples > 0
	    and .validate.results[0].mae != null" "$B/final.json"
'

test_expect_success 'the two runs measured different machines with different stacks' '
	jq -e -n --slurpfile a "$A/final.json" --slurpfile b "$B/final.json" \
	    "\$a[0].stack.prometheus.url != \$b[0].stack.prometheus.url
	    and \$a[0].hosts[0].address != \$b[0].hosts[0].address"
'

test_expect_success 'each run stops its own stack and gives its host back' '
	for d in "$A" "$B"; do
		gf-kepler-install --stop -i "$d/final.json" 2>>"$d/stop.err" |
		    gf-provision down >"$d/down.json" 2>>"$d/stop.err" || return 1
		jq -e "all(.cleanup[]; .released != null) and all(.steps[]; .ok)" "$d/down.json" ||
		    return 1
		rm "$d/final.json"
	done
'

test_done
