#!/bin/sh
# gf-train through the Prometheus HTTP API: the 2023 raw query output is
# converted to OpenMetrics, backfilled into a real Prometheus with promtool,
# and the models trained from the API for the document's windows are the
# same as those trained from the file.
. "$GF_SRC/tests/lib.sh"
need jq jq
need promtool prometheus

Q="$GF_DATA/kepler-model-server/prom_response-2023-09.json"
[ -f "$Q" ] || skip_all "no kepler-model-server data under GF_DATA ($GF_DATA)"

# Query output -> OpenMetrics (type unknown keeps names as they are).
cat >"$TEST_DIR/om.jq" <<'JQ'
to_entries[] | .key as $m |
  "# TYPE \($m) unknown",
  (.value[] | (.metric | del(.__name__) | to_entries
      | map("\(.key)=\"\(.value | gsub("\\\\"; "\\\\\\\\") | gsub("\""; "\\\""))\"")
      | join(",")) as $l
    | .values[] | "\($m){\($l)} \(.[1]) \(.[0])")
JQ
(cd "$TEST_DIR" && { jq -r -f om.jq "$Q" && echo "# EOF"; } >q.om &&
    promtool tsdb create-blocks-from openmetrics q.om tsdb >promtool.log 2>&1) ||
	{ echo "Bail out! promtool backfill failed"; exit 1; }
# The file has series with gaps (a container's "command" label changing);
# with the default 5 m lookback Prometheus would repeat their last value
# across a gap, which the file does not. Live scrapes end such series with
# staleness markers; a backfill has none, so the lookback is set to 1 s.
start_prometheus_on "$TEST_DIR/tsdb" --query.lookback-delta=1s
START=1695361425
END=1695361986

test_expect_success 'the same models from the file and from the API' '
	gf-train -q "$Q" -g CounterOnly,CounterIRQCombined --seed 1 -o f </dev/null >f.json 2>/dev/null &&
	echo "{\"windows\": [{\"name\": \"stress\", \"start\": $START, \"end\": $END, \"params\": {}}]}" |
	    gf-train -p "$PROM_URL" -g CounterOnly,CounterIRQCombined --seed 1 -o p >p.json 2>err &&
	grep -q "querying" err &&
	jq -e ".train.models | length == 40" p.json &&
	jq -c "[.train.models[] | [.source, .feature_group, .trainer, .components]]" f.json >a &&
	jq -c "[.train.models[] | [.source, .feature_group, .trainer, .components]]" p.json >b &&
	cmp a b &&
	for x in f/gf/*/AbsPower/*/*.json; do cmp "$x" "p/${x#f/}" || exit 1; done &&
	cmp f/gf/preprocessed_data/preprocess_abs_default_acpi_CounterOnly.csv \
	    p/gf/preprocessed_data/preprocess_abs_default_acpi_CounterOnly.csv &&
	jq -e ".train.input.prometheus != null" p.json
'

test_expect_success '--start/--end instead of the windows; GF_PROMETHEUS_URL' '
	GF_PROMETHEUS_URL="$PROM_URL" gf-train -s $START -e 2023-09-22T05:53:06Z -E acpi \
	    -g CounterOnly -t KNeighborsRegressorTrainer -o s </dev/null >s.json 2>/dev/null &&
	jq -e ".train.datasets[0].rows == 187" s.json
'

test_expect_success 'windows filter by name' '
	echo "{\"windows\": [{\"name\": \"idle\", \"start\": 1, \"end\": 2}, {\"name\": \"stress\", \"start\": $START, \"end\": $END}]}" |
	    gf-train -p "$PROM_URL" -w stress -E acpi -g CounterOnly -t SGDRegressorTrainer -o w >w.json 2>/dev/null &&
	jq -e ".train.datasets[0].rows == 187" w.json
'

test_expect_code 64 'no window to query: 64, as in every tool' '
	gf-train -p "$PROM_URL" -E acpi -g CounterOnly -o n </dev/null >/dev/null 2>err;
	rc=$?; grep -q "no time range: the document has no windows" err || rc=99; exit $rc'

test_expect_code 65 'a window with no data: 65 naming the metric' '
	gf-train -p "$PROM_URL" -s 1600000000 -e 1600000600 -E acpi -g CounterOnly -o n </dev/null >/dev/null 2>err;
	rc=$?; grep -q "kepler_node_platform_joules_total" err || rc=99; exit $rc'

test_expect_code 64 '--end without --start: 64' '
	gf-train -p "$PROM_URL" -e $END -E acpi -o n </dev/null >/dev/null 2>&1'

test_expect_code 69 'Prometheus unreachable: 69' '
	port=$(free_port) &&
	gf-train -p "http://127.0.0.1:$port" -s $START -e $END -E acpi -g CounterOnly -o n </dev/null >/dev/null 2>err;
	rc=$?; test ! -e n/gf || rc=99; exit $rc'

test_expect_success 'a password in the Prometheus URL is in no output' '
	url=$(echo "$PROM_URL" | sed "s|://|://gf:Pw-in-url-9@|") &&
	gf-train -p "$url" -s $START -e $END -E rapl-sysfs -g CounterOnly -t LinearRegressionTrainer -o pw </dev/null >pw.json 2>err &&
	jq -e ".train.input.prometheus == \"$PROM_URL\"" pw.json >/dev/null &&
	grep -q "querying $PROM_URL" err &&
	! grep -rq "Pw-in-url-9" pw.json err pw
'

start_mute_server
SILENT=$MUTE_PORT
test_expect_code 75 'Prometheus that times out: 75, nothing written' '
	gf-train -p "http://127.0.0.1:$SILENT" --timeout 0.5s -s $START -e $END -E acpi -g CounterOnly -o t </dev/null >/dev/null 2>err;
	rc=$?; grep -qi "timed out\|timeout" err && test ! -e t/gf || rc=99; exit $rc'

test_expect_code 64 'a bad --timeout: 64' '
	gf-train -p "$PROM_URL" --timeout soon -s $START -e $END -E acpi -o n </dev/null >/dev/null 2>err;
	rc=$?; grep -q -- "--timeout" err || rc=99; exit $rc'

test_done
