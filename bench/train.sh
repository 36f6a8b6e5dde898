#!/bin/sh
# gf-train side by side with scikit-learn / xgboost / scipy / pandas from
# Debian doing the same work on the same data and splits:
#  1. all ten trainers on each nx12 CSV (AbsPower), whole process, each
#     side keeping what it trained (gf-train its model tree, the reference
#     upstream's pickles, zips and weight files), and the accuracy of the
#     model each side selects on the time-block hold-out;
#  2. raw-query extraction of the 4 MB 2023 query output against a pandas
#     implementation of upstream's DefaultExtractor;
#  3. a scale sweep (rows resampled from nx12 with noise): time and peak
#     memory per trainer, and gf's XgboostFitTrainer against xgboost hist
#     with 2 threads at 10^6 rows.
# Knobs: BENCH_TRAIN_FILES (glob of nx12 names, default preprocess_abs_*),
# BENCH_TRAIN_ROUNDS (interleaved rounds per CSV in 1, default 3),
# BENCH_TRAIN_ROWS (default "1000 10000 100000 1000000"; add 10000000 for
# the sweep to 10^7 rows, about half an hour more and 3.5 GB of memory).
. "$(dirname "$0")/lib.sh"
bench_need gf-train jq /usr/bin/python3 /usr/bin/time
PY=/usr/bin/python3
DATA=${GF_DATA:-$GF_SRC/../shared/data}
NX=$DATA/kepler-model-db/nx12
Q=$DATA/kepler-model-server/prom_response-2023-09.json
T=$BENCH_TMP
B=$GF_SRC/bench
# gf-train's own fsyncs and state file are not part of the comparison:
# outputs go to a tmpfs when there is one, and no state file is written.
export GF_STATE=none
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	T=$(mktemp -d /dev/shm/gf-bench-train.XXXXXX)
	trap 'rm -rf "$T"; bench_cleanup' EXIT
fi

# run_into FILE CMD...: one run of CMD, its "wall user sys" appended to FILE
# (to the millisecond: GNU time's hundredths are 7 % of a gf-train run).
run_into() {
	_into=$1; shift
	$PY "$B/runtime.py" "$_into" "$@"
}

# medians FILE: median wall and median CPU (user+sys) seconds of the runs
# in FILE, as "wall cpu"; the machine may be shared, CPU time is the
# steadier of the two.
medians() {
	awk '{ print $1 }' "$1" | sort -g | awk '{ a[NR] = $1 } END { printf "%s ", a[int((NR + 1) / 2)] }'
	awk '{ print $2 + $3 }' "$1" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

# measure RUNS CMD...: medians of RUNS runs of CMD; nothing when a run
# fails (runtime.py says why), which need_two turns into the end.
measure() {
	runs=$1; shift
	: >"$T/m.txt"
	i=0
	while [ $i -lt "$runs" ]; do
		run_into "$T/m.txt" "$@" || return 1
		i=$((i + 1))
	done
	medians "$T/m.txt"
}

# need_two WHAT ARGS...: ARGS must be measure's "wall cpu".
need_two() {
	_what=$1; shift
	[ $# -eq 2 ] || { echo "bench: $_what failed; no result" >&2; exit 1; }
}

echo "### gf-train (bench/train.sh)"
echo
echo "Reference: bench/train_ref.py (scikit-learn $($PY -c 'import sklearn; print(sklearn.__version__)'),"
echo "xgboost $($PY -c 'import xgboost; print(xgboost.__version__)'), scipy, pandas $($PY -c 'import pandas; print(pandas.__version__)'))"
echo "with the protocol gf-train uses: MaxAbs scaling, tail:0.2 hold-out, 5-fold blocked CV on the"
echo "training part, best by CV MAE, seed 1; each side keeps what it trains (gf-train its model tree,"
echo "the reference, with --save, what kepler-model-server's trainers write: joblib pickles zipped per"
echo "trainer, weight JSON for the linear ones, the preprocessed table). Times, whole process: per CSV ${BENCH_TRAIN_ROUNDS:-3} rounds of (gf-train 3 runs,"
echo "the reference 1 run), interleaved so that a slower minute of a shared machine falls on both sides;"
echo "medians over all gf-train runs and all reference runs; wall clock, and CPU (user + system),"
echo "which is steadier on a shared machine."
echo
echo "#### 1. All ten trainers per nx12 CSV, whole process"
echo
echo "Accuracy columns, all on the time-block hold-out (last 20%): gf's model selected by blocked CV;"
echo "the trainer upstream would pick (lowest MAE on its random 90/10 split, seed 1), refitted on the"
echo "training part; the reference's own CV pick; and the best single reference trainer in hindsight"
echo "(an oracle no selection rule can beat on average)."
echo
echo "| CSV | gf-train wall / CPU s | reference wall / CPU s | speed-up wall / CPU | component | gf selected: trainer, MAE W | upstream pick (random split) | reference CV pick | best single (oracle) | gf <= upstream pick | gf <= oracle |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for f in $NX/${BENCH_TRAIN_FILES:-preprocess_abs_*}.csv; do
	b=$(basename "$f" .csv)
	rest=${b#preprocess_abs_default_}
	src=${rest%%_*}
	group=${rest#*_}
	bench_log "train $b"
	gf-train -f "$f" -E "$src" -g "$group" --seed 1 -o "$T/o" </dev/null >"$T/g.json" 2>"$T/g.err" ||
		{ echo "bench: gf-train failed on $b:" >&2; tail -5 "$T/g.err" >&2; exit 1; }
	: >"$T/gm.txt"
	: >"$T/rm.txt"
	round=0
	while [ $round -lt "${BENCH_TRAIN_ROUNDS:-3}" ]; do
		for run in 1 2 3; do
			run_into "$T/gm.txt" gf-train -f "$f" -E "$src" -g "$group" --seed 1 -o "$T/o"
		done
		run_into "$T/rm.txt" sh -c "$PY $B/train_ref.py --save $T/ref $f $src $group tail:0.2 1 5 >$T/r.json"
		round=$((round + 1))
	done
	set -- $(medians "$T/gm.txt")
	gs=$1 gc=$2
	set -- $(medians "$T/rm.txt")
	rs=$1 rc=$2
	$PY "$B/train_ref.py" "$f" "$src" "$group" random:0.1 1 0 >"$T/u.json"
	first=1
	for comp in $(jq -r '.best | keys[]' "$T/r.json"); do
		single=$(jq -r ".best.$comp.best_single_test_mae" "$T/r.json")
		[ "$(awk -v s="$single" 'BEGIN { print (s == 0) }')" = 1 ] && continue
		gt=$(jq -r ".train.best[] | select(.component == \"$comp\") | .trainer" "$T/g.json")
		gm=$(jq -r ".train.best[] | select(.component == \"$comp\") | .test.mae" "$T/g.json")
		rt=$(jq -r ".best.$comp.trainer" "$T/r.json")
		rm=$(jq -r ".best.$comp.test_mae" "$T/r.json")
		verdict=$(awk -v g="$gm" -v s="$single" 'BEGIN { if (g <= s * 1.0001) print "yes"; else printf "no (+%.1f%%)", (g / s - 1) * 100 }')
		ut=$(jq -r ".best.$comp.trainer" "$T/u.json")
		um=$(jq -r ".trainers.$ut.$comp.test_mae" "$T/r.json")
		uv=$(awk -v g="$gm" -v s="$um" 'BEGIN { if (g <= s * 1.0001) printf "yes (%.1f%%)", (g / s - 1) * 100; else printf "no (+%.1f%%)", (g / s - 1) * 100 }')
		if [ $first = 1 ]; then
			printf '| %s | %.3f / %.3f | %.2f / %.2f | %s× / %s× |' "$rest" "$gs" "$gc" "$rs" "$rc" \
			    "$(bench_ratio "$rs" "$gs")" "$(bench_ratio "$rc" "$gc")"
			first=0
		else
			printf '| | | | |'
		fi
		printf ' %s | %s %.2f | %s %.2f | %s %.2f | %.2f | %s | %s |\n' "$comp" "$gt" "$gm" "$ut" "$um" "$rt" "$rm" "$single" "$uv" "$verdict"
	done
done

echo
echo "#### 2. Raw-query extraction (prom_response-2023-09.json, 4.1 MB, rapl-sysfs CounterOnly)"
echo
set -- $(measure 5 gf-train -q "$Q" -E rapl-sysfs -g CounterOnly -X -o "$T/x")
need_two "gf-train -X" "$@"
gx=$1 gxc=$2
set -- $(measure 5 $PY "$B/extract_ref.py" "$Q" rapl-sysfs CounterOnly "$T/ref.csv")
need_two "extract_ref.py" "$@"
px=$1 pxc=$2
$PY "$B/table_cmp.py" "$T/x/gf/preprocessed_data/preprocess_abs_default_rapl-sysfs_CounterOnly.csv" "$T/ref.csv" >"$T/cmp.txt" 2>&1 || :
echo "| | wall s | CPU s |"
echo "|---|---|---|"
echo "| gf-train -X | $gx | $gxc |"
echo "| pandas DefaultExtractor (bench/extract_ref.py) | $px | $pxc |"
echo
echo "Speed-up: **$(bench_ratio "$px" "$gx")×** wall, **$(bench_ratio "$pxc" "$gxc")×** CPU (target ≥ 50×). Tables: $(cat "$T/cmp.txt")."
echo

echo "#### 3. Scale sweep (acpi CounterOnly resampled, 1% noise; tail:0.2 + 2-fold blocked CV = 3 fits)"
echo
echo "Peak RSS of the whole process; numeric data = rows × 6 columns × 8 bytes."
echo
echo "| rows | trainer | gf-train s | peak RSS MB | data MB | RSS / data | hold-out MAE W |"
echo "|---|---|---|---|---|---|---|"
src=$NX/preprocess_abs_default_acpi_CounterOnly.csv
for n in ${BENCH_TRAIN_ROWS:-1000 10000 100000 1000000}; do
	$PY "$B/resample.py" "$src" "$n" "$T/s.csv"
	dmb=$(awk -v n="$n" 'BEGIN { printf "%.1f", n * 6 * 8 / 1e6 }')
	for tr in LinearRegressionTrainer SGDRegressorTrainer PolynomialRegressionTrainer \
	    GradientBoostingRegressorTrainer KNeighborsRegressorTrainer SVRRegressorTrainer \
	    XgboostFitTrainer LogarithmicRegressionTrainer ExponentialRegressionTrainer \
	    LogisticRegressionTrainer; do
		if [ "$tr" = SVRRegressorTrainer ] && [ "$n" -gt 20000 ]; then
			echo "| $n | $tr | skipped (kernel SVR is O(n²) in memory and time) | | | | |"
			continue
		fi
		bench_log "sweep $n $tr"
		/usr/bin/time -f '%e %M %U %S' -o "$T/time.txt" gf-train -f "$T/s.csv" -E acpi \
		    -g CounterOnly -t "$tr" --cv-folds 2 --seed 1 -o "$T/so" </dev/null >"$T/sg.json" 2>/dev/null || :
		read -r secs kb u sy <"$T/time.txt"
		mae=$(jq -r '.train.models[0].components.platform.test.mae // "failed"' "$T/sg.json")
		# GNU time gives KiB; both sides in 10^6 bytes.
		echo "| $n | $tr | $secs | $(awk -v k="$kb" 'BEGIN { printf "%.0f", k * 1.024 / 1000 }') | $dmb | $(awk -v k="$kb" -v d="$dmb" 'BEGIN { printf "%.2f", k * 1.024 / 1000 / d }') | $(printf %.3f "$mae" 2>/dev/null || echo "$mae") |"
		if [ "$tr" = XgboostFitTrainer ]; then
			eval "gfx_$n=$secs gfm_$n=$mae"
		fi
	done
done
echo
echo "#### gf XgboostFitTrainer against xgboost hist (2 threads), same split and folds"
echo
echo "| rows | gf-train s | xgboost s (train_ref.py, whole process) | speed-up | gf MAE | xgboost MAE | MAE difference |"
echo "|---|---|---|---|---|---|---|"
for n in ${BENCH_TRAIN_ROWS:-1000 10000 100000 1000000}; do
	$PY "$B/resample.py" "$src" "$n" "$T/s.csv"
	bench_log "xgboost $n"
	/usr/bin/time -f '%e %M %U %S' -o "$T/time.txt" $PY "$B/train_ref.py" "$T/s.csv" acpi CounterOnly \
	    tail:0.2 1 2 XgboostFitTrainer >"$T/xr.json"
	read -r xs kb u sy <"$T/time.txt"
	xm=$(jq -r '.trainers.XgboostFitTrainer.platform.test_mae' "$T/xr.json")
	eval "gs=\$gfx_$n gm=\$gfm_$n"
	echo "| $n | $gs | $xs | $(bench_ratio "$xs" "$gs")× | $(printf %.3f "$gm") | $(printf %.3f "$xm") | $(awk -v a="$gm" -v b="$xm" 'BEGIN { printf "%+.1f%%", (a / b - 1) * 100 }') |"
done
