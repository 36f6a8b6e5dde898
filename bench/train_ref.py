#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Reference side of the training benchmark: kepler-model-server's ten
trainers with scikit-learn / xgboost / scipy (Debian), doing the work
gf-train does on one preprocessed CSV: MaxAbs scaling, per component a fit
on the training part of the split, the hold-out scores, and blocked K-fold
cross-validation on the training part; the best trainer per component is
picked by CV MAE. Prints one JSON object (per trainer and component: test
and CV MAE) on stdout.

usage: train_ref.py [--save DIR] CSV SOURCE GROUP [tail:0.2|random:0.1] [SEED] [FOLDS] [TRAINER,...]
FOLDS 0: no cross-validation; "best" is then the lowest hold-out MAE, which
is how upstream picks (on its random 90/10 split).

--save DIR: keep what was trained as kepler-model-server's trainers do
(and gf-train does in its model tree): per trainer a folder of joblib
pickles (xgboost JSON for XGBoost), the scaler and metadata.json, zipped
beside it, and a weight JSON for the linear trainers; the preprocessed
table under preprocessed_data/.
"""
import json
import os
import shutil
import sys
import time
import warnings

import numpy as np
import pandas as pd
import joblib
from scipy.optimize import curve_fit
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import LinearRegression, SGDRegressor
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler, PolynomialFeatures
from sklearn.svm import SVR
from xgboost import XGBRegressor

warnings.filterwarnings("ignore")

GROUPS = {
    "CounterOnly": (["cache_miss", "cpu_cycles", "cpu_instructions"], "cpu_instructions", "cache_miss"),
    "BPFOnly": (["bpf_cpu_time_ms", "bpf_page_cache_hit"], "bpf_cpu_time_ms", "bpf_page_cache_hit"),
    "BPFIRQ": (["bpf_block_irq", "bpf_cpu_time_ms", "bpf_net_rx_irq", "bpf_net_tx_irq",
                "bpf_page_cache_hit"], "bpf_cpu_time_ms", "bpf_page_cache_hit"),
    "CounterIRQCombined": (["bpf_block_irq", "bpf_net_rx_irq", "bpf_net_tx_irq", "cache_miss",
                            "cpu_cycles", "cpu_instructions"], "cpu_instructions", "cache_miss"),
    "Basic": (["bpf_cpu_time_ms", "bpf_page_cache_hit", "cache_miss", "cpu_cycles",
               "cpu_instructions"], "cpu_instructions", "cache_miss"),
    "CgroupOnly": (["cgroupfs_cpu_usage_us", "cgroupfs_memory_usage_bytes", "cgroupfs_system_cpu_usage_us",
                    "cgroupfs_user_cpu_usage_us"], "cgroupfs_cpu_usage_us", "cgroupfs_memory_usage_bytes"),
    "KubeletOnly": (["kubelet_cpu_usage", "kubelet_memory_bytes"], "kubelet_cpu_usage", "kubelet_memory_bytes"),
}
COMPONENTS = {"rapl": ["package", "core", "uncore", "dram"], "rapl-sysfs": ["package", "core", "uncore", "dram"],
              "acpi": ["platform"]}


def log_f(x, a, b, c):
    return a * np.log(b * x + 1) + c


def exp_f(x, a, b, c):
    return a * np.exp(b * x) + c


def logi_f(x, A, x0, k, off):
    return A / (1 + np.exp(-k * (x - x0))) + off


class Curve:
    def __init__(self, kind):
        self.kind = kind

    def fit(self, X, y):
        x = X[:, 0]
        ymin, ymax = float(np.min(y)), float(np.max(y))
        if self.kind == "log":
            self.f, p0 = log_f, [ymax - ymin, 1, ymin]
        elif self.kind == "exp":
            a = (ymax - ymin) // np.e
            self.f, p0 = exp_f, [a, 1, ymin - a]
        else:
            std = np.std(y)
            self.f, p0 = logi_f, [ymax - ymin, 0.5, (ymax - ymin) // std if std else 1, ymin]
        self.p, _ = curve_fit(self.f, x, y, p0=p0, maxfev=30000)
        return self

    def predict(self, X):
        return self.f(X[:, 0], *self.p)


def trainers(seed):
    return {
        "LinearRegressionTrainer": lambda: LinearRegression(positive=True),
        "SGDRegressorTrainer": lambda: SGDRegressor(max_iter=1000, random_state=seed),
        "PolynomialRegressionTrainer": lambda: make_pipeline(PolynomialFeatures(degree=2), LinearRegression()),
        "GradientBoostingRegressorTrainer": lambda: GradientBoostingRegressor(
            n_estimators=100, max_depth=3, learning_rate=0.1, random_state=seed),
        "KNeighborsRegressorTrainer": lambda: KNeighborsRegressor(n_neighbors=6),
        "SVRRegressorTrainer": lambda: SVR(C=1.0, epsilon=0.2),
        "XgboostFitTrainer": lambda: XGBRegressor(n_estimators=100, learning_rate=0.1, random_state=seed,
                                                  tree_method="hist", n_jobs=2),
        "LogarithmicRegressionTrainer": lambda: Curve("log"),
        "ExponentialRegressionTrainer": lambda: Curve("exp"),
        "LogisticRegressionTrainer": lambda: Curve("logi"),
    }


def blocks(n, k):
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    start = 0
    for s in sizes:
        yield start, start + s
        start += s


def mae(y, p):
    return float(np.mean(np.abs(y - p)))


def save(outdir, name, feats, models, res):
    """A trainer's models as upstream keeps them: a folder zipped beside
    itself, and the weight JSON of a linear model."""
    d = os.path.join(outdir, "%s_1" % name)
    os.makedirs(d, exist_ok=True)
    weights = {}
    for comp, (scaler, m) in models.items():
        if isinstance(m, XGBRegressor):
            m.save_model(os.path.join(d, "%s.json" % comp))
        else:
            joblib.dump(m, os.path.join(d, "%s.pkl" % comp))
        if hasattr(m, "coef_") and hasattr(m, "intercept_"):
            weights[comp] = {"All_Weights": {
                "Bias_Weight": float(np.ravel(m.intercept_)[0]),
                "Categorical_Variables": {},
                "Numerical_Variables": {f: {"scale": float(s), "weight": float(w)} for f, s, w in
                                        zip(feats, scaler.scale_, np.ravel(m.coef_))}}}
    # One scaler per trainer, as upstream keeps it: the last component's.
    joblib.dump(scaler, os.path.join(d, "scaler.pkl"))
    with open(os.path.join(d, "metadata.json"), "w", encoding="ascii") as f:
        json.dump({"model_name": "%s_1" % name, "features": feats, "errors": res}, f)
    shutil.make_archive(d, "zip", d)
    if weights:
        with open(d + ".json", "w", encoding="ascii") as f:
            json.dump(weights, f)


def main():
    args = sys.argv[1:]
    outdir = None
    if args[:1] == ["--save"]:
        outdir, args = args[1], args[2:]
    path, source, group = args[0:3]
    split = args[3] if len(args) > 3 else "tail:0.2"
    seed = int(args[4]) if len(args) > 4 else 1
    folds = int(args[5]) if len(args) > 5 else 5
    only = args[6].split(",") if len(args) > 6 else None
    t0 = time.time()
    df = pd.read_csv(path)
    feats, main_f, dram_f = GROUPS[group]
    if "bpf_cpu_time_us" in df.columns and "bpf_cpu_time_ms" not in df.columns:
        df["bpf_cpu_time_ms"] = df["bpf_cpu_time_us"] / 1000
    feats = [f for f in feats if f in df.columns]
    comps = [c for c in COMPONENTS[source] if "%s_power" % c in df.columns]
    Xall = df[feats].values.astype(float)
    n = len(df)
    kind, frac = split.split(":")
    frac = float(frac)
    if kind == "tail":
        ntest = int(np.ceil(n * frac))
        tr, te = np.arange(n - ntest), np.arange(n - ntest, n)
    else:
        tr, te = train_test_split(np.arange(n), test_size=frac, random_state=seed)
        tr, te = np.sort(tr), np.sort(te)
    out = {"rows": n, "features": feats, "split": split, "trainers": {}, "best": {}}
    if outdir:
        os.makedirs(os.path.join(outdir, "preprocessed_data"), exist_ok=True)
        df.to_csv(os.path.join(outdir, "preprocessed_data", os.path.basename(path)), index=False)
    for name, make in trainers(seed).items():
        if only and name not in only:
            continue
        res = {}
        models = {}
        for comp in comps:
            y = df["%s_power" % comp].values.astype(float)
            X = Xall
            if name.startswith(("Logarithmic", "Exponential", "Logistic")):
                mf = dram_f if comp == "dram" and dram_f in feats else main_f
                mf = mf if mf in feats else feats[0]
                order = [feats.index(mf)] + [i for i in range(len(feats)) if feats[i] != mf]
                X = Xall[:, order]
            try:
                scaler = MaxAbsScaler().fit(X[tr])
                m = make().fit(scaler.transform(X[tr]), y[tr])
                test = mae(y[te], m.predict(scaler.transform(X[te])))
                models[comp] = (scaler, m)
                errs = []
                for a, b in (blocks(len(tr), folds) if folds > 0 else []):
                    ftr = np.concatenate([tr[:a], tr[b:]])
                    fte = tr[a:b]
                    s = MaxAbsScaler().fit(X[ftr])
                    fm = make().fit(s.transform(X[ftr]), y[ftr])
                    errs.append(np.abs(y[fte] - fm.predict(s.transform(X[fte]))))
                cv = float(np.mean(np.concatenate(errs))) if errs else float("nan")
                res[comp] = {"test_mae": test, "cv_mae": cv}
            except Exception as e:  # a fit that fails is reported, as in gf
                res[comp] = {"error": str(e)[:200]}
        out["trainers"][name] = res
        if outdir and models:
            save(outdir, name, feats, models, res)
    for comp in comps:
        if folds == 0:
            ok = [(v[comp]["test_mae"], k) for k, v in out["trainers"].items() if "test_mae" in v[comp]]
            out["best"][comp] = {"trainer": min(ok)[1], "test_mae": min(ok)[0]}
            continue
        ok = [(v[comp]["cv_mae"], k) for k, v in out["trainers"].items() if "cv_mae" in v[comp]]
        best = min(ok)[1]
        out["best"][comp] = {"trainer": best, "test_mae": out["trainers"][best][comp]["test_mae"],
                             "best_single_test_mae": min(v[comp]["test_mae"] for v in out["trainers"].values()
                                                         if "test_mae" in v[comp])}
    out["seconds"] = time.time() - t0
    json.dump(out, sys.stdout)
    print()


if __name__ == "__main__":
    main()
