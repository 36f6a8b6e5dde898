/* SPDX-License-Identifier: Apache-2.0 */
#include "gf_model.h"
#include <math.h>
#include <stdlib.h>
#include "gf_banned.h"

static const char *const trainers[] = {
	"SGDRegressorTrainer", "LinearRegressionTrainer",
	"PolynomialRegressionTrainer", "GradientBoostingRegressorTrainer",
	"KNeighborsRegressorTrainer", "SVRRegressorTrainer",
	"XgboostFitTrainer", "LogarithmicRegressionTrainer",
	"LogisticRegressionTrainer", "ExponentialRegressionTrainer",
};
const char *const *gf_model_trainers(size_t *n) { *n = 10; return trainers; }
int gf_model_trainer_known(const char *name) { (void)name; return 0; }
struct gf_model *gf_model_fit(const char *trainer, const double *X,
    const double *y, size_t rows, size_t cols,
    const char *const *feature_names, const struct gf_fit_opts *opts,
    struct gf_err *err)
{ (void)X; (void)y; (void)rows; (void)cols; (void)feature_names; (void)opts;
	gf_err_set(err, 70, "model", "%s: not yet", trainer); return NULL; }
double gf_model_predict1(const struct gf_model *m, const double *x) { (void)m; (void)x; return NAN; }
void gf_model_predict(const struct gf_model *m, const double *X, size_t rows, double *out) { (void)m; (void)X; (void)rows; (void)out; }
const char *gf_model_trainer(const struct gf_model *m) { (void)m; return NULL; }
size_t gf_model_nfeatures(const struct gf_model *m) { (void)m; return 0; }
const char *gf_model_feature(const struct gf_model *m, size_t i) { (void)m; (void)i; return NULL; }
const char *gf_model_component(const struct gf_model *m) { (void)m; return NULL; }
void gf_model_set_component(struct gf_model *m, const char *c) { (void)m; (void)c; }
void gf_model_set_feature_queries(struct gf_model *m, json_t *q) { (void)m; json_decref(q); }
void gf_model_set_meta(struct gf_model *m, json_t *meta) { (void)m; json_decref(meta); }
json_t *gf_model_meta(const struct gf_model *m) { (void)m; return NULL; }
json_t *gf_model_to_json(const struct gf_model *m) { (void)m; return json_object(); }
struct gf_model *gf_model_from_json(const json_t *j, const char *name, struct gf_err *err)
{ (void)j; gf_err_set(err, 70, "model", "%s: not yet", name ? name : "<model>"); return NULL; }
struct gf_model *gf_model_load(const char *path, struct gf_err *err)
{ gf_err_set(err, 70, "model", "%s: not yet", path); return NULL; }
json_t *gf_model_kepler_weights(const struct gf_model *m, const char *component, struct gf_err *err)
{ (void)m; gf_err_set(err, 70, "model", "%s: not yet", component); return NULL; }
struct gf_model *gf_model_from_kepler_weights(const json_t *j, const char *component, const char *name, struct gf_err *err)
{ (void)j; (void)component; gf_err_set(err, 70, "model", "%s: not yet", name ? name : "<model>"); return NULL; }
void gf_model_free(struct gf_model *m) { (void)m; }
void gf_scores_compute(const double *y, const double *pred, size_t n, struct gf_scores *out)
{ (void)y; (void)pred; out->n = n; out->mae = out->mape = out->rmse = out->mse = NAN; }
int gf_split_random(size_t rows, double test_frac, unsigned long seed, struct gf_split *out, struct gf_err *err)
{ (void)rows; (void)test_frac; (void)seed; (void)out; return gf_err_set(err, 70, "model", "not yet"); }
int gf_split_tail(size_t rows, double test_frac, struct gf_split *out, struct gf_err *err)
{ (void)rows; (void)test_frac; (void)out; return gf_err_set(err, 70, "model", "not yet"); }
int gf_split_kfold(const size_t *idx, size_t n, int k, int fold, struct gf_split *out, struct gf_err *err)
{ (void)idx; (void)n; (void)k; (void)fold; (void)out; return gf_err_set(err, 70, "model", "not yet"); }
void gf_split_release(struct gf_split *s) { (void)s; }
void gf_gather_rows(const double *X, const double *y, size_t cols, const size_t *idx, size_t n, double **Xout, double **yout)
{ (void)X; (void)y; (void)cols; (void)idx; (void)n; *Xout = NULL; *yout = NULL; }
int gf_model_cv(const char *trainer, const double *X, const double *y, size_t cols, const char *const *feature_names, const size_t *idx, size_t n, int k, const struct gf_fit_opts *opts, struct gf_scores *out, struct gf_err *err)
{ (void)X; (void)y; (void)cols; (void)feature_names; (void)idx; (void)n; (void)k; (void)opts; (void)out; return gf_err_set(err, 70, "model", "%s: not yet", trainer); }
void gf_rand_seed(struct gf_rand *r, unsigned long seed) { r->s[0] = seed; }
unsigned long long gf_rand_next(struct gf_rand *r) { return r->s[0]; }
size_t gf_rand_below(struct gf_rand *r, size_t n) { (void)r; (void)n; return 0; }
double gf_rand_double(struct gf_rand *r) { (void)r; return 0; }
