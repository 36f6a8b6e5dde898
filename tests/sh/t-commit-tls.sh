#!/bin/sh
# gf-commit over HTTPS (lighttpd with mod_openssl and a test CA): TLS is
# always verified; --ca-file trusts a private CA.
. "$GF_SRC/tests/lib.sh"

printf 'leak:libpcre2-8.so\n' >"$TEST_DIR/lsan.supp"
export LSAN_OPTIONS="suppressions=$TEST_DIR/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

need lighttpd lighttpd
need openssl openssl
need git git
need jq jq
[ -f /usr/lib/lighttpd/mod_openssl.so ] || {
	echo "Bail out! mod_openssl not found: run scripts/install-deps.sh (package lighttpd-mod-openssl)"; exit 1; }

SRV=$TEST_DIR/srv
TOKEN=tok-$$-tls
mkdir -p "$SRV/repos"
git init -q --bare "$SRV/repos/r.git"
echo "x-access-token:$TOKEN" >"$SRV/users"
(
	cd "$SRV" &&
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=gf test CA" \
	    -keyout ca.key -out ca.pem &&
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
	    -keyout srv.key -out srv.csr &&
	printf 'subjectAltName=DNS:127.0.0.1,IP:127.0.0.1\n' >ext &&
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -days 2 -extfile ext -out srv.pem &&
	cat srv.pem srv.key >srv-all.pem
) >"$SRV/openssl.log" 2>&1 || { echo "Bail out! openssl failed"; exit 1; }
port=$(free_port)
cat >"$SRV/lighttpd.conf" <<CONF
server.modules = ("mod_openssl", "mod_alias", "mod_setenv", "mod_auth",
    "mod_authn_file", "mod_cgi")
server.document-root = "$SRV"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$SRV/error.log"
ssl.engine = "enable"
ssl.pemfile = "$SRV/srv-all.pem"
alias.url = ("/git/" => "$(git --exec-path)/git-http-backend/")
\$HTTP["url"] =~ "^/git/" {
	cgi.assign = ("" => "")
	setenv.add-environment = ("GIT_PROJECT_ROOT" => "$SRV/repos",
	    "GIT_HTTP_EXPORT_ALL" => "1")
	auth.backend = "plain"
	auth.backend.plain.userfile = "$SRV/users"
	auth.require = ("" => ("method" => "basic", "realm" => "git",
	    "require" => "valid-user"))
}
CONF
lighttpd -D -f "$SRV/lighttpd.conf" >"$SRV/out" 2>&1 &
test_track_pid $!
wait_until 10 "lighttpd on port $port" 'port_open "$port"' ||
	{ echo "Bail out! lighttpd did not start"; diag "$(cat "$SRV/out")"; exit 1; }
URL="https://127.0.0.1:$port/git/r.git"
export GF_STATE=none GF_GIT_TOKEN=$TOKEN
printf 'tls\n' >"$TEST_DIR/tls.txt"

test_expect_code 78 'an untrusted certificate is refused' '
	gf-commit -r "$URL" -a tls.txt </dev/null >/dev/null 2>err
	rc=$?; cat err >&2; grep -qi "certificate" err || rc=99; exit $rc'

test_expect_success 'a private CA with --ca-file' '
	gf-commit -r "$URL" --ca-file "$SRV/ca.pem" -a tls.txt \
	    </dev/null >doc.json &&
	test "$(jq -r .commit.sha doc.json)" = \
	    "$(git -C "$SRV/repos/r.git" rev-parse main)"'

test_expect_code 78 'an unreadable CA file' '
	gf-commit -r "$URL" --ca-file nope.pem -a tls.txt </dev/null >/dev/null'

test_done
