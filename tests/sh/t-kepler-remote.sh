#!/bin/sh
# gf-kepler-install on the test hosts of tests/hosts.sh, fed gf-provision's
# real output: node-exporter and the simulated meter on every host,
# Prometheus on the runner scraping them (directly, or through SSH tunnels
# to exporters that listen on the hosts' loopback only), gf-stress on one
# host, --stop and down leaving nothing; a host cut off does not keep the
# others from being stopped.
. "$GF_SRC/tests/lib.sh"
. "$GF_SRC/tests/hosts.sh"
need jq jq
need stress-ng stress-ng
need prometheus prometheus
need prometheus-node-exporter prometheus-node-exporter

hosts_can_run || skip_all "$HOSTS_SKIP"
H=$TEST_DIR/hosts
hosts_up 2 "$H" || { echo "Bail out! $HOSTS_ERR"; exit 1; }
# What a failed case left running (the runner's Prometheus and tunnels
# above all: the hosts' processes go with the hosts).
trap 'for d in ki kp kpt kt ka kc one; do
	test -f "$TEST_DIR/$d.json" &&
	    gf-kepler-install --stop -i "$TEST_DIR/$d.json" >/dev/null 2>&1
done; hosts_at_exit' EXIT
diag "2 hosts up in $HOSTS_UP_MS ms (harness $HOSTS_ID on $HOSTS_NET.0/24)"

# GreenFlow's layout: the hosts under all.hosts, roles as children groups.
hosts_inventory gfh1@control gfh2@worker >"$TEST_DIR/inventory.yml"
# The pids a document's stack section records, one per line.
stack_pids() {
	jq -r '.stack | [.prometheus.pid, (.hosts // [])[] |
	    (.node_exporter.pid, .power.meter.pid, (.tunnels // [])[].pid)]
	    | .[] | select(. != null)' "$1"
}
# Every recorded pid gone (stopped daemons are reaped by init: wait).
all_gone() {
	for p in $(stack_pids "$1"); do kill -0 "$p" 2>/dev/null && return 1; done
	return 0
}
stress_on() {
	_ns=$(hosts_netns "$1")
	for _p in $(pgrep stress-ng); do
		[ "$(hosts_netns_of "$_p")" = "$_ns" ] && echo "$_p"
	done
}

test_expect_success 'gf-provision up --provider ssh: both hosts, with cores and roles' '
	gf-provision up --provider ssh --inventory inventory.yml \
	    --known-hosts "$H/known_hosts" </dev/null >prov.json 2>err ||
	{ cat err >&2; false; } &&
	jq -e "(.hosts | map(.name)) == [\"gfh1\", \"gfh2\"] and all(.hosts[]; .cores >= 1)
	    and .hosts[0].roles == [\"control\"] and .hosts[1].roles == [\"worker\"]" prov.json
'
# A cut-off host is noticed in seconds, not the default 10 s and 90 s.
jq '.hosts |= map(. + {connect_timeout: 3, keepalive: 2})' "$TEST_DIR/prov.json" >"$TEST_DIR/doc.json" 2>/dev/null

test_expect_success 'kepler-install --power simulated: exporters on both hosts, Prometheus on the runner' '
	gf-kepler-install --power simulated --scrape-interval 1s -d "$TEST_DIR/stack" -i doc.json >ki.json 2>err ||
	{ cat err >&2; false; } &&
	jq -e ".stack.mode == \"hosts\" and .stack.power.source == \"simulated\"
	    and (.stack.prometheus.url | test(\"^http://127.0.0.1:[0-9]+$\"))
	    and (.stack.hosts | map(.name)) == [\"gfh1\", \"gfh2\"]
	    and all(.stack.hosts[]; .reach == \"direct\" and .power.source == \"simulated\"
	        and .state_dir == \"/var/tmp/gf-stack\")
	    and .stack.hosts[0].node_exporter.url == \"http://$(hosts_addr gfh1):\(.stack.hosts[0].node_exporter.port)\"
	    and ([.cleanup[] | select(.kind == \"stack\") | .host] == [null, \"gfh1\", \"gfh2\"])" ki.json &&
	hosts_runs_on gfh1 "$(jq -r ".stack.hosts[0].node_exporter.pid" ki.json)" &&
	hosts_runs_on gfh1 "$(jq -r ".stack.hosts[0].power.meter.pid" ki.json)" &&
	hosts_runs_on gfh2 "$(jq -r ".stack.hosts[1].node_exporter.pid" ki.json)" &&
	hosts_runs_on gfh2 "$(jq -r ".stack.hosts[1].power.meter.pid" ki.json)" &&
	test "$(hosts_netns_of "$(jq -r .stack.prometheus.pid ki.json)")" = "$(hosts_netns_of $$)"
'
URL=$(jq -r .stack.prometheus.url "$TEST_DIR/ki.json" 2>/dev/null)

test_expect_success 'Prometheus scrapes each host under its name and power source' '
	wait_until 20 "both hosts scraped" \
	    "prom_at_least $URL \"count(up{job=\\\"node\\\",source=\\\"simulated\\\"} == 1)\" 2" &&
	wait_until 20 "simulated power of gfh1 and gfh2" \
	    "prom_at_least $URL \"count(count by (host) (node_rapl_package_joules_total{host=~\\\"gfh1|gfh2\\\"}))\" 2"
'

test_expect_success 'the hosts hold their own files: nothing of the stack on the runner' '
	test ! -e /var/tmp/gf-stack/node-exporter/node-exporter.pid &&
	root=/proc/$(cut -d" " -f1 "$H/gfh2/holder.pid")/root &&
	test -s "$root/var/tmp/gf-stack/node-exporter/node-exporter.pid" &&
	test -x "$root/var/tmp/gf-stack/powersim/bin/gf-powersim"
'

# Watch host $1 for stress-ng while gf-stress runs; $2 appears when seen.
watch_host() {
	( i=0; while [ $i -lt 150 ]; do
		[ -n "$(stress_on "$1")" ] && { : >"$2"; exit 0; }
		sleep 0.05; i=$((i + 1))
	done ) &
}
cat >"$TEST_DIR/two.yaml" <<EOF
name: two
phases:
  - name: spin
    duration: 2s
    stress: [--cpu, 1, --cpu-method, ackermann]
  - name: half
    duration: 2s
    stress: [--cpu, 1, --cpu-load, 50]
EOF

test_expect_success 'gf-stress --host gfh2 on the stack: stress-ng there only' '
	watch_host gfh2 seen2; w2=$!; watch_host gfh1 seen1; w1=$!
	gf-stress --host gfh2 --plan-file two.yaml -i ki.json >st.json 2>err; rc=$?
	wait $w2 $w1; cat err >&2
	test $rc = 0 && test -e seen2 && test ! -e seen1 &&
	jq -e ".stress.host == \"gfh2\" and (.windows | length) == 2 and .stack.mode == \"hosts\"" st.json
'

test_expect_success 'gf-validate reads the runner'"'"'s Prometheus over the windows' '
	prom_after_windows st.json "max(timestamp(node_rapl_package_joules_total{host=\"gfh2\"}))" 30 &&
	gf-validate --power "sum(rate(node_rapl_package_joules_total{host=\"gfh2\"}[10s]))" \
	    --step 1s -o "$TEST_DIR/val" -i st.json >val.json 2>err || { cat err >&2; false; }
	jq -e ".steps[-1].ok and all(.validate.summaries[]; .mean_power_w > 0)" val.json
'

test_expect_success '--stop: every process gone, on both hosts and the runner' '
	gf-kepler-install --stop -i st.json >stop.json 2>err; rc=$?; cat err >&2
	test $rc = 0 &&
	jq -e ".stack.running == false and .stack.stop.hosts.gfh1.node_exporter == \"stopped\"
	    and .stack.stop.hosts.gfh2.meter == \"stopped\" and .stack.stop.runner.prometheus == \"stopped\"
	    and all(.cleanup[] | select(.kind == \"stack\"); .released != null)" stop.json &&
	wait_until 10 "the stack'"'"'s processes to go" "all_gone ki.json" &&
	gf-provision down -i stop.json >down.json 2>err && jq -e ".steps[-1].ok" down.json
'

test_expect_success 'a relative --host-state-dir is a usage error (64)' '
	gf-kepler-install --host-state-dir var/x -d "$TEST_DIR/stack-x" -i doc.json >rel.json 2>err
	rc=$?; cat err >&2; test $rc = 64 && grep -q "host-state-dir: expected an absolute path" err
'

test_expect_success '--host NAME: exporters on that host alone; a name not there is 78' '
	gf-kepler-install --host gfh1 --power none -d "$TEST_DIR/stack1" -i doc.json >one.json 2>err ||
	{ cat err >&2; false; } &&
	jq -e "(.stack.hosts | map(.name)) == [\"gfh1\"] and .stack.power.source == \"none\"" one.json &&
	gf-kepler-install --stop -i one.json >/dev/null 2>&1 &&
	wait_until 10 "the stack to go" "all_gone one.json" &&
	{ gf-kepler-install --host nosuch -d "$TEST_DIR/stack-n" -i doc.json >no.json 2>err; test $? = 78; } &&
	grep -q "host .nosuch. is not in the document" err
'

test_expect_success '--prometheus-host gfh1: Prometheus there, scraping both hosts' '
	gf-kepler-install --prometheus-host gfh1 --power simulated --scrape-interval 1s \
	    -d "$TEST_DIR/stack-p" -i doc.json >kp.json 2>err || { cat err >&2; false; } &&
	jq -e ".stack.prometheus.host == \"gfh1\"
	    and .stack.prometheus.url == \"http://$(hosts_addr gfh1):\(.stack.prometheus.port)\"
	    and (.stack.hosts | map(.name)) == [\"gfh2\", \"gfh1\"]
	    and ([.cleanup[] | select(.kind == \"stack\") | .host] == [null, \"gfh1\", \"gfh2\"])" kp.json &&
	hosts_runs_on gfh1 "$(jq -r .stack.prometheus.pid kp.json)" &&
	url=$(jq -r .stack.prometheus.url kp.json) &&
	wait_until 20 "both hosts scraped, each under its name" \
	    "prom_at_least $url \"count(up{job=\\\"node\\\",host=~\\\"gfh1|gfh2\\\"} == 1)\" 2"
'

test_expect_success 'gf-snapshot fetches the snapshot from the Prometheus host' '
	gf-stress --host gfh2 --plan-file two.yaml -i kp.json 2>/dev/null |
	    gf-snapshot --remove-snapshot -o "$TEST_DIR/snap" >snap.json 2>err || { cat err >&2; false; }
	jq -e ".snapshot.data_host == \"gfh1\" and .snapshot.files >= 1 and .snapshot.removed" snap.json &&
	a=$(jq -r .snapshot.archive snap.json) && test -s "$a" &&
	tar -tf "$a" | grep -q "/index$" &&
	test -z "$(ls -A "$TEST_DIR/snap" | grep fetch)" &&
	root=/proc/$(cut -d" " -f1 "$H/gfh1/holder.pid")/root &&
	test ! -e "$root$(jq -r .snapshot.snapshot_dir snap.json)"
'

test_expect_success '--stop stops Prometheus on gfh1 and the exporters' '
	gf-kepler-install --stop -i kp.json >kpstop.json 2>err || { cat err >&2; false; }
	jq -e ".stack.stop.hosts.gfh1.prometheus == \"stopped\"" kpstop.json &&
	wait_until 10 "the stack to go" "all_gone kp.json"
'

if command -v gf-tunnel >/dev/null 2>&1; then
test_expect_success '--tunnel always: exporters on the hosts'"'"' loopback, scraped through SSH tunnels' '
	gf-kepler-install --tunnel always --power simulated -d "$TEST_DIR/stack-t" -i doc.json >kt.json 2>err ||
	{ cat err >&2; false; } &&
	jq -e "all(.stack.hosts[]; .reach == \"ssh\"
	        and (.node_exporter.listen | startswith(\"127.0.0.1:\"))
	        and (.node_exporter.url | test(\"^http://127.0.0.1:[0-9]+$\"))
	        and (.tunnels | length) == 1)" kt.json &&
	t1=$(jq -r ".stack.hosts[0].tunnels[0].pid" kt.json) &&
	test "$(hosts_netns_of "$t1")" = "$(hosts_netns_of $$)" &&
	url=$(jq -r .stack.prometheus.url kt.json) &&
	wait_until 20 "both hosts scraped through the tunnels" \
	    "prom_at_least $url \"count(up{job=\\\"node\\\"} == 1)\" 2"
'

test_expect_success 'down stops the stack and its tunnels' '
	gf-provision down -i kt.json >kdown.json 2>err; rc=$?; cat err >&2
	test $rc = 0 && wait_until 10 "stack and tunnels to go" "all_gone kt.json"
'

test_expect_success '--tunnel auto: a tunnel for the host whose address is not its own' '
	jq ".hosts[1].addresses = [\"192.0.2.7\"]" doc.json >nat.json &&
	gf-kepler-install --power none -d "$TEST_DIR/stack-a" -i nat.json >ka.json 2>err ||
	{ cat err >&2; false; } &&
	jq -e "[.stack.hosts[].reach] == [\"direct\", \"ssh\"]" ka.json &&
	url=$(jq -r .stack.prometheus.url ka.json) &&
	wait_until 20 "both hosts scraped" "prom_at_least $url \"count(up{job=\\\"node\\\"} == 1)\" 2" &&
	gf-kepler-install --stop -i ka.json >/dev/null 2>&1 &&
	wait_until 10 "stack and tunnel to go" "all_gone ka.json"
'

test_expect_success 'Prometheus on gfh1 behind a tunnel: validate, train and snapshot read through it' '
	gf-kepler-install --prometheus-host gfh1 --tunnel always --power simulated \
	    --scrape-interval 1s -d "$TEST_DIR/stack-pt" -i doc.json >kpt.json 2>err ||
	{ cat err >&2; false; } &&
	jq -e "(.stack.prometheus.url | test(\"^http://127.0.0.1:\"))
	    and .stack.prometheus.listen == \"127.0.0.1:\(.stack.prometheus.port)\"
	    and [.stack.hosts[].reach] == [\"direct\", \"ssh\"]" kpt.json &&
	gf-stress --host gfh2 --plan-file two.yaml -i kpt.json >spt.json 2>/dev/null &&
	prom_after_windows spt.json "max(timestamp(node_rapl_package_joules_total{host=\"gfh2\"}))" 30 &&
	gf-validate --power "sum(rate(node_rapl_package_joules_total{host=\"gfh2\"}[3s]))" \
	    --step 1s -o "$TEST_DIR/val-pt" -i spt.json 2>err |
	    gf-train --profile node-exporter --energy-source rapl-sysfs --feature-group NodeSim \
	        --step 1s --extract-only --out "$TEST_DIR/train-pt" 2>>err |
	    gf-snapshot -o "$TEST_DIR/snap-pt" >pt.json 2>>err || { cat err >&2; false; }
	jq -e "all(.steps[]; .ok) and .validate.prometheus == .stack.prometheus.url
	    and .train.input.prometheus == .stack.prometheus.url and .train.preprocessed[0].rows > 0
	    and .snapshot.data_host == \"gfh1\" and .snapshot.files >= 1
	    and all(.validate.summaries[]; .mean_power_w > 0)" pt.json ||
	{ jq -c "[.steps[].ok], .train.input, [.train.preprocessed[]?.rows], .snapshot.data_host" pt.json >&2; false; } &&
	gf-kepler-install --stop -i pt.json >/dev/null 2>&1 &&
	wait_until 10 "stack and tunnels to go" "all_gone kpt.json"
'
else
test_skip '--tunnel always' 'gf-tunnel not built'
test_skip 'Prometheus on gfh1 behind a tunnel' 'gf-tunnel not built'
test_skip 'down stops the tunnels' 'gf-tunnel not built'
test_skip '--tunnel auto' 'gf-tunnel not built'
fi

test_expect_success 'a host cut off: --stop cleans the others, names it (69), down finishes later' '
	gf-kepler-install --power simulated -d "$TEST_DIR/stack-c" -i doc.json >kc.json 2>err ||
	{ cat err >&2; false; } &&
	hosts_cut gfh1 &&
	{ gf-kepler-install --stop -i kc.json >cstop.json 2>err; rc=$?; cat err >&2; test $rc = 69; } &&
	grep -q "gfh1" err &&
	jq -e "(.stack.stop.hosts.gfh1 | test(\"^error: \")) and .stack.stop.hosts.gfh2.node_exporter == \"stopped\"
	    and ([.cleanup[] | select(.kind == \"stack\" and .released == null) | .host] == [\"gfh1\"])" cstop.json &&
	ne2=$(jq -r ".stack.hosts[1].node_exporter.pid" kc.json) &&
	wait_until 10 "node-exporter on gfh2 to go" "! kill -0 $ne2 2>/dev/null" &&
	hosts_heal gfh1 &&
	{ gf-provision down -i cstop.json >cdown.json 2>err; cat err >&2; } ;
	# The run failed at --stop (69), and says so; down itself did its part.
	jq -e ".steps[-1].tool == \"gf-provision\" and .steps[-1].ok
	    and all(.cleanup[]; .released != null)" cdown.json &&
	wait_until 10 "everything to go" "all_gone kc.json"
'

test_done
