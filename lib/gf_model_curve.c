/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The curve-fit trainers (Logarithmic, Exponential, Logistic): scipy's
 * curve_fit, Levenberg-Marquardt with maxfev 30000, on the main feature.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gf_model_impl.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

double
gf_model_curve_eval(enum gf_trainer_id t, const double *p, double x)
{
	switch (t) {
	case GF_T_LOG:
		return p[0] * log(p[1] * x + 1.0) + p[2];
	case GF_T_EXP:
		return p[0] * exp(p[1] * x) + p[2];
	case GF_T_LOGISTIC:
		return p[0] / (1.0 + exp(-p[2] * (x - p[1]))) + p[3];
	default:
		return NAN;
	}
}

struct curve {
	enum gf_trainer_id t;
	/*
	 * The fit's rows, or their groups by the main feature's value (see
	 * curve_group): x the value (every stride-th), y the target or the
	 * group's mean, w the group's number of rows (NULL: 1 each); ss
	 * the rows' squared deviations from their group's mean, summed,
	 * which no parameter changes. own_* are the groups' arrays.
	 */
	const double *x, *y, *w;
	size_t n, stride;
	double ss;
	double *own_x, *own_y, *own_w;
	int np;
	/*
	 * The transcendental part of every row or group (log(p1 x + 1),
	 * exp(p1 x) or exp(-p2 (x - p1))) at the parameters pe when evalid:
	 * a step that is accepted has already computed what the next
	 * normal equations need, so each iteration calls exp or log once
	 * per row, not three times. try holds the trial step's values
	 * until it is accepted.
	 */
	double *e, *try;
	double pe[4];
	int evalid;
};

/* x's bits as a key, with -0 as 0 (they are equal, so one group). */
static uint64_t
curve_key(double x)
{
	uint64_t k;

	if (x == 0)
		x = 0;
	memcpy(&k, &x, sizeof(k));
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return k;
}

/*
 * The group of value v in the open-addressing table tab (mask + 1 slots
 * of group numbers, UINT32_MAX empty) over the groups' values gx: its
 * number, or the empty slot's index with *slot set and UINT32_MAX.
 */
static uint32_t
curve_find(const uint32_t *tab, size_t mask, const double *gx, double v,
    size_t *slot)
{
	size_t h = (size_t)curve_key(v) & mask;

	while (tab[h] != UINT32_MAX && !(gx[tab[h]] == v))
		h = (h + 1) & mask;
	*slot = h;
	return tab[h];
}

/*
 * The rows of x (every stride-th value) and y as they are, or grouped by
 * the value of x when that at least halves them. A curve's sums over
 * rows are sums over the distinct values: a group of w rows at x with
 * mean ybar adds w (f(x) - ybar)^2 to the cost (plus its rows' spread
 * about ybar, the constant c->ss), w j j^T to JtJ and w (f(x) - ybar) j
 * to Jt r. Where most rows are equal (idle counters at 0: 90 distinct
 * values in 1,408 rows of nx12 rapl_CgroupOnly's dram folds) every pass
 * of the fit shrinks by as much. Groups keep the order of their first
 * row and sum their rows in order. A hash table, not a sort: a pass over
 * the rows and memory for the groups only.
 */
static void
curve_group(struct curve *c, const double *x, size_t stride,
    const double *y, size_t rows)
{
	size_t cap = 64, gcap = 32, ng = 0, slot;
	uint32_t *tab = gf_xreallocarray(NULL, cap, sizeof(*tab));
	double *gx = gf_xreallocarray(NULL, gcap, sizeof(*gx));
	double *gy = gf_xreallocarray(NULL, gcap, sizeof(*gy));
	double *gw = gf_xreallocarray(NULL, gcap, sizeof(*gw));

	c->x = x;
	c->stride = stride;
	c->y = y;
	c->w = NULL;
	c->n = rows;
	c->ss = 0;
	memset(tab, 0xff, cap * sizeof(*tab));
	for (size_t i = 0; i < rows; i++) {
		double v = x[i * stride];
		uint32_t k = isnan(v) ? UINT32_MAX :
		    curve_find(tab, cap - 1, gx, v, &slot);

		if (k == UINT32_MAX) {
			/*
			 * Not worth it: half the rows distinct, or already
			 * half of the first thousand and more (a table of
			 * a million distinct values costs more than it
			 * saves).
			 */
			if (ng >= rows / 2 || (i >= 1024 && 2 * ng > i) ||
			    ng >= UINT32_MAX - 1) {
				free(tab);
				free(gx);
				free(gy);
				free(gw);
				return;	/* the rows as they are */
			}
			if (ng == gcap) {
				gcap *= 2;
				gx = gf_xreallocarray(gx, gcap, sizeof(*gx));
				gy = gf_xreallocarray(gy, gcap, sizeof(*gy));
				gw = gf_xreallocarray(gw, gcap, sizeof(*gw));
			}
			k = (uint32_t)ng++;
			gx[k] = v;
			gy[k] = 0;
			gw[k] = 0;
			if (!isnan(v))
				tab[slot] = k;
			if (2 * ng > cap) {
				cap *= 2;
				tab = gf_xreallocarray(tab, cap, sizeof(*tab));
				memset(tab, 0xff, cap * sizeof(*tab));
				for (uint32_t j = 0; j < ng; j++)
					if (!isnan(gx[j])) {
						curve_find(tab, cap - 1, gx,
						    gx[j], &slot);
						tab[slot] = j;
					}
			}
		}
		gy[k] += y[i];
		gw[k] += 1;
	}
	for (size_t k = 0; k < ng; k++)
		gy[k] /= gw[k];
	for (size_t i = 0; i < rows; i++) {
		double v = x[i * stride];
		/* A NaN is a group of one row: no spread. */
		uint32_t k = isnan(v) ? UINT32_MAX :
		    curve_find(tab, cap - 1, gx, v, &slot);
		double d = k == UINT32_MAX ? 0 : y[i] - gy[k];

		c->ss += d * d;
	}
	free(tab);
	c->x = c->own_x = gx;
	c->y = c->own_y = gy;
	c->w = c->own_w = gw;
	c->stride = 1;
	c->n = ng;
}

static void
curve_free(struct curve *c)
{
	free(c->own_x);
	free(c->own_y);
	free(c->own_w);
	free(c->e);
	free(c->try);
}

/* The transcendental part of the curve at x (see struct curve). */
static double
curve_tr(enum gf_trainer_id t, const double *p, double x)
{
	switch (t) {
	case GF_T_LOG:
		return log(p[1] * x + 1.0);
	case GF_T_EXP:
		return exp(p[1] * x);
	default:
		return exp(-p[2] * (x - p[1]));
	}
}

/* The curve from its transcendental part, as gf_model_curve_eval. */
static double
curve_val(enum gf_trainer_id t, const double *p, double e)
{
	switch (t) {
	case GF_T_LOG:
		return p[0] * e + p[2];
	case GF_T_EXP:
		return p[0] * e + p[2];
	default:
		return p[0] / (1.0 + e) + p[3];
	}
}

/*
 * Sum of squared residuals at p; keeps the rows' values in c->try. The
 * loop is compiled once per curve (t a constant in each call of
 * curve_cost_of), without a switch per row: a fit that runs to maxfev
 * spends all its time here and in curve_normal.
 */
static inline double
curve_cost_of(struct curve *c, const double *p, enum gf_trainer_id t)
{
	double s = 0;

	for (size_t i = 0; i < c->n; i++) {
		double e = curve_tr(t, p, c->x[i * c->stride]);
		double d = curve_val(t, p, e) - c->y[i];

		c->try[i] = e;
		s += (c->w != NULL ? c->w[i] : 1) * d * d;
	}
	s += c->ss;
	return isfinite(s) ? s : INFINITY;
}

static double
curve_cost(struct curve *c, const double *p)
{
	switch (c->t) {
	case GF_T_LOG:
		return curve_cost_of(c, p, GF_T_LOG);
	case GF_T_EXP:
		return curve_cost_of(c, p, GF_T_EXP);
	default:
		return curve_cost_of(c, p, GF_T_LOGISTIC);
	}
}

/* Make the values curve_cost left in c->try those of c->e, at p. */
static void
curve_keep(struct curve *c, const double *p)
{
	double *t = c->e;

	c->e = c->try;
	c->try = t;
	memcpy(c->pe, p, (size_t)c->np * sizeof(*p));
	c->evalid = 1;
}

static void
curve_grad(enum gf_trainer_id t, const double *p, double x, double e,
    double *g)
{
	switch (t) {
	case GF_T_LOG:
		g[0] = e;
		g[1] = p[0] * x / (p[1] * x + 1);
		g[2] = 1;
		break;
	case GF_T_EXP:
		g[0] = e;
		g[1] = p[0] * x * e;
		g[2] = 1;
		break;
	default: {
		double s = 1 / (1 + e);

		g[0] = s;
		g[1] = -p[0] * s * (1 - s) * p[2];
		g[2] = p[0] * s * (1 - s) * (x - p[1]);
		g[3] = 1;
		break;
	}
	}
}

/*
 * Fills JtJ and Jt r at p; returns 0 when every entry is finite. JtJ is
 * summed on and above the diagonal and mirrored: j[a] j[b] == j[b] j[a]
 * exactly, so the matrix is the one the full sum gives.
 */
/*
 * The sums in local arrays, their loops unrolled (t and np constants in
 * each call): they then live in registers, not in A and g, and a fit
 * that runs to maxfev takes a third less time.
 */
static inline void
curve_normal_of(struct curve *c, const double *p, double *A, double *g,
    int have, enum gf_trainer_id t, int np)
{
	double sa[16] = { 0 }, sg[4] = { 0 };

	for (size_t i = 0; i < c->n; i++) {
		double j[4], x = c->x[i * c->stride];
		double w = c->w != NULL ? c->w[i] : 1;
		double e = have ? c->e[i] : curve_tr(t, p, x);
		double r = w * (curve_val(t, p, e) - c->y[i]);

		curve_grad(t, p, x, e, j);
#pragma GCC unroll 4
		for (int a = 0; a < np; a++) {
			double wj = w * j[a];

			sg[a] += j[a] * r;
#pragma GCC unroll 4
			for (int b = a; b < np; b++)
				sa[a * np + b] += wj * j[b];
		}
	}
	memcpy(A, sa, (size_t)(np * np) * sizeof(*A));
	memcpy(g, sg, (size_t)np * sizeof(*g));
}

static int
curve_normal(struct curve *c, const double *p, double *A, double *g)
{
	int np = c->np;
	int have = c->evalid && memcmp(c->pe, p, (size_t)np *
	    sizeof(*p)) == 0;

	switch (c->t) {
	case GF_T_LOG:
		curve_normal_of(c, p, A, g, have, GF_T_LOG, 3);
		break;
	case GF_T_EXP:
		curve_normal_of(c, p, A, g, have, GF_T_EXP, 3);
		break;
	default:
		curve_normal_of(c, p, A, g, have, GF_T_LOGISTIC, 4);
		break;
	}
	for (int a = 0; a < np; a++)
		for (int b = 0; b < a; b++)
			A[a * np + b] = A[b * np + a];
	for (int a = 0; a < np * np; a++)
		if (!isfinite(A[a]))
			return -1;
	for (int a = 0; a < np; a++)
		if (!isfinite(g[a]))
			return -1;
	return 0;
}

int
gf_fit_curve(struct gf_model *m, const double *Xs, const double *y,
    size_t rows, struct gf_err *err)
{
	const int maxfev = 30000;
	const double ftol = 1.49012e-8;
	double ymin = INFINITY, ymax = -INFINITY, ym = 0, var = 0, ysq = 0;
	double p[4] = { 0 }, A[16], g[4], Ad[16], d[4], q[4];
	double cost, lam = -1;
	int nfev = 0, converged = 0, stuck = 0;
	struct curve c = { .t = m->tid,
	    .np = m->tid == GF_T_LOGISTIC ? 4 : 3 };

	for (size_t i = 0; i < rows; i++) {
		ymin = fmin(ymin, y[i]);
		ymax = fmax(ymax, y[i]);
		ym += y[i];
	}
	ym /= (double)rows;
	for (size_t i = 0; i < rows; i++) {
		var += (y[i] - ym) * (y[i] - ym);
		ysq += y[i] * y[i];
	}
	var /= (double)rows;
	/* Upstream's initial guesses, floor divisions included. */
	switch (m->tid) {
	case GF_T_LOG:
		p[0] = ymax - ymin;
		p[1] = 1;
		p[2] = ymin;
		break;
	case GF_T_EXP:
		p[0] = floor((ymax - ymin) / M_E);
		p[1] = 1;
		p[2] = ymin - p[0];
		break;
	default:
		p[0] = ymax - ymin;
		p[1] = 0.5;
		/*
		 * Upstream divides by std(y): NaN for a constant target
		 * (core and uncore are all 0 on most machines), where scipy
		 * then fails. A = 0, off = y fits it exactly instead.
		 */
		p[2] = var > 0 ? floor((ymax - ymin) / sqrt(var)) : 1;
		p[3] = ymin;
		break;
	}
	m->np = c.np;
	curve_group(&c, Xs + m->main, m->nf, y, rows);
	c.e = gf_xreallocarray(NULL, c.n, sizeof(*c.e));
	c.try = gf_xreallocarray(NULL, c.n, sizeof(*c.try));
	cost = curve_cost(&c, p);
	curve_keep(&c, p);
	nfev++;
	if (!isfinite(cost)) {
		curve_free(&c);
		return gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "the curve is not finite at its initial guess on feature "
		    "'%s'", m->features[m->main]);
	}
	while (nfev < maxfev && !converged) {
		if (curve_normal(&c, p, A, g) < 0)
			break;
		nfev += c.np;
		/*
		 * Converged when even the undamped Gauss-Newton step
		 * promises less than ftol of the cost: judging by the damped
		 * step instead stops wherever the damping got large (scipy
		 * then runs on and fails at maxfev; so do we). The floor
		 * is rounding noise: an exact fit leaves a cost of about
		 * eps^2 * sum(y^2) that no step can lower.
		 */
		for (int a = 0; a < c.np; a++)
			q[a] = -g[a];
		gf_sym_solve(A, q, (size_t)c.np, d);
		double gn = 0;

		for (int a = 0; a < c.np; a++) {
			gn -= 2 * g[a] * d[a];
			for (int b = 0; b < c.np; b++)
				gn -= d[a] * A[a * c.np + b] * d[b];
		}
		if (gn <= ftol * cost || gn <= 1e-26 * ysq) {
			converged = 1;
			break;
		}
		if (lam < 0) {
			double mx = 0;

			for (int a = 0; a < c.np; a++)
				mx = fmax(mx, A[a * c.np + a]);
			lam = 1e-3 * (mx > 0 ? mx : 1);
		}
		for (;;) {
			memcpy(Ad, A, sizeof(Ad));
			for (int a = 0; a < c.np; a++)
				Ad[a * c.np + a] += lam *
				    fmax(A[a * c.np + a], 1e-12);
			for (int a = 0; a < c.np; a++)
				q[a] = -g[a];
			gf_sym_solve(Ad, q, (size_t)c.np, d);
			double pn[4] = { 0 };

			for (int a = 0; a < c.np; a++)
				pn[a] = p[a] + d[a];
			double nc = curve_cost(&c, pn);

			nfev++;
			if (nc < cost) {
				memcpy(p, pn, sizeof(pn));
				curve_keep(&c, p);
				cost = nc;
				lam = fmax(lam / 3, 1e-300);
				if (cost == 0)
					converged = 1;
				break;
			}
			lam *= 2;
			if (nfev >= maxfev || !isfinite(lam))
				break;
		}
		/*
		 * Damping beyond the largest double and still no step lowers
		 * the cost: every later iteration would repeat this one
		 * until maxfev.
		 */
		if (!isfinite(lam)) {
			stuck = 1;
			break;
		}
	}
	curve_free(&c);
	for (int a = 0; a < c.np; a++)
		if (!isfinite(p[a]))
			converged = 0;
	if (!converged && stuck)
		return gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "curve fit on '%s' did not converge: no step lowers the "
		    "cost after %d function evaluations",
		    m->features[m->main], nfev);
	if (!converged)
		return gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "curve fit on '%s' did not converge within %d function "
		    "evaluations", m->features[m->main], maxfev);
	memcpy(m->p, p, sizeof(p));
	return 0;
}
