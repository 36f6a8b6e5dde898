#!/bin/sh
# Run gf's libFuzzer targets (built by `make fuzz`) for SECONDS each
# (default 60), starting from seeds taken from the repository and, when
# GF_DATA is set or ../shared/data exists, the shared data.
#
# Usage: scripts/fuzz.sh [SECONDS [TARGET...]]
#   TARGET: number csv qset jskip yaml model doc recorded args (default: all)
#
# Corpora grow in build-fuzz/corpus/<target>/ and are kept between runs.
# A finding (crash-*, leak-*, timeout-*, oom-*) is left in
# build-fuzz/findings/<target>/ and makes the script exit 1 once every
# target has run; rerun one with build-fuzz/fuzz/fuzz_<target> FILE.
# Once fixed, copy it (named for what it is) into tests/fuzz/regress/
# <target>/, which `make check` runs and which seeds every run.
set -eu

cd "$(dirname "$0")/.."
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-number csv qset jskip yaml model doc recorded args}
data=${GF_DATA:-$(pwd)/../shared/data}
out=build-fuzz
found=0

for t in $targets; do
	[ -x "$out/fuzz/fuzz_$t" ] || {
		echo "fuzz: $out/fuzz/fuzz_$t is not built (make fuzz)" >&2
		exit 66
	}
done
# The query-set target extracts with the shipped Kepler 0.7 profile.
export GF_PROFILE_PATH="$(pwd)/share/profiles"

seed() {
	dir=$out/corpus/$1
	mkdir -p "$dir"
	cp tests/fuzz/regress/"$1"/* "$dir"/
	case $1 in
	number)
		i=0
		for s in 1 -0 0.1 " 2.5e10 " 1e-320 0x1p-3 nan -inf \
		    123456789012345678901 9007199254740993 1.7976931348623157e308 \
		    "4.35" "	7"; do
			printf '%s' "$s" >"$dir/seed-$i"
			i=$((i + 1))
		done
		;;
	csv)
		printf 'timestamp,cpu_cycles,package_power\n1,2,3\n2,3.5,"4"\n' \
		    >"$dir/seed-small"
		for f in "$data"/kepler-model-db/nx12/preprocess_abs_default_acpi_Basic.csv \
		    "$data"/kepler-model-db/ec2-0.7.11/*.csv; do
			[ -f "$f" ] && head -c 8000 "$f" >"$dir/seed-$(basename "$f")"
		done
		;;
	qset)
		f=$data/kepler-model-server/prom_response-2023-09.json
		# Two series of every metric, eight samples each: a valid file
		# of a few kB with every metric the extractors look for.
		[ -f "$f" ] && jq -c 'with_entries(.value |= (.[:2] |
		    map(.values |= .[:8])))' "$f" >"$dir/seed-prom" || true
		f=$data/kepler-model-server/idle-2023-12.json
		[ -f "$f" ] && jq -c 'with_entries(.value |= (.[:2] |
		    map(.values |= .[:8])))' "$f" >"$dir/seed-idle" || true
		;;
	yaml)
		for f in share/plans/*.yaml share/checks/*.yaml share/profiles/*.yaml; do
			cp "$f" "$dir/seed-$(basename "$f")"
		done
		;;
	model)
		f=$data/kepler-model-db/nx12/preprocess_abs_default_acpi_CounterOnly.csv
		if [ -f "$f" ] && [ -x build/bin/gf-train ]; then
			tmp=$(mktemp -d)
			head -n 41 "$f" >"$tmp/small.csv"
			GF_STATE=none build/bin/gf-train -f "$tmp/small.csv" -E acpi \
			    -g CounterOnly --cv-folds 2 -o "$tmp/out" </dev/null >/dev/null 2>&1 || true
			find "$tmp/out" -name '*.gf.json' | while read -r m; do
				cp "$m" "$dir/seed-$(basename "$(dirname "$m")")"
			done
			rm -rf "$tmp"
		fi
		for f in "$data"/kepler-model-db/ec2-0.7.11/*/*/*/*.json; do
			[ -f "$f" ] && cp "$f" "$dir/seed-kepler-$(basename "$f")"
		done
		;;
	doc)
		printf '{"gf":{"version":1},"run":{"id":"r1"}}' >"$dir/seed-min"
		printf '' >"$dir/seed-empty"
		;;
	args)
		# The first byte picks the parser: p int, q number, r duration,
		# s time, t size, u plan specification, v template.
		i=0
		for s in p42 q90.5 r1h30m s2026-11-23T18:00:00.5+01:00 s1700000000 \
		    snow-15m t50MiB ucurve:default ucurve:stepwise utekton \
		    "v up{{job='{job}'}} {instance}"; do
			printf '%s' "$s" >"$dir/seed-$i"
			i=$((i + 1))
		done
		;;
	recorded)
		printf '%s' '{"up":{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"a"},"values":[[1700000000,"1"],[1700000003.5,"NaN"],[1700000007,2.25]]}]}},"x":{"resultType":"matrix","result":[]}}' >"$dir/seed-api"
		;;
	esac
}

for t in $targets; do
	seed "$t"
	mkdir -p "$out/findings/$t"
	echo "fuzz: $t for ${secs}s" >&2
	if ! "$out/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 \
	    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix="$out/findings/$t/" "$out/corpus/$t" \
	    2>"$out/findings/$t.log"; then
		found=1
		echo "fuzz: $t: finding, see $out/findings/$t/ and $out/findings/$t.log" >&2
		tail -n 30 "$out/findings/$t.log" >&2
	fi
done
exit $found
