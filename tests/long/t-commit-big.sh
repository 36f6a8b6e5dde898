#!/bin/sh
# gf-commit pushing 300 files (60 MB) over HTTP to git-http-backend behind
# lighttpd, whose keep-alive timeout (5 s) is shorter than a pack with a
# full delta window takes to build: the push must still land.
. "$GF_SRC/tests/lib.sh"

printf 'leak:libpcre2-8.so\n' >"$TEST_DIR/lsan.supp"
export LSAN_OPTIONS="suppressions=$TEST_DIR/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

need lighttpd lighttpd
need git git
need jq jq

SRV=$TEST_DIR/srv
TOKEN=tok-$$-big
mkdir -p "$SRV/repos" "$TEST_DIR/data"
git init -q --bare "$SRV/repos/r.git"
echo "x-access-token:$TOKEN" >"$SRV/users"
port=$(free_port)
cat >"$SRV/lighttpd.conf" <<CONF
server.modules = ("mod_alias", "mod_setenv", "mod_auth", "mod_authn_file",
    "mod_cgi")
server.document-root = "$SRV"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$SRV/error.log"
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
i=0
while [ $i -lt 300 ]; do
	head -c 204800 /dev/urandom >"$TEST_DIR/data/f$i.bin"
	i=$((i + 1))
done
export GF_STATE=none

test_expect_success 'a 60 MB push of 300 files lands' '
	GF_GIT_TOKEN=$TOKEN gf-commit -r "http://127.0.0.1:$port/git/r.git" \
	    -l big --no-index -a data:. --retries 1 </dev/null >doc.json &&
	test "$(git -C "$SRV/repos/r.git" ls-tree -r --name-only main |
	    grep -c "^big/f")" = 300 &&
	test "$(jq -r .commit.sha doc.json)" = \
	    "$(git -C "$SRV/repos/r.git" rev-parse main)"'

test_done
