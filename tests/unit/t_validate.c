/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of gf_validate: templating, check sets, alignment, metrics. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#include "gf_report.h"
#include "gf_validate.h"
#include "gf_xalloc.h"
#include "gf_yaml.h"

static char *
expand(const char *tmpl, const struct gf_vars *v, struct gf_err *err)
{
	gf_err_clear(err);
	return gf_template_expand(tmpl, v, "t", err);
}

static void
test_template(void)
{
	struct gf_vars v = GF_VARS_INIT;
	struct gf_err err = GF_ERR_INIT;
	char *s;

	gf_vars_set(&v, "rate_interval", "20s");
	gf_vars_set(&v, "metal_job_name", "metal");
	gf_vars_set(&v, "rate_interval", "30s");
	s = expand("sum(rate(x{{job=\"{metal_job_name}\"}}[{rate_interval}]))",
	    &v, &err);
	is_str(s, "sum(rate(x{job=\"metal\"}[30s]))",
	    "template: variables, doubled braces, last set wins");
	free(s);
	s = expand("x{{a=\"b\"}}", &v, &err);
	is_str(s, "x{a=\"b\"}", "template: only literal braces");
	free(s);
	s = expand("rate(x[{nope}])", &v, &err);
	ok(s == NULL && err.exit == 65 && strstr(err.msg, "{nope}") != NULL,
	    "template: unknown variable is 65 naming it (%s)", err.msg);
	s = expand("x{a=\"b\"}", &v, &err);
	ok(s == NULL && err.exit == 65, "template: a single brace pair of "
	    "label matchers is an unknown variable, as str.format says");
	s = expand("x}", &v, &err);
	ok(s == NULL && strstr(err.msg, "single '}'") != NULL,
	    "template: lone closing brace");
	s = expand("x{", &v, &err);
	ok(s == NULL && strstr(err.msg, "unmatched '{'") != NULL,
	    "template: unmatched opening brace");
	gf_vars_release(&v);
}

static const char checks_yaml[] =
	"config:\n"
	"  mapping:\n"
	"    actual: metal\n"
	"    predicted: vm\n"
	"validations:\n"
	"  - name: node-rapl - kepler-package\n"
	"    units: Watts\n"
	"    mapping:\n"
	"      actual: node-rapl\n"
	"      predicted: kepler-package\n"
	"    node-rapl: |\n"
	"      sum(rate(node_rapl_package_joules_total[{rate_interval}]))\n"
	"    kepler-package: |\n"
	"      sum(rate(kepler_node_package_joules_total"
	    "{{job=\"{metal_job_name}\"}}[{rate_interval}]))\n"
	"    max_mape: 20.0\n"
	"  - name: package - absolute\n"
	"    metal: a\n"
	"    vm: b\n"
	"    max_mae: 2.01\n"
	"    max_mse: 4\n"
	"  - name: no thresholds\n"
	"    metal: a\n"
	"    vm: b\n";

static int
load(struct gf_checkset *cs, const char *yaml, struct gf_err *err)
{
	struct gf_vars v = GF_VARS_INIT;
	json_t *root;
	int rc;

	gf_err_clear(err);
	gf_vars_set(&v, "rate_interval", "20s");
	gf_vars_set(&v, "metal_job_name", "metal");
	root = gf_yaml_parse(yaml, strlen(yaml), "checks.yaml", err);
	if (root == NULL) {
		gf_vars_release(&v);
		return -1;
	}
	rc = gf_checkset_from_json(cs, root, "checks.yaml", &v, err);
	json_decref(root);
	gf_vars_release(&v);
	return rc;
}

static void
test_checkset(void)
{
	struct gf_checkset cs = GF_CHECKSET_INIT;
	struct gf_err err = GF_ERR_INIT;

	is_int(load(&cs, checks_yaml, &err), 0, "load validator-shaped file");
	is_int(cs.n, 3, "three checks");
	is_str(cs.checks[0].name, "node-rapl - kepler-package", "name");
	is_str(cs.checks[0].units, "Watts", "units");
	is_str(cs.checks[0].actual_label, "node-rapl", "per-check mapping");
	is_str(cs.checks[0].actual,
	    "sum(rate(node_rapl_package_joules_total[20s]))\n",
	    "actual expanded");
	is_str(cs.checks[0].predicted,
	    "sum(rate(kepler_node_package_joules_total{job=\"metal\"}[20s]))\n",
	    "predicted expanded");
	is_near(cs.checks[0].th.max_mape, 20.0, 0, "max_mape parsed");
	ok(isnan(cs.checks[0].th.max_mae), "max_mae unset");
	is_str(cs.checks[1].actual_label, "metal", "file mapping");
	is_near(cs.checks[1].th.max_mae, 2.01, 0, "max_mae parsed");
	is_near(cs.checks[1].th.max_mse, 4, 0, "max_mse parsed");
	ok(cs.checks[2].units == NULL, "units optional");
	gf_checkset_release(&cs);

	is_int(load(&cs, "validations:\n  - name: x\n    metal: a\n", &err),
	    -1, "missing query fails");
	ok(err.exit == 65 && strstr(err.msg, "validations[0]") != NULL &&
	    strstr(err.msg, "'actual'") != NULL,
	    "names the check and key (%s)", err.msg);
	gf_checkset_release(&cs);
	is_int(load(&cs, "validations:\n  - name: x\n    actual: a\n"
	    "    predicted: b\n    max_mape: lots\n", &err), -1,
	    "bad threshold fails");
	ok(strstr(err.msg, "validations[0].max_mape") != NULL,
	    "names the field (%s)", err.msg);
	gf_checkset_release(&cs);
	is_int(load(&cs, "validations:\n  - name: x\n    expected: a\n"
	    "    actual: b\n", &err), 0, "older expected/actual shape");
	is_str(cs.checks[0].actual, "a", "expected is ground truth");
	is_str(cs.checks[0].predicted, "b", "actual is the estimate");
	gf_checkset_release(&cs);
	is_int(load(&cs, "validations:\n  - name: x\n    actual: a\n"
	    "    predicted: b\n  - name: x\n    actual: a\n"
	    "    predicted: b\n", &err), -1, "duplicate names fail");
	gf_checkset_release(&cs);
	is_int(load(&cs, "checks: []\n", &err), -1, "no validations key");
	gf_checkset_release(&cs);
}

static void
test_align(void)
{
	double ta[] = { 0, 3, 6, 9, 12, 15 };
	double va[] = { 10, 20, NAN, 40, 50, 60 };
	double tp[] = { 0.5, 3.2, 5.0, 9.0, 21, 24 };
	double vp[] = { 11, 18, 30, INFINITY, 55, 66 };
	struct gf_vseries A = { ta, va, 6 }, P = { tp, vp, 6 };
	struct gf_aligned al;

	gf_align(&A, &P, 3, &al);
	is_int(al.n, 2, "two pairs survive");
	is_near(al.a[0], 10, 0, "pair 0 actual");
	is_near(al.p[0], 11, 0, "pair 0 predicted");
	is_near(al.t[1], 3, 0, "pair 1 at the actual's time");
	is_int(al.dropped_actual, 4, "actual: NaN, lost partner, 2 unmatched");
	is_int(al.dropped_predicted, 4, "predicted: partner NaN, Inf, 2 late");
	is_int(al.nonfinite, 2, "NaN and Inf counted");
	gf_aligned_release(&al);

	{
		/* The nearer candidate wins: 2.9 pairs with 3, not with 0. */
		double t1[] = { 0, 3 }, v1[] = { 1, 2 };
		double t2[] = { 2.9 }, v2[] = { 5 };
		struct gf_vseries X = { t1, v1, 2 }, Y = { t2, v2, 1 };

		gf_align(&X, &Y, 3, &al);
		is_int(al.n, 1, "one pair");
		is_near(al.a[0], 2, 0, "nearest partner chosen");
		is_int(al.dropped_actual, 1, "the other dropped");
		gf_aligned_release(&al);
	}
	{
		/* A gap: samples missing in one series are counted. */
		double t1[] = { 0, 3, 6, 9, 12 }, v1[] = { 1, 1, 1, 1, 1 };
		double t2[] = { 0, 12 }, v2[] = { 1, 1 };
		struct gf_vseries X = { t1, v1, 5 }, Y = { t2, v2, 2 };

		gf_align(&X, &Y, 3, &al);
		is_int(al.n, 2, "gap: two pairs");
		is_int(al.dropped_actual, 3, "gap: three dropped");
		is_int(al.dropped_predicted, 0, "gap: none on the other side");
		gf_aligned_release(&al);
	}
	{
		struct gf_vseries E = { NULL, NULL, 0 };

		gf_align(&E, &P, 3, &al);
		is_int(al.n, 0, "empty series: no pairs");
		is_int(al.dropped_predicted, 6, "empty: all dropped");
		gf_aligned_release(&al);
	}
}

static void
test_metrics(void)
{
	double a[] = { 10, 20, 0, 40 };
	double p[] = { 12, 15, 1, 40 };
	struct gf_vmetrics m;
	struct gf_thresholds th = { NAN, NAN, NAN };
	struct gf_buf why = GF_BUF_INIT;

	gf_vmetrics_compute(a, p, 4, &m);
	/* errors 2, 5, 1, 0 */
	is_near(m.mae, 2.0, 1e-15, "MAE = 8/4");
	is_near(m.mse, 7.5, 1e-15, "MSE = 30/4");
	is_near(m.rmse, sqrt(7.5), 1e-15, "RMSE");
	/* 2/10 + 5/20 + 0/40 over 3 positive actuals */
	is_near(m.mape, 100.0 * (0.2 + 0.25) / 3, 1e-12,
	    "MAPE over actual > 0 only");
	is_int(m.n_mape, 3, "zero actual excluded from MAPE");
	ok(isfinite(m.mape), "MAPE never infinite");

	{
		double z[] = { 0, 0 }, q[] = { 1, 2 };

		gf_vmetrics_compute(z, q, 2, &m);
		ok(isnan(m.mape) && m.n_mape == 0,
		    "all-zero actuals: MAPE NaN");
		is_near(m.mae, 1.5, 0, "all-zero actuals: MAE still computed");
		th.max_mape = 10;
		is_int(gf_verdict_of(&th, &m, &why), GF_VERDICT_FAIL,
		    "MAPE threshold without MAPE fails");
		ok(strstr(gf_buf_str(&why), "not computable") != NULL,
		    "and says why (%s)", gf_buf_str(&why));
		gf_buf_reset(&why);
	}
	gf_vmetrics_compute(NULL, NULL, 0, &m);
	ok(isnan(m.mae) && isnan(m.mse) && m.n == 0, "no pairs: NaN metrics");

	gf_vmetrics_compute(a, p, 4, &m);
	th.max_mape = NAN;
	is_int(gf_verdict_of(&th, &m, NULL), GF_VERDICT_NO_THRESHOLD,
	    "no threshold is never PASS");
	th.max_mae = 2.0;
	is_int(gf_verdict_of(&th, &m, NULL), GF_VERDICT_PASS,
	    "MAE equal to the limit passes");
	th.max_mae = 1.99;
	is_int(gf_verdict_of(&th, &m, &why), GF_VERDICT_FAIL, "MAE over");
	ok(strstr(gf_buf_str(&why), "mae 2 > 1.99") != NULL, "why: %s",
	    gf_buf_str(&why));
	gf_buf_reset(&why);
	th.max_mae = NAN;
	th.max_mse = 7;
	is_int(gf_verdict_of(&th, &m, NULL), GF_VERDICT_FAIL, "MSE over");
	th.max_mse = NAN;
	th.max_mape = 15;
	is_int(gf_verdict_of(&th, &m, NULL), GF_VERDICT_PASS, "MAPE 15 ok");
	th.max_mape = 14.9;
	is_int(gf_verdict_of(&th, &m, NULL), GF_VERDICT_FAIL, "MAPE over");
	is_str(gf_verdict_name(GF_VERDICT_NO_THRESHOLD), "NO-THRESHOLD",
	    "verdict names");
	gf_buf_release(&why);

	{
		/* Long series keep their digits (compensated sums). */
		size_t n = 28800;
		double *x = malloc(n * sizeof(double));
		double *y = malloc(n * sizeof(double));

		for (size_t i = 0; i < n; i++) {
			x[i] = 100.0 + 0.1;
			y[i] = 100.0;
		}
		gf_vmetrics_compute(x, y, n, &m);
		is_near(m.mae, 0.1, 1e-12, "28800 samples: MAE exact");
		free(x);
		free(y);
	}
}

static void
test_summaries(void)
{
	double c[] = { 100, 110, 130, NAN, 5, 15 };
	double v[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
	double mean, sd;
	size_t n;

	is_near(gf_counter_delta(c, 6), 10 + 20 + 5 + 10, 0,
	    "counter delta with a reset and a NaN");
	is_near(gf_counter_delta(c, 1), 0, 0, "one sample: 0");
	gf_mean_sd(v, 8, &mean, &sd, &n);
	is_near(mean, 5, 0, "mean");
	is_near(sd, 2, 1e-15, "population sd");
	is_int(n, 8, "count");
}

static void
keep_warning(const char *msg, void *arg)
{
	struct gf_buf *b = arg;

	gf_buf_addf(b, "%s\n", msg);
}

/* Recorded series q: values a + b (t - 10) at t = 10, 11, ..., 20. */
static void
add_line(struct gf_buf *b, const char *q, double a, double slope)
{
	gf_buf_addf(b, "%s\"%s\": {\"resultType\": \"matrix\", "
	    "\"result\": [{\"metric\": {}, \"values\": [",
	    b->len > 1 ? ", " : "", q);
	for (int t = 10; t <= 20; t++)
		gf_buf_addf(b, "%s[%d, \"%g\"]", t > 10 ? ", " : "", t,
		    a + slope * (t - 10));
	gf_buf_adds(b, "]}]}");
}

static void
test_window_summaries(void)
{
	const char *ns[] = { "kepler" };
	struct gf_buf text = GF_BUF_INIT, warned = GF_BUF_INIT;
	struct gf_recorded rec = GF_RECORDED_INIT;
	struct gf_err err = GF_ERR_INIT;
	struct gf_vsource src = { NULL, &rec, "rec.json", 1 };
	struct gf_summary_req req = { "P", "E", "W", "MJ", 10, ns, 1, "20s",
	    keep_warning, &warned };
	struct gf_vwindow w[] = { { "before", 0, 5, 0 }, { "run", 10, 20, 0 },
	    { "early", 1, 4, 0 } };
	json_t *out = json_array(), *run, *before;

	gf_buf_adds(&text, "{");
	add_line(&text, "P", 50, 0);
	add_line(&text, "E", 100, 50);
	add_line(&text, "W", 0, 3);
	add_line(&text, "sum(rate(container_cpu_usage_seconds_total{namespace="
	    "\\\"kepler\\\"}[20s])) / sum(machine_cpu_cores) * 100", 12.5,
	    0);
	gf_buf_adds(&text, "}");
	if (gf_recorded_parse(&rec, text.data, text.len, "rec.json", &err)) {
		diag("%s", err.msg);
		exit(1);
	}
	is_int(gf_validate_summaries(&src, &req, w, 2, out, &err), 0,
	    "summaries of two windows, one without data (%s)", err.msg);
	before = json_array_get(out, 0);
	run = json_array_get(out, 1);
	is_int((int)json_array_size(out), 2, "one summary per window");
	is_int((int)json_array_size(json_object_get(before, "no_data")), 4,
	    "each query's missing data noted in its window");
	ok(strstr(gf_buf_str(&warned), "window 'before': --power: query "
	    "returned no series") != NULL && strstr(gf_buf_str(&warned),
	    "window 'before': --namespace 'kepler': ") != NULL &&
	    json_object_get(before, "mean_power_w") == NULL,
	    "and warned of, each");
	is_near(json_real_value(json_object_get(run, "mean_power_w")), 50, 0,
	    "mean power");
	is_near(json_real_value(json_object_get(run, "energy_j")), 500, 0,
	    "energy: the counter's increase");
	is_near(json_real_value(json_object_get(run, "energy_per_unit")),
	    500 / 30.0, 1e-12, "energy per unit of work");
	is_near(json_real_value(json_object_get(run,
	    "dynamic_energy_per_unit")), (500 - 10 * 10) / 30.0, 1e-12,
	    "idle power taken out over the window's 10 s");
	is_str(json_string_value(json_object_get(run, "work_unit")), "MJ",
	    "the unit of work");
	json_t *k = json_object_get(json_object_get(run, "overhead"),
	    "kepler");

	ok(json_real_value(json_object_get(k, "mean")) == 12.5 &&
	    json_integer_value(json_object_get(k, "samples")) == 11,
	    "a namespace's CPU overhead");
	json_array_clear(out);
	w[1] = w[2];
	is_int(gf_validate_summaries(&src, &req, w, 2, out, &err), -1,
	    "no data in any window fails");
	ok(err.exit == 65 && strstr(err.msg, "no data in any of the 2 "
	    "windows"), "65 saying so: %s", err.msg);
	json_array_clear(out);
	gf_err_clear(&err);
	is_int(gf_validate_summaries(&src, &req, w, 1, out, &err), -1,
	    "one window without data fails at its first query");
	ok(err.exit == 65 && strstr(err.msg, "P"), "65 naming the query: %s",
	    err.msg);
	json_decref(out);
	gf_recorded_release(&rec);
	gf_buf_release(&text);
	gf_buf_release(&warned);
}

static void
test_misc(void)
{
	enum gf_op op;
	struct gf_err err = GF_ERR_INIT;
	char *s;

	is_int(gf_op_parse("<", &op, &err), 0, "parse <");
	ok(gf_op_eval(op, 8, 9) && !gf_op_eval(op, 9, 9), "8 < 9, not 9 < 9");
	ok(!gf_op_eval(op, NAN, 9), "NaN never trips");
	is_int(gf_op_parse(">=", &op, &err), 0, "parse >=");
	ok(gf_op_eval(op, 9, 9), "9 >= 9");
	is_int(gf_op_parse("=<", &op, &err), -1, "bad operator");
	is_int(err.exit, 64, "bad operator is a usage error");
	s = gf_slug("node-rapl - Kepler_Package (W)");
	is_str(s, "node-rapl-Kepler_Package-W", "slug");
	free(s);
	s = gf_slug("v0.7.12-1-gabc");
	is_str(s, "v0.7.12-1-gabc", "slug keeps a tag");
	free(s);
	s = gf_slug("../..");
	is_str(s, "check", "slug of nothing");
	free(s);
}

static void
test_recorded(void)
{
	static const char good[] =
	    "{\"sum(x{a=\\\"b\\\"})\": {\"status\": \"success\", \"data\": {\n"
	    " \"resultType\": \"matrix\", \"result\": "
	    "[{\"metric\": {\"a\": \"b\"},\n"
	    " \"values\": [[1, \"1.5\"], [4, \"NaN\"], [7.5, 3], "
	    "[9, \"+Inf\"]]}]}},\n"
	    " \"empty\": {\"resultType\": \"matrix\", \"result\": []}}";
	struct gf_recorded rec = GF_RECORDED_INIT;
	struct gf_err err = GF_ERR_INIT;
	const struct gf_prom_result *r;
	struct gf_prom_result copy;

	is_int(gf_recorded_parse(&rec, good, strlen(good), "rec.json", &err),
	    0, "recorded file parses (%s)", err.msg);
	is_int(rec.n, 2, "two queries");
	r = gf_recorded_find(&rec, "sum(x{a=\"b\"})");
	ok(r != NULL && r->nseries == 1, "query key with escapes found");
	if (r != NULL && r->nseries == 1) {
		is_int(r->series[0].n, 4, "four samples");
		is_near(r->series[0].v[0], 1.5, 0, "string value");
		ok(isnan(r->series[0].v[1]), "\"NaN\" is NaN");
		is_near(r->series[0].t[2], 7.5, 0, "fractional time");
		is_near(r->series[0].v[2], 3, 0, "numeric value");
		ok(isinf(r->series[0].v[3]), "\"+Inf\" is infinite");
		is_str(json_string_value(json_object_get(r->series[0].labels,
		    "a")), "b", "labels");
		gf_prom_result_copy(&copy, r);
		is_near(copy.series[0].v[2], 3, 0, "copy");
		gf_prom_result_release(&copy);
	}
	r = gf_recorded_find(&rec, "empty");
	ok(r != NULL && r->nseries == 0, "empty result");
	ok(gf_recorded_find(&rec, "other") == NULL, "unknown query");
	gf_recorded_release(&rec);

	{
		static const char bad[] = "{\"q\": {\"result\": [{\"values\":\n"
		    "  [[1, \"2\"], [1, \"3\"]]}]}}";
		static const char bad2[] =
		    "{\"q\": {\"result\": [{\"values\":\n"
		    "  [[1, \"2\" [2, \"3\"]]}]}}";

		is_int(gf_recorded_parse(&rec, bad, strlen(bad), "r.json",
		    &err), -1, "timestamps must increase");
		ok(err.exit == 65 && strstr(err.msg, "r.json: query 'q': "
		    "series 0 sample 1: timestamp 1 is not after") != NULL,
		    "error names file, query, series and sample (%s)",
		    err.msg);
		gf_recorded_release(&rec);
		is_int(gf_recorded_parse(&rec, bad2, strlen(bad2), "r.json",
		    &err), -1, "syntax error");
		ok(strstr(err.msg, "r.json:2:12: ']' expected") != NULL,
		    "syntax error position (%s)", err.msg);
		gf_recorded_release(&rec);
		is_int(gf_recorded_parse(&rec, "{\"q\": {}}", 10, "r.json",
		    &err), -1, "no result");
		gf_recorded_release(&rec);
		/* Plots write every time as a date (time_t). */
		is_int(gf_recorded_parse(&rec, "{\"q\": {\"result\": [{"
		    "\"values\": [[1e300, \"1\"]]}]}}", 47, "r.json", &err), -1,
		    "a timestamp beyond year 9999 is refused");
		ok(strstr(err.msg, "r.json: query 'q': series 0 sample 0: "
		    "timestamp 1e+300 is not a time") != NULL, "where (%s)",
		    err.msg);
		gf_recorded_release(&rec);
	}
}

/* The reader's decimal fast path rounds exactly as strtod does. */
static void
test_recorded_numbers(void)
{
	struct gf_buf b = GF_BUF_INIT;
	struct gf_recorded rec = GF_RECORDED_INIT;
	struct gf_err err = GF_ERR_INIT;
	char **texts = calloc(20000, sizeof(char *));
	unsigned long long x = 88172645463325252ULL;
	size_t bad = 0;

	gf_buf_adds(&b, "{\"q\": {\"result\": [{\"values\": [");
	for (size_t i = 0; i < 20000; i++) {
		double v;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = (double)(x % 100000000000ULL) / (double)(1 + x % 9973);
		if (x & 1)
			v = -v;
		texts[i] = gf_xasprintf("%.*f", (int)(x >> 40) % 16, v);
		gf_buf_addf(&b, "%s[%zu, \"%s\"]", i ? "," : "", i + 1,
		    texts[i]);
	}
	gf_buf_adds(&b, "]}]}}");
	is_int(gf_recorded_parse(&rec, b.data, b.len, "n.json", &err), 0,
	    "20000 random decimals parse (%s)", err.msg);
	for (size_t i = 0; i < 20000 && rec.n == 1; i++) {
		double want = strtod(texts[i], NULL);

		if (memcmp(&want, &rec.q[0].res.series[0].v[i], sizeof(want))
		    != 0 && bad++ == 0)
			diag("%s: got %.17g", texts[i],
			    rec.q[0].res.series[0].v[i]);
	}
	is_int(bad, 0, "every value bit-identical to strtod");
	for (size_t i = 0; i < 20000; i++)
		free(texts[i]);
	free(texts);
	gf_recorded_release(&rec);
	gf_buf_release(&b);
}

static void
test_report(void)
{
	json_t *rep, *js;
	char *md, *sum;
	const char *status;

	rep = json_pack("{s:s, s:f, s:f, s:s, s:[{s:s, s:f, s:f, s:f, s:f,"
	    " s:i, s:i, s:i, s:s, s:{s:f}, s:s, s:s, s:[s, s], s:s, s:s,"
	    " s:s}, {s:s, s:n, s:n, s:n, s:n, s:i, s:i, s:i, s:s, s:{}}],"
	    " s:[{s:s, s:s}]}",
	    "tag", "v0.7.12", "start", 1000.0, "end", 1600.0, "verdict", "FAIL",
	    "results",
	    "name", "pkg | x", "mae", 2.0, "mape", 15.0, "mse", 7.5, "rmse",
	    2.7386, "samples", 4, "dropped_actual", 2, "dropped_predicted", 1,
	    "verdict", "FAIL", "thresholds", "max_mae", 1.99, "reason",
	    "mae 2 > 1.99", "actual_query", "sum(rate(a[20s]))", "charts",
	    "images/pkg-x.svg", "images/pkg-x-error.svg", "actual_label",
	    "rapl", "predicted_label", "kepler", "artifact",
	    "artifacts/pkg-x.json",
	    "name", "empty", "mae", "mape", "mse", "rmse", "samples", 0,
	    "dropped_actual", 0, "dropped_predicted", 0, "verdict",
	    "NO-THRESHOLD", "thresholds",
	    "build_info", "version", "0.7.12", "revision", "abc");
	md = gf_report_markdown(rep);
	ok(strncmp(md, "# v0.7.12\n", 10) == 0, "heading is the tag");
	ok(strstr(md, "## Build Info") && strstr(md, "## Node Info") &&
	    strstr(md, "## Machine Specs") && strstr(md, "## Validation "
	    "Results") && strstr(md, "### Summary") && strstr(md,
	    "### Details"), "the validator's sections");
	ok(strstr(md, "| version | revision |") != NULL &&
	    strstr(md, "| 0.7.12 | abc |") != NULL, "build info table");
	ok(strstr(md, "- Duration: 600 s") != NULL, "duration");
	ok(strstr(md, "| pkg \\| x | 7.5000 | 15.0000 | 2.0000 | 2.7386 | 4 "
	    "| 3 | FAIL |") != NULL, "summary row, pipe escaped");
	ok(strstr(md, "| empty | - | - | - | - | 0 | 0 | NO-THRESHOLD |") !=
	    NULL, "uncomputable metrics are '-'");
	ok(strstr(md, "![actual vs predicted](images/pkg-x.svg)") != NULL &&
	    strstr(md, "![error distribution](images/pkg-x-error.svg)") !=
	    NULL, "charts linked");
	ok(strstr(md, "(mae 2 > 1.99)") != NULL, "reason shown");
	free(md);

	js = gf_report_json(rep);
	status = json_string_value(json_object_get(json_object_get(
	    json_array_get(json_object_get(js, "results"), 0), "value"),
	    "status"));
	is_str(status, "mae passed: false", "status only for set thresholds");
	is_str(json_string_value(json_object_get(json_object_get(
	    json_array_get(json_object_get(js, "results"), 0), "value"),
	    "mse")), "7.5", "values as strings");
	is_str(json_string_value(json_object_get(json_object_get(
	    json_array_get(json_object_get(js, "results"), 1), "value"),
	    "status")), "no threshold", "never 'passed' without threshold");
	is_str(json_string_value(json_object_get(json_array_get(
	    json_object_get(js, "results"), 1), "metric-name")), "empty",
	    "metric-name");
	json_decref(js);

	sum = gf_report_step_summary(rep, 1 << 20);
	ok(strstr(sum, "**FAIL**: 0 passed, 1 failed, 1 without a threshold")
	    != NULL, "summary counts");
	free(sum);
	sum = gf_report_step_summary(rep, 300);
	ok(strlen(sum) <= 300 && strstr(sum, "cut to fit") != NULL,
	    "summary cut at a row to fit (%zu bytes)", strlen(sum));
	free(sum);
	json_decref(rep);

	{
		json_t *doc = json_pack("{s:[{s:s, s:s, s:i, s:s}]}", "hosts",
		    "name", "metal-1", "cpu_model", "Xeon", "cores", 96,
		    "connection", "ssh");

		js = gf_report_machine_specs(doc);
		ok(json_array_size(js) == 1 && json_integer_value(
		    json_object_get(json_array_get(js, 0), "cores")) == 96 &&
		    strcmp(json_string_value(json_object_get(json_array_get(js,
		    0), "model")), "Xeon") == 0 && json_object_get(
		    json_array_get(js, 0), "connection") == NULL,
		    "machine specs are the document's hosts'");
		json_decref(js);
		json_decref(doc);
		js = gf_report_machine_specs(NULL);
		ok(json_array_size(js) == 0, "no hosts: no machine specs");
		json_decref(js);
	}
}

int
main(void)
{
	test_template();
	test_checkset();
	test_align();
	test_metrics();
	test_summaries();
	test_window_summaries();
	test_misc();
	test_recorded();
	test_recorded_numbers();
	test_report();
	return done_testing();
}
