/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The linear trainers (non-negative least squares, degree-2 polynomial
 * least squares, SGD), the polynomial design they share with prediction,
 * and the symmetric solver the curve fits (gf_model_curve.c) use too.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gf_model_impl.h"
#include "gf_rand.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

/*
 * Solve A x = b for a symmetric positive semi-definite A (n x n) with the
 * minimum-norm least-squares answer: Jacobi eigen-decomposition, and
 * eigenvalues below rcond * max dropped. This is what lstsq gives on the
 * normal equations, and it needs no special case for a zero or collinear
 * column (a constant feature, bpf_page_cache_hit all zero).
 */
void
gf_sym_solve(const double *A, const double *b, size_t n, double *x)
{
	double *a = gf_xreallocarray(NULL, n * n, sizeof(*a));
	double *v = gf_xcalloc(n * n, sizeof(*v));
	double mx = 0;

	memcpy(a, A, n * n * sizeof(*a));
	for (size_t i = 0; i < n; i++)
		v[i * n + i] = 1;
	for (int sweep = 0; sweep < 100; sweep++) {
		double off = 0, diag = 0;

		for (size_t i = 0; i < n; i++) {
			diag += a[i * n + i] * a[i * n + i];
			for (size_t j = i + 1; j < n; j++)
				off += a[i * n + j] * a[i * n + j];
		}
		if (off <= 1e-30 * diag || off == 0)
			break;
		for (size_t p = 0; p < n; p++)
			for (size_t q = p + 1; q < n; q++) {
				double apq = a[p * n + q];

				if (fabs(apq) < 1e-300)
					continue;
				double theta = (a[q * n + q] - a[p * n + p]) /
				    (2 * apq);
				double t = (theta >= 0 ? 1 : -1) /
				    (fabs(theta) + sqrt(theta * theta + 1));
				double c = 1 / sqrt(t * t + 1), s = t * c;

				for (size_t k = 0; k < n; k++) {
					double akp = a[k * n + p];
					double akq = a[k * n + q];

					a[k * n + p] = c * akp - s * akq;
					a[k * n + q] = s * akp + c * akq;
				}
				for (size_t k = 0; k < n; k++) {
					double apk = a[p * n + k];
					double aqk = a[q * n + k];

					a[p * n + k] = c * apk - s * aqk;
					a[q * n + k] = s * apk + c * aqk;
				}
				for (size_t k = 0; k < n; k++) {
					double vkp = v[k * n + p];
					double vkq = v[k * n + q];

					v[k * n + p] = c * vkp - s * vkq;
					v[k * n + q] = s * vkp + c * vkq;
				}
			}
	}
	for (size_t i = 0; i < n; i++)
		if (a[i * n + i] > mx)
			mx = a[i * n + i];
	memset(x, 0, n * sizeof(*x));
	for (size_t k = 0; k < n; k++) {
		double lam = a[k * n + k], proj = 0;

		if (!(lam > 1e-12 * mx))
			continue;
		for (size_t i = 0; i < n; i++)
			proj += v[i * n + k] * b[i];
		proj /= lam;
		for (size_t i = 0; i < n; i++)
			x[i] += proj * v[i * n + k];
	}
	free(a);
	free(v);
}

/*
 * Centred Gram matrix G = Tc' Tc and c = Tc' yc of a design matrix given
 * row by row through expand(); means in tmean[p], *ymean.
 */
struct design {
	const double *Xs;
	size_t nf, p;
	int poly;
};

static void
design_row(const struct design *d, size_t i, double *t)
{
	if (d->poly)
		gf_poly_expand(d->Xs + i * d->nf, d->nf, t);
	else
		memcpy(t, d->Xs + i * d->nf, d->nf * sizeof(*t));
}

static void
centred_gram(const struct design *d, const double *y, size_t rows,
    double *G, double *c, double *tmean, double *ymean)
{
	size_t p = d->p;
	double *t = gf_xreallocarray(NULL, p, sizeof(*t));
	double ym = 0;

	memset(tmean, 0, p * sizeof(*tmean));
	for (size_t i = 0; i < rows; i++) {
		design_row(d, i, t);
		for (size_t j = 0; j < p; j++)
			tmean[j] += t[j];
		ym += y[i];
	}
	for (size_t j = 0; j < p; j++)
		tmean[j] /= (double)rows;
	ym /= (double)rows;
	memset(G, 0, p * p * sizeof(*G));
	memset(c, 0, p * sizeof(*c));
	for (size_t i = 0; i < rows; i++) {
		double yc = y[i] - ym;

		design_row(d, i, t);
		for (size_t j = 0; j < p; j++)
			t[j] -= tmean[j];
		for (size_t j = 0; j < p; j++) {
			c[j] += t[j] * yc;
			for (size_t k = j; k < p; k++)
				G[j * p + k] += t[j] * t[k];
		}
	}
	for (size_t j = 0; j < p; j++)
		for (size_t k = 0; k < j; k++)
			G[j * p + k] = G[k * p + j];
	*ymean = ym;
	free(t);
}

/*
 * Lawson-Hanson active-set NNLS on the normal equations: minimise
 * |Tc w - yc|^2 with w >= 0, what scipy.optimize.nnls does for sklearn's
 * LinearRegression(positive=True).
 */
static void
nnls(const double *G, const double *c, size_t p, double *w)
{
	int *in = gf_xcalloc(p, sizeof(*in));
	double *z = gf_xcalloc(p, sizeof(*z));
	double *Gs = gf_xreallocarray(NULL, p * p, sizeof(*Gs));
	double *cs = gf_xreallocarray(NULL, p, sizeof(*cs));
	size_t *ix = gf_xreallocarray(NULL, p, sizeof(*ix));
	double cmax = 0;

	for (size_t j = 0; j < p; j++)
		if (fabs(c[j]) > cmax)
			cmax = fabs(c[j]);
	double tol = 1e-12 * (cmax > 0 ? cmax : 1);

	memset(w, 0, p * sizeof(*w));
	for (size_t outer = 0; outer < 3 * p + 3; outer++) {
		double best = tol;
		size_t jb = p;

		for (size_t j = 0; j < p; j++) {
			double g = c[j];

			for (size_t k = 0; k < p; k++)
				g -= G[j * p + k] * w[k];
			if (!in[j] && g > best) {
				best = g;
				jb = j;
			}
		}
		if (jb == p)
			break;
		in[jb] = 1;
		for (size_t inner = 0; inner < 3 * p + 3; inner++) {
			size_t n = 0;

			for (size_t j = 0; j < p; j++)
				if (in[j])
					ix[n++] = j;
			for (size_t a = 0; a < n; a++) {
				cs[a] = c[ix[a]];
				for (size_t b = 0; b < n; b++)
					Gs[a * n + b] = G[ix[a] * p + ix[b]];
			}
			gf_sym_solve(Gs, cs, n, z);
			int allpos = 1;

			for (size_t a = 0; a < n; a++)
				if (z[a] <= 0)
					allpos = 0;
			if (allpos) {
				for (size_t a = 0; a < n; a++)
					w[ix[a]] = z[a];
				break;
			}
			double alpha = 1;

			for (size_t a = 0; a < n; a++)
				if (z[a] <= 0) {
					double wa = w[ix[a]];
					double t = wa / (wa - z[a]);

					if (wa - z[a] > 0 && t < alpha)
						alpha = t;
				}
			for (size_t a = 0; a < n; a++) {
				size_t j = ix[a];

				w[j] += alpha * (z[a] - w[j]);
				if (w[j] <= 1e-15 * (fabs(z[a]) + 1)) {
					w[j] = 0;
					in[j] = 0;
				}
			}
		}
	}
	free(in);
	free(z);
	free(Gs);
	free(cs);
	free(ix);
}

static int
least_squares(struct gf_model *m, const double *Xs, const double *y,
    size_t rows, int poly, int nonneg, struct gf_err *err)
{
	struct design d = { Xs, m->nf, poly ? gf_poly_nterms(m->nf) : m->nf,
	    poly };
	size_t p = d.p;
	double *G = gf_xreallocarray(NULL, p * p, sizeof(*G));
	double *c = gf_xreallocarray(NULL, p, sizeof(*c));
	double *tm = gf_xreallocarray(NULL, p, sizeof(*tm));
	double ym;

	centred_gram(&d, y, rows, G, c, tm, &ym);
	m->ncoef = p;
	m->coef = gf_xcalloc(p, sizeof(*m->coef));
	if (nonneg)
		nnls(G, c, p, m->coef);
	else
		gf_sym_solve(G, c, p, m->coef);
	m->intercept = ym;
	for (size_t j = 0; j < p; j++)
		m->intercept -= tm[j] * m->coef[j];
	free(G);
	free(c);
	free(tm);
	for (size_t j = 0; j < p; j++)
		if (!isfinite(m->coef[j]))
			return gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "least squares gave a non-finite coefficient");
	return isfinite(m->intercept) ? 0 : gf_err_set(err, GF_EXIT_DATAERR,
	    "model", "least squares gave a non-finite intercept");
}

int
gf_fit_linear(struct gf_model *m, const double *Xs, const double *y,
    size_t rows, int nonneg, struct gf_err *err)
{
	return least_squares(m, Xs, y, rows, 0, nonneg, err);
}

int
gf_fit_poly(struct gf_model *m, const double *Xs, const double *y,
    size_t rows, struct gf_err *err)
{
	return least_squares(m, Xs, y, rows, 1, 0, err);
}

/*
 * sklearn SGDRegressor() defaults: squared loss, L2 penalty alpha 1e-4,
 * invscaling eta = 0.01 / t^0.25, max_iter 1000 epochs, tol 1e-3 with 5
 * epochs without improvement, the rows shuffled every epoch (by our seeded
 * generator), intercept fitted, |dloss| clipped at 1e12. The update order
 * is sklearn's _plain_sgd: shrink w, then step w and the intercept.
 */
int
gf_fit_sgd(struct gf_model *m, const double *Xs, const double *y,
    size_t rows, unsigned long seed, struct gf_err *err)
{
	const double alpha = 1e-4, eta0 = 0.01, tol = 1e-3;
	size_t nf = m->nf;
	/*
	 * The epoch's order, and the next epoch's being shuffled meanwhile:
	 * the updates are one chain of dependent arithmetic per row, the
	 * shuffle a division per row that does not depend on it, so each
	 * runs in the other's shadow. The same numbers are drawn in the
	 * same order as shuffling before each epoch.
	 */
	size_t *order = gf_xreallocarray(NULL, rows, sizeof(*order));
	size_t *next = gf_xreallocarray(NULL, rows, sizeof(*next));
	double *w = gf_xcalloc(nf, sizeof(*w)), b = 0, t = 1;
	double best = INFINITY;
	int noimp = 0;
	struct gf_rand r;

	gf_rand_seed(&r, seed);
	for (size_t i = 0; i < rows; i++)
		order[i] = i;
	for (size_t i = rows - 1; i > 0; i--) {
		size_t j = gf_rand_below(&r, i + 1), tmp = order[i];

		order[i] = order[j];
		order[j] = tmp;
	}
	for (int epoch = 0; epoch < 1000; epoch++) {
		double sumloss = 0;

		memcpy(next, order, rows * sizeof(*next));
		for (size_t ii = 0; ii < rows; ii++) {
			const double *x = Xs + order[ii] * nf;
			/*
			 * t^0.25 as two square roots: within an ulp of pow,
			 * at a fraction of its cost once per row and epoch.
			 */
			double p = b, eta = eta0 / sqrt(sqrt(t)), dloss;
			size_t si = rows - 1 - ii;

			if (si > 0) {
				size_t j = gf_rand_below(&r, si + 1);
				size_t tmp = next[si];

				next[si] = next[j];
				next[j] = tmp;
			}
			for (size_t j = 0; j < nf; j++)
				p += w[j] * x[j];
			dloss = p - y[order[ii]];
			sumloss += 0.5 * dloss * dloss;
			if (dloss > 1e12)
				dloss = 1e12;
			else if (dloss < -1e12)
				dloss = -1e12;
			double upd = -eta * dloss;
			double shrink = 1.0 - eta * alpha;

			if (shrink < 0)
				shrink = 0;
			for (size_t j = 0; j < nf; j++)
				w[j] = w[j] * shrink + upd * x[j];
			b += upd;
			t += 1;
		}
		{
			size_t *tmp = order;

			order = next;
			next = tmp;
		}
		if (!isfinite(sumloss)) {
			free(order);
			free(next);
			free(w);
			return gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "SGD diverged (non-finite loss in epoch %d)",
			    epoch + 1);
		}
		if (sumloss > best - tol * (double)rows)
			noimp++;
		else
			noimp = 0;
		if (sumloss < best)
			best = sumloss;
		if (noimp >= 5)
			break;
	}
	m->coef = w;
	m->ncoef = nf;
	m->intercept = b;
	free(order);
	free(next);
	return 0;
}

size_t
gf_poly_nterms(size_t nf)
{
	return 1 + nf + nf * (nf + 1) / 2;
}

void
gf_poly_expand(const double *x, size_t nf, double *out)
{
	size_t k = 0;

	out[k++] = 1.0;
	for (size_t i = 0; i < nf; i++)
		out[k++] = x[i];
	for (size_t i = 0; i < nf; i++)
		for (size_t j = i; j < nf; j++)
			out[k++] = x[i] * x[j];
}
