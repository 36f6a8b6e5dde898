/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The OpenMetrics writer: families grouped and sorted, labels escaped,
 * values that read back exactly, NaN/Inf spelled as OpenMetrics wants,
 * and merging of overlapping pieces without repeated samples.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gf_openmetrics.h"
#include "gf_xalloc.h"
#include "tap.h"

static void
add(struct gf_prom_result *r, const char *labels_json, const double *t,
    const double *v, size_t n)
{
	struct gf_prom_series *s;

	r->series = gf_xreallocarray(r->series, r->nseries + 1, sizeof(*s));
	s = &r->series[r->nseries++];
	s->labels = json_loads(labels_json, 0, NULL);
	s->t = gf_xmalloc((n ? n : 1) * sizeof(double));
	s->v = gf_xmalloc((n ? n : 1) * sizeof(double));
	memcpy(s->t, t, n * sizeof(double));
	memcpy(s->v, v, n * sizeof(double));
	s->n = n;
}

int
main(void)
{
	struct gf_prom_result r, all, p1, p2;
	struct gf_openmetrics_stats st;
	struct gf_buf b = GF_BUF_INIT;
	json_t *index = json_object();
	const double t1[] = { 1700000000.123, 1700000001 };
	const double v1[] = { 0.1, 123.456789 };
	const double t2[] = { 1700000000 };
	const double v2[] = { NAN };
	const double v3[] = { INFINITY };
	const double ta[] = { 10, 11, 12 }, va[] = { 1, 2, 3 };
	const double tb[] = { 12, 13 }, vb[] = { 3, 4 };

	memset(&r, 0, sizeof(r));
	add(&r, "{\"__name__\":\"zeta\",\"b\":\"2\","
	    "\"a\":\"q\\\"u\\\\o\\nte\"}", t1, v1, 2);
	add(&r, "{\"__name__\":\"alpha\"}", t2, v2, 1);
	add(&r, "{\"__name__\":\"zeta\",\"a\":\"0\"}", t2, v3, 1);
	add(&r, "{\"job\":\"no-name\"}", t2, v1, 1);
	gf_openmetrics_format(&r, &b, &st);
	is_str(gf_buf_str(&b),
	    "# TYPE alpha unknown\n"
	    "alpha NaN 1700000000.000\n"
	    "# TYPE zeta unknown\n"
	    "zeta{a=\"0\"} +Inf 1700000000.000\n"
	    "zeta{a=\"q\\\"u\\\\o\\nte\",b=\"2\"} 0.1 1700000000.123\n"
	    "zeta{a=\"q\\\"u\\\\o\\nte\",b=\"2\"} 123.456789 1700000001.000\n"
	    "# EOF\n", "grouped, sorted, escaped, exact values");
	is_int(st.families, 2, "two families");
	is_int(st.series, 3, "three series");
	is_int(st.samples, 4, "four samples");
	is_int(st.skipped, 1, "a series without a name is skipped");
	gf_prom_result_release(&r);
	gf_buf_release(&b);

	memset(&all, 0, sizeof(all));
	memset(&p1, 0, sizeof(p1));
	memset(&p2, 0, sizeof(p2));
	add(&p1, "{\"__name__\":\"m\",\"i\":\"1\"}", ta, va, 3);
	add(&p2, "{\"i\":\"1\",\"__name__\":\"m\"}", tb, vb, 2);
	add(&p2, "{\"__name__\":\"m\",\"i\":\"2\"}", tb, vb, 2);
	gf_openmetrics_merge(&all, index, &p1);
	gf_openmetrics_merge(&all, index, &p2);
	is_int(all.nseries, 2, "series matched by label set in any key order");
	is_int(all.series[0].n, 4, "the sample at the seam is kept once");
	ok(all.series[0].t[3] == 13 && all.series[0].v[3] == 4,
	    "later samples appended in order");
	is_int(p2.nseries, 0, "the merged piece is emptied");
	gf_prom_result_release(&all);
	json_decref(index);
	return done_testing();
}
