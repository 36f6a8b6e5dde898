/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Blocked cross-validation of a trainer (gf_model.h) on the training part
 * of a table, scored with gf_scores.h's metrics over every held-out row.
 *
 *	struct gf_scores cv;
 *
 *	if (gf_model_cv(trainer, X, y, cols, names, split.train,
 *	    split.ntrain, 5, &opts, &cv, &err) < 0)
 *		return -1;
 *
 * Each fold fits a model on its own copy of its rows and frees it; X, y,
 * idx and opts are borrowed.
 */
#ifndef GF_MODEL_CV_H
#define GF_MODEL_CV_H

#include <stddef.h>
#include <stdint.h>

#include "gf_err.h"
#include "gf_model.h"
#include "gf_scores.h"

/*
 * For each of k folds (gf_split_kfold's, gf_split.h) of the rows
 * idx[0..n) of X (cols wide) and y, fit on the other blocks and predict
 * the held-out one; out gets the scores pooled over every held-out row.
 * 0, or -1 with err from the first failing fit (prefixed with the fold).
 */
int gf_model_cv(const char *trainer, const double *X, const double *y,
    size_t cols, const char *const *feature_names, const uint32_t *idx,
    size_t n, int k, const struct gf_fit_opts *opts, struct gf_scores *out,
    struct gf_err *err);

/*
 * gf_model_cv with gf_split_forward's folds: scores pooled over blocks
 * 1..k (block 0 is only ever trained on). Same errors.
 */
int gf_model_cv_forward(const char *trainer, const double *X,
    const double *y, size_t cols, const char *const *feature_names,
    const uint32_t *idx, size_t n, int k, const struct gf_fit_opts *opts,
    struct gf_scores *out, struct gf_err *err);

#endif
