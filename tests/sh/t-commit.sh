#!/bin/sh
# gf-commit against a real git-http-backend behind lighttpd with basic auth
# on loopback: push, concurrent pushes, refused credentials, a server that
# goes away, existing files, guards, dry run, local repositories.
. "$GF_SRC/tests/lib.sh"

# libgit2 1.5 leaks pcre2 match data in its config regex lookups
# (libgit2/libgit2#6382, fixed after 1.5); not ours to free.
printf 'leak:libpcre2-8.so\n' \
    >"$TEST_DIR/lsan.supp"
export LSAN_OPTIONS="suppressions=$TEST_DIR/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

need lighttpd lighttpd
need git git
need jq jq

SRV=$TEST_DIR/srv
TOKEN=tok-$$-s3cret
REPO=$SRV/repos/results.git

# lighttpd serving $SRV/repos through git-http-backend behind basic auth;
# a push while $SRV/kill-on-push exists stops the server (sets GIT_URL).
start_git_server() {
	mkdir -p "$SRV/repos"
	git init -q --bare "$REPO"
	git -C "$REPO" symbolic-ref HEAD refs/heads/main
	echo "x-access-token:$TOKEN" >"$SRV/users"
	cat >"$SRV/backend.sh" <<-EOF
	#!/bin/sh
	case "\$REQUEST_METHOD \$PATH_INFO" in
	"POST "*git-receive-pack)
		if [ -e "$SRV/kill-on-push" ]; then
			kill "\$(cat "$SRV/lighttpd.pid")"
			exit 0
		fi;;
	esac
	exec "$(git --exec-path)/git-http-backend"
	EOF
	chmod +x "$SRV/backend.sh"
	port=$(free_port)
	cat >"$SRV/lighttpd.conf" <<-EOF
	server.modules = ("mod_alias", "mod_setenv", "mod_auth",
	    "mod_authn_file", "mod_cgi", "mod_accesslog")
	server.document-root = "$SRV"
	server.bind = "127.0.0.1"
	server.port = $port
	server.errorlog = "$SRV/error.log"
	accesslog.filename = "$SRV/access.log"
	server.pid-file = "$SRV/lighttpd.pid"
	alias.url = ("/git/" => "$SRV/backend.sh/")
	\$HTTP["url"] =~ "^/git/" {
		cgi.assign = ("" => "")
		setenv.add-environment = ("GIT_PROJECT_ROOT" => "$SRV/repos",
		    "GIT_HTTP_EXPORT_ALL" => "1")
		auth.backend = "plain"
		auth.backend.plain.userfile = "$SRV/users"
		auth.require = ("" => ("method" => "basic", "realm" => "git",
		    "require" => "valid-user"))
	}
	EOF
	lighttpd -D -f "$SRV/lighttpd.conf" >"$SRV/lighttpd.out" 2>&1 &
	LIGHTTPD_PID=$!
	test_track_pid $LIGHTTPD_PID
	GIT_URL="http://127.0.0.1:$port/git/results.git"
	wait_until 10 "lighttpd on port $port" \
	    '[ -s "$SRV/lighttpd.pid" ] && port_open "$port"' || {
		echo "Bail out! lighttpd did not start"
		diag "$(cat "$SRV/lighttpd.out")"; exit 1; }
}

tip() { git -C "$REPO" rev-parse -q --verify refs/heads/main; }
tree() { git -C "$REPO" ls-tree -r --name-only main; }
show() { git -C "$REPO" show "main:$1"; }

start_git_server
export GF_STATE=none
printf '{"mae": 1.5}\n' >"$TEST_DIR/report.json"

test_expect_success '--help prints the usage on stdout' '
	gf-commit --help >out && grep "^usage: gf-commit" out'
test_expect_success '--version' 'gf-commit -V | grep -q "^gf-commit (gf) "'
test_expect_code 64 'an unknown option is a usage error' '
	gf-commit --bogus </dev/null'
test_expect_code 64 'no repository is a usage error' '
	gf-commit --add report.json </dev/null'
test_expect_code 64 'an unknown layout variable is a usage error' '
	gf-commit -r local -l "x/{nope}" -a report.json </dev/null 2>err;
	rc=$?; grep -q "unknown variable" err || rc=99; exit $rc'
test_expect_code 64 'an invalid branch name: 64 naming it, the document passed on' '
	echo "{\"keep\": 1}" |
	    gf-commit -r "$GIT_URL" -b "a..b" -a report.json >doc.json 2>err
	rc=$?; grep -q -- "--branch '\''a..b'\'': not a valid branch name" err &&
	jq -e ".keep == 1 and .steps[-1].exit == 64 and .commit == null" \
	    doc.json >/dev/null || rc=99; exit $rc'
test_expect_code 78 'an invalid branch name from the environment: 78' '
	GF_COMMIT_BRANCH="a..b" gf-commit -r "$GIT_URL" -a report.json \
	    </dev/null >doc.json 2>err
	rc=$?; grep -q "GF_COMMIT_BRANCH '\''a..b'\''" err &&
	jq -e ".steps[-1].exit == 78" doc.json >/dev/null || rc=99; exit $rc'
test_expect_code 78 'a bad value in the -c file: 78 naming the file and key' '
	printf "repo: local\nmax_file_size: lots\n" >bad-size.yml &&
	gf-commit -c bad-size.yml -a report.json </dev/null >doc.json 2>err
	rc=$?; grep -q "bad-size.yml: field '\''max_file_size'\''" err &&
	jq -e ".steps[-1].exit == 78" doc.json >/dev/null || rc=99; exit $rc'
test_expect_success 'booleans and underscored keys in the -c file' '
	printf "repo: cfglocal\ninit: true\nno_index: yes\n" >bools.yml &&
	gf-commit -c bools.yml -a report.json </dev/null >doc.json &&
	test -d cfglocal && jq -e ".commit.rows == null" doc.json >/dev/null'
test_expect_success '{tag}: --tag, then the document, then the -c file' '
	printf "tag: cfg\n" >tag.yml &&
	echo "{\"stack\": {\"kepler\": {\"version\": \"v7\"}}}" >kv.json &&
	gf-commit -n -r t --init -l "{tag}" -a report.json -c tag.yml \
	    </dev/null >d1.json 2>/dev/null &&
	gf-commit -n -r t --init -l "{tag}" -a report.json -c tag.yml \
	    -i kv.json >d2.json 2>/dev/null &&
	gf-commit -n -r t --init -l "{tag}" -a report.json -c tag.yml \
	    -i kv.json --tag cli >d3.json 2>/dev/null &&
	test "$(jq -r .commit.dir d1.json d2.json d3.json | tr "\n" " ")" = \
	    "cfg v7 cli "'
test_expect_code 66 'a missing source file' '
	gf-commit -r "$GIT_URL" -a nope.json </dev/null'
test_expect_code 65 'a bad document is refused' '
	echo "{bad" | gf-commit -r "$GIT_URL" -a report.json'

test_expect_success 'commit and push with GF_GIT_TOKEN' '
	GF_GIT_TOKEN=$TOKEN gf-commit --repo "$GIT_URL" --branch main \
	    --layout validation --tag v0.7.11 --add report.json \
	    </dev/null >doc.json 2>err &&
	sha=$(jq -r .commit.sha doc.json) &&
	test "$sha" = "$(tip)" &&
	test "$(jq -r .commit.remote doc.json)" = "$GIT_URL" &&
	test "$(jq -r .commit.attempts doc.json)" = 1 &&
	dir=$(jq -r .commit.dir doc.json) &&
	case $dir in docs/validation/20*/validator-v0.7.11-*) ;; *) exit 1;; esac &&
	show "$dir/report.json" | grep -q mae &&
	show docs/kepler-model-validation.md >index.md &&
	grep -q "^| Date | Tag | Report | Artifacts |" index.md &&
	grep -q "| v0.7.11-.*(validation/.*/report.json)" index.md &&
	! grep -q "$TOKEN" doc.json err'

test_expect_success 'the token from a URL never reaches the document' '
	u=$(echo "$GIT_URL" | sed "s|//|//x-access-token:$TOKEN@|") &&
	printf "a\n" >url.txt &&
	gf-commit -r "$u" -a url.txt </dev/null >doc.json 2>err &&
	test "$(jq -r .commit.remote doc.json)" = "$GIT_URL" &&
	! grep -q "$TOKEN" doc.json err'

test_expect_success 'identity, Signed-off-by, message and a template layout' '
	printf "b\n" >b.txt &&
	GF_GIT_TOKEN=$TOKEN gf-commit -r "$GIT_URL" --signoff \
	    --author "Results Bot <bot@example.org>" -m "Add b" \
	    -l "results/{date}/{tag}" --tag t1 -a b.txt:sub/b.txt \
	    </dev/null >doc.json &&
	test "$(git -C "$REPO" log -1 --format="%an <%ae>" main)" = \
	    "Results Bot <bot@example.org>" &&
	git -C "$REPO" log -1 --format=%B main >msg &&
	grep -q "^Add b$" msg &&
	grep -q "^Signed-off-by: Results Bot <bot@example.org>$" msg &&
	tree | grep -q "^results/20[0-9-]*/t1/sub/b.txt$" &&
	jq -e ".commit.rows == null" doc.json'

test_expect_success 'GF_COMMIT_* and GIT_AUTHOR_* from the environment' '
	printf "env\n" >env.txt &&
	GF_GIT_TOKEN=$TOKEN GF_COMMIT_REPO=$GIT_URL GF_COMMIT_LAYOUT="env/{tag}" \
	    GF_COMMIT_TAG=e1 GIT_AUTHOR_NAME="Env Bot" \
	    GIT_AUTHOR_EMAIL=env@example.org gf-commit -a env.txt \
	    </dev/null >/dev/null &&
	tree | grep -q "^env/e1/env.txt$" &&
	test "$(git -C "$REPO" log -1 --format="%an <%ae>" main)" = \
	    "Env Bot <env@example.org>" &&
	GF_GIT_TOKEN=$TOKEN GF_COMMIT_REPO=$GIT_URL GF_COMMIT_TAG=e1 \
	    gf-commit -l "env/{tag}" --tag e2 -a env.txt </dev/null >/dev/null &&
	tree | grep -q "^env/e2/env.txt$" &&
	test "$(git -C "$REPO" log -1 --format="%an" main)" = "github-actions[bot]"'

test_expect_success 'GITHUB_TOKEN is used when GF_GIT_TOKEN is unset' '
	printf "c\n" >c.txt &&
	GITHUB_TOKEN=$TOKEN gf-commit -r "$GIT_URL" -a c.txt </dev/null >/dev/null'

test_expect_success 'a kept --work-dir is reused by the next run' '
	printf "w1\n" >w1.txt && printf "w2\n" >w2.txt &&
	GF_GIT_TOKEN=$TOKEN gf-commit -r "$GIT_URL" --work-dir wd -a w1.txt \
	    </dev/null >/dev/null &&
	test -d wd &&
	GF_GIT_TOKEN=$TOKEN gf-commit -r "$GIT_URL" --work-dir wd -a w2.txt \
	    </dev/null >doc.json &&
	test "$(jq -r .commit.sha doc.json)" = "$(tip)" &&
	tree | grep -q "/w1.txt$" && tree | grep -q "/w2.txt$"'

test_expect_success 'eight concurrent runs on one branch all land' '
	before=$(git -C "$REPO" rev-list --count main) &&
	rows_before=$(show docs/kepler-model-validation.md | grep -c "^| 20") &&
	for i in 1 2 3 4 5 6 7 8; do
		printf "{\"run\": $i}\n" >conc-$i.json
		( GF_GIT_TOKEN=$TOKEN gf-commit --repo "$GIT_URL" \
		    --branch main --layout validation --add conc-$i.json \
		    </dev/null >conc-$i.out 2>conc-$i.err
		  echo $? >conc-$i.rc ) &
	done; wait &&
	for i in 1 2 3 4 5 6 7 8; do
		test "$(cat conc-$i.rc)" = 0 || { cat conc-$i.err; exit 1; }
		sha=$(jq -r .commit.sha conc-$i.out) &&
		git -C "$REPO" merge-base --is-ancestor "$sha" main &&
		tree | grep -q "/conc-$i.json$" || exit 1
	done &&
	test "$(git -C "$REPO" rev-list --count main)" = $((before + 8)) &&
	test "$(git -C "$REPO" rev-list --merges --count main)" = 0 &&
	show docs/kepler-model-validation.md >index.md &&
	test "$(grep -c "^| 20" index.md)" = $((rows_before + 8)) &&
	test -z "$(grep "^| 20" index.md | sort | uniq -d)" &&
	for i in 1 2 3 4 5 6 7 8; do
		test "$(grep -c "/conc-$i.json)" index.md)" = 1 || exit 1
	done'

test_expect_success 'four first runs on an empty repository all land' '
	git init -q --bare "$SRV/repos/fresh.git" &&
	for i in 1 2 3 4; do
		( GF_GIT_TOKEN=$TOKEN gf-commit -r "${GIT_URL%/*}/fresh.git" \
		    -a conc-$i.json </dev/null >fr-$i.out 2>fr-$i.err
		  echo $? >fr-$i.rc ) &
	done; wait &&
	for i in 1 2 3 4; do
		test "$(cat fr-$i.rc)" = 0 || { cat fr-$i.err; exit 1; }
		sha=$(jq -r .commit.sha fr-$i.out) &&
		git -C "$SRV/repos/fresh.git" merge-base --is-ancestor "$sha" \
		    main || exit 1
	done &&
	test "$(git -C "$SRV/repos/fresh.git" rev-list --count main)" = 4'

# Counted on a repository path of its own: lighttpd writes its access log
# seconds late, so lines of earlier tests would otherwise mix in.
test_expect_code 78 'a wrong token is a clear error, asked once' '
	printf "w\n" >w.txt &&
	GF_GIT_TOKEN=wrong-token gf-commit -r "${GIT_URL%/*}/token-check.git" \
	    -a w.txt </dev/null >doc.json 2>err; rc=$?
	wait_until 15 "the 401 in the access log" \
	    "grep -q \"token-check.git.* 401 \" \"\$SRV/access.log\""
	n=$(grep -c "token-check.git.* 401 " "$SRV/access.log")
	grep -q "refused the credentials from GF_GIT_TOKEN" err &&
	test "$n" -ge 1 && test "$n" -le 2 &&
	test "$(jq -r ".steps[-1].exit" doc.json)" = 78 &&
	! grep -q wrong-token doc.json err || rc=99; exit $rc'

test_expect_code 78 'no token at all says which variable to set' '
	printf "w\n" >w.txt &&
	gf-commit -r "$GIT_URL" -a w.txt </dev/null >/dev/null 2>err; rc=$?
	grep -q GF_GIT_TOKEN err || rc=99; exit $rc'

test_expect_success 'an existing file gets a numbered name (rename)' '
	printf "one\n" >same.json &&
	GF_GIT_TOKEN=$TOKEN gf-commit -r "$GIT_URL" -l "fixed" -a same.json \
	    --no-index </dev/null >/dev/null &&
	printf "two\n" >same.json &&
	GF_GIT_TOKEN=$TOKEN gf-commit -r "$GIT_URL" -l "fixed" -a same.json \
	    </dev/null >doc.json &&
	test "$(show fixed/same.json)" = one &&
	test "$(show fixed/same-2.json)" = two &&
	test "$(jq -r ".commit.files[0].path" doc.json)" = fixed/same-2.json'

test_expect_success 'identical content is left alone: no new commit' '
	t0=$(tip) &&
	GF_GIT_TOKEN=$TOKEN gf-commit -r "$GIT_URL" -l "fixed" -a same.json \
	    </dev/null >doc.json &&
	test "$(tip)" = "$t0" &&
	test "$(jq -r .commit.sha doc.json)" = "$t0" &&
	test "$(jq -r ".commit.files[0].status" doc.json)" = unchanged'

test_expect_success '--exists replace overwrites' '
	printf "three\n" >same.json &&
	GF_GIT_TOKEN=$TOKEN gf-commit -r "$GIT_URL" -l fixed -a same.json \
	    --exists replace </dev/null >doc.json &&
	test "$(show fixed/same.json)" = three &&
	test "$(jq -r ".commit.files[0].status" doc.json)" = replaced'

test_expect_code 73 '--exists fail refuses an existing file' '
	printf "four\n" >same.json &&
	GF_GIT_TOKEN=$TOKEN gf-commit -r "$GIT_URL" -l fixed -a same.json \
	    --exists fail </dev/null >/dev/null 2>err; rc=$?
	grep -q "already exists" err || rc=99; exit $rc'

test_expect_code 65 'a file over the size limit is refused, nothing pushed' '
	t0=$(tip) &&
	head -c 2000 /dev/zero >big.bin &&
	GF_GIT_TOKEN=$TOKEN gf-commit -r "$GIT_URL" -a report.json -a big.bin \
	    --max-file-size 1kB </dev/null >/dev/null 2>err; rc=$?
	grep -q "over the per-file limit" err && test "$(tip)" = "$t0" || rc=99
	exit $rc'

test_expect_code 65 'a total over the budget is refused' '
	GF_GIT_TOKEN=$TOKEN gf-commit -r "$GIT_URL" -a big.bin -a report.json \
	    --max-total 1kB </dev/null >/dev/null 2>err; rc=$?
	grep -q "over the budget" err || rc=99; exit $rc'

test_expect_code 65 'a file containing the token is never committed' '
	t0=$(tip) &&
	printf "leak: %s\n" "$TOKEN" >leak.txt &&
	GF_GIT_TOKEN=$TOKEN gf-commit -r "$GIT_URL" -a leak.txt \
	    </dev/null >doc.json 2>err; rc=$?
	grep -q "contains the value of a secret" err && test "$(tip)" = "$t0" &&
	! grep -q "$TOKEN" doc.json err || rc=99; exit $rc'

test_expect_code 65 'a file containing a GF_SECRET_* value is refused' '
	printf "pw=hunter2hunter2\n" >leak2.txt &&
	GF_SECRET_DB=hunter2hunter2 GF_GIT_TOKEN=$TOKEN gf-commit \
	    -r "$GIT_URL" -a leak2.txt </dev/null >/dev/null'

test_expect_success '--dry-run prints the plan and touches nothing' '
	t0=$(tip) &&
	gf-commit -n -r http://127.0.0.1:9/none.git --tag v1 -a report.json \
	    </dev/null >doc.json 2>err &&
	grep -q "would add docs/validation/.*/report.json" err &&
	grep -q "would append to docs/kepler-model-validation.md" err &&
	test "$(jq -r .commit.dry_run doc.json)" = true &&
	test "$(jq -r .commit.sha doc.json)" = null && test "$(tip)" = "$t0"'

test_expect_success 'sources come from the document' '
	mkdir -p vout && printf "# r\n" >vout/report-v1.md &&
	printf "x\n" >vout/v1.json && printf "tgz" >snap.tar.gz &&
	jq -n --arg d "$TEST_DIR/vout" --arg s "$TEST_DIR/snap.tar.gz" \
	    "{run: {id: \"r1\", start: \"2026-01-02T03:04:05Z\"},
	      validate: {out: \$d, report: (\$d + \"/../vout/report-v1.md\"),
	        json: (\$d + \"/v1.json\")},
	      snapshot: {archive: \$s}}" >in.json &&
	GF_GIT_TOKEN=$TOKEN gf-commit -r "$GIT_URL" --tag v1 -i in.json >doc.json &&
	d=docs/validation/2026-01-02/validator-v1-03-04-05 &&
	tree >t && grep -q "^$d/report-v1.md$" t && grep -q "^$d/v1.json$" t &&
	grep -q "^$d/prometheus-snapshot/snap.tar.gz$" t &&
	test "$(jq ".commit.files | length" doc.json)" = 3 &&
	show docs/kepler-model-validation.md |
	    grep -q "\[Report\](validation/2026-01-02/validator-v1-03-04-05/report-v1.md)"'

test_expect_code 3 'it runs after a failed step and keeps its status' '
	jq -n "{steps: [{tool: \"gf-validate\", ok: false, exit: 3}]}" >f.json &&
	printf "after\n" >after.txt &&
	GF_GIT_TOKEN=$TOKEN gf-commit -r "$GIT_URL" -a after.txt -i f.json \
	    >doc.json; rc=$?
	tree | grep -q after.txt && jq -e .commit.sha doc.json >/dev/null || rc=99
	exit $rc'

test_expect_code 74 'a full stdout is an I/O error' '
	printf "full\n" >full.txt &&
	GF_GIT_TOKEN=$TOKEN gf-commit -r "$GIT_URL" -a full.txt </dev/null \
	    >/dev/full'

test_expect_success 'a local repository is created with --init' '
	gf-commit -r local --init -l train-validate-e2e --model AbsPower/X \
	    -a report.json </dev/null >doc.json &&
	test -f local/docs/kepler-model-train-validate.md &&
	ls local/docs/train-validate-e2e/*/AbsPower/X/report.json &&
	test "$(git -C local rev-parse main)" = "$(jq -r .commit.sha doc.json)" &&
	test -z "$(git -C local status --porcelain)"'

test_expect_code 66 'a missing local repository without --init' '
	gf-commit -r nowhere -a report.json </dev/null >/dev/null'

test_expect_success 'concurrent runs on a local bare repository' '
	git init -q --bare lb.git &&
	for i in 1 2 3 4; do
		( gf-commit -r lb.git -a conc-$i.json </dev/null >/dev/null \
		    2>lb-$i.err; echo $? >lb-$i.rc ) &
	done; wait &&
	for i in 1 2 3 4; do
		test "$(cat lb-$i.rc)" = 0 || { echo "run $i: exit $(cat lb-$i.rc)"; cat lb-$i.err; exit 1; }
	done &&
	{ test "$(git -C lb.git rev-list --count main)" = 4 || {
		echo "commits on main:"; git -C lb.git log --format="%h %p" main
		cat lb-*.err; exit 1; }; } &&
	test "$(git -C lb.git show main:docs/kepler-model-validation.md |
	    grep -c "^| 20")" = 4'

test_expect_code 69 'a repository the server does not have' '
	GF_GIT_TOKEN=$TOKEN gf-commit -r "${GIT_URL%/*}/nope.git" -a report.json \
	    </dev/null >/dev/null 2>err; rc=$?; cat err >&2; exit $rc'

test_expect_success 'settings from a -c file; the command line wins' '
	printf "cfg\n" >cfg.txt &&
	printf "repo: %s\nlayout: \"cfg/{tag}\"\ntag: fromfile\nbranch: other\n" \
	    "$GIT_URL" >c.yml &&
	GF_GIT_TOKEN=$TOKEN gf-commit -c c.yml -b main -a cfg.txt \
	    </dev/null >doc.json &&
	tree | grep -q "^cfg/fromfile/cfg.txt$" &&
	test "$(jq -r .commit.branch doc.json)" = main'

test_expect_code 65 'a malformed -c file' '
	printf "repo: [\n" >bad.yml &&
	gf-commit -c bad.yml -a cfg.txt </dev/null >/dev/null'

test_expect_code 65 'a password given in the URL is a secret too' '
	printf "pw %s\n" "$TOKEN" >pw.txt &&
	u=$(echo "$GIT_URL" | sed "s|//|//ci:$TOKEN@|") &&
	gf-commit -n -r "$u" -a pw.txt </dev/null >doc.json 2>err; rc=$?
	! grep -q "$TOKEN" doc.json err || rc=99; exit $rc'

test_expect_code 75 'a server that goes away mid-push: retries, then 75' '
	touch "$SRV/kill-on-push" &&
	printf "late\n" >late.txt &&
	GF_GIT_TOKEN=$TOKEN gf-commit -r "$GIT_URL" -a late.txt --retries 3 \
	    </dev/null >doc.json 2>err; rc=$?
	cat err >&2
	! kill -0 $LIGHTTPD_PID 2>/dev/null &&
	test "$(grep -c "retrying\|trying again" err)" -ge 1 &&
	test "$(jq -r ".steps[-1].exit" doc.json)" = 75 || rc=99; exit $rc'

test_done
