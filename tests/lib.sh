# Shared helpers for the shell tests: TAP output, a scratch directory that
# is removed at exit, and real servers (Prometheus, node-exporter) started
# on free loopback ports and stopped by their own PID, also on failure.
#
#	. "$GF_SRC/tests/lib.sh"
#	test_expect_success 'gf-x prints a document' 'gf-x </dev/null >out'
#	test_done
#
# Environment (set by the Makefile): GF_SRC, GF_BUILD, GF_DATA, PATH with
# the freshly built tools first.
set -u

: "${GF_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${GF_BUILD:=$GF_SRC/build}"
: "${GF_DATA:=$GF_SRC/../shared/data}"
export GF_SRC GF_BUILD GF_DATA
PATH="$GF_BUILD/bin:$PATH"
export PATH
# Tools never write a state file into the source tree during tests.
TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/gf-test.XXXXXX")
export GF_STATE="$TEST_DIR/gf-state.json"
unset GITHUB_ACTIONS GITHUB_STEP_SUMMARY RUNNER_TEMP GF_GIT_TOKEN GITHUB_TOKEN

test_count=0
test_failed=0
test_pids=""

test_cleanup() {
	for p in $test_pids; do
		kill "$p" 2>/dev/null && {
			i=0
			while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
				sleep 0.1; i=$((i + 1))
			done
			kill -9 "$p" 2>/dev/null
		}
	done
	wait 2>/dev/null
	if [ -n "${GF_KEEP_TEST_DIR:-}" ]; then
		echo "# kept $TEST_DIR" >&2
	else
		rm -rf "$TEST_DIR"
	fi
}
trap test_cleanup EXIT
trap 'exit 130' INT TERM

# Register a pid to be stopped at exit.
test_track_pid() { test_pids="$test_pids $1"; }

ok() {	# ok STATUS DESCRIPTION
	test_count=$((test_count + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $test_count - $2"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $2"
	fi
}

diag() { printf '%s\n' "$*" | sed 's/^/# /'; }

# Run a command in a subshell of the test dir; pass when it exits 0.
test_expect_success() {	# DESCRIPTION SCRIPT
	( cd "$TEST_DIR" && eval "$2" ) >"$TEST_DIR/.out" 2>&1
	rc=$?
	ok $rc "$1"
	[ $rc -eq 0 ] || { diag "exit $rc"; tail -n 30 "$TEST_DIR/.out" | diag "$(cat)"; }
	return 0
}

# Pass when the script exits with exactly CODE.
test_expect_code() {	# CODE DESCRIPTION SCRIPT
	( cd "$TEST_DIR" && eval "$3" ) >"$TEST_DIR/.out" 2>&1
	rc=$?
	[ $rc -eq "$1" ]
	ok $? "$2"
	[ $rc -eq "$1" ] || { diag "exit $rc, want $1"; tail -n 30 "$TEST_DIR/.out" | diag "$(cat)"; }
	return 0
}

test_skip() {	# DESCRIPTION REASON
	test_count=$((test_count + 1))
	echo "ok $test_count # SKIP $1: $2"
}

skip_all() { echo "1..0 # SKIP $*"; exit 0; }

test_done() {
	echo "1..$test_count"
	[ $test_failed -eq 0 ]
	exit $?
}

# Fail the current script when a command is missing, naming the package.
need() {	# PROGRAM PACKAGE
	command -v "$1" >/dev/null 2>&1 || {
		echo "Bail out! $1 not found: run scripts/install-deps.sh (package $2)"
		exit 1
	}
}

# Something accepts TCP connections on 127.0.0.1:PORT.
port_open() {	# PORT
	perl -MIO::Socket::INET -e \
	    'exit !IO::Socket::INET->new("127.0.0.1:$ARGV[0]")' "$1"
}

# A free TCP port on 127.0.0.1 (the kernel picks it).
free_port() {
	perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
		    LocalPort => 0, Proto => "tcp", Listen => 1) or die $!;
		print $s->sockport, "\n";'
}

# Wait until URL answers 200 (curl-less: perl's HTTP::Tiny), up to N secs.
wait_http() {	# URL [SECONDS]
	perl -MHTTP::Tiny -e '
		my ($url, $secs) = @ARGV;
		my $end = time + $secs;
		while (time < $end) {
			my $r = HTTP::Tiny->new(timeout => 2)->get($url);
			exit 0 if $r->{status} == 200;
			select(undef, undef, undef, 0.1);
		}
		exit 1;' "$1" "${2:-30}"
}

# wait_until SECONDS WHAT SCRIPT: run SCRIPT (by eval, so "!", pipes and
# && work) every 0.1 s until it succeeds, and return 0 then. After SECONDS
# of wall-clock time at least (the script itself may be slow: a query)
# print "timed out after N s waiting for WHAT" on stderr and return 1.
# Tests wait for the condition they need, never for a fixed time.
wait_until() {	# SECONDS WHAT SCRIPT
	_wu_end=$(( $(date +%s) + $1 ))
	while ! eval "$3"; do
		if [ "$(date +%s)" -gt "$_wu_end" ]; then
			echo "wait_until: timed out after $1 s waiting for $2" >&2
			return 1
		fi
		sleep 0.1
	done
}

# Wait until PROMQL, asked of the Prometheus the document DOC names, is
# past DOC's last window (its end + 1 s): a sample time, so that the last
# scrape of a window is in before a tool reads it. Nothing to wait for
# without a Prometheus.
prom_after_windows() {	# DOC PROMQL [SECONDS]
	_paw_url=$(jq -r '.stack.prometheus.url // empty' "$1") &&
	_paw_min=$(( $(jq '[.windows[]?.end] | max // 0 | ceil' "$1") + 1 )) ||
	    return 1
	_paw_q=$2
	[ -z "$_paw_url" ] || wait_until "${3:-60}" "samples after the last window" \
	    'prom_at_least "$_paw_url" "$_paw_q" "$_paw_min"'
}

# GET a URL and print the body (for PromQL use prom_query).
http_get() { perl -MHTTP::Tiny -e '
	my $r = HTTP::Tiny->new(timeout => 10)->get($ARGV[0]);
	print $r->{content}; exit($r->{success} ? 0 : 1);' "$1"; }

# Instant query; prints the JSON response.
prom_query() {	# URL PROMQL
	perl -MHTTP::Tiny -e '
		my $r = HTTP::Tiny->new(timeout => 10)->post_form(
		    "$ARGV[0]/api/v1/query", { query => $ARGV[1] });
		print $r->{content}; exit($r->{success} ? 0 : 1);' "$1" "$2"
}

# The first value of an instant query's result, or nothing (no sample).
prom_value() {	# URL PROMQL
	prom_query "$1" "$2" | perl -MJSON::PP -e '
		my $r = eval { decode_json(join("", <STDIN>)) } or exit 1;
		my $v = $r->{data}{result}[0]{value}[1];
		exit 1 unless defined $v;
		print "$v\n";'
}
# The query has a sample and its first value is at least MIN.
prom_at_least() {	# URL PROMQL MIN
	_pv=$(prom_value "$1" "$2") &&
	    awk -v v="$_pv" -v min="$3" 'BEGIN { exit !(v + 0 >= min + 0) }'
}

# A powercap tree node-exporter's RAPL collector reads (--path.sysfs DIR).
# Zones: package-0 (intel-rapl:0), core (intel-rapl:0:0), dram (intel-rapl:0:1).
make_powercap() {	# DIR [ENERGY_UJ]
	for z in "intel-rapl:0 package-0" "intel-rapl:0:0 core" "intel-rapl:0:1 dram"; do
		set -- "$1" "${2:-1000000}" $z
		d="$1/class/powercap/$3"
		mkdir -p "$d"
		echo "$4" >"$d/name"
		echo "$2" >"$d/energy_uj"
		echo 262143328850 >"$d/max_energy_range_uj"
	done
	mkdir -p "$1/class/powercap/intel-rapl"
	echo 1 >"$1/class/powercap/intel-rapl/enabled"
}

# Start node-exporter on a free port with the given sysfs and textfile dirs.
# Sets NE_URL and NE_PID.
start_node_exporter() {	# SYSFS_DIR [TEXTFILE_DIR]
	need prometheus-node-exporter prometheus-node-exporter
	port=$(free_port)
	tdir=${2:-$TEST_DIR/textfile}
	mkdir -p "$tdir"
	prometheus-node-exporter --web.listen-address="127.0.0.1:$port" \
		--path.sysfs="$1" --collector.disable-defaults \
		--collector.rapl --collector.textfile \
		--collector.textfile.directory="$tdir" \
		>"$TEST_DIR/node-exporter-$port.log" 2>&1 &
	NE_PID=$!
	test_track_pid $NE_PID
	NE_URL="http://127.0.0.1:$port"
	wait_http "$NE_URL/metrics" 20 || {
		echo "Bail out! node-exporter did not start"; cat "$TEST_DIR/node-exporter-$port.log" | diag "$(cat)"; exit 1; }
}

# Start Prometheus on a free port with admin API, scraping the given
# host:port targets every INTERVAL. Sets PROM_URL, PROM_PID, PROM_DATA.
# Extra flags may follow "--".
start_prometheus() {	# INTERVAL [TARGET...] [-- FLAG...]
	need prometheus prometheus
	interval=$1; shift
	port=$(free_port)
	pdir="$TEST_DIR/prom-$port"
	mkdir -p "$pdir/data"
	{
		echo "global:"
		echo "  scrape_interval: $interval"
		echo "  evaluation_interval: $interval"
		echo "scrape_configs:"
		echo "  - job_name: gf-test"
		echo "    static_configs:"
		echo "      - targets: [\"127.0.0.1:$port\"]"
	} >"$pdir/prometheus.yml"
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		printf '      - targets: ["%s"]\n' "$1" >>"$pdir/prometheus.yml"
		shift
	done
	[ $# -gt 0 ] && shift
	prometheus --config.file="$pdir/prometheus.yml" \
		--storage.tsdb.path="$pdir/data" \
		--storage.tsdb.retention.time=100y \
		--web.listen-address="127.0.0.1:$port" \
		--web.enable-admin-api "$@" \
		>"$pdir/prometheus.log" 2>&1 &
	PROM_PID=$!
	test_track_pid $PROM_PID
	PROM_URL="http://127.0.0.1:$port"
	PROM_DATA="$pdir/data"
	wait_http "$PROM_URL/-/ready" 30 || {
		echo "Bail out! prometheus did not start"; tail "$pdir/prometheus.log" | diag "$(cat)"; exit 1; }
}

# Start Prometheus on an existing TSDB directory (a restored snapshot or
# promtool-backfilled blocks). Sets PROM_URL, PROM_PID.
start_prometheus_on() {	# TSDB_DIR [FLAG...]
	need prometheus prometheus
	dir=$1; shift
	port=$(free_port)
	printf 'global:\n  scrape_interval: 1h\n' >"$TEST_DIR/empty-$port.yml"
	prometheus --config.file="$TEST_DIR/empty-$port.yml" \
		--storage.tsdb.path="$dir" --storage.tsdb.retention.time=100y \
		--web.listen-address="127.0.0.1:$port" "$@" \
		>"$TEST_DIR/prom-on-$port.log" 2>&1 &
	PROM_PID=$!
	test_track_pid $PROM_PID
	PROM_URL="http://127.0.0.1:$port"
	wait_http "$PROM_URL/-/ready" 30 || {
		echo "Bail out! prometheus did not start on $dir"; tail "$TEST_DIR/prom-on-$port.log" | diag "$(cat)"; exit 1; }
}

# start_mute_server: a peer on a free loopback port that accepts
# connections and never answers (time-outs). Sets MUTE_PORT; returns once
# it accepts (bails out when it does not).
start_mute_server() {
	MUTE_PORT=$(free_port)
	perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
		    LocalPort => $ARGV[0], Listen => 16, ReuseAddr => 1) or die $!;
		my @keep; while (my $c = $s->accept) { push @keep, $c }' "$MUTE_PORT" &
	test_track_pid $!
	wait_until 5 "the mute server on port $MUTE_PORT" 'port_open "$MUTE_PORT"' ||
		{ echo "Bail out! the mute server did not start"; exit 1; }
}

# Root can run a command as user nobody: for limits root is exempt from
# (RLIMIT_NPROC) and for processes nobody may not signal.
can_be_nobody() {
	[ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
	    command -v prlimit >/dev/null
}
# as_nobody CMD...: CMD as nobody, no state file. LeakSanitizer is off: its
# exit check needs a thread of its own, which a process limit refuses too.
as_nobody() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 GF_STATE=none \
	    setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}
# nobody_dir NAME: $TEST_DIR/NAME, where nobody may write (the test
# directory itself becomes traversable, still not listable).
nobody_dir() {
	chmod 711 "$TEST_DIR" && mkdir -m 777 "$TEST_DIR/$1"
}
# nobody_tools TOOL...: copies of the built TOOLs in $NOBODY_BIN, which
# nobody can reach and run. The checkout may sit under a directory only
# its owner may enter (a private home, a clone in mktemp -d): nobody
# cannot execute $GF_BUILD/bin there, and a tool that finds its helpers
# beside itself (gf-kepler-install's gf-powersim) must find copies too.
# Returns 1 with the reason in NOBODY_SKIP when nobody cannot run them
# (not root, no setpriv or prlimit, a TMPDIR nobody may not enter).
nobody_tools() {
	NOBODY_SKIP=
	can_be_nobody || { NOBODY_SKIP='needs root, setpriv, prlimit'; return 1; }
	NOBODY_BIN=$TEST_DIR/nobody-bin
	chmod 711 "$TEST_DIR" && mkdir -p "$NOBODY_BIN" &&
	    chmod 755 "$NOBODY_BIN" || {
		NOBODY_SKIP="cannot make $NOBODY_BIN"; return 1; }
	for _nt in "$@"; do
		cp "$GF_BUILD/bin/$_nt" "$NOBODY_BIN/$_nt" &&
		    chmod 755 "$NOBODY_BIN/$_nt" || {
			NOBODY_SKIP="cannot copy $_nt into $NOBODY_BIN"; return 1; }
		# Run through a shell: setpriv itself execs its command with
		# root's capabilities still in effect, which would hide a
		# directory nobody cannot search.
		as_nobody sh -c '"$1" -V' sh "$NOBODY_BIN/$_nt" >/dev/null 2>&1 || {
			NOBODY_SKIP="nobody cannot run $NOBODY_BIN/$_nt (is ${TMPDIR:-/tmp} private?)"
			return 1
		}
	done
}
# start_foreign_stack STATE: a root process that looks like STATE's
# Prometheus (its pid file, its state path in the command line), which
# nobody cannot signal. Sets FOREIGN_PID.
start_foreign_stack() {
	mkdir -p "$1/prometheus"
	setsid perl -e 'sleep 120' "$1/prometheus/x" &
	FOREIGN_PID=$!
	test_track_pid $FOREIGN_PID
	echo $FOREIGN_PID >"$1/prometheus/prometheus.pid"
}

# Stop one tracked server now.
stop_pid() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; return 0; }
