#!/bin/sh
# gf-train on kepler-model-server's raw query output: the extracted tables
# match upstream's DefaultExtractor (bench/extract_ref.py, a pandas
# re-implementation), old names are mapped, groups without metrics are
# skipped with the reason, smooth and the isolators, corrupt files.
. "$GF_SRC/tests/lib.sh"
need jq jq

Q="$GF_DATA/kepler-model-server/prom_response-2023-09.json"
IDLE="$GF_DATA/kepler-model-server/idle-2023-12.json"
[ -f "$Q" ] || skip_all "no kepler-model-server data under GF_DATA ($GF_DATA)"
PY=/usr/bin/python3
havepandas=0
$PY -c "import pandas" 2>/dev/null && havepandas=1

test_expect_success 'extract every valid group of the 2023 query file' '
	gf-train -q "$Q" -X -o x </dev/null >x.json 2>err &&
	jq -e "[.train.preprocessed[] | .feature_group] | unique == [\"CgroupOnly\",\"CounterIRQCombined\",\"CounterOnly\",\"KubeletOnly\"]" x.json &&
	jq -e "all(.train.preprocessed[]; .rows == 187)" x.json &&
	jq -e "[.train.skipped[] | select(.feature_group == \"BPFOnly\")][0].reason | test(\"bpf_page_cache_hit\")" x.json &&
	grep -q "skipping rapl-sysfs AbsPower BPFOnly" err
'

for sg in "rapl-sysfs CounterOnly" "rapl-sysfs CounterIRQCombined" "acpi CounterOnly" "acpi KubeletOnly" "rapl-sysfs CgroupOnly"; do
	set -- $sg
	if [ $havepandas = 1 ]; then
		test_expect_success "same table as upstream's DefaultExtractor: $1 $2" "
			$PY \"\$GF_SRC/bench/extract_ref.py\" \"\$Q\" $1 $2 ref.csv &&
			$PY \"\$GF_SRC/bench/table_cmp.py\" x/gf/preprocessed_data/preprocess_abs_default_$1_$2.csv ref.csv 1e-9
		"
	else
		test_skip "same table as upstream: $1 $2" "python3-pandas missing"
	fi
done

test_expect_success 'old names: rapl is rapl-sysfs, bpf_cpu_time_us is ms x 1000' '
	cat >prof.yaml <<-YAML
	name: test
	id_labels: [container_id, pod_name, container_name, container_namespace]
	features:
	  bpf_cpu_time_ms:
	    - kepler_container_bpf_cpu_time_ms_total
	    - {metric: kepler_container_bpf_cpu_time_us_total, scale: 0.001}
	  bpf_cpu_time_us: kepler_container_bpf_cpu_time_us_total
	power:
	  rapl:
	    package: {metric: kepler_node_package_joules_total, match: {source: "rapl-sysfs|rapl"}}
	groups:
	  MS: [bpf_cpu_time_ms]
	  US: [bpf_cpu_time_us]
	YAML
	gf-train -q "$Q" --profile ./prof.yaml -E rapl-sysfs -X -o y </dev/null >y.json 2>/dev/null &&
	jq -e ".train.preprocessed | length == 2" y.json &&
	ms=$(sed -n 5p y/gf/preprocessed_data/preprocess_abs_default_rapl-sysfs_MS.csv | cut -d, -f2) &&
	us=$(sed -n 5p y/gf/preprocessed_data/preprocess_abs_default_rapl-sysfs_US.csv | cut -d, -f2) &&
	awk -v a="$ms" -v b="$us" "BEGIN { d = a * 1000 - b; exit !(b > 0 && d < 1e-6 * b && d > -1e-6 * b) }"
'

test_expect_success 'smooth extractor: rolling mean of 30 drops 29 rows' '
	gf-train -q "$Q" -x smooth -E acpi -g CounterOnly -X -o s </dev/null >s.json 2>/dev/null &&
	jq -e ".train.preprocessed[0].rows == 158" s.json &&
	test -f s/gf/preprocessed_data/preprocess_abs_smooth_acpi_CounterOnly.csv
'

test_expect_success 'train from the query file: both sources, Abs and Dyn' '
	gf-train -q "$Q" -g CounterOnly -O AbsPower,DynPower -t KNeighborsRegressorTrainer,SGDRegressorTrainer \
	    --seed 1 -o m </dev/null >m.json 2>/dev/null &&
	jq -e ".train.models | length == 8" m.json &&
	jq -e ".train.best | length == 10" m.json &&
	test -f m/gf/rapl-sysfs/DynPower/CounterOnly/SGDRegressorTrainer_0.json &&
	test -f m/gf/acpi/AbsPower/acpi_AbsPower_model_metadata.csv &&
	f=m/gf/preprocessed_data/preprocess_dyn_default_min_acpi_CounterOnly.csv &&
	test "$(cut -d, -f5 $f | sed 1d | sort -g | head -1)" = 0
'

test_expect_success 'profile isolator: idle containers leave the features, idle power the label' '
	gf-train -q "$Q" -O DynPower -I none -E acpi -g CounterOnly -X -o i0 </dev/null >/dev/null 2>&1 &&
	gf-train -q "$Q" -O DynPower -I profile --idle "$IDLE" -E acpi -g CounterOnly -X -o i1 </dev/null >/dev/null 2>&1 &&
	a=i0/gf/preprocessed_data/preprocess_dyn_default_none_acpi_CounterOnly.csv &&
	b=i1/gf/preprocessed_data/preprocess_dyn_default_profile_acpi_CounterOnly.csv &&
	test $(wc -l <$a) -eq $(wc -l <$b) &&
	awk -F, "NR == FNR { if (FNR > 1) { m[FNR] = \$4; p[FNR] = \$5 }; next }
	    FNR > 1 { if (\$4 > m[FNR] || \$5 > p[FNR]) bad = 1; if (\$4 < m[FNR]) less = 1 }
	    END { exit bad || !less }" $a $b
'

test_expect_success 'trainer isolator: background predicted by AbsPower models, target features' '
	gf-train -q "$Q" -E acpi -g CounterOnly -t LinearRegressionTrainer,XgboostFitTrainer --seed 1 \
	    -o abs </dev/null >/dev/null 2>&1 &&
	gf-train -q "$Q" -E acpi -g CounterOnly -O DynPower -I trainer --abs-models abs/gf --target-hints coremark \
	    -t LinearRegressionTrainer -o ti </dev/null >ti.json 2>err &&
	grep -q "isolator trainer: acpi platform background by" err &&
	jq -e ".train.datasets[0].output_type == \"DynPower\" and .train.datasets[0].rows == 187" ti.json &&
	d=ti/gf/preprocessed_data/preprocess_dyn_default_trainer_acpi_CounterOnly.csv &&
	a=abs/gf/preprocessed_data/preprocess_abs_default_acpi_CounterOnly.csv &&
	awk -F, "NR == FNR { if (FNR > 1) { f[FNR] = \$4; p[FNR] = \$5 }; next }
	    FNR > 1 { if (\$4 > f[FNR] || \$5 > p[FNR] || \$5 < 0) bad = 1; if (\$5 < p[FNR]) less = 1 }
	    END { exit bad || !less }" $a $d
'

test_expect_code 64 'trainer isolator without --abs-models: 64' '
	gf-train -q "$Q" -O DynPower -I trainer -E acpi -g CounterOnly -o t2 </dev/null >/dev/null 2>&1'

test_expect_code 66 'trainer isolator with no models there: 66' '
	gf-train -q "$Q" -O DynPower -I trainer --abs-models nowhere -E acpi -g CounterOnly -o t3 </dev/null >/dev/null 2>&1'

test_expect_code 66 'trainer isolator with a folder but no model of the component: 66' '
	mkdir -p nomodel/acpi/AbsPower/CounterOnly/LinearRegressionTrainer_1 &&
	gf-train -q "$Q" -O DynPower -I trainer --abs-models nomodel -E acpi \
	    -g CounterOnly -o t4 </dev/null >/dev/null 2>err;
	rc=$?; grep -q "no usable AbsPower model for platform" err && exit $rc
'
test_expect_code 64 'profile isolator without idle data: 64' '
	gf-train -q "$Q" -O DynPower -I profile -E acpi -g CounterOnly -X -o i2 </dev/null >/dev/null 2>&1'

test_expect_code 65 'corrupt query file: 65 with file:line:col' '
	head -c 5000 "$Q" >corrupt.json &&
	gf-train -q corrupt.json -E acpi -g CounterOnly -o c </dev/null >/dev/null 2>err;
	rc=$?; grep -q "corrupt.json:1:" err && test ! -e c/gf || rc=99; exit $rc'

test_expect_code 65 'wrong shape: 65 naming the metric' '
	echo "{\"kepler_node_platform_joules_total\": [{\"metric\": {}, \"values\": [[1, \"x\"]]}]}" >shape.json &&
	gf-train -q shape.json -E acpi -g CounterOnly -o c </dev/null >/dev/null 2>err;
	rc=$?; grep -q "kepler_node_platform_joules_total" err || rc=99; exit $rc'

test_expect_code 65 'the group named alone and its metric missing: 65 naming the metric' '
	gf-train -q "$Q" -E rapl-sysfs -g BPFOnly -o c </dev/null >/dev/null 2>err;
	rc=$?; grep -q "kepler_container_bpf_page_cache_hit_total" err || rc=99; exit $rc'

# The 2023-09 query file has no page-cache-hit (BPFOnly) and no accelerator
# series; the idle file has the former: BPFOnly trains there (too short).
test_expect_code 65 'every group skipped: 65' '
	gf-train -q "$Q" -E acpi -g BPFOnly,AcceleratorOnly -o c </dev/null >/dev/null 2>err;
	rc=$?; grep -q "nothing to train" err || rc=99; exit $rc'

test_expect_code 66 'missing profile: 66' '
	gf-train -q "$Q" --profile no-such-profile -o c </dev/null >/dev/null 2>err;
	rc=$?; grep -q "no-such-profile" err || rc=99; exit $rc'

test_expect_code 65 'malformed profile: 65 naming file and key' '
	printf "name: bad\npower: [1]\n" >bad.yaml &&
	gf-train -q "$Q" --profile ./bad.yaml -o c </dev/null >/dev/null 2>err;
	rc=$?; grep -q "bad.yaml: power" err || rc=99; exit $rc'

test_done
