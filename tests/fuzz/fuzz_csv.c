/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf_csv_parse on any bytes: a table or an error (65, with a message),
 * never both; a table has names for its columns. Then what gf-train
 * --from-csv does with a table: the training set of a feature group
 * (Kepler 0.7's profile, through GF_PROFILE_PATH), whose timestamps
 * increase, and fits of the cheap trainers on it: a model or an error
 * with a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "gf_csv.h"
#include "gf_err.h"
#include "gf_model.h"
#include "gf_profile.h"
#include "gf_train.h"
#include "gf_xalloc.h"

static struct gf_profile prof;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_kepler_profile(&prof);
	return 0;
}

static void
train(const struct gf_csv *t, const char *source, const char *group)
{
	static const char *const trainers[] = { "LinearRegressionTrainer",
		"LogisticRegressionTrainer", "KNeighborsRegressorTrainer" };
	struct gf_dataset ds = GF_DATASET_INIT;
	struct gf_err err = GF_ERR_INIT;
	const char *const *all;
	const char **want;
	size_t nwant, nall;

	want = gf_profile_group_features(&prof, group, NULL, 0, &nwant, &err);
	if (want == NULL)
		abort();
	ds.source = gf_xstrdup(source);
	ds.otype = gf_xstrdup("AbsPower");
	ds.group = gf_xstrdup(group);
	all = gf_source_components(source, &nall);
	if (gf_dataset_from_table(&ds, t, want, nwant, all, nall, "fuzz.csv",
	    &err) < 0) {
		fuzz_check_err(&err, 0);
	} else {
		if (ds.nfeat == 0 || ds.ncomp == 0)
			abort();
		for (size_t r = 1; ds.ts != NULL && r < ds.rows; r++)
			if (!(ds.ts[r] > ds.ts[r - 1]))
				abort();
		for (size_t k = 0; k < sizeof(trainers) / sizeof(*trainers);
		    k++) {
			double *y = calloc(ds.rows + 1, sizeof(double));
			struct gf_model *m;

			for (size_t r = 0; r < ds.rows; r++)
				y[r] = ds.Y[r * ds.ncomp];
			gf_err_clear(&err);
			m = gf_model_fit(trainers[k], ds.X, y, ds.rows,
			    ds.nfeat, (const char *const *)ds.features, NULL,
			    &err);
			if (m == NULL)
				fuzz_check_err(&err, 0);
			gf_model_free(m);
			free(y);
		}
	}
	free(want);
	gf_dataset_release(&ds);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gf_csv t = GF_CSV_INIT;
	struct gf_err err = GF_ERR_INIT;
	char *text = malloc(size ? size : 1);
	int r;

	memcpy(text, data, size);
	r = gf_csv_parse(text, size, "fuzz.csv", &t, &err);
	if (r == 0) {
		if (t.cols == 0 || t.names == NULL)
			abort();
		for (size_t c = 0; c < t.cols; c++)
			if (t.names[c] == NULL)
				abort();
		/* Every cell is addressable. */
		volatile double sum = 0;

		for (size_t i = 0; i < t.rows * t.cols; i++)
			sum += t.data[i];
		(void)sum;
		train(&t, "rapl-sysfs", "CounterOnly");
		train(&t, "acpi", "Basic");
	} else if (err.exit == 0 || err.msg[0] == '\0') {
		abort();
	}
	gf_csv_release(&t);
	free(text);
	return 0;
}
