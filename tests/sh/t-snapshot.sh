#!/bin/sh
# gf-snapshot end to end: real node-exporter (fixture powercap tree) scraped
# by a real Prometheus; snapshot -> archive -> extract -> fresh Prometheus
# gives the same samples; --export-openmetrics -> promtool backfill gives
# the same samples; every exit status in gf-snapshot(1).
. "$GF_SRC/tests/lib.sh"
need jq jq
need promtool prometheus
need zstd zstd

# Instant query at a time; prints the JSON.
prom_at() {	# URL PROMQL TIME
	perl -MHTTP::Tiny -e '
		my $r = HTTP::Tiny->new(timeout => 10)->post_form(
		    "$ARGV[0]/api/v1/query", { query => $ARGV[1], time => $ARGV[2] });
		print $r->{content}; exit($r->{success} ? 0 : 1);' "$1" "$2" "$3"
}

# Raw samples of the RAPL series of one scrape job in [END-RANGE, END],
# sorted, as "labels value@ts" lines (the same text from two servers means
# the same samples).
samples() {	# URL END RANGE_SECONDS
	prom_at "$1" "{__name__=~\"node_rapl_.*\",job=\"gf-test\"}[${3}s]" "$2" |
	jq -r '.data.result[] | (.metric | to_entries | map("\(.key)=\(.value)")
		| sort | join(",")) as $m | .values[] | "\($m) \(.[1])@\(.[0])"' |
	sort
}

test_expect_success '--help prints the usage on stdout' '
	gf-snapshot --help >out && grep -q "^usage: gf-snapshot" out
'
test_expect_success '--version' 'gf-snapshot -V | grep -q "^gf-snapshot"'
test_expect_code 64 'an unknown option is 64' 'gf-snapshot --bogus </dev/null'
test_expect_code 64 'a bad --compress is 64, naming the valid ones, with the document' '
	echo "{\"keep\": 1}" | gf-snapshot -p http://127.0.0.1:9 -z lz4 >out 2>err;
	rc=$?; grep -q "unknown .lz4. (valid: zstd, gzip)" err &&
	jq -e ".keep == 1 and .steps[-1].exit == 64" out >/dev/null || rc=99
	exit $rc
'
test_expect_code 64 'a bad --level is 64' '
	echo "{}" | gf-snapshot -p http://127.0.0.1:9 --level 99 >/dev/null
'
test_expect_code 64 'gzip levels end at 9 on the command line: 64' '
	echo "{}" | gf-snapshot -p http://127.0.0.1:9 -z gzip --level 12 -o og \
		>out 2>err; rc=$?
	grep -q -- "--level: 12 is out of range \[1, 9\]" err && [ ! -e og ] &&
	[ "$(jq -r ".steps[-1].exit" out)" = 64 ] || rc=99; exit $rc
'
test_expect_code 78 'and in the -c file: 78, naming the file and key' '
	printf "compress: gzip\nlevel: 12\n" >gz.yml &&
	echo "{}" | gf-snapshot -p http://127.0.0.1:9 -c gz.yml -o og >out 2>err
	rc=$?; grep -q "gz.yml: field .level.: 12 is out of range" err &&
	[ ! -e og ] || rc=99; exit $rc
'
test_expect_code 78 'a bad GF_SNAPSHOT_START is 78' '
	echo "{}" | GF_SNAPSHOT_START=soon gf-snapshot -p http://127.0.0.1:9 \
		-o os >out 2>err; rc=$?
	grep -q "GF_SNAPSHOT_START" err && [ ! -e os ] || rc=99; exit $rc
'
test_expect_code 64 '--export-openmetrics without windows or --start is 64' '
	echo "{}" | gf-snapshot -p http://127.0.0.1:9 --export-openmetrics \
		-o o64 >/dev/null &&
	exit 0; rc=$?; [ ! -e o64 ] || rc=99; exit $rc
'
test_expect_code 65 'malformed stdin is 65 with line:col, in a new document' '
	printf "{\n  \"a\": [1,\n" | gf-snapshot -p http://127.0.0.1:9 -o o65 \
		>out 2>err; rc=$?
	grep -q "<stdin>:[0-9]*:[0-9]*" err && [ ! -e o65 ] &&
	jq -e "(.a == null) and .steps[-1].exit == 65" out >/dev/null || rc=99
	exit $rc
'
test_expect_code 78 'no Prometheus URL anywhere is 78' '
	echo "{}" | gf-snapshot -o o78 >out 2>err; rc=$?
	grep -q "no Prometheus URL" err &&
	[ "$(jq -r ".steps[-1].exit" out)" = 78 ] || rc=99; exit $rc
'
dead=$(free_port)
test_expect_code 69 'Prometheus unreachable after the retries is 69' '
	echo "{}" | gf-snapshot -p "http://127.0.0.1:$dead" --data-dir /tmp -o o69 \
		>out 2>err; rc=$?
	grep -q "attempts" err && [ "$(jq -r ".steps[-1].ok" out)" = false ] &&
	[ "$(ls o69 | wc -l)" -eq 0 ] || rc=99; exit $rc
'
start_mute_server
mute=$MUTE_PORT
test_expect_code 75 'a Prometheus that never answers times out: 75' '
	echo "{}" | gf-snapshot -p "http://127.0.0.1:$mute" --data-dir /tmp -o o75 \
		--timeout 500ms >out 2>err; rc=$?
	grep -qi "timed out" err || rc=99; exit $rc
'

# The real stack: node-exporter on a fixture powercap tree, its counter
# advanced every second, scraped every second.
make_powercap "$TEST_DIR/sys" 1000000
start_node_exporter "$TEST_DIR/sys"
(
	e=1000000
	while :; do
		e=$((e + 5000000))
		for z in intel-rapl:0 intel-rapl:0:0 intel-rapl:0:1; do
			echo $e >"$TEST_DIR/sys/class/powercap/$z/energy_uj.tmp"
			mv "$TEST_DIR/sys/class/powercap/$z/energy_uj.tmp" \
				"$TEST_DIR/sys/class/powercap/$z/energy_uj"
		done
		# The counter's pace (5 J a second), not a wait for anything.
		sleep 1
	done
) &
test_track_pid $!
ne_target=${NE_URL#http://}
start_prometheus 1s "$ne_target"
SRC_URL=$PROM_URL SRC_DATA=$PROM_DATA
# Prometheus applies new targets after about 5 s: wait for the first
# sample, then for samples past END (about five scrapes after it).
wait_until 20 'the first RAPL sample' \
    'prom_value "$SRC_URL" node_rapl_package_joules_total >/dev/null' ||
	{ echo "Bail out! no RAPL samples"; exit 1; }
T1=$(date +%s)
END=$((T1 + 5))
wait_until 60 "samples after $END" \
    'prom_at_least "$SRC_URL" "timestamp(node_rapl_package_joules_total)" $((END + 1))' ||
	{ echo "Bail out! no samples after $END"; exit 1; }

test_expect_success 'contract: {} | gf-snapshot --prometheus --data-dir --out' '
	echo "{}" | gf-snapshot --prometheus "$SRC_URL" --data-dir "$SRC_DATA" \
		--out arch >doc.json &&
	a=$(jq -r .snapshot.archive doc.json) && [ -f "$a" ] &&
	tar -tf "$a" >list && grep -q "/meta.json$" list &&
	[ "$(jq -r .snapshot.sha256 doc.json)" = "$(sha256sum "$a" | cut -d" " -f1)" ] &&
	[ "$(jq -r .snapshot.size doc.json)" = "$(wc -c <"$a" | tr -d " ")" ] &&
	[ "$(jq -r .steps[-1].ok doc.json)" = true ]
'
test_expect_success 'the section records name, URL, compression, record' '
	jq -e ".snapshot | (.name | test(\"^[0-9]{8}T[0-9]{6}Z-\")) and
		.prometheus == \"$SRC_URL\" and .compress == \"zstd\" and
		.files > 0 and (.archive | endswith(\".tar.zst\"))" doc.json &&
	r=$(jq -r .snapshot.record doc.json) &&
	jq -e ".snapshot.name == \"$(jq -r .snapshot.name doc.json)\"" "$r" &&
	[ "$(dirname "$r")" = "$(dirname "$(jq -r .snapshot.archive doc.json)")" ]
'
test_expect_success 'round trip: extract, fresh Prometheus, same samples' '
	samples "$SRC_URL" $END 3600 >before && [ $(wc -l <before) -ge 9 ] &&
	mkdir restore && tar --zstd -xf "$(jq -r .snapshot.archive doc.json)" \
		-C restore &&
	echo "$(jq -r .snapshot.name doc.json)" >name
'
start_prometheus_on "$TEST_DIR/restore/$(cat "$TEST_DIR/name" 2>/dev/null || echo none)"
test_expect_success 'restored Prometheus serves the same samples' '
	samples "$PROM_URL" $END 3600 >after && diff before after
'
stop_pid "$PROM_PID"

test_expect_success 'URL and data dir default to stack.prometheus in the document' '
	jq -n --arg u "$SRC_URL" --arg d "$SRC_DATA" \
		"{stack: {prometheus: {url: \$u, data_dir: \$d}}}" |
	gf-snapshot -o out2 -z gzip >doc2.json &&
	a=$(jq -r .snapshot.archive doc2.json) &&
	case $a in *.tar.gz) ;; *) exit 1 ;; esac && gzip -t "$a" &&
	tar -tzf "$a" | grep -q meta.json
'
test_expect_success 'without a data dir, Prometheus is asked for its TSDB path' '
	echo "{}" | gf-snapshot -p "$SRC_URL" -o out3 >doc3.json &&
	[ "$(jq -r .snapshot.data_dir doc3.json)" = "$SRC_DATA" ] &&
	rm -rf "$(jq -r .snapshot.snapshot_dir doc3.json)"
'
test_expect_success '--remove-snapshot removes the snapshot directory (--sync)' '
	echo "{}" | gf-snapshot -p "$SRC_URL" --data-dir "$SRC_DATA" -o out4 \
		--remove-snapshot --sync >doc4.json &&
	[ ! -e "$(jq -r .snapshot.snapshot_dir doc4.json)" ] &&
	[ -f "$(jq -r .snapshot.archive doc4.json)" ]
'
test_expect_success 'settings from -c, overridden by GF_* and the command line' '
	printf "prometheus: http://127.0.0.1:9\ndata_dir: %s\nout: cfg-out\ncompress: gzip\nremove_snapshot: true\n" \
		"$SRC_DATA" >snap.yml &&
	echo "{}" | GF_PROMETHEUS_URL="$SRC_URL" gf-snapshot -c snap.yml -z zstd \
		>doc-cfg.json &&
	jq -e ".snapshot.compress == \"zstd\" and .snapshot.removed == true and
		(.snapshot.archive | contains(\"/cfg-out/\"))" doc-cfg.json
'
test_expect_code 65 'a -c file that is not YAML is 65, with the document' '
	printf "a: [1,\n" >bad.yml && echo "{}" | gf-snapshot -c bad.yml >out 2>err;
	rc=$?; grep -q "bad.yml:" err &&
	[ "$(jq -r ".steps[-1].exit" out)" = 65 ] || rc=99; exit $rc
'
test_expect_success 'credentials in the URL reach neither the document nor stderr' '
	hp=${SRC_URL#http://}
	echo "{}" | gf-snapshot -p "http://gf:hunter2pass@$hp" --data-dir "$SRC_DATA" \
		-o out5 --remove-snapshot >doc5.json 2>err5 &&
	! grep -q hunter2pass doc5.json err5 "$(jq -r .snapshot.record doc5.json)" &&
	[ "$(jq -r .snapshot.prometheus doc5.json)" = "$SRC_URL" ]
'
test_expect_success 'runs after a failed step and keeps its exit status' '
	echo "{\"steps\":[{\"tool\":\"gf-stress\",\"ok\":false,\"exit\":75}]}" |
	gf-snapshot -p "$SRC_URL" --data-dir "$SRC_DATA" -o out6 --remove-snapshot \
		>doc6.json; rc=$?
	[ $rc -eq 75 ] && [ -f "$(jq -r .snapshot.archive doc6.json)" ] &&
	[ "$(jq -r .steps[-1].tool doc6.json)" = gf-snapshot ]
'

test_expect_success '--export-openmetrics writes the windows as OpenMetrics' '
	jq -n --argjson s $T1 --argjson e $END \
		"{windows: [{name: \"run\", start: \$s, end: \$e}]}" >win.json &&
	gf-snapshot -i win.json -p "$SRC_URL" --data-dir "$SRC_DATA" -o out7 \
		--remove-snapshot --export-openmetrics \
		--match "{__name__=~\"node_rapl_.*\",job=\"gf-test\"}" >doc7.json &&
	om=$(jq -r .snapshot.openmetrics.path doc7.json) &&
	tail -n 1 "$om" | grep -qx "# EOF" &&
	grep -q "^# TYPE node_rapl_package_joules_total unknown" "$om" &&
	[ "$(jq -r .snapshot.openmetrics.sha256 doc7.json)" = "$(sha256sum "$om" | cut -d" " -f1)" ] &&
	[ "$(jq .snapshot.openmetrics.samples doc7.json)" -eq "$(grep -vc "^#" "$om")" ]
'
test_expect_success '--start/--end export the same samples as the window' '
	echo "{}" | gf-snapshot -p "$SRC_URL" --data-dir "$SRC_DATA" -o out8 \
		--remove-snapshot --export-openmetrics \
		-s $T1 -e "$(date -u -d @$END +%Y-%m-%dT%H:%M:%SZ)" \
		--match "{__name__=~\"node_rapl_.*\",job=\"gf-test\"}" >doc8.json &&
	[ "$(jq .snapshot.openmetrics.samples doc8.json)" = "$(jq .snapshot.openmetrics.samples doc7.json)" ] &&
	[ "$(jq .snapshot.openmetrics.ranges[0].start doc8.json)" = "$T1" ]
'
test_expect_success 'the -c file gives export_openmetrics, a match list and the range' '
	printf "export_openmetrics: true\nremove_snapshot: true\nstart: %s\nend: %s\nmatch:\n  - \047%s\047\n" \
		$T1 $END "{__name__=~\"node_rapl_.*\",job=\"gf-test\"}" >om.yml &&
	echo "{}" | gf-snapshot -p "$SRC_URL" --data-dir "$SRC_DATA" -o out9 \
		-c om.yml >doc9.json &&
	[ "$(jq .snapshot.openmetrics.samples doc9.json)" = "$(jq .snapshot.openmetrics.samples doc7.json)" ] &&
	jq -e ".snapshot.removed and (.snapshot.openmetrics.match | length) == 1" doc9.json
'
test_expect_code 64 '--end without --start is 64' '
	echo "{}" | gf-snapshot -p "$SRC_URL" --data-dir "$SRC_DATA" -o o64e \
		--export-openmetrics -e $END >/dev/null
'
test_expect_success 'promtool backfills the export' '
	promtool tsdb create-blocks-from openmetrics \
		"$(jq -r .snapshot.openmetrics.path doc7.json)" backfill >/dev/null
'
start_prometheus_on "$TEST_DIR/backfill"
test_expect_success 'backfilled Prometheus serves the same samples' '
	samples "$SRC_URL" $END $((END - T1)) >before7 &&
	[ $(wc -l <before7) -ge 9 ] &&
	samples "$PROM_URL" $END $((END - T1)) >after7 && diff before7 after7
'
test_expect_code 78 'the admin API disabled is 78, with the flag to use' '
	echo "{}" | gf-snapshot -p "$PROM_URL" --data-dir "$TEST_DIR/backfill" -o o78b \
		>out 2>err; rc=$?
	grep -q -- "--web.enable-admin-api" err || rc=99; exit $rc
'
stop_pid "$PROM_PID"

test_expect_code 66 'a data dir without the snapshot is 66' '
	mkdir -p elsewhere &&
	echo "{}" | gf-snapshot -p "$SRC_URL" --data-dir "$TEST_DIR/elsewhere" -o o66 \
		>out 2>err; rc=$?
	grep -q "storage.tsdb.path" err || rc=99; exit $rc
'
test_expect_code 73 'an output directory that cannot be created is 73' '
	echo "{}" | gf-snapshot -p "$SRC_URL" --data-dir "$SRC_DATA" -o /dev/null/x >out
'
test_expect_code 74 'a full disk is 74 and the partial archive is removed' '
	# A file-size limit makes write(2) fail like a full disk (EFBIG).
	( ulimit -f 1; trap "" XFSZ
	  echo "{}" | GF_STATE=none gf-snapshot -p "$SRC_URL" --data-dir "$SRC_DATA" \
		-o o74 -z gzip --level 1 2>err; echo $? >rc74 ) | cat >out
	rc=$(cat rc74)
	[ "$(jq -r ".steps[-1].exit" out)" = 74 ] &&
	grep -q "cannot write" err && [ "$(ls -A o74 | wc -l)" -eq 0 ] || rc=99
	exit $rc
'
test_expect_code 74 'stdout on /dev/full is 74' '
	echo "{}" | gf-snapshot -p "$SRC_URL" --data-dir "$SRC_DATA" -o o74b \
		--remove-snapshot >/dev/full
'
# libarchive is loaded by the first archive, not at start.
test_expect_code 66 'libarchive that cannot be loaded is 66, and no archive' '
	mkdir -p noarchive && : >noarchive/libarchive.so.13 &&
	echo "{}" | LD_LIBRARY_PATH=$TEST_DIR/noarchive gf-snapshot -p "$SRC_URL" \
		--data-dir "$SRC_DATA" -o o66b >out 2>err; rc=$?
	grep -q "cannot load libarchive" err &&
	[ "$(ls -A o66b 2>/dev/null | wc -l)" -eq 0 ] || rc=99
	exit $rc
'
test_done
