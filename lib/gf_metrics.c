/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gf_metrics.h"
#include "gf_buf.h"
#include "gf_compat.h"
#include "gf_err.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

void
gf_align(const struct gf_vseries *A, const struct gf_vseries *P, double tol,
    struct gf_aligned *out)
{
	size_t i = 0, j = 0, cap = A->n < P->n ? A->n : P->n;

	memset(out, 0, sizeof(*out));
	out->t = gf_xcalloc(cap + 1, sizeof(double));
	out->a = gf_xcalloc(cap + 1, sizeof(double));
	out->p = gf_xcalloc(cap + 1, sizeof(double));
	while (i < A->n && j < P->n) {
		double d;

		if (!isfinite(A->v[i])) {
			out->dropped_actual++;
			out->nonfinite++;
			i++;
			continue;
		}
		if (!isfinite(P->v[j])) {
			out->dropped_predicted++;
			out->nonfinite++;
			j++;
			continue;
		}
		d = fabs(A->t[i] - P->t[j]);
		/*
		 * Pair only when neither sample has a nearer partner next
		 * in line; otherwise the earlier one is the odd one out.
		 */
		if (d < tol &&
		    !(i + 1 < A->n && isfinite(A->v[i + 1]) &&
		    fabs(A->t[i + 1] - P->t[j]) < d) &&
		    !(j + 1 < P->n && isfinite(P->v[j + 1]) &&
		    fabs(A->t[i] - P->t[j + 1]) < d)) {
			out->t[out->n] = A->t[i];
			out->a[out->n] = A->v[i];
			out->p[out->n] = P->v[j];
			out->n++;
			i++;
			j++;
		} else if (A->t[i] <= P->t[j]) {
			out->dropped_actual++;
			i++;
		} else {
			out->dropped_predicted++;
			j++;
		}
	}
	for (; i < A->n; i++) {
		out->dropped_actual++;
		if (!isfinite(A->v[i]))
			out->nonfinite++;
	}
	for (; j < P->n; j++) {
		out->dropped_predicted++;
		if (!isfinite(P->v[j]))
			out->nonfinite++;
	}
}

void
gf_aligned_release(struct gf_aligned *al)
{
	if (al == NULL)
		return;
	free(al->t);
	free(al->a);
	free(al->p);
	memset(al, 0, sizeof(*al));
}

/* Neumaier's compensated sum, so long series lose no digits. */
struct ksum {
	double s, c;
};

static void
ksum_add(struct ksum *k, double x)
{
	double t = k->s + x;

	if (fabs(k->s) >= fabs(x))
		k->c += (k->s - t) + x;
	else
		k->c += (x - t) + k->s;
	k->s = t;
}

static double
ksum_get(const struct ksum *k)
{
	return k->s + k->c;
}

void
gf_vmetrics_compute(const double *a, const double *p, size_t n,
    struct gf_vmetrics *m)
{
	struct ksum ae = { 0, 0 }, se = { 0, 0 }, pe = { 0, 0 };
	struct ksum sa = { 0, 0 }, sp = { 0, 0 };
	size_t npos = 0;

	for (size_t i = 0; i < n; i++) {
		double e = a[i] - p[i];

		ksum_add(&ae, fabs(e));
		ksum_add(&se, e * e);
		ksum_add(&sa, a[i]);
		ksum_add(&sp, p[i]);
		if (a[i] > 0) {
			ksum_add(&pe, fabs(e) / a[i]);
			npos++;
		}
	}
	m->n = n;
	m->n_mape = npos;
	if (n == 0) {
		m->mae = m->mse = m->rmse = NAN;
		m->mean_actual = m->mean_predicted = NAN;
	} else {
		m->mae = ksum_get(&ae) / (double)n;
		m->mse = ksum_get(&se) / (double)n;
		m->rmse = sqrt(m->mse);
		m->mean_actual = ksum_get(&sa) / (double)n;
		m->mean_predicted = ksum_get(&sp) / (double)n;
	}
	m->mape = npos == 0 ? NAN : 100.0 * ksum_get(&pe) / (double)npos;
}

const char *
gf_verdict_name(enum gf_verdict v)
{
	switch (v) {
	case GF_VERDICT_PASS:
		return "PASS";
	case GF_VERDICT_FAIL:
		return "FAIL";
	case GF_VERDICT_NO_THRESHOLD:
		return "NO-THRESHOLD";
	}
	return "FAIL";
}

static int
over(const char *what, double value, double max, struct gf_buf *why)
{
	if (isnan(max))
		return 0;
	if (isnan(value)) {
		if (why != NULL)
			gf_buf_addf(why, "%s%s not computable (limit %g)",
			    why->len > 0 ? ", " : "", what, max);
		return 1;
	}
	if (value > max) {
		if (why != NULL)
			gf_buf_addf(why, "%s%s %.6g > %g",
			    why->len > 0 ? ", " : "", what, value, max);
		return 1;
	}
	return 0;
}

enum gf_verdict
gf_verdict_of(const struct gf_thresholds *th, const struct gf_vmetrics *m,
    struct gf_buf *why)
{
	int failed = 0;

	if (isnan(th->max_mae) && isnan(th->max_mape) && isnan(th->max_mse))
		return GF_VERDICT_NO_THRESHOLD;
	failed |= over("mse", m->mse, th->max_mse, why);
	failed |= over("mape", m->mape, th->max_mape, why);
	failed |= over("mae", m->mae, th->max_mae, why);
	return failed ? GF_VERDICT_FAIL : GF_VERDICT_PASS;
}

double
gf_counter_delta(const double *v, size_t n)
{
	struct ksum k = { 0, 0 };
	double prev = NAN;

	for (size_t i = 0; i < n; i++) {
		if (!isfinite(v[i]))
			continue;
		if (!isnan(prev))
			ksum_add(&k, v[i] >= prev ? v[i] - prev : v[i]);
		prev = v[i];
	}
	return ksum_get(&k);
}

void
gf_mean_sd(const double *v, size_t n, double *mean, double *sd,
    size_t *count)
{
	struct ksum s = { 0, 0 }, q = { 0, 0 };
	size_t c = 0;
	double mu;

	for (size_t i = 0; i < n; i++) {
		if (isfinite(v[i])) {
			ksum_add(&s, v[i]);
			c++;
		}
	}
	if (count != NULL)
		*count = c;
	if (c == 0) {
		*mean = *sd = NAN;
		return;
	}
	mu = ksum_get(&s) / (double)c;
	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]))
			ksum_add(&q, (v[i] - mu) * (v[i] - mu));
	*mean = mu;
	*sd = sqrt(ksum_get(&q) / (double)c);
}

static const char *const op_names[] = { "<", "<=", ">", ">=", "==", "!=" };

int
gf_op_parse(const char *s, enum gf_op *op, struct gf_err *err)
{
	for (size_t i = 0; i < GF_ARRAY_LEN(op_names); i++) {
		if (strcmp(s, op_names[i]) == 0) {
			*op = (enum gf_op)i;
			return 0;
		}
	}
	return gf_err_set(err, GF_EXIT_USAGE, "validate",
	    "--op: unknown operator '%s' (use < <= > >= == !=)", s);
}

const char *
gf_op_name(enum gf_op op)
{
	return op_names[op];
}

int
gf_op_eval(enum gf_op op, double value, double threshold)
{
	if (isnan(value) || isnan(threshold))
		return 0;
	switch (op) {
	case GF_OP_LT:
		return value < threshold;
	case GF_OP_LE:
		return value <= threshold;
	case GF_OP_GT:
		return value > threshold;
	case GF_OP_GE:
		return value >= threshold;
	case GF_OP_EQ:
		return value == threshold;
	case GF_OP_NE:
		return value != threshold;
	}
	return 0;
}
