#!/usr/bin/python3
# The gf-validate computation in numpy/pandas, for bench/validate.sh.
#
#   validate_ref.py gen DIR NCHECKS HOURS STEP   write DIR/rec.json, DIR/checks.yaml
#   validate_ref.py run REC.json NCHECKS STEP     print {name: metrics} as JSON
#
# "run" does what gf-validate --from-json does for checks named c0..cN-1
# whose queries are a<i> and p<i>: parse the recorded query_range results
# (values are strings, as Prometheus sends them), drop NaN/Inf samples,
# pair samples whose timestamps differ by less than the step (nearest
# first, each used once), then MAE, MSE, RMSE, and MAPE over actual > 0.
import json
import sys
import time

import numpy as np
import pandas as pd


def gen(out, nchecks, hours, step):
    rng = np.random.default_rng(7)
    n = int(hours * 3600 / step)
    t0 = 1_790_000_000
    t = t0 + step * np.arange(n)
    rec = {}
    for i in range(nchecks):
        base = 50 + 20 * np.sin(np.arange(n) / (300 + 17 * i))
        a = base + rng.normal(0, 1.5, n)
        a[rng.random(n) < 0.002] = 0.0          # zero actuals
        p = base * (0.9 + 0.01 * i) + rng.normal(0, 2, n)
        a_nan = rng.random(n) < 0.001
        keep_a = rng.random(n) > 0.003          # gaps
        keep_p = rng.random(n) > 0.003
        for key, v, keep, nan in (("a%d" % i, a, keep_a, a_nan),
                                  ("p%d" % i, p, keep_p, None)):
            vals = []
            for j in np.nonzero(keep)[0]:
                s = "NaN" if nan is not None and nan[j] else "%.6f" % v[j]
                vals.append([int(t[j]), s])
            rec[key] = {"resultType": "matrix",
                        "result": [{"metric": {"check": str(i)},
                                    "values": vals}]}
    with open(out + "/rec.json", "w") as f:
        json.dump(rec, f, separators=(",", ":"))
    with open(out + "/checks.yaml", "w") as f:
        f.write("validations:\n")
        for i in range(nchecks):
            f.write("  - name: c%d\n    actual: a%d\n    predicted: p%d\n"
                    "    max_mape: 20\n" % (i, i, i))
    print(int(t[0]), int(t[-1]))


def series(rec, key):
    res = rec[key]["result"]
    if len(res) != 1:
        raise SystemExit("%s: %d series" % (key, len(res)))
    v = np.array(res[0]["values"], dtype=object)
    s = pd.DataFrame({"t": v[:, 0].astype(float),
                      "v": pd.to_numeric(v[:, 1], errors="coerce")})
    s["v"] = s["v"].astype(float)
    return s[np.isfinite(s["v"])]


def score(a, p, step):
    # Nearest match closer than the step. Range queries put both series
    # on the same grid, so this is one-to-one, as gf-validate's pairing.
    m = pd.merge_asof(a.rename(columns={"v": "a"}),
                      p.rename(columns={"v": "p"}), on="t",
                      direction="nearest", tolerance=step * (1 - 1e-9))
    m = m.dropna(subset=["p"])
    e = (m["a"] - m["p"]).to_numpy()
    act = m["a"].to_numpy()
    pos = act > 0
    mse = float(np.mean(e * e))
    return {"samples": int(len(m)),
            "mae": float(np.mean(np.abs(e))),
            "mse": mse,
            "rmse": float(np.sqrt(mse)),
            "mape": float(100 * np.mean(np.abs(e[pos]) / act[pos])),
            "samples_mape": int(pos.sum())}


def run(path, nchecks, step):
    t0 = time.perf_counter()
    with open(path) as f:
        rec = json.load(f)
    t1 = time.perf_counter()
    out = {}
    for i in range(nchecks):
        out["c%d" % i] = score(series(rec, "a%d" % i),
                               series(rec, "p%d" % i), step)
    t2 = time.perf_counter()
    json.dump(out, sys.stdout, indent=1)
    print()
    print("load %.3f s, compute %.3f s" % (t1 - t0, t2 - t1), file=sys.stderr)


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]),
            float(sys.argv[5]))
    else:
        run(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
