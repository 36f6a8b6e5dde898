/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One training run, what gf-train does once its settings are known: the
 * names in them checked, the training sets loaded (gf_trainset.h), every
 * trainer trained and scored on each (gf_train.h), the best model chosen
 * per component (gf_train_select), and the model-db tree written
 * (gf_pipeline.h); or, with extract_only, the preprocessed tables alone.
 *
 *	struct gf_trainrun_opts o = { 0 };
 *	o.csv = path; o.out = "gf-models"; o.pipeline = "gf"; ...
 *	json_t *sec = json_object();
 *	rc = gf_trainrun(&o, doc, sec, &err);
 *	gf_doc_set(doc, "train", sec);		(either way)
 */
#ifndef GF_TRAINRUN_H
#define GF_TRAINRUN_H

#include <jansson.h>

#include "gf_err.h"

/*
 * A run's settings, the defaults already applied where "required" says
 * so; all strings borrowed, lists comma-separated.
 */
struct gf_trainrun_opts {
	/* The input: one of them ("-" for a CSV on stdin). */
	const char *csv, *query, *prom;
	/* Prometheus: start (and end), else the windows (gf_window). */
	const char *start, *end;
	const char *windows;	/* window names; NULL: every window */
	const char *step;	/* duration; NULL: the profile's */
	const char *timeout;	/* duration per request; NULL: gf_http's */
	const char *profile;	/* metric profile (required; not for csv) */

	/* What to train. */
	const char *sources;	/* NULL: every source of the input */
	const char *groups;	/* NULL or "all": every group */
	const char *output_types;	/* required: AbsPower, DynPower */
	const char *trainers;	/* required: names, or "all" */
	const char *thirdparty;	/* ThirdParty group's metrics, or NULL */

	/* Extraction and isolation (gf_trainset_req). */
	const char *extractor;	/* NULL: "default" */
	const char *isolator;	/* required: none, min, profile, trainer */
	const char *idle;	/* idle query file (profile), or NULL */
	const char *abs_models;	/* AbsPower tree (trainer), or NULL */
	const char *hints;	/* target containers; NULL: "stress" */
	int node_type;		/* >= 0: every dataset's; < 0: the data's */

	/* Scoring and selection (all required). */
	const char *split;	/* "tail:F" or "random:F" */
	const char *cv_method;	/* "blocked" or "forward" */
	const char *select;	/* "1se" or "min" */
	long long seed, folds;
	int threads;		/* parallel fits and writers; 0: CPUs */

	/* The tree goes to <out>/<pipeline> (both required). */
	const char *out, *pipeline;
	int extract_only;	/* preprocessed tables only */

	/*
	 * Notes on the way (NULL: none): warnings (warn = 1: a skipped set,
	 * a model that failed) and progress (warn = 0: each model as it
	 * ends, from a worker thread but one call at a time; the best of
	 * each component). group is called with a title as the training of
	 * a dataset begins and with NULL as it ends.
	 */
	void (*say)(int warn, const char *msg, void *arg);
	void (*group)(const char *title, void *arg);
	void *arg;
};

/*
 * Run o, the document doc (borrowed) giving Prometheus windows; sec (a
 * "train" section, borrowed) gets the settings, "datasets", "models" and
 * "best" (or "preprocessed" with extract_only) and "skipped", as far as
 * the run got. 64 for unknown names or settings that do not go together,
 * then gf_trainset_load's and gf_pipeline_write's codes; 65 when every
 * set was skipped or one is too short for the folds.
 *
 * glibc's malloc is set up for the largest table's size as training
 * begins: this is for a process that runs one such run.
 */
int gf_trainrun(const struct gf_trainrun_opts *o, const json_t *doc,
    json_t *sec, struct gf_err *err);

/*
 * 1 when path is named as kepler-model-db names a DynPower table
 * (preprocess_dyn_...): its idle power is removed already, so AbsPower
 * models of it would predict dynamic power under the wrong name.
 */
int gf_trainrun_dyn_table(const char *path);

#endif
