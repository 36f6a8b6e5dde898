/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Train/test splits of a table's rows and the rows they pick.
 *
 *	struct gf_split s = GF_SPLIT_INIT;
 *
 *	if (gf_split_tail(rows, 0.2, &s, &err) < 0)
 *		return -1;
 *	gf_gather_rows(X, y, cols, s.train, s.ntrain, &Xt, &yt);
 *	...
 *	free(Xt);
 *	free(yt);
 *	gf_split_release(&s);
 *
 * Splits are index lists into the rows of a table (both sorted ascending,
 * so row order within each part stays the timeline's). Row indices are
 * 32 bits (tables up to 4,294,967,295 rows): at 10^6 rows, 8-byte ones
 * were 6 MB beside the largest fits. Every function that fills a split
 * allocates its two lists; gf_split_release frees them.
 */
#ifndef GF_SPLIT_H
#define GF_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "gf_err.h"

struct gf_split {
	uint32_t *train, *test;	/* owned */
	size_t ntrain, ntest;
};

#define GF_SPLIT_INIT { NULL, NULL, 0, 0 }

/*
 * Random split as upstream (sklearn train_test_split, test_size=0.1):
 * ntest = ceil(rows * test_frac); perm starts as 0..rows-1 and is
 * shuffled by Fisher-Yates with gf_rand (gf_rand.h) seeded by
 * gf_rand_seed(seed): for i from rows-1 down to 1, swap perm[i] with
 * perm[gf_rand_below(i + 1)]. The first ntest entries of perm are the
 * test set, the rest the training set (sklearn's own permutation comes
 * from numpy's Mersenne Twister, which we do not reproduce: same sizes,
 * different rows). 65 when either part would be empty.
 */
int gf_split_random(size_t rows, double test_frac, unsigned long seed,
    struct gf_split *out, struct gf_err *err);
/*
 * Time-block hold-out: the last ceil(rows * test_frac) rows are the test
 * set, the rest the training set. 65 when either part would be empty.
 */
int gf_split_tail(size_t rows, double test_frac, struct gf_split *out,
    struct gf_err *err);
/*
 * Blocked K-fold on idx[0..n) (a training part, in timeline order): fold
 * f of k takes the f-th of k contiguous blocks (sizes differ by at most
 * one, the larger first) as test and the rest as train; no shuffling, so
 * a fold never predicts a row whose neighbours it trained on, except at
 * the block edges. 65 when k < 2 or n < k.
 */
int gf_split_kfold(const uint32_t *idx, size_t n, int k, int fold,
    struct gf_split *out, struct gf_err *err);
/*
 * Forward-chaining (expanding-window) blocked folds on idx[0..n): the
 * rows are cut into k + 1 contiguous blocks (sizes as gf_split_kfold's
 * for k + 1 folds); fold f of k tests on block f + 1 and trains on
 * blocks 0..f, so every validation block comes after all of its training
 * data, as the time-block hold-out does. 65 when k < 1 or n < k + 1.
 */
int gf_split_forward(const uint32_t *idx, size_t n, int k, int fold,
    struct gf_split *out, struct gf_err *err);
/* Frees both lists and leaves s empty; NULL lists are fine. */
void gf_split_release(struct gf_split *s);

/*
 * Copy the rows idx[0..n) of X (cols wide) and y into new arrays
 * (*Xout and *yout; the caller frees both).
 */
void gf_gather_rows(const double *X, const double *y, size_t cols,
    const uint32_t *idx, size_t n, double **Xout, double **yout);
/*
 * The same with the columns in the given order: row i of *Xout is
 * X[idx[i]][order[0]], ..., X[idx[i]][order[cols - 1]] (order NULL: as
 * they are).
 */
void gf_gather_rows_ordered(const double *X, const double *y, size_t cols,
    const size_t *order, const uint32_t *idx, size_t n, double **Xout,
    double **yout);

#endif
