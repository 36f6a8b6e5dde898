#!/bin/sh
# gf-provision: the local provider (up/status/down/sweep), the equinix
# refusal, the state file, and every exit code of gf-provision(1).
. "$GF_SRC/tests/lib.sh"
need jq jq

test_expect_success 'up --provider local: one host with the machine facts' '
	gf-provision up --provider local </dev/null >up.json &&
	jq -e ".hosts | length == 1" up.json &&
	jq -e ".hosts[0] | (.name | length > 0) and .address == \"127.0.0.1\"
	    and .connection == \"local\" and .provider == \"local\"
	    and (.arch | length > 0) and .cores >= 1 and .memory_bytes > 0
	    and (.os | length > 0) and (.rapl | has(\"present\"))" up.json &&
	jq -e ".provision.provider == \"local\" and (.run.id | length > 0)
	    and .steps[-1].tool == \"gf-provision\" and .steps[-1].ok" up.json
'

test_expect_success 'up writes the state file (the same document)' '
	cmp up.json "$GF_STATE"
'

test_expect_success 'up keeps the run of an incoming document' '
	echo "{\"run\": {\"id\": \"r-1\", \"name\": \"x\"}, \"extra\": 1}" |
	    gf-provision up >up2.json &&
	jq -e ".run.id == \"r-1\" and .extra == 1 and (.hosts | length) == 1" up2.json
'

test_expect_code 78 'up --provider equinix is refused (78)' '
	gf-provision up --provider equinix </dev/null >out 2>err
'
test_expect_success 'the refusal names the shutdown and the alternatives' '
	gf-provision up --provider equinix </dev/null >out 2>err;
	grep -q "Equinix Metal was shut down on 2026-06-30; use aws, g5k, openstack or ssh" err &&
	jq -e ".steps[-1].exit == 78 and (.hosts == null)" out
'
test_expect_code 78 'a provider not in this build yet (g5k) gives 78' '
	gf-provision up --provider g5k </dev/null
'
test_expect_code 64 'an unknown provider is a usage error' '
	gf-provision up --provider nowhere </dev/null
'
test_expect_code 78 'GF_PROVIDER=equinix is refused too' '
	GF_PROVIDER=equinix gf-provision up </dev/null >/dev/null
'

test_expect_success 'down on the document exits 0, twice' '
	gf-provision down <up.json >down1.json &&
	gf-provision down <up.json >down2.json &&
	jq -e ".provision.down | type == \"array\"" down1.json
'

test_expect_success 'down with no document reads the state file' '
	gf-provision up --provider local </dev/null >/dev/null &&
	id=$(jq -r .run.id "$GF_STATE") &&
	gf-provision down </dev/null >d.json 2>err &&
	jq -e --arg id "$id" ".run.id == \$id" d.json &&
	grep -q "$GF_STATE" err
'

test_expect_success 'down with nothing to give back exits 0' '
	GF_STATE=$TEST_DIR/none.json gf-provision down </dev/null >d.json &&
	jq -e ".steps[-1].ok" d.json
'

test_expect_success 'status prints what the state file holds' '
	gf-provision up --provider local </dev/null >s.json &&
	gf-provision status </dev/null >st.json 2>err &&
	cmp s.json st.json && grep -q "^host " err &&
	grep -q "^provider local: host .* (this machine)$" err
'
test_expect_code 66 'status without a state file gives 66' '
	GF_STATE=$TEST_DIR/missing.json gf-provision status </dev/null
'

test_expect_success 'sweep (local) finds nothing to sweep' '
	gf-provision sweep --provider local </dev/null >sw.json &&
	jq -e ".provision.sweep == []" sw.json
'

test_expect_success 'RAPL check on a fixture powercap tree: present and readable' '
	make_powercap "$TEST_DIR/sys" &&
	gf-provision up --sysfs "$TEST_DIR/sys" </dev/null >r.json &&
	jq -e ".hosts[0].rapl | .present and .readable and
	    ([.domains[].name] == [\"package-0\", \"core\", \"dram\"])" r.json
'
test_expect_success 'RAPL check: a zone whose energy_uj cannot be read' '
	make_powercap "$TEST_DIR/sys2" &&
	rm "$TEST_DIR/sys2/class/powercap/intel-rapl:0/energy_uj" &&
	mkdir "$TEST_DIR/sys2/class/powercap/intel-rapl:0/energy_uj" &&
	gf-provision up --sysfs "$TEST_DIR/sys2" </dev/null >r2.json &&
	jq -e ".hosts[0].rapl | .present and (.readable | not) and
	    (.domains[0].readable | not) and (.domains[0].error | length > 0)" r2.json
'
test_expect_success 'RAPL check: no powercap tree at all' '
	mkdir -p "$TEST_DIR/sys3" &&
	gf-provision up --sysfs "$TEST_DIR/sys3" </dev/null >r3.json &&
	jq -e ".hosts[0].rapl | (.present | not) and (.readable | not)" r3.json
'

test_expect_code 65 'bad JSON on stdin gives 65' '
	printf "{\"run\": \n oops" | gf-provision up >out 2>err
'
test_expect_success 'the message names <stdin>:line:col; a new document carries it' '
	printf "{\"run\": \n oops" | gf-provision up >out 2>err;
	grep -q "<stdin>:2:" err && jq -e ".steps[-1].exit == 65 and (.hosts == null)" out
'
test_expect_code 65 'down with a bad state file gives 65' '
	echo "[1," >bad.json && GF_STATE=$TEST_DIR/bad.json gf-provision down </dev/null
'
test_expect_code 66 'a missing -i file gives 66' '
	gf-provision down -i "$TEST_DIR/nope.json"
'
test_expect_code 64 'no command is a usage error' 'gf-provision </dev/null'
test_expect_code 64 'an unknown command is a usage error' 'gf-provision fly </dev/null'
test_expect_code 64 'an unknown option is a usage error' 'gf-provision --bogus up </dev/null'
test_expect_success '--help prints the usage on stdout' '
	gf-provision --help >h && grep -q "^usage: gf-provision" h
'
test_expect_success '--version' 'gf-provision -V | grep -q "^gf-provision (gf) "'
test_expect_code 74 'a full stdout gives 74' '
	gf-provision up </dev/null >/dev/full
'
test_expect_success 'config file: provider from YAML' '
	printf "provider: local\n" >p.yml &&
	gf-provision -c p.yml up </dev/null | jq -e ".provision.provider == \"local\""
'
test_expect_code 65 'a YAML config with a syntax error gives 65' '
	printf "provider: [local\n" >bad.yml && gf-provision -c bad.yml up </dev/null
'
test_expect_code 69 'a failed document is passed on with its status' '
	echo "{\"steps\": [{\"tool\": \"x\", \"ok\": false, \"exit\": 69}]}" |
	    gf-provision up >pass.json
'
test_expect_success 'and down runs anyway on it' '
	echo "{\"steps\": [{\"tool\": \"x\", \"ok\": false, \"exit\": 69}]}" |
	    gf-provision down >d.json; test $? -eq 69 &&
	jq -e ".steps[-1].tool == \"gf-provision\" and .steps[-1].ok" d.json
'

# A stack process down may not signal (another user's): 71, and the
# pid file stays for a second try.
if nobody_tools gf-provision; then
	nobody_dir foreign
	start_foreign_stack "$TEST_DIR/foreign/st"
	test_expect_code 71 'down on a stack it may not signal gives 71' '
		echo "{\"cleanup\": [{\"kind\": \"stack\", \"state_dir\": \"$TEST_DIR/foreign/st\"}]}" |
		    as_nobody "$NOBODY_BIN/gf-provision" down >f.json 2>err; rc=$?
		grep -q "cannot stop process $FOREIGN_PID: Operation not permitted" err &&
		jq -e ".steps[-1].exit == 71" f.json >/dev/null &&
		test -s "$TEST_DIR/foreign/st/prometheus/prometheus.pid" &&
		kill -0 $FOREIGN_PID || rc=99
		exit $rc
	'
	stop_pid $FOREIGN_PID
else
	test_skip 'down on a stack it may not signal gives 71' "$NOBODY_SKIP"
fi
test_done
