#!/bin/sh
# gf-snapshot archiving a >= 200 MB snapshot directory against
# `tar -cf - | zstd -T0` at the same level on the same directory.
#
# The directory imitates a Prometheus TSDB: block directories with a
# chunks file of XOR-like, high-entropy sample data, an index of label
# text and postings, meta.json and tombstones (zstd gets about 1.3x on
# it, as on real chunks, not the 100x of zeros). A small stand-in answers
# the admin snapshot call by hard-linking the blocks into
# snapshots/<name>, as Prometheus does, so the whole tool is timed.
# Knobs: BENCH_MB (default 240), BENCH_RUNS (5), BENCH_LEVEL (3).
. "$(dirname "$0")/lib.sh"
bench_need gf-snapshot jq tar zstd /usr/bin/python3 /usr/bin/time

mb=${BENCH_MB:-240}
runs=${BENCH_RUNS:-5}
level=${BENCH_LEVEL:-3}
data=$BENCH_TMP/data
mkdir -p "$data"

bench_log "generating a ${mb} MB TSDB-like tree"
/usr/bin/python3 - "$data/blocks" "$mb" <<'PY'
import json, os, sys
import numpy as np
root, mb = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(42)
nblocks = 8
per = mb * 1000 * 1000 // nblocks
for b in range(nblocks):
    ulid = "01J%023d" % b
    d = os.path.join(root, ulid)
    os.makedirs(os.path.join(d, "chunks"))
    # Chunks: varint-ish deltas and XOR'd floats: mostly small values
    # with a long tail, plus stretches of raw random bytes.
    n = per * 95 // 100
    small = np.minimum(rng.geometric(0.06, n), 255).astype(np.uint8)
    raw = rng.integers(0, 256, n, dtype=np.uint8)
    mask = (np.arange(n) // 4096) % 3 == 0
    chunk = np.where(mask, raw, small)
    chunk.tofile(os.path.join(d, "chunks", "000001"))
    # Index: symbols (label names/values) then postings (sorted ids).
    with open(os.path.join(d, "index"), "wb") as f:
        lines = []
        for i in range(max(100, per * 3 // 100 // 90)):
            lines.append('node_rapl_package_joules_total{instance="10.0.%d.%d:9100",job="node",index="%d"}' % (i // 250, i % 250, i % 4))
        f.write("\n".join(lines).encode())
        ids = np.cumsum(rng.integers(1, 40, max(0, per * 5 // 100 - f.tell()) // 4)).astype("<u4")
        ids.tofile(f)
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump({"ulid": ulid, "minTime": 1763683200000 + b * 7200000,
                   "maxTime": 1763683200000 + (b + 1) * 7200000,
                   "stats": {"numSamples": per // 2}, "version": 1}, f)
    open(os.path.join(d, "tombstones"), "wb").write(b"\x01\x30\xba\x00")
PY

# The stand-in Prometheus: only the snapshot call.
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
/usr/bin/python3 - "$data" "$port" <<'PY' >"$BENCH_TMP/server.log" 2>&1 &
import http.server, json, os, sys, time, secrets
data, port = sys.argv[1], int(sys.argv[2])
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        name = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + secrets.token_hex(8)
        src = os.path.join(data, "blocks")
        for dirpath, dirs, files in os.walk(src):
            rel = os.path.relpath(dirpath, src)
            os.makedirs(os.path.join(data, "snapshots", name, rel), exist_ok=True)
            for f in files:
                os.link(os.path.join(dirpath, f), os.path.join(data, "snapshots", name, rel, f))
        body = json.dumps({"status": "success", "data": {"name": name}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
bench_track_pid $!
sleep 1
size=$(bench_mb "$data/blocks")
url=http://127.0.0.1:$port
export GF_STATE=none

bench_log "checking both commands once"
echo '{}' | gf-snapshot -p "$url" --data-dir "$data" -o "$BENCH_TMP/gf" --level "$level" --remove-snapshot \
	>"$BENCH_TMP/doc.json"
gf_size=$(jq -r .snapshot.size "$BENCH_TMP/doc.json")
tar -cf - -C "$data/blocks" . | zstd -q -"$level" -T0 -f -o "$BENCH_TMP/ref.tar.zst"
ref_size=$(wc -c <"$BENCH_TMP/ref.tar.zst" | tr -d ' ')

bench_log "timing ($runs interleaved rounds, one warm-up)"
load0=$(cut -d" " -f1-3 /proc/loadavg)
# The commands take turns, round after round, so a change in the load of
# a shared machine hits all of them alike (hyperfine runs one after the
# other).
set -- \
	"echo '{}' | gf-snapshot -p $url --data-dir $data -o $BENCH_TMP/gf --level $level >/dev/null 2>&1" \
	"tar -cf - -C $data/blocks . | zstd -q -$level -T0 -f -o $BENCH_TMP/ref.tar.zst" \
	"echo '{}' | gf-snapshot -p $url --data-dir $data -o $BENCH_TMP/gf --level $level --sync >/dev/null 2>&1" \
	"tar -cf - -C $data/blocks . | zstd -q -$level -T0 -f -o $BENCH_TMP/ref.tar.zst && sync $BENCH_TMP/ref.tar.zst"
round=0
while [ $round -le "$runs" ]; do
	k=0
	for cmd in "$@"; do
		rm -rf "$BENCH_TMP/gf" "$BENCH_TMP/ref.tar.zst" "$data/snapshots"
		/usr/bin/time -f "%e %U %S" -o "$BENCH_TMP/t" sh -c "$cmd"
		[ $round -eq 0 ] || cat "$BENCH_TMP/t" >>"$BENCH_TMP/times.$k"
		k=$((k + 1))
	done
	round=$((round + 1))
done
gf=$(bench_median_col "$BENCH_TMP/times.0" 1)
ref=$(bench_median_col "$BENCH_TMP/times.1" 1)
gfs=$(bench_median_col "$BENCH_TMP/times.2" 1)
refs=$(bench_median_col "$BENCH_TMP/times.3" 1)

cat <<MD
### gf-snapshot vs tar + zstd ($size MB snapshot, zstd level $level)

Same directory (8 TSDB-like blocks, page cache warm); $runs rounds after one
warm-up round, the four commands taking turns in each round; outputs
removed before each run; wall and CPU times from GNU time. gf-snapshot is
timed whole: snapshot call (a stand-in that hard-links the blocks, as
Prometheus does), archive with libarchive's zstd on $(nproc) worker
threads, sha256 (computed while writing), record, document.

Load average before and after: $load0 / $(cut -d" " -f1-3 /proc/loadavg).

| command | median wall (s) | runs (s) | median CPU user+sys (s) | archive (MB) |
|---|---|---|---|---|
| gf-snapshot --level $level | $(printf '%.2f' "$gf") | $(bench_list "$BENCH_TMP/times.0") | $(bench_cpu_med "$BENCH_TMP/times.0") | $(awk -v b="$gf_size" 'BEGIN { printf "%.1f", b / 1e6 }') |
| tar -cf - \| zstd -$level -T0 | $(printf '%.2f' "$ref") | $(bench_list "$BENCH_TMP/times.1") | $(bench_cpu_med "$BENCH_TMP/times.1") | $(awk -v b="$ref_size" 'BEGIN { printf "%.1f", b / 1e6 }') |
| gf-snapshot --level $level --sync | $(printf '%.2f' "$gfs") | $(bench_list "$BENCH_TMP/times.2") | $(bench_cpu_med "$BENCH_TMP/times.2") | |
| tar -cf - \| zstd -$level -T0 && sync | $(printf '%.2f' "$refs") | $(bench_list "$BENCH_TMP/times.3") | $(bench_cpu_med "$BENCH_TMP/times.3") | |

Ratio (tar + zstd median / gf-snapshot median): **$(bench_ratio "$ref" "$gf")**;
both flushed to disk (\`--sync\`, \`&& sync\`): **$(bench_ratio "$refs" "$gfs")**
(above 1 means gf-snapshot is faster).
MD
