/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_validate.h"
#include "gf_buf.h"
#include "gf_doc.h"
#include "gf_err.h"
#include "gf_model.h"
#include "gf_prom.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

/* Metric fields of one scored range into o. */
static void
put_metrics(json_t *o, const struct gf_aligned *al,
    const struct gf_vmetrics *m, const struct gf_thresholds *th)
{
	struct gf_buf why = GF_BUF_INIT;
	enum gf_verdict v = gf_verdict_of(th, m, &why);

	json_object_set_new(o, "samples", json_integer((json_int_t)m->n));
	json_object_set_new(o, "samples_mape",
	    json_integer((json_int_t)m->n_mape));
	json_object_set_new(o, "dropped_actual",
	    json_integer((json_int_t)al->dropped_actual));
	json_object_set_new(o, "dropped_predicted",
	    json_integer((json_int_t)al->dropped_predicted));
	json_object_set_new(o, "dropped_nonfinite",
	    json_integer((json_int_t)al->nonfinite));
	json_object_set_new(o, "mae", gf_doc_number(m->mae));
	json_object_set_new(o, "mape", gf_doc_number(m->mape));
	json_object_set_new(o, "mse", gf_doc_number(m->mse));
	json_object_set_new(o, "rmse", gf_doc_number(m->rmse));
	json_object_set_new(o, "mean_actual", gf_doc_number(m->mean_actual));
	json_object_set_new(o, "mean_predicted",
	    gf_doc_number(m->mean_predicted));
	json_object_set_new(o, "verdict", json_string(gf_verdict_name(v)));
	if (v == GF_VERDICT_FAIL)
		json_object_set_new(o, "reason", json_string(gf_buf_str(&why)));
	gf_buf_release(&why);
}

/* First index with t[i] >= x. */
static size_t
lower_bound(const double *t, size_t n, double x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct gf_vseries
slice(const struct gf_vseries *s, double start, double end, int open_end)
{
	struct gf_vseries out = { NULL, NULL, 0 };
	size_t i, j;

	if (s->n == 0)
		return out;
	i = lower_bound(s->t, s->n, start);
	j = lower_bound(s->t, s->n, open_end ? end : nextafter(end, INFINITY));
	out.t = s->t + i;
	out.v = s->v + i;
	out.n = j > i ? j - i : 0;
	return out;
}

static void
append_pairs(struct gf_aligned *all, const struct gf_aligned *al)
{
	size_t n = all->n + al->n;

	all->t = gf_xreallocarray(all->t, n + 1, sizeof(double));
	all->a = gf_xreallocarray(all->a, n + 1, sizeof(double));
	all->p = gf_xreallocarray(all->p, n + 1, sizeof(double));
	memcpy(all->t + all->n, al->t, al->n * sizeof(double));
	memcpy(all->a + all->n, al->a, al->n * sizeof(double));
	memcpy(all->p + all->n, al->p, al->n * sizeof(double));
	all->n = n;
	all->dropped_actual += al->dropped_actual;
	all->dropped_predicted += al->dropped_predicted;
	all->nonfinite += al->nonfinite;
}

json_t *
gf_validate_check(const struct gf_check *c, const struct gf_vseries *A,
    const struct gf_vseries *P, double tol, const struct gf_vwindow *w,
    size_t nw, int per_window, struct gf_aligned *pairs)
{
	json_t *r = json_object(), *th = json_object(), *wins = NULL;
	struct gf_aligned all = GF_ALIGNED_INIT;
	struct gf_vmetrics m;

	json_object_set_new(r, "name", json_string(c->name));
	if (c->units != NULL)
		json_object_set_new(r, "units", json_string(c->units));
	json_object_set_new(r, "actual_label", json_string(c->actual_label));
	json_object_set_new(r, "predicted_label",
	    json_string(c->predicted_label));
	json_object_set_new(r, "actual_query", json_string(c->actual));
	json_object_set_new(r, "predicted_query", json_string(c->predicted));
	if (!isnan(c->th.max_mae))
		json_object_set_new(th, "max_mae", json_real(c->th.max_mae));
	if (!isnan(c->th.max_mape))
		json_object_set_new(th, "max_mape", json_real(c->th.max_mape));
	if (!isnan(c->th.max_mse))
		json_object_set_new(th, "max_mse", json_real(c->th.max_mse));
	json_object_set_new(r, "thresholds", th);
	if (per_window)
		wins = json_array();
	for (size_t k = 0; k < nw; k++) {
		struct gf_vseries a = slice(A, w[k].start, w[k].end,
		    w[k].open_end);
		struct gf_vseries p = slice(P, w[k].start, w[k].end,
		    w[k].open_end);
		struct gf_aligned al;

		gf_align(&a, &p, tol, &al);
		if (wins != NULL) {
			json_t *o = json_object();

			json_object_set_new(o, "window", json_string(
			    w[k].name != NULL ? w[k].name : ""));
			json_object_set_new(o, "start", json_real(w[k].start));
			json_object_set_new(o, "end", json_real(w[k].end));
			gf_vmetrics_compute(al.a, al.p, al.n, &m);
			put_metrics(o, &al, &m, &c->th);
			json_array_append_new(wins, o);
		}
		append_pairs(&all, &al);
		gf_aligned_release(&al);
	}
	gf_vmetrics_compute(all.a, all.p, all.n, &m);
	put_metrics(r, &all, &m, &c->th);
	if (wins != NULL)
		json_object_set_new(r, "windows", wins);
	if (pairs != NULL)
		*pairs = all;
	else
		gf_aligned_release(&all);
	return r;
}

void
gf_validate_predict(const struct gf_model *m, const struct gf_vseries *meas,
    const struct gf_vseries *feat, size_t nf, double tol, double *out)
{
	size_t *pos = gf_xcalloc(nf + 1, sizeof(size_t));
	double *x = gf_xcalloc(nf + 1, sizeof(double));

	for (size_t k = 0; k < meas->n; k++) {
		double t = meas->t[k];
		int all = 1;

		for (size_t i = 0; i < nf && all; i++) {
			const struct gf_vseries *f = &feat[i];

			if (f->n == 0) {
				all = 0;
				break;
			}
			/* Both are sorted: walk each feature forward. */
			while (pos[i] + 1 < f->n &&
			    fabs(f->t[pos[i] + 1] - t) <=
			    fabs(f->t[pos[i]] - t))
				pos[i]++;
			if (fabs(f->t[pos[i]] - t) >= tol ||
			    !isfinite(f->v[pos[i]]))
				all = 0;
			else
				x[i] = f->v[pos[i]];
		}
		out[k] = all ? gf_model_predict1(m, x) : NAN;
	}
	free(pos);
	free(x);
}

/* ---- per-window summaries ---- */

/*
 * The one series of q over window k in *res: 0. No samples there while
 * there are other windows (a short window at the start of a run, before
 * the first scrapes): noted in the window's summary s, 1. Any other
 * failure: -1 with err set.
 */
static int
summary_values(const struct gf_vsource *src, const struct gf_summary_req *req,
    const char *q, const char *what, const struct gf_vwindow *w, size_t nw,
    json_t *s, struct gf_prom_result *res, struct gf_err *err)
{
	json_t *notes;
	int rc = gf_vsource_range(src, q, what, w->start, w->end, res, err);

	for (size_t i = 0; i < res->nwarnings; i++)
		gf_err_warn(req->warn, req->arg, "%s: prometheus warns: %s",
		    what, res->warnings[i]);
	if (rc == 0)
		return 0;
	if (res->nseries != 0 || nw < 2)
		return -1;
	gf_err_warn(req->warn, req->arg, "window '%s': %s", w->name,
	    err->msg);
	notes = json_object_get(s, "no_data");
	if (notes == NULL) {
		notes = json_array();
		json_object_set_new(s, "no_data", notes);
	}
	json_array_append_new(notes, json_string(err->msg));
	gf_err_clear(err);
	gf_prom_result_release(res);
	return 1;
}

/* Mean and sd of q over the window: as summary_values, which it returns. */
static int
summary_mean(const struct gf_vsource *src, const struct gf_summary_req *req,
    const char *q, const char *what, const struct gf_vwindow *w, size_t nw,
    json_t *s, double *mean, double *sd, size_t *cnt, struct gf_err *err)
{
	struct gf_prom_result res = { 0 };
	int rc = summary_values(src, req, q, what, w, nw, s, &res, err);

	if (rc == 0)
		gf_mean_sd(res.series[0].v, res.series[0].n, mean, sd, cnt);
	gf_prom_result_release(&res);
	return rc;
}

/* Counter increase of q over the window into s[key]; NaN without data. */
static int
summary_delta(const struct gf_vsource *src, const struct gf_summary_req *req,
    const char *q, const char *what, const char *key,
    const struct gf_vwindow *w, size_t nw, json_t *s, double *delta,
    struct gf_err *err)
{
	struct gf_prom_result res = { 0 };
	int rc = summary_values(src, req, q, what, w, nw, s, &res, err);

	*delta = NAN;
	if (rc == 0) {
		*delta = gf_counter_delta(res.series[0].v, res.series[0].n);
		json_object_set_new(s, key, json_real(*delta));
	}
	gf_prom_result_release(&res);
	return rc < 0 ? -1 : 0;
}

/* The namespaces' CPU overhead over window w into s's "overhead". */
static int
summary_overhead(const struct gf_vsource *src,
    const struct gf_summary_req *req, const struct gf_vwindow *w, size_t nw,
    json_t *s, struct gf_err *err)
{
	json_t *ov = json_object();

	for (size_t i = 0; i < req->nns; i++) {
		char *q = gf_xasprintf("sum(rate(container_cpu_usage_seconds_"
		    "total{namespace=\"%s\"}[%s])) / sum(machine_cpu_cores) "
		    "* 100", req->ns[i], req->rate_interval);
		char *what = gf_xasprintf("--namespace '%s'", req->ns[i]);
		double mean, sd;
		size_t cnt;
		int rc = summary_mean(src, req, q, what, w, nw, s, &mean, &sd,
		    &cnt, err);

		free(what);
		if (rc == 0)
			json_object_set_new(ov, req->ns[i], json_pack(
			    "{s:s, s:o, s:o, s:i}", "query", q, "mean",
			    gf_doc_number(mean), "sd", gf_doc_number(sd),
			    "samples", (json_int_t)cnt));
		free(q);
		if (rc < 0) {
			json_decref(ov);
			return -1;
		}
	}
	json_object_set_new(s, "overhead", ov);
	return 0;
}

int
gf_validate_summaries(const struct gf_vsource *src,
    const struct gf_summary_req *req, const struct gf_vwindow *w,
    size_t nw, json_t *out, struct gf_err *err)
{
	size_t empty = 0;

	for (size_t k = 0; k < nw; k++) {
		json_t *s = json_object();
		double energy = NAN, work = NAN;

		json_object_set_new(s, "window", json_string(w[k].name));
		json_object_set_new(s, "start", json_real(w[k].start));
		json_object_set_new(s, "end", json_real(w[k].end));
		json_array_append_new(out, s);
		if (req->power != NULL) {
			double mean, sd;
			size_t cnt;
			int rc = summary_mean(src, req, req->power, "--power",
			    &w[k], nw, s, &mean, &sd, &cnt, err);

			if (rc < 0)
				return -1;
			if (rc == 0)
				json_object_set_new(s, "mean_power_w",
				    gf_doc_number(mean));
		}
		if (req->energy != NULL && summary_delta(src, req,
		    req->energy, "--energy", "energy_j", &w[k], nw, s,
		    &energy, err) < 0)
			return -1;
		if (req->work != NULL) {
			if (summary_delta(src, req, req->work, "--work",
			    "work", &w[k], nw, s, &work, err) < 0)
				return -1;
			json_object_set_new(s, "work_unit", json_string(
			    req->work_unit != NULL ? req->work_unit : "unit"));
			json_object_set_new(s, "energy_per_unit",
			    isfinite(energy) && work > 0 ?
			    json_real(energy / work) : json_null());
			/* GreenFlow's energy cost: idle power taken out. */
			if (!isnan(req->idle_power))
				json_object_set_new(s,
				    "dynamic_energy_per_unit",
				    isfinite(energy) && work > 0 ?
				    json_real((energy - req->idle_power *
				    (w[k].end - w[k].start)) / work) :
				    json_null());
		}
		if (req->nns > 0 && summary_overhead(src, req, &w[k], nw, s,
		    err) < 0)
			return -1;
		if (json_object_get(s, "no_data") != NULL)
			empty++;
	}
	if (nw > 0 && empty == nw)
		return gf_err_set(err, GF_EXIT_DATAERR, "validate", "no data "
		    "in any of the %zu windows for the summaries", nw);
	return 0;
}
