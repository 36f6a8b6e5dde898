#!/bin/sh
# gf-powersim: the tree it keeps, its documented curve on a fixture
# /proc/stat (exact watts), and a real stress-ng load (power rises with
# the load and falls after it; other work on the machine narrows the
# margins, so they are kept small).
. "$GF_SRC/tests/lib.sh"
need jq jq
need stress-ng stress-ng

Z=class/powercap

# Joules a zone's counter gained over about SECONDS, in watts. The time
# is measured, not assumed: on a loaded machine a sleep or a process
# start can take a good part of a second more.
watts_over() {	# DIR ZONE SECONDS
	t1=$(date +%s.%N); a=$(cat "$1/$Z/$2/energy_uj")
	# The span the counter is measured over, not a wait for anything.
	sleep "$3"
	t2=$(date +%s.%N); b=$(cat "$1/$Z/$2/energy_uj")
	awk -v a="$a" -v b="$b" -v t1="$t1" -v t2="$t2" \
	    'BEGIN { printf "%.3f\n", (b - a) / (t2 - t1) / 1e6 }'
}

test_expect_success '--once writes a powercap tree node-exporter can read' '
	gf-powersim --once --dir sys --textfile tf &&
	test "$(cat sys/$Z/intel-rapl:0/name)" = package-0 &&
	test "$(cat sys/$Z/intel-rapl:0:0/name)" = core &&
	test "$(cat sys/$Z/intel-rapl:0:1/name)" = dram &&
	test "$(cat sys/$Z/intel-rapl:0/max_energy_range_uj)" = 262143328850 &&
	test "$(cat sys/$Z/intel-rapl/enabled)" = 1 &&
	grep -q "^gf_powersim_watts{source=\"simulated\",zone=\"package-0\",path=\"intel-rapl:0\"} 10.000000$" tf/gf_powersim.prom
'
test_expect_success '--packages 2 gives two package zones' '
	gf-powersim --once --packages 2 --dir sys2 &&
	test "$(cat sys2/$Z/intel-rapl:1/name)" = package-1 &&
	test "$(cat sys2/$Z/intel-rapl:1:1/name)" = dram
'
test_expect_success 'a restart continues the counters' '
	echo 5000000 >sys/$Z/intel-rapl:0/energy_uj &&
	gf-powersim --once --dir sys &&
	test "$(cat sys/$Z/intel-rapl:0/energy_uj)" = 5000000
'

# The counters move in steps of one interval: at 50 ms a reading over 2 s
# is off by one step at most (2.5 %), where at 1 s a late reading could
# hold three steps instead of two.
test_expect_success 'the curve on a fixture /proc/stat: u = 0.5 gives 10 + 40 x 0.5 W' '
	mkdir -p proc &&
	echo "cpu  0 0 0 1000 0 0 0 0 0 0" >proc/stat &&
	gf-powersim --dir fx --textfile fxt --procfs proc --interval 50ms --idle-watts 10 --dynamic-watts 40 --dram-idle-watts 2 --dram-dynamic-watts 3 2>ps.log &
	pid=$!
	# Its textfile appears once it has read the baseline /proc/stat.
	wait_until 10 "its textfile" "test -e fxt/gf_powersim.prom" || {
		kill $pid; exit 1; }
	echo "cpu  400 0 100 1500 0 0 0 0 0 0" >proc/stat.new && mv proc/stat.new proc/stat
	wait_until 10 "its reading of u = 0.5" \
	    "grep -q \"^gf_powersim_cpu_utilisation{.*} 0.500000\$\" fxt/gf_powersim.prom" || {
		kill $pid; exit 1; }
	w=$(watts_over fx intel-rapl:0 2)
	d=$(watts_over fx intel-rapl:0:1 1)
	cp fxt/gf_powersim.prom metrics
	kill $pid; wait $pid; rc=$?
	echo "package $w W, dram $d W, exit $rc"; cat metrics
	[ $rc -eq 0 ] &&
	grep -q "zone=\"package-0\",path=\"intel-rapl:0\"} 30.000000$" metrics &&
	grep -q "gf_powersim_cpu_utilisation{source=\"simulated\"} 0.500000" metrics &&
	grep -q "zone=\"core\",path=\"intel-rapl:0:0\"} 22.500000$" metrics &&
	grep -q "zone=\"dram\",path=\"intel-rapl:0:1\"} 3.500000$" metrics &&
	awk -v w="$w" -v d="$d" "BEGIN { exit !(w > 28.5 && w < 31.5 && d > 3.0 && d < 4.0) }"
'
test_expect_success 'SIGTERM ends it with 0 and removes its textfile' '
	test ! -e fxt/gf_powersim.prom
'

# A real stress-ng load. Other work on a shared machine moves the whole
# /proc/stat, so the meter reads a /proc/stat built from the CPU time of
# the stress-ng process group alone (real jiffies from /proc/PID/stat,
# over nproc x CLK_TCK per second): u is the load's own utilisation.
cd "$TEST_DIR"
mkdir -p lp
perl -MTime::HiRes=time,sleep -e '
	my ($dir, $pgfile, $ncpu, $hz) = @ARGV;
	my ($t0, $busy) = (time, 0);
	while (1) {
		my ($pg, $sum) = (0, 0);
		if (open(my $p, "<", $pgfile)) { $pg = <$p> // 0; chomp $pg; close $p; }
		if ($pg) {
			for my $f (glob "/proc/[0-9]*/stat") {
				open(my $fh, "<", $f) or next;
				my $l = <$fh>; close $fh; next unless defined $l;
				$l =~ s/^.*\) //; my @x = split / /, $l;
				$sum += $x[11] + $x[12] + $x[13] + $x[14] if $x[2] == $pg;
			}
		}
		$busy = $sum if $sum > $busy;
		my $total = int((time - $t0) * $hz * $ncpu) + 1;
		my $idle = $total > $busy ? $total - $busy : 0;
		open(my $o, ">", "$dir/stat.tmp") or die;
		print $o "cpu  $busy 0 0 $idle 0 0 0 0 0 0\n"; close $o;
		rename("$dir/stat.tmp", "$dir/stat"); sleep 0.2;
	}' lp lp/pgid "$(nproc)" "$(getconf CLK_TCK)" &
test_track_pid $!
wait_until 10 "the load's /proc/stat" "test -s lp/stat" ||
	{ echo "Bail out! no lp/stat"; exit 1; }
# The meter's own reading of u, from its textfile.
live_u() {
	sed -n 's/^gf_powersim_cpu_utilisation{[^}]*} //p' livet/gf_powersim.prom \
	    2>/dev/null | grep .
}
u_is() {	# AWK_CONDITION on u
	u=$(live_u) && awk -v u="$u" "BEGIN { exit !($1) }"
}
gf-powersim --dir live --textfile livet --procfs lp --interval 0.25s 2>live.log &
ps_pid=$!
test_track_pid $ps_pid
waited=""
wait_until 10 "the meter's idle reading" 'u_is "u < 0.05"' || waited="$waited no-idle-reading"
before=$(watts_over live intel-rapl:0 2)
setsid sh -c 'echo $$ >lp/pgid; exec stress-ng --cpu "$(nproc)" --cpu-load 100 --timeout 6s' \
    >/dev/null 2>&1 &
sn=$!
# The load must still run for the 3 s reading after this wait.
wait_until 2 "the meter to see the load" 'u_is "u > 0.1"' || waited="$waited no-load-reading"
load=$(watts_over live intel-rapl:0 3)
wait $sn
wait_until 10 "the meter to see the load end" 'u_is "u < 0.05"' || waited="$waited no-end-reading"
after=$(watts_over live intel-rapl:0 2)
stop_pid $ps_pid
# The counters move in steps of one interval, so a reading over 2 s may
# hold one step more than its share (10 W idle reads up to 11.25 W).
test_expect_success 'under a real stress-ng load power rises, and falls after' "
	echo 'before $before W, under load $load W, after $after W'
	test -z '$waited' || { echo 'timed out:$waited'; exit 1; }
	awk -v b=$before -v l=$load -v a=$after 'BEGIN {
		exit !(b < 13 && l > b + 5 && a < l - 5 && a < 13) }'
"

test_expect_code 64 'no --dir is a usage error' 'gf-powersim --once'
test_expect_code 64 'negative watts are a usage error' 'gf-powersim --once --dir x --idle-watts -3'
test_expect_code 64 'a bad interval is a usage error' 'gf-powersim --once --dir x --interval 1ms'
test_expect_code 64 'a bad package count is a usage error' 'gf-powersim --once --dir x --packages 0'
test_expect_code 66 'a missing /proc/stat gives 66' 'gf-powersim --once --dir x --procfs nowhere'
test_expect_code 65 'a stat file without a cpu line gives 65' '
	mkdir -p badproc && echo "intr 0" >badproc/stat &&
	gf-powersim --once --dir x --procfs badproc
'
test_expect_code 74 'a counter that cannot be replaced gives 74' '
	mkdir -p w/$Z/intel-rapl:0/energy_uj/busy &&
	gf-powersim --once --dir w
'
test_expect_code 73 'an unwritable tree gives 73' '
	echo file >ro && gf-powersim --once --dir ro/sub
'
test_expect_success '--help, --version' '
	gf-powersim --help | grep -q "^usage: gf-powersim" &&
	gf-powersim -V | grep -q "^gf-powersim (gf) "
'
test_done
