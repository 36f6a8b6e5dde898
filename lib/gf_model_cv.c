/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>
#include <stdint.h>

#include "gf_model_cv.h"
#include "gf_err.h"
#include "gf_model.h"
#include "gf_scores.h"
#include "gf_split.h"
#include "gf_banned.h"

static int
model_cv(int forward, const char *trainer, const double *X, const double *y,
    size_t cols, const char *const *feature_names, const uint32_t *idx,
    size_t n, int k, const struct gf_fit_opts *opts, struct gf_scores *out,
    struct gf_err *err)
{
	struct gf_scores_sum sum = GF_SCORES_SUM_INIT;
	int r = 0;

	for (int f = 0; f < k && r == 0; f++) {
		struct gf_split s = GF_SPLIT_INIT;
		double *Xt, *yt;
		struct gf_model *m;

		if ((forward ? gf_split_forward(idx, n, k, f, &s, err) :
		    gf_split_kfold(idx, n, k, f, &s, err)) < 0) {
			r = -1;
			break;
		}
		gf_gather_rows(X, y, cols, s.train, s.ntrain, &Xt, &yt);
		m = gf_model_fit_steal(trainer, Xt, yt, s.ntrain, cols,
		    feature_names, opts, err);
		if (m == NULL) {
			gf_err_prefix(err, "cross-validation fold %d of %d",
			    f + 1, k);
			r = -1;
		} else {
			for (size_t i = 0; i < s.ntest; i++)
				gf_scores_add(&sum, y[s.test[i]],
				    gf_model_predict1(m,
				    X + (size_t)s.test[i] * cols));
			gf_model_free(m);
		}
		gf_split_release(&s);
	}
	if (r == 0)
		gf_scores_finish(&sum, out);
	return r;
}

int
gf_model_cv(const char *trainer, const double *X, const double *y,
    size_t cols, const char *const *feature_names, const uint32_t *idx,
    size_t n, int k, const struct gf_fit_opts *opts, struct gf_scores *out,
    struct gf_err *err)
{
	return model_cv(0, trainer, X, y, cols, feature_names, idx, n, k,
	    opts, out, err);
}

int
gf_model_cv_forward(const char *trainer, const double *X, const double *y,
    size_t cols, const char *const *feature_names, const uint32_t *idx,
    size_t n, int k, const struct gf_fit_opts *opts, struct gf_scores *out,
    struct gf_err *err)
{
	return model_cv(1, trainer, X, y, cols, feature_names, idx, n, k,
	    opts, out, err);
}
