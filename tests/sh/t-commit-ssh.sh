#!/bin/sh
# gf-commit pushing over SSH with a key file to a loopback sshd serving a
# bare repository; host keys checked against a known_hosts file.
. "$GF_SRC/tests/lib.sh"

# libgit2 1.5 leaks pcre2 match data in its config regex lookups
# (libgit2/libgit2#6382, fixed after 1.5); not ours to free.
# Its SSH transport leaks its known-hosts state in the connection
# (libgit2 and libssh2 frames only; full stacks to match them).
printf 'leak:libpcre2-8.so\nleak:libssh2.so\nleak:git_remote_connect_ext\n' \
    >"$TEST_DIR/lsan.supp"
export ASAN_OPTIONS="fast_unwind_on_malloc=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$TEST_DIR/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

need git git
need jq jq
need ssh-keygen openssh-client
[ -x /usr/sbin/sshd ] || { echo "Bail out! /usr/sbin/sshd not found: run scripts/install-deps.sh (package openssh-server)"; exit 1; }

S=$TEST_DIR/ssh
mkdir -p "$S" /run/sshd 2>/dev/null
ssh-keygen -q -t ed25519 -N '' -f "$S/hostkey" || exit 1
ssh-keygen -q -t ed25519 -N '' -f "$S/client" || exit 1
ssh-keygen -q -t ed25519 -N '' -f "$S/other" || exit 1
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
EOF
/usr/sbin/sshd -D -e -f "$S/sshd_config" 2>"$S/sshd.log" &
test_track_pid $!
wait_until 10 "sshd on port $port" 'port_open "$port"' ||
	{ echo "Bail out! sshd did not start"; diag "$(cat "$S/sshd.log")"; exit 1; }
printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$S/hostkey.pub")" \
    >"$S/known_hosts"
printf '[127.0.0.1]:%s %s\n' "$port" "$(cut -d' ' -f1,2 "$S/other.pub")" \
    >"$S/bad_known_hosts"
REPO=$TEST_DIR/results.git
git init -q --bare "$REPO"
URL="ssh://$(id -un)@127.0.0.1:$port$REPO"
export GF_STATE=none
printf 'report\n' >"$TEST_DIR/report.md"

test_expect_success 'push over SSH with a key file' '
	gf-commit -r "$URL" --ssh-key "$S/client" --known-hosts "$S/known_hosts" \
	    --tag ssh -a report.md </dev/null >doc.json &&
	test "$(jq -r .commit.sha doc.json)" = \
	    "$(git -C "$REPO" rev-parse main)" &&
	git -C "$REPO" ls-tree -r --name-only main | grep -q "validator-ssh-.*/report.md$" &&
	test "$(jq -r .commit.remote doc.json)" = "$URL"'

test_expect_code 78 'a key the server does not know is refused once' '
	printf "x\n" >x.md &&
	GF_GIT_SSH_KEY=$S/other gf-commit -r "$URL" \
	    --known-hosts "$S/known_hosts" -a x.md </dev/null >/dev/null 2>err
	rc=$?; cat err >&2; grep -q "refused the credentials" err || rc=99; exit $rc'

test_expect_code 78 'an unknown host key is refused' '
	printf "y\n" >y.md &&
	gf-commit -r "$URL" --ssh-key "$S/client" \
	    --known-hosts "$S/bad_known_hosts" -a y.md </dev/null >/dev/null 2>err
	rc=$?; cat err >&2; grep -q "host key" err || rc=99; exit $rc'

test_expect_code 78 'a missing key file is a configuration error' '
	gf-commit -r "$URL" --ssh-key "$S/nope" -a report.md </dev/null >/dev/null'

test_done
