/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_csv.h"
#include "gf_err.h"
#include "gf_model.h"
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

static int
trainer_id(const char *name)
{
	for (int i = 0; i < GF_T_COUNT; i++)
		if (strcmp(trainer_names[i], name) == 0)
			return i;
	return -1;
}

int
gf_model_trainer_known(const char *name)
{
	return name != NULL && trainer_id(name) >= 0;
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
	int id = name != NULL ? trainer_id(name) : -1;

	for (int r = 0; r < (int)(sizeof(order) / sizeof(*order)); r++)
		if ((int)order[r] == id)
			return r;
	return -1;
}

static int
is_curve(enum gf_trainer_id t)
{
	return t == GF_T_LOG || t == GF_T_LOGISTIC || t == GF_T_EXP;
}

/* ---- random numbers: xoshiro256** seeded by splitmix64 ---- */

void
gf_rand_seed(struct gf_rand *r, unsigned long seed)
{
	unsigned long long z = seed;

	for (int i = 0; i < 4; i++) {
		unsigned long long x;

		z += 0x9e3779b97f4a7c15ULL;
		x = z;
		x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
		x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
		r->s[i] = x ^ (x >> 31);
	}
}

static unsigned long long
rotl(unsigned long long x, int k)
{
	return (x << k) | (x >> (64 - k));
}

unsigned long long
gf_rand_next(struct gf_rand *r)
{
	unsigned long long *s = r->s;
	unsigned long long result = rotl(s[1] * 5, 7) * 9;
	unsigned long long t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

size_t
gf_rand_below(struct gf_rand *r, size_t n)
{
	for (;;) {
		unsigned long long x = gf_rand_next(r);

		/*
		 * The rejection limit 2^64 mod n is below n, so any x >= n
		 * passes without computing it: one division, not two, in
		 * SGD's per-epoch shuffle, and the same numbers.
		 */
		if (x >= n || x >= -(unsigned long long)n % n)
			return (size_t)(x % n);
	}
}

double
gf_rand_double(struct gf_rand *r)
{
	return (double)(gf_rand_next(r) >> 11) * 0x1.0p-53;
}

/* ---- model basics ---- */

static struct gf_model *
model_new(enum gf_trainer_id tid, size_t nf)
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

size_t
gf_poly_nterms(size_t nf)
{
	return 1 + nf + nf * (nf + 1) / 2;
}

void
gf_poly_expand(const double *x, size_t nf, double *out)
{
	size_t k = 0;

	out[k++] = 1.0;
	for (size_t i = 0; i < nf; i++)
		out[k++] = x[i];
	for (size_t i = 0; i < nf; i++)
		for (size_t j = i; j < nf; j++)
			out[k++] = x[i] * x[j];
}

double
gf_model_curve_eval(enum gf_trainer_id t, const double *p, double x)
{
	switch (t) {
	case GF_T_LOG:
		return p[0] * log(p[1] * x + 1.0) + p[2];
	case GF_T_EXP:
		return p[0] * exp(p[1] * x) + p[2];
	case GF_T_LOGISTIC:
		return p[0] / (1.0 + exp(-p[2] * (x - p[1]))) + p[3];
	default:
		return NAN;
	}
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
	int tid = trainer ? trainer_id(trainer) : -1;
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
	m = model_new(tid, cols);
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
	if (is_curve(m->tid) && opts->main_feature != NULL) {
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

/* ---- gf model file ---- */

static json_t *
darray(const double *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_real(v[i]));
	return a;
}

static json_t *
trees_json(const struct gf_model *m)
{
	json_t *trees = json_array();

	for (size_t t = 0; t < m->ntrees; t++) {
		json_t *f = json_array(), *th = json_array(), *l = json_array();
		json_t *r = json_array(), *v = json_array();

		for (size_t i = m->off[t]; i < m->off[t + 1]; i++) {
			const struct gf_tnode *nd = &m->nodes[i];

			json_array_append_new(f, json_integer(nd->feature));
			json_array_append_new(th, json_real(nd->thr));
			json_array_append_new(l, json_integer(nd->left));
			json_array_append_new(r, json_integer(nd->right));
			json_array_append_new(v, json_real(nd->value));
		}
		json_array_append_new(trees, json_pack("{s:o,s:o,s:o,s:o,s:o}",
		    "feature", f, "threshold", th, "left", l, "right", r,
		    "value", v));
	}
	return trees;
}

/*
 * The parts that grow with the training rows or the trees (KNN's
 * points, SVR's support vectors, the boosted trees): gf_model_write
 * writes them as text, so that no JSON value is made per number. NULL in
 * gf_model_to_json.
 */
struct big_arrays {
	const double *v[2];	/* NULL: the model's trees */
	size_t n[2], count;
};

/*
 * A marker in place of each big array. A name or annotation read from a
 * file may hold the same text: gf_model_write then writes the plain
 * json_dumps text instead (same output, more memory).
 */
#define BIG_MARK "\x01gf-array-"
#define MARK_DUMPED "\"\\u0001gf-array-"	/* as json_dumps writes it */

static json_t *
big_darray(struct big_arrays *b, const double *v, size_t n)
{
	char mark[32];

	if (b == NULL)
		return darray(v, n);
	snprintf(mark, sizeof(mark), BIG_MARK "%zu", b->count);
	b->v[b->count] = v;
	b->n[b->count++] = n;
	return json_string(mark);
}

static json_t *
big_trees(struct big_arrays *b, const struct gf_model *m)
{
	char mark[32];

	if (b == NULL)
		return trees_json(m);
	snprintf(mark, sizeof(mark), BIG_MARK "%zu", b->count);
	b->v[b->count] = NULL;
	b->n[b->count++] = 0;
	return json_string(mark);
}

static json_t *
model_json(const struct gf_model *m, struct big_arrays *big)
{
	json_t *feat = json_array(), *params;

	for (size_t i = 0; i < m->nf; i++)
		json_array_append_new(feat, json_string(m->features[i]));
	switch (m->tid) {
	case GF_T_SGD:
	case GF_T_LINEAR:
	case GF_T_POLY:
		params = json_pack("{s:o,s:f}", "coef",
		    darray(m->coef, m->ncoef), "intercept", m->intercept);
		if (m->tid == GF_T_POLY)
			json_object_set_new(params, "degree", json_integer(2));
		break;
	case GF_T_GBR:
	case GF_T_XGB:
		params = json_pack("{s:f,s:o}", "base", m->base, "trees",
		    big_trees(big, m));
		break;
	case GF_T_KNN:
	case GF_T_SVR: {
		/* Marked in the order they are written. */
		json_t *pts = big_darray(big, m->pts, m->npts * m->nf);
		json_t *vals = big_darray(big, m->vals, m->npts);

		if (m->tid == GF_T_KNN)
			params = json_pack("{s:i,s:o,s:o}", "k", m->k, "X",
			    pts, "y", vals);
		else
			params = json_pack("{s:s,s:f,s:f,s:o,s:o}", "kernel",
			    "rbf", "gamma", m->gamma, "intercept",
			    m->intercept, "support_vectors", pts,
			    "dual_coef", vals);
		break;
	}
	default:
		params = json_pack("{s:s,s:o}", "feature",
		    m->features[m->main], "p", darray(m->p, (size_t)m->np));
		break;
	}
	json_t *j = json_pack("{s:s,s:i,s:s,s:o,s:{s:s,s:o},s:o}",
	    "format", "gf-model", "version", 1, "trainer",
	    trainer_names[m->tid], "features", feat, "scaler", "type",
	    "MaxAbsScaler", "max_abs", darray(m->scale, m->nf), "params",
	    params);

	if (m->component)
		json_object_set_new(j, "component",
		    json_string(m->component));
	if (m->fq)
		json_object_set(j, "feature_queries", m->fq);
	if (m->meta)
		json_object_set(j, "meta", m->meta);
	return j;
}

json_t *
gf_model_to_json(const struct gf_model *m)
{
	return model_json(m, NULL);
}

/*
 * A number as jansson writes it at this precision: "1.0", not "1", and
 * the exponent without a plus sign or leading zeros ("1e-5", "2e20").
 */
static void
put_real(FILE *out, double v, int precision)
{
	char num[40], *e;
	int len = precision == 17 ? (int)gf_format_17g(v, num) :
	    snprintf(num, sizeof(num), "%.*g", precision, v);

	if (len > 0 && (e = strchr(num, 'e')) != NULL) {
		char *digits = e + 1, *from;

		if (*digits == '-')
			digits++;
		from = e + 1;
		while (*from == '+' || *from == '-' || *from == '0')
			from++;
		memmove(digits, from, strlen(from) + 1);
		len = (int)strlen(num);
	}
	if (len > 0)
		fwrite_unlocked(num, 1, (size_t)len, out);
	if (len > 0 && strpbrk(num, ".eE") == NULL)
		fwrite_unlocked(".0", 1, 2, out);
}

static void
put_int(FILE *out, int v)
{
	char num[12], *p = num + sizeof(num);
	unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	fwrite_unlocked(p, 1, (size_t)(num + sizeof(num) - p), out);
}

static void
put_str(FILE *out, const char *s)
{
	fwrite_unlocked(s, 1, strlen(s), out);
}

/* trees_json's text: per tree, each node field as an array. */
static void
put_trees(FILE *out, const struct gf_model *m, int precision)
{
	static const char *const field[] = { "feature", "threshold", "left",
		"right", "value" };

	putc_unlocked('[', out);
	for (size_t t = 0; t < m->ntrees; t++) {
		const struct gf_tnode *nd = m->nodes + m->off[t];
		size_t n = m->off[t + 1] - m->off[t];

		put_str(out, t > 0 ? ",{" : "{");
		for (int f = 0; f < 5; f++) {
			put_str(out, f > 0 ? ",\"" : "\"");
			put_str(out, field[f]);
			put_str(out, "\":[");
			for (size_t i = 0; i < n; i++) {
				if (i > 0)
					putc_unlocked(',', out);
				if (f == 1 || f == 4)
					put_real(out, f == 1 ? nd[i].thr :
					    nd[i].value, precision);
				else
					put_int(out, f == 0 ?
					    nd[i].feature : f == 2 ?
					    nd[i].left : nd[i].right);
			}
			putc_unlocked(']', out);
		}
		putc_unlocked('}', out);
	}
	putc_unlocked(']', out);
}

/*
 * 1 when text's markers are exactly model_json's: each of 0 ... count - 1
 * once, in whatever order the JSON text has them.
 */
static int
markers_only_ours(const char *text, size_t count)
{
	int seen[GF_ARRAY_LEN(((struct big_arrays *)0)->v)] = { 0 };
	size_t n = 0;

	for (const char *q = text; (q = strstr(q, MARK_DUMPED)) != NULL;
	    q++) {
		char *end;
		unsigned long k = strtoul(q + strlen(MARK_DUMPED), &end, 10);

		if (k >= count || *end != '"' || seen[k]++)
			return 0;
		n++;
	}
	return n == count;
}

int
gf_model_write(const struct gf_model *m, int precision, FILE *out)
{
	struct big_arrays big = { .count = 0 };
	json_t *j = model_json(m, &big);
	char *text = json_dumps(j, JSON_COMPACT |
	    JSON_REAL_PRECISION(precision));
	const char *p = text, *q;

	json_decref(j);
	if (text == NULL)
		GF_BUG("json_dumps failed");
	if (!markers_only_ours(text, big.count)) {
		free(text);
		j = model_json(m, NULL);
		text = json_dumps(j, JSON_COMPACT |
		    JSON_REAL_PRECISION(precision));
		json_decref(j);
		if (text == NULL)
			GF_BUG("json_dumps failed");
		fputs(text, out);
		free(text);
		return ferror(out) ? -1 : 0;
	}
	/*
	 * Each marker string, quotes included, becomes its array. The
	 * stream is this writer's alone: locked once, not per number.
	 */
	flockfile(out);
	while ((q = strstr(p, MARK_DUMPED)) != NULL) {
		char *end;
		size_t k = strtoul(q + strlen(MARK_DUMPED), &end, 10);

		if (k >= big.count || *end != '"')
			GF_BUG("bad array marker in a model");
		fwrite_unlocked(p, 1, (size_t)(q - p), out);
		if (big.v[k] == NULL) {
			put_trees(out, m, precision);
		} else {
			putc_unlocked('[', out);
			for (size_t i = 0; i < big.n[k]; i++) {
				if (i > 0)
					putc_unlocked(',', out);
				put_real(out, big.v[k][i], precision);
			}
			putc_unlocked(']', out);
		}
		p = end + 1;
	}
	put_str(out, p);
	funlockfile(out);
	free(text);
	return ferror(out) ? -1 : 0;
}

char *
gf_model_dumps(const struct gf_model *m, int precision)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (out == NULL || gf_model_write(m, precision, out) < 0 ||
	    fclose(out) != 0)
		GF_BUG("cannot write a model to memory");
	return text;
}

/* Reads a numeric array of exactly n (n == 0: any length, stored in *got). */
static int
get_darray(const json_t *o, const char *key, const char *name, double **out,
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

static int
get_num(const json_t *o, const char *key, const char *name, double *out,
    struct gf_err *err)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_number(v) || !isfinite(json_number_value(v)))
		return gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "%s: '%s' is not a finite number", name, key);
	*out = json_number_value(v);
	return 0;
}

/* 1 when v is a whole number in [lo, hi] (an index read from a file). */
static int
in_range(double v, double lo, double hi)
{
	return v >= lo && v <= hi && v == floor(v);
}

static int
trees_from_json(struct gf_model *m, const json_t *trees, const char *name,
    struct gf_err *err)
{
	size_t total = 0;

	if (!json_is_array(trees))
		return gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "%s: 'params.trees' is not an array", name);
	m->ntrees = json_array_size(trees);
	m->off = gf_xcalloc(m->ntrees + 1, sizeof(*m->off));
	for (size_t t = 0; t < m->ntrees; t++) {
		const json_t *tr = json_array_get(trees, t);
		const json_t *f = json_object_get(tr, "feature");

		if (!json_is_array(f) || json_array_size(f) == 0)
			return gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "%s: tree %zu: 'feature' is not an array", name, t);
		total += json_array_size(f);
		m->off[t + 1] = total;
	}
	m->nodes = gf_xcalloc(total ? total : 1, sizeof(*m->nodes));
	for (size_t t = 0; t < m->ntrees; t++) {
		const json_t *tr = json_array_get(trees, t);
		size_t n = m->off[t + 1] - m->off[t];
		static const char *const keys[] = { "feature", "threshold",
		    "left", "right", "value" };
		double *a[5] = { NULL };
		int bad = 0;

		for (int k = 0; k < 5 && !bad; k++)
			if (get_darray(tr, keys[k], name, &a[k], n, NULL,
			    err) < 0)
				bad = 1;
		for (size_t i = 0; i < n && !bad; i++) {
			struct gf_tnode *nd = &m->nodes[m->off[t] + i];

			/* Checked as doubles: a cast out of range is UB. */
			if (!in_range(a[0][i], -1, (double)m->nf - 1) ||
			    !in_range(a[2][i], -1, (double)n - 1) ||
			    !in_range(a[3][i], -1, (double)n - 1)) {
				gf_err_set(err, GF_EXIT_DATAERR, "model",
				    "%s: tree %zu node %zu is malformed", name,
				    t, i);
				bad = 1;
				break;
			}
			nd->feature = (int)a[0][i];
			nd->thr = a[1][i];
			nd->left = (int)a[2][i];
			nd->right = (int)a[3][i];
			nd->value = a[4][i];
			if (nd->feature >= 0 && (nd->left <= (int)i ||
			    nd->right <= (int)i)) {
				gf_err_set(err, GF_EXIT_DATAERR, "model",
				    "%s: tree %zu node %zu is malformed", name,
				    t, i);
				bad = 1;
			}
		}
		for (int k = 0; k < 5; k++)
			free(a[k]);
		if (bad)
			return -1;
	}
	return 0;
}

static int
params_from_json(struct gf_model *m, const json_t *p, const char *name,
    struct gf_err *err)
{
	size_t n;

	if (!json_is_object(p))
		return gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "%s: 'params' is not an object", name);
	switch (m->tid) {
	case GF_T_SGD:
	case GF_T_LINEAR:
	case GF_T_POLY:
		m->ncoef = m->tid == GF_T_POLY ? gf_poly_nterms(m->nf) : m->nf;
		if (get_darray(p, "coef", name, &m->coef, m->ncoef, NULL,
		    err) < 0)
			return -1;
		return get_num(p, "intercept", name, &m->intercept, err);
	case GF_T_GBR:
	case GF_T_XGB:
		if (get_num(p, "base", name, &m->base, err) < 0)
			return -1;
		return trees_from_json(m, json_object_get(p, "trees"), name,
		    err);
	case GF_T_KNN: {
		const json_t *k = json_object_get(p, "k");

		/* gf_predict_knn keeps at most 64 neighbours. */
		if (!json_is_integer(k) || json_integer_value(k) < 1 ||
		    json_integer_value(k) > 64)
			return gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "%s: 'params.k' is not an integer from 1 to 64",
			    name);
		m->k = (int)json_integer_value(k);
		if (get_darray(p, "y", name, &m->vals, 0, &m->npts, err) < 0 ||
		    get_darray(p, "X", name, &m->pts, m->npts * m->nf, NULL,
		    err) < 0)
			return -1;
		if (m->npts == 0 || m->npts > UINT32_MAX)
			return gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "%s: 'params.y' has %zu values", name, m->npts);
		gf_knn_index(m);
		return 0;
	}
	case GF_T_SVR:
		if (get_num(p, "gamma", name, &m->gamma, err) < 0 ||
		    get_num(p, "intercept", name, &m->intercept, err) < 0 ||
		    get_darray(p, "dual_coef", name, &m->vals, 0, &m->npts,
		    err) < 0)
			return -1;
		return get_darray(p, "support_vectors", name, &m->pts,
		    m->npts * m->nf, NULL, err);
	default: {
		const char *f = json_string_value(json_object_get(p,
		    "feature"));
		double *pv;

		m->main = -1;
		for (size_t j = 0; f && j < m->nf; j++)
			if (strcmp(f, m->features[j]) == 0)
				m->main = (int)j;
		if (m->main < 0)
			return gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "%s: 'params.feature' is not one of the features",
			    name);
		m->np = m->tid == GF_T_LOGISTIC ? 4 : 3;
		if (get_darray(p, "p", name, &pv, (size_t)m->np, &n, err) < 0)
			return -1;
		memcpy(m->p, pv, n * sizeof(*pv));
		free(pv);
		return 0;
	}
	}
}

struct gf_model *
gf_model_from_json(const json_t *j, const char *name, struct gf_err *err)
{
	const char *fmt, *tr;
	const json_t *feat, *sc;
	struct gf_model *m;
	int tid;
	double *scale = NULL;

	if (name == NULL)
		name = "<model>";
	fmt = json_string_value(json_object_get(j, "format"));
	if (fmt == NULL || strcmp(fmt, "gf-model") != 0) {
		gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "%s: not a gf model file ('format' is not \"gf-model\")",
		    name);
		return NULL;
	}
	if (json_integer_value(json_object_get(j, "version")) != 1) {
		gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "%s: unsupported 'version' (1 expected)", name);
		return NULL;
	}
	tr = json_string_value(json_object_get(j, "trainer"));
	tid = tr ? trainer_id(tr) : -1;
	if (tid < 0) {
		gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "%s: unknown 'trainer' '%s'", name, tr ? tr : "(none)");
		return NULL;
	}
	feat = json_object_get(j, "features");
	if (!json_is_array(feat) || json_array_size(feat) == 0) {
		gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "%s: 'features' is not a non-empty array", name);
		return NULL;
	}
	m = model_new(tid, json_array_size(feat));
	for (size_t i = 0; i < m->nf; i++) {
		const char *s = json_string_value(json_array_get(feat, i));

		if (s == NULL) {
			gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "%s: 'features'[%zu] is not a string", name, i);
			goto fail;
		}
		m->features[i] = gf_xstrdup(s);
	}
	sc = json_object_get(j, "scaler");
	if (get_darray(sc, "max_abs", name, &scale, m->nf, NULL, err) < 0)
		goto fail;
	for (size_t i = 0; i < m->nf; i++)
		if (scale[i] <= 0) {
			gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "%s: 'scaler.max_abs'[%zu] is not positive", name,
			    i);
			goto fail;
		}
	memcpy(m->scale, scale, m->nf * sizeof(*scale));
	free(scale);
	scale = NULL;
	if (params_from_json(m, json_object_get(j, "params"), name, err) < 0)
		goto fail;
	if (json_is_string(json_object_get(j, "component")))
		m->component = gf_xstrdup(json_string_value(
		    json_object_get(j, "component")));
	if (json_is_object(json_object_get(j, "feature_queries")))
		m->fq = json_incref(json_object_get(j, "feature_queries"));
	if (json_is_object(json_object_get(j, "meta")))
		m->meta = json_incref(json_object_get(j, "meta"));
	return m;
fail:
	free(scale);
	gf_model_free(m);
	return NULL;
}

/* ---- Kepler weight JSON ---- */

json_t *
gf_model_kepler_weights(const struct gf_model *m, const char *component,
    struct gf_err *err)
{
	json_t *num = json_object(), *all;

	if (m->tid == GF_T_SGD || m->tid == GF_T_LINEAR) {
		for (size_t i = 0; i < m->nf; i++)
			json_object_set_new(num, m->features[i],
			    json_pack("{s:f,s:f}", "scale", m->scale[i],
			    "weight", m->coef[i]));
		all = json_pack("{s:f,s:{},s:o}", "Bias_Weight", m->intercept,
		    "Categorical_Variables", "Numerical_Variables", num);
	} else if (is_curve(m->tid)) {
		/*
		 * Kepler's curve predictors use x[0]: the fitted feature goes
		 * first, then the others in model order.
		 */
		json_object_set_new(num, m->features[m->main],
		    json_pack("{s:f}", "scale", m->scale[m->main]));
		for (size_t i = 0; i < m->nf; i++)
			if ((int)i != m->main)
				json_object_set_new(num, m->features[i],
				    json_pack("{s:f}", "scale", m->scale[i]));
		all = json_pack("{s:{},s:o,s:o}", "Categorical_Variables",
		    "Numerical_Variables", num, "CurveFit_Weights",
		    darray(m->p, (size_t)m->np));
	} else {
		json_decref(num);
		gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "trainer %s has no Kepler weight form",
		    trainer_names[m->tid]);
		return NULL;
	}
	return json_pack("{s:{s:o}}", component, "All_Weights", all);
}

static const char *const component_order[] = {
	"package", "core", "uncore", "dram", "platform",
};

/* The trainer named by the start of path's basename or by model_name. */
static int
named_trainer(const json_t *j, const char *name)
{
	const char *cands[2] = { NULL, json_string_value(json_object_get(j,
	    "model_name")) };

	if (name) {
		const char *b = strrchr(name, '/');

		cands[0] = b ? b + 1 : name;
	}
	for (int c = 0; c < 2; c++) {
		if (cands[c] == NULL)
			continue;
		for (int i = 0; i < GF_T_COUNT; i++) {
			size_t n = strlen(trainer_names[i]);

			if (strncmp(cands[c], trainer_names[i], n) == 0 &&
			    (cands[c][n] == '\0' || cands[c][n] == '_' ||
			    cands[c][n] == '.'))
				return i;
		}
	}
	return -1;
}

struct gf_model *
gf_model_from_kepler_weights(const json_t *j, const char *component,
    const char *name, struct gf_err *err)
{
	const json_t *c = NULL, *all, *num, *cw, *v;
	const char *key;
	struct gf_model *m;
	int tid = named_trainer(j, name);
	size_t i;

	if (name == NULL)
		name = "<weights>";
	if (!json_is_object(j)) {
		gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "%s: not a JSON object", name);
		return NULL;
	}
	if (component != NULL) {
		c = json_object_get(j, component);
		if (c == NULL) {
			gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "%s: no component '%s'", name, component);
			return NULL;
		}
	} else {
		for (i = 0; i < 5 && c == NULL; i++) {
			c = json_object_get(j, component_order[i]);
			component = component_order[i];
		}
		json_object_foreach((json_t *)j, key, v) {
			if (c != NULL)
				break;
			if (json_is_object(v) &&
			    json_object_get(v, "All_Weights")) {
				c = v;
				component = key;
			}
		}
		if (c == NULL) {
			gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "%s: no component with 'All_Weights'", name);
			return NULL;
		}
	}
	all = json_object_get(c, "All_Weights");
	num = json_object_get(all, "Numerical_Variables");
	if (!json_is_object(all) || !json_is_object(num) ||
	    json_object_size(num) == 0) {
		gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "%s: '%s.All_Weights.Numerical_Variables' is missing or "
		    "empty", name, component);
		return NULL;
	}
	cw = json_object_get(all, "CurveFit_Weights");
	if (cw != NULL) {
		size_t np = json_array_size(cw);

		if (tid < 0 || !is_curve(tid))
			tid = np == 4 ? GF_T_LOGISTIC : -1;
		if (tid < 0) {
			gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "%s: %zu curve-fit weights: cannot tell the curve "
			    "(name the file after its trainer)", name, np);
			return NULL;
		}
	} else if (tid != GF_T_SGD && tid != GF_T_LINEAR) {
		tid = GF_T_SGD;
	}
	m = model_new(tid, json_object_size(num));
	i = 0;
	json_object_foreach((json_t *)num, key, v) {
		const json_t *s = json_object_get(v, "scale");

		m->features[i] = gf_xstrdup(key);
		/* A MaxAbs scale: |x| at most, never below 0. */
		if (json_is_number(s) && json_number_value(s) < 0) {
			gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "%s: '%s...Numerical_Variables.%s.scale' is "
			    "negative", name, component, key);
			goto fail;
		}
		/* Kepler skips a feature with scale 0; so does a weight 0. */
		m->scale[i] = json_is_number(s) && json_number_value(s) != 0 ?
		    json_number_value(s) : 1.0;
		i++;
	}
	m->component = gf_xstrdup(component);
	if (cw != NULL) {
		double *pv;
		size_t np;

		m->np = tid == GF_T_LOGISTIC ? 4 : 3;
		m->main = 0;
		if (get_darray(all, "CurveFit_Weights", name, &pv,
		    (size_t)m->np, &np, err) < 0)
			goto fail;
		memcpy(m->p, pv, np * sizeof(*pv));
		free(pv);
		return m;
	}
	m->ncoef = m->nf;
	m->coef = gf_xcalloc(m->nf, sizeof(*m->coef));
	i = 0;
	json_object_foreach((json_t *)num, key, v) {
		const json_t *w = json_object_get(v, "weight");
		const json_t *s = json_object_get(v, "scale");

		if (!json_is_number(w)) {
			gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "%s: '%s...Numerical_Variables.%s.weight' is not "
			    "a number", name, component, key);
			goto fail;
		}
		if (!json_is_number(s) || json_number_value(s) == 0)
			m->coef[i] = 0;
		else
			m->coef[i] = json_number_value(w);
		i++;
	}
	if (get_num(all, "Bias_Weight", name, &m->intercept, err) < 0)
		goto fail;
	return m;
fail:
	gf_model_free(m);
	return NULL;
}

struct gf_model *
gf_model_load(const char *path, struct gf_err *err)
{
	json_error_t je;
	json_t *j;
	struct gf_model *m;

	if (access(path, R_OK) != 0) {
		gf_err_set(err, GF_EXIT_NOINPUT, "model",
		    "cannot read '%s': %s",
		    path, strerror(errno));
		return NULL;
	}
	j = json_load_file(path, JSON_DECODE_ANY, &je);
	if (j == NULL) {
		gf_err_set(err, GF_EXIT_DATAERR, "model", "%s:%d:%d: %s", path,
		    je.line, je.column, je.text);
		return NULL;
	}
	if (json_object_get(j, "format") != NULL)
		m = gf_model_from_json(j, path, err);
	else
		m = gf_model_from_kepler_weights(j, NULL, path, err);
	json_decref(j);
	return m;
}

/* ---- scores, splits ---- */

void
gf_scores_finish(const struct gf_scores_sum *s, struct gf_scores *out)
{
	out->n = s->n;
	if (s->n == 0) {
		out->mae = out->mape = out->rmse = out->mse = NAN;
		return;
	}
	out->mae = s->ae / (double)s->n;
	out->mse = s->se / (double)s->n;
	out->rmse = sqrt(out->mse);
	out->mape = s->np ? 100.0 * s->pe / (double)s->np : NAN;
}

void
gf_scores_compute(const double *y, const double *pred, size_t n,
    struct gf_scores *out)
{
	struct gf_scores_sum s = GF_SCORES_SUM_INIT;

	for (size_t i = 0; i < n; i++)
		gf_scores_add(&s, y[i], pred[i]);
	gf_scores_finish(&s, out);
}

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
