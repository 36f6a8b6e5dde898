# Shared helpers for the benchmarks (sourced by bench/*.sh).
#
# Each bench/<name>.sh prints one Markdown section on stdout (progress on
# stderr) and uses these helpers. bench/run.sh adds the machine and date.
set -eu

: "${GF_SRC:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${GF_BUILD:=$GF_SRC/build}"
PATH="$GF_BUILD/bin:$PATH"
export GF_SRC GF_BUILD PATH

BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/gf-bench.XXXXXX")
bench_pids=""
bench_cleanup() {
	for p in $bench_pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null || :; done
	rm -rf "$BENCH_TMP"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

bench_track_pid() { bench_pids="$bench_pids $1"; }

bench_need() {	# PROGRAM...
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || {
			echo "bench: $p not found (scripts/install-deps.sh bench)" >&2
			exit 1
		}
	done
}

bench_log() { echo "bench: $*" >&2; }

# One line per fact about this machine, as Markdown list items.
bench_machine() {
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
	echo "- machine: $(nproc) CPUs (${cpu:-unknown CPU}), $mem RAM, $(uname -sr)"
	echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
}

# Median in seconds of result INDEX of a hyperfine --export-json file.
bench_median() {	# JSON INDEX
	jq -r ".results[$2].median" "$1"
}

# All run times of result INDEX, comma-separated, 2 decimals.
bench_times() {	# JSON INDEX
	jq -r "[.results[$2].times[] | . * 100 | round / 100 | tostring] | join(\", \")" "$1"
}

# Mean user + system CPU seconds of result INDEX, 2 decimals.
bench_cpu() {	# JSON INDEX
	jq -r ".results[$2] | (.user + .system) * 100 | round / 100" "$1"
}

# Median of column COL of a file of "wall user sys" lines.
bench_median_col() {	# FILE COL
	awk -v c="$2" '{ print $c }' "$1" | sort -n |
	awk '{ v[NR] = $1 } END { printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Median of user + system CPU of such a file.
bench_cpu_med() {	# FILE
	awk '{ print $2 + $3 }' "$1" | sort -n |
	awk '{ v[NR] = $1 } END { printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# The wall times of such a file, comma-separated.
bench_list() { awk '{ printf "%s%s", (NR > 1 ? ", " : ""), $1 }' "$1"; }

# a / b with 2 decimals.
bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# Size of a tree in MB (10^6 bytes).
bench_mb() { du -sb "$1" | awk '{ printf "%.0f", $1 / 1e6 }'; }
