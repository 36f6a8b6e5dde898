#!/bin/sh
# Run the benchmarks and append their results to docs/benchmarks.md.
#
#	bench/run.sh            every bench/*.sh except lib.sh and run.sh
#	bench/run.sh snapshot   only bench/snapshot.sh
#
# Each script prints one Markdown section; this adds a heading with the
# machine (CPUs, CPU model, memory) and the date, prints the result and
# appends it to $BENCH_OUT (default docs/benchmarks.md).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${GF_SRC:=$(dirname "$here")}"
export GF_SRC
out=${BENCH_OUT:-$GF_SRC/docs/benchmarks.md}

if [ $# -eq 0 ]; then
	set --
	for f in "$here"/*.sh; do
		case ${f##*/} in lib.sh|run.sh) ;; *) set -- "$@" "$f" ;; esac
	done
else
	n=$#
	for name in "$@"; do
		f=$here/${name%.sh}.sh
		[ -f "$f" ] || { echo "bench/run.sh: no benchmark '$name'" >&2; exit 64; }
		set -- "$@" "$f"
	done
	shift "$n"
fi

. "$here/lib.sh"
result=$BENCH_TMP/result.md
{
	echo
	echo "## Benchmark run $(date -u +%Y-%m-%d)"
	echo
	bench_machine
} >"$result"
rc=0
for f in "$@"; do
	bench_log "running ${f##*/}"
	echo >>"$result"
	if ! sh "$f" >>"$result"; then
		echo "(${f##*/} failed: see its standard error)" >>"$result"
		rc=1
	fi
done
mkdir -p "$(dirname "$out")"
[ -s "$out" ] || printf '# gf benchmarks\n\nAppended by `make bench` (bench/run.sh).\n' >"$out"
cat "$result" >>"$out"
cat "$result"
exit $rc
