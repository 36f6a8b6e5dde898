/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to gf_model*.c: the model representation and the trainers'
 * entry points. Everything here works on MaxAbs-scaled inputs unless it
 * says otherwise.
 */
#ifndef GF_MODEL_IMPL_H
#define GF_MODEL_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "gf_model.h"

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

/* The curve of a curve-fit trainer at scaled x, parameters p. */
double gf_model_curve_eval(enum gf_trainer_id t, const double *p, double x);

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
