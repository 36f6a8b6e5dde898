#!/bin/sh
# The remote-hosts contract, word for word: two hosts reachable over SSH
# on their own addresses and an inventory naming them (roles as children
# groups); gf-provision up --provider ssh, gf-kepler-install --power
# simulated (node-exporter on both, Prometheus on the runner), gf-stress
# --host <second> --plan curve:stepwise --time-scale 0.1 (stress-ng there
# only; about two minutes), gf-kepler-install --stop and gf-provision
# down, after which no process gf started is left on either host.
. "$GF_SRC/tests/lib.sh"
. "$GF_SRC/tests/hosts.sh"
need jq jq
need stress-ng stress-ng
need prometheus prometheus
need prometheus-node-exporter prometheus-node-exporter

hosts_can_run || skip_all "$HOSTS_SKIP"
H=$TEST_DIR/hosts
hosts_up 2 "$H" || { echo "Bail out! $HOSTS_ERR"; exit 1; }

hosts_inventory control-1=gfh1@control worker-1=gfh2@worker >"$TEST_DIR/inventory.yml"

# The processes in host $1's network namespace that are not the
# harness's own (its holder shell, sshd and what sshd runs for a login).
gf_procs_on() {
	for _p in $(ls /proc | grep '^[0-9]*$'); do
		hosts_runs_on "$1" "$_p" || continue
		_c=$(tr '\0' ' ' <"/proc/$_p/cmdline" 2>/dev/null)
		case $_c in
		''|*sshd*|*holder*|'sh '*hosts.sh*|sleep*) ;;
		*) echo "$_p $_c" ;;
		esac
	done
}
stress_seen() { for _p in $(pgrep stress-ng); do
	hosts_runs_on "$1" "$_p" && return 0; done; return 1; }

test_expect_success 'up: both hosts in .hosts[] with .cores' '
	gf-provision up --provider ssh --inventory inventory.yml \
	    --known-hosts "$H/known_hosts" </dev/null >up.json 2>err ||
	{ cat err >&2; false; } &&
	jq -e "(.hosts | map(.name)) == [\"control-1\", \"worker-1\"]
	    and all(.hosts[]; .cores >= 1)" up.json
'

test_expect_success 'kepler-install --power simulated: node-exporter on both, Prometheus on the runner' '
	gf-kepler-install --power simulated <up.json >ki.json 2>err || { cat err >&2; false; }
	jq -e "(.stack.prometheus.url | test(\"^http://127.0.0.1:\"))
	    and (.stack.hosts | map(.name)) == [\"control-1\", \"worker-1\"]" ki.json &&
	gf_procs_on gfh1 | grep -q prometheus-node-exporter &&
	gf_procs_on gfh2 | grep -q prometheus-node-exporter
'

test_expect_success 'gf-stress --host worker-1 --plan curve:stepwise --time-scale 0.1: stress-ng there only' '
	( while :; do stress_seen gfh1 && : >seen1; stress_seen gfh2 && : >seen2; sleep 0.2; done ) &
	w=$!
	gf-stress --host worker-1 --plan curve:stepwise --time-scale 0.1 <ki.json >st.json 2>err
	rc=$?; kill $w; wait $w 2>/dev/null
	test $rc = 0 || { tail -n 5 err >&2; false; } &&
	test -e seen2 && test ! -e seen1 &&
	jq -e ".stress.host == \"worker-1\" and (.windows | length) > 10" st.json
'

test_expect_success 'after --stop and down, nothing gf started is left on either host' '
	gf-kepler-install --stop <st.json 2>err | gf-provision down >down.json 2>>err ||
	{ cat err >&2; false; }
	jq -e "all(.steps[]; .ok)" down.json &&
	wait_until 20 "the hosts to be clean" "test -z \"\$(gf_procs_on gfh1; gf_procs_on gfh2)\"" ||
	{ gf_procs_on gfh1; gf_procs_on gfh2; false; } >&2
'

test_done
