#!/bin/sh
# gf-train from kepler-model-db's preprocessed CSV (nx12): the acceptance
# contract, the files of the model-db tree, the document, bad input.
. "$GF_SRC/tests/lib.sh"
need jq jq

NX12="$GF_DATA/kepler-model-db/nx12"
[ -d "$NX12" ] || skip_all "no nx12 data under GF_DATA ($GF_DATA)"
ACPI="$NX12/preprocess_abs_default_acpi_CounterOnly.csv"
RAPL="$NX12/preprocess_abs_default_rapl_BPFOnly.csv"

test_expect_success 'contract: all trainers, tail split, acpi CounterOnly' '
	gf-train --from-csv "$ACPI" --energy-source acpi \
	    --feature-group CounterOnly --output-type AbsPower --trainers all \
	    --split tail:0.2 --seed 1 --out out </dev/null >doc.json 2>err &&
	jq -e ".train.models | length == 10" doc.json &&
	jq -e "[.train.models[].components.platform.test.mae | numbers] | length == 10" doc.json &&
	jq -e "all(.train.models[]; .components.platform.test.split == \"tail:0.2\" and .components.platform.cv.split == \"blocked-cv:5\")" doc.json &&
	jq -e ".train.models[0].components.platform.test.n == 441" doc.json &&
	jq -e ".train.best | length == 1 and .[0].component == \"platform\" and (.[0].trainer | type) == \"string\"" doc.json &&
	jq -e ".steps[-1].tool == \"gf-train\" and .steps[-1].ok" doc.json &&
	grep -q "\[10/10\]" err
'

test_expect_success 'progress counts up in order, one line per model' '
	gf-train -f "$NX12/preprocess_abs_default_rapl_CounterOnly.csv" -E rapl \
	    -g CounterOnly --seed 1 -j 3 -o prog </dev/null >/dev/null 2>prog.err &&
	sed -n "s/^gf-train: \(warning: \)\{0,1\}\[\([0-9]*\)\/40\].*/\2/p" prog.err >n &&
	seq 1 40 >want &&
	cmp n want
'

test_expect_success 'best model (1se): the simplest within one standard error of the lowest CV MAE' '
	jq -e ".train.select == \"1se\" and .train.best[0].rule == \"1se\" and .train.best[0].selected_by == \"blocked-cv:5\"" doc.json &&
	jq -e "(.train.models | min_by(.components.platform.cv.mae) | .trainer) == .train.best[0].lowest_cv_trainer" doc.json &&
	jq -e "all(.train.models[]; .components.platform.cv.mae_se > 0)" doc.json &&
	jq -e "(.train.models | min_by(.components.platform.cv.mae) | .components.platform.cv) as \$low | .train.best[0].cv.mae <= \$low.mae + \$low.mae_se" doc.json &&
	jq -e ".train.best[0].lowest_cv_trainer == \"GradientBoostingRegressorTrainer\" and .train.best[0].trainer == \"KNeighborsRegressorTrainer\"" doc.json &&
	grep -q "best for acpi AbsPower CounterOnly platform: KNeighborsRegressorTrainer (cv MAE [0-9.]*; lowest: GradientBoostingRegressorTrainer, [0-9.]* +- [0-9.]*)" err
'

test_expect_success 'best model (--select min): the lowest blocked-CV MAE' '
	gf-train -f "$ACPI" -E acpi -g CounterOnly --seed 1 --select min \
	    -t GradientBoostingRegressorTrainer,KNeighborsRegressorTrainer,LinearRegressionTrainer \
	    -o minsel </dev/null >min.json 2>/dev/null &&
	jq -e ".train.best[0].rule == \"min\" and .train.best[0].trainer == .train.best[0].lowest_cv_trainer" min.json &&
	jq -e "(.train.models | min_by(.components.platform.cv.mae) | .trainer) == .train.best[0].trainer" min.json
'

test_expect_code 64 'unknown selection rule: 64, nothing written' '
	gf-train -f "$ACPI" -E acpi -g CounterOnly --select best -o badsel \
	    </dev/null >/dev/null 2>err;
	rc=$?; grep -q -- "--select: unknown .best. (valid: 1se, min)" err && test ! -e badsel/gf || rc=99; exit $rc'

test_expect_success 'model-db tree: weights, zips, metadata, preprocessed data' '
	d=out/gf/acpi/AbsPower/CounterOnly &&
	jq -e ".platform.All_Weights.Numerical_Variables.cpu_instructions.scale > 0 and (.platform.All_Weights.Bias_Weight | type) == \"number\" and .model_name == \"SGDRegressorTrainer_1\"" $d/SGDRegressorTrainer_1.json &&
	jq -e ".platform.All_Weights.CurveFit_Weights | length == 3" $d/LogarithmicRegressionTrainer_1.json &&
	jq -e ".platform.All_Weights.CurveFit_Weights | length == 4" $d/LogisticRegressionTrainer_1.json &&
	jq -e "(.platform.All_Weights.Numerical_Variables | keys_unsorted[0]) == \"cpu_instructions\"" $d/LogarithmicRegressionTrainer_1.json &&
	test ! -e $d/GradientBoostingRegressorTrainer_1.json &&
	unzip -l $d/GradientBoostingRegressorTrainer_1.zip >zl &&
	grep -q metadata.json zl && grep -q platform.gf.json zl &&
	grep -q GradientBoostingRegressorTrainer_1.json zl &&
	unzip -p $d/XgboostFitTrainer_1.zip metadata.json >md.json &&
	jq -e ".model_name == \"XgboostFitTrainer_1\" and .model_class == \"xgboost\" and .output_type == \"AbsPower\" and .split == \"tail:0.2\" and (.platform_mae | type) == \"number\" and .mae == .platform_mae and .node_type == 1" md.json &&
	unzip -p $d/XgboostFitTrainer_1.zip platform.gf.json | jq -e ".format == \"gf-model\" and .trainer == \"XgboostFitTrainer\"" &&
	head -1 out/gf/acpi/AbsPower/acpi_AbsPower_model_metadata.csv | grep -q "^,model_name,model_class,model_file,features,fe_files,output_type,mae,mape,platform_mae,platform_mape,trainer,node_type,feature_group" &&
	test $(wc -l <out/gf/acpi/AbsPower/acpi_AbsPower_model_metadata.csv) -eq 11 &&
	test $(wc -l <out/gf/preprocessed_data/preprocess_abs_default_acpi_CounterOnly.csv) -eq 2203 &&
	jq -e ".name == \"gf\" and .extractor == \"default\" and (.abs_trainers | length) == 10" out/gf/metadata.json &&
	jq -e "all(.train.models[]; .files.zip != null)" doc.json
'

test_expect_success 'same seed, same numbers' '
	gf-train -f "$ACPI" -E acpi -g CounterOnly --seed 1 -o out2 </dev/null >doc2.json 2>/dev/null &&
	jq -c "[.train.models[] | .components]" doc.json >a &&
	jq -c "[.train.models[] | .components]" doc2.json >b &&
	cmp a b
'

test_expect_success 'v0.6 names: bpf_cpu_time_us becomes bpf_cpu_time_ms' '
	gf-train -f "$RAPL" -E rapl -g BPFOnly -t SGDRegressorTrainer,KNeighborsRegressorTrainer \
	    -o out3 </dev/null >doc3.json 2>/dev/null &&
	jq -e ".train.datasets[0].features == [\"bpf_cpu_time_ms\"] and .train.datasets[0].missing_features == [\"bpf_page_cache_hit\"] and .train.datasets[0].source == \"rapl-sysfs\"" doc3.json &&
	jq -e ".train.models[0].components | keys == [\"core\",\"dram\",\"package\",\"uncore\"]" doc3.json &&
	jq -e ".train.best | length == 4" doc3.json &&
	jq -e ".package.All_Weights.Numerical_Variables.bpf_cpu_time_ms.scale < 100" out3/gf/rapl-sysfs/AbsPower/BPFOnly/SGDRegressorTrainer_1.json
'

test_expect_success 'random split as upstream, DynPower with min isolator' '
	gf-train -f "$ACPI" -E acpi -g CounterOnly -t LinearRegressionTrainer \
	    --split random:0.1 -O AbsPower,DynPower -o out4 </dev/null >doc4.json 2>/dev/null &&
	jq -e ".train.models[0].components.platform.test.split == \"random:0.1\" and .train.models[0].components.platform.test.n == 221" doc4.json &&
	jq -e "[.train.models[].output_type] == [\"AbsPower\",\"DynPower\"]" doc4.json &&
	f=out4/gf/preprocessed_data/preprocess_dyn_default_min_acpi_CounterOnly.csv &&
	test "$(cut -d, -f5 $f | sed 1d | sort -g | head -1)" = 0 &&
	test -f out4/gf/acpi/DynPower/CounterOnly/LinearRegressionTrainer_1.zip
'

test_expect_success 'a document on stdin is passed through and extended' '
	echo "{\"custom\": {\"x\": 1}, \"windows\": []}" |
	    gf-train -f "$ACPI" -E acpi -g CounterOnly -t KNeighborsRegressorTrainer -o out5 >doc5.json 2>/dev/null &&
	jq -e ".custom.x == 1 and (.train.models | length) == 1" doc5.json
'

test_expect_success 'a second run replaces the pipeline tree whole' '
	touch out5/gf/stale-file &&
	gf-train -f "$ACPI" -E acpi -g CounterOnly -t KNeighborsRegressorTrainer -o out5 </dev/null >/dev/null 2>&1 &&
	test ! -e out5/gf/stale-file && test -f out5/gf/metadata.json &&
	test -z "$(ls -A out5 | grep -v "^gf$")"
'

# --- bad input -----------------------------------------------------------
test_expect_code 66 'missing CSV: 66' '
	gf-train -f nonexistent.csv -E acpi -g CounterOnly -o bad1 </dev/null >/dev/null 2>err;
	rc=$?; grep -q nonexistent.csv err && test ! -e bad1/gf || rc=99; exit $rc'

test_expect_code 65 'missing power column: 65 naming it, no tree' '
	gf-train -f "$RAPL" -E acpi -g BPFOnly -o bad2 </dev/null >d.json 2>err;
	rc=$?; grep -q "platform_power" err && test ! -e bad2/gf &&
	jq -e ".steps[-1].ok == false and .steps[-1].exit == 65" d.json || rc=99; exit $rc'

test_expect_code 65 'no column of the feature group: 65 naming the group' '
	gf-train -f "$ACPI" -E acpi -g BPFIRQ -o bad3 </dev/null >/dev/null 2>err;
	rc=$?; grep -q "feature group BPFIRQ" err && test ! -e bad3/gf || rc=99; exit $rc'

test_expect_code 65 'NaN in the CSV: 65 with file and line' '
	head -50 "$ACPI" >nan.csv && echo "1695115813,nan,1,2,150,1" >>nan.csv &&
	gf-train -f nan.csv -E acpi -g CounterOnly -o bad4 </dev/null >/dev/null 2>err;
	rc=$?; grep -q "nan.csv:51" err && test ! -e bad4/gf || rc=99; exit $rc'

test_expect_code 65 'a single sample: 65' '
	head -2 "$ACPI" >one.csv &&
	gf-train -f one.csv -E acpi -g CounterOnly -o bad5 </dev/null >/dev/null 2>err;
	rc=$?; cat err >&2; test ! -e bad5/gf || rc=99; exit $rc'

test_expect_code 65 'too short for the cross-validation folds: 65' '
	head -9 "$ACPI" >short.csv &&
	gf-train -f short.csv -E acpi -g CounterOnly -o bad6 </dev/null >/dev/null 2>err;
	rc=$?; grep -q "too short" err || rc=99; exit $rc'

test_expect_code 65 'constant features: 65' '
	{ echo "timestamp,cache_miss,cpu_cycles,cpu_instructions,platform_power,node_type";
	  i=0; while [ $i -lt 40 ]; do echo "$((1000 + 3 * i)),1,2,3,$((100 + i % 7)),1"; i=$((i + 1)); done; } >const.csv &&
	gf-train -f const.csv -E acpi -g CounterOnly -o bad7 </dev/null >/dev/null 2>err;
	rc=$?; grep -q "constant" err || rc=99; exit $rc'

test_expect_code 65 'timestamps out of order: 65' '
	{ head -1 "$ACPI"; sed -n 3p "$ACPI"; sed -n 2p "$ACPI"; sed -n 4,40p "$ACPI"; } >order.csv &&
	gf-train -f order.csv -E acpi -g CounterOnly -o bad8 </dev/null >/dev/null 2>err;
	rc=$?; grep -q "timestamp does not increase" err || rc=99; exit $rc'

test_expect_code 64 'unknown trainer: 64' '
	gf-train -f "$ACPI" -E acpi -g CounterOnly -t NoSuchTrainer </dev/null >/dev/null 2>err;
	rc=$?; grep -q "NoSuchTrainer" err || rc=99; exit $rc'

for opt in -E -O -g -t; do
	test_expect_code 64 "an empty list for $opt: 64 naming it, no crash" '
	gf-train -f "$ACPI" '"$opt"' ", " </dev/null >/dev/null 2>err;
	rc=$?; grep -q "^gf-train: no .* given in" err || rc=99; exit $rc'
done

test_expect_code 64 'unknown feature group: 64' '
	gf-train -f "$ACPI" -E acpi -g NoSuchGroup </dev/null >/dev/null 2>err;
	rc=$?; grep -q "NoSuchGroup" err || rc=99; exit $rc'

test_expect_code 64 'unknown energy source: 64' '
	gf-train -f "$ACPI" -E nuclear -g CounterOnly </dev/null >/dev/null 2>err;
	rc=$?; grep -q nuclear err || rc=99; exit $rc'

test_expect_code 64 'bad split: 64' '
	gf-train -f "$ACPI" -E acpi --split middle:0.3 </dev/null >/dev/null 2>&1'

test_expect_code 64 'no input: 64' 'gf-train </dev/null >/dev/null 2>&1'

test_expect_code 64 'two inputs: 64, the document passed on with the failed step' '
	echo "{\"keep\": 1}" >keep.json &&
	gf-train -f a.csv -q b.json <keep.json >two.json 2>err; rc=$?;
	grep -q "one of" err &&
	jq -e ".keep == 1 and .steps[-1].exit == 64 and .train == null" two.json >/dev/null || rc=99; exit $rc'

test_expect_code 64 'a file and --prometheus: 64' '
	gf-train -f "$ACPI" -p http://127.0.0.1:9 -o both </dev/null >/dev/null 2>err; rc=$?;
	grep -q "one of" err && test ! -e both || rc=99; exit $rc'

test_expect_success 'a file wins over the Prometheus URL of the environment and document' '
	echo "{\"stack\": {\"prometheus\": {\"url\": \"http://127.0.0.1:9\"}}}" |
	GF_PROMETHEUS_URL=http://127.0.0.1:9 gf-train -f "$ACPI" -E acpi -g CounterOnly \
	    -t LinearRegressionTrainer -o docurl >du.json 2>/dev/null &&
	jq -e ".train.input.csv and (.train.models | length) == 1" du.json
'

test_expect_code 64 'unknown option: 64 naming it, the document passed on' '
	gf-train --bogus <keep.json >bogus.json 2>err; rc=$?;
	grep -q "unknown option .--bogus" err &&
	jq -e ".keep == 1 and .steps[-1].exit == 64" bogus.json >/dev/null || rc=99; exit $rc'

test_expect_code 64 'a bad number on the command line: 64 naming the option' '
	gf-train -f "$ACPI" --cv-folds 1 </dev/null >/dev/null 2>err; rc=$?;
	grep -q -- "--cv-folds" err || rc=99; exit $rc'

test_expect_code 73 'output directory cannot be created: 73' '
	: >afile && gf-train -f "$ACPI" -E acpi -g CounterOnly -t KNeighborsRegressorTrainer \
	    -o afile/sub </dev/null >/dev/null 2>&1'

test_expect_code 65 'config file that is not a mapping: 65, the document written' '
	echo "- a" >cfg.yaml && gf-train -c cfg.yaml -f "$ACPI" </dev/null >cm.json 2>err; rc=$?;
	grep -q "cfg.yaml: expected a mapping" err &&
	jq -e ".steps[-1].exit == 65" cm.json >/dev/null || rc=99; exit $rc'

test_expect_code 66 'a missing config file: 66' '
	gf-train -c nowhere.yaml -f "$ACPI" </dev/null >/dev/null 2>&1'

test_expect_success 'config file gives settings below the command line' '
	printf "energy_source: acpi\nfeature_group: CounterOnly\ntrainers: KNeighborsRegressorTrainer\nout: cfgout\nseed: 3\ncv_folds: 4\n" >cfg2.yaml &&
	gf-train -c cfg2.yaml -f "$ACPI" -t SGDRegressorTrainer </dev/null >c.json 2>/dev/null &&
	jq -e "[.train.models[].trainer] == [\"SGDRegressorTrainer\"] and .train.seed == 3 and .train.cv_folds == 4" c.json &&
	test -d cfgout/gf
'

test_expect_success 'the environment wins over the config file' '
	printf "out: cfgout\ntrainers: LinearRegressionTrainer\nenergy_source: acpi\n" >cfg3.yaml &&
	GF_TRAIN_OUT=envout gf-train -c cfg3.yaml -f "$ACPI" -g CounterOnly </dev/null >e.json 2>/dev/null &&
	jq -e ".train.out == \"$(pwd -P)/envout/gf\"" e.json && test -d envout/gf
'

for bad in "isolator: sideways" "cv_folds: 1" "seed: -1" "extract_only: maybe" "step: soon"; do
	test_expect_code 78 "a bad config value ($bad): 78 naming file and key" '
	printf "%s\n" "'"$bad"'" >bad.yaml &&
	gf-train -c bad.yaml -f "$ACPI" -o badcfg </dev/null >bc.json 2>err; rc=$?;
	grep -q "bad.yaml: field .'"${bad%%:*}"'" err && test ! -e badcfg &&
	jq -e ".steps[-1].exit == 78" bc.json >/dev/null || rc=99; exit $rc'
done

test_expect_code 65 'a failed document is passed on with its status' '
	echo "{\"steps\": [{\"tool\": \"gf-x\", \"ok\": false, \"exit\": 65}]}" |
	    gf-train -f "$ACPI" -E acpi -o pass >p.json 2>/dev/null; rc=$?;
	test ! -e pass && jq -e ".steps | length == 1" p.json || rc=99; exit $rc'

test_expect_code 74 'stdout that cannot be written: 74' '
	gf-train -f "$ACPI" -E acpi -g CounterOnly -t KNeighborsRegressorTrainer -o full \
	    </dev/null >/dev/full 2>/dev/null'

# 300 rows: the input is 20 KB, an XGBoost model file 170 KB; with files
# capped at 100 KB the model tree fails while its writer threads run.
test_expect_code 74 'a model file that cannot be written: 74 naming it, the old tree kept' '
	head -n 301 "$ACPI" >small.csv &&
	gf-train -f small.csv -E acpi -g CounterOnly -t LinearRegressionTrainer \
	    -o keep </dev/null >/dev/null 2>&1 || exit 99
	(trap "" XFSZ; ulimit -f 200; exec gf-train -f small.csv -E acpi \
	    -g CounterOnly -t XgboostFitTrainer,LinearRegressionTrainer,SGDRegressorTrainer \
	    -j 2 -o keep </dev/null >/dev/null 2>err); rc=$?
	grep -q "XgboostFitTrainer_1.*File too large" err &&
	test -f keep/gf/acpi/AbsPower/CounterOnly/LinearRegressionTrainer_1.zip &&
	test ! -e keep/gf/acpi/AbsPower/CounterOnly/XgboostFitTrainer_1.zip &&
	test -z "$(ls -A keep | grep -v "^gf$")" || rc=99; exit $rc'

test_expect_success '--help on stdout, --version' '
	gf-train --help >h && grep -q "^usage: gf-train" h && gf-train -V | grep -q "gf-train"'

test_expect_success 'forward-chaining cross-validation: later blocks, named in the scores' '
	gf-train -f "$ACPI" -E acpi -g CounterOnly --cv-method forward --cv-folds 4 --seed 1 \
	    -t LinearRegressionTrainer,KNeighborsRegressorTrainer -o fw \
	    </dev/null >fw.json 2>/dev/null &&
	jq -e ".train.cv_method == \"forward\" and .train.best[0].selected_by == \"forward-cv:4\"" fw.json &&
	jq -e "all(.train.models[]; .components.platform.cv.split == \"forward-cv:4\")" fw.json &&
	n=$(jq ".train.models[0].components.platform.test.n" fw.json) &&
	cvn=$(jq ".train.models[0].components.platform.cv.n" fw.json) &&
	test $((cvn * 5)) -ge $(((1761) * 4 - 5)) && test $((cvn * 5)) -le $((1761 * 4 + 5)) &&
	test "$n" -eq 441
'

test_expect_code 64 'unknown cross-validation method: 64' '
	gf-train -f "$ACPI" -E acpi -g CounterOnly --cv-method sideways -o badcv \
	    </dev/null >/dev/null 2>err;
	rc=$?; grep -q "sideways" err && test ! -e badcv/gf || rc=99; exit $rc'

test_done
