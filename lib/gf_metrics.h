/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The arithmetic of validation: pairing two series in time, the error
 * metrics (MAE, MAPE, MSE, RMSE) over the pairs, the verdict under a
 * check's thresholds, and the small statistics the summaries and the gate
 * need (counter increase, mean and deviation, comparison operators).
 * Pure computation on borrowed arrays: no I/O, no JSON.
 *
 *	gf_align(&actual, &predicted, step, &al);
 *	gf_vmetrics_compute(al.a, al.p, al.n, &m);
 *	verdict = gf_verdict_of(&th, &m, &why);
 *	gf_aligned_release(&al);
 *
 * Sums are compensated (Neumaier), so a day of samples loses no digits.
 */
#ifndef GF_METRICS_H
#define GF_METRICS_H

#include <stddef.h>

#include "gf_buf.h"
#include "gf_err.h"

/* A check's limits; NaN = not set. */
struct gf_thresholds {
	double max_mae, max_mape, max_mse;
};

/* A series as borrowed arrays; timestamps ascending, unix seconds. */
struct gf_vseries {
	const double *t;
	const double *v;
	size_t n;
};

/*
 * Aligned pairs. A sample that is NaN or infinite, or that has no partner
 * in the other series within tol seconds, is dropped and counted on its
 * side. Each sample is used at most once; of two candidates the nearer in
 * time wins.
 */
struct gf_aligned {
	double *t;		/* the actual sample's time; owned */
	double *a;
	double *p;
	size_t n;
	size_t dropped_actual;
	size_t dropped_predicted;
	size_t nonfinite;	/* how many of the dropped were NaN/Inf */
};

#define GF_ALIGNED_INIT { NULL, NULL, NULL, 0, 0, 0, 0 }

/* Pair actual with predicted into out (release it in every case). */
void gf_align(const struct gf_vseries *actual,
    const struct gf_vseries *predicted, double tol, struct gf_aligned *out);
/* Frees the arrays and zeroes al; NULL ok. */
void gf_aligned_release(struct gf_aligned *al);

struct gf_vmetrics {
	size_t n;		/* pairs */
	size_t n_mape;		/* pairs with actual > 0 */
	double mae, mse, rmse;	/* NaN when n == 0 */
	double mape;		/* percent, over actual > 0; NaN when none */
	double mean_actual, mean_predicted;
};

/*
 * Metrics over n pairs (a = actual, p = predicted), with compensated
 * summation. MAPE = 100 * mean(|a - p| / a) over a > 0 only, so it is
 * never infinite.
 */
void gf_vmetrics_compute(const double *a, const double *p, size_t n,
    struct gf_vmetrics *m);

enum gf_verdict {
	GF_VERDICT_PASS,
	GF_VERDICT_FAIL,
	GF_VERDICT_NO_THRESHOLD,
};

/* "PASS", "FAIL", "NO-THRESHOLD"; static strings. */
const char *gf_verdict_name(enum gf_verdict v);

/*
 * The verdict for metrics m under th: NO-THRESHOLD when no threshold is
 * set (never PASS); FAIL when a set threshold is exceeded or its metric
 * could not be computed (no pairs, no positive actuals for MAPE); PASS
 * otherwise. When why is not NULL, the reason for a FAIL is appended
 * ("mape 25.1 > 20").
 */
enum gf_verdict gf_verdict_of(const struct gf_thresholds *th,
    const struct gf_vmetrics *m, struct gf_buf *why);

/*
 * Counter increase over samples v[0..n) (NaN skipped): the sum of the
 * positive steps, a drop counted as a reset from zero, as PromQL's
 * increase() does without extrapolation. 0 for fewer than 2 samples.
 */
double gf_counter_delta(const double *v, size_t n);

/*
 * Mean and population standard deviation of the finite values; both NaN
 * when there is none. count (may be NULL) receives how many there were.
 */
void gf_mean_sd(const double *v, size_t n, double *mean, double *sd,
    size_t *count);

/* Comparison operators of the gate: "<" "<=" ">" ">=" "==" "!=". */
enum gf_op {
	GF_OP_LT, GF_OP_LE, GF_OP_GT, GF_OP_GE, GF_OP_EQ, GF_OP_NE,
};

/* 0 and *op, or -1 (64, naming --op) for an unknown operator. */
int gf_op_parse(const char *s, enum gf_op *op, struct gf_err *err);
/* The operator as written; a static string. */
const char *gf_op_name(enum gf_op op);
/* value op threshold; NaN never compares true. */
int gf_op_eval(enum gf_op op, double value, double threshold);

#endif
