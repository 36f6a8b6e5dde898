/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Error metrics of predictions against measured values: MAE, MAPE, RMSE,
 * MSE, from whole arrays or a row at a time.
 *
 *	struct gf_scores s;
 *
 *	gf_scores_compute(y, pred, n, &s);
 *
 * Nothing here allocates; every struct is the caller's.
 */
#ifndef GF_SCORES_H
#define GF_SCORES_H

#include <math.h>
#include <stddef.h>

/*
 * MAPE is in percent over the rows where y > 0 only (NaN when there are
 * none); n counts all rows. All NaN when n == 0.
 */
struct gf_scores {
	double mae, mape, rmse, mse;
	size_t n;
};
void gf_scores_compute(const double *y, const double *pred, size_t n,
    struct gf_scores *out);
/*
 * The same a row at a time: rows added in the order gf_scores_compute
 * takes them give the same scores to the bit, without the rows held in
 * one array (cross-validation folds). Start from GF_SCORES_SUM_INIT.
 */
struct gf_scores_sum {
	double ae, se, pe;
	size_t np, n;
};
#define GF_SCORES_SUM_INIT { 0, 0, 0, 0, 0 }
static inline void
gf_scores_add(struct gf_scores_sum *s, double y, double pred)
{
	double d = y - pred;

	s->ae += fabs(d);
	s->se += d * d;
	if (y > 0) {
		s->pe += fabs(d) / y;
		s->np++;
	}
	s->n++;
}
void gf_scores_finish(const struct gf_scores_sum *s, struct gf_scores *out);

#endif
