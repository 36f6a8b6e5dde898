/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gf_split.h"
#include "gf_err.h"
#include "gf_rand.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

void
gf_split_release(struct gf_split *s)
{
	free(s->train);
	free(s->test);
	s->train = s->test = NULL;
	s->ntrain = s->ntest = 0;
}

static int
cmp_row(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
split_sizes(size_t rows, double frac, size_t *ntest, struct gf_err *err)
{
	if (rows > UINT32_MAX)
		return gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "%zu rows: more than a split indexes (%lu)", rows,
		    (unsigned long)UINT32_MAX);
	if (!(frac > 0 && frac < 1))
		return gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "test fraction %g is not in (0, 1)", frac);
	*ntest = (size_t)ceil((double)rows * frac);
	if (*ntest == 0 || *ntest >= rows)
		return gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "%zu rows cannot be split %g/%g", rows, 1 - frac, frac);
	return 0;
}

int
gf_split_random(size_t rows, double test_frac, unsigned long seed,
    struct gf_split *out, struct gf_err *err)
{
	struct gf_rand r;
	size_t nt;
	uint32_t *perm;

	if (split_sizes(rows, test_frac, &nt, err) < 0)
		return -1;
	perm = gf_xreallocarray(NULL, rows, sizeof(*perm));
	for (size_t i = 0; i < rows; i++)
		perm[i] = (uint32_t)i;
	gf_rand_seed(&r, seed);
	for (size_t i = rows - 1; i > 0; i--) {
		size_t j = gf_rand_below(&r, i + 1);
		uint32_t t = perm[i];

		perm[i] = perm[j];
		perm[j] = t;
	}
	out->ntest = nt;
	out->ntrain = rows - nt;
	out->test = gf_xreallocarray(NULL, nt, sizeof(uint32_t));
	out->train = gf_xreallocarray(NULL, rows - nt, sizeof(uint32_t));
	memcpy(out->test, perm, nt * sizeof(uint32_t));
	memcpy(out->train, perm + nt, (rows - nt) * sizeof(uint32_t));
	free(perm);
	qsort(out->test, out->ntest, sizeof(uint32_t), cmp_row);
	qsort(out->train, out->ntrain, sizeof(uint32_t), cmp_row);
	return 0;
}

int
gf_split_tail(size_t rows, double test_frac, struct gf_split *out,
    struct gf_err *err)
{
	size_t nt;

	if (split_sizes(rows, test_frac, &nt, err) < 0)
		return -1;
	out->ntest = nt;
	out->ntrain = rows - nt;
	out->test = gf_xreallocarray(NULL, nt, sizeof(uint32_t));
	out->train = gf_xreallocarray(NULL, rows - nt, sizeof(uint32_t));
	for (size_t i = 0; i < rows - nt; i++)
		out->train[i] = (uint32_t)i;
	for (size_t i = 0; i < nt; i++)
		out->test[i] = (uint32_t)(rows - nt + i);
	return 0;
}

int
gf_split_kfold(const uint32_t *idx, size_t n, int k, int fold,
    struct gf_split *out, struct gf_err *err)
{
	size_t base, extra, lo, hi;

	if (k < 2 || (size_t)k > n || fold < 0 || fold >= k)
		return gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "cannot make fold %d of %d from %zu rows", fold + 1, k,
		    n);
	base = n / (size_t)k;
	extra = n % (size_t)k;
	lo = (size_t)fold * base + ((size_t)fold < extra ? (size_t)fold :
	    extra);
	hi = lo + base + ((size_t)fold < extra ? 1 : 0);
	out->ntest = hi - lo;
	out->ntrain = n - out->ntest;
	out->test = gf_xreallocarray(NULL, out->ntest, sizeof(uint32_t));
	out->train = gf_xreallocarray(NULL, out->ntrain ? out->ntrain : 1,
	    sizeof(uint32_t));
	memcpy(out->test, idx + lo, out->ntest * sizeof(uint32_t));
	memcpy(out->train, idx, lo * sizeof(uint32_t));
	memcpy(out->train + lo, idx + hi, (n - hi) * sizeof(uint32_t));
	return 0;
}

int
gf_split_forward(const uint32_t *idx, size_t n, int k, int fold,
    struct gf_split *out, struct gf_err *err)
{
	size_t base, extra, lo, hi;

	if (k < 1 || (size_t)k + 1 > n || fold < 0 || fold >= k)
		return gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "cannot make forward fold %d of %d from %zu rows",
		    fold + 1, k, n);
	base = n / ((size_t)k + 1);
	extra = n % ((size_t)k + 1);
	/* Block b starts at b * base + min(b, extra). */
	lo = ((size_t)fold + 1) * base + ((size_t)fold + 1 < extra ?
	    (size_t)fold + 1 : extra);
	hi = lo + base + ((size_t)fold + 1 < extra ? 1 : 0);
	out->ntest = hi - lo;
	out->ntrain = lo;
	out->test = gf_xreallocarray(NULL, out->ntest, sizeof(uint32_t));
	out->train = gf_xreallocarray(NULL, lo, sizeof(uint32_t));
	memcpy(out->test, idx + lo, out->ntest * sizeof(uint32_t));
	memcpy(out->train, idx, lo * sizeof(uint32_t));
	return 0;
}

void
gf_gather_rows(const double *X, const double *y, size_t cols,
    const uint32_t *idx, size_t n, double **Xout, double **yout)
{
	gf_gather_rows_ordered(X, y, cols, NULL, idx, n, Xout, yout);
}

void
gf_gather_rows_ordered(const double *X, const double *y, size_t cols,
    const size_t *order, const uint32_t *idx, size_t n, double **Xout,
    double **yout)
{
	double *xo = gf_xreallocarray(NULL, (n && cols) ? n * cols : 1,
	    sizeof(*xo));
	double *yo = gf_xreallocarray(NULL, n ? n : 1, sizeof(*yo));

	for (size_t i = 0; i < n; i++) {
		const double *row = X + (size_t)idx[i] * cols;

		if (order == NULL)
			memcpy(xo + i * cols, row, cols * sizeof(*xo));
		else
			for (size_t c = 0; c < cols; c++)
				xo[i * cols + c] = row[order[c]];
		yo[i] = y[idx[i]];
	}
	*Xout = xo;
	*yout = yo;
}
