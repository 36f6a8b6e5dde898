#!/bin/sh
# Remote hosts that fail, on the test hosts of tests/hosts.sh: a user
# without passwordless sudo (gf-provision up and gf-stress: 78 naming the
# host and the fixes; "sudo": false works for what needs no root); a
# host killed mid-run (69 naming it, the windows so far written) and a
# retry after a host came back; gf-provision down with a host cut off
# (the rest released, the host named, 69). Also the remote output shown
# on stderr: prefixed with the host, masked, grouped under Actions.
. "$GF_SRC/tests/lib.sh"
. "$GF_SRC/tests/hosts.sh"
need jq jq
need stress-ng stress-ng

hosts_can_run || skip_all "$HOSTS_SKIP"
H=$TEST_DIR/hosts
hosts_up 3 "$H" || { echo "Bail out! $HOSTS_ERR"; exit 1; }
diag "3 hosts up in $HOSTS_UP_MS ms (harness $HOSTS_ID on $HOSTS_NET.0/24)"
cd "$TEST_DIR" || exit 1

# gfh1's user loses its sudo rights.
hosts_exec gfh1 rm -f /etc/sudoers.d/gfhosts ||
    { echo "Bail out! cannot take sudo away on gfh1"; exit 1; }

inventory() {	# HOST [EXTRA-LINE]
	cat <<EOF
all:
  hosts:
    $1:
      ansible_host: $(hosts_addr "$1")
      ansible_user: $HOSTS_USER
      ansible_ssh_private_key_file: $H/id_ed25519
      ansible_ssh_timeout: 2
${2:+      $2}
EOF
}
provision() {	# INVENTORY OUT
	gf-provision up --provider ssh --inventory "$1" \
	    --known-hosts "$H/known_hosts" </dev/null >"$2" 2>"$2.err"
}
# Keep-alives every 3 s: a host gone is noticed in seconds.
keepalive() { jq '.hosts |= map(. + {keepalive: 3})' "$1"; }

cat >one.yaml <<EOF
name: one
phases:
  - name: spin
    duration: 1s
    stress: [--cpu, 1]
EOF
cat >long.yaml <<EOF
name: long
phases:
  - name: short
    duration: 1s
    stress: [--cpu, 1]
  - name: long
    duration: 60s
    stress: [--cpu, 1, --cpu-load, 37]
EOF

inventory gfh1 >nosudo.yml
test_expect_success 'no passwordless sudo: gf-provision up is 78 naming the host and the fixes' '
	provision nosudo.yml up1.json; rc=$?
	cat up1.json.err >&2
	test $rc = 78 &&
	grep -q "host .gfh1.: user .$HOSTS_USER. cannot use sudo without a password (sudo -n: sudo: a password is required): allow it with NOPASSWD" up1.json.err &&
	grep -q "\"sudo\": false in its hosts entry (ansible_become: false in an inventory)" up1.json.err &&
	jq -e ".steps[-1].exit == 78 and .hosts == null" up1.json
'

inventory gfh1 "ansible_become: false" >nosudo-off.yml
test_expect_success 'ansible_become: false: the host is recorded with "sudo": false' '
	provision nosudo-off.yml up2.json &&
	jq -e ".hosts[0].name == \"gfh1\" and .hosts[0].sudo == false
	    and (.hosts[0].cores >= 1)" up2.json
'

test_expect_success 'no passwordless sudo: gf-stress --host is 78 naming the host, nothing run' '
	jq ".hosts[0].sudo = true" up2.json >sudo-on.json &&
	gf-stress --host gfh1 --plan-file one.yaml -i sudo-on.json >st1.json 2>st1.err; rc=$?
	cat st1.err >&2
	test $rc = 78 &&
	grep -q "host .gfh1.: user .$HOSTS_USER. cannot use sudo without a password" st1.err &&
	jq -e ".steps[-1].exit == 78 and (.windows // []) == []" st1.json
'

test_expect_success '"sudo": false: gf-stress runs what needs no root, output prefixed' '
	gf-stress --host gfh1 --plan-file one.yaml -i up2.json >st2.json 2>st2.err &&
	cat st2.err >&2 &&
	jq -e ".steps[-1].ok and (.windows | map(.name)) == [\"spin\"]" st2.json &&
	grep -q "^\[gfh1\] stress-ng: info: .*dispatching hogs: 1 cpu" st2.err &&
	! grep -q "^::group::" st2.err
'

test_expect_success 'under Actions: one group per command, only with output' '
	GITHUB_ACTIONS=true gf-stress --host gfh1 --plan-file one.yaml -i up2.json \
	    >st3.json 2>st3.err &&
	cat st3.err >&2 &&
	sed -n "/^::group::host gfh1: stress-ng --cpu 1 --timeout 1\$/,/^::endgroup::\$/p" st3.err >group &&
	grep -q "^\[gfh1\] stress-ng: info: .*successful run completed" group &&
	test "$(grep -c "^::group::" st3.err)" = 1 &&
	test "$(grep -c "^::endgroup::" st3.err)" = 1 &&
	test -z "$(grep "^\[gfh1\]" st3.err | grep -vxF -f group)"
'

# stress-ng names a temp path it cannot use; the key's passphrase (a
# secret gf masks) is in that path.
cat >secret.yaml <<EOF
name: secret
phases:
  - name: spin
    duration: 1s
    stress: [--cpu, 1, --temp-path, /nope-pass-hunter22]
EOF
test_expect_success 'a secret in a remote line is masked, the line prefixed and grouped' '
	GF_SSH_KEY_PASSPHRASE=pass-hunter22 GITHUB_ACTIONS=true \
	    gf-stress --host gfh1 --plan-file secret.yaml -i up2.json >sec.json 2>sec.err; rc=$?
	cat sec.err >&2
	test $rc = 65 &&
	grep -q "^\[gfh1\] aborting: temp-path ./nope-\*\*\*. must be readable" sec.err &&
	grep -q "^::group::host gfh1: stress-ng --cpu 1 --temp-path /nope-\*\*\* " sec.err &&
	test "$(grep -c "pass-hunter22" sec.err)" = 1 &&
	grep -qx "::add-mask::pass-hunter22" sec.err
'

# gfh2 is killed mid-run; gfh3 is cut off and healed.
inventory gfh2 >i2.yml && provision i2.yml p2.json && keepalive p2.json >doc2.json &&
inventory gfh3 >i3.yml && provision i3.yml p3.json && keepalive p3.json >doc3.json ||
    { cat p2.json.err p3.json.err 2>/dev/null; echo "Bail out! gf-provision up failed"; exit 1; }

# The hosts share the runner's PIDs: a process is on gfhK when it is in
# gfhK's network namespace.
netns_of() { readlink "/proc/$1/ns/net" 2>/dev/null; }
host_ns() { netns_of "$(cut -d' ' -f1 "$H/$1/holder.pid")"; }
stress_on() {	# HOST PATTERN
	_ns=$(host_ns "$1")
	for _p in $(pgrep stress-ng); do
		[ "$(netns_of "$_p")" = "$_ns" ] &&
		    tr '\0' ' ' <"/proc/$_p/cmdline" 2>/dev/null | grep -q -- "${2:-stress-ng}" &&
		    echo "$_p"
	done
}
end_stress_on() { for p in $(stress_on "$1"); do kill "$p" 2>/dev/null; done; }

test_expect_success 'a host killed mid-run: 69 naming it, the windows so far written' '
	gf-stress --host gfh2 --plan-file long.yaml -i doc2.json >kill.json 2>kill.err &
	pid=$!; test_track_pid $pid
	wait_until 20 "the long phase on gfh2" "test -n \"\$(stress_on gfh2 cpu-load)\"" &&
	hosts_kill gfh2 && start=$(date +%s) &&
	wait $pid; rc=$?
	cat kill.err >&2
	test $rc = 69 && test $(( $(date +%s) - start )) -lt 20 &&
	grep -Eq "host .gfh2.: (connection lost|cannot connect)" kill.err &&
	jq -e ".steps[-1].exit == 69 and (.steps[-1].error.message | test(\"gfh2\"))
	    and (.windows | map(.name)) == [\"short\"]" kill.json
'

test_expect_success 'a host cut off mid-run: 69, the windows so far written' '
	gf-stress --host gfh3 --plan-file long.yaml -i doc3.json >cut.json 2>cut.err &
	pid=$!; test_track_pid $pid
	wait_until 20 "the long phase on gfh3" "test -n \"\$(stress_on gfh3 cpu-load)\"" &&
	hosts_cut gfh3 &&
	wait $pid; rc=$?
	hosts_heal gfh3
	cat cut.err >&2
	test $rc = 69 && grep -q "host .gfh3.: connection lost" cut.err &&
	jq -e ".steps[-1].exit == 69 and (.windows | map(.name)) == [\"short\"]" cut.json
'
# What the cut-off run left on gfh3 (not stopped: the host was away).
end_stress_on gfh3

test_expect_success 'the failed document is passed on unchanged: 69 again, nothing run' '
	gf-stress --host gfh3 --plan-file one.yaml -i cut.json >again.json 2>again.err; rc=$?
	test $rc = 69 && cmp cut.json again.json &&
	grep -q "an earlier step failed (exit 69): passing the document on" again.err
'

test_expect_success 'the retry, from the document the failed run was given, records windows' '
	gf-stress --host gfh3 --plan-file one.yaml -i doc3.json >retry.json 2>retry.err &&
	jq -e ".steps[-1].ok and (.windows | map(.name)) == [\"spin\"]" retry.json
'

# A stack's process on gfh1 and on gfh3, as gf-kepler-install leaves it:
# STATE/prometheus/prometheus.pid, the group leader, its arguments
# naming STATE/prometheus/.
fake_stack() {	# HOST
	hosts_exec "$1" sh -c 'mkdir -p /tmp/gfs/prometheus || exit 1
	    setsid sh -c "sleep 600; : /tmp/gfs/prometheus/" </dev/null >/dev/null 2>&1 &
	    echo $! >/tmp/gfs/prometheus/prometheus.pid'
}
stack_pid() { hosts_exec "$1" cat /tmp/gfs/prometheus/prometheus.pid 2>/dev/null; }
# gfh1 gets its sudo back: the stack's processes are root's.
hosts_exec gfh1 sh -c "echo '$HOSTS_USER ALL=(ALL:ALL) NOPASSWD: ALL' >/etc/sudoers.d/gfhosts" &&
fake_stack gfh1 && fake_stack gfh3 &&
    jq -s '{hosts: [(.[0].hosts[0] | del(.sudo)), .[1].hosts[0]],
	cleanup: [{kind: "stack", tool: "gf-kepler-install", state_dir: "/tmp/gfs", host: "gfh1"},
		  {kind: "stack", tool: "gf-kepler-install", state_dir: "/tmp/gfs", host: "gfh3"}]}' \
	up2.json doc3.json >down-in.json ||
    { echo "Bail out! cannot set up the stacks to give back"; exit 1; }
PID1=$(stack_pid gfh1) PID3=$(stack_pid gfh3)

test_expect_success 'down with a host cut off: 69 naming it, the other host released' '
	test -n "$PID1" && test -n "$PID3" && kill -0 "$PID1" && kill -0 "$PID3" &&
	hosts_cut gfh3 && start=$(date +%s) &&
	{ gf-provision down -i down-in.json >down1.json 2>down1.err; rc=$?; } &&
	hosts_heal gfh3 &&
	cat down1.err >&2 &&
	test $rc = 69 && test $(( $(date +%s) - start )) -lt 30 &&
	grep -q "gfh3" down1.err &&
	wait_until 10 "the stack on gfh1 to end" "! kill -0 $PID1 2>/dev/null" &&
	kill -0 "$PID3" &&
	jq -e "(.cleanup[0].released | length > 0) and .cleanup[1].released == null
	    and .steps[-1].exit == 69 and (.steps[-1].error.message | test(\"gfh3\"))
	    and (.provision.down | length) == 2
	    and (.provision.down[] | select(.error != null) | .error | test(\"host .gfh3.\"))" down1.json
'

test_expect_success 'down again once the host is back: the rest released, the first failure kept' '
	gf-provision down -i down1.json >down2.json 2>down2.err; rc=$?
	cat down2.err >&2
	test $rc = 69 &&
	wait_until 10 "the stack on gfh3 to end" "! kill -0 $PID3 2>/dev/null" &&
	jq -e "(.cleanup[1].released | length > 0) and .steps[-1].ok" down2.json
'

test_done
