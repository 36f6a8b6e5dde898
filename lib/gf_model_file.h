/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf's portable model file: a model (gf_model.h) as JSON and back, and
 * loading a model from a file in either of the formats gf reads.
 *
 *	if (gf_model_write(m, 17, out) < 0)
 *		return -1;
 *	struct gf_model *back = gf_model_load(path, &err);
 *
 * The format:
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
 */
#ifndef GF_MODEL_FILE_H
#define GF_MODEL_FILE_H

#include <stdio.h>

#include <jansson.h>

#include "gf_err.h"
#include "gf_model.h"

/* m as a gf model file. Returns a new reference. */
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
/* gf_model_write's text as a new string; the caller frees it. */
char *gf_model_dumps(const struct gf_model *m, int precision);
/*
 * Inverse of gf_model_to_json; name (a file name, NULL for "<model>") is
 * used in messages. j is borrowed. Returns a new model or NULL with err
 * (65 naming the field for a malformed file, 65 for an unknown format or
 * version).
 */
struct gf_model *gf_model_from_json(const json_t *j, const char *name,
    struct gf_err *err);
/*
 * Load a gf model file, or a Kepler 0.7.x weight JSON (the first
 * component in it, in the order package, core, uncore, dram, platform,
 * then any other; gf_model_weights.h). Returns a new model, or NULL with
 * err: 66 for a missing file, 65 for bad JSON (path:line:col) or content.
 */
struct gf_model *gf_model_load(const char *path, struct gf_err *err);

#endif
