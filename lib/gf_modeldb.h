/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kepler-model-db's layout, written by gf-train:
 *
 *	<pipeline>/metadata.json                      pipeline metadata
 *	<pipeline>/preprocessed_data/
 *	    preprocess_abs_<extractor>_<source>_<FG>.csv
 *	    preprocess_dyn_<extractor>_<isolator>_<source>_<FG>.csv
 *	<pipeline>/<source>/<OutputType>/
 *	    <source>_<OutputType>_model_metadata.csv
 *	    <FG>/<Trainer>_<node_type>/               model folder
 *	    <FG>/<Trainer>_<node_type>.zip
 *	    <FG>/<Trainer>_<node_type>.json           weights
 *
 * A model folder and its zip hold metadata.json (upstream's fields plus
 * the split, RMSE and a correct max_mape), <Trainer>_<node_type>.json
 * (upstream's index: component -> model_file, features, fe_files) and one
 * gf model file per component, <component>.gf.json (gf_model.h), which
 * libgf loads back to predict. The weight JSON beside the zip (Kepler
 * 0.7.x's in-process form) exists only for trainers that have one
 * (linear and curve-fit).
 *
 * Nothing here is atomic by itself: gf-train builds the tree in a
 * temporary directory and renames it into place.
 */
#ifndef GF_MODELDB_H
#define GF_MODELDB_H

#include <sys/stat.h>

#include <stddef.h>

#include <jansson.h>

#include "gf_csv.h"
#include "gf_err.h"
#include "gf_model.h"
#include "gf_scores.h"

/* One trained model: one gf_model per component, with its hold-out scores. */
struct gf_modeldb_model {
	const char *trainer;
	int node_type;
	const char *source;		/* canonical energy source */
	const char *output_type;	/* AbsPower | DynPower */
	const char *feature_group;
	const char *split;		/* name of the hold-out split */
	const char *const *components;
	struct gf_model *const *models;	/* per component; borrowed */
	const struct gf_scores *test;	/* per component */
	size_t ncomp;
};

/*
 * The writers below replace their file atomically (a temporary file
 * renamed), synced before the rename when sync; 0 for files in a staging
 * directory that gf_fs_sync_tree makes durable at once.
 */

/*
 * Write a table as CSV (header, then rows with 17 significant digits)
 * to path. timestamp and node_type are written as integers.
 */
int gf_modeldb_write_csv(const char *path, const struct gf_csv *t, int sync,
    struct gf_err *err);

/*
 * Copy the CSV file src to path, for a table loaded from src
 * that is written unchanged: the bytes hold the same doubles. was is
 * src's stat(2) from before it was loaded; when src is no longer that
 * file (size, mtime, inode) or cannot be copied, this fails (74, nothing
 * written) and the caller writes the table itself.
 */
int gf_modeldb_copy_csv(const char *src, const struct stat *was,
    const char *path, int sync, struct gf_err *err);

/*
 * upstream metadata.json for m (new reference): model_name, model_class,
 * model_file, features, fe_files, output_type, mae (max over components),
 * mape (the LAST component's, upstream's quirk), <c>_mae, <c>_mape (2
 * decimals, -1 when no y > 0), trainer, node_type, feature_group; plus
 * gf's split, max_mape, <c>_rmse, test_rows.
 */
json_t *gf_modeldb_metadata(const struct gf_modeldb_model *m);

/*
 * Kepler weight JSON for every component of m, with "model_name" (new
 * reference); NULL with err (65) when the trainer has no weight form.
 */
json_t *gf_modeldb_weights(const struct gf_modeldb_model *m,
    struct gf_err *err);

/*
 * Write m's folder, zip and (when it has one) weight JSON under fg_dir
 * (the <FG> directory, created). files (may be NULL) gets a new object
 * {"dir", "zip", "weights"} of paths relative to fg_dir's pipeline root
 * given as rel_prefix.
 */
int gf_modeldb_write_model(const char *fg_dir, const char *rel_prefix,
    const struct gf_modeldb_model *m, json_t **files, int sync,
    struct gf_err *err);

/*
 * Write <source>_<OutputType>_model_metadata.csv from an array of
 * metadata objects (gf_modeldb_metadata), components giving the column
 * order.
 */
int gf_modeldb_write_metadata_csv(const char *path, const json_t *rows,
    const char *const *components, size_t ncomp, int sync,
    struct gf_err *err);

/* model class upstream gives a trainer: "scikit", "xgboost", "curvefit". */
const char *gf_modeldb_model_class(const char *trainer);

#endif
