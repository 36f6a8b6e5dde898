#!/bin/sh
# The test hosts of tests/hosts.sh: three up in seconds, each a machine of
# its own (name, files, sshd with its host key, a user with a key and
# sudo), cut off, healed and killed one by one, and nothing of them left
# afterwards; harnesses started at once never meet, and one whose owner
# died is swept. Traffic only to 198.18.0.0/15.
. "$GF_SRC/tests/lib.sh"
. "$GF_SRC/tests/hosts.sh"

hosts_can_run || skip_all "$HOSTS_SKIP"

H=$TEST_DIR/hosts
hosts_up 3 "$H" || { echo "Bail out! $HOSTS_ERR"; exit 1; }
diag "3 hosts up in $HOSTS_UP_MS ms (harness $HOSTS_ID on $HOSTS_NET.0/24)"
id=$HOSTS_ID
HOSTS_SH=$GF_SRC/tests/hosts.sh

test_expect_success 'each host takes ssh as gf with the harness key, its host key checked' '
	grep -q "^	StrictHostKeyChecking yes" "$H/ssh_config" &&
	for h in gfh1 gfh2 gfh3; do
		test "$(hosts_ssh $h "id -un")" = gf || exit 1
	done'

test_expect_code 255 'a host key not in the known_hosts file is refused' '
	sed -n "s/^gfh2,[^ ]* /gfh1,$(hosts_addr gfh1) /p" "$H/known_hosts" >wrong &&
	test -s wrong &&
	hosts_ssh -o UserKnownHostsFile="$TEST_DIR/wrong" gfh1 true 2>err
	rc=$?; cat err >&2; grep -q "Host key verification failed" err || rc=99; exit $rc'

test_expect_success 'hostnames differ: gfh1, gfh2, gfh3, none the runner'"'"'s' '
	for h in gfh1 gfh2 gfh3; do
		test "$(hosts_ssh $h hostname)" = $h || exit 1
	done &&
	test "$(hostname)" != gfh1'

test_expect_success 'sudo -n true works on every host' '
	for h in gfh1 gfh2 gfh3; do hosts_ssh $h sudo -n true || exit 1; done'

test_expect_success 'what gfh1 writes under /etc, /var, /opt, /home is seen by it alone' '
	for d in /etc /var /opt /home; do
		hosts_ssh gfh1 "echo $id | sudo -n tee $d/gfhosts-probe-$id >/dev/null" &&
		test "$(hosts_ssh gfh1 cat $d/gfhosts-probe-$id)" = "$id" &&
		hosts_ssh gfh2 "test ! -e $d/gfhosts-probe-$id" &&
		test ! -e "$d/gfhosts-probe-$id" || exit 1
	done &&
	test "$(cat "/proc/$(cut -d" " -f1 "$H/gfh1/holder.pid")/root/etc/gfhosts-probe-$id")" = "$id"'

test_expect_success 'the hosts reach each other by name, on their own /24 only' '
	hosts_ssh gfh1 "ssh-keyscan -T 5 gfh2 2>/dev/null" | grep -q "^gfh2 ssh-ed25519" &&
	test "$(hosts_exec gfh1 ip -4 -o route | wc -l)" = 1 &&
	hosts_exec gfh1 ip -4 -o route | grep -q "^$HOSTS_NET.0/24 dev eth0" &&
	test -z "$(hosts_exec gfh1 ip -6 -o addr)"'

test_expect_success 'cut off, gfh2 fails a 2 s connect; gfh1 still answers' '
	hosts_cut gfh2 &&
	start=$(date +%s) &&
	! hosts_ssh -o ConnectTimeout=2 gfh2 true &&
	test $(( $(date +%s) - start )) -le 10 &&
	hosts_ssh gfh1 true'

test_expect_success 'healed, gfh2 answers again' '
	hosts_heal gfh2 &&
	wait_until 10 "gfh2 to answer" "hosts_ssh -o ConnectTimeout=2 gfh2 true"'

test_expect_success 'killed, gfh3 has no process left and refuses ssh' '
	hosts_recorded_alive "$H/gfh3/sshd.pid" &&
	hosts_kill gfh3 &&
	! hosts_recorded_alive "$H/gfh3/sshd.pid" &&
	! hosts_recorded_alive "$H/gfh3/holder.pid" &&
	test -z "$(ip netns pids gfhosts-$id-gfh3)" &&
	! hosts_ssh -o ConnectTimeout=2 gfh3 true &&
	hosts_ssh gfh1 true'

# Two more harnesses started at the same moment, by hand: one owned by
# this shell, one by a process that then dies.
sleep 300 &
dying_owner=$!
test_track_pid $dying_owner
HOSTS_OWNER=$dying_owner sh "$HOSTS_SH" up 2 "$TEST_DIR/h2" >"$TEST_DIR/h2.out" 2>&1 &
p2=$!
HOSTS_OWNER=$$ sh "$HOSTS_SH" up 2 "$TEST_DIR/h3" >"$TEST_DIR/h3.out" 2>&1 &
p3=$!
wait $p2; rc2=$?
wait $p3; rc3=$?
diag "$(cat "$TEST_DIR/h2.out" "$TEST_DIR/h3.out")"

test_expect_success 'harnesses started at once have their own ids, nets, bridges and hosts' '
	test $rc2 = 0 && test $rc3 = 0 &&
	id2=$(sed -n "s/^HOSTS_ID=//p" h2/hosts.env) &&
	id3=$(sed -n "s/^HOSTS_ID=//p" h3/hosts.env) &&
	test $(printf "%s\n" $id $id2 $id3 | sort -u | wc -l) = 3 &&
	test $(cat hosts/hosts.env h2/hosts.env h3/hosts.env | grep "^HOSTS_NET=" | sort -u | wc -l) = 3 &&
	ip link show gfbr-$id2 >/dev/null && ip link show gfbr-$id3 >/dev/null &&
	test "$(ssh -F h2/ssh_config gfh1 hostname)" = gfh1 &&
	test "$(ssh -F h3/ssh_config gfh2 hostname)" = gfh2 &&
	hosts_ssh gfh1 true'

id2=$(sed -n 's/^HOSTS_ID=//p' "$TEST_DIR/h2/hosts.env" 2>/dev/null)
id3=$(sed -n 's/^HOSTS_ID=//p' "$TEST_DIR/h3/hosts.env" 2>/dev/null)

# Nothing named after harness ID is left: namespace, link, mount (the
# namespaces' /run/netns entries), process, directory or claim.
none_left() {	# ID DIR
	! ip netns list | grep -q "$1" && ! ip -o link show | grep -q "$1" &&
	    ! grep -q "$1" /proc/mounts && ! pgrep -f "gfhosts-$1|_host $1 " &&
	    test ! -e "$2" && test ! -e "/run/gf-hosts/$1" &&
	    ! ls -l /run/gf-hosts/ | grep -q -- "-> $1\$"
}

test_expect_success 'the harnesses are visible by their id before they go' '
	test -n "$id2" && test -n "$id3" &&
	for i in $id $id2 $id3; do
		ip netns list | grep -q "gfhosts-$i-" && ip -o link show | grep -q "gfbr-$i" &&
		grep -q "gfhosts-$i-" /proc/mounts && test $(pgrep -f "gfhosts-$i|_host $i " | wc -l) -ge 2 &&
		test -d /run/gf-hosts/$i && ls -l /run/gf-hosts/ | grep -q -- "-> $i\$" ||
		exit 1
	done'

test_expect_success 'down by hand leaves nothing of its harness' '
	sh "$HOSTS_SH" down "$TEST_DIR/h3" && none_left $id3 "$TEST_DIR/h3"'

test_expect_success 'a harness whose owner died goes with the next sweep' '
	stop_pid $dying_owner &&
	ssh -F h2/ssh_config gfh2 true &&
	sh "$HOSTS_SH" sweep && none_left $id2 "$TEST_DIR/h2" &&
	hosts_ssh gfh1 true'

test_expect_success 'down leaves no namespace, link, bridge, mount or process' '
	hosts_down && none_left $id "$H"'

test_done
