#!/bin/sh
# gf-tunnel against a test host of tests/hosts.sh: a real HTTP server that
# listens on the host's loopback only, reached from the runner through the
# tunnel (a file of several MB intact, a dozen clients at once), two
# forwards at once, a remote port with nothing behind it (that client
# closed, the tunnel serving on), SIGTERM (exit 0, the port free again),
# the host key refused (78), the host unreachable (69), the host cut off
# while the tunnel runs (69 within the keep-alive bound) and a local port
# taken (71).
. "$GF_SRC/tests/lib.sh"
. "$GF_SRC/tests/hosts.sh"
need jq jq
need curl curl
need sha256sum coreutils

hosts_can_run || skip_all "$HOSTS_SKIP"
PY=/usr/bin/python3
[ -x "$PY" ] || skip_all "no $PY for the host's HTTP server"
H=$TEST_DIR/hosts
hosts_up 1 "$H" || { echo "Bail out! $HOSTS_ERR"; exit 1; }
ADDR=$(hosts_addr gfh1)

# The host's web root (in its own /srv) and an HTTP server on its
# loopback, port 8000: nothing outside the host reaches it directly.
hosts_exec gfh1 sh -c 'mkdir -p /srv/www &&
	head -c 8388608 /dev/urandom >/srv/www/big &&
	head -c 1048576 /dev/urandom >/srv/www/mid && echo hello >/srv/www/hello' ||
	{ echo "Bail out! cannot fill the host's web root"; exit 1; }
BIG_SUM=$(hosts_exec gfh1 sha256sum /srv/www/big | cut -d' ' -f1)
MID_SUM=$(hosts_exec gfh1 sha256sum /srv/www/mid | cut -d' ' -f1)
WEB_PID=$(hosts_exec gfh1 sh -c "cd /srv/www && $PY -m http.server --bind 127.0.0.1 8000 \
	>/tmp/http.log 2>&1 & echo \$!")
test_track_pid "$WEB_PID"
host_port_open() {
	hosts_exec gfh1 perl -MIO::Socket::INET -e \
	    'exit !IO::Socket::INET->new("127.0.0.1:$ARGV[0]")' "$1"
}
# And an echo server on port 8007, to send and receive at the same time.
cat >"$TEST_DIR/echo.py" <<'EOF'
import socketserver
class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            d = self.request.recv(65536)
            if not d:
                break
            self.request.sendall(d)
socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer(("127.0.0.1", 8007), Echo).serve_forever()
EOF
# Sends 8 MB while it reads them back; exit 0 when all came back intact.
cat >"$TEST_DIR/echo-client.py" <<'EOF'
import os, socket, sys, threading
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
data = os.urandom(8 << 20)
got = []
def read():
    while True:
        d = s.recv(65536)
        if not d:
            break
        got.append(d)
t = threading.Thread(target=read)
t.start()
s.sendall(data)
s.shutdown(socket.SHUT_WR)
t.join(120)
sys.exit(0 if b"".join(got) == data else 1)
EOF
hosts_exec gfh1 sh -c "cat >/srv/echo.py" <"$TEST_DIR/echo.py"
ECHO_PID=$(hosts_exec gfh1 sh -c "$PY /srv/echo.py >/tmp/echo.log 2>&1 & echo \$!")
test_track_pid "$ECHO_PID"
wait_until 20 "the host's HTTP server" 'host_port_open 8000' ||
	{ echo "Bail out! the HTTP server on the host did not start"; exit 1; }
wait_until 20 "the host's echo server" 'host_port_open 8007' ||
	{ echo "Bail out! the echo server on the host did not start"; exit 1; }

# The host as a document's "hosts" entry (keep-alives every second, so a
# host cut off is seen in about four), and variants of it.
jq -n --arg a "$ADDR" --arg u "$HOSTS_USER" --arg k "$H/id_ed25519" \
    --arg kh "$H/known_hosts" '{name: "gfh1", address: $a, connection: "ssh",
	user: $u, key: $k, known_hosts: $kh, keepalive: 1, connect_timeout: 5}' \
    >"$TEST_DIR/host.json"
variant() { jq "$1" "$TEST_DIR/host.json" >"$TEST_DIR/$2"; }
variant '. + {host_key_sha256: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}' badkey.json
variant '. + {port: 1}' unreachable.json

# start_tunnel NAME ARGS...: gf-tunnel in the background; its pid in
# NAME.pid, its exit status in NAME.rc once it ends, its stderr in
# NAME.err. Waits for the ready file NAME.ready.
start_tunnel() {
	_n=$1; shift
	( gf-tunnel --ready-file "$TEST_DIR/$_n.ready" "$@" 2>"$TEST_DIR/$_n.err" &
	  echo $! >"$TEST_DIR/$_n.pid"; wait $!; echo $? >"$TEST_DIR/$_n.rc" ) &
	test_track_pid $!
	wait_until 5 "$_n's pid" "[ -s '$TEST_DIR/$_n.pid' ]" || return 1
	test_track_pid "$(cat "$TEST_DIR/$_n.pid")"
	wait_until 30 "$_n to be ready" "[ -s '$TEST_DIR/$_n.ready' ] || [ -s '$TEST_DIR/$_n.rc' ]"
}
# The local port of line $2 of NAME.ready.
port_of() { sed -n "${2:-1}p" "$TEST_DIR/$1.ready" | sed 's/.*://'; }
ended() { [ -s "$TEST_DIR/$1.rc" ]; }

start_tunnel t --host-file "$TEST_DIR/host.json" --forward 0:127.0.0.1:8000 \
    --forward "127.0.0.1:0:$ADDR:22" --forward 0:127.0.0.1:9 \
    --forward 0:127.0.0.1:8007 && [ -s "$TEST_DIR/t.ready" ] ||
	{ echo "Bail out! gf-tunnel did not start: $(cat "$TEST_DIR/t.err")"; exit 1; }
P=$(port_of t 1) P2=$(port_of t 2) P3=$(port_of t 3) P4=$(port_of t 4)

test_expect_success 'the ready file lists the four listening addresses' '
	test "$(wc -l <t.ready)" = 4 && grep -qx "127.0.0.1:$P4" t.ready && grep -qx "127.0.0.1:$P" t.ready &&
	grep -qx "127.0.0.1:$P2" t.ready && grep -qx "127.0.0.1:$P3" t.ready &&
	! ended t
'
test_expect_success 'the server on the host'"'"'s loopback answers through the tunnel' '
	! curl -s -m 5 -o /dev/null http://$ADDR:8000/hello &&
	test "$(curl -sf http://127.0.0.1:$P/hello)" = hello
'
test_expect_success 'a file of 8 MB comes through intact' '
	curl -sf -o big http://127.0.0.1:$P/big &&
	test "$(sha256sum <big | cut -d" " -f1)" = "$BIG_SUM"
'
# A client that sends without end and never reads: its connection's
# buffers and windows fill up both ways, which must hold up no other.
cat >"$TEST_DIR/stuck.py" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
open(sys.argv[2], "w").write("connected\n")
try:
    s.sendall(b"y" * (64 << 20))
except OSError:
    pass
time.sleep(300)
EOF
test_expect_success 'a dozen clients at once, each file intact, beside a stuck one' '
	$PY stuck.py $P4 stuck.on &
	sp=$!
	wait_until 10 "the stuck client" "[ -s stuck.on ]" &&
	pids= &&
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		curl -sf -o mid.$i http://127.0.0.1:$P/mid & pids="$pids $!"
	done &&
	rc=0 && for p in $pids; do wait $p || rc=1; done && test $rc = 0 &&
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
		test "$(sha256sum <mid.$i | cut -d" " -f1)" = "$MID_SUM" || { kill $sp; exit 1; }
	done
	rc=$?; kill $sp; exit $rc
'
test_expect_success '8 MB both ways at once (echoed), twice side by side' '
	$PY echo-client.py $P4 &
	e1=$!
	$PY echo-client.py $P4 &
	e2=$!
	wait $e1 && wait $e2
'
test_expect_success 'the second forward reaches the host'"'"'s sshd (its address as the host sees it)' '
	perl -MIO::Socket::INET -e "
		my \$s = IO::Socket::INET->new(q{127.0.0.1:$P2}) or die;
		my \$l = <\$s>; print \$l; exit(\$l =~ /^SSH-2\\.0-/ ? 0 : 1)" &&
	test "$(curl -sf http://127.0.0.1:$P/hello)" = hello
'
# Connections to both forwards opened at the same time each reach their own.
cat >"$TEST_DIR/banner.pl" <<'EOF'
use IO::Socket::INET;
my $s = IO::Socket::INET->new("127.0.0.1:$ARGV[0]") or die "connect: $!";
my $l = <$s>;
exit(defined $l && $l =~ /^SSH-2\.0-/ ? 0 : 1);
EOF
test_expect_success 'both forwards at once, sixteen clients, each to its own' '
	pids= &&
	for i in 1 2 3 4 5 6 7 8; do
		curl -sf -o hello.$i http://127.0.0.1:$P/hello & pids="$pids $!"
		perl banner.pl $P2 & pids="$pids $!"
	done &&
	rc=0 && for p in $pids; do wait $p || rc=1; done && test $rc = 0 &&
	for i in 1 2 3 4 5 6 7 8; do test "$(cat hello.$i)" = hello || exit 1; done
'
test_expect_success 'nothing listening on the remote port: that client is closed, the tunnel serves on' '
	! curl -s -m 20 -o /dev/null http://127.0.0.1:$P3/ &&
	grep -q "refused 127.0.0.1 port 9" t.err &&
	! ended t && test "$(curl -sf http://127.0.0.1:$P/hello)" = hello
'
test_expect_code 71 'a local port already taken is 71, naming it' '
	gf-tunnel --host-file host.json --forward $P:127.0.0.1:8000 2>err; rc=$?
	grep -q "port $P: Address already in use" err || rc=99; exit $rc
'
test_expect_success 'SIGTERM: exit 0, the ports free again, the ready file gone' '
	kill -TERM "$(cat t.pid)" &&
	wait_until 10 "gf-tunnel to end" "ended t" && test "$(cat t.rc)" = 0 &&
	! port_open $P && ! port_open $P2 && ! port_open $P4 && test ! -e t.ready
'
test_expect_code 78 'a host key that is not the pinned one is 78' '
	gf-tunnel --host-file badkey.json --forward 0:127.0.0.1:8000 \
	    --ready-file k.ready 2>err; rc=$?
	grep -q "not the pinned one" err && test ! -e k.ready || rc=99; exit $rc
'
test_expect_code 69 'a host that cannot be reached is 69, named' '
	gf-tunnel --host-file unreachable.json --forward 0:127.0.0.1:8000 2>err; rc=$?
	grep -q "host '"'"'gfh1'"'"'" err || rc=99; exit $rc
'

start_tunnel c --host-file "$TEST_DIR/host.json" --forward 0:127.0.0.1:8000 &&
    [ -s "$TEST_DIR/c.ready" ] ||
	{ echo "Bail out! gf-tunnel did not start: $(cat "$TEST_DIR/c.err")"; exit 1; }
PC=$(port_of c)
test_expect_success 'a host cut off while the tunnel runs: 69 within the keep-alive bound' '
	test "$(curl -sf http://127.0.0.1:$PC/hello)" = hello &&
	t0=$(date +%s) && hosts_cut gfh1 &&
	wait_until 30 "gf-tunnel to notice" "ended c" &&
	test "$(cat c.rc)" = 69 && test $(( $(date +%s) - t0 )) -le 15 &&
	grep -q "host '"'"'gfh1'"'"': connection lost" c.err && ! port_open $PC
'
hosts_heal gfh1
addr_open() {	# ADDRESS PORT
	perl -MIO::Socket::INET -e 'exit !IO::Socket::INET->new(
	    PeerAddr => $ARGV[0], PeerPort => $ARGV[1], Timeout => 2)' "$1" "$2"
}
wait_until 30 "gfh1 to be back" 'addr_open "$ADDR" 22' ||
	{ echo "Bail out! gfh1 did not come back"; exit 1; }

# The same while a client is in the middle of an exchange that never
# ends by itself (the echo server), which it leaves only when the tunnel
# closes its connection.
cat >"$TEST_DIR/echo-forever.py" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(60)
started = False
try:
    while True:
        s.sendall(b"x" * 4096)
        if not s.recv(65536):
            break
        if not started:
            open(sys.argv[2], "w").write("started\n")
            started = True
except socket.timeout:
    sys.exit(2)
except OSError:
    pass
sys.exit(0 if started else 3)
EOF
start_tunnel d --host-file "$TEST_DIR/host.json" --forward 0:127.0.0.1:8007 &&
    [ -s "$TEST_DIR/d.ready" ] ||
	{ echo "Bail out! gf-tunnel did not start: $(cat "$TEST_DIR/d.err")"; exit 1; }
PD=$(port_of d)
( $PY "$TEST_DIR/echo-forever.py" "$PD" "$TEST_DIR/echo.started"
  echo $? >"$TEST_DIR/echo.rc" ) &
test_track_pid $!
test_expect_success 'a host cut off in the middle of an exchange: 69, the client closed' '
	wait_until 30 "the exchange to start" "[ -s echo.started ]" &&
	t0=$(date +%s) && hosts_cut gfh1 &&
	wait_until 30 "gf-tunnel to notice" "ended d" &&
	test "$(cat d.rc)" = 69 && test $(( $(date +%s) - t0 )) -le 15 &&
	grep -q "host '"'"'gfh1'"'"'" d.err &&
	wait_until 30 "the client to be closed" "[ -s echo.rc ]" &&
	test "$(cat echo.rc)" = 0
'
hosts_heal gfh1
test_done
