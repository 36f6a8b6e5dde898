/* SPDX-License-Identifier: Apache-2.0 */
/*
 * KNeighborsRegressorTrainer: sklearn's KNeighborsRegressor
 * (n_neighbors=6), the scaled training rows kept and searched through a
 * k-d tree.
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

struct kdbuild {
	struct gf_model *m;
	size_t n, cap;
};

/*
 * A node over kdidx[lo..hi), with the bounding box of its rows and the
 * lowest of them: what kd_search needs to skip it exactly.
 */
static int
kd_add(struct kdbuild *b, size_t lo, size_t hi)
{
	struct gf_model *m = b->m;
	size_t nf = m->nf;
	double *box;
	uint32_t first = UINT32_MAX;

	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 64;
		m->kd = gf_xreallocarray(m->kd, b->cap, sizeof(*m->kd));
		m->kdbox = gf_xreallocarray(m->kdbox, b->cap, 2 * nf *
		    sizeof(*m->kdbox));
	}
	m->kd[b->n].lo = (uint32_t)lo;
	m->kd[b->n].hi = (uint32_t)hi;
	m->kd[b->n].dim = -1;
	m->kd[b->n].split = 0;
	m->kd[b->n].left = m->kd[b->n].right = -1;
	box = m->kdbox + b->n * 2 * nf;
	for (size_t d = 0; d < nf; d++) {
		box[d] = INFINITY;
		box[nf + d] = -INFINITY;
	}
	for (size_t i = lo; i < hi; i++) {
		const double *x = m->pts + (size_t)m->kdidx[i] * nf;

		/* Rows are finite (fit and load check): no fmin needed. */
		for (size_t d = 0; d < nf; d++) {
			box[d] = x[d] < box[d] ? x[d] : box[d];
			box[nf + d] = x[d] > box[nf + d] ? x[d] : box[nf + d];
		}
		if (m->kdidx[i] < first)
			first = m->kdidx[i];
	}
	m->kd[b->n].first = first;
	return (int)b->n++;
}

/* Quickselect kdidx[lo..hi) so that position mid holds the median on d. */
static void
kd_select(struct gf_model *m, size_t lo, size_t hi, size_t mid, int d)
{
	uint32_t *ix = m->kdidx;
	size_t nf = m->nf;

	while (hi - lo > 1) {
		double piv = m->pts[ix[lo + (hi - lo) / 2] * nf + (size_t)d];
		size_t i = lo, j = hi - 1;

		while (i <= j) {
			while (m->pts[ix[i] * nf + (size_t)d] < piv)
				i++;
			while (m->pts[ix[j] * nf + (size_t)d] > piv)
				j--;
			if (i <= j) {
				uint32_t t = ix[i];

				ix[i] = ix[j];
				ix[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (mid <= j)
			hi = j + 1;
		else if (mid >= i)
			lo = i;
		else
			return;
	}
}

static int
kd_build(struct kdbuild *b, size_t lo, size_t hi)
{
	struct gf_model *m = b->m;
	int node = kd_add(b, lo, hi), best = -1;
	const double *box = m->kdbox + (size_t)node * 2 * m->nf;
	double spread = 0;

	if (hi - lo <= 16)
		return node;
	for (size_t d = 0; d < m->nf; d++)
		if (box[m->nf + d] - box[d] > spread) {
			spread = box[m->nf + d] - box[d];
			best = (int)d;
		}
	if (best < 0)
		return node;	/* all rows identical */
	size_t mid = lo + (hi - lo) / 2;

	kd_select(m, lo, hi, mid, best);
	double split = m->pts[m->kdidx[mid] * m->nf + (size_t)best];
	int l = kd_build(b, lo, mid);
	int r = kd_build(b, mid, hi);

	m->kd[node].dim = best;
	m->kd[node].split = split;
	m->kd[node].left = l;
	m->kd[node].right = r;
	return node;
}

/*
 * The most nodes kd_build makes over n and over n + 1 rows, into *fn and
 * *fn1: it halves every range of more than 16 rows (and stops early only
 * on identical rows), so f(n) = 1 + f(n / 2) + f(n - n / 2), and both
 * halves of n and n + 1 are m = n / 2 or m + 1: O(log n) steps.
 */
static void
kd_nodes_max(size_t n, size_t *fn, size_t *fn1)
{
	size_t a, b;

	if (n <= 16) {
		*fn = 1;
		*fn1 = n < 16 ? 1 : 3;
		return;
	}
	kd_nodes_max(n / 2, &a, &b);
	*fn = n % 2 == 0 ? 1 + 2 * a : 1 + a + b;
	*fn1 = n % 2 == 0 ? 1 + a + b : 1 + 2 * b;
}

void
gf_knn_index(struct gf_model *m)
{
	struct kdbuild b = { m, 0, 0 };

	free(m->kd);
	free(m->kdidx);
	free(m->kdbox);
	m->kd = NULL;
	m->kdbox = NULL;
	m->kdidx = NULL;
	m->vals_equal = 1;
	for (size_t i = 1; i < m->npts && m->vals_equal; i++)
		m->vals_equal = m->vals[i] == m->vals[0];
	/* A constant target is predicted without a search (gf_predict_knn). */
	if (m->vals_equal && m->npts > 0)
		return;
	m->kdidx = gf_xreallocarray(NULL, m->npts ? m->npts : 1,
	    sizeof(*m->kdidx));
	for (size_t i = 0; i < m->npts; i++)
		m->kdidx[i] = (uint32_t)i;
	/*
	 * The node arrays at their final size at once: grown by doubling,
	 * they overshot it and the last copy held both sizes together
	 * (3-7 MB of a 10^6-row KNN run's 145 MB peak).
	 */
	size_t for_one_more;

	kd_nodes_max(m->npts, &b.cap, &for_one_more);
	m->kd = gf_xreallocarray(NULL, b.cap, sizeof(*m->kd));
	m->kdbox = gf_xreallocarray(NULL, b.cap, 2 * m->nf * sizeof(*m->kdbox));
	kd_build(&b, 0, m->npts);
}

int
gf_fit_knn(struct gf_model *m, const double *Xs, const double *y,
    size_t rows, struct gf_err *err)
{
	if (rows > UINT32_MAX)
		return gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "too many rows (%zu)", rows);
	m->k = 6;
	m->npts = rows;
	if (Xs != NULL) {
		m->pts = gf_xreallocarray(NULL, rows * m->nf,
		    sizeof(*m->pts));
		memcpy(m->pts, Xs, rows * m->nf * sizeof(*m->pts));
	}
	if (m->vals == NULL) {
		m->vals = gf_xreallocarray(NULL, rows, sizeof(*m->vals));
		memcpy(m->vals, y, rows * sizeof(*m->vals));
	}
	gf_knn_index(m);
	return 0;
}

struct knn_best {
	size_t k, n;
	double d[64];
	size_t i[64];
};

/*
 * Keep the k smallest (distance, row) pairs: ties at equal distance go
 * to the earlier training row, so the answer does not depend on the
 * order the tree visits rows in.
 */
static void
best_add(struct knn_best *b, double d, size_t i)
{
	size_t p;

	if (b->n == b->k && (d > b->d[b->n - 1] || (d == b->d[b->n - 1] &&
	    i > b->i[b->n - 1])))
		return;
	if (b->n < b->k)
		b->n++;
	for (p = b->n - 1; p > 0 && (b->d[p - 1] > d || (b->d[p - 1] == d &&
	    b->i[p - 1] > i)); p--) {
		b->d[p] = b->d[p - 1];
		b->i[p] = b->i[p - 1];
	}
	b->d[p] = d;
	b->i[p] = i;
}

/*
 * Whether node may hold a row that best_add would take: its box is no
 * farther than the k-th distance so far, and at that distance only a
 * lower row wins. The box's distance is summed as sqdist sums a row's,
 * term by term no larger, so it is never above a row's inside: the
 * search skips only what could not change the answer. Where many rows
 * are equal (idle counters at 0), the split plane alone left the
 * search visiting half the tree for every row at 0.
 */
static int
kd_may_improve(const struct gf_model *m, int node, const double *xs,
    const struct knn_best *b)
{
	const double *lo = m->kdbox + (size_t)node * 2 * m->nf;
	const double *hi = lo + m->nf;
	double s = 0, worst;

	if (b->n < b->k)
		return 1;
	for (size_t f = 0; f < m->nf; f++) {
		double d = 0;

		if (xs[f] < lo[f])
			d = xs[f] - lo[f];
		else if (xs[f] > hi[f])
			d = xs[f] - hi[f];
		s += d * d;
	}
	worst = b->d[b->n - 1];
	return s < worst || (s == worst && m->kd[node].first < b->i[b->n - 1]);
}

static void
kd_search(const struct gf_model *m, int node, const double *xs,
    struct knn_best *b)
{
	const struct gf_kdnode *nd = &m->kd[node];

	if (nd->left < 0) {
		for (size_t k = nd->lo; k < nd->hi; k++) {
			size_t i = m->kdidx[k];

			best_add(b, sqdist(xs, m->pts + i * m->nf, m->nf), i);
		}
		return;
	}
	double diff = xs[nd->dim] - nd->split;
	int near = diff < 0 ? nd->left : nd->right;
	int far = diff < 0 ? nd->right : nd->left;

	if (kd_may_improve(m, near, xs, b))
		kd_search(m, near, xs, b);
	if (kd_may_improve(m, far, xs, b))
		kd_search(m, far, xs, b);
}

/* Mean target of the k nearest training rows (Euclidean). */
double
gf_predict_knn(const struct gf_model *m, const double *xs)
{
	struct knn_best b;
	double sum = 0;

	b.k = (size_t)m->k < m->npts ? (size_t)m->k : m->npts;
	if (b.k > 64)
		b.k = 64;
	b.n = 0;
	if (b.k == 0)
		return NAN;
	for (size_t f = 0; f < m->nf; f++)
		if (isnan(xs[f]))
			return NAN;
	/*
	 * A constant target (rapl core and uncore are 0 on most machines):
	 * any k rows give the same sum, so it has no tree to search.
	 */
	if (m->vals_equal) {
		for (size_t i = 0; i < b.k; i++)
			sum += m->vals[0];
		return sum / (double)b.k;
	}
	if (m->kd == NULL)
		return NAN;
	kd_search(m, 0, xs, &b);
	for (size_t i = 0; i < b.n; i++)
		sum += m->vals[b.i[i]];
	return sum / (double)b.n;
}
