#!/bin/sh
# gf-stress --host on the test hosts of tests/hosts.sh: stress-ng runs on
# the host named (and only there), on every host of the document at once
# with --host all, windows timed on the runner; hostile host names, a
# host cut off mid-run (69, named) and SIGTERM mid-run (the remote
# stress-ng stopped).
. "$GF_SRC/tests/lib.sh"
. "$GF_SRC/tests/hosts.sh"
need jq jq
need stress-ng stress-ng

hosts_can_run || skip_all "$HOSTS_SKIP"
H=$TEST_DIR/hosts
hosts_up 2 "$H" || { echo "Bail out! $HOSTS_ERR"; exit 1; }
diag "2 hosts up in $HOSTS_UP_MS ms (harness $HOSTS_ID on $HOSTS_NET.0/24)"

# The document's hosts, as gf-provision writes them from an inventory.
hosts_inventory gfh1 gfh2 >"$TEST_DIR/inventory.yml"
gf-provision up --provider ssh --inventory "$TEST_DIR/inventory.yml" \
    --known-hosts "$H/known_hosts" </dev/null >"$TEST_DIR/prov.json" \
    2>"$TEST_DIR/prov.err" ||
    { diag "$(cat "$TEST_DIR/prov.err")"; echo "Bail out! gf-provision up --provider ssh failed"; exit 1; }
# The test's own setting: keep-alives every 3 s, so that a host cut off is
# noticed in seconds rather than the default minute and a half.
jq '.hosts |= map(. + {keepalive: 3})' "$TEST_DIR/prov.json" >"$TEST_DIR/doc.json"
DOC=$TEST_DIR/doc.json
jq -e '(.hosts | length) == 2' "$DOC" >/dev/null || { echo "Bail out! no hosts in $DOC"; exit 1; }

NS1=$(hosts_netns gfh1) NS2=$(hosts_netns gfh2)
# The stress-ng processes (whose command line contains $2) on host $1.
stress_on() {
	for _p in $(pgrep stress-ng); do
		hosts_runs_on "$1" "$_p" &&
		    tr '\0' ' ' <"/proc/$_p/cmdline" 2>/dev/null | grep -q -- "${2:-stress-ng}" &&
		    echo "$_p"
	done
}
test -n "$NS1" && test "$NS1" != "$NS2" || { echo "Bail out! host namespaces not found"; exit 1; }

# Two short phases; the second's load marks it.
cat >"$TEST_DIR/two.yaml" <<EOF
name: two
phases:
  - name: spin
    duration: 2s
    stress: [--cpu, 1, --cpu-method, ackermann]
  - name: half
    duration: 3s
    stress: [--cpu, 1, --cpu-method, ackermann, --cpu-load, 50]
EOF
cat >"$TEST_DIR/long.yaml" <<EOF
name: long
phases:
  - name: short
    duration: 1s
    stress: [--cpu, 1]
  - name: long
    duration: 60s
    stress: [--cpu, 1, --cpu-load, 37]
EOF

# Watch host $1 for the second phase's stress-ng while gf-stress runs.
watch_host() {	# HOST PATTERN FILE
	( i=0; while [ $i -lt 200 ]; do
		[ -n "$(stress_on "$1" "$2")" ] && { echo seen >"$3"; exit 0; }
		sleep 0.05; i=$((i + 1))
	done ) &
}

test_expect_success '--host gfh2: stress-ng runs on gfh2 only, windows recorded' '
	watch_host gfh2 cpu-load seen2; w2=$!
	watch_host gfh1 cpu-load seen1; w1=$!
	gf-stress --host gfh2 --plan-file two.yaml -i "$DOC" >one.json 2>err &&
	wait $w2 $w1;
	cat err >&2;
	test -f seen2 && test ! -f seen1 &&
	jq -e ".stress.host == \"gfh2\" and (.windows | map(.name)) == [\"spin\", \"half\"]
	    and (.stress.stress_ng_version | test(\"^[0-9]\"))
	    and .steps[-1].ok and .stress.phases_run == 2
	    and (.windows[1].end - .windows[1].start) >= 3
	    and (.windows[1].end - .windows[1].start) < 8" one.json
'

test_expect_success '--host by address, and a scaled stepwise curve dry run' '
	gf-stress --host "$(hosts_addr gfh1)" -P curve:stepwise --time-scale 0.1 -n -i "$DOC" >dry.json 2>/dev/null &&
	jq -e ".stress.host == \"gfh1\" and .stress.cpus >= 1 and (.windows // []) == []" dry.json
'

test_expect_success '--host all: both hosts at once, one set of windows' '
	watch_host gfh1 cpu-load seen-a1; w1=$!
	watch_host gfh2 cpu-load seen-a2; w2=$!
	gf-stress --host all --plan-file two.yaml -i "$DOC" >all.json 2>err &&
	wait $w1 $w2;
	cat err >&2;
	test -f seen-a1 && test -f seen-a2 &&
	jq -e ".stress.host == \"all\" and (.windows | length) == 2
	    and (.stress.hosts | map(.name)) == [\"gfh1\", \"gfh2\"]
	    and all(.stress.hosts[]; .exit == 0 and (.stress_ng_version | test(\"^[0-9]\")))
	    and (.windows[0].params.commands | keys) == [\"gfh1\", \"gfh2\"]
	    and (.windows[1].end - .windows[1].start) < 8" all.json
'

test_expect_success 'a name not in the document: 78, the valid names listed, nothing run' '
	gf-stress --host "nosuch; touch $TEST_DIR/pwned" -P idle:1 -i "$DOC" >bad.json 2>err;
	rc=$?; cat err >&2; test $rc = 78 &&
	grep -q "host .nosuch; touch .* is not in the document.s hosts (valid: .gfh1., .gfh2.)" err &&
	test ! -e pwned && jq -e ".steps[-1].exit == 78" bad.json
'

test_expect_success 'a hostile name in the document injects nothing' '
	jq --arg n "gfh2\$(touch /tmp/pwned-$HOSTS_ID);'"'"'\`touch /tmp/pwned2-$HOSTS_ID\`" \
	    ".hosts[1].name = \$n" "$DOC" >hostile.json &&
	name=$(jq -r ".hosts[1].name" hostile.json) &&
	gf-stress --host "$name" --plan-file two.yaml --time-scale 0.3 -i hostile.json >h.json 2>err &&
	jq -e --arg n "$name" ".stress.host == \$n and (.windows | length) == 2" h.json &&
	root=/proc/$(cut -d" " -f1 "$H/gfh2/holder.pid")/root &&
	test ! -e /tmp/pwned-$HOSTS_ID && test ! -e /tmp/pwned2-$HOSTS_ID &&
	test ! -e "$root/tmp/pwned-$HOSTS_ID" && test ! -e "$root/tmp/pwned2-$HOSTS_ID"
'

test_expect_success 'SIGTERM mid-run stops the remote stress-ng' '
	gf-stress --host gfh2 --plan-file long.yaml -i "$DOC" >term.json 2>err &
	pid=$!; test_track_pid $pid
	wait_until 20 "the long phase on gfh2" "test -n \"\$(stress_on gfh2 cpu-load)\"" &&
	kill -TERM $pid; wait $pid; rc=$?
	cat err >&2
	test $rc = 75 &&
	wait_until 10 "stress-ng to end on gfh2" "test -z \"\$(stress_on gfh2)\"" &&
	jq -e ".stress.interrupted.signal == \"SIGTERM\" and (.windows | map(.name)) == [\"short\"]" term.json
'

test_expect_success 'a host cut off mid-run: 69 naming it, the windows so far written' '
	gf-stress --host gfh2 --plan-file long.yaml -i "$DOC" >cut.json 2>err &
	pid=$!; test_track_pid $pid
	wait_until 20 "the long phase on gfh2" "test -n \"\$(stress_on gfh2 cpu-load)\"" &&
	hosts_cut gfh2 && start=$(date +%s) &&
	wait $pid; rc=$?
	hosts_heal gfh2
	cat err >&2
	test $rc = 69 && test $(( $(date +%s) - start )) -lt 30 &&
	grep -q "host .gfh2.: connection lost" err &&
	jq -e ".steps[-1].exit == 69 and (.windows | map(.name)) == [\"short\"]" cut.json
'
# What the cut-off run left on gfh2 (not stopped: the host was away).
end_stress_on() { for p in $(stress_on "$1"); do kill "$p" 2>/dev/null; done; }
end_stress_on gfh2

test_expect_success '--host all with a host cut off: 69, that host named in stress.hosts' '
	gf-stress --host all --plan-file long.yaml -i "$DOC" >cutall.json 2>err &
	pid=$!; test_track_pid $pid
	wait_until 20 "the long phase on gfh1" "test -n \"\$(stress_on gfh1 cpu-load)\"" &&
	hosts_cut gfh1 &&
	wait $pid; rc=$?
	hosts_heal gfh1
	cat err >&2
	test $rc = 69 &&
	{ jq -e "(.windows | map(.name)) == [\"short\"] and .stress.hosts[0].exit == 69
	    and (.stress.hosts[0].error | test(\"gfh1\"))
	    and (.stress.hosts[1].error // \"\" | test(\"gfh1\") | not)" cutall.json ||
	  { jq -c "[.windows[].name], .stress.hosts" cutall.json; false; }; } &&
	{ wait_until 15 "stress-ng to end on gfh2" "test -z \"\$(stress_on gfh2)\"" ||
	  { jq -c .stress.hosts cutall.json; false; } >&2; }
'
end_stress_on gfh1

test_done
