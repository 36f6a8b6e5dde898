#!/bin/sh
# gf-validate against a numpy/pandas implementation of the same
# computation (bench/validate_ref.py, Debian's /usr/bin/python3): 20
# checks over 24 h of 3 s samples (28,800 per series, with NaN, zero
# actuals and gaps), read from the same recorded query_range file
# (gf-validate --from-json), so both time parsing the series, alignment
# and the metrics, and neither times Prometheus. The numbers must agree
# (relative difference < 1e-9) before any time is reported.
# Knobs: BENCH_CHECKS (20), BENCH_HOURS (24), BENCH_RUNS (10).
. "$(dirname "$0")/lib.sh"
bench_need gf-validate hyperfine jq /usr/bin/python3

checks=${BENCH_CHECKS:-20}
hours=${BENCH_HOURS:-24}
runs=${BENCH_RUNS:-10}
ref=$GF_SRC/bench/validate_ref.py
d=$BENCH_TMP

bench_log "generating $checks checks x $hours h of 3 s samples"
set -- $(/usr/bin/python3 "$ref" gen "$d" "$checks" "$hours" 3)
t0=$1 t1=$2
gfcmd="gf-validate --from-json $d/rec.json -k $d/checks.yaml -Z 3s -s $t0 -e $t1"
pycmd="/usr/bin/python3 $ref run $d/rec.json $checks 3"

GF_STATE=none GF_LOG_LEVEL=quiet $gfcmd </dev/null >"$d/gf.json" || [ $? -eq 1 ]
$pycmd >"$d/py.json" 2>"$d/py.err"
/usr/bin/python3 - "$d/gf.json" "$d/py.json" >"$d/cmp.txt" <<'PY'
import json, math, sys
gf = {r["name"]: r for r in json.load(open(sys.argv[1]))["validate"]["results"]}
py = json.load(open(sys.argv[2]))
worst = 0.0
for name, want in py.items():
    got = gf[name]
    for k in ("samples", "samples_mape"):
        assert got[k] == want[k], (name, k, got[k], want[k])
    for k in ("mae", "mse", "rmse", "mape"):
        rel = abs(got[k] - want[k]) / max(abs(want[k]), 1e-300)
        worst = max(worst, rel)
        assert rel < 1e-9, (name, k, got[k], want[k])
print("%d checks, %d pairs each (c0), worst relative difference %.1e"
      % (len(py), py["c0"]["samples"], worst))
PY
bench_log "$(cat "$d/cmp.txt")"

GF_STATE=none GF_LOG_LEVEL=quiet hyperfine -N --warmup 1 --runs "$runs" -i \
	--export-json "$d/h.json" "$gfcmd" "$pycmd" >&2 </dev/null
g=$(bench_median "$d/h.json" 0)
p=$(bench_median "$d/h.json" 1)

echo "### gf-validate: $checks checks over $hours h of 3 s samples"
echo
echo "Same recorded query_range file for both (JSON, values as strings);"
echo "each run parses it, drops NaN/Inf, aligns the pairs and computes"
echo "MAE/MSE/RMSE/MAPE for every check. Reference: bench/validate_ref.py"
echo "(numpy/pandas, Debian's python3). Agreement: $(cat "$d/cmp.txt")."
echo "Python's own split of one run: $(cat "$d/py.err")."
echo
echo "| program | median (s) | runs (s) |"
echo "| --- | ---: | --- |"
echo "| gf-validate --from-json | $(printf %.3f "$g") | $(bench_times "$d/h.json" 0) |"
echo "| validate_ref.py (numpy/pandas) | $(printf %.3f "$p") | $(bench_times "$d/h.json" 1) |"
echo
echo "gf-validate is $(bench_ratio "$p" "$g")x faster."
