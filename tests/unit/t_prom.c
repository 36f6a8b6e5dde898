/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf_prom: result parsing, error envelopes (bad_data, admin API disabled,
 * timeouts, non-Prometheus replies), range splitting with stitching and
 * de-duplication at the seams, snapshot names; all against a scripted
 * server. With PROM_URL set (tests/sh/t-snapshot-prom.sh starts a real
 * Prometheus on backfilled data) the same client runs against it too.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gf_prom.h"
#include "gf_xalloc.h"
#include "tap.h"

#include "scripted_server.h"

static void
fake_prom(struct gf_prom *p, const struct server *s)
{
	char *u = url_of(s, "/");

	gf_prom_init(p, u);
	free(u);
	p->http.backoff_base = 0.01;
	p->http.backoff_max = 0.02;
	p->http.timeout = 5;
}

#define JSON "Content-Type: application/json\r\n"

static void
t_instant(void)
{
	static const struct reply r[] = {
		{ 200, JSON, "{\"status\":\"success\",\"warnings\":[\"w1\"],"
		  "\"data\":{\"resultType\":\"vector\",\"result\":["
		  "{\"metric\":{\"__name__\":\"up\",\"job\":\"a\"},"
		  "\"value\":[1700000000.5,\"1\"]},"
		  "{\"metric\":{\"job\":\"b\"},"
		  "\"value\":[1700000000.5,\"NaN\"]},"
		  "{\"metric\":{\"job\":\"c\"},"
		  "\"value\":[1700000000.5,\"-Inf\"]}"
		  "]}}", 0, 0, 0 },
		{ 200, JSON, "{\"status\":\"success\",\"data\":{\"resultType\":"
		  "\"scalar\",\"result\":[1700000001,\"42.5\"]}}", 0, 0, 0 },
	};
	struct server s;
	struct gf_prom p;
	struct gf_prom_result res;
	struct gf_err err = GF_ERR_INIT;
	char *log;

	start(&s, r, 2);
	fake_prom(&p, &s);
	ok(gf_prom_query(&p, "up{job=~\"a|b\"}", 1700000000.5, &res, &err) == 0,
	    "instant query");
	is_int(res.nseries, 3, "three series");
	is_str(json_string_value(json_object_get(res.series[0].labels, "job")),
	    "a", "labels kept");
	is_near(res.series[0].t[0], 1700000000.5, 1e-6, "timestamp");
	is_near(res.series[0].v[0], 1, 0, "value");
	ok(isnan(res.series[1].v[0]), "NaN kept");
	ok(isinf(res.series[2].v[0]) && res.series[2].v[0] < 0, "-Inf kept");
	ok(res.nwarnings == 1 && strcmp(res.warnings[0], "w1") == 0,
	    "warnings kept");
	gf_prom_result_release(&res);
	ok(gf_prom_query(&p, "42.5", NAN, &res, &err) == 0 &&
	    res.nseries == 1 && res.series[0].n == 1 &&
	    res.series[0].v[0] == 42.5, "scalar result");
	gf_prom_result_release(&res);
	log = stop(&s);
	ok(strstr(log, "POST /api/v1/query HTTP") != NULL, "queries by POST");
	ok(strstr(log,
	    "query=up%7Bjob%3D~%22a%7Cb%22%7D&time=1700000000.500") != NULL,
	    "form-encoded PromQL and time");
	/* The log ends each request with a newline: the body is all there. */
	ok(strstr(log, "\r\n\r\nquery=42.5\n") != NULL, "no time when NaN");
	free(log);
	gf_prom_release(&p);
}

static void
t_errors(void)
{
	static const struct reply r[] = {
		{ 400, JSON, "{\"status\":\"error\",\"errorType\":\"bad_data\","
		  "\"error\":\"1:5: parse error: unexpected end of input\"}",
		  0, 0, 0 },
		{ 500, JSON, "{\"status\":\"error\","
		  "\"errorType\":\"unavailable\","
		  "\"error\":\"admin APIs disabled\"}", 0, 0, 0 },
		{ 503, JSON, "{\"status\":\"error\",\"errorType\":\"timeout\","
		  "\"error\":\"query timed out in expression evaluation\"}",
		  0, 0, 0 },
		{ 503, JSON, "{\"status\":\"error\",\"errorType\":\"timeout\","
		  "\"error\":\"query timed out in expression evaluation\"}",
		  0, 0, 0 },
		{ 404, "Content-Type: text/html\r\n", "<html>nope</html>",
		  0, 0, 0 },
		{ 200, "Content-Type: text/plain\r\n", "hello", 0, 0, 0 },
		{ 200, JSON, "{\"status\":\"success\",\"data\":{\"name\":"
		  "\"20261123T181624Z-66426aaf3d85c0f7\"}}", 0, 0, 0 },
		{ 200, JSON, "{\"status\":\"success\",\"data\":{\"name\":"
		  "\"../x\"}}", 0, 0, 0 },
		{ 200, JSON, "{\"status\":\"success\",\"data\":{"
		  "\"resultType\":\"matrix\",\"result\":[{\"metric\":{},"
		  "\"values\":[[1e300,\"1\"]]}]}}", 0, 0, 0 },
	};
	struct server s;
	struct gf_prom p;
	struct gf_prom_result res;
	struct gf_err err = GF_ERR_INIT;
	char *name, *log;

	start(&s, r, 9);
	fake_prom(&p, &s);
	p.http.max_attempts = 2;
	ok(gf_prom_query(&p, "rate(", NAN, &res, &err) == -1, "bad PromQL");
	is_int(err.exit, 65, "bad_data is 65");
	ok(strstr(err.msg, "bad_data: 1:5: parse error") != NULL &&
	    strstr(err.msg, "'rate('") != NULL, "message: %s", err.msg);
	ok(gf_prom_snapshot(&p, 0, &err) == NULL, "admin API disabled");
	is_int(err.exit, 78, "is 78");
	ok(strstr(err.msg, "--web.enable-admin-api") != NULL,
	    "says how to enable it: %s", err.msg);
	ok(gf_prom_query(&p, "up", NAN, &res, &err) == -1 && err.exit == 75,
	    "timeout envelope (retried once) is 75: %s", err.msg);
	ok(gf_prom_query(&p, "up", NAN, &res, &err) == -1 && err.exit == 69 &&
	    strstr(err.msg, "404") != NULL, "404 is 69: %s", err.msg);
	ok(gf_prom_query(&p, "up", NAN, &res, &err) == -1 && err.exit == 69,
	    "non-JSON reply is 69: %s", err.msg);
	name = gf_prom_snapshot(&p, 0, &err);
	is_str(name, "20261123T181624Z-66426aaf3d85c0f7", "snapshot name");
	free(name);
	ok(gf_prom_snapshot(&p, 1, &err) == NULL && err.exit == 69,
	    "a snapshot name with '/' is refused");
	/* Samples are keyed by milliseconds in 64 bits downstream. */
	ok(gf_prom_query_range(&p, "up", 0, 10, 1, &res, &err) == -1 &&
	    err.exit == 69 && strstr(err.msg, "unexpected result") != NULL,
	    "a sample time that is no time is refused: %s", err.msg);
	log = stop(&s);
	ok(strstr(log, "POST /api/v1/admin/tsdb/snapshot HTTP") != NULL,
	    "snapshot by POST");
	ok(strstr(log, "snapshot?skip_head=true HTTP") != NULL, "skip_head");
	free(log);
	gf_prom_release(&p);
}

static void
t_split(void)
{
	/*
	 * 15000 points at 1 s: two pieces, [0, 10999] and [11000, 14999].
	 * The second reply repeats the seam sample t=10999, which must be
	 * dropped, and brings a series the first piece did not have.
	 */
	static const struct reply r[] = {
		{ 200, JSON, "{\"status\":\"success\",\"data\":{\"resultType\":"
		  "\"matrix\",\"result\":[{\"metric\":{\"i\":\"1\"},\"values\":"
		  "[[1000,\"1\"],[11999,\"2\"]]}]}}", 0, 0, 0 },
		{ 200, JSON, "{\"status\":\"success\",\"data\":{\"resultType\":"
		  "\"matrix\",\"result\":[{\"metric\":{\"i\":\"2\"},\"values\":"
		  "[[12000,\"9\"]]},{\"metric\":{\"i\":\"1\"},\"values\":"
		  "[[11999,\"2\"],[12000,\"3\"],[15999,\"4\"]]}]}}", 0, 0, 0 },
	};
	struct server s;
	struct gf_prom p;
	struct gf_prom_result res;
	struct gf_err err = GF_ERR_INIT;
	char *log;

	start(&s, r, 2);
	fake_prom(&p, &s);
	ok(gf_prom_query_range(&p, "x", 1000, 15999, 1, &res, &err) == 0,
	    "range query of 15000 points");
	is_int(res.nseries, 2, "series matched across pieces by labels");
	is_int(res.series[0].n, 4, "seam duplicate dropped");
	ok(res.series[0].t[1] == 11999 && res.series[0].t[2] == 12000,
	    "pieces stitched in order");
	is_int(res.series[1].n, 1, "series only in the second piece");
	gf_prom_result_release(&res);
	log = stop(&s);
	ok(strstr(log, "start=1000.000&end=11999.000&step=1.000") != NULL,
	    "first piece has 11000 points");
	ok(strstr(log, "start=12000.000&end=15999.000&step=1.000") != NULL,
	    "second piece starts one step later");
	free(log);
	ok(gf_prom_query_range(&p, "x", 10, 5, 1, &res, &err) == -1 &&
	    err.exit == 65, "end before start is 65");
	ok(gf_prom_query_range(&p, "x", 0, 5, 0, &res, &err) == -1 &&
	    err.exit == 65, "zero step is 65");
	gf_prom_release(&p);
}

static void
t_unreachable(void)
{
	struct server s;
	struct gf_prom p;
	struct gf_err err = GF_ERR_INIT;

	start(&s, NULL, 0);
	free(stop(&s));
	fake_prom(&p, &s);
	p.http.max_attempts = 2;
	ok(gf_prom_snapshot(&p, 0, &err) == NULL && err.exit == 69,
	    "unreachable is 69: %s", err.msg);
	ok(gf_prom_wait_ready(&p, 0.5, &err) == -1 && err.exit == 69,
	    "not ready is 69: %s", err.msg);
	gf_prom_release(&p);
}

/*
 * Against a real Prometheus holding gf_test_seconds{case="ramp"} = t
 * every 10 s over [PROM_T0, PROM_T0 + 4h] (see t-snapshot-prom.sh).
 */
static void
t_real(const char *url, double t0)
{
	struct gf_prom p;
	struct gf_prom_result res;
	struct gf_err err = GF_ERR_INIT;
	json_t *info;
	char *name;
	int good = 1;

	gf_prom_init(&p, url);
	ok(gf_prom_wait_ready(&p, 10, &err) == 0, "real: ready");
	info = gf_prom_get_data(&p, "/api/v1/status/buildinfo", &err);
	ok(json_string_value(json_object_get(info, "version")) != NULL,
	    "real: buildinfo version %s",
	    json_string_value(json_object_get(info, "version")));
	json_decref(info);
	ok(gf_prom_query_range(&p, "gf_test_seconds", t0 + 5, t0 + 5 + 14400,
	    1, &res, &err) == 0, "real: 4 h at 1 s (14401 points, split) %s",
	    err.msg);
	is_int(res.nseries, 1, "real: one series");
	if (res.nseries == 1) {
		struct gf_prom_series *s = &res.series[0];

		is_int(s->n, 14401, "real: every point once");
		for (size_t i = 0; i < s->n && good; i++) {
			double want = t0 + floor((s->t[i] - t0) / 10) * 10;

			if (s->t[i] != t0 + 5 + (double)i || s->v[i] != want) {
				diag("point %zu: t=%.3f v=%.3f want %.3f", i,
				    s->t[i], s->v[i], want);
				good = 0;
			}
		}
		ok(good, "real: stitched values equal the samples");
	}
	gf_prom_result_release(&res);
	ok(gf_prom_query(&p, "sum(", NAN, &res, &err) == -1 && err.exit == 65,
	    "real: parse error is 65: %s", err.msg);
	name = gf_prom_snapshot(&p, 0, &err);
	ok(name == NULL && err.exit == 78 &&
	    strstr(err.msg, "--web.enable-admin-api") != NULL,
	    "real: admin API disabled is 78: %s", err.msg);
	free(name);
	gf_prom_release(&p);
}

int
main(void)
{
	const char *url = getenv("PROM_URL");

	signal(SIGPIPE, SIG_IGN);
	if (url != NULL && getenv("PROM_T0") != NULL) {
		t_real(url, strtod(getenv("PROM_T0"), NULL));
		return done_testing();
	}
	t_instant();
	t_errors();
	t_split();
	t_unreachable();
	return done_testing();
}
