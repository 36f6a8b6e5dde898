/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Power-model trainers (kepler-model-server's ten, same names, same
 * hyper-parameters, same MaxAbs scaling) and prediction. The model file
 * is gf_model_file.h's, Kepler's weight JSON gf_model_weights.h's;
 * splits, metrics and cross-validation are in gf_split.h, gf_scores.h
 * and gf_model_cv.h.
 *
 *	struct gf_fit_opts o = GF_FIT_OPTS_INIT;
 *	struct gf_model *m = gf_model_fit("LinearRegressionTrainer", X, y,
 *	    rows, cols, names, &o, &err);
 *	if (m == NULL)
 *		return -1;
 *	double w = gf_model_predict1(m, x);
 *	gf_model_free(m);
 *
 * Every model scales its inputs as upstream does (sklearn MaxAbsScaler
 * fitted on the training X: x / max|x| per column, a column that is all
 * zero is left as is) before the trainer sees them; prediction applies the
 * same scaling, so X is always given in raw units. The curve-fit trainers
 * (Logarithmic/Exponential/Logistic) fit on one feature only, as
 * upstream does (opts->main_feature). The same data, trainer and seed
 * give the same model whatever opts->threads is. Models are immutable
 * after fit/load and may be used for prediction from several threads at
 * once; fits of different models may run in parallel threads.
 */
#ifndef GF_MODEL_H
#define GF_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gf_err.h"

struct gf_model;
struct gf_fit_share;

struct gf_fit_opts {
	unsigned long seed;	/* every random choice derives from it */
	int threads;		/* 0 = online CPUs (XgboostFitTrainer only) */
	int verbose;		/* 0: silent; library code never prints */
	/*
	 * Curve-fit trainers: the feature they fit on (upstream's "main
	 * feature" of the group, e.g. cpu_instructions for CounterOnly,
	 * bpf_page_cache_hit / cache_miss for dram). NULL = the first
	 * feature; a name that is not a feature is an error (64).
	 */
	const char *main_feature;
	/*
	 * Work that fits of other targets on the same rows can reuse
	 * (borrowed; NULL for none): see gf_fit_share_new.
	 */
	struct gf_fit_share *share;
	/*
	 * SVRRegressorTrainer, a start for its solver: the dual coefficients
	 * of a fit of the same target on a superset of these rows
	 * (svr_start[j] for that fit's row j; borrowed, see svr_coef) and,
	 * for each row of this fit, its row in that one (svr_start_rows;
	 * borrowed). Cross-validation folds start from the training part's
	 * solution: the optimum is the same, the solver stops within its
	 * tolerance of it (scores may differ in their last digits from a
	 * start at 0) after a fraction of the iterations. NULL: from 0.
	 */
	const double *svr_start;
	const uint32_t *svr_start_rows;
	/*
	 * SVRRegressorTrainer: where to leave the dual coefficient of each
	 * row (rows doubles, alpha - alpha*), or NULL.
	 */
	double *svr_coef;
};

#define GF_FIT_OPTS_INIT { 0, 0, 0, NULL, NULL, NULL, NULL, NULL }

/*
 * What fits on the same X (the same rows in the same order, other y)
 * compute alike and can leave to each other: SVRRegressorTrainer's kernel
 * matrix, which depends on the scaled rows only. Give the same share to
 * every such fit (in opts->share), from any threads; the fits that need
 * the matrix while it is being computed compute it together, block by
 * block, the later ones read it. Each
 * of the users calls gf_fit_share_release once its fit is over; the last
 * one frees the share and what it holds. A fit whose rows turn out not
 * to match the share's works on its own, with the same result: a share
 * changes no number, only who computes it.
 *
 * Returns a new share for users fits (at least 1).
 */
struct gf_fit_share *gf_fit_share_new(int users);
void gf_fit_share_release(struct gf_fit_share *s);

/* The ten upstream trainer names in upstream order; *n is set. Static. */
const char *const *gf_model_trainers(size_t *n);
/* 1 when name is one of them (exact, case-sensitive), else 0. */
int gf_model_trainer_known(const char *name);
/*
 * The trainer's rank from the simplest model (0, linear regression) to
 * the most flexible (9, XGBoost), for selection rules that prefer the
 * simpler of two models that score alike; -1 for an unknown name.
 */
int gf_model_trainer_complexity(const char *name);

/*
 * Fit trainer on X (row-major rows * cols, raw units) and y. Feature names
 * are copied (NULL names become "f0", "f1"...). Returns a new model, or
 * NULL with err:
 * - 64 for an unknown trainer;
 * - 65 for input no model can be fitted on: fewer than 2 rows, a NaN or
 *   infinite value (naming the row and feature), a curve-fit whose data
 *   the curve cannot take (log of values <= 0...);
 * - 65 for a fit that does not converge (Levenberg-Marquardt running out
 *   of iterations or going non-finite, SVR's solver stalling), with the
 *   reason; never a crash, never a model with NaN parameters.
 */
struct gf_model *gf_model_fit(const char *trainer, const double *X,
    const double *y, size_t rows, size_t cols,
    const char *const *feature_names, const struct gf_fit_opts *opts,
    struct gf_err *err);

/*
 * gf_model_fit on X and y that the caller gives up (steals both): X is
 * scaled in place instead of copied, then kept by a KNN model or freed;
 * both are freed as soon as the trainer is done with them, also on
 * failure. For callers that gathered X and y for this one fit.
 */
struct gf_model *gf_model_fit_steal(const char *trainer, double *X,
    double *y, size_t rows, size_t cols,
    const char *const *feature_names, const struct gf_fit_opts *opts,
    struct gf_err *err);

/* Predict one row of nfeatures raw values. */
double gf_model_predict1(const struct gf_model *m, const double *x);
/* Predict rows rows of X (row-major, nfeatures columns) into out[rows]. */
void gf_model_predict(const struct gf_model *m, const double *X,
    size_t rows, double *out);

/* Borrowed, valid while m lives. */
const char *gf_model_trainer(const struct gf_model *m);
size_t gf_model_nfeatures(const struct gf_model *m);
/*
 * How many numbers m's file holds (coefficients, tree nodes, kept rows):
 * what writing it costs, to start on the largest models first.
 */
size_t gf_model_nvalues(const struct gf_model *m);
const char *gf_model_feature(const struct gf_model *m, size_t i);
/* The component this model predicts ("package", "platform"...) or NULL. */
const char *gf_model_component(const struct gf_model *m);

/* Optional annotations carried by the model file (copied / stolen). */
void gf_model_set_component(struct gf_model *m, const char *component);
/* Steals q (an object {feature: promql}); NULL clears. */
void gf_model_set_feature_queries(struct gf_model *m, json_t *q);
/* The model file's {feature: promql} object or NULL. Borrowed. */
json_t *gf_model_feature_queries(const struct gf_model *m);
/* Steals meta (any object); NULL clears. Borrowed getter. */
void gf_model_set_meta(struct gf_model *m, json_t *meta);
json_t *gf_model_meta(const struct gf_model *m);

/* Frees m and everything it holds; NULL is fine. */
void gf_model_free(struct gf_model *m);

#endif
