#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Reference side of the extraction benchmark and of the extractor test:
kepler-model-server's DefaultExtractor (train/extractor/extractor.py at
3829b62) re-implemented with pandas, step by step as upstream does it:
query output -> one data frame per metric (generate_dataframe_from_response)
-> power per component (sum over mode and package per timestamp, diff over
the mean interval, negative -> NaN -> ffill -> 0) -> per-container feature
rates (diff over each row's interval, negative -> NaN -> ffill -> 0) ->
join on timestamp, dropna, sum over containers (AbsPower) -> drop rows whose
power is 0.

Old names as the reference notes: source "rapl" is rapl-sysfs and
*_bpf_cpu_time_us_total is bpf_cpu_time_ms x 1000.

usage: extract_ref.py QUERY.json SOURCE GROUP OUT.csv
"""
import json
import sys

import numpy as np
import pandas as pd

GROUPS = {
    "CounterOnly": ["cache_miss", "cpu_cycles", "cpu_instructions"],
    "CounterIRQCombined": ["bpf_block_irq", "bpf_net_rx_irq", "bpf_net_tx_irq",
                           "cache_miss", "cpu_cycles", "cpu_instructions"],
    "BPFOnly": ["bpf_cpu_time_ms", "bpf_page_cache_hit"],
    "CgroupOnly": ["cgroupfs_cpu_usage_us", "cgroupfs_memory_usage_bytes",
                   "cgroupfs_system_cpu_usage_us", "cgroupfs_user_cpu_usage_us"],
    "KubeletOnly": ["kubelet_cpu_usage", "kubelet_memory_bytes"],
}
SOURCES = {"rapl-sysfs": (["package", "core", "uncore", "dram"], ["rapl-sysfs", "rapl"]),
           "acpi": (["platform"], ["acpi"])}
ID_COLS = ["container_id", "pod_name", "container_name", "container_namespace"]


def frame(response, metric):
    rows = []
    for s in response[metric]:
        labels = s["metric"]
        for ts, v in s["values"]:
            r = dict(labels)
            r["timestamp"] = int(ts)
            r[metric] = float(v)
            rows.append(r)
    return pd.DataFrame(rows)


def feature_query(response, feature):
    q = "kepler_container_%s_total" % feature
    if q in response:
        return q, 1.0
    if feature == "bpf_cpu_time_ms":
        return "kepler_container_bpf_cpu_time_us_total", 0.001
    raise SystemExit("missing %s" % q)


def power_data(response, comps, sources):
    out = []
    for comp in comps:
        q = "kepler_node_%s_joules_total" % comp
        df = frame(response, q)
        df = df[df["job"] != "vm"]
        df = df[df["source"].isin(sources)]
        df = df.groupby("timestamp")[[q]].sum().sort_index()
        dt = np.mean(np.diff(df.index.values))
        col = df[q].diff() / dt
        col[col < 0] = np.nan
        col = col.ffill().fillna(0)
        out.append(col.rename("%s_power" % comp))
    return pd.concat(out, axis=1)


def feature_data(response, features):
    cols = []
    for feature in features:
        q, scale = feature_query(response, feature)
        df = frame(response, q)
        df = df[df["job"] != "vm"]
        df["id"] = df[ID_COLS].apply(lambda x: "/".join(x), axis=1)
        parts = []
        for cid in pd.unique(df["id"]):
            same = df[df["id"] == cid].groupby("timestamp")[[q]].sum().sort_index()
            dt = same.index.to_series().diff().values
            rate = same[q].diff() / dt
            rate[rate < 0] = np.nan
            rate = rate.ffill().fillna(0) * scale
            parts.append(pd.DataFrame({"timestamp": same.index, "id": cid,
                                       feature: rate.values}))
        cols.append(pd.concat(parts).set_index(["timestamp", "id"]))
    return pd.concat(cols, axis=1)


def extract(response, source, group):
    comps, sources = SOURCES[source]
    feats = GROUPS[group]
    power = power_data(response, comps, sources)
    # The first sample has no rate.
    power = power.iloc[1:]
    fd = feature_data(response, feats).dropna()
    summed = fd.groupby(level="timestamp").sum()
    df = summed.join(power, how="inner").dropna()
    pcols = ["%s_power" % c for c in comps]
    df = df[df[pcols].sum(axis=1) != 0]
    df["node_type"] = 0
    df.index.name = "timestamp"
    return df[feats + pcols + ["node_type"]]


def main():
    path, source, group, out = sys.argv[1:5]
    with open(path) as f:
        response = json.load(f)
    extract(response, source, group).to_csv(out)


if __name__ == "__main__":
    main()
