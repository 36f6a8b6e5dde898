/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The model-db pipeline tree of a training run (gf_modeldb.h gives the
 * layout): the preprocessed tables of its datasets, the pipeline's
 * metadata.json, every model's folder, zip and weight JSON, and one
 * <source>_<OutputType>_model_metadata.csv per energy source and output
 * type.
 *
 *	struct gf_pipeline p = { "gf-models", "gf", "default", "min", ... };
 *	struct gf_pipeline_model m[] = { { &tasks[0], entry }, ... };
 *	gf_pipeline_write(&p, datasets, nds, m, nm, &err);
 *
 * The tree is written into a fresh directory beside <out>/<name> and
 * renamed into place at the end: a failure leaves the tree that was there
 * before, if any, and nothing half written.
 */
#ifndef GF_PIPELINE_H
#define GF_PIPELINE_H

#include <stddef.h>

#include <jansson.h>

#include "gf_err.h"
#include "gf_train.h"

struct gf_pipeline {
	const char *out;	/* the tree goes to <out>/<name> */
	const char *name;	/* the pipeline's name */
	const char *extractor;	/* "default" or "smooth" */
	const char *isolator;	/* DynPower tables' isolator */
	const char *metric_type;	/* the metric profile's name */
	const char *split;	/* names the hold-out scores */
	/* Trainer names in metadata.json, NULL-terminated; NULL for none. */
	const char *const *abs_trainers, *const *dyn_trainers;
	long threads;		/* model writers; 0: one per usable CPU */
};

/*
 * One model: the tasks of one trainer on one dataset, one per component
 * (ds->ncomp of them, in component order). A model with a failed
 * component is not written.
 */
struct gf_pipeline_model {
	const struct gf_train_task *tasks;	/* borrowed */
	json_t *entry;	/* borrowed: gets "files" once written */
};

/* preprocessed_data/<table>.csv of ds: a new string. */
char *gf_pipeline_table_name(const struct gf_pipeline *p,
    const struct gf_dataset *ds);

/*
 * ds's preprocessed table (timestamp, features, power, node_type) at
 * path: a copy of its input file when ds->same_as holds exactly it, else
 * written with the shortest exact decimals; synced when sync (see
 * gf_modeldb_write_csv). 73/74 when it cannot be.
 */
int gf_pipeline_write_table(const struct gf_dataset *ds, const char *path,
    int sync, struct gf_err *err);

/*
 * The whole tree for the datasets ds[0..nds) and the models m[0..nm).
 * 73 when a directory or file cannot be created, 74 when one cannot be
 * written; the first failing model in m's order is the one reported.
 */
int gf_pipeline_write(const struct gf_pipeline *p,
    const struct gf_dataset *ds, size_t nds,
    const struct gf_pipeline_model *m, size_t nm, struct gf_err *err);

#endif
