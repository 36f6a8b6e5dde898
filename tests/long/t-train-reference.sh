#!/bin/sh
# kepler-model-server's reference scores on nx12 CounterOnly AbsPower
# (docs: reference/kepler-model-server.md section 7, the median over 5
# random 90/10 splits of the test MAE, max over components) reproduced by
# gf-train's trainers on 5 seeded random splits, within 20% + 0.5 W. The
# upstream split is unseeded, so only medians are comparable.
. "$GF_SRC/tests/lib.sh"
need jq jq
NX12="$GF_DATA/kepler-model-db/nx12"
[ -d "$NX12" ] || skip_all "no nx12 data under GF_DATA ($GF_DATA)"

for src in rapl acpi; do
	for seed in 1 2 3 4 5; do
		gf-train -f "$NX12/preprocess_abs_default_${src}_CounterOnly.csv" -E $src \
		    -g CounterOnly --split random:0.1 --seed $seed -o "$TEST_DIR/o" </dev/null 2>/dev/null |
		    jq -c --arg s $src '.train.models[] | [$s, .trainer, ([.components[] | .test.mae // null] | max)]'
	done
done >"$TEST_DIR/runs.txt"
jq -s -r 'group_by(.[0], .[1])[] | "\(.[0][0]) \(.[0][1]) \([.[][2]] | sort | .[2])"' \
    "$TEST_DIR/runs.txt" >"$TEST_DIR/medians.txt"

while read -r src trainer want; do
	got=$(awk -v s="$src" -v t="$trainer" '$1 == s && $2 == t { print $3 }' "$TEST_DIR/medians.txt")
	test_expect_success "$src $trainer: median MAE near upstream's $want W" "
		awk -v g='$got' -v w='$want' 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(g != \"\" && d <= 0.2 * w + 0.5) }' ||
		{ echo 'got $got W'; false; }
	"
done <<'EOF2'
rapl KNeighborsRegressorTrainer 3.23
rapl XgboostFitTrainer 3.36
rapl GradientBoostingRegressorTrainer 3.90
rapl PolynomialRegressionTrainer 7.01
rapl SVRRegressorTrainer 7.83
rapl SGDRegressorTrainer 9.43
rapl LinearRegressionTrainer 10.09
rapl LogarithmicRegressionTrainer 19.72
rapl ExponentialRegressionTrainer 27.86
acpi KNeighborsRegressorTrainer 6.50
acpi XgboostFitTrainer 6.40
acpi GradientBoostingRegressorTrainer 6.60
acpi PolynomialRegressionTrainer 11.67
acpi SVRRegressorTrainer 13.66
acpi SGDRegressorTrainer 14.78
acpi LinearRegressionTrainer 15.45
acpi LogarithmicRegressionTrainer 29.32
acpi ExponentialRegressionTrainer 41.66
acpi LogisticRegressionTrainer 33.70
EOF2
# Upstream's LogisticRegressionTrainer runs out of maxfev on rapl; gf's
# converges, which is recorded rather than compared.
diag "rapl LogisticRegressionTrainer: $(awk '$1 == "rapl" && $2 == "LogisticRegressionTrainer" { print $3 }' "$TEST_DIR/medians.txt") W (upstream: fails)"

test_done
