/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SVRRegressorTrainer: sklearn's SVR(kernel="rbf", C=1, epsilon=0.2,
 * gamma="scale") solved by libsvm's SMO (second-order working-set
 * selection, tol 1e-3), with its kernel matrix shared between fits on
 * the same rows (gf_fit_share, gf_model.h).
 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gf_model.h"
#include "gf_model_impl.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

/*
 * d[j] = the squared distance of x and b + j * n (n features), for
 * j < m, feature by feature across the rows rather than row by row (a
 * sum over the features per row): the same sums in the same order, so
 * the same values, but independent rows in flight instead of one chain
 * of n dependent additions per row.
 */
static void
sqdists(const double *x, const double *b, size_t n, size_t m, double *d)
{
	for (size_t j = 0; j < m; j++)
		d[j] = 0;
	for (size_t f = 0; f < n; f++) {
		double xf = x[f];

		for (size_t j = 0; j < m; j++) {
			double t = xf - b[j * n + f];

			d[j] += t * t;
		}
	}
}

/*
 * The same from a column-major copy (feature f of row j at col[f * ld +
 * j]), for 64 rows: a fixed count and unit strides let the compiler use
 * vector instructions, element by element, so still the same values.
 */
static void
sqdists64(const double *x, const double *restrict col, size_t n, size_t ld,
    double *restrict d)
{
	for (size_t j = 0; j < 64; j++)
		d[j] = 0;
	for (size_t f = 0; f < n; f++) {
		const double *restrict c = col + f * ld;
		double xf = x[f];

		for (size_t j = 0; j < 64; j++) {
			double t = xf - c[j];

			d[j] += t * t;
		}
	}
}

static void
sqdists_col(const double *x, const double *col, size_t n, size_t ld,
    size_t m, double *d)
{
	if (m == 64) {
		sqdists64(x, col, n, ld, d);
		return;
	}
	for (size_t j = 0; j < m; j++)
		d[j] = 0;
	for (size_t f = 0; f < n; f++)
		for (size_t j = 0; j < m; j++) {
			double t = x[f] - col[f * ld + j];

			d[j] += t * t;
		}
}

double
gf_predict_svr(const struct gf_model *m, const double *xs)
{
	double r = m->intercept, d[64];

	for (size_t b = 0; b < m->npts; b += 64) {
		size_t n = m->npts - b < 64 ? m->npts - b : 64;

		sqdists(xs, m->pts + b * m->nf, m->nf, n, d);
		for (size_t i = 0; i < n; i++)
			r += m->vals[b + i] * exp(-m->gamma * d[i]);
	}
	return r;
}

/*
 * Kernel rows, cached direct-mapped under a memory budget, in single
 * precision as libsvm's Qfloat cache keeps them: half the memory, so half
 * the page faults and cache misses of the gradient updates, and twice
 * the rows under the budget. The solver's own sums stay in double.
 */

/*
 * A cached kernel entry from its squared distance. The exponent is
 * rounded to float and expf takes it: the entry is stored as a float
 * anyway, and for the entries that matter (exponents above -16) the two
 * roundings stay within a few float ulps of exp's value, at a third of
 * its cost.
 */
static float
kentry(double gamma, double d2)
{
	return expf((float)(-gamma * d2));
}
struct kcache {
	const double *Xs;
	double *Xc;		/* Xs column-major: nf * l */
	size_t l, nf;
	double gamma;
	size_t slots;
	float *rows;		/* slots * l, allocated on first use */
	int owned;		/* rows is this fit's, not the share's */
	size_t *tag;		/* row held by each slot, or SIZE_MAX */
	size_t misses;		/* rows computed one by one so far */
	struct gf_fit_share *share;	/* to be asked on first use */
	uint64_t hash;		/* of Xs, to tell another fit's rows */
};

enum { SHARE_EMPTY, SHARE_BUSY, SHARE_READY };

struct gf_fit_share {
	pthread_mutex_t mu;
	pthread_cond_t ready;
	int users, state;
	/* The rows the matrix is of, as far as a fit can tell them. */
	size_t l, nf;
	double gamma;
	uint64_t hash;
	float *K;		/* l * l */
	/* While busy: row blocks of K handed out, and finished. */
	size_t blocks, given, done;
};

struct gf_fit_share *
gf_fit_share_new(int users)
{
	struct gf_fit_share *s = gf_xcalloc(1, sizeof(*s));

	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->ready, NULL);
	s->users = users > 0 ? users : 1;
	s->state = SHARE_EMPTY;
	return s;
}

void
gf_fit_share_release(struct gf_fit_share *s)
{
	int last;

	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	last = --s->users == 0;
	pthread_mutex_unlock(&s->mu);
	if (!last)
		return;
	gf_xfree_huge(s->K, s->l * s->l, sizeof(float));
	pthread_cond_destroy(&s->ready);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* FNV-1a over the values' bits, a word at a time. */
static uint64_t
rows_hash(const double *X, size_t n)
{
	uint64_t h = 14695981039346656037u;

	for (size_t i = 0; i < n; i++) {
		uint64_t w;

		memcpy(&w, &X[i], sizeof(w));
		h = (h ^ w) * 1099511628211u;
	}
	return h;
}

enum { KBLOCK = 64 };

/*
 * Row block bi (rows bi * KBLOCK on) of the lower triangle of K, tile by
 * tile, mirrored into the upper one: the entries of the block's rows up
 * to the diagonal, and theirs in the columns of the same numbers, so two
 * blocks never write the same entry. The squared distance of a and b is
 * that of b and a to the bit, so every entry is the value the row-by-row
 * path gives. Rows already computed (tag) are copied.
 */
static void
kernel_block(const struct kcache *c, float *K, size_t bi)
{
	const size_t l = c->l, nf = c->nf;
	size_t ei;

	bi *= KBLOCK;
	ei = bi + KBLOCK < l ? bi + KBLOCK : l;
	for (size_t bj = 0; bj <= bi; bj += KBLOCK) {
		size_t ej = bj + KBLOCK < l ? bj + KBLOCK : l;

		for (size_t i = bi; i < ei; i++) {
			size_t end = bi == bj ? i + 1 : ej;
			double d[KBLOCK];

			if (c->tag[i] == i) {
				for (size_t j = bj; j < end; j++)
					K[j * l + i] = K[i * l + j];
				continue;
			}
			sqdists_col(c->Xs + i * nf, c->Xc + bj, nf, l, end - bj,
			    d);
			for (size_t j = bj; j < end; j++) {
				float v = c->tag[j] == j ? K[j * l + i] :
				    kentry(c->gamma, d[j - bj]);

				K[i * l + j] = v;
				K[j * l + i] = v;
			}
		}
	}
}

/*
 * The whole matrix when it fits in the cache: the solver touches nearly
 * every row once it has asked for a few (1,700 of 1,760 rows on nx12),
 * so computing the lower triangle and mirroring it halves the exp calls.
 */
static void
kernel_all(struct kcache *c)
{
	for (size_t bi = 0; bi * KBLOCK < c->l; bi++)
		kernel_block(c, c->rows, bi);
	for (size_t i = 0; i < c->l; i++)
		c->tag[i] = i;
}

/*
 * The whole matrix, from the share when another fit on the same rows
 * has computed it or is computing it, else computed here (and left in
 * the share when it is empty). Fits on the same rows build it together,
 * taking its row blocks, largest first, until none is left, then wait
 * for the others' blocks: the fits of a dataset's components start side
 * by side, and one of them waiting for the other's matrix left a core
 * idle for a tenth of a rapl run (most of it the kernel zeroing the
 * matrix's fresh pages, now shared too).
 */
static void
kernel_shared(struct kcache *c)
{
	struct gf_fit_share *s = c->share;

	c->share = NULL;
	pthread_mutex_lock(&s->mu);
	if (s->state == SHARE_EMPTY) {
		s->state = SHARE_BUSY;
		s->K = gf_xalloc_huge(c->l * c->l, sizeof(float));
		s->l = c->l;
		s->nf = c->nf;
		s->gamma = c->gamma;
		s->hash = c->hash;
		s->blocks = (c->l + KBLOCK - 1) / KBLOCK;
		s->given = 0;
		s->done = 0;
	}
	if (s->l != c->l || s->nf != c->nf || s->gamma != c->gamma ||
	    s->hash != c->hash) {
		/* Other rows (not on gf-train's row sets): a matrix of its own. */
		pthread_mutex_unlock(&s->mu);
		c->rows = gf_xalloc_huge(c->l * c->l, sizeof(float));
		c->owned = 1;
		kernel_all(c);
		return;
	}
	while (s->given < s->blocks) {
		size_t bi = s->blocks - 1 - s->given++;

		pthread_mutex_unlock(&s->mu);
		kernel_block(c, s->K, bi);
		pthread_mutex_lock(&s->mu);
		if (++s->done == s->blocks) {
			s->state = SHARE_READY;
			pthread_cond_broadcast(&s->ready);
		}
	}
	while (s->state != SHARE_READY)
		pthread_cond_wait(&s->ready, &s->mu);
	c->rows = s->K;
	c->owned = 0;
	pthread_mutex_unlock(&s->mu);
	for (size_t i = 0; i < c->l; i++)
		c->tag[i] = i;
}

static const float *
kernel_row(struct kcache *c, size_t i)
{
	size_t s = i % c->slots;
	float *r;

	if (c->rows == NULL && c->share != NULL)
		kernel_shared(c);
	if (c->rows == NULL) {
		c->rows = gf_xalloc_huge(c->slots * c->l, sizeof(float));
		c->owned = 1;
	}
	r = c->rows + s * c->l;

	if (c->tag[s] != i && c->slots == c->l && ++c->misses > c->l / 8) {
		kernel_all(c);
		return r;
	}
	if (c->tag[s] != i) {
		const double *xi = c->Xs + i * c->nf;
		double d[64];

		for (size_t b = 0; b < c->l; b += 64) {
			size_t n = c->l - b < 64 ? c->l - b : 64;

			sqdists_col(xi, c->Xc + b, c->nf, c->l, n, d);
			for (size_t j = 0; j < n; j++)
				r[b + j] = kentry(c->gamma, d[j]);
		}
		c->tag[s] = i;
	}
	return r;
}

/*
 * Whether the solver's first iteration, from every alpha at 0 (G as it
 * starts), would stop, as it decides but without a kernel row: targets
 * that vary by less than the tube's width (rapl core and uncore, all 0
 * on most machines) are fitted then without touching a kernel matrix.
 */
static int
zero_is_optimal(const double *G, size_t l, double tol)
{
	double gmax = -INFINITY, gmax2 = -INFINITY;
	int step = 0;

	for (size_t t = 0; t < l; t++)
		if (-G[t] >= gmax)
			gmax = -G[t];
	for (size_t t = l; t < 2 * l; t++) {
		if (-G[t] >= gmax2)
			gmax2 = -G[t];
		step |= gmax - G[t] > 0;
	}
	return gmax + gmax2 < tol || !step;
}

/*
 * alpha (l pairs) from another fit's dual coefficients c on a superset
 * of the rows: alpha_t = c, alpha*_t = -c, whichever is positive. The
 * rows left out break sum(alpha - alpha*) = 0; the coefficients are
 * moved toward 0, row by row in order, until it holds again. Then the
 * gradient from the kernel rows of the coefficients that are not 0.
 * Returns 1 when any coefficient is not 0, else 0 (and alpha stays 0).
 */
static int
warm_start(struct kcache *kc, double *alpha, double *G, size_t l, double C,
    const double *start, const uint32_t *start_rows)
{
	double sum = 0;
	int any = 0;

	for (size_t t = 0; t < l; t++) {
		double c = start[start_rows[t]];

		c = c > C ? C : c < -C ? -C : c;
		alpha[t] = c > 0 ? c : 0;
		alpha[t + l] = c < 0 ? -c : 0;
		sum += c;
	}
	for (size_t t = 0; t < l && sum > 0; t++) {
		double r = alpha[t] < sum ? alpha[t] : sum;

		alpha[t] -= r;
		sum -= r;
	}
	for (size_t t = 0; t < l && sum < 0; t++) {
		double r = alpha[t + l] < -sum ? alpha[t + l] : -sum;

		alpha[t + l] -= r;
		sum += r;
	}
	for (size_t u = 0; u < l; u++) {
		double c = alpha[u] - alpha[u + l];

		if (c == 0)
			continue;
		any = 1;
		const float *Ku = kernel_row(kc, u);

		for (size_t t = 0; t < l; t++) {
			G[t] += c * Ku[t];
			G[t + l] -= c * Ku[t];
		}
	}
	return any;
}

int
gf_fit_svr(struct gf_model *m, const double *Xs, const double *y,
    size_t rows, const struct gf_fit_opts *opts, struct gf_err *err)
{
	struct gf_fit_share *share = opts->share;
	const double C = 1.0, epsilon = 0.2, tol = 1e-3, tau = 1e-12;
	const size_t budget = (size_t)256 << 20;
	size_t l = rows, n2 = 2 * rows, nf = m->nf;
	double *alpha = gf_xcalloc(n2, sizeof(*alpha));
	double *G = gf_xreallocarray(NULL, n2, sizeof(*G));
	signed char *yy = gf_xreallocarray(NULL, n2, sizeof(*yy));
	double mean = 0, var = 0;
	struct kcache kc;
	size_t iter, maxiter = rows > 100000 ? 100 * rows : 10000000;
	size_t next_i = SIZE_MAX;
	double next_gmax = -INFINITY;
	int converged = 0, have_next = 0;

	for (size_t i = 0; i < rows * nf; i++)
		mean += Xs[i];
	mean /= (double)(rows * nf);
	for (size_t i = 0; i < rows * nf; i++)
		var += (Xs[i] - mean) * (Xs[i] - mean);
	var /= (double)(rows * nf);
	m->gamma = var > 0 ? 1.0 / ((double)nf * var) : 1.0;
	kc.Xs = Xs;
	kc.Xc = gf_xreallocarray(NULL, nf * l + 1, sizeof(*kc.Xc));
	for (size_t t = 0; t < l; t++)
		for (size_t f = 0; f < nf; f++)
			kc.Xc[f * l + t] = Xs[t * nf + f];
	kc.l = l;
	kc.nf = nf;
	kc.gamma = m->gamma;
	kc.misses = 0;
	kc.slots = budget / (l * sizeof(float));
	if (kc.slots < 2)
		kc.slots = 2;
	if (kc.slots > l)
		kc.slots = l;
	kc.rows = NULL;
	kc.owned = 0;
	/* Shared only whole: a cache of some rows is this fit's own. */
	kc.share = kc.slots == l ? share : NULL;
	kc.hash = kc.share != NULL ? rows_hash(Xs, l * nf) : 0;
	kc.tag = gf_xreallocarray(NULL, kc.slots, sizeof(size_t));
	for (size_t s = 0; s < kc.slots; s++)
		kc.tag[s] = SIZE_MAX;
	for (size_t t = 0; t < l; t++) {
		yy[t] = 1;
		yy[t + l] = -1;
		G[t] = epsilon - y[t];
		G[t + l] = epsilon + y[t];
	}
	if ((opts->svr_start == NULL || opts->svr_start_rows == NULL ||
	    !warm_start(&kc, alpha, G, l, C, opts->svr_start,
	    opts->svr_start_rows)) && zero_is_optimal(G, l, tol)) {
		converged = 1;
		maxiter = 0;
	}
	for (iter = 0; iter < maxiter; iter++) {
		double gmax = -INFINITY, gmax2 = -INFINITY, objmin = INFINITY;
		size_t i = SIZE_MAX, j = SIZE_MAX;

		/*
		 * libsvm's second-order working set selection. Rows t < l
		 * have y = +1, rows t >= l y = -1: two loops without a test
		 * of y or a modulo. With K(t, t) = 1, the curvature is
		 * 2 - 2 K(i, t) for either sign. The previous iteration's
		 * gradient update has usually made this choice already.
		 */
		if (have_next) {
			gmax = next_gmax;
			i = next_i;
		} else {
			for (size_t t = 0; t < l; t++)
				if (alpha[t] < C && -G[t] >= gmax) {
					gmax = -G[t];
					i = t;
				}
			for (size_t t = l; t < n2; t++)
				if (alpha[t] > 0 && G[t] >= gmax) {
					gmax = G[t];
					i = t;
				}
		}
		have_next = 0;
		if (i == SIZE_MAX) {
			converged = 1;
			break;
		}
		const float *Ki = kernel_row(&kc, i % l);

		for (size_t t = 0; t < l; t++) {
			if (!(alpha[t] > 0))
				continue;
			double gd = gmax + G[t];

			if (G[t] >= gmax2)
				gmax2 = G[t];
			if (gd > 0) {
				double qc = 2 - 2 * Ki[t];
				double od = -(gd * gd) / (qc > 0 ? qc : tau);

				if (od <= objmin) {
					j = t;
					objmin = od;
				}
			}
		}
		for (size_t t = 0; t < l; t++) {
			size_t u = t + l;

			if (!(alpha[u] < C))
				continue;
			double gd = gmax - G[u];

			if (-G[u] >= gmax2)
				gmax2 = -G[u];
			if (gd > 0) {
				double qc = 2 - 2 * Ki[t];
				double od = -(gd * gd) / (qc > 0 ? qc : tau);

				if (od <= objmin) {
					j = u;
					objmin = od;
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

		/* G[t] += y_i y_t K(i, t) dai, halves without a modulo. */
		double si = yy[i] * dai, sj = yy[j] * daj;

		Ki = kernel_row(&kc, i % l);
		const float *Kj = kernel_row(&kc, j % l);

		if (kc.tag[(i % l) % kc.slots] != i % l) {
			/* Kj took Ki's slot: one row at a time. */
			Ki = kernel_row(&kc, i % l);
			for (size_t t = 0; t < l; t++) {
				G[t] += si * Ki[t];
				G[t + l] -= si * Ki[t];
			}
			Kj = kernel_row(&kc, j % l);
			for (size_t t = 0; t < l; t++) {
				G[t] += sj * Kj[t];
				G[t + l] -= sj * Kj[t];
			}
		} else {
			/*
			 * Both rows in one pass, each entry updated in the
			 * same order as above, and the next iteration's i
			 * chosen on the way: per half, the last maximum
			 * (>=); the second half's wins when it is >= the
			 * first's, as in the two selection loops.
			 */
			double m1 = -INFINITY, m2 = -INFINITY;
			size_t i1 = SIZE_MAX, i2 = SIZE_MAX;

			for (size_t t = 0; t < l; t++) {
				double g1 = G[t], g2 = G[t + l];

				g1 += si * Ki[t];
				g2 -= si * Ki[t];
				g1 += sj * Kj[t];
				g2 -= sj * Kj[t];
				G[t] = g1;
				G[t + l] = g2;
				if (alpha[t] < C && -g1 >= m1) {
					m1 = -g1;
					i1 = t;
				}
				if (alpha[t + l] > 0 && g2 >= m2) {
					m2 = g2;
					i2 = t + l;
				}
			}
			have_next = 1;
			next_gmax = m1;
			next_i = i1;
			if (i2 != SIZE_MAX && m2 >= m1) {
				next_gmax = m2;
				next_i = i2;
			}
		}
		if (!isfinite(G[i]) || !isfinite(G[j]))
			break;
	}
	if (kc.owned)
		gf_xfree_huge(kc.rows, kc.slots * kc.l, sizeof(float));
	free(kc.tag);
	free(kc.Xc);
	if (!converged) {
		free(alpha);
		free(G);
		free(yy);
		return gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "SVR solver did not converge in %zu iterations", iter);
	}
	if (opts->svr_coef != NULL)
		for (size_t t = 0; t < l; t++)
			opts->svr_coef[t] = alpha[t] - alpha[t + l];
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
