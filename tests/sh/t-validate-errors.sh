#!/bin/sh
# gf-validate: exact metrics on recorded series (--from-json), model
# scoring, and every exit status of the man page.
. "$GF_SRC/tests/lib.sh"

need jq jq

cd "$TEST_DIR" || exit 1

# Actual: 10 20 0 40 NaN 50 every 3 s from t=100; predicted: 12 15 1 40 5
# with nothing at t=115 (a gap). Pairs (10,12) (20,15) (0,1) (40,40):
# MAE 2, MSE 7.5, MAPE (0.2 + 0.25 + 0) / 3 = 15 % over actual > 0.
cat >rec.json <<'EOF'
{
 "A": {"resultType": "matrix", "result": [{"metric": {"job": "a"},
   "values": [[100, "10"], [103, "20"], [106, "0"], [109, "40"], [112, "NaN"], [115, "50"]]}]},
 "P": {"status": "success", "data": {"resultType": "matrix", "result": [{"metric": {},
   "values": [[100, "12"], [103, "15"], [106, "1"], [109, "40"], [112, "5"]]}]}},
 "TWO": {"resultType": "matrix", "result": [
   {"metric": {"mode": "idle"}, "values": [[100, "1"]]},
   {"metric": {"mode": "dynamic"}, "values": [[100, "1"]]}]},
 "cpu": {"resultType": "matrix", "result": [{"metric": {},
   "values": [[100, "5"], [103, "10"], [106, "15"]]}]},
 "watts": {"resultType": "matrix", "result": [{"metric": {},
   "values": [[100, "20"], [103, "30"], [106, "44"]]}]}
}
EOF
cat >checks.yaml <<'EOF'
validations:
  - name: exact
    units: Watts
    actual: "{a}"
    predicted: P
    max_mape: 15
  - name: strict
    actual: A
    predicted: P
    max_mae: 1.99
EOF
R="gf-validate --from-json rec.json --step 3s --start 100 --end 120 -D a=A"

test_expect_code 1 'recorded series: one check passes, one fails' "
	$R -k checks.yaml -o out </dev/null >doc.json
"
test_expect_success 'exact MAE, MSE, MAPE; NaN and gap samples counted' "
	jq -e '.validate.results[0] | .mae == 2 and .mse == 7.5 and .mape == 15
		and .samples == 4 and .samples_mape == 3 and .dropped_actual == 2
		and .dropped_predicted == 1 and .dropped_nonfinite == 1
		and .verdict == \"PASS\"' doc.json &&
	jq -e '.validate.results[1] | .verdict == \"FAIL\" and .reason == \"mae 2 > 1.99\"' doc.json &&
	jq -e '.validate | .passed == 1 and .failed == 1 and .verdict == \"FAIL\"' doc.json &&
	jq -e '.results[1].value.status == \"mae passed: false\"' out/*.json &&
	grep -q '| exact | 7.5000 | 15.0000 | 2.0000 |' out/report-*.md
"

cat >model.json <<'EOF'
{"package": {"All_Weights": {"Bias_Weight": 10, "Categorical_Variables": {},
  "Numerical_Variables": {"cpu": {"scale": 1, "weight": 2}}}}}
EOF
test_expect_success 'a model is scored against measured power' "
	$R --model model.json -M watts --feature-query cpu=cpu --max-mae 2 </dev/null >m.json &&
	jq -e --arg d \"\$(pwd -P)\" '.validate.results[0] | (.name | startswith(\"model\")) and .samples == 3
		and (.mae - 4 / 3 | fabs) < 1e-9 and .verdict == \"PASS\" and .model == (\$d + \"/model.json\")' m.json
"
echo '{"windows": [{"name": "a", "start": 100, "end": 105},
  {"name": "b", "start": 106, "end": 115}]}' >win.json
test_expect_success 'recorded series: each window summarises its own samples' "
	gf-validate --from-json rec.json --step 3s --power watts <win.json >w.json &&
	jq -e '.validate.summaries | map(.mean_power_w) == [25, 44]' w.json
"
test_expect_success 'recorded series: the gate reads the last sample at or before the end' "
	gf-validate --from-json rec.json --start 100 --end 110 --gate A --op '<' -T 45 </dev/null >g1.json;
	test \$? = 1 &&
	jq -e '.validate.gate | .value == 40 and .time == 109 and .tripped' g1.json &&
	gf-validate --from-json rec.json --start 100 --end 120 --gate A --op '<' -T 45 </dev/null >g2.json &&
	jq -e '.validate.gate | .value == 50 and (.tripped | not)' g2.json
"
cat >gfmodel.json <<'EOF'
{"format": "gf-model", "version": 1, "trainer": "LinearRegressionTrainer",
 "features": ["cpu"], "scaler": {"type": "MaxAbsScaler", "max_abs": [1]},
 "params": {"coef": [2], "intercept": 10}, "feature_queries": {"cpu": "cpu"}}
EOF
test_expect_success 'a gf model file brings its feature queries' "
	$R --model gfmodel.json -M watts --max-mape 10 </dev/null >m2.json &&
	jq -e '.validate.results[0] | .name == \"model LinearRegressionTrainer\"
		and (.mae - 4 / 3 | fabs) < 1e-9 and .verdict == \"PASS\"' m2.json
"
test_expect_code 64 'a model feature without a query is a usage error' "
	$R --model model.json -M watts </dev/null >/dev/null 2>err; rc=\$?
	grep -q 'feature-query cpu=' err && exit \$rc
"

test_expect_code 65 'two series: 65 naming the label sets' "
	printf 'validations:\n  - name: two\n    actual: A\n    predicted: TWO\n' >two.yaml &&
	$R -k two.yaml -o out2 </dev/null >/dev/null 2>err; rc=\$?;
	grep -q 'returned 2 series' err && grep -q 'mode=\"idle\"' err && test ! -e out2 && exit \$rc
"
test_expect_code 65 'unknown template variable: 65 naming it' "
	printf 'validations:\n  - name: t\n    actual: \"{nope}\"\n    predicted: P\n' >t.yaml &&
	$R -k t.yaml </dev/null >/dev/null 2>err; rc=\$?; grep -q '{nope}' err && exit \$rc
"
test_expect_code 65 'checks YAML that does not parse: 65 with line and column' "
	printf 'validations:\n  - name: [x\n' >bad.yaml &&
	$R -k bad.yaml </dev/null >/dev/null 2>err; rc=\$?; grep -q 'bad.yaml:[0-9]*:[0-9]*' err && exit \$rc
"
test_expect_code 65 'bad threshold type: 65 naming the field' "
	printf 'validations:\n  - name: x\n    actual: A\n    predicted: P\n    max_mse: [1]\n' >th.yaml &&
	$R -k th.yaml </dev/null >/dev/null 2>err; rc=\$?; grep -q 'validations\[0\].max_mse' err && exit \$rc
"
test_expect_code 65 'bad document on stdin: 65' "
	echo '{\"windows\": [' | $R -k checks.yaml >/dev/null
"
test_expect_code 65 'recorded file that does not parse: 65' "
	echo '{' >broken.json && gf-validate --from-json broken.json -k checks.yaml -s 1 -e 2 -D a=A </dev/null >/dev/null
"
test_expect_code 66 'missing checks file: 66' "
	$R -k no-such.yaml </dev/null >/dev/null
"
test_expect_code 66 'missing model file: 66' "
	$R --model no-model.json -M watts </dev/null >/dev/null
"
test_expect_code 66 'missing config file: 66' "
	$R -k checks.yaml -c no-config.yaml </dev/null >/dev/null
"
test_expect_code 78 'a bad value in the config file: 78, naming the file and key' "
	printf 'prometheus:\n  step: soon\n' >badstep.yaml &&
	gf-validate --from-json rec.json -k checks.yaml -s 100 -e 120 -c badstep.yaml </dev/null >bs.json 2>err; rc=\$?;
	grep -q \"badstep.yaml: field 'prometheus.step'\" err &&
	jq -e '.steps[-1].exit == 78' bs.json >/dev/null && exit \$rc
"
test_expect_success 'a nested config number is a setting: prometheus.step: 2' "
	printf 'prometheus:\n  step: 2\n' >step2.yaml &&
	gf-validate --from-json rec.json -k checks.yaml -D a=A -s 100 -e 120 -c step2.yaml </dev/null >s2.json;
	test \$? -le 1 && jq -e '.validate.step == 2' s2.json
"
test_expect_code 66 'missing input document: 66' "
	$R -k checks.yaml -i no-such.json >/dev/null
"
test_expect_code 64 'no work to do: 64 with the usage line' "
	gf-validate </dev/null >/dev/null 2>err; rc=\$?; grep -q '^usage: gf-validate' err && exit \$rc
"
test_expect_code 64 '--end without --start: 64' "
	gf-validate --from-json rec.json --step 3s -D a=A -k checks.yaml -e 100 \\
	    </dev/null >/dev/null 2>err; rc=\\$?
	grep -q -- '--end needs --start' err && exit \\$rc
"
test_expect_code 64 'unknown gate operator: 64' "
	$R --gate A --op '=<' -T 1 </dev/null >/dev/null
"
test_expect_code 64 'no range and no windows: 64' "
	gf-validate --from-json rec.json -k checks.yaml -D a=A </dev/null >/dev/null
"
test_expect_code 78 'no Prometheus URL anywhere: 78' "
	gf-validate -k checks.yaml -s 100 -e 120 -D a=A </dev/null >doc78.json; rc=\$?;
	jq -e '.steps[-1].exit == 78' doc78.json && exit \$rc
"
test_expect_code 73 'report directory that cannot be created: 73' "
	echo x >afile && $R -k checks.yaml -o afile/sub </dev/null >/dev/null
"
test_expect_code 74 'standard output that cannot be written: 74' "
	$R -k checks.yaml -o out74 </dev/null >/dev/full
"

# A Prometheus that is not there, and one that never answers.
PORT=$(free_port)
test_expect_code 69 'Prometheus unreachable: 69' "
	gf-validate -p http://127.0.0.1:$PORT -k checks.yaml -s 100 -e 120 -D a=A </dev/null >/dev/null
"
start_mute_server
SILENT=$MUTE_PORT
test_expect_code 75 'Prometheus that times out: 75' "
	gf-validate -p http://127.0.0.1:$SILENT --timeout 0.5s -k checks.yaml -s 100 -e 120 -D a=A </dev/null >/dev/null
"

test_expect_success 'a failed run leaves an existing report directory as it was' "
	$R -k checks.yaml -o keep </dev/null >/dev/null; test \$? -eq 1 &&
	find keep -type f | sort >before && cksum keep/report-*.md >sum1 &&
	printf 'validations:\n  - name: exact\n    actual: A\n    predicted: TWO\n' >two2.yaml &&
	$R -k two2.yaml -o keep </dev/null >/dev/null 2>&1; test \$? -eq 65 &&
	find keep -type f | sort >after && cmp before after && cksum keep/report-*.md | cmp - sum1 &&
	! ls -a keep | grep -q gf-tmp
"

test_expect_success 'a failed document is passed on unchanged' "
	$R -k checks.yaml </dev/null >f.json; test \$? -eq 1 &&
	$R -k checks.yaml <f.json >g.json; test \$? -eq 1 &&
	cmp f.json g.json
"

test_expect_success '--help on stdout, exit 0; --version' "
	gf-validate --help | grep -q -- '--checks' && gf-validate --version | grep -q gf-validate
"

test_done
