#!/bin/sh
# The local end-to-end run of gf on this machine: no cloud account and no
# power meter needed. About four minutes:
#
#   gf-provision up --provider local   this machine is the run's only host
#   | gf-kepler-install                Prometheus, node-exporter and a power
#                                      source (RAPL if readable, else the
#                                      simulated meter gf-powersim)
#   | gf-stress                        a short load curve (about 2 minutes),
#                                      every phase recorded as a window
#   | gf-train                         power models from those windows
#   | gf-stress                        a later, different curve ...
#   | gf-validate                      ... on which the model gf-train
#                                      selected is scored against measured power
#   | gf-snapshot                      a Prometheus TSDB snapshot, archived
#   | gf-commit                        all of it into a results repository
#
# The stack is stopped at the end, and also on Ctrl-C or any failure
# (gf-provision down, from the state file).
#
# Run it with the gf tools on PATH (`make demo` does that). Everything goes
# under ./demo-out (or $GF_DEMO_OUT): one directory per run, and the results
# repository demo-out/results. GF_POWER=simulated forces the simulated meter.
set -eu

for tool in gf-provision gf-kepler-install gf-stress gf-train gf-validate \
    gf-snapshot gf-commit jq; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "demo: $tool not found in PATH (run: make demo)" >&2
		exit 69
	}
done

OUT=${GF_DEMO_OUT:-$PWD/demo-out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
RUN=$OUT/run-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$RUN"
# Every tool saves the document here after its step: gf-provision down
# reads it to give everything back even when the pipe broke half-way.
export GF_STATE="$RUN/gf-state.json"

say() { printf '\ndemo: == %s\n' "$*" >&2; }

stop_stack() {
	if [ -f "$GF_STATE" ]; then
		gf-provision down </dev/null >"$RUN/down.json" 2>>"$RUN/down.log" ||
		    true
	fi
}
on_exit() {
	rc=$?
	trap - EXIT INT TERM
	if [ $rc -ne 0 ]; then
		echo "demo: failed or interrupted (exit $rc): stopping the stack" >&2
		echo "demo: logs and documents are in $RUN" >&2
	fi
	stop_stack
	exit $rc
}
trap on_exit EXIT
trap 'exit 130' INT TERM

# The time span of windows FROM..TO of a document (jq indexes; -1 = last).
span() { jq -r --argjson a "$2" --argjson b "$3" \
    '"\(.windows[$a].start) \(.windows[$b].end)"' "$1"; }

say "1/3 provision this machine, start the stack, run a 2-minute load curve"
gf-provision up --provider local </dev/null |
    gf-kepler-install --state-dir "$RUN/stack" --power "${GF_POWER:-auto}" |
    gf-stress --plan curve:default --repeats 1 --time-scale 0.6 \
    >"$RUN/1-loaded.json"

# Which node-exporter metrics the models learn from (features) and which
# they predict (power): the machine's CPU seconds against the RAPL zones
# the stack has (the simulated meter has package, core and dram).
zones=$(jq -r 'if .stack.power.source == "rapl"
    then [.stack.power.availability.domains[].name | sub("-[0-9]+$"; "")]
    else ["package", "core", "dram"] end
    | map(select(. == "package" or . == "core" or . == "uncore" or . == "dram"))
    | unique | .[]' "$RUN/1-loaded.json")
{
	cat <<'EOF'
name: gf-demo
step: 3s
features:
  cpu_busy_seconds: {metric: node_cpu_seconds_total, match: {mode: "!idle|iowait|steal"}}
  cpu_user_seconds: {metric: node_cpu_seconds_total, match: {mode: "user|nice"}}
  cpu_system_seconds: {metric: node_cpu_seconds_total, match: {mode: "system|irq|softirq"}}
groups:
  NodeCPU: [cpu_busy_seconds]
  NodeCPUModes: [cpu_system_seconds, cpu_user_seconds]
power:
  rapl-sysfs:
EOF
	for z in package core uncore dram; do
		case " $(echo $zones) " in
		*" $z "*) echo "    $z: node_rapl_${z}_joules_total" ;;
		esac
	done
} >"$RUN/profile.yaml"

# Train on the curve's span (after its warm-up), then run a later,
# different curve that the models have not seen, for the validation.
set -- $(span "$RUN/1-loaded.json" 1 -1)
ntrain=$(jq '.windows | length' "$RUN/1-loaded.json")
say "2/3 train power models on that curve, then run a later curve (about 1 minute)"
gf-train --start "$1" --end "$2" --profile "$RUN/profile.yaml" \
    --energy-source rapl-sysfs --feature-group NodeCPU,NodeCPUModes \
    --seed 1 --out "$RUN/models" <"$RUN/1-loaded.json" |
    gf-stress --plan curve:stepwise --repeats 1 --time-scale 0.2 \
    >"$RUN/2-trained.json"

# The model gf-train selected for package power: the lowest
# cross-validation error, measured on the training part only.
best=$(jq -c '[.train.best[] | select(.component == "package")]
    | sort_by(.cv.mae) | first' "$RUN/2-trained.json")
trainer=$(printf '%s' "$best" | jq -r .trainer)
group=$(printf '%s' "$best" | jq -r .feature_group)
model_dir=$(jq -r --arg t "$trainer" --arg g "$group" '.train.models[]
    | select(.trainer == $t and .feature_group == $g) | .files.dir' \
    "$RUN/2-trained.json")
model=$(jq -r .train.out "$RUN/2-trained.json")/$model_dir/package.gf.json
[ -f "$model" ] || { echo "demo: no model file at $model" >&2; exit 70; }
set -- $(span "$RUN/2-trained.json" "$ntrain" -1)

say "3/3 $trainer ($group) against measured package power on the later curve; snapshot; commit"
# The model's features as PromQL, at the same 3 s resolution as training.
fq() {
	case $1 in
	cpu_busy_seconds) m='mode!~"idle|iowait|steal"' ;;
	cpu_user_seconds) m='mode=~"user|nice"' ;;
	cpu_system_seconds) m='mode=~"system|irq|softirq"' ;;
	esac
	printf '%s=sum(rate(node_cpu_seconds_total{%s}[9s]))' "$1" "$m"
}
features=$(jq -r --arg g "$group" '.train.datasets[]
    | select(.feature_group == $g) | .features[]' "$RUN/2-trained.json")
fargs=""
for f in $features; do
	fargs="$fargs --feature-query $(fq "$f")"
done
gf-validate --model "$model" $fargs \
    --measured 'sum(rate(node_rapl_package_joules_total[9s]))' \
    --max-mape 15 --start "$1" --end "$2" --out "$RUN/validation" \
    --tag demo <"$RUN/2-trained.json" |
    gf-snapshot --out "$RUN/snapshot" |
    gf-commit --repo "$OUT/results" --init --layout validation --tag demo \
    >"$RUN/run.json" || true
# Snapshot and commit run even after a failed validation; a validation
# that ran and missed its threshold (exit 1) is a result, anything else
# stops the demo.
for tool in gf-validate gf-snapshot gf-commit; do
	st=$(jq --arg t "$tool" '[.steps[] | select(.tool == $t)][-1].exit // 70' \
	    "$RUN/run.json" 2>/dev/null || echo 70)
	if [ "$st" -ne 0 ] && { [ "$tool" != gf-validate ] || [ "$st" -ne 1 ]; }; then
		echo "demo: $tool failed (exit $st): see $RUN/run.json" >&2
		exit "$st"
	fi
done

say "stopping the stack"
stop_stack

doc=$RUN/run.json
source=$(jq -r '.stack.power.source' "$doc")
report=$(jq -r '.validate.report // empty' "$doc")
case $report in
/*) ;;
?*) report=$RUN/validation/$report ;;
esac
[ -n "$report" ] && [ -f "$report" ] ||
    report=$(ls "$RUN"/validation/report-*.md 2>/dev/null | head -n 1)
echo
echo "gf demo: run $(jq -r .run.id "$doc") on $(jq -r '.hosts[0].name' "$doc") ($(jq -r '.hosts[0].cpu_model // "?"' "$doc"), $(jq -r '.hosts[0].cores' "$doc") cores)"
if [ "$source" = simulated ]; then
	echo "power source: simulated (gf-powersim: no readable RAPL here;"
	echo "  package W = idle + dynamic x CPU utilisation, a stand-in, not a measurement)"
else
	echo "power source: $source"
fi
echo "models for package power from $group (hold-out: the last 20% of the training curve):"
jq -r --arg g "$group" '.train.models[] | select(.feature_group == $g)
    | select(.components.package.test != null)
    | "  \(.trainer): MAE \(.components.package.test.mae * 100 | round / 100) W, MAPE \(.components.package.test.mape // 0 | . * 100 | round / 100) %"' "$doc"
echo "selected: $trainer ($group), by cross-validation on the training part"
echo "validation on the later curve:"
jq -r '.validate.results[] | "  \(.name): MAE \(.mae // null | if . then (. * 100 | round / 100 | tostring) + " W" else "n/a" end), MAPE \(.mape // null | if . then (. * 100 | round / 100 | tostring) + " %" else "n/a" end): \(.verdict)"' "$doc"
echo "report:   $report"
echo "snapshot: $(jq -r '.snapshot.archive // "none"' "$doc")"
echo "results:  $OUT/results (commit $(jq -r '.commit.sha // "none"' "$doc"))"
echo "document: $doc"
