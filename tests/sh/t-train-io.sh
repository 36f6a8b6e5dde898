#!/bin/sh
# gf-train's table I/O: the preprocessed table is the input CSV copied
# when nothing changed, and otherwise written with the shortest exact
# decimals; either way it reads back to the same doubles and the same
# models.
. "$GF_SRC/tests/lib.sh"
need jq jq

NX12="$GF_DATA/kepler-model-db/nx12"
[ -d "$NX12" ] || skip_all "no nx12 data under GF_DATA ($GF_DATA)"
ACPI="$NX12/preprocess_abs_default_acpi_CounterOnly.csv"
PRE=gf/preprocessed_data/preprocess_abs_default_acpi_CounterOnly.csv
TR=LinearRegressionTrainer,KNeighborsRegressorTrainer,XgboostFitTrainer

train() {
	gf-train -f "$1" -E acpi -g CounterOnly -t $TR --cv-folds 2 --seed 1 -o "$2" \
	    </dev/null >"$2.json" 2>"$2.err"
}

maes() {
	jq -c "[.train.models[] | .components.platform.test.mae]" "$1"
}

test_expect_success 'an unchanged table is the input file, byte for byte' '
	train "$ACPI" a &&
	cmp "$ACPI" a/$PRE
'

test_expect_success 'a reordered table is written, and reads back the same' '
	awk -F, -v OFS=, "{ t = \$5; \$5 = \$6; \$6 = t; print }" "$ACPI" >swap.csv &&
	head -1 swap.csv | grep -q "node_type,platform_power$" &&
	train swap.csv b &&
	! cmp -s "$ACPI" b/$PRE &&
	test "$(maes a.json)" = "$(maes b.json)" &&
	test $(wc -l <b/$PRE) -eq $(wc -l <"$ACPI") &&
	head -1 b/$PRE | grep -q "^timestamp,cache_miss,cpu_cycles,cpu_instructions,platform_power,node_type$" &&
	awk -F, "NR == FNR { for (i = 1; i <= NF; i++) v[FNR, i] = \$i; next }
	    FNR > 1 { for (i = 1; i <= NF; i++) if (v[FNR, i] + 0 != \$i + 0) { print FNR, i, v[FNR, i], \$i; bad = 1 } }
	    END { exit bad }" "$ACPI" b/$PRE
'

test_expect_success 'numbers are written short and exact' '
	sed -n 2p b/$PRE >row &&
	test "$(cat row)" = "1695115663,5969546,3804367031.6666665,1884790068,190,1"
'

# The table is written beside the models, by the same threads: a table
# that fails stops the run as a model file would (the models are small).
test_expect_code 74 'a table that cannot be written: 74 naming it, the old tree kept' '
	train "$ACPI" keep || exit 99
	(trap "" XFSZ; ulimit -f 100; exec gf-train -f swap.csv -E acpi \
	    -g CounterOnly -t LinearRegressionTrainer,SGDRegressorTrainer --cv-folds 2 \
	    --seed 1 -j 2 -o keep </dev/null >/dev/null 2>err); rc=$?
	grep -q "preprocess_abs_default_acpi_CounterOnly.csv.*File too large" err &&
	cmp "$ACPI" keep/$PRE &&
	test -z "$(ls -A keep | grep -v "^gf$")" || rc=99; exit $rc'

test_expect_success 'training on the written table gives the same models' '
	train b/$PRE c &&
	test "$(maes a.json)" = "$(maes c.json)" &&
	cmp b/$PRE c/$PRE
'

test_expect_success 'stdin input is written, not copied' '
	: >empty.json &&
	gf-train -i empty.json -f - -E acpi -g CounterOnly \
	    -t LinearRegressionTrainer --cv-folds 2 --seed 1 -o d <"$ACPI" >d.json 2>d.err &&
	test "$(jq -c "[.train.models[0].components.platform.test.mae]" d.json)" = \
	    "$(jq -c "[.train.models[0].components.platform.test.mae]" a.json)" &&
	cmp b/$PRE d/$PRE
'

# The fit and every cross-validation fold are separate jobs: one thread
# or several, the scores are those gf_model_cv gives (values from before
# the split into jobs).
test_expect_success 'cross-validation by jobs: same scores on 1 or 3 threads' '
	for j in 1 3; do
		gf-train -f "$ACPI" -E acpi -g CounterOnly -j $j --seed 1 \
		    -t LinearRegressionTrainer,KNeighborsRegressorTrainer,XgboostFitTrainer,SVRRegressorTrainer \
		    -o j$j </dev/null >j$j.json 2>j$j.err || return 1
		jq -S "[.train.models[] | {trainer, components}] | walk(if type == \"object\" then del(.seconds) else . end)" j$j.json >s$j.json || return 1
	done &&
	cmp s1.json s3.json &&
	jq -e ".train.models[0].components.platform.cv.mae == 17.36054082699859 and .train.models[0].components.platform.cv.n == 1761" j3.json &&
	jq -e ".train.models[1].components.platform.cv.mae == 13.061802006435665" j3.json
'

# libcurl is loaded by the first request only: a broken one stops a
# Prometheus run (66, naming it) and nothing that reads files.
test_expect_success 'libcurl that cannot be loaded: files still train' '
	mkdir -p nocurl && : >nocurl/libcurl.so.4 &&
	LD_LIBRARY_PATH=$PWD/nocurl gf-train -f "$ACPI" -E acpi -g CounterOnly \
	    -t LinearRegressionTrainer --seed 1 -o c </dev/null >c.json 2>c.err &&
	jq -e ".train.models | length == 1" c.json
'
test_expect_code 66 'libcurl that cannot be loaded: a Prometheus run is 66' '
	LD_LIBRARY_PATH=$PWD/nocurl gf-train -p http://127.0.0.1:9/ \
	    -s 2026-01-01T00:00:00Z -e 2026-01-01T01:00:00Z -o p \
	    </dev/null >p.json 2>p.err;
	rc=$?; grep -q "cannot load libcurl: .*libcurl.so.4" p.err &&
	jq -e ".steps[-1].exit == 66" p.json >/dev/null && exit $rc
'

# So is libarchive, by the first archive: a broken one stops a run that
# writes model archives (66, naming it, no model tree left behind) and
# nothing that writes none, such as an extraction.
test_expect_success 'libarchive that cannot be loaded: extraction still runs' '
	mkdir -p noarchive && : >noarchive/libarchive.so.13 &&
	LD_LIBRARY_PATH=$PWD/noarchive gf-train -f "$ACPI" -E acpi \
	    -g CounterOnly -X -o xa </dev/null >xa.json 2>xa.err &&
	cmp "$ACPI" xa/$PRE
'
test_expect_code 66 'libarchive that cannot be loaded: training is 66, no tree' '
	LD_LIBRARY_PATH=$PWD/noarchive gf-train -f "$ACPI" -E acpi \
	    -g CounterOnly -t LinearRegressionTrainer --seed 1 -o na \
	    </dev/null >na.json 2>na.err;
	rc=$?; grep -q "cannot load libarchive: .*libarchive.so.13" na.err &&
	jq -e ".steps[-1].exit == 66" na.json >/dev/null &&
	! test -e na/gf && exit $rc
'

# kepler-model-db's dyn tables have the idle power removed already: their
# name decides the default output type, and AbsPower of one is warned of.
DYN="$NX12/preprocess_dyn_default_min_acpi_CounterOnly.csv"
test_expect_success 'a preprocess_dyn_ table trains DynPower by default' '
	gf-train -f "$DYN" -E acpi -g CounterOnly -t LinearRegressionTrainer \
	    --seed 1 -o dyn </dev/null >dyn.json 2>dyn.err &&
	jq -e "[.train.models[].output_type] == [\"DynPower\"]" dyn.json &&
	grep -q "a DynPower table by its name" dyn.err &&
	test -f dyn/gf/acpi/DynPower/CounterOnly/LinearRegressionTrainer_1.json &&
	gf-train -f "$ACPI" -E acpi -g CounterOnly -t LinearRegressionTrainer \
	    --seed 1 -o abs </dev/null >abs.json 2>abs.err &&
	jq -e "[.train.models[].output_type] == [\"AbsPower\"]" abs.json &&
	! grep -q "by its name" abs.err
'
test_expect_success 'AbsPower asked of a preprocess_dyn_ table: trained, with a warning' '
	gf-train -f "$DYN" -E acpi -g CounterOnly -O AbsPower \
	    -t LinearRegressionTrainer --seed 1 -o dabs </dev/null >dabs.json 2>dabs.err &&
	jq -e "[.train.models[].output_type] == [\"AbsPower\"]" dabs.json &&
	grep -q "warning: .*its name says DynPower" dabs.err
'

test_done
