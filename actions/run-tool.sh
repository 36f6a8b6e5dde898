#!/usr/bin/env bash
# Run one gf tool from a composite action: the run document is read from
# and written back to a file (atomically), extra arguments come one per
# line in GF_ARGS (no word splitting, no shell evaluation of inputs), and a
# failure becomes an ::error:: annotation carrying the step's message.
#
# usage: run-tool.sh TOOL [ARG...]     env: GF_DOC, GF_ARGS, GITHUB_OUTPUT
set -uo pipefail

tool=$1
shift
doc=${GF_DOC:-${RUNNER_TEMP:-.}/gf-run.json}
args=("$@")
if [ -n "${GF_ARGS:-}" ]; then
	while IFS= read -r line; do
		[ -n "$line" ] && args+=("$line")
	done <<<"$GF_ARGS"
fi

mkdir -p "$(dirname "$doc")"
[ -f "$doc" ] || : >"$doc"
"$tool" "${args[@]}" <"$doc" >"$doc.new"
rc=$?
# A tool always writes the document, also when it fails; keep the old one
# only when nothing came out (a usage error).
if [ -s "$doc.new" ]; then
	mv "$doc.new" "$doc"
else
	rm -f "$doc.new"
fi
{
	echo "exit-code=$rc"
	echo "document=$doc"
} >>"${GITHUB_OUTPUT:-/dev/null}"
if [ "$rc" -ne 0 ]; then
	msg=$(jq -r '.steps[-1].error.message // empty' "$doc" 2>/dev/null)
	echo "::error title=$tool failed (exit $rc)::${msg:-see the log above}" >&2
fi
exit "$rc"
