#!/bin/sh
# gf-provision --provider ssh against the test hosts of tests/hosts.sh: an
# Ansible inventory in, hosts[] with their facts and roles out; host keys
# always checked (known_hosts, or trusted once and pinned); an unreachable
# host records nothing; inventory errors at file:line:col; the inventory
# written back; hostile names inert; 20 hosts at bounded parallelism.
. "$GF_SRC/tests/lib.sh"
. "$GF_SRC/tests/hosts.sh"
need jq jq
cd "$TEST_DIR" || exit 1

# Inventory errors need no hosts.
cat >bad.yaml <<'EOF'
all:
  hosts:
    a:
      ansible_host: 198.18.0.9
      ansible_port: seventy
EOF
test_expect_code 65 'an inventory with a bad port gives 65' '
	gf-provision up --provider ssh --inventory bad.yaml </dev/null >out 2>err
'
test_expect_success 'the error names file:line:col and the field' '
	grep -q "bad.yaml:5:21: all.hosts.a.ansible_port: must be a port" err &&
	jq -e ".steps[-1].exit == 65 and (.hosts == null)" out
'
cat >badkey.yaml <<'EOF'
all:
  children:
    worker:
      hots:
        a:
EOF
test_expect_code 65 'an unknown key in a group gives 65 at the key' '
	gf-provision up --provider ssh --inventory badkey.yaml </dev/null >out 2>err;
	rc=$?; grep -q "badkey.yaml:4:7: all.children.worker.hots: unknown key" err || rc=99; exit $rc
'
test_expect_code 65 'a list item that is not a host gives 65' '
	printf -- "- gf@198.18.0.9:22\n- [1, 2]\n" >badlist.yaml &&
	gf-provision up --provider ssh --inventory badlist.yaml </dev/null >out 2>err;
	rc=$?; grep -q "badlist.yaml:2:3: \[1\]: a host is" err || rc=99; exit $rc
'
test_expect_code 65 'a host named twice in a list gives 65' '
	printf -- "- gf@198.18.0.9\n- {name: 198.18.0.9}\n" >twice.yaml &&
	gf-provision up --provider ssh --inventory twice.yaml </dev/null >out 2>err;
	rc=$?; grep -q "twice.yaml:2:3: \[1\]: host .198.18.0.9. is named twice" err || rc=99; exit $rc
'
test_expect_code 65 'a pin that is not SHA256:... gives 65 at its group variable' '
	printf "worker:\n  vars:\n    host_key_sha256: md5:00\n  hosts:\n    a:\n" >pin.yaml &&
	gf-provision up --provider ssh --inventory pin.yaml </dev/null >out 2>err;
	rc=$?; grep -q "pin.yaml:3:22: worker.vars.host_key_sha256: must be" err || rc=99; exit $rc
'
test_expect_code 78 'without a known_hosts file and no trust on first use: 78 before connecting' '
	printf "all:\n  hosts:\n    a:\n      ansible_host: 198.18.0.9\n" >one.yaml &&
	HOME=$TEST_DIR/nohome gf-provision up --provider ssh --inventory one.yaml </dev/null >out 2>err;
	rc=$?; grep -q "no known_hosts file" err || rc=99; exit $rc
'
test_expect_code 64 'ssh without an inventory is a usage error' '
	gf-provision up --provider ssh </dev/null >out 2>err
'
test_expect_code 66 'a missing inventory gives 66' '
	gf-provision up --provider ssh --inventory nowhere.yaml </dev/null >out 2>err
'

hosts_can_run || { test_skip 'provisioning real hosts' "$HOSTS_SKIP"; test_done; }
H=$TEST_DIR/hosts
hosts_up 3 "$H" || { echo "Bail out! $HOSTS_ERR"; exit 1; }
diag "3 hosts up in $HOSTS_UP_MS ms (harness $HOSTS_ID)"
A1=$(hosts_addr gfh1) A2=$(hosts_addr gfh2) A3=$(hosts_addr gfh3)
KEY=$H/id_ed25519
KH=$H/known_hosts

# inventory NAME=ADDR... : an Ansible inventory, the first host control,
# the others workers; INV_EXTRA is put under all.vars.
inventory() {
	printf 'all:\n  vars:\n    ansible_user: gf\n    ansible_ssh_private_key_file: %s\n    ansible_ssh_timeout: 3\n%s  hosts:\n' "$KEY" "${INV_EXTRA:-}"
	for nv; do printf '    %s:\n      ansible_host: %s\n' "${nv%%=*}" "${nv#*=}"; done
	printf '  children:\n    control:\n      hosts:\n        %s:\n    worker:\n      hosts:\n' "${1%%=*}"
	shift
	for nv; do printf '        %s:\n' "${nv%%=*}"; done
}
inventory gfh1="$A1" gfh2="$A2" >inv.yaml

test_expect_success 'up: both hosts with their facts, roles and the way to reach them' '
	gf-provision up --provider ssh --inventory inv.yaml --known-hosts "$KH" </dev/null >up.json &&
	jq -e ".hosts | length == 2" up.json &&
	jq -e --arg a "$A1" --arg k "$KEY" --arg kh "$KH" ".hosts[0] |
	    .name == \"gfh1\" and .address == \$a and .connection == \"ssh\"
	    and .provider == \"ssh\" and .user == \"gf\" and .key == \$k
	    and .known_hosts == \$kh and .roles == [\"control\"]
	    and .cores >= 1 and .memory_bytes > 0 and (.arch | length > 0)
	    and (.kernel | length > 0) and (.rapl | has(\"present\"))
	    and (.clock_offset | type == \"number\" and fabs < 5)" up.json &&
	jq -e ".hosts[1].name == \"gfh2\" and .hosts[1].roles == [\"worker\"]" up.json &&
	jq -e ".provision.provider == \"ssh\" and .provision.hosts == 2
	    and (.cleanup | length) == 0 and .steps[-1].ok" up.json
'

test_expect_success 'the recorded hosts are usable by the host layer (status: reachable)' '
	gf-provision status <up.json >st.json 2>err &&
	grep -q "provider ssh: host gfh1 reachable" err &&
	grep -q "provider ssh: host gfh2 reachable" err &&
	cmp up.json st.json
'

test_expect_success 'down gives nothing back for the hosts and exits 0' '
	gf-provision down <up.json >down.json &&
	hosts_ssh gfh1 true
'

test_expect_success '--inventory-out writes an Ansible inventory that reads back the same' '
	gf-provision up --provider ssh --inventory inv.yaml --known-hosts "$KH" \
	    --inventory-out out.yaml </dev/null >up2.json &&
	grep -q "^  children:" out.yaml && grep -q "ansible_host" out.yaml &&
	gf-provision up --provider ssh --inventory out.yaml --known-hosts "$KH" \
	    --inventory-out out2.yaml </dev/null >up3.json &&
	cmp out.yaml out2.yaml &&
	jq -S "[.hosts[] | {name, address, user, port, key, roles}]" up2.json >a &&
	jq -S "[.hosts[] | {name, address, user, port, key, roles}]" up3.json >b &&
	cmp a b
'

test_expect_success 'a plain list of hosts works too, a string through ssh-agent' '
	eval "$(ssh-agent -s)" >/dev/null && test_track_pid "$SSH_AGENT_PID" &&
	ssh-add -q "$KEY" 2>/dev/null &&
	printf -- "- gf@%s:22\n- {name: second, address: %s, user: gf, key: %s, roles: [worker]}\n" \
	    "$A1" "$A2" "$KEY" >list.yaml &&
	GF_INVENTORY=list.yaml gf-provision up --provider ssh --known-hosts "$KH" </dev/null >l.json;
	rc=$?; kill "$SSH_AGENT_PID"; test $rc = 0 &&
	jq -e --arg a "$A1" ".hosts[0].name == \$a and .hosts[0].user == \"gf\" and .hosts[0].port == 22
	    and .hosts[0].roles == [] and .hosts[1].roles == [\"worker\"] and .hosts[1].name == \"second\"" l.json
'

test_expect_code 78 'a known_hosts with the wrong key is refused (78), nothing recorded' '
	{ sed -n "/^gfh1,/p" "$KH"; sed -n "s/^gfh1,[^ ]* /gfh2,$A2 /p" "$KH"; } >wrong_kh &&
	test $(wc -l <wrong_kh) = 2 &&
	gf-provision up --provider ssh --inventory inv.yaml --known-hosts wrong_kh </dev/null >w.json 2>err;
	rc=$?; cat err >&2
	grep -q "gfh2" err && grep -q -i "key" err && jq -e ".hosts == null" w.json || rc=99
	exit $rc
'

test_expect_code 78 'a host not in known_hosts and no trust on first use: refused' '
	: >empty_kh &&
	gf-provision up --provider ssh --inventory inv.yaml --known-hosts empty_kh </dev/null >e.json 2>err
'

test_expect_success '--trust-on-first-use records the key, and the pin then works alone' '
	gf-provision up --provider ssh --inventory inv.yaml --known-hosts empty_kh \
	    --trust-on-first-use </dev/null >t.json &&
	fp=$(ssh-keygen -lf "$KH" -F "$A1" | sed -n "s/.* \(SHA256:[^ ]*\).*/\1/p" | head -1) &&
	jq -e --arg fp "$fp" ".hosts[0].host_key_sha256 == \$fp and
	    (.hosts[0] | has(\"host_key_tofu\") | not)" t.json &&
	gf-provision status <t.json >/dev/null 2>err &&
	grep -q "host gfh1 reachable" err
'

test_expect_code 69 'a host cut off: 69 naming it, no hosts written' '
	hosts_cut gfh2 &&
	gf-provision up --provider ssh --inventory inv.yaml --known-hosts "$KH" </dev/null >c.json 2>err;
	rc=$?; cat err >&2
	grep -q "host .gfh2. ($A2 port 22)" err && ! grep -q "gfh1.*port" err &&
	jq -e ".hosts == null and .steps[-1].exit == 69" c.json || rc=99
	exit $rc
'

test_expect_success 'status says which host cannot be reached' '
	gf-provision status <up.json >/dev/null 2>err;
	grep -q "host gfh2 unreachable" err && grep -q "host gfh1 reachable" err
'
hosts_heal gfh2

# Names and variables a shell would run, in the inventory and so in the
# document and the inventory written back.
cat >hostile.yaml <<'EOF'
all:
  vars:
    ansible_user: gf
    ansible_ssh_private_key_file: KEY
  hosts:
    "x$(touch /tmp/gf-pwned-1);\"y'` touch /tmp/gf-pwned-2 `":
      ansible_host: A1
      label: "$(touch /tmp/gf-pwned-3); rm -rf /nonexistent"
    "gfh3;touch /tmp/gf-pwned-4 #":
      ansible_host: "A3"
EOF
sed -i "s|KEY|$KEY|; s|A1|$A1|; s|A3|$A3|" hostile.yaml
rm -f /tmp/gf-pwned-[1-4]
pwned() {
	ls /tmp/gf-pwned-* 2>/dev/null && return 0
	for h in gfh1 gfh3; do
		hosts_exec $h sh -c "ls /tmp/gf-pwned-* 2>/dev/null" && return 0
	done
	return 1
}

test_expect_success 'hostile names and labels inject nothing, and are kept as they are' '
	gf-provision up --provider ssh --inventory hostile.yaml --known-hosts "$KH" \
	    --inventory-out hostile-out.yaml </dev/null >h.json &&
	! pwned &&
	printf "%s\n" "x\$(touch /tmp/gf-pwned-1);\"y'"'"'\` touch /tmp/gf-pwned-2 \`" \
	    "gfh3;touch /tmp/gf-pwned-4 #" >want &&
	jq -r ".hosts[].name" h.json >got && cmp want got &&
	gf-provision up --provider ssh --inventory hostile-out.yaml --known-hosts "$KH" </dev/null >h2.json &&
	jq -r ".hosts[].name" h2.json >got2 && cmp want got2 && ! pwned
'

test_expect_success '20 hosts, 8 at a time, all recorded' '
	set -- &&
	for i in $(seq 1 20); do
		case $((i % 3)) in 0) a=$A1 ;; 1) a=$A2 ;; 2) a=$A3 ;; esac
		set -- "$@" "node$i=$a"
	done &&
	inventory "$@" >inv20.yaml &&
	start=$(date +%s) &&
	gf-provision up --provider ssh --inventory inv20.yaml --known-hosts "$KH" </dev/null >u20.json &&
	diag "20 hosts in $(( $(date +%s) - start )) s" &&
	jq -e ".hosts | length == 20 and all(.cores >= 1)" u20.json &&
	jq -e "[.hosts[].name] == [range(1;21) | \"node\\(.)\"]" u20.json
'

test_done
