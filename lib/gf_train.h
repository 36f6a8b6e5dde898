/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Training sets and the parallel training of many models on them: what
 * gf-train does between reading its input and writing the model tree.
 *
 *	struct gf_dataset ds = GF_DATASET_INIT;	(source, otype, group set)
 *	gf_dataset_from_table(&ds, table, want, nwant, all, nall, path, &err);
 *	struct gf_train_task tasks[n] = { { &ds, "SVRRegressorTrainer" } };
 *	gf_train_run(tasks, n, &split, &opts);
 *	... tasks[i].model, .test, .cv or .failed and .err ...
 *	gf_train_tasks_release(tasks, n);
 *	gf_dataset_release(&ds);
 */
#ifndef GF_TRAIN_H
#define GF_TRAIN_H

#include <stddef.h>

#include <jansson.h>

#include "gf_dataset.h"
#include "gf_err.h"
#include "gf_model.h"
#include "gf_scores.h"
#include "gf_split.h"

/*
 * One trainer on one component of a dataset: the fit on the training
 * part scored on the hold-out (test), and blocked cross-validation on
 * the training part (cv). The caller sets ds, trainer and comp and zeroes
 * the rest; gf_train_run fills model (a new model, the caller's), test
 * and cv, or failed and err.
 */
struct gf_train_task {
	const struct gf_dataset *ds;	/* borrowed */
	const char *trainer;	/* borrowed */
	size_t comp;
	struct gf_model *model;
	struct gf_scores test, cv;
	double cv_se;		/* standard error of the folds' MAEs */
	struct gf_err err;
	int failed;
	double seconds;		/* time spent in its fits, summed */
	/* gf_train_run's own, shared by the task's jobs under its lock */
	int left;		/* jobs not finished */
	int ready;		/* ord, y, names built */
	int building;		/* a job is building them */
	size_t *ord;		/* the fits' column order */
	double *y;		/* the component's column, or NULL */
	const char **names;
	double **fp;		/* per fold: predictions of its hold-out */
	size_t *fn;
	struct gf_err *ferr;	/* per fold: the error, if ffail */
	int *ffail;
	/* per row set (the fit, then each fold): shared with the other
	 * components' fits, or NULL */
	struct gf_fit_share **share;
	/* SVR: the fit's dual coefficients, its folds' start (or NULL) */
	double *svr_coef;
	int fitted;		/* the fit's job is over */
};

struct gf_train_opts {
	unsigned long seed;
	int folds;		/* cross-validation folds, 0 for none */
	int forward;		/* forward-chaining folds (gf_split_forward) */
	int threads;		/* parallel fits; 0: one per online CPU */
	/*
	 * Called as each task ends, from a worker thread but one call at
	 * a time, ndone counting 1, 2, ... ntasks in call order (may be
	 * NULL).
	 */
	void (*done)(const struct gf_train_task *t, size_t ndone,
	    size_t ntasks, void *arg);
	void *arg;
	/*
	 * Called once, from the calling thread, as soon as the workers run
	 * (may be NULL): for work that would hold up their start if begun
	 * before, such as loading a library (gf_archive_preload): the
	 * dynamic loader's lock also guards a new thread's TLS, so
	 * pthread_create waits for a dlopen in progress.
	 */
	void (*started)(void);
};

/*
 * Run every task on its dataset's rows split by sp, in parallel, each
 * fit and each fold a job of its own: curve fits first (their cost shows
 * only as they run), then the costliest. Results do not depend on the
 * schedule.
 * The tasks must all use rows of the same length (sp's).
 */
void gf_train_run(struct gf_train_task *tasks, size_t n,
    const struct gf_split *sp, const struct gf_train_opts *o);
/* Frees the tasks' models. */
void gf_train_tasks_release(struct gf_train_task *tasks, size_t n);

/*
 * The model chosen among tasks[0..n) for like's dataset and component
 * (a pointer into tasks). *lowest gets the one with the lowest
 * cross-validation MAE; with one_se, the simplest trainer
 * (gf_model_trainer_complexity) whose CV MAE is within one standard error
 * of the folds' MAEs of that lowest is chosen instead: models that differ
 * by less than the folds' own spread are not told apart by it, and the
 * simpler one has extrapolated better on a later time block
 * (docs/benchmarks-train.md). NULL when every such task failed.
 */
const struct gf_train_task *gf_train_select(const struct gf_train_task *tasks,
    size_t n, const struct gf_train_task *like, int one_se,
    const struct gf_train_task **lowest);

/*
 * The run document's entries (new references). split and cv name the
 * hold-out and the cross-validation beside every score (e.g. "tail:0.2",
 * "blocked-cv:5").
 *
 * gf_train_dataset_json: ds, its split's sizes and the path of its
 * preprocessed table (relative to the pipeline); its "features" list
 * ds->features.
 * gf_train_model_json: one trainer on one dataset, its components being
 * tasks[0..ds->ncomp) as gf_train_run left them (scores or "error").
 * gf_train_best_json: the model gf_train_select chose (b) by rule, with
 * the trainer of lowest CV MAE (low) beside it.
 */
json_t *gf_train_dataset_json(const struct gf_dataset *ds,
    const struct gf_split *sp, const char *preprocessed);
json_t *gf_train_model_json(const struct gf_train_task *tasks,
    const char *split, const char *cv);
json_t *gf_train_best_json(const struct gf_train_task *b,
    const struct gf_train_task *low, const char *rule, const char *split,
    const char *cv);

/*
 * fn(arg) on n threads at once, all joined before returning; in the
 * caller's thread alone when n <= 1. For workers that take their jobs
 * from arg under its own lock (gf_train_run's, gf-train's model writers).
 * started (may be NULL) is called once the threads are created (before
 * fn when n <= 1), see gf_train_opts.
 */
void gf_train_threads(void *(*fn)(void *), void *arg, long n,
    void (*started)(void));

#endif
