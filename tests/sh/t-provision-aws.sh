#!/bin/sh
# gf-provision --provider aws against moto's EC2 server (a real
# implementation of the EC2 Query API, installed from PyPI by
# scripts/peers.sh) on a loopback port: up tags, records and waits; down
# terminates from the document or the state file alone, after a SIGKILL
# too, and twice; refused or missing credentials are 77; sweep finds only
# gf's expired instances; throttling is retried (a proxy answering 503
# RequestLimitExceeded and 429 first); a sentinel secret never reaches
# any output.
# Everything is checked through the EC2 API itself (boto3, which comes
# with moto), not through gf.
. "$GF_SRC/tests/lib.sh"
need jq jq
need perl perl
cd "$TEST_DIR" || exit 1

PY=$(sh "$GF_SRC/scripts/peers.sh" moto 2>peers.err)
case $? in
0) ;;
69) skip_all "moto cannot be installed: $(tail -n 1 peers.err)" ;;
*) echo "Bail out! scripts/peers.sh moto: $(tail -n 1 peers.err)"; exit 1 ;;
esac

# start_moto VAR [NAME=value...]: a moto server on a free port, its port
# in $VAR. Run in this shell (not in $(...)) so its pid is tracked.
start_moto() {
	_var=$1
	shift
	_port=$(free_port)
	env "$@" "$PY" -m moto.server -H 127.0.0.1 -p "$_port" \
	    >"moto-$_port.log" 2>&1 &
	test_track_pid $!
	wait_until 60 "moto on port $_port" "port_open $_port" || return 1
	eval "$_var=\$_port"
}
start_moto PORT || { echo "Bail out! moto did not start"; exit 1; }
start_moto AUTH_PORT INITIAL_NO_AUTH_ACTION_COUNT=0 ||
	{ echo "Bail out! moto (auth) did not start"; exit 1; }

SECRET=gf-sentinel-$$-secret
TOKEN=gf-sentinel-$$-token
export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT" AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=AKIDGFTEST AWS_SECRET_ACCESS_KEY=$SECRET
export AWS_SESSION_TOKEN=$TOKEN
unset AWS_ENDPOINT_URL_EC2 AWS_DEFAULT_REGION AWS_PROFILE

# ec2 COMMAND ARGS: questions to the peer through its own API.
cat >ec2.py <<'PYEOF'
import os, sys, boto3
c = boto3.client("ec2", endpoint_url=os.environ["AWS_ENDPOINT_URL"],
                 region_name="us-east-1")
cmd, args = sys.argv[1], sys.argv[2:]
def each(filters):
    for r in c.describe_instances(Filters=filters)["Reservations"]:
        for i in r["Instances"]:
            yield i
if cmd == "ami":
    print(sorted(i["ImageId"] for i in c.describe_images()["Images"])[0])
elif cmd == "run-states":
    for i in each([{"Name": "tag:gf:run", "Values": [args[0]]}]):
        print(i["InstanceId"], i["State"]["Name"])
elif cmd == "state":
    for i in each([{"Name": "instance-id", "Values": [args[0]]}]):
        print(i["State"]["Name"])
elif cmd == "tag":
    for i in each([{"Name": "instance-id", "Values": [args[0]]}]):
        for t in i.get("Tags", []):
            if t["Key"] == args[1]:
                print(t["Value"])
elif cmd == "keys":
    for k in c.describe_key_pairs()["KeyPairs"]:
        tags = {t["Key"]: t["Value"] for t in k.get("Tags", [])}
        print(k["KeyName"], tags.get("gf:run", "-"))
elif cmd == "key-of":
    for i in each([{"Name": "instance-id", "Values": [args[0]]}]):
        print(i.get("KeyName", "-"))
elif cmd == "lifecycle":
    for i in each([{"Name": "instance-id", "Values": [args[0]]}]):
        print(i.get("InstanceLifecycle", "on-demand"))
elif cmd == "shutdown-behavior":
    print(c.describe_instance_attribute(InstanceId=args[0],
          Attribute="instanceInitiatedShutdownBehavior")
          ["InstanceInitiatedShutdownBehavior"]["Value"])
elif cmd == "start":
    tags = [{"Key": k, "Value": v} for k, v in
            (a.split("=", 1) for a in args[1:])]
    spec = [{"ResourceType": "instance", "Tags": tags}] if tags else []
    r = c.run_instances(ImageId=args[0], InstanceType="t3.micro",
                        MinCount=1, MaxCount=1, TagSpecifications=spec)
    print(r["Instances"][0]["InstanceId"])
PYEOF
ec2() { "$PY" ec2.py "$@"; }
AMI=$(ec2 ami) || { echo "Bail out! DescribeImages failed"; exit 1; }
diag "moto on port $PORT (auth enforced on $AUTH_PORT), AMI $AMI"

# The run's instances left in a state other than terminated/shutting-down.
alive() {	# RUN
	ec2 run-states "$1" | grep -v -e ' terminated$' -e ' shutting-down$'
}

export GF_STATE="$TEST_DIR/state-1.json"
test_expect_success 'up --no-ssh starts a running instance, its id in .hosts[0].provider_id' '
	gf-provision up --provider aws --image "$AMI" --instance-type t3.micro \
	    --no-ssh </dev/null >up.json 2>up.err &&
	jq -e ".hosts[0].provider_id | test(\"^i-[0-9a-f]+$\")" up.json &&
	jq -e ".hosts[0].provider == \"aws\" and .steps[-1].ok" up.json &&
	test "$(ec2 state "$(jq -r ".hosts[0].provider_id" up.json)")" = running
'
RUN=$(jq -r .run.id up.json)
ID=$(jq -r '.hosts[0].provider_id' up.json)
test_expect_success 'the instance carries the run id, a deadline and terminates on shutdown' '
	test "$(ec2 tag "$ID" gf:run)" = "$RUN" &&
	deadline=$(ec2 tag "$ID" gf:deadline) &&
	jq -en --arg d "$deadline" "(\$d | fromdateiso8601) - now | . > 5.9 * 3600 and . < 6.1 * 3600" &&
	test "$(ec2 shutdown-behavior "$ID")" = terminate
'
test_expect_success 'the cleanup entry names the instance, region and endpoint, in the state file too' '
	for f in up.json "$GF_STATE"; do
		jq -e --arg id "$ID" --arg run "$RUN" --arg ep "$AWS_ENDPOINT_URL/" \
		    ".cleanup | map(select(.provider == \"aws\")) | length == 1 and
		     .[0].kind == \"instance\" and .[0].instances == [\$id] and
		     .[0].run == \$run and .[0].region == \"us-east-1\" and
		     .[0].endpoint == \$ep" "$f" || return 1
	done
'
test_expect_success 'status asks EC2 (at the entry'"'"'s endpoint) and shows the instance running' '
	AWS_ENDPOINT_URL=http://127.0.0.1:9 gf-provision status -i up.json >status.json 2>status.err &&
	grep -q "provider aws: host $ID reachable" status.err && cmp -s up.json status.json
'
test_expect_success 'down terminates every instance of the run' '
	gf-provision down <up.json >down.json 2>down.err &&
	jq -e --arg id "$ID" ".cleanup[0].released and .cleanup[0].terminated == [\$id]" down.json &&
	test -n "$(ec2 run-states "$RUN")" && test -z "$(alive "$RUN")"
'
test_expect_success 'a second down exits 0' '
	gf-provision down <down.json >down2.json 2>down2.err &&
	jq -e ".cleanup[0].terminated == []" down2.json
'
test_expect_success '--spot starts a spot instance' '
	gf-provision up --provider aws --image "$AMI" --instance-type t3.micro \
	    --spot --no-ssh </dev/null >spot.json 2>spot.err &&
	sid=$(jq -r ".hosts[0].provider_id" spot.json) &&
	test "$(ec2 lifecycle "$sid")" = spot && test "$(ec2 lifecycle "$ID")" = on-demand &&
	gf-provision down <spot.json >spot-down.json 2>spot-down.err &&
	test -z "$(alive "$(jq -r .run.id spot.json)")"
'
need ssh-keygen openssh-client
ssh-keygen -q -t ed25519 -N "" -f "$TEST_DIR/k" </dev/null >/dev/null
test_expect_success '--import-key imports the key as the run'"'"'s key pair, recorded first, used by the instance' '
	gf-provision up --provider aws --image "$AMI" --instance-type t3.micro \
	    --import-key k.pub --no-ssh </dev/null >key.json 2>key.err &&
	krun=$(jq -r .run.id key.json) && kid=$(jq -r ".hosts[0].provider_id" key.json) &&
	kname=$(jq -r ".cleanup[] | select(.kind == \"key-pair\") | .key_name" key.json) &&
	test -n "$kname" && ec2 keys | grep -qx "$kname $krun" &&
	test "$(ec2 key-of "$kid")" = "$kname" &&
	jq -e "[.cleanup[].kind] == [\"key-pair\", \"instance\"]" key.json
'
KEYRUN=$(jq -r .run.id key.json)
test_expect_success 'down terminates the instance and deletes the key pair, twice' '
	test -n "$(ec2 run-states "$KEYRUN")" && ec2 keys | grep -q " $KEYRUN\$" &&
	gf-provision down <key.json >key-down.json 2>key-down.err &&
	test -z "$(alive "$KEYRUN")" && ! ec2 keys | grep -q " $KEYRUN\$" &&
	jq -e ".cleanup | all(.released)" key-down.json &&
	gf-provision down <key-down.json >key-down2.json 2>key-down2.err
'
test_expect_success 'up again after down starts a new instance (a new token)' '
	gf-provision up --provider aws --image "$AMI" --instance-type t3.micro \
	    --no-ssh <down2.json >again.json 2>again.err &&
	jq -e --arg id "$ID" ".hosts[0].provider_id != \$id and
	    (.cleanup | length == 2) and .cleanup[1].client_token != .cleanup[0].client_token" again.json &&
	gf-provision down <again.json >again-down.json 2>again-down.err &&
	test -z "$(alive "$RUN")"
'

test_expect_success 'down of an entry whose instances EC2 does not know exits 0' '
	jq --arg ep "$AWS_ENDPOINT_URL/" ".cleanup = [{id: \"aws:gf-gone\", kind: \"instance\",
	    provider: \"aws\", run: \"never-started\", region: \"us-east-1\", endpoint: \$ep,
	    instances: [\"i-0123456789abcdef0\"]}] | del(.hosts)" up.json >gone.json &&
	GF_STATE=none gf-provision down <gone.json >gone-down.json 2>gone-down.err &&
	jq -e ".cleanup[0].released and .cleanup[0].terminated == []" gone-down.json
'

# Killed while it waits for SSH (moto's instances have none): the state
# file alone gives everything back.
export GF_STATE="$TEST_DIR/state-2.json"
gf-provision up --provider aws --image "$AMI" --instance-type t3.micro \
    --private-address --ssh-wait 300 </dev/null >killed.json 2>killed.err &
UP_PID=$!
test_track_pid $UP_PID
has_instance() { jq -e '.cleanup[0].instances | length == 1' "$GF_STATE" >/dev/null 2>&1; }
# The kill is done here: only this shell can reap the tool.
wait_until 60 "the instance in the state file" has_instance
kill -9 $UP_PID
wait $UP_PID
KILLED=$?
test_expect_success 'SIGKILL while up waits for SSH, after the cleanup entry was saved' '
	test $KILLED -eq 137 && has_instance && ! jq -e ".hosts" "$GF_STATE" >/dev/null
'
KID=$(jq -r '.cleanup[0].instances[0]' "$GF_STATE")
KRUN=$(jq -r '.cleanup[0].run' "$GF_STATE")
# moto 5.0 does not implement RunInstances' ClientToken idempotency (EC2
# answers a repeated token with the instances it already started): here
# only the reuse of the pending entry and its token is checked, and down
# must then take both instances, by their run tag.
TOKEN1=$(jq -r '.cleanup[0].client_token' "$GF_STATE")
test_expect_success 'up again on that document reuses the pending entry and its token' '
	gf-provision up --provider aws --image "$AMI" --instance-type t3.micro \
	    --no-ssh <"$GF_STATE" >retry.json 2>retry.err &&
	jq -e --arg t "$TOKEN1" --arg id "$KID" ".cleanup | length == 1 and
	    .[0].client_token == \$t and any(.[0].instances[]; . == \$id)" retry.json
'
test_expect_success 'down from the state file alone terminates it' '
	test "$(ec2 state "$KID")" = running &&
	gf-provision down </dev/null >kdown.json 2>kdown.err &&
	grep -q "document from $GF_STATE" kdown.err &&
	test -z "$(alive "$KRUN")" &&
	jq -e ".cleanup | all(.released)" "$GF_STATE"
'

export GF_STATE="$TEST_DIR/state-3.json"
test_expect_code 75 'no SSH answer within --ssh-wait is 75 with a clear message' '
	gf-provision up --provider aws --image "$AMI" --instance-type t3.micro \
	    --private-address --ssh-wait 2 </dev/null >ssh.json 2>ssh.err;
	rc=$?; grep -q "no SSH answer from the instance(s) within 2 s (give --no-ssh" ssh.err || rc=99
	jq -e ".hosts == null and (.cleanup[0].instances | length == 1)" ssh.json >/dev/null || rc=98
	exit $rc
'
test_expect_code 75 'down after it terminates the instance (and exits with the failed step)' '
	gf-provision down </dev/null >sdown.json 2>sdown.err; rc=$?
	test -z "$(alive "$(jq -r .run.id ssh.json)")" || rc=99
	exit $rc
'

# A throttling storm: a proxy in front of moto answers the first
# requests as EC2 does when it throttles (503 RequestLimitExceeded, then
# a 429), then passes everything on.
cat >storm.py <<'PYEOF'
import http.server, sys, urllib.request
port, upstream, refuse, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
seen = [0]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        seen[0] += 1
        if seen[0] <= refuse:
            code = 429 if seen[0] == refuse else 503
            err = (b"<Response><Errors><Error><Code>RequestLimitExceeded</Code>"
                   b"<Message>Request limit exceeded.</Message></Error></Errors></Response>")
            self.send_response(code)
            self.send_header("Content-Length", str(len(err)))
            self.end_headers()
            self.wfile.write(err)
        else:
            req = urllib.request.Request(upstream + self.path, data=body, method="POST",
                headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
            with urllib.request.urlopen(req) as r:
                data = r.read()
                self.send_response(r.status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
        with open(count, "w") as f:
            f.write(str(seen[0]))
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PYEOF
STORM_PORT=$(free_port)
"$PY" storm.py "$STORM_PORT" "$AWS_ENDPOINT_URL" 3 storm.count >storm.log 2>&1 &
test_track_pid $!
wait_until 30 "the throttling proxy" "port_open $STORM_PORT"
export GF_STATE="$TEST_DIR/state-storm.json"
test_expect_success 'throttling (503 RequestLimitExceeded, 429) is retried with backoff' '
	AWS_ENDPOINT_URL=http://127.0.0.1:$STORM_PORT gf-provision up --provider aws \
	    --image "$AMI" --instance-type t3.micro --no-ssh </dev/null >storm.json 2>storm.err &&
	test "$(ec2 state "$(jq -r ".hosts[0].provider_id" storm.json)")" = running &&
	test "$(cat storm.count)" -ge 5 &&
	gf-provision down <storm.json >storm-down.json 2>storm-down.err &&
	test -z "$(alive "$(jq -r .run.id storm.json)")"
'

export GF_STATE="$TEST_DIR/state-4.json"
test_expect_code 77 'credentials EC2 refuses give 77' '
	AWS_ENDPOINT_URL=http://127.0.0.1:$AUTH_PORT gf-provision up --provider aws \
	    --image "$AMI" --instance-type t3.micro --no-ssh </dev/null >auth.json 2>auth.err;
	rc=$?; grep -q "AuthFailure" auth.err || rc=99; exit $rc
'
test_expect_code 77 'down with refused credentials gives 77' '
	gf-provision down <auth.json >adown.json 2>adown.err
'
test_expect_code 77 'no credentials give 77' '
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY gf-provision up \
	    --provider aws --image "$AMI" --instance-type t3.micro --no-ssh \
	    </dev/null >nocred.json 2>nocred.err;
	rc=$?; grep -q "no AWS credentials" nocred.err || rc=99; exit $rc
'
test_expect_code 64 'aws without --image is a usage error' '
	gf-provision up --provider aws --instance-type t3.micro </dev/null >noimg.json 2>noimg.err
'
export GF_STATE="$TEST_DIR/state-5.json"
OLD=$(ec2 start "$AMI" gf:run=old-run gf:deadline=2020-01-01T00:00:00Z)
LIVE=$(ec2 start "$AMI" gf:run=live-run gf:deadline=2099-01-01T00:00:00Z)
OTHER=$(ec2 start "$AMI" Name=not-gf)
test_expect_success 'sweep --dry-run lists only gf instances past their deadline' '
	gf-provision sweep --provider aws --dry-run </dev/null >sweep1.json 2>sweep1.err &&
	jq -e --arg id "$OLD" "[.provision.sweep[] | select(.run == \"old-run\" or .run == \"live-run\" or .id == \"$OTHER\")] ==
	    [{provider: \"aws\", kind: \"instance\", id: \$id, run: \"old-run\",
	      deadline: \"2020-01-01T00:00:00Z\", action: \"listed\"}]" sweep1.json &&
	test "$(ec2 state "$OLD")" = running
'
test_expect_success 'sweep terminates them and leaves the others' '
	gf-provision sweep --provider aws </dev/null >sweep2.json 2>sweep2.err &&
	jq -e --arg id "$OLD" "any(.provision.sweep[]; .id == \$id and .action == \"terminated\")" sweep2.json &&
	test "$(ec2 state "$OLD")" != running &&
	test "$(ec2 state "$LIVE")" = running && test "$(ec2 state "$OTHER")" = running
'
test_expect_success 'sweep --older-than takes gf instances started before, whatever their deadline' '
	gf-provision sweep --provider aws --older-than 1s --dry-run </dev/null >sweep3.json 2>sweep3.err &&
	jq -e --arg id "$LIVE" "any(.provision.sweep[]; .id == \$id)" sweep3.json &&
	jq -e --arg id "$OTHER" "all(.provision.sweep[]; .id != \$id)" sweep3.json
'

test_expect_success 'the secret and the session token appear in no output, document or state file' '
	! grep -r -l -F -e "$SECRET" -e "$TOKEN" --exclude="moto-*.log" . &&
	test -s up.json && test -s "$TEST_DIR/state-1.json"
'
test_done
