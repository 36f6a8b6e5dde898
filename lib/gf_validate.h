/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Scoring: one check's series, already fetched, turned into the result
 * gf-validate records (metrics and verdict, overall and per window); a
 * model's predictions at the measured timestamps; and the per-window
 * summaries (power, energy, work, CPU overhead) read from a source.
 *
 * The pieces live in their own modules: check sets in gf_checks.h, the
 * metrics and verdicts in gf_metrics.h, where series come from in
 * gf_source.h; this header includes the three. A whole run (options in,
 * "validate" section out) is gf_validaterun.h's.
 *
 *	res = gf_validate_check(&cs.checks[i], &actual, &predicted, step,
 *	    windows, nw, 1, NULL);
 *	json_array_append_new(results, res);
 */
#ifndef GF_VALIDATE_H
#define GF_VALIDATE_H

#include <stddef.h>

#include <jansson.h>

#include "gf_checks.h"
#include "gf_err.h"
#include "gf_metrics.h"
#include "gf_source.h"

/* A named time range to score separately (a document window). */
struct gf_vwindow {
	const char *name;	/* borrowed */
	double start, end;	/* unix seconds */
	int open_end;		/* 1: [start, end), so adjacent windows do
				   not share a sample; 0: [start, end] */
};

/*
 * Score one check: align actual and predicted within tol seconds inside
 * each window, compute metrics and the verdict. The result (a new
 * reference) has the fields gf-validate(1) lists: name, units,
 * actual_label, predicted_label, actual_query, predicted_query, samples,
 * samples_mape, dropped_actual, dropped_predicted, dropped_nonfinite,
 * mae, mape, mse, rmse, mean_actual, mean_predicted (null when not
 * computable), thresholds (the ones set), verdict, reason (on FAIL) and,
 * when per_window, "windows": one entry per window with the same metric
 * fields plus window, start and end. The overall figures pool the pairs
 * of every window. When pairs is not NULL it receives the pooled pairs
 * (release with gf_aligned_release()).
 */
json_t *gf_validate_check(const struct gf_check *c,
    const struct gf_vseries *actual, const struct gf_vseries *predicted,
    double tol, const struct gf_vwindow *w, size_t nw, int per_window,
    struct gf_aligned *pairs);

/*
 * What gf_validate_summaries measures in each window (queries left NULL
 * are not measured). All borrowed.
 */
struct gf_summary_req {
	const char *power;	/* instantaneous power in W: mean_power_w */
	const char *energy;	/* an energy counter in J: energy_j */
	const char *work;	/* a counter of units of work: work */
	const char *work_unit;	/* its unit's name; NULL = "unit" */
	double idle_power;	/* W taken out per unit of work; NaN: none */
	const char *const *ns;	/* namespaces whose CPU overhead to give */
	size_t nns;
	const char *rate_interval;	/* of the overhead's rate() */
	/* Each warning (Prometheus', a window without data); NULL: none. */
	gf_warn_fn *warn;
	void *arg;
};

/*
 * One summary per window appended to out (borrowed): window, start, end,
 * mean_power_w, energy_j, work, work_unit, energy_per_unit,
 * dynamic_energy_per_unit, overhead.<namespace> {query, mean, sd,
 * samples}, as gf-validate(1) lists them. A query without samples in a
 * window, when there are several windows, is noted in that window's
 * no_data (and warned of); no data in any window, or any other failure of
 * a query, is -1 with err set (65 for the data). out keeps the windows
 * summarised before a failure.
 */
int gf_validate_summaries(const struct gf_vsource *src,
    const struct gf_summary_req *req, const struct gf_vwindow *w,
    size_t nw, json_t *out, struct gf_err *err);

struct gf_model;

/*
 * Model predictions at the measured timestamps: out[k] is the model's
 * prediction from the feature samples nearest to meas->t[k] when every
 * feature has a finite one within tol seconds, else NaN. feat[i] is the
 * series of the model's feature i. out has meas->n entries.
 */
void gf_validate_predict(const struct gf_model *m,
    const struct gf_vseries *meas, const struct gf_vseries *feat,
    size_t nfeat, double tol, double *out);

#endif
