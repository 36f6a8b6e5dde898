#!/bin/sh
# Nothing lost when a tool fails or is stopped (gf(7)): a usage error in
# the middle of a pipeline passes the document on with the stack's cleanup
# entry; the state file keeps an older run's pending cleanup until down
# releases it; a signal while a tool starts the stack writes the document
# with what it started, and down stops it; a signal while a tool waits for
# its input, and one in the middle of a pipeline, still leave a document;
# a step's seconds are its own time, not the pipeline's.
. "$GF_SRC/tests/lib.sh"
need jq jq
need prometheus prometheus

# Wait until a shell condition holds (a file, a process state), at most
# SECONDS; fails the caller otherwise.
wait_for() {	# SECONDS CONDITION
	_end=$(($(date +%s) + $1))
	until eval "$2"; do
		[ "$(date +%s)" -lt $_end ] || return 1
		sleep 0.05
	done
}

# A stopped daemon is reaped by init, not by us: wait until it is.
gone() { wait_for 10 "! kill -0 $1 2>/dev/null"; }

test_expect_success 'a usage error mid-pipeline passes the stack cleanup on; down stops the stack' '
	gf-provision up --provider local </dev/null 2>/dev/null |
	    gf-kepler-install --power simulated --state-dir "$PWD/stack" 2>ki.err |
	    gf-stress --bogus-option >run.json 2>err
	[ $? = 64 ] &&
	grep -q "unknown option .--bogus-option." err &&
	jq -e ".cleanup[0].kind == \"stack\" and .stack.running
	    and .steps[-1].tool == \"gf-stress\" and .steps[-1].exit == 64" run.json &&
	pid=$(cat stack/prometheus/prometheus.pid) && kill -0 "$pid" &&
	{ gf-provision down <run.json >down.json 2>/dev/null; [ $? = 64 ]; } &&
	gone "$pid" &&
	jq -e ".cleanup[0].released" down.json
'

test_expect_success 'a new run keeps an older run'"'"'s pending cleanup in the state file' '
	export GF_STATE="$PWD/accumulate.json" &&
	printf "{\"cleanup\": [{\"kind\": \"stack\", \"tool\": \"gf-kepler-install\", \"state_dir\": \"$PWD/old-stack\"}]}\n" |
	    gf-stress -P idle:1 -n >/dev/null 2>&1 &&
	gf-stress -P idle:1 -n </dev/null >new.json 2>/dev/null &&
	jq -e "(.cleanup // []) | length == 0" new.json &&
	jq -e ".cleanup | map(select(.state_dir == \"$PWD/old-stack\")) | length == 1" "$GF_STATE" &&
	gf-provision down <"$GF_STATE" >/dev/null 2>&1 &&
	gf-stress -P idle:1 -n </dev/null >/dev/null 2>&1 &&
	jq -e "[.cleanup[]? | select(.released == null)] | length == 0" "$GF_STATE"
'

# A Prometheus that never answers: gf-kepler-install waits for it.
mkdir -p "$TEST_DIR/slow-bin"
cat >"$TEST_DIR/slow-bin/prometheus" <<'SH'
#!/bin/sh
case "$1" in --version) echo "prometheus, version 2.42.0"; exit 0 ;; esac
exec perl -e 'sleep 300' -- "$@"
SH
chmod +x "$TEST_DIR/slow-bin/prometheus"

test_expect_success 'SIGTERM while the stack starts: exit 75, the cleanup entry written; down stops it' '
	export GF_STATE="$PWD/ki-state.json"
	PATH="$PWD/slow-bin:$PATH" gf-kepler-install --components prometheus \
	    --power none --state-dir "$PWD/slow" </dev/null >ki.json 2>ki.err &
	ki=$! &&
	wait_for 20 "[ -s slow/prometheus/prometheus.pid ]" &&
	pid=$(cat slow/prometheus/prometheus.pid) &&
	kill -TERM $ki; wait $ki; rc=$?
	[ $rc = 75 ] && grep -q "interrupted by SIGTERM" ki.err &&
	jq -e ".steps[-1].exit == 75 and .steps[-1].error.message == \"interrupted by SIGTERM\"
	    and (.steps[-1].seconds | type) == \"number\"
	    and .cleanup[0].state_dir == \"$PWD/slow\"" ki.json &&
	jq -e ".steps[-1].exit == 75" "$GF_STATE" &&
	kill -0 "$pid" &&
	{ gf-provision down <ki.json >/dev/null 2>&1; [ $? = 75 ]; } &&
	gone "$pid"
'

test_expect_success 'SIGTERM while a tool waits for its input: the document still comes, with exit 75' '
	mkfifo in.fifo
	# The writer holds the pipe open until the tool was signalled.
	{ wait_for 20 "[ -f go ]"; printf "{\"keep\": 1}\n"; } >in.fifo &
	gf-stress -P idle:1 -n <in.fifo >waited.json 2>waited.err &
	st=$!
	wait_for 10 "grep -q pipe_read /proc/$st/wchan 2>/dev/null" &&
	kill -TERM $st && touch go &&
	{ wait $st; [ $? = 75 ]; } &&
	jq -e ".keep == 1 and .steps[-1].exit == 75 and
	    (.steps[-1].error.message | test(\"interrupted by SIGTERM before it started\"))" waited.json
'

test_expect_success 'SIGINT to a whole pipeline leaves the interrupted document at its end' '
	export GF_STATE="$PWD/int-state.json"
	# A process group of its own with SIGINT not ignored, as a terminal
	# gives a foreground pipeline (a shell ignores it in background jobs).
	setsid perl -e "\$SIG{INT} = q(DEFAULT); exec @ARGV" sh -c "echo \$\$ >pgid; gf-stress -P idle:60 </dev/null 2>/dev/null | gf-stress -P idle:1 -n >int.json 2>int.err" &
	wait_for 20 "jq -e \".steps == null and .stress.started\" \"$GF_STATE\" >/dev/null 2>&1" &&
	kill -INT "-$(cat pgid)" && wait_for 20 "[ -s int.json ]" &&
	wait_for 20 "! kill -0 -$(cat pgid) 2>/dev/null"
	jq -e ".steps | length == 1 and .[0].exit == 75" int.json &&
	grep -q "passing the document on" int.err
'

test_expect_success 'a step'"'"'s seconds are its own time, not the wait for its input' '
	{ sleep 1; echo "{}"; } | gf-stress -P idle:1 -n >own.json 2>/dev/null &&
	jq -e ".steps[-1].seconds < 0.5" own.json
'
test_done
