#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Compare two extracted tables (CSV): same columns, same timestamps, values
equal within a relative tolerance. usage: table_cmp.py A.csv B.csv [RTOL]"""
import sys

import numpy as np
import pandas as pd

a = pd.read_csv(sys.argv[1])
b = pd.read_csv(sys.argv[2])
rtol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-9
if list(a.columns) != list(b.columns):
    sys.exit("columns differ: %s vs %s" % (list(a.columns), list(b.columns)))
if len(a) != len(b):
    sys.exit("rows differ: %d vs %d" % (len(a), len(b)))
if not (a["timestamp"].values == b["timestamp"].values).all():
    sys.exit("timestamps differ")
for c in a.columns:
    if not np.allclose(a[c].values, b[c].values, rtol=rtol, atol=1e-9):
        i = int(np.argmax(np.abs(a[c].values - b[c].values)))
        sys.exit("column %s differs at row %d: %r vs %r" % (c, i, a[c].values[i], b[c].values[i]))
print("same: %d rows x %d columns" % (len(a), len(a.columns)))
