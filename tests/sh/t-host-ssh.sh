#!/bin/sh
# The SSH host (gf_host_ssh over gf_ssh) against a real OpenSSH server on
# a loopback port: commands, time-outs, quoting, files, supervised
# processes, host-key checking, errors, and one connection for many
# operations. The driver is tests/bin/host-ssh.c.
. "$GF_SRC/tests/lib.sh"

need ssh-keygen openssh-client
need jq jq
[ -x /usr/sbin/sshd ] || { echo "Bail out! /usr/sbin/sshd not found: run scripts/install-deps.sh (package openssh-server)"; exit 1; }
HS=$GF_BUILD/tests/bin/host-ssh
[ -x "$HS" ] || { echo "Bail out! $HS not built: make all-tests"; exit 1; }

S=$TEST_DIR/ssh
mkdir -p "$S" /run/sshd 2>/dev/null
for k in hostkey client other; do
	ssh-keygen -q -t ed25519 -N '' -f "$S/$k" || exit 1
done
cp "$S/client.pub" "$S/authorized_keys"
port=$(free_port)
cat >"$S/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $S/hostkey
AuthorizedKeysFile $S/authorized_keys
PidFile $S/sshd.pid
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
EOF
/usr/sbin/sshd -D -e -f "$S/sshd_config" 2>"$S/sshd.log" &
test_track_pid $!
wait_until 10 "sshd on port $port" 'port_open "$port"' ||
	{ echo "Bail out! sshd did not start"; diag "$(cat "$S/sshd.log")"; exit 1; }
key_of() { cut -d' ' -f1,2 "$1"; }
printf '[127.0.0.1]:%s %s\n' "$port" "$(key_of "$S/hostkey.pub")" >"$S/known_hosts"
printf '[127.0.0.1]:%s %s\n' "$port" "$(key_of "$S/other.pub")" >"$S/changed_kh"
printf '[127.0.0.1]:%s %s\n' "$((port + 1))" "$(key_of "$S/hostkey.pub")" >"$S/unknown_kh"
cp "$S/known_hosts" "$S/hashed_kh" && ssh-keygen -q -H -f "$S/hashed_kh" >/dev/null 2>&1 &&
    grep -q '^|1|' "$S/hashed_kh" || { echo "Bail out! ssh-keygen -H failed"; exit 1; }
FP=$(ssh-keygen -lf "$S/hostkey.pub" | cut -d' ' -f2)
OTHER_FP=$(ssh-keygen -lf "$S/other.pub" | cut -d' ' -f2)

# The host entry: E, or E with jq changes.
E=$(jq -cn --arg k "$S/client" --arg kh "$S/known_hosts" --argjson p "$port" \
    '{name: "box'"'"';$(x)", address: "127.0.0.1", connection: "ssh",
      port: $p, key: $k, known_hosts: $kh}')
entry() { printf '%s' "$E" | jq -c "$1"; }
connections() { grep -c "Accepted publickey" "$S/sshd.log"; }
W=$TEST_DIR/w
mkdir -p "$W"

test_expect_success 'run: stdout and stderr apart, the exit status' '
	"$HS" "$E" run -o o -e e sh -c "echo out; echo err >&2; exit 3" >r &&
	test "$(cat r)" = "status 3 signal 0 timed_out 0" &&
	test "$(cat o)" = out && test "$(cat e)" = err
'
test_expect_success 'run: a signal that ended the command' '
	"$HS" "$E" run sh -c "kill -TERM \$\$" >r &&
	test "$(cat r)" = "status -1 signal 15 timed_out 0"
'
test_expect_code 66 'run: a program not in PATH is 66' '
	"$HS" "$E" run gf-no-such-program 2>err; rc=$?
	grep -q "'"'"'gf-no-such-program'"'"' not found in PATH" err || rc=99; exit $rc
'
test_expect_success 'run: a time-out ends the command and its process group' '
	t0=$(date +%s) &&
	"$HS" "$E" run -t 1 sh -c "sleep 4711 & sleep 4712" >r &&
	test "$(cat r)" = "status -1 signal 0 timed_out 1" &&
	test $(( $(date +%s) - t0 )) -lt 10 &&
	wait_until 5 "the sleeps to end" "! pgrep -f \"sleep 471[12]\" >/dev/null"
'
test_expect_success 'run: what a finished command leaves behind is ended' '
	"$HS" "$E" run sh -c "sleep 4713 >/dev/null 2>&1 & echo started" >r &&
	test "$(cat r)" = "status 0 signal 0 timed_out 0" &&
	wait_until 5 "the sleep to end" "! pgrep -f \"sleep 4713\" >/dev/null"
'
test_expect_success 'quoting: hostile arguments are words, nothing runs' '
	d=$W/q && mkdir -p "$d" &&
	n1="a'"'"'b;\$(touch pwned)" n2="\`touch pwned\`|x&&y>z" &&
	n3="$(printf "new\nline; touch pwned")" n4="--\"\\\$HOME\"*" &&
	"$HS" "$E" run touch "$d/$n1" "$d/$n2" "$d/$n3" "$d/$n4" \
	    :: run -o list ls -A "$d" >r &&
	test ! -e pwned && test ! -e "$d/pwned" && test ! -e "$HOME/pwned" &&
	test ! -e /pwned && test ! -e z && test -e "$d/$n1" && test -e "$d/$n2" &&
	test -e "$d/$n3" && test -e "$d/$n4" && test $(ls -A "$d" | wc -l) = 5 &&
	ls -A "$d" >want && cmp want list &&
	"$HS" "$E" run -o o printf "%s" "$n1" >/dev/null &&
	test "$(cat o)" = "$n1"
'
test_expect_success 'files: upload a tree, download, modes and links kept' '
	src=$W/src && mkdir -p "$src/sub/deep" &&
	printf "one\n" >"$src/f1" && chmod 600 "$src/f1" &&
	printf "x" >"$src/sub/q'"'"'uote \$(touch pwned)" &&
	printf "#!/bin/sh\n" >"$src/sub/deep/run" && chmod 755 "$src/sub/deep/run" &&
	ln -s f1 "$src/link" &&
	"$HS" "$E" copy "$src" "$W/dst" :: read "$W/dst/f1" >got &&
	test "$(cat got)" = one && diff -r "$src" "$W/dst" &&
	test "$(stat -c %a "$W/dst/f1")" = 600 &&
	test "$(stat -c %a "$W/dst/sub/deep/run")" = 755 &&
	test "$(readlink "$W/dst/link")" = f1 && test ! -e "$W/dst/sub/pwned"
'
test_expect_success 'files: an atomic write replaces, in place writes into' '
	printf "new\n" >new && : >"$W/dst/inplace" &&
	"$HS" "$E" write "$W/dst/f1" 640 new :: write "$W/dst/inplace" 644 new in-place \
	    :: mkdir "$W/made/a b" >/dev/null &&
	test "$(cat "$W/dst/f1")" = new && test "$(stat -c %a "$W/dst/f1")" = 640 &&
	test "$(cat "$W/dst/inplace")" = new && test -d "$W/made/a b" &&
	test -z "$(ls "$W/dst" | grep gf-)"
'
test_expect_code 66 'files: reading a missing file is 66' '
	"$HS" "$E" read "$W/nope"
'
test_expect_code 73 'files: writing where there is no directory is 73' '
	printf x >x && "$HS" "$E" write "$W/no/dir/f" 644 x
'
test_expect_success 'spawn, pid file, stop by pid file with the cmdline check' '
	"$HS" "$E" spawn "$W/svc.log" "$W/svc.pid" sh -c "echo up; exec sleep 4720" \
	    :: pidcheck "$W/svc.pid" 4720 :: pidcheck "$W/svc.pid" no-such-arg >r &&
	pid=$(sed -n 1p r) && test "$(cat "$W/svc.pid")" = "$pid" &&
	test "$(sed -n 2p r)" = "running $pid" && test "$(sed -n 3p r)" = "stale $pid" &&
	test "$(ps -o sid= -p "$pid" | tr -d " ")" = "$pid" &&
	wait_until 5 "the log" "grep -q up \"$W/svc.log\"" &&
	"$HS" "$E" alive "$pid" :: stop "$W/svc.pid" 4720 :: alive "$pid" \
	    :: stop "$W/svc.pid" >r &&
	test "$(cat r | tr "\n" " ")" = "1 stopped 0 not-running " &&
	test ! -e "$W/svc.pid" &&
	! ps -o stat= -p "$pid" | grep -qv Z
'
test_expect_success 'a pid file of another program is stale and left alone' '
	sleep 4721 & p=$! && echo $p >"$W/other.pid" &&
	"$HS" "$E" stop "$W/other.pid" gf-not-this >r && test "$(cat r)" = stale &&
	kill -0 $p && kill $p
'
test_expect_success 'which, a free port' '
	"$HS" "$E" which sh :: which gf-no-such-program :: port >r &&
	test "$(sed -n 1p r | cut -c1)" = / && test "$(sed -n 2p r)" = none &&
	p=$(sed -n 3p r) && test "$p" -gt 1023 && test "$p" -lt 65536 &&
	! port_open "$p"
'
test_expect_success 'sudo: commands and files through sudo -n' '
	command -v sudo >/dev/null || { echo "no sudo: skipped"; exit 0; }
	printf "s\n" >s &&
	"$HS" "$(entry ".sudo = true")" write "$W/sudo-f" 600 s :: read "$W/sudo-f" \
	    :: run -o o id -u >r &&
	test "$(sed -n 1p r)" = s && test "$(cat o)" = "$(id -u)" &&
	test "$(stat -c %a "$W/sudo-f")" = 600
'
test_expect_success 'one connection for several operations' '
	before=$(connections) &&
	"$HS" "$E" run true :: which sh :: read "$W/dst/f1" :: write "$W/one" 644 new \
	    :: run true :: port >/dev/null &&
	wait_until 5 "sshd to log" "[ \$(connections) -gt $before ]" &&
	test $(( $(connections) - before )) = 1
'
test_expect_success 'host key: a hashed known_hosts entry matches' '
	"$HS" "$(entry ".known_hosts = \"$S/hashed_kh\"")" run true :: key >r &&
	test "$(sed -n 2p r)" = "$FP checked"
'
test_expect_success 'host key: the pinned fingerprint, with or without its prefix' '
	"$HS" "$(entry "del(.known_hosts) | .host_key_sha256 = \"$FP\"")" key :: run true &&
	"$HS" "$(entry "del(.known_hosts) | .host_key_sha256 = \"${FP#SHA256:}=\"")" run true
'
test_expect_code 78 'host key: a wrong pinned fingerprint is refused, both named' '
	"$HS" "$(entry "del(.known_hosts) | .host_key_sha256 = \"$OTHER_FP\"")" run true 2>err
	rc=$?; cat err >&2
	grep -q "expected $OTHER_FP, the server offers ED25519 $FP" err || rc=99; exit $rc
'
test_expect_code 78 'host key: a changed key is refused, both named' '
	"$HS" "$(entry ".known_hosts = \"$S/changed_kh\" | .host_key_tofu = true")" run true 2>err
	rc=$?; cat err >&2
	grep -q "host key changed: .* has ED25519 $OTHER_FP .*offers ED25519 $FP" err || rc=99
	exit $rc
'
test_expect_code 78 'host key: an unknown key is refused' '
	"$HS" "$(entry ".known_hosts = \"$S/unknown_kh\"")" run true 2>err
	rc=$?; cat err >&2; grep -q "unknown host key: .*offers ED25519 $FP" err || rc=99
	exit $rc
'
test_expect_success 'host key: trust on first use when asked, and reported' '
	"$HS" "$(entry ".known_hosts = \"$S/unknown_kh\" | .host_key_tofu = true")" run true :: key >r &&
	test "$(sed -n 2p r)" = "$FP tofu" &&
	"$HS" "$(entry "del(.known_hosts) | .host_key_tofu = true")" run true :: key >r &&
	test "$(sed -n 2p r)" = "$FP tofu"
'
test_expect_code 78 'host key: none to check against is a configuration error' '
	"$HS" "$(entry "del(.known_hosts)")" run true 2>err
	rc=$?; cat err >&2; grep -q "known_hosts, host_key_sha256 or host_key_tofu" err || rc=99
	exit $rc
'
test_expect_code 78 'a key the server refuses is 78' '
	"$HS" "$(entry ".key = \"$S/other\"")" run true 2>err
	rc=$?; cat err >&2; grep -q "user .* refused" err || rc=99; exit $rc
'
test_expect_code 69 'a refused connection is 69, naming the host' '
	p=$(free_port)
	"$HS" "$(entry ".port = $p")" run true 2>err
	rc=$?; cat err >&2
	grep -q "host '"'"'box'"'"';\$(x)'"'"': cannot connect to 127.0.0.1 port $p: Connection refused" err ||
	    rc=99; exit $rc
'
test_expect_code 69 'no SSH server answering is 69 after the connect time-out' '
	start_mute_server
	"$HS" "$(entry ".port = $MUTE_PORT | .connect_timeout = 1")" run true 2>err
	rc=$?; cat err >&2; grep -q "handshake" err || rc=99; exit $rc
'
test_expect_code 65 'a bad field of the entry is 65' '
	"$HS" "$(entry ".port = \"22\"")" run true
'

test_done
