/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Instance-based trainers: KNeighborsRegressor(n_neighbors=6) and
 * SVR(kernel="rbf", C=1, epsilon=0.2, gamma="scale") solved by libsvm's
 * SMO (second-order working-set selection, tol 1e-3).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gf_model_impl.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

static double
sqdist(const double *a, const double *b, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++) {
		double d = a[i] - b[i];

		s += d * d;
	}
	return s;
}

int
gf_fit_knn(struct gf_model *m, const double *Xs, const double *y,
    size_t rows, struct gf_err *err)
{
	(void)err;
	m->k = 6;
	m->npts = rows;
	m->pts = gf_xreallocarray(NULL, rows * m->nf, sizeof(*m->pts));
	m->vals = gf_xreallocarray(NULL, rows, sizeof(*m->vals));
	memcpy(m->pts, Xs, rows * m->nf * sizeof(*m->pts));
	memcpy(m->vals, y, rows * sizeof(*m->vals));
	return 0;
}

/*
 * Mean target of the k nearest training rows (Euclidean). Ties at the
 * k-th distance are broken by training-row order, earliest first.
 */
double
gf_predict_knn(const struct gf_model *m, const double *xs)
{
	size_t k = (size_t)m->k < m->npts ? (size_t)m->k : m->npts;
	double bd[64], sum = 0;
	size_t bi[64], n = 0;

	if (k > 64)
		k = 64;
	for (size_t i = 0; i < m->npts; i++) {
		double d = sqdist(xs, m->pts + i * m->nf, m->nf);
		size_t p;

		if (n == k && d >= bd[n - 1])
			continue;
		if (n < k)
			n++;
		/* Insert into the sorted list of the n best. */
		for (p = n - 1; p > 0 && bd[p - 1] > d; p--) {
			bd[p] = bd[p - 1];
			bi[p] = bi[p - 1];
		}
		bd[p] = d;
		bi[p] = i;
	}
	for (size_t i = 0; i < n; i++)
		sum += m->vals[bi[i]];
	return n ? sum / (double)n : NAN;
}

double
gf_predict_svr(const struct gf_model *m, const double *xs)
{
	double r = m->intercept;

	for (size_t i = 0; i < m->npts; i++)
		r += m->vals[i] * exp(-m->gamma * sqdist(xs,
		    m->pts + i * m->nf, m->nf));
	return r;
}

/* Kernel rows, cached direct-mapped under a memory budget. */
struct kcache {
	const double *Xs;
	size_t l, nf;
	double gamma;
	size_t slots;
	double *rows;		/* slots * l */
	size_t *tag;		/* row held by each slot, or SIZE_MAX */
};

static const double *
kernel_row(struct kcache *c, size_t i)
{
	size_t s = i % c->slots;
	double *r = c->rows + s * c->l;

	if (c->tag[s] != i) {
		const double *xi = c->Xs + i * c->nf;

		for (size_t j = 0; j < c->l; j++)
			r[j] = exp(-c->gamma * sqdist(xi, c->Xs + j * c->nf,
			    c->nf));
		c->tag[s] = i;
	}
	return r;
}

int
gf_fit_svr(struct gf_model *m, const double *Xs, const double *y,
    size_t rows, struct gf_err *err)
{
	const double C = 1.0, epsilon = 0.2, tol = 1e-3, tau = 1e-12;
	const size_t budget = (size_t)256 << 20;
	size_t l = rows, n2 = 2 * rows, nf = m->nf;
	double *alpha = gf_xcalloc(n2, sizeof(*alpha));
	double *G = gf_xreallocarray(NULL, n2, sizeof(*G));
	signed char *yy = gf_xreallocarray(NULL, n2, sizeof(*yy));
	double mean = 0, var = 0;
	struct kcache kc;
	size_t iter, maxiter = rows > 100000 ? 100 * rows : 10000000;
	int converged = 0;

	for (size_t i = 0; i < rows * nf; i++)
		mean += Xs[i];
	mean /= (double)(rows * nf);
	for (size_t i = 0; i < rows * nf; i++)
		var += (Xs[i] - mean) * (Xs[i] - mean);
	var /= (double)(rows * nf);
	m->gamma = var > 0 ? 1.0 / ((double)nf * var) : 1.0;
	kc.Xs = Xs;
	kc.l = l;
	kc.nf = nf;
	kc.gamma = m->gamma;
	kc.slots = budget / (l * sizeof(double));
	if (kc.slots < 2)
		kc.slots = 2;
	if (kc.slots > l)
		kc.slots = l;
	kc.rows = gf_xreallocarray(NULL, kc.slots * l, sizeof(double));
	kc.tag = gf_xreallocarray(NULL, kc.slots, sizeof(size_t));
	for (size_t s = 0; s < kc.slots; s++)
		kc.tag[s] = SIZE_MAX;
	for (size_t t = 0; t < l; t++) {
		yy[t] = 1;
		yy[t + l] = -1;
		G[t] = epsilon - y[t];
		G[t + l] = epsilon + y[t];
	}
	for (iter = 0; iter < maxiter; iter++) {
		double gmax = -INFINITY, gmax2 = -INFINITY, objmin = INFINITY;
		size_t i = SIZE_MAX, j = SIZE_MAX;

		for (size_t t = 0; t < n2; t++) {
			if (yy[t] == 1) {
				if (alpha[t] < C && -G[t] >= gmax) {
					gmax = -G[t];
					i = t;
				}
			} else if (alpha[t] > 0 && G[t] >= gmax) {
				gmax = G[t];
				i = t;
			}
		}
		if (i == SIZE_MAX) {
			converged = 1;
			break;
		}
		const double *Ki = kernel_row(&kc, i % l);

		for (size_t t = 0; t < n2; t++) {
			double qit = yy[i] * yy[t] * Ki[t % l];

			if (yy[t] == 1) {
				if (alpha[t] > 0) {
					double gd = gmax + G[t];

					if (G[t] >= gmax2)
						gmax2 = G[t];
					if (gd > 0) {
						double qc = 2 - 2 * yy[i] *
						    qit;
						double od = -(gd * gd) /
						    (qc > 0 ? qc : tau);

						if (od <= objmin) {
							j = t;
							objmin = od;
						}
					}
				}
			} else if (alpha[t] < C) {
				double gd = gmax - G[t];

				if (-G[t] >= gmax2)
					gmax2 = -G[t];
				if (gd > 0) {
					double qc = 2 + 2 * yy[i] * qit;
					double od = -(gd * gd) /
					    (qc > 0 ? qc : tau);

					if (od <= objmin) {
						j = t;
						objmin = od;
					}
				}
			}
		}
		if (gmax + gmax2 < tol || j == SIZE_MAX) {
			converged = 1;
			break;
		}
		/* Ki may be evicted by Kj: copy what the update needs. */
		double qij = yy[i] * yy[j] * Ki[j % l];
		double ai = alpha[i], aj = alpha[j];

		if (yy[i] != yy[j]) {
			double qc = 2 + 2 * qij;
			double delta = (-G[i] - G[j]) / (qc > 0 ? qc : tau);
			double diff = alpha[i] - alpha[j];

			alpha[i] += delta;
			alpha[j] += delta;
			if (diff > 0) {
				if (alpha[j] < 0) {
					alpha[j] = 0;
					alpha[i] = diff;
				}
			} else if (alpha[i] < 0) {
				alpha[i] = 0;
				alpha[j] = -diff;
			}
			if (diff > 0) {
				if (alpha[i] > C) {
					alpha[i] = C;
					alpha[j] = C - diff;
				}
			} else if (alpha[j] > C) {
				alpha[j] = C;
				alpha[i] = C + diff;
			}
		} else {
			double qc = 2 - 2 * qij;
			double delta = (G[i] - G[j]) / (qc > 0 ? qc : tau);
			double sum = alpha[i] + alpha[j];

			alpha[i] -= delta;
			alpha[j] += delta;
			if (sum > C) {
				if (alpha[i] > C) {
					alpha[i] = C;
					alpha[j] = sum - C;
				}
			} else if (alpha[j] < 0) {
				alpha[j] = 0;
				alpha[i] = sum;
			}
			if (sum > C) {
				if (alpha[j] > C) {
					alpha[j] = C;
					alpha[i] = sum - C;
				}
			} else if (alpha[i] < 0) {
				alpha[i] = 0;
				alpha[j] = sum;
			}
		}
		double dai = alpha[i] - ai, daj = alpha[j] - aj;

		Ki = kernel_row(&kc, i % l);
		for (size_t t = 0; t < n2; t++)
			G[t] += yy[i] * yy[t] * Ki[t % l] * dai;
		const double *Kj = kernel_row(&kc, j % l);

		for (size_t t = 0; t < n2; t++)
			G[t] += yy[j] * yy[t] * Kj[t % l] * daj;
		if (!isfinite(G[i]) || !isfinite(G[j]))
			break;
	}
	free(kc.rows);
	free(kc.tag);
	if (!converged) {
		free(alpha);
		free(G);
		free(yy);
		return gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "SVR solver did not converge in %zu iterations", iter);
	}
	/* rho as libsvm's calculate_rho. */
	double ub = INFINITY, lb = -INFINITY, sumfree = 0;
	size_t nfree = 0, nsv = 0;

	for (size_t t = 0; t < n2; t++) {
		double yg = yy[t] * G[t];

		if (alpha[t] >= C) {
			if (yy[t] == -1)
				ub = fmin(ub, yg);
			else
				lb = fmax(lb, yg);
		} else if (alpha[t] <= 0) {
			if (yy[t] == 1)
				ub = fmin(ub, yg);
			else
				lb = fmax(lb, yg);
		} else {
			nfree++;
			sumfree += yg;
		}
	}
	double rho = nfree ? sumfree / (double)nfree : (ub + lb) / 2;

	m->intercept = -rho;
	for (size_t t = 0; t < l; t++)
		if (alpha[t] - alpha[t + l] != 0)
			nsv++;
	m->npts = nsv;
	m->pts = gf_xreallocarray(NULL, nsv ? nsv * nf : 1, sizeof(double));
	m->vals = gf_xreallocarray(NULL, nsv ? nsv : 1, sizeof(double));
	nsv = 0;
	for (size_t t = 0; t < l; t++) {
		double c = alpha[t] - alpha[t + l];

		if (c == 0)
			continue;
		memcpy(m->pts + nsv * nf, Xs + t * nf, nf * sizeof(double));
		m->vals[nsv++] = c;
	}
	free(alpha);
	free(G);
	free(yy);
	return isfinite(m->intercept) ? 0 : gf_err_set(err,
	    GF_EXIT_DATAERR, "model", "SVR gave a non-finite intercept");
}
