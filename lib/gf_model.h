/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Power-model trainers (kepler-model-server's ten, same names, same
 * hyper-parameters, same MaxAbs scaling), prediction, gf's portable model
 * file, Kepler 0.7.x weight JSON, metrics and splits.
 *
 *	struct gf_fit_opts o = GF_FIT_OPTS_INIT;
 *	struct gf_model *m = gf_model_fit("LinearRegressionTrainer", X, y,
 *	    rows, cols, names, &o, &err);
 *	if (m == NULL)
 *		return -1;
 *	double w = gf_model_predict1(m, x);
 *	json_t *file = gf_model_to_json(m);
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

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

/*
 * gf portable model file:
 *	{"format":"gf-model","version":1,"trainer":"...","features":[...],
 *	 "scaler":{"type":"MaxAbsScaler","max_abs":[...]},"params":{...},
 *	 "component":"...","feature_queries":{...},"meta":{...}}
 * "params" per trainer (all numbers in MaxAbs-scaled units, i.e. for x
 * divided by scaler.max_abs):
 * - Linear/SGD: {"coef":[nf],"intercept":b}: y = b + coef . xs;
 * - Polynomial: {"degree":2,"coef":[1+nf+nf(nf+1)/2],"intercept":b} over
 *   sklearn's PolynomialFeatures order [1, x0..xn-1, x0x0, x0x1, ...,
 *   x1x1, ...];
 * - GradientBoosting/Xgboost: {"base":b,"trees":[{"feature":[],
 *   "threshold":[],"left":[],"right":[],"value":[]}]}, one array entry per
 *   node, node 0 the root; feature -1 marks a leaf; xs[feature] <=
 *   threshold goes left; y = base + sum of the reached leaves' values
 *   (learning rate already applied);
 * - KNeighbors: {"k":6,"X":[rows*nf] (row-major),"y":[rows]}: mean y of
 *   the k nearest rows (Euclidean), ties to the earlier row;
 * - SVR: {"kernel":"rbf","gamma":g,"intercept":b,"support_vectors":
 *   [nsv*nf],"dual_coef":[nsv]}: y = b + sum dual_i exp(-g |xs - sv_i|^2);
 * - Logarithmic {"feature":name,"p":[a,b,c]}: a ln(b xs + 1) + c;
 *   Exponential (same shape): a e^(b xs) + c; Logistic {"feature":name,
 *   "p":[A,x0,k,off]}: A / (1 + e^(-k (xs - x0))) + off, xs the scaled
 *   value of the named feature.
 * Dumped with jansson's default precision (17 significant digits; do not
 * pass a smaller JSON_REAL_PRECISION), every trainer round-trips exactly:
 * predictions after gf_model_from_json are identical to the original's.
 * Returns a new reference.
 */
json_t *gf_model_to_json(const struct gf_model *m);
/*
 * gf_model_to_json dumped compact at precision digits (17 for exact round
 * trips), the same text json_dumps gives, written to out without a JSON
 * value per number of the training points a KNN or SVR model carries (at
 * 10^6 rows those values alone took several times the data) and without
 * the whole text in memory. Returns 0, or -1 when out reports a write
 * error (errno as the stream left it).
 */
int gf_model_write(const struct gf_model *m, int precision, FILE *out);
/* gf_model_write's text as a new string. */
char *gf_model_dumps(const struct gf_model *m, int precision);
/*
 * Inverse of gf_model_to_json; name (a file name, NULL for "<model>") is
 * used in messages. Returns a new model or NULL with err (65 naming the
 * field for a malformed file, 65 for an unknown format or version).
 */
struct gf_model *gf_model_from_json(const json_t *j, const char *name,
    struct gf_err *err);
/*
 * Load a gf model file, or a Kepler 0.7.x weight JSON (the first
 * component in it, in the order package, core, uncore, dram, platform,
 * then any other). 66 for a missing file, 65 for bad JSON (path:line:col)
 * or content.
 */
struct gf_model *gf_model_load(const char *path, struct gf_err *err);

/*
 * Kepler 0.7.x weight JSON for one component, the shapes of
 * kepler-model-db/ec2-0.7.11:
 * - linear form (LinearRegressionTrainer, SGDRegressorTrainer):
 *	{"<component>":{"All_Weights":{"Bias_Weight":b,
 *	  "Categorical_Variables":{},"Numerical_Variables":{"<feature>":
 *	  {"scale":s,"weight":w},...}}}}
 *   where predict = b + sum w * x / s (s is MaxAbs, 1 for a zero column);
 * - curve-fit form (Logarithmic/Exponential/LogisticRegressionTrainer):
 *	{"<component>":{"All_Weights":{"Categorical_Variables":{},
 *	  "Numerical_Variables":{"<feature>":{"scale":s},...},
 *	  "CurveFit_Weights":[p0,p1,...]}}}
 *   where predict = f(x0 / s0; p) with f the trainer's curve on the first
 *   feature.
 * NULL with err (65, "trainer X has no Kepler weight form") for the other
 * trainers. New reference.
 */
json_t *gf_model_kepler_weights(const struct gf_model *m,
    const char *component, struct gf_err *err);
/*
 * Load one component of a Kepler weight JSON as a model. The trainer is
 * the one name's basename starts with (e.g. "SGDRegressorTrainer_0.json")
 * or the top-level "model_name" names; without one, the linear
 * form is SGDRegressorTrainer (Kepler's default) and a curve with 4
 * weights is LogisticRegressionTrainer (3 weights cannot tell Logarithmic
 * from Exponential: 65). Curve forms fit the first feature listed, as
 * Kepler's predictor does. component NULL = the first, as gf_model_load.
 * 65 when the component is missing or the shape is wrong, naming the key.
 */
struct gf_model *gf_model_from_kepler_weights(const json_t *j,
    const char *component, const char *name, struct gf_err *err);

void gf_model_free(struct gf_model *m);

/*
 * Metrics. MAPE is in percent over the rows where y > 0 only (NaN when
 * there are none); n counts all rows. All NaN when n == 0.
 */
struct gf_scores {
	double mae, mape, rmse, mse;
	size_t n;
};
void gf_scores_compute(const double *y, const double *pred, size_t n,
    struct gf_scores *out);
/*
 * The same a row at a time: rows added in the order gf_scores_compute
 * takes them give the same scores to the bit, without the rows held in
 * one array (cross-validation folds). Start from GF_SCORES_SUM_INIT.
 */
struct gf_scores_sum {
	double ae, se, pe;
	size_t np, n;
};
#define GF_SCORES_SUM_INIT { 0, 0, 0, 0, 0 }
static inline void
gf_scores_add(struct gf_scores_sum *s, double y, double pred)
{
	double d = y - pred;

	s->ae += fabs(d);
	s->se += d * d;
	if (y > 0) {
		s->pe += fabs(d) / y;
		s->np++;
	}
	s->n++;
}
void gf_scores_finish(const struct gf_scores_sum *s, struct gf_scores *out);

/*
 * Splits are index lists into the rows of a table (both sorted ascending,
 * so row order within each part stays the timeline's). Row indices are
 * 32 bits (tables up to 4,294,967,295 rows): at 10^6 rows, 8-byte ones
 * were 6 MB beside the largest fits.
 */
struct gf_split {
	uint32_t *train, *test;	/* owned */
	size_t ntrain, ntest;
};

#define GF_SPLIT_INIT { NULL, NULL, 0, 0 }

/*
 * Random split as upstream (sklearn train_test_split, test_size=0.1):
 * ntest = ceil(rows * test_frac); perm starts as 0..rows-1 and is
 * shuffled by Fisher-Yates with the generator below seeded by
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
void gf_split_release(struct gf_split *s);

/* Copy the rows idx[0..n) of X (cols wide) and y into new arrays. */
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

/*
 * Blocked cross-validation of one trainer on the rows idx[0..n): for each
 * of k folds, fit on the other blocks and predict the held-out one; out
 * gets the scores pooled over every held-out row. 0, or -1 with err from
 * the first failing fit (prefixed with the fold).
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

/*
 * The project's seeded generator (splitmix64-seeded xoshiro256**), so
 * that splits and trainers are reproducible across platforms.
 */
struct gf_rand {
	unsigned long long s[4];
};
void gf_rand_seed(struct gf_rand *r, unsigned long seed);
unsigned long long gf_rand_next(struct gf_rand *r);
/* Uniform in [0, n), unbiased. n > 0. */
size_t gf_rand_below(struct gf_rand *r, size_t n);
/* Uniform in [0, 1). */
double gf_rand_double(struct gf_rand *r);

#endif
