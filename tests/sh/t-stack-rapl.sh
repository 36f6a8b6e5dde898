#!/bin/sh
# gf-kepler-install with RAPL: a fixture powercap tree whose counters a
# writer advances at known rates (package 5 W, dram 2 W), read by the real
# node-exporter and Prometheus the tool starts; PromQL rate() must give
# those watts back.
. "$GF_SRC/tests/lib.sh"
need jq jq
need perl perl
need prometheus prometheus
need prometheus-node-exporter prometheus-node-exporter

S=$TEST_DIR/stack
SYS=$TEST_DIR/sys
make_powercap "$SYS" 1000000
trap 'gf-kepler-install --stop -d "$S" </dev/null >/dev/null 2>&1; test_cleanup' EXIT

# Advance package by 1 J and dram by 0.4 J every 0.2 s (5 W and 2 W),
# finer than the 1 s scrapes so that sampling cannot alias.
perl -MTime::HiRes=time,sleep -e '
	my ($dir) = @ARGV; my ($pkg, $dram) = (1000000, 1000000);
	my $next = time + 0.2;
	while (1) {
		sleep($next - time) if $next > time;
		$pkg += 1000000; $dram += 400000; $next += 0.2;
		for (["intel-rapl:0", $pkg], ["intel-rapl:0:1", $dram]) {
			my $f = "$dir/class/powercap/$_->[0]/energy_uj";
			open(my $fh, ">", "$f.tmp") or die; print $fh "$_->[1]\n";
			close($fh); rename("$f.tmp", $f);
		}
	}' "$SYS" &
test_track_pid $!

test_expect_success '--power auto picks RAPL when the tree is readable' '
	gf-provision up --provider local --sysfs "$SYS" </dev/null |
	    gf-kepler-install --sysfs "$SYS" --scrape-interval 1s -d "$S" >doc.json &&
	jq -e ".stack.power | .source == \"rapl\" and .labels.source == \"rapl\"
	    and .availability.present and .availability.readable
	    and (.meter == null)" doc.json &&
	jq -e ".stack.node_exporter.sysfs == \"$SYS\" and .stack.scrape_interval == 1" doc.json
'
URL=$(jq -r .stack.prometheus.url "$TEST_DIR/doc.json" 2>/dev/null)

# A full 20 s window of both series: 1 s scrapes give 20 samples, 19
# allows for one missed.
full_window() {
	prom_at_least "$URL" \
	    'min(count_over_time({__name__=~"node_rapl_(package|dram)_joules_total"}[20s]))' 19
}
test_expect_success 'rate() gives the known watts: package 5 W, dram 2 W' '
	wait_until 60 "a full 20 s window of samples" full_window &&
	prom_query "$URL" "sum(rate(node_rapl_package_joules_total[20s]))" >p &&
	prom_query "$URL" "sum(rate(node_rapl_dram_joules_total[20s]))" >d &&
	pw=$(jq -r ".data.result[0].value[1]" p) &&
	dw=$(jq -r ".data.result[0].value[1]" d) &&
	echo "package $pw W, dram $dw W" &&
	awk -v p="$pw" -v d="$dw" "BEGIN { exit !(p > 4.5 && p < 5.5 && d > 1.7 && d < 2.3) }"
'
test_expect_success 'the series are labelled source="rapl"' '
	prom_query "$URL" "gf_power_source{source=\"rapl\"}" | jq -e ".data.result | length == 1" &&
	prom_query "$URL" "node_rapl_package_joules_total" |
	    jq -e ".data.result[0].metric.source == \"rapl\""
'
test_expect_success 'gf-provision down stops it' '
	gf-provision down <doc.json >/dev/null &&
	test -z "$(pgrep -f -- "$S" || true)"
'
test_done
