#!/bin/sh
# Golden CLI cases: tests/cli/<tool>/<NNN-slug>/ holds
#   args             one argument per line (@TMP@ = the case's scratch dir)
#   stdin            optional; standard input (else empty)
#   filter           optional jq program applied to stdout before comparing
#                    (default: the document without its volatile fields)
#   expected.exit    the exit status
#   expected.stdout  optional; what stdout must be after the filter
#   expected.stderr  optional; what stderr must be (@TMP@ substituted)
#   env              optional; VAR=value lines added to the tool's
#                    environment (@TMP@ substituted; a PATH keeps the
#                    built tools in front, so the tool is found by name)
#   files/           optional; copied into the scratch dir before the run
#   stdout-to        optional; a file standard output goes to instead of
#                    being compared (/dev/full: a full disk)
# The tool runs in the scratch dir, with GF_STATE=@TMP@/gf-state.json
# unless env sets it.
# Run: tests/cli.sh [--update]   (--update rewrites the expected files).
. "${GF_SRC:-.}/tests/lib.sh"
need jq jq

update=0
[ "${1:-}" = --update ] && update=1
default_filter='del(.run.id, .run.start, .validate.tag) | if .steps then .steps |= map(del(.start, .end, .seconds, .version)) else . end'

for case in "$GF_SRC"/tests/cli/*/[0-9]*; do
	[ -d "$case" ] || continue
	tool=$(basename "$(dirname "$case")")
	name="$tool/$(basename "$case")"
	tmp="$TEST_DIR/$(basename "$case")-$tool"
	mkdir -p "$tmp"
	[ -d "$case/files" ] && cp -R "$case/files/." "$tmp/"
	set -- env "GF_STATE=$tmp/gf-state.json"
	if [ -f "$case/env" ]; then
		while IFS= read -r line || [ -n "$line" ]; do
			line=$(printf '%s' "$line" | sed "s|@TMP@|$tmp|g")
			case $line in
			PATH=*) line="PATH=$GF_BUILD/bin:${line#PATH=}" ;;
			esac
			set -- "$@" "$line"
		done <"$case/env"
	fi
	set -- "$@" "$tool"
	while IFS= read -r line || [ -n "$line" ]; do
		set -- "$@" "$(printf '%s' "$line" | sed "s|@TMP@|$tmp|g")"
	done <"$case/args"
	stdin=/dev/null
	[ -f "$case/stdin" ] && stdin=$case/stdin
	out=$tmp/.stdout
	: >"$out"
	[ -f "$case/stdout-to" ] && out=$(sed "s|@TMP@|$tmp|g" "$case/stdout-to")
	(cd "$tmp" && "$@" <"$stdin" >"$out" 2>"$tmp/.stderr")
	rc=$?
	filter=$default_filter
	[ -f "$case/filter" ] && filter=$(cat "$case/filter")
	if [ -s "$tmp/.stdout" ] && jq -e . "$tmp/.stdout" >/dev/null 2>&1; then
		jq -S "$filter" "$tmp/.stdout" 2>"$tmp/.jqerr" |
		    sed "s|$tmp|@TMP@|g" >"$tmp/.out"
	else
		sed "s|$tmp|@TMP@|g" "$tmp/.stdout" >"$tmp/.out"
	fi
	sed "s|$tmp|@TMP@|g" "$tmp/.stderr" >"$tmp/.err"
	if [ $update -eq 1 ]; then
		echo $rc >"$case/expected.exit"
		[ -f "$case/expected.stdout" ] || [ -s "$tmp/.out" ] &&
		    cp "$tmp/.out" "$case/expected.stdout"
		[ -f "$case/expected.stderr" ] && cp "$tmp/.err" "$case/expected.stderr"
		ok 0 "$name (updated)"
		continue
	fi
	fail=""
	[ "$rc" = "$(cat "$case/expected.exit")" ] ||
	    fail="exit $rc, want $(cat "$case/expected.exit")"
	# A filter that fails leaves an empty output: not a pass.
	if [ -z "$fail" ] && [ -s "$tmp/.jqerr" ]; then
		fail="filter failed: $(head -c 500 "$tmp/.jqerr")"
	fi
	if [ -z "$fail" ] && [ -f "$case/expected.stdout" ] &&
	    ! diff -u "$case/expected.stdout" "$tmp/.out" >"$tmp/.diff"; then
		fail="stdout differs"
	fi
	if [ -z "$fail" ] && [ -f "$case/expected.stderr" ] &&
	    ! diff -u "$case/expected.stderr" "$tmp/.err" >"$tmp/.diff"; then
		fail="stderr differs"
	fi
	ok "$([ -z "$fail" ] && echo 0 || echo 1)" "$name"
	if [ -n "$fail" ]; then
		diag "$fail"
		[ -f "$tmp/.diff" ] && diag "$(cat "$tmp/.diff")"
		diag "stderr: $(head -c 2000 "$tmp/.stderr")"
	fi
	rm -f "$tmp/.diff"
done
test_done
