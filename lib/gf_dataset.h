/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A training set: the feature matrix X and the power columns Y of one
 * (energy source, output type, feature group), taken from a table
 * (gf_csv.h) whose columns are named after the features and
 * <component>_power. gf_train.h trains models on it.
 *
 *	struct gf_dataset ds = GF_DATASET_INIT;
 *	ds.source = gf_xstrdup("acpi"); ds.otype = ...; ds.group = ...;
 *	if (gf_dataset_from_table(&ds, table, want, nwant, comps, ncomps,
 *	    path, &err) < 0) ...
 *	gf_dataset_release(&ds);
 */
#ifndef GF_DATASET_H
#define GF_DATASET_H

#include <sys/stat.h>

#include <stddef.h>

#include <jansson.h>

#include "gf_csv.h"
#include "gf_err.h"

/* A training set: one (energy source, output type, feature group). */
struct gf_dataset {
	char *source, *otype, *group;	/* owned; set by the caller */
	const char **comps;	/* borrowed names, owned array */
	size_t ncomp;
	char **features;	/* X column names, group order; owned */
	size_t nfeat;
	double *X, *Y;		/* rows x nfeat, rows x ncomp; owned */
	size_t rows;
	int node_type;
	double *ts;		/* rows timestamps, or NULL; owned */
	json_t *missing;	/* group features not in the table */
	json_t *constant;	/* features with one value in every row */
	const char *same_as;	/* input CSV holding exactly this table */
	const struct stat *same_st;	/* same_as when it was read */
};

#define GF_DATASET_INIT { 0 }

/*
 * Fill ds (source, otype and group already set) from a table whose
 * columns are named after the features want[0..nwant) (or their v0.6
 * names, rescaled) and <component>_power for the components
 * all[0..nall) of the energy source; "timestamp" and "node_type" are
 * taken when present. Features without a column are listed in
 * ds->missing, constant ones in ds->constant. 65 naming the table (name)
 * when no feature or no component has a column, when timestamps do not
 * increase, or when every feature is constant. Release ds either way.
 */
int gf_dataset_from_table(struct gf_dataset *ds, const struct gf_csv *t,
    const char *const *want, size_t nwant, const char *const *all,
    size_t nall, const char *name, struct gf_err *err);
void gf_dataset_release(struct gf_dataset *ds);

#endif
