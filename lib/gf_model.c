/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The trainers' names, the model and its accessors, fitting (checks,
 * MaxAbs scaling, dispatch to the trainer) and prediction, and the JSON
 * helpers the model file and weight readers share.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_model.h"
#include "gf_err.h"
#include "gf_model_impl.h"
#include "gf_proc.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

/* Upstream's default_trainers order (KMS:train/trainer/__init__.py). */
static const char *const trainer_names[GF_T_COUNT] = {
	"SGDRegressorTrainer",
	"LinearRegressionTrainer",
	"PolynomialRegressionTrainer",
	"GradientBoostingRegressorTrainer",
	"KNeighborsRegressorTrainer",
	"SVRRegressorTrainer",
	"XgboostFitTrainer",
	"LogarithmicRegressionTrainer",
	"LogisticRegressionTrainer",
	"ExponentialRegressionTrainer",
};

const char *const *
gf_model_trainers(size_t *n)
{
	*n = GF_T_COUNT;
	return trainer_names;
}

int
gf_trainer_lookup(const char *name)
{
	for (int i = 0; i < GF_T_COUNT; i++)
		if (strcmp(trainer_names[i], name) == 0)
			return i;
	return -1;
}

int
gf_model_trainer_known(const char *name)
{
	return name != NULL && gf_trainer_lookup(name) >= 0;
}

int
gf_model_trainer_complexity(const char *name)
{
	/*
	 * Linear models first (a weight per feature), then the curve fits
	 * (a few parameters on one feature, nonlinear), the quadratic
	 * polynomial, the neighbours and the kernel model (as many
	 * parameters as training rows), then the tree ensembles, the
	 * deeper last.
	 */
	static const enum gf_trainer_id order[] = { GF_T_LINEAR, GF_T_SGD,
		GF_T_LOG, GF_T_EXP, GF_T_LOGISTIC, GF_T_POLY, GF_T_KNN,
		GF_T_SVR, GF_T_GBR, GF_T_XGB };
	int id = name != NULL ? gf_trainer_lookup(name) : -1;

	for (int r = 0; r < (int)(sizeof(order) / sizeof(*order)); r++)
		if ((int)order[r] == id)
			return r;
	return -1;
}

/* ---- model basics ---- */

struct gf_model *
gf_model_new(enum gf_trainer_id tid, size_t nf)
{
	struct gf_model *m = gf_xcalloc(1, sizeof(*m));

	m->tid = tid;
	m->nf = nf;
	m->features = gf_xcalloc(nf, sizeof(*m->features));
	m->scale = gf_xcalloc(nf, sizeof(*m->scale));
	return m;
}

void
gf_model_free(struct gf_model *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nf; i++)
		free(m->features[i]);
	free(m->features);
	free(m->scale);
	free(m->component);
	json_decref(m->fq);
	json_decref(m->meta);
	free(m->coef);
	free(m->off);
	free(m->nodes);
	free(m->pts);
	free(m->vals);
	free(m->kd);
	free(m->kdidx);
	free(m->kdbox);
	free(m);
}

const char *
gf_model_trainer(const struct gf_model *m)
{
	return trainer_names[m->tid];
}

size_t
gf_model_nfeatures(const struct gf_model *m)
{
	return m->nf;
}

size_t
gf_model_nvalues(const struct gf_model *m)
{
	size_t nodes = m->ntrees > 0 ? m->off[m->ntrees] : 0;

	return m->nf + m->ncoef + 5 * nodes + m->npts * (m->nf + 1) + 4;
}

const char *
gf_model_feature(const struct gf_model *m, size_t i)
{
	return i < m->nf ? m->features[i] : NULL;
}

const char *
gf_model_component(const struct gf_model *m)
{
	return m->component;
}

void
gf_model_set_component(struct gf_model *m, const char *component)
{
	free(m->component);
	m->component = component ? gf_xstrdup(component) : NULL;
}

void
gf_model_set_feature_queries(struct gf_model *m, json_t *q)
{
	json_decref(m->fq);
	m->fq = q;
}

json_t *
gf_model_feature_queries(const struct gf_model *m)
{
	return m->fq;
}

void
gf_model_set_meta(struct gf_model *m, json_t *meta)
{
	json_decref(m->meta);
	m->meta = meta;
}

json_t *
gf_model_meta(const struct gf_model *m)
{
	return m->meta;
}

static double
predict_scaled(const struct gf_model *m, const double *xs)
{
	double r;

	switch (m->tid) {
	case GF_T_SGD:
	case GF_T_LINEAR:
		r = m->intercept;
		for (size_t i = 0; i < m->nf; i++)
			r += m->coef[i] * xs[i];
		return r;
	case GF_T_POLY: {
		double stackbuf[256], *t = stackbuf;

		if (m->ncoef > 256)
			t = gf_xmalloc(m->ncoef * sizeof(*t));
		gf_poly_expand(xs, m->nf, t);
		r = m->intercept;
		for (size_t i = 0; i < m->ncoef; i++)
			r += m->coef[i] * t[i];
		if (t != stackbuf)
			free(t);
		return r;
	}
	case GF_T_GBR:
	case GF_T_XGB:
		return gf_predict_trees(m, xs);
	case GF_T_KNN:
		return gf_predict_knn(m, xs);
	case GF_T_SVR:
		return gf_predict_svr(m, xs);
	case GF_T_LOG:
	case GF_T_LOGISTIC:
	case GF_T_EXP:
		return gf_model_curve_eval(m->tid, m->p, xs[m->main]);
	default:
		return NAN;
	}
}

double
gf_model_predict1(const struct gf_model *m, const double *x)
{
	double stackbuf[64], *xs = stackbuf, r;

	if (m->nf > 64)
		xs = gf_xmalloc(m->nf * sizeof(*xs));
	for (size_t i = 0; i < m->nf; i++)
		xs[i] = x[i] / m->scale[i];
	r = predict_scaled(m, xs);
	if (xs != stackbuf)
		free(xs);
	return r;
}

/* Rows scaled and predicted together by tree ensembles. */
#define PREDICT_CHUNK 256

void
gf_model_predict(const struct gf_model *m, const double *X, size_t rows,
    double *out)
{
	size_t nf = m->nf;
	double *xs;

	if (m->tid != GF_T_GBR && m->tid != GF_T_XGB) {
		for (size_t i = 0; i < rows; i++)
			out[i] = gf_model_predict1(m, X + i * nf);
		return;
	}
	xs = gf_xreallocarray(NULL, PREDICT_CHUNK * (nf ? nf : 1),
	    sizeof(*xs));
	for (size_t i0 = 0; i0 < rows; i0 += PREDICT_CHUNK) {
		size_t n = rows - i0 < PREDICT_CHUNK ? rows - i0 :
		    PREDICT_CHUNK;

		for (size_t i = 0; i < n; i++)
			for (size_t f = 0; f < nf; f++)
				xs[i * nf + f] = X[(i0 + i) * nf + f] /
				    m->scale[f];
		gf_predict_trees_n(m, xs, n, out + i0);
	}
	free(xs);
}

/* ---- fit ---- */

static int
check_finite(const double *X, const double *y, size_t rows, size_t cols,
    char **names, struct gf_err *err)
{
	for (size_t i = 0; i < rows; i++) {
		for (size_t j = 0; j < cols; j++)
			if (!isfinite(X[i * cols + j]))
				return gf_err_set(err, GF_EXIT_DATAERR, "model",
				    "feature '%s' is %g at row %zu", names[j],
				    X[i * cols + j], i + 1);
		if (!isfinite(y[i]))
			return gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "target is %g at row %zu", y[i], i + 1);
	}
	return 0;
}

/*
 * gf_model_fit, and gf_model_fit_steal when owned is X and ownedy y
 * (writable, the caller's to give up): then the scaled rows are X itself,
 * not a copy, and the tree trainers free X as soon as they have sorted or
 * binned it (GradientBoosting y too, once copied beside its predictions).
 */
static struct gf_model *
fit(const char *trainer, const double *X, double *owned, const double *y,
    double *ownedy, size_t rows, size_t cols, const char *const *feature_names,
    const struct gf_fit_opts *opts, struct gf_err *err)
{
	struct gf_fit_opts defaults = GF_FIT_OPTS_INIT;
	int tid = trainer ? gf_trainer_lookup(trainer) : -1;
	struct gf_model *m = NULL;
	double *Xs = NULL, *check = NULL;
	int r = -1;

	if (opts == NULL)
		opts = &defaults;
	if (tid < 0) {
		gf_err_set(err, GF_EXIT_USAGE, "model", "unknown trainer '%s'",
		    trainer ? trainer : "(null)");
		goto out;
	}
	if (cols == 0) {
		gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "%s: no features", trainer);
		goto out;
	}
	if (rows < 2) {
		gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "%s: %zu row%s: at least 2 are needed to fit a model",
		    trainer, rows, rows == 1 ? "" : "s");
		goto out;
	}
	m = gf_model_new(tid, cols);
	for (size_t j = 0; j < cols; j++)
		m->features[j] = feature_names && feature_names[j] ?
		    gf_xstrdup(feature_names[j]) : gf_xasprintf("f%zu", j);
	if (check_finite(X, y, rows, cols, m->features, err) < 0)
		goto out;
	/*
	 * Overflow anywhere (values near DBL_MAX) shows in a prediction:
	 * three raw rows are kept for that check, as X may be scaled in
	 * place or freed by the fit (owned).
	 */
	check = gf_xreallocarray(NULL, 3 * cols, sizeof(*check));
	for (size_t k = 0; k < 3; k++)
		memcpy(check + k * cols, X + k * (rows - 1) / 2 * cols,
		    cols * sizeof(*check));
	for (size_t j = 0; j < cols; j++) {
		double mx = 0;

		for (size_t i = 0; i < rows; i++)
			if (fabs(X[i * cols + j]) > mx)
				mx = fabs(X[i * cols + j]);
		m->scale[j] = mx > 0 ? mx : 1.0;
	}
	if (gf_is_curve(m->tid) && opts->main_feature != NULL) {
		m->main = -1;
		for (size_t j = 0; j < cols; j++)
			if (strcmp(m->features[j], opts->main_feature) == 0)
				m->main = (int)j;
		if (m->main < 0) {
			gf_err_set(err, GF_EXIT_USAGE, "model",
			    "%s: main feature '%s' is not a feature", trainer,
			    opts->main_feature);
			goto out;
		}
	}
	if (m->tid != GF_T_GBR && m->tid != GF_T_XGB) {
		if (owned != NULL) {
			Xs = owned;	/* freed as Xs, or kept by KNN */
			owned = NULL;
		} else {
			Xs = gf_xreallocarray(NULL, rows * cols, sizeof(*Xs));
		}
		for (size_t i = 0; i < rows; i++)
			for (size_t j = 0; j < cols; j++)
				Xs[i * cols + j] = X[i * cols + j] /
				    m->scale[j];
	}
	switch (m->tid) {
	case GF_T_SGD:
		r = gf_fit_sgd(m, Xs, y, rows, opts->seed, err);
		break;
	case GF_T_LINEAR:
		r = gf_fit_linear(m, Xs, y, rows, 1, err);
		break;
	case GF_T_POLY:
		r = gf_fit_poly(m, Xs, y, rows, err);
		break;
	case GF_T_GBR:
		r = gf_fit_gbr(m, X, &owned, y, &ownedy, rows, err);
		break;
	case GF_T_XGB: {
		r = gf_fit_xgb(m, X, &owned, y, rows, opts->threads > 0 ?
		    opts->threads : gf_proc_cpus(), err);
		break;
	}
	case GF_T_KNN:
		/* The model keeps the scaled rows and y: hand them over. */
		m->pts = Xs;
		Xs = NULL;
		m->vals = ownedy;
		ownedy = NULL;
		r = gf_fit_knn(m, NULL, y, rows, err);
		break;
	case GF_T_SVR:
		r = gf_fit_svr(m, Xs, y, rows, opts, err);
		break;
	default:
		r = gf_fit_curve(m, Xs, y, rows, err);
		break;
	}
	for (size_t k = 0; r == 0 && k < 3; k++)
		if (!isfinite(gf_model_predict1(m, check + k * cols)))
			r = gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "the fitted model is not finite at row %zu (values "
			    "too large?)", k * (rows - 1) / 2 + 1);
	if (r < 0)
		gf_err_prefix(err, "%s", trainer);
out:
	free(Xs);
	free(owned);
	free(ownedy);
	free(check);
	if (r < 0) {
		gf_model_free(m);
		return NULL;
	}
	return m;
}

struct gf_model *
gf_model_fit(const char *trainer, const double *X, const double *y,
    size_t rows, size_t cols, const char *const *feature_names,
    const struct gf_fit_opts *opts, struct gf_err *err)
{
	return fit(trainer, X, NULL, y, NULL, rows, cols, feature_names, opts,
	    err);
}

struct gf_model *
gf_model_fit_steal(const char *trainer, double *X, double *y,
    size_t rows, size_t cols, const char *const *feature_names,
    const struct gf_fit_opts *opts, struct gf_err *err)
{
	return fit(trainer, X, X, y, y, rows, cols, feature_names, opts, err);
}

/* ---- JSON helpers of the model file and the weight JSON ---- */

json_t *
gf_json_reals(const double *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_real(v[i]));
	return a;
}

int
gf_read_reals(const json_t *o, const char *key, const char *name, double **out,
    size_t n, size_t *got, struct gf_err *err)
{
	const json_t *a = json_object_get(o, key);
	size_t len;

	if (!json_is_array(a))
		return gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "%s: '%s' is not an array", name, key);
	len = json_array_size(a);
	if (n != 0 && len != n)
		return gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "%s: '%s' has %zu values, %zu expected", name, key, len,
		    n);
	*out = gf_xreallocarray(NULL, len ? len : 1, sizeof(**out));
	for (size_t i = 0; i < len; i++) {
		const json_t *v = json_array_get(a, i);

		if (!json_is_number(v) || !isfinite(json_number_value(v))) {
			free(*out);
			*out = NULL;
			return gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "%s: '%s'[%zu] is not a finite number", name, key,
			    i);
		}
		(*out)[i] = json_number_value(v);
	}
	if (got)
		*got = len;
	return 0;
}

int
gf_read_real(const json_t *o, const char *key, const char *name, double *out,
    struct gf_err *err)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_number(v) || !isfinite(json_number_value(v)))
		return gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "%s: '%s' is not a finite number", name, key);
	*out = json_number_value(v);
	return 0;
}
