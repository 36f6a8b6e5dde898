/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to gf_model*.c: the model representation, the trainers' entry
 * points and what the model's modules share. Everything here works on
 * MaxAbs-scaled inputs unless it says otherwise.
 *
 * The modules call downwards only: gf_model_file (the model file) and
 * gf_model_weights (Kepler's weight JSON) use gf_model (the model, fit
 * and predict, the JSON helpers below), which dispatches to the trainers
 * (gf_model_linear, gf_model_curve, gf_model_tree with gf_model_gbr and
 * gf_model_xgb, gf_model_knn, gf_model_svr); the trainers call none of
 * those above them, only gf_rand, gf_pool and each other's helpers
 * declared here. This header does not include gf_model.h, so that they
 * do not see the public API they sit under.
 */
#ifndef GF_MODEL_IMPL_H
#define GF_MODEL_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "gf_err.h"

struct gf_fit_opts;

enum gf_trainer_id {
	GF_T_SGD,
	GF_T_LINEAR,
	GF_T_POLY,
	GF_T_GBR,
	GF_T_KNN,
	GF_T_SVR,
	GF_T_XGB,
	GF_T_LOG,
	GF_T_LOGISTIC,
	GF_T_EXP,
	GF_T_COUNT
};

/* KNN k-d tree node: rows kdidx[lo..hi); a leaf when left < 0. */
/* 32 bytes: rows are 32-bit (gf_fit_knn's limit), so are their ranges. */
struct gf_kdnode {
	uint32_t lo, hi;	/* kdidx[lo..hi) */
	int left, right;
	uint32_t first;		/* the lowest training row in the node */
	int dim;
	double split;
};

/* Tree node: internal when feature >= 0 (x[feature] <= thr goes left). */
struct gf_tnode {
	int feature;
	int left, right;	/* indices in the same tree */
	double thr;		/* in scaled units */
	double value;		/* leaf output, learning rate applied */
};

struct gf_model {
	enum gf_trainer_id tid;
	size_t nf;
	char **features;
	double *scale;		/* MaxAbs scale_, 1 for all-zero columns */
	char *component;
	json_t *fq, *meta;

	/* linear (SGD, LINEAR) and poly: coef[ncoef], intercept */
	double *coef;
	size_t ncoef;
	double intercept;

	/* trees: base + sum of trees; tree t is nodes[off[t]..off[t+1]) */
	double base;
	size_t ntrees;
	size_t *off;
	struct gf_tnode *nodes;

	/* KNN and SVR keep (scaled) training rows: pts[npts * nf] */
	size_t npts;
	double *pts;
	double *vals;		/* KNN targets or SVR dual coefficients */
	int k;			/* KNN */
	struct gf_kdnode *kd;	/* KNN search tree over pts, not saved */
	uint32_t *kdidx;	/* rows, in tree order: at most UINT32_MAX */
	double *kdbox;		/* per node, nf lows then nf highs */
	int vals_equal;		/* KNN: every target the same (a constant) */
	double gamma;		/* SVR */

	/* curve fits */
	int main;		/* feature index */
	double p[4];
	int np;
};

/* 1 for the curve-fit trainers (one feature, a few parameters). */
static inline int
gf_is_curve(enum gf_trainer_id t)
{
	return t == GF_T_LOG || t == GF_T_LOGISTIC || t == GF_T_EXP;
}

/* The id of a trainer name (exact), or -1. */
int gf_trainer_lookup(const char *name);

/*
 * A new model of trainer tid with nf features: features[] and scale[]
 * allocated (NULL and 0), the rest zero. Freed by gf_model_free.
 */
struct gf_model *gf_model_new(enum gf_trainer_id tid, size_t nf);

/*
 * JSON of the model file and the weight JSON. gf_json_reals returns a new
 * array of v[0..n). gf_read_reals reads the numeric array o[key] of
 * exactly n values (n == 0: any length, stored in *got) into a new
 * *out; gf_read_real the finite number o[key]. Both return 0, or -1 with
 * err (65, naming name and key).
 */
json_t *gf_json_reals(const double *v, size_t n);
int gf_read_reals(const json_t *o, const char *key, const char *name,
    double **out, size_t n, size_t *got, struct gf_err *err);
int gf_read_real(const json_t *o, const char *key, const char *name,
    double *out, struct gf_err *err);

/* The curve of a curve-fit trainer at scaled x, parameters p. */
double gf_model_curve_eval(enum gf_trainer_id t, const double *p, double x);

/*
 * Solve A x = b for a symmetric positive semi-definite A (n x n) with the
 * minimum-norm least-squares answer (gf_model_linear.c says how): the
 * linear trainers' normal equations and the curve fits' steps.
 */
void gf_sym_solve(const double *A, const double *b, size_t n, double *x);

/*
 * Trainers. Xs is scaled (rows * nf), except for the tree trainers, which
 * get the raw X and m->scale (scaling is monotone, so they bin raw values
 * and store scaled thresholds: no scaled copy at 10^6 rows). Each fills
 * its part of m and returns 0, or -1 with err. gf_fit_knn takes Xs NULL
 * when m->pts already holds the scaled rows.
 */
int gf_fit_linear(struct gf_model *m, const double *Xs, const double *y,
    size_t rows, int nonneg, struct gf_err *err);
int gf_fit_sgd(struct gf_model *m, const double *Xs, const double *y,
    size_t rows, unsigned long seed, struct gf_err *err);
int gf_fit_poly(struct gf_model *m, const double *Xs, const double *y,
    size_t rows, struct gf_err *err);
int gf_fit_curve(struct gf_model *m, const double *Xs, const double *y,
    size_t rows, struct gf_err *err);
/*
 * The tree trainers read the unscaled rows X only to sort or bin them:
 * when *own is X (the fit owns the caller's copy), they take it and set
 * *own to NULL, so that it does not stay beside their own tables for the
 * whole fit (XGBoost frees it once binned, GradientBoosting sorts its
 * values into it). own may be NULL, or point to NULL. GradientBoosting
 * keeps residuals, not y: it frees y once they are computed when *owny
 * is y.
 */
/*
 * Values (rows x features) up to which gf_fit_gbr partitions a copy of
 * its sorted rows rather than the rows in place (12 bytes a value more,
 * no partition to undo after each tree); the same trees either way.
 * Tests lower it to compare the two.
 */
extern size_t gf_gbr_copy_max;
/*
 * Rows 0..n-1 into s in ascending order of col[row * stride], ties (and
 * -0 with +0) by row: GradientBoosting's presort of each feature. LSD
 * radix on the values' bits, each pass stable, the keys taken from col
 * again on every pass rather than kept beside the rows: tmp (n entries,
 * scratch) is all the memory it needs. col must hold no NaN.
 */
void gf_sort_rows(const double *col, size_t stride, uint32_t *s,
    uint32_t *tmp, size_t n);
/*
 * The tree trainers' shared parts (gf_model_tree.c). A gf_forest is the
 * growing list of every tree's nodes: gf_forest_add appends a leaf
 * (feature -1, value 0) and returns its index within the tree that
 * starts at node tree_start; gf_forest_done hands nodes, off and ntrees
 * over to m. Start from a zeroed struct with off allocated.
 */
struct gf_forest {
	struct gf_tnode *nodes;
	size_t n, cap;
	size_t *off;
	size_t ntrees;
};
int gf_forest_add(struct gf_forest *f, size_t tree_start);
void gf_forest_done(struct gf_model *m, struct gf_forest *f);
/*
 * LSD radix sorts (gf_sort_rows, XGBoost's cut sample): the digit width in
 * bits for n keys, and a pass's digit counts (nd of them, n keys) made
 * into where each digit's keys start; gf_radix_offsets returns 0 when
 * every key has digit d0, a pass that moves nothing.
 */
int gf_radix_bits(size_t n);
int gf_radix_offsets(size_t *cnt, size_t nd, size_t d0, size_t n);
/* Frees the caller's rows handed to a tree trainer (*own); own may be NULL. */
void gf_release_rows(double **own);
/*
 * Doubles as unsigned keys in the same order (-0 taken as +0), so that
 * they sort by radix: GradientBoosting's rows by each feature, and
 * XGBoost's cut sample (up to 2^20 values per feature and fit), where
 * qsort's comparisons cost more than the whole histogram build.
 */
static inline uint64_t
gf_dkey(double d)
{
	uint64_t u;

	if (d == 0)
		d = 0;
	memcpy(&u, &d, sizeof(u));
	return u >> 63 ? ~u : u | (UINT64_C(1) << 63);
}

static inline double
gf_dval(uint64_t k)
{
	uint64_t u = k >> 63 ? k & ~(UINT64_C(1) << 63) : ~k;
	double d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

int gf_fit_gbr(struct gf_model *m, const double *X, double **own,
    const double *y, double **owny, size_t rows, struct gf_err *err);
int gf_fit_xgb(struct gf_model *m, const double *X, double **own,
    const double *y, size_t rows, int threads, struct gf_err *err);
/*
 * KNN keeps its rows and targets: Xs and y are copied unless m->pts and
 * m->vals already hold them (Xs NULL; vals handed over by the caller).
 */
int gf_fit_knn(struct gf_model *m, const double *Xs, const double *y,
    size_t rows, struct gf_err *err);
/*
 * opts: share (another fit's kernel matrix to reuse, gf_fit_share_new),
 * svr_start/svr_start_rows and svr_coef (gf_model.h).
 */
int gf_fit_svr(struct gf_model *m, const double *Xs, const double *y,
    size_t rows, const struct gf_fit_opts *opts, struct gf_err *err);

/* Build m->kd over m->pts (after fit or load). */
void gf_knn_index(struct gf_model *m);

/* Number of degree-2 polynomial terms of nf features, bias included. */
size_t gf_poly_nterms(size_t nf);
/* Expand one scaled row into out[gf_poly_nterms(nf)] (sklearn's order). */
void gf_poly_expand(const double *x, size_t nf, double *out);

/* Predictions of one scaled row. */
double gf_predict_trees(const struct gf_model *m, const double *xs);
/*
 * gf_predict_trees of n scaled rows xs (n x nf) into out, tree by tree:
 * a tree's nodes stay in the cache across the rows (XGBoost's 100 trees
 * of up to 127 nodes do not fit it together), and each row's sum is
 * added in the same order, so the same values.
 */
void gf_predict_trees_n(const struct gf_model *m, const double *xs, size_t n,
    double *out);
double gf_predict_knn(const struct gf_model *m, const double *xs);
double gf_predict_svr(const struct gf_model *m, const double *xs);

#endif
