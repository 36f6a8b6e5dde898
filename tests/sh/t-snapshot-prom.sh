#!/bin/sh
# The Prometheus client against a real Prometheus: a series backfilled
# with promtool (gf_test_seconds = t every 10 s for 4 h) is read back by
# a range query split under the 11,000-point limit (tests/unit/t_prom.c).
. "$GF_SRC/tests/lib.sh"
need promtool prometheus

T0=1763683200	# 2025-11-21T00:00:00Z, a multiple of 10
test_expect_success 'backfill a 4 h fixture with promtool' '
	awk -v t0=$T0 "BEGIN {
		print \"# HELP gf_test_seconds Sample time.\"
		print \"# TYPE gf_test_seconds gauge\"
		for (t = t0; t <= t0 + 14410; t += 10)
			printf \"gf_test_seconds{case=\\\"ramp\\\"} %d %d\\n\", t, t
		print \"# EOF\"
	}" >fixture.om &&
	promtool tsdb create-blocks-from openmetrics fixture.om tsdb >/dev/null
'
start_prometheus_on "$TEST_DIR/tsdb"
test_expect_success 'gf_prom against real Prometheus (t_prom)' '
	PROM_URL=$PROM_URL PROM_T0=$T0 "$GF_BUILD/tests/t_prom" >tap.out;
	rc=$?; cat tap.out; [ $rc -eq 0 ] && ! grep -q "^not ok" tap.out
'
test_done
