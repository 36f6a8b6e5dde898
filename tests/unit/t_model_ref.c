/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kepler-model-server's reference scores on nx12 CounterOnly AbsPower
 * (reference/kepler-model-server.md section 7: median test MAE over 5
 * random 90/10 splits, sklearn 1.2 / xgboost 1.7 / scipy) reproduced by
 * our trainers, median over 11 seeded random 90/10 splits.
 *
 * Tolerance: 20 % of the reference, plus 0.3 W. The test part is 221 rows
 * of a 6,603 s stress timeline; on it the MAE of one trainer moves by up
 * to 30 % from one random split to the next (KNN rapl: 2.99..3.83 W over
 * five seeds), and the reference is itself a median of five unseeded
 * splits, so a closer bound would test the split, not the trainer. Model
 * differences that matter are larger: a linear model is 3x a tree model,
 * a wrong scaling or hyper-parameter moves the MAE by 50 % or more.
 * Upstream's LogisticRegressionTrainer fails on the rapl data (scipy runs
 * out of maxfev); ours converges, so that cell only requires a finite
 * score no better than the linear models'.
 *
 * Second part, deterministic: the time-block hold-out (last 20 %), where
 * the same rows train every implementation, against scikit-learn 1.2.1,
 * scipy 1.10 curve_fit and xgboost 1.7.4 from Debian run on the same
 * MaxAbs-scaled rows (tail_ref below). Exact algorithms must agree to
 * 1 %; SGD is stochastic (3 %), the exponential fit is ill-conditioned
 * (a huge a and a tiny b, a near-line: 3 %); XgboostFitTrainer against
 * xgboost 1.7 tree_method="hist" (15 %: xgboost 1.7 starts from
 * base_score 0.5, ours and xgboost >= 2.0 from the mean, and that alone
 * moves xgboost's own acpi MAE from 10.79 to 12.23 W).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "gf_csv.h"
#include "gf_err.h"
#include "gf_model.h"
#include "gf_scores.h"
#include "gf_split.h"

#define NSEEDS 11

static const char *const feats[] = { "cache_miss", "cpu_cycles",
    "cpu_instructions" };

struct ref {
	const char *trainer;
	double rapl, acpi;	/* NAN: upstream failed */
};

static const struct ref refs[] = {
	{ "KNeighborsRegressorTrainer", 3.23, 6.50 },
	{ "XgboostFitTrainer", 3.36, 6.40 },
	{ "GradientBoostingRegressorTrainer", 3.90, 6.60 },
	{ "PolynomialRegressionTrainer", 7.01, 11.67 },
	{ "SVRRegressorTrainer", 7.83, 13.66 },
	{ "SGDRegressorTrainer", 9.43, 14.78 },
	{ "LinearRegressionTrainer", 10.09, 15.45 },
	{ "LogarithmicRegressionTrainer", 19.72, 29.32 },
	{ "ExponentialRegressionTrainer", 27.86, 41.66 },
	{ "LogisticRegressionTrainer", NAN, 33.70 },
};

struct tail_ref {
	const char *trainer;
	double rapl, acpi, tol;
};

static const struct tail_ref tail_refs[] = {
	{ "SGDRegressorTrainer", 7.226, 10.966, 0.03 },
	{ "LinearRegressionTrainer", 7.484, 11.098, 0.01 },
	{ "PolynomialRegressionTrainer", 8.229, 12.502, 0.01 },
	{ "GradientBoostingRegressorTrainer", 7.644, 9.868, 0.01 },
	{ "KNeighborsRegressorTrainer", 9.495, 10.147, 0.01 },
	{ "SVRRegressorTrainer", 7.334, 11.135, 0.01 },
	{ "XgboostFitTrainer", 8.596, 10.785, 0.15 },
	{ "LogarithmicRegressionTrainer", 25.142, 37.679, 0.01 },
	{ "LogisticRegressionTrainer", 22.701, 34.505, 0.01 },
	{ "ExponentialRegressionTrainer", 28.084, 40.752, 0.03 },
};

static double
tail_mae(const char *trainer, const double *X, const double *y, size_t n,
    struct gf_err *err)
{
	struct gf_split sp = GF_SPLIT_INIT;
	struct gf_fit_opts o = GF_FIT_OPTS_INIT;
	double *Xt, *yt, *Xe, *ye, *p, r = NAN;
	struct gf_model *m;
	struct gf_scores sc;

	o.seed = 1;
	o.main_feature = "cpu_instructions";
	if (gf_split_tail(n, 0.2, &sp, err) < 0)
		return NAN;
	gf_gather_rows(X, y, 3, sp.train, sp.ntrain, &Xt, &yt);
	gf_gather_rows(X, y, 3, sp.test, sp.ntest, &Xe, &ye);
	m = gf_model_fit(trainer, Xt, yt, sp.ntrain, 3, feats, &o, err);
	if (m != NULL) {
		p = malloc(sp.ntest * sizeof(*p));
		gf_model_predict(m, Xe, sp.ntest, p);
		gf_scores_compute(ye, p, sp.ntest, &sc);
		r = sc.mae;
		free(p);
	}
	gf_model_free(m);
	free(Xt);
	free(yt);
	free(Xe);
	free(ye);
	gf_split_release(&sp);
	return r;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median_mae(const char *trainer, const double *X, const double *y, size_t n,
    struct gf_err *err)
{
	double mae[NSEEDS];

	for (int s = 0; s < NSEEDS; s++) {
		struct gf_split sp = GF_SPLIT_INIT;
		struct gf_fit_opts o = GF_FIT_OPTS_INIT;
		double *Xt, *yt, *Xe, *ye, *p;
		struct gf_model *m;
		struct gf_scores sc;

		o.seed = (unsigned long)s + 1;
		o.main_feature = "cpu_instructions";
		if (gf_split_random(n, 0.1, o.seed, &sp, err) < 0)
			return NAN;
		gf_gather_rows(X, y, 3, sp.train, sp.ntrain, &Xt, &yt);
		gf_gather_rows(X, y, 3, sp.test, sp.ntest, &Xe, &ye);
		m = gf_model_fit(trainer, Xt, yt, sp.ntrain, 3, feats, &o,
		    err);
		if (m == NULL) {
			mae[s] = NAN;
		} else {
			p = malloc(sp.ntest * sizeof(*p));
			gf_model_predict(m, Xe, sp.ntest, p);
			gf_scores_compute(ye, p, sp.ntest, &sc);
			mae[s] = sc.mae;
			free(p);
		}
		gf_model_free(m);
		free(Xt);
		free(yt);
		free(Xe);
		free(ye);
		gf_split_release(&sp);
		if (m == NULL)
			return NAN;
	}
	qsort(mae, NSEEDS, sizeof(double), cmp_double);
	return mae[NSEEDS / 2];
}

/*
 * The data set's feats columns into *X and its ycol into *y, or -1 with
 * err saying why (a missing file or column).
 */
static int
load(const char *data, const char *file, const char *ycol, double **X,
    double **y, size_t *n, struct gf_err *err)
{
	char path[4096];
	struct gf_csv c;
	int fi[3], yi;

	snprintf(path, sizeof(path), "%s/kepler-model-db/nx12/%s", data,
	    file);
	if (gf_csv_load(path, &c, err) < 0)
		return -1;
	for (int j = 0; j < 3; j++)
		fi[j] = gf_csv_column(&c, feats[j]);
	yi = gf_csv_column(&c, ycol);
	for (int j = 0; j <= 3; j++)
		if ((j < 3 ? fi[j] : yi) < 0) {
			gf_err_set(err, GF_EXIT_DATAERR, "test",
			    "%s: no column '%s'", file, j < 3 ? feats[j] :
			    ycol);
			gf_csv_release(&c);
			return -1;
		}
	*n = c.rows;
	*X = malloc(c.rows * 3 * sizeof(double));
	*y = malloc(c.rows * sizeof(double));
	for (size_t i = 0; i < c.rows; i++) {
		for (int j = 0; j < 3; j++)
			(*X)[i * 3 + j] = c.data[i * c.cols + (size_t)fi[j]];
		(*y)[i] = c.data[i * c.cols + (size_t)yi];
	}
	gf_csv_release(&c);
	return 0;
}

/*
 * A data set that cannot be read fails every test it has, by name: the
 * run then counts as many tests as a good one, and none of them passes.
 */
static void
fail_set(const char *name, const char *why)
{
	for (size_t k = 0; k < sizeof(refs) / sizeof(refs[0]); k++)
		ok(0, "%s %s: median MAE: %s", name, refs[k].trainer, why);
	for (size_t k = 0; k < sizeof(tail_refs) / sizeof(tail_refs[0]); k++)
		ok(0, "%s %s: tail hold-out MAE: %s", name,
		    tail_refs[k].trainer, why);
}

int
main(void)
{
	const char *data = getenv("GF_DATA");
	struct {
		const char *file, *ycol, *name;
	} sets[] = {
		{ "preprocess_abs_default_rapl_CounterOnly.csv",
		    "package_power", "rapl" },
		{ "preprocess_abs_default_acpi_CounterOnly.csv",
		    "platform_power", "acpi" },
	};
	char probe[4096];

	snprintf(probe, sizeof(probe), "%s/kepler-model-db/nx12", data ? data :
	    "");
	if (data == NULL || access(probe, R_OK) != 0)
		skip_all("GF_DATA/kepler-model-db/nx12 missing: the nx12 "
		    "reference scores need the shared data set");
	for (int s = 0; s < 2; s++) {
		struct gf_err lerr = GF_ERR_INIT;
		double *X, *y, linear = 0;
		size_t n;

		if (load(data, sets[s].file, sets[s].ycol, &X, &y, &n,
		    &lerr) < 0) {
			fail_set(sets[s].name, lerr.msg);
			continue;
		}
		for (size_t k = 0; k < sizeof(refs) / sizeof(refs[0]); k++) {
			struct gf_err err = GF_ERR_INIT;
			double want = s == 0 ? refs[k].rapl : refs[k].acpi;
			double got = median_mae(refs[k].trainer, X, y, n, &err);

			if (strcmp(refs[k].trainer,
			    "LinearRegressionTrainer") == 0)
				linear = got;
			if (isnan(want)) {
				ok(isfinite(got) && got >= linear,
				    "%s %s: upstream fails; ours %.2f W, no "
				    "better than linear (%.2f)",
				    sets[s].name, refs[k].trainer, got, linear);
				continue;
			}
			if (isnan(got))
				diag("%s", err.msg);
			is_near(got, want, 0.20 * want + 0.3,
			    "%s %s: median MAE %.2f W (reference %.2f)",
			    sets[s].name, refs[k].trainer, got, want);
		}
		for (size_t k = 0; k < sizeof(tail_refs) / sizeof(tail_refs[0]);
		    k++) {
			struct gf_err err = GF_ERR_INIT;
			const struct tail_ref *t = &tail_refs[k];
			double want = s == 0 ? t->rapl : t->acpi;
			double got = tail_mae(t->trainer, X, y, n, &err);

			if (isnan(got))
				diag("%s", err.msg);
			is_near(got, want, t->tol * want + 0.005,
			    "%s %s: tail hold-out MAE %.3f W (Python %.3f)",
			    sets[s].name, t->trainer, got, want);
		}
		free(X);
		free(y);
	}
	return done_testing();
}
