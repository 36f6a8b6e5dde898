#!/bin/sh
# gf-validate against a real Prometheus scraping a real node-exporter:
# the RAPL collector reads a fixture powercap tree and the textfile
# collector serves Kepler-named counters, both advanced by a writer at
# known rates (package 50 W measured, 45 W "Kepler": MAPE 10 %, MAE 5 W).
. "$GF_SRC/tests/lib.sh"

need xmllint libxml2-utils
need jq jq

SYSFS=$TEST_DIR/sys
TEXT=$TEST_DIR/textfile
make_powercap "$SYSFS" 0
mkdir -p "$TEXT"

# The writer: every 50 ms, counters = rate * elapsed, computed from one
# clock reading, so every scrape sees the same instant for all of them.
perl -MTime::HiRes=time,sleep -e '
	my ($sys, $text) = @ARGV;
	my $t0 = time;
	my %rapl = ("intel-rapl:0" => 50, "intel-rapl:0:0" => 30,
	    "intel-rapl:0:1" => 5);
	while (1) {
		my $dt = time - $t0;
		for my $z (keys %rapl) {
			my $f = "$sys/class/powercap/$z/energy_uj";
			open(my $fh, ">", "$f.tmp") or die;
			printf $fh "%d\n", $rapl{$z} * $dt * 1e6;
			close $fh;
			rename "$f.tmp", $f;
		}
		open(my $fh, ">", "$text/kepler.prom.tmp") or die;
		printf $fh "kepler_node_package_joules_total %.6f\n", 45 * $dt;
		printf $fh "kepler_node_core_joules_total %.6f\n", 30 * $dt;
		printf $fh "kepler_node_dram_joules_total{mode=\"dynamic\"} %.6f\n", 3 * $dt;
		printf $fh "kepler_node_dram_joules_total{mode=\"idle\"} %.6f\n", 2 * $dt;
		printf $fh "gf_zero_joules_total 0\n";
		printf $fh "container_cpu_usage_seconds_total{namespace=\"kepler\",pod=\"k\"} %.6f\n", 0.5 * $dt;
		printf $fh "machine_cpu_cores 4\n";
		printf $fh "kepler_exporter_build_info{version=\"0.7.12\",revision=\"abc\"} 1\n";
		close $fh;
		rename "$text/kepler.prom.tmp", "$text/kepler.prom";
		sleep 0.05;
	}' "$SYSFS" "$TEXT" &
test_track_pid $!

start_node_exporter "$SYSFS" "$TEXT"
start_prometheus 1s "${NE_URL#http://}"
# Start the clock at the first stored sample, then wait for enough
# samples for rate() over 4 s windows across [T0 + 6, T0 + 15]: Prometheus
# holds a sample newer than the end of the range.
wait_until 20 'the first RAPL sample' \
    'prom_value "$PROM_URL" node_rapl_package_joules_total >/dev/null' ||
	{ echo "Bail out! no RAPL samples"; exit 1; }
T0=$(date +%s)
S=$((T0 + 6))
E=$((T0 + 15))
wait_until 60 "samples after $E" \
    'prom_at_least "$PROM_URL" "timestamp(node_rapl_package_joules_total)" $((E + 1))' ||
	{ echo "Bail out! no samples after $E"; exit 1; }

cat >"$TEST_DIR/checks.yaml" <<'EOF'
config:
  mapping:
    actual: rapl
    predicted: kepler
validations:
  - name: package
    units: Watts
    rapl: sum(rate(node_rapl_package_joules_total[{rate_interval}]))
    kepler: sum(rate(kepler_node_package_joules_total{{job="{metal_job_name}"}}[{rate_interval}]))
    max_mape: 20.0
  - name: core
    units: Watts
    rapl: sum(rate(node_rapl_core_joules_total[{rate_interval}]))
    kepler: sum(rate(kepler_node_core_joules_total[{rate_interval}]))
    max_mae: 1
  - name: package-no-threshold
    rapl: sum(rate(node_rapl_package_joules_total[{rate_interval}]))
    kepler: sum(rate(kepler_node_package_joules_total[{rate_interval}]))
EOF
sed -e 's/max_mape: 20.0/max_mape: 5/' "$TEST_DIR/checks.yaml" >"$TEST_DIR/strict.yaml"

V="gf-validate --prometheus $PROM_URL --rate-interval 4s --step 1s --var metal_job_name=gf-test"

test_expect_success 'checks pass: exit 0, results in the document' "
	$V --checks checks.yaml --start $S --end $E --out rep --tag v0.7.12 </dev/null >doc.json &&
	jq -e '.validate.results | length == 3' doc.json &&
	jq -e '.validate.results[0] | .name == \"package\" and .verdict == \"PASS\"' doc.json &&
	jq -e '.validate.results[1].verdict == \"PASS\"' doc.json &&
	jq -e '.validate.results[2].verdict == \"NO-THRESHOLD\"' doc.json &&
	jq -e '.validate.verdict == \"PASS\" and .steps[-1].ok' doc.json
"

test_expect_success 'measured 50 W vs 45 W: MAE 5, MAPE 10 %' "
	jq -e '.validate.results[0] | (.mae - 5 | fabs) < 0.6 and (.mape - 10 | fabs) < 1 and .samples >= 8' doc.json &&
	jq -e '.validate.results[0] | (.mean_actual - 50 | fabs) < 1.5' doc.json &&
	jq -e '.validate.results[1] | .mae < 0.5' doc.json
"

test_expect_success 'report directory: report-*.md, tag json, artifacts, charts' "
	ls rep/report-v0.7.12.md rep/v0.7.12.json && ls rep/artifacts/package.json &&
	ls rep/images/package.svg rep/images/package-error.svg &&
	grep -q '^## Build Info' rep/report-*.md &&
	grep -q '^### Summary' rep/report-*.md &&
	grep -q '^### Details' rep/report-*.md &&
	grep -q '0.7.12' rep/report-*.md &&
	grep -q '](images/package.svg)' rep/report-*.md &&
	jq -e '.results[0][\"metric-name\"] == \"package\" and (.results[0].value.status | test(\"mape passed: true\"))' rep/v0.7.12.json &&
	jq -e '.actual.timestamps | length > 5' rep/artifacts/package.json &&
	! ls -a rep | grep -q gf-tmp
"

test_expect_success 'SVG charts are well-formed XML' "
	for f in rep/images/*.svg; do xmllint --noout \$f || exit 1; done
"

test_expect_code 1 'a failing threshold exits 1' "
	$V --checks strict.yaml --start $S --end $E --out rep2 </dev/null >doc2.json
"

test_expect_success 'the failure is recorded, with the report written' "
	jq -e '.validate.results[0].verdict == \"FAIL\"' doc2.json &&
	jq -e '.validate.results[0].reason | test(\"mape\")' doc2.json &&
	jq -e '.steps[-1].ok == false and .steps[-1].exit == 1' doc2.json &&
	grep -q FAIL rep2/report-*.md
"

cat >"$TEST_DIR/two.yaml" <<'EOF'
validations:
  - name: dram
    actual: sum(rate(node_rapl_dram_joules_total[4s]))
    predicted: rate(kepler_node_dram_joules_total[4s])
    max_mae: 1
EOF
test_expect_code 65 'a query with two series is an error (65)' "
	$V --checks two.yaml --start $S --end $E --out rep3 </dev/null >doc3.json 2>err3
"
test_expect_success 'the error names the query and the series, no report' "
	grep -q 'returned 2 series' err3 && grep -q 'mode=\"dynamic\"' err3 &&
	grep -q 'kepler_node_dram_joules_total' err3 && test ! -e rep3 &&
	jq -e '.steps[-1].exit == 65' doc3.json
"

cat >"$TEST_DIR/missing.yaml" <<'EOF'
validations:
  - name: nothing
    actual: sum(rate(node_rapl_package_joules_total[4s]))
    predicted: sum(rate(no_such_metric_total[4s]))
    max_mape: 10
EOF
test_expect_code 65 'a query with no series is an error (65)' "
	$V --checks missing.yaml --start $S --end $E </dev/null >/dev/null 2>err4
"
test_expect_success 'the error names the check and the query' "
	grep -q \"check 'nothing', predicted\" err4 && grep -q 'no series' err4 &&
	grep -q no_such_metric_total err4
"

cat >"$TEST_DIR/zero.yaml" <<'EOF'
validations:
  - name: zero actual
    actual: sum(rate(gf_zero_joules_total[4s]))
    predicted: sum(rate(kepler_node_core_joules_total[4s]))
    max_mae: 100
  - name: zero actual with mape
    actual: sum(rate(gf_zero_joules_total[4s]))
    predicted: sum(rate(kepler_node_core_joules_total[4s]))
    max_mape: 100
  - name: nan actual
    actual: sum(rate(gf_zero_joules_total[4s])) / sum(rate(gf_zero_joules_total[4s]))
    predicted: sum(rate(kepler_node_core_joules_total[4s]))
EOF
test_expect_code 1 'zero actuals: MAPE not computed, never inf' "
	$V --checks zero.yaml --start $S --end $E </dev/null >doc5.json
"
test_expect_success 'zero and NaN actuals are reported, not hidden' "
	jq -e '.validate.results[0] | .mape == null and .samples_mape == 0 and .verdict == \"PASS\" and (.mae - 30 | fabs) < 1.5' doc5.json &&
	jq -e '.validate.results[1] | .verdict == \"FAIL\" and (.reason | test(\"not computable\"))' doc5.json &&
	jq -e '.validate.results[2] | .samples == 0 and .dropped_nonfinite > 5 and .verdict == \"NO-THRESHOLD\"' doc5.json
"

# Windows from the document (as gf-stress records them).
jq -n --argjson s $S --argjson m $((S + 5)) --argjson e $E \
	'{windows: [{name: "idle", start: $s, end: $m}, {name: "cpu-load-50", start: $m, end: $e}],
	  stack: {prometheus: {url: "'"$PROM_URL"'"}}}' >"$TEST_DIR/win.json"
test_expect_success 'windows from the document, URL from stack.prometheus.url' "
	gf-validate --checks checks.yaml --rate-interval 4s --step 1s --var metal_job_name=gf-test \
		--out rep6 <win.json >doc6.json &&
	jq -e '.validate.results[0].windows | length == 2' doc6.json &&
	jq -e '.validate.results[0].windows[1] | .window == \"cpu-load-50\" and .verdict == \"PASS\" and (.mape - 10 | fabs) < 1.5' doc6.json &&
	jq -e '.validate.results[0].samples == (.validate.results[0].windows | map(.samples) | add)' doc6.json &&
	grep -q '^### Windows' rep6/report-*.md &&
	grep -q 'cpu-load-50' rep6/images/package.svg &&
	xmllint --noout rep6/images/package.svg
"

test_expect_success 'summaries: mean power, energy, J per unit of work' "
	gf-validate --power 'sum(rate(node_rapl_package_joules_total[4s]))' \
		--energy 'sum(node_rapl_package_joules_total)' \
		--work 'sum(kepler_node_core_joules_total)' --work-unit MJ \
		--idle-power 20 --rate-interval 4s --step 1s <win.json >doc7.json &&
	jq -e '.validate.summaries[1] | (.dynamic_energy_per_unit - 1 | fabs) < 0.05' doc7.json &&
	jq -e '.validate.summaries | length == 2' doc7.json &&
	jq -e '.validate.summaries[1] | (.mean_power_w - 50 | fabs) < 1.5' doc7.json &&
	jq -e '.validate.summaries[1] | (.energy_j / (.end - .start) - 50 | fabs) < 3' doc7.json &&
	jq -e '.validate.summaries[1] | (.energy_per_unit - 50 / 30 | fabs) < 0.05 and .work_unit == \"MJ\"' doc7.json
"

# A window before the first scrape (as the first, short window of a run can
# be) is noted in its summary; the others are summarised.
jq --argjson early $((S - 600)) \
	'.windows = [{name: "before", start: $early, end: ($early + 1)}] + .windows' \
	"$TEST_DIR/win.json" >"$TEST_DIR/win3.json"
jq '.windows |= .[0:1]' "$TEST_DIR/win3.json" >"$TEST_DIR/win1.json"
jq '.windows |= [.[0], .[0]]' "$TEST_DIR/win3.json" >"$TEST_DIR/win0.json"
test_expect_success 'summaries: a window without data is noted, the others summarised' "
	gf-validate --power 'sum(rate(node_rapl_package_joules_total[4s]))' \
		--rate-interval 4s --step 1s <win3.json >doc7b.json 2>err7b &&
	jq -e '.validate.summaries | length == 3' doc7b.json &&
	jq -e '.validate.summaries[0] | .mean_power_w == null and (.no_data[0] | test(\"no series\"))' doc7b.json &&
	jq -e '.validate.summaries[2] | (.mean_power_w - 50 | fabs) < 1.5 and .no_data == null' doc7b.json &&
	grep -q \"window 'before': --power: query returned no series\" err7b
"
test_expect_code 65 'summaries: no data in any window is 65' "
	gf-validate --power 'sum(rate(node_rapl_package_joules_total[4s]))' \
		--rate-interval 4s --step 1s <win0.json >doc7c.json 2>err7c; rc=\$?
	grep -q 'no data in any of the 2 windows' err7c || rc=99
	exit \$rc
"
test_expect_code 65 'summaries: one window, no data: 65 naming the query' "
	gf-validate --power 'sum(rate(node_rapl_package_joules_total[4s]))' \
		--rate-interval 4s --step 1s <win1.json >/dev/null 2>err7d; rc=\$?
	grep -q 'query returned no series' err7d || rc=99
	exit \$rc
"

test_expect_success 'CPU overhead of a namespace: mean and sd per window' "
	gf-validate --namespace kepler --rate-interval 4s --step 1s <win.json >doc15.json &&
	jq -e '.validate.summaries[1].overhead.kepler | (.mean - 12.5 | fabs) < 0.5 and .sd < 0.5 and .samples >= 4' doc15.json
"

test_expect_success 'validator.yaml-style config: URL, rate interval, jobs, checks file' "
	printf 'prometheus:\n  url: %s\n  rate_interval: 4s\n  step: 1s\n  job:\n    metal: gf-test\nvalidations_file: checks.yaml\n' $PROM_URL >validator.yaml &&
	gf-validate -c validator.yaml --start $S --end $E </dev/null >doc16.json &&
	jq -e '.validate | .step == 1 and .rate_interval == \"4s\" and .verdict == \"PASS\"' doc16.json &&
	jq -e '.validate.results[0].predicted_query | test(\"job=.gf-test.\")' doc16.json
"

cat >"$TEST_DIR/weights.json" <<'EOF'
{"package": {"All_Weights": {"Bias_Weight": 20, "Categorical_Variables": {},
  "Numerical_Variables": {"core_watts": {"scale": 1, "weight": 1}}}}}
EOF
test_expect_success 'a model scored per window against measured power' "
	gf-validate --model weights.json -M 'sum(rate(node_rapl_package_joules_total[4s]))' \
		--feature-query 'core_watts=sum(rate(node_rapl_core_joules_total[4s]))' --max-mape 5 \
		--step 1s --out rep17 <win.json >doc17.json &&
	jq -e '.validate.results[0] | .verdict == \"PASS\" and .mape < 1 and (.windows | length == 2)' doc17.json &&
	ls rep17/images/*.svg
"

test_expect_success 'gate not tripped: exit 0, value recorded' "
	$V --gate 'sum(rate(node_rapl_package_joules_total[4s]))' --op '<' --threshold 9 </dev/null >doc8.json &&
	jq -e '.validate.gate | .tripped == false and (.value - 50 | fabs) < 2 and .op == \"<\"' doc8.json
"
test_expect_code 1 'gate tripped: exit 1' "
	$V --gate 'sum(rate(node_rapl_package_joules_total[4s]))' --op '>' --threshold 9 </dev/null >doc9.json
"
test_expect_success 'tripped gate recorded in the document' "
	jq -e '.validate.gate.tripped == true and .steps[-1].exit == 1' doc9.json
"

test_expect_success 'GITHUB_STEP_SUMMARY gets the summary table' "
	GITHUB_STEP_SUMMARY=\$PWD/summary.md $V --checks checks.yaml --start $S --end $E </dev/null >/dev/null &&
	grep -q '| package |' summary.md && grep -q 'gf-validate' summary.md &&
	test \$(wc -c <summary.md) -le 1048576
"

test_expect_success 'built-in check set by name (Kepler 0.7 names)' "
	$V --checks rapl-kepler-0.7 --start $S --end $E </dev/null >doc10.json &&
	jq -e '.validate.results | length == 3 and all(.verdict == \"PASS\")' doc10.json &&
	jq -e '.validate.checks_file | test(\"share/checks/rapl-kepler-0.7.yaml\")' doc10.json
"

if command -v stress-ng >/dev/null 2>&1; then
	test_expect_success 'gf-stress windows flow into gf-validate' "
		gf-stress --plan idle:3 </dev/null 2>/dev/null |
		jq --arg u $PROM_URL '.stack.prometheus.url = \$u' |
		gf-validate --checks checks.yaml --rate-interval 4s --step 1s \
			--var metal_job_name=gf-test >doc11.json &&
		jq -e '.validate.results[0].windows[0].window == \"idle\"' doc11.json &&
		jq -e '.validate.results[0] | .verdict == \"PASS\" and .samples >= 2' doc11.json &&
		jq -e '[.steps[].tool] == [\"gf-stress\", \"gf-validate\"]' doc11.json
	"
else
	test_skip 'gf-stress windows flow into gf-validate' 'stress-ng not installed'
fi

test_expect_success 'a full GITHUB_STEP_SUMMARY is left alone' "
	head -c 1048500 /dev/zero | tr '\\0' x >full.md &&
	GITHUB_STEP_SUMMARY=\$PWD/full.md $V --checks checks.yaml --start $S --end $E </dev/null >/dev/null 2>err12 &&
	test \$(wc -c <full.md) -eq 1048500 && grep -q 'summary not appended' err12
"

test_expect_success 'credentials in the URL reach neither document, report nor logs' "
	AUTH_URL=\$(echo $PROM_URL | sed 's|://|://gfuser:s3cretpw@|') &&
	gf-validate -p \$AUTH_URL --checks checks.yaml --rate-interval 4s --step 1s \
		--var metal_job_name=gf-test --start $S --end $E --out rep13 </dev/null >doc13.json 2>err13 &&
	jq -e '.validate.prometheus == \"$PROM_URL\"' doc13.json &&
	! grep -r s3cretpw doc13.json err13 rep13 &&
	gf-validate -p \$AUTH_URL --checks missing.yaml --start $S --end $E </dev/null >doc14.json 2>err14;
	test \$? -eq 65 && ! grep s3cretpw doc14.json err14
"

test_done
