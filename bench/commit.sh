#!/bin/sh
# Benchmark: gf-commit vs the git CLI committing and pushing the same
# 1,000 files (200 MB in all) to a fresh repository on a git-http-backend
# behind lighttpd with basic auth, on loopback. Prints a Markdown section.
#
#	bench/commit.sh [NFILES] [KB_PER_FILE] [RUNS]
set -eu

: "${GF_SRC:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${GF_BUILD:=$GF_SRC/build}"
PATH="$GF_BUILD/bin:$PATH"
NFILES=${1:-1000}
KB=${2:-200}
RUNS=${3:-3}

for p in lighttpd git hyperfine gf-commit; do
	command -v "$p" >/dev/null || { echo "bench/commit.sh: $p not found" >&2; exit 66; }
done

W=$(mktemp -d "${TMPDIR:-/tmp}/gf-bench-commit.XXXXXX")
LPID=
cleanup() {
	[ -n "$LPID" ] && kill "$LPID" 2>/dev/null && wait "$LPID" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(LocalAddr =>
    "127.0.0.1", LocalPort => 0, Listen => 1)->sockport')
TOKEN=bench-token-$$
mkdir -p "$W/repos" "$W/data/results"
echo "x-access-token:$TOKEN" >"$W/users"
cat >"$W/lighttpd.conf" <<EOF
server.modules = ("mod_alias", "mod_setenv", "mod_auth", "mod_authn_file",
    "mod_cgi")
server.document-root = "$W"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$W/error.log"
alias.url = ("/git/" => "$(git --exec-path)/git-http-backend/")
\$HTTP["url"] =~ "^/git/" {
	cgi.assign = ("" => "")
	setenv.add-environment = ("GIT_PROJECT_ROOT" => "$W/repos",
	    "GIT_HTTP_EXPORT_ALL" => "1")
	auth.backend = "plain"
	auth.backend.plain.userfile = "$W/users"
	auth.require = ("" => ("method" => "basic", "realm" => "git",
	    "require" => "valid-user"))
}
EOF
lighttpd -D -f "$W/lighttpd.conf" 2>"$W/lighttpd.err" &
LPID=$!
sleep 0.5

i=0
while [ $i -lt "$NFILES" ]; do
	head -c $((KB * 1024)) /dev/urandom >"$W/data/results/f$i.bin"
	i=$((i + 1))
done
total=$(du -sm "$W/data/results" | cut -f1)

# Each run pushes to a new, empty repository.
cat >"$W/prep.sh" <<EOF
#!/bin/sh
rm -rf "$W/repos/r.git" "$W/cli" "$W/scratch"
git init -q --bare "$W/repos/r.git"
git -C "$W/repos/r.git" symbolic-ref HEAD refs/heads/main
EOF
chmod +x "$W/prep.sh"
URL="http://127.0.0.1:$port/git/r.git"
export GF_STATE=none GF_GIT_TOKEN="$TOKEN"
GF="gf-commit -r $URL -b main -l bench --no-index -a $W/data/results -m bench </dev/null >/dev/null 2>&1"
CLI="cp -r $W/data/results $W/cli && cd $W/cli && git init -q -b main && git add -A && git -c user.name=b -c user.email=b@b commit -qm bench && git push -q http://x-access-token:$TOKEN@127.0.0.1:$port/git/r.git main"
# The same delta-window memory bound gf-commit uses.
CLI2="cp -r $W/data/results $W/cli && cd $W/cli && git init -q -b main && git add -A && git -c user.name=b -c user.email=b@b commit -qm bench && git -c pack.windowMemory=256k push -q http://x-access-token:$TOKEN@127.0.0.1:$port/git/r.git main"

hyperfine --runs "$RUNS" --prepare "$W/prep.sh" --export-json "$W/h.json" \
    -n gf-commit "$GF" -n "git CLI" "$CLI" -n "git CLI 256k" "$CLI2" \
    >"$W/hyperfine.out" 2>&1 || {
	cat "$W/hyperfine.out" >&2; exit 1; }
# The copy the CLI needs for a fresh work tree, timed apart.
hyperfine --runs "$RUNS" --prepare "rm -rf $W/cli" --export-json "$W/cp.json" \
    -n copy "cp -r $W/data/results $W/cli" >/dev/null 2>&1

median() { jq -r ".results[] | select(.command == \"$2\") | .median" "$1"; }
g=$(median "$W/h.json" gf-commit)
c=$(median "$W/h.json" "git CLI")
c3=$(median "$W/h.json" "git CLI 256k")
cp=$(median "$W/cp.json" copy)
c2=$(echo "$c $cp" | awk '{ printf "%.3f", $1 - $2 }')
c4=$(echo "$c3 $cp" | awk '{ printf "%.3f", $1 - $2 }')

echo "## gf-commit: commit and push of $NFILES files ($total MB)"
echo
echo "Machine: $(nproc) cores, $(uname -sr), $(git --version), libgit2 $(pkg-config --modversion libgit2 2>/dev/null || echo ?); $(date -u +%Y-%m-%d)."
echo "Server: git-http-backend behind lighttpd with basic auth on 127.0.0.1; a new empty repository per run; random (incompressible) file contents; $RUNS runs each (hyperfine), medians."
echo
echo "| command | median (s) |"
echo "|---|---|"
printf '| gf-commit (fetch, blobs, tree, commit, push) | %.3f |\n' "$g"
printf '| git CLI (init, add, commit, push) | %.3f |\n' "$c2"
printf '| git CLI including the copy into a work tree | %.3f |\n' "$c"
printf '| git CLI, push with pack.windowMemory=256k (as gf-commit) | %.3f |\n' "$c4"
echo
echo "Ratio gf-commit / git CLI: $(echo "$g $c2" | awk '{ printf "%.2f", $1 / $2 }');" \
    "with the same delta-window bound: $(echo "$g $c4" | awk '{ printf "%.2f", $1 / $2 }')."
echo "Load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)."
