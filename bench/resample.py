#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Scale-sweep data: N rows resampled (with replacement, seeded) from an
nx12 CSV, features and power times (1 + 1% Gaussian noise), timestamps
every 3 s. usage: resample.py IN.csv N OUT.csv"""
import sys

import numpy as np
import pandas as pd

src, n, out = sys.argv[1], int(float(sys.argv[2])), sys.argv[3]
df = pd.read_csv(src)
rng = np.random.default_rng(1)
idx = rng.integers(0, len(df), n)
r = df.iloc[idx].reset_index(drop=True)
for c in r.columns:
    if c in ("timestamp", "node_type"):
        continue
    r[c] = r[c].values * (1 + 0.01 * rng.standard_normal(n))
r["timestamp"] = 1695115663 + 3 * np.arange(n)
r.to_csv(out, index=False, float_format="%.10g")
