#!/bin/sh
# The run document, named once: the table of lib/gf_section.c is the list
# gf(7) is checked against (every field of the table named under its
# section's entry, no other field named there), and the documents the
# real tools write hold only keys the table has, of its types: absolute
# paths, unix-seconds times, RFC 3339 where the table says so.
. "$GF_SRC/tests/lib.sh"
need jq jq

cd "$TEST_DIR" || exit 1
export GF_STATE=none
HERE=$(pwd -P)

"$GF_BUILD/tests/bin/section-table" >table.tsv || exit 1
jq -R -s 'split("\n") | map(select(length > 0) | split("\t") |
    {section: .[0], name: .[1], type: .[2]})' table.tsv >table.json

# section<TAB>word for every .Cm/.Li word inside an entry of THE RUN
# DOCUMENT's list; "section<TAB>" for the entry itself.
man_words() {	# MANPAGE
	awk '
	/^\.Sh / { insh = ($0 == ".Sh THE RUN DOCUMENT"); depth = 0
		sec = ""; next }
	!insh { next }
	/^\.Bl/ { depth++; next }
	/^\.El/ { if (--depth == 0) sec = ""; next }
	depth == 1 && /^\.It Cm / { sec = $3; print sec "\t"; next }
	sec == "" || !/^\./ { next }
	{
		collect = 0
		for (i = 1; i <= NF; i++) {
			w = $i
			if (i == 1)
				sub(/^\./, "", w)
			if (w ~ /^[A-Z][a-z][a-z]?$/) {
				collect = (w == "Cm" || w == "Li")
				continue
			}
			sub(/\[\]$/, "", w)
			if (collect && w ~ /^[a-z][a-z0-9_]*$/)
				print sec "\t" w
		}
	}' "$1" | LC_ALL=C sort -u
}
# section<TAB>word for every component of every field of the table.
table_words() {
	awk -F'\t' '{ print $1 "\t"; n = split($2, p, ".")
		for (i = 1; i <= n; i++) { sub(/\[\]$/, "", p[i])
			print $1 "\t" p[i] } }' table.tsv | LC_ALL=C sort -u
}
# Fails, naming the difference, when MANPAGE and the table disagree; a
# reserved entry without fields (cluster) is allowed.
man_matches_table() {	# MANPAGE
	man_words "$1" >man.words && table_words >table.words &&
	test -s man.words &&
	LC_ALL=C comm -13 man.words table.words >missing &&
	LC_ALL=C comm -23 man.words table.words | grep -v '^cluster	$' >extra
	if [ -s missing ] || [ -s extra ]; then
		sed 's/^/gf(7) lacks: /' missing
		sed 's/^/not in the table: /' extra
		return 1
	fi
}

test_expect_success 'gf(7) names every field of the table, and no other' '
	man_matches_table "$GF_SRC/man/gf.7"
'

test_expect_success 'the check fails on a field gf(7) lacks or has too many' '
	sed "/^\.Cm removed\$/d" "$GF_SRC/man/gf.7" >lacks.7 &&
	! man_matches_table lacks.7 >out && grep -q "lacks: snapshot	removed" out &&
	sed "s/^\.Cm sha256 ,\$/.Cm sha256 , Cm sha512 ,/" "$GF_SRC/man/gf.7" >extra.7 &&
	! man_matches_table extra.7 >out && grep -q "not in the table: snapshot	sha512" out
'

cat >check.jq <<'JQ'
def at($parts):
	if ($parts | length) == 0 then .
	else ($parts[0]) as $p | ($p | rtrimstr("[]")) as $k
	| (if type == "object" and has($k) then .[$k] else empty end)
	| (if $p | endswith("[]") then (if type == "array" then .[]
	    else empty end) else . end)
	| at($parts[1:])
	end;
def entries($s):
	if has($s) then (.[$s] | if type == "array" then .[] else . end)
	else empty end;
def typeok($t):
	if . == null then true
	elif $t == "string" then type == "string"
	elif $t == "number" or $t == "time" then type == "number"
	elif $t == "integer" then type == "number" and . == floor
	elif $t == "boolean" then type == "boolean"
	elif $t == "object" then type == "object"
	elif $t == "array" then type == "array"
	elif $t == "rfc3339" then type == "string" and
	    test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?Z$")
	elif $t == "path" then type == "string" and startswith("/")
	elif $t == "relpath" then type == "string" and (startswith("/") | not)
	else true end;
$t[0] as $table | . as $doc
| ($table | map(.section) | unique)[] as $s
| ($table | map(select(.section == $s and (.name | contains(".") | not))
    | .name)) as $top
| ( $doc | entries($s) | select(type == "object") | keys[]
    | select(. as $k | $top | index($k) | not)
    | "\($s).\(.): written, not in the table" ),
  ( $table[] | select(.section == $s) | . as $f
    | $doc | entries($s) | at($f.name | split("."))
    | select(typeok($f.type) | not)
    | "\($s).\($f.name): \(tojson) is not of type \($f.type)" )
JQ
# Every key the document's sections hold is in the table, of its type.
doc_ok() {	# DOC
	jq -r --slurpfile t table.json -f check.jq "$1" >problems &&
	if [ -s problems ]; then cat problems; return 1; fi
}

test_expect_success 'the checker finds a key the table lacks and a relative path' '
	echo "{\"snapshot\": {\"archive\": \"a.tar\", \"bogus\": 1}}" >bad.json &&
	! doc_ok bad.json >out &&
	grep -q "snapshot.bogus: written, not in the table" out &&
	grep -q "snapshot.archive: \"a.tar\" is not of type path" out
'

test_expect_success 'gf-provision up: hosts, provision, run' '
	mkdir -p sys &&
	gf-provision up --provider local --sysfs sys </dev/null >up.json &&
	doc_ok up.json &&
	test "$(jq -r ".hosts[0].rapl.path" up.json)" = "$HERE/sys/class/powercap"
'

test_expect_success 'gf-stress -n: stress, windows' '
	gf-stress -P idle:1 -n <up.json >stress-n.json && doc_ok stress-n.json
'

# Actual 10 20 0 40 every 3 s from t=100, predicted 12 15 1 40.
cat >rec.json <<'JSON'
{
 "A": {"resultType": "matrix", "result": [{"metric": {},
   "values": [[100, "10"], [103, "20"], [106, "0"], [109, "40"]]}]},
 "P": {"resultType": "matrix", "result": [{"metric": {},
   "values": [[100, "12"], [103, "15"], [106, "1"], [109, "40"]]}]}
}
JSON
printf 'validations:\n  - name: package\n    actual: A\n    predicted: P\n    max_mape: 20\n' >checks.yaml

test_expect_success 'gf-validate -o vout: validate, with absolute paths' '
	gf-validate --from-json rec.json --step 3s --start 100 --end 120 \
	    -k checks.yaml -o vout <up.json >v.json &&
	doc_ok v.json &&
	jq -e --arg d "$HERE" ".validate | .out == \"\(\$d)/vout\"
	    and (.report | startswith(\"\(\$d)/vout/report-\"))
	    and (.json | startswith(\"\(\$d)/vout/\"))
	    and .checks_file == \"\(\$d)/checks.yaml\"" v.json &&
	test -f "$(jq -r .validate.report v.json)"
'

test_expect_success 'gf-commit --repo repo: commit, with absolute paths' '
	gf-commit --repo repo --init <v.json >c.json &&
	doc_ok c.json &&
	test "$(jq -r .commit.remote c.json)" = "$HERE/repo" &&
	jq -e --arg d "$HERE" "[.commit.files[].source |
	    startswith(\"\(\$d)/vout/\")] | all" c.json
'

CSV="$GF_DATA/kepler-model-db/nx12/preprocess_abs_default_rapl_Basic.csv"
if [ -f "$CSV" ]; then
	test_expect_success 'gf-train --out models: train, with absolute paths' '
		gf-train --from-csv "$CSV" --trainers SGDRegressorTrainer \
		    --out models <up.json >t.json 2>/dev/null &&
		doc_ok t.json &&
		test "$(jq -r .train.out t.json)" = "$HERE/models/gf" &&
		test -d "$(jq -r .train.out t.json)/rapl-sysfs"
	'
	test_expect_success 'gf-train --extract-only: the preprocessed tables' '
		gf-train --from-csv "$CSV" --extract-only --out ex <up.json \
		    >x.json 2>/dev/null &&
		doc_ok x.json &&
		f=$(jq -r ".train.preprocessed[0].file" x.json) &&
		test -f "$(jq -r .train.out x.json)/$f"
	'
else
	test_skip 'gf-train --out models: train, with absolute paths' \
	    "no $CSV (GF_DATA)"
	test_skip 'gf-train --extract-only: the preprocessed tables' \
	    "no $CSV (GF_DATA)"
fi

if command -v prometheus >/dev/null && command -v prometheus-node-exporter >/dev/null
then
	trap 'gf-kepler-install --stop -d "$TEST_DIR/stack" </dev/null \
	    >/dev/null 2>&1; test_cleanup' EXIT
	test_expect_success 'a stack, a run, a snapshot: stack, cleanup, snapshot' '
		gf-kepler-install --components prometheus,node-exporter \
		    --power simulated -d stack <up.json 2>/dev/null |
		    gf-stress -P idle:1 2>/dev/null >run.json &&
		doc_ok run.json &&
		test "$(jq -r .stack.state_dir run.json)" = "$HERE/stack" &&
		test "$(jq -r .cleanup[0].state_dir run.json)" = "$HERE/stack" &&
		gf-snapshot -o snap <run.json >snap.json 2>/dev/null &&
		doc_ok snap.json &&
		jq -e --arg d "$HERE" ".snapshot | (.archive | startswith(\"\(\$d)/snap/\"))
		    and (.record | startswith(\"\(\$d)/snap/\"))
		    and .data_dir == \"\(\$d)/stack/prometheus/data\"" snap.json
	'
	test_expect_success '--stop -d stack and down: released, stopped' '
		gf-kepler-install --stop -d stack <snap.json >stop.json 2>/dev/null &&
		doc_ok stop.json &&
		jq -e ".stack.running == false and .cleanup[0].released" stop.json &&
		gf-provision down <stop.json >down.json 2>/dev/null &&
		doc_ok down.json
	'
else
	test_skip 'a stack, a run, a snapshot: stack, cleanup, snapshot' \
	    'no prometheus or prometheus-node-exporter'
	test_skip '--stop -d stack and down: released, stopped' \
	    'no prometheus or prometheus-node-exporter'
fi

test_done
