/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gf_doc.h"
#include "gf_model_cv.h"
#include "gf_modeldb.h"
#include "gf_parse.h"
#include "gf_proc.h"
#include "gf_profile.h"
#include "gf_train.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

/* A task's fit (f = -1) or its fold f. */
struct job {
	size_t task;
	int f;
};

struct pool {
	struct gf_train_task *tasks;
	struct job *jobs;	/* in the order they are taken (job_order) */
	char *taken;		/* per job: taken by a worker (job_take) */
	size_t n, next, done;	/* next: the first job not taken */
	size_t njobs;
	int folds, forward;	/* forward: gf_split_forward's folds */
	pthread_cond_t built;
	pthread_cond_t fitted;	/* a task's fit job is over */
	const struct gf_split *split;
	const struct gf_train_opts *o;
	pthread_mutex_t mu;
	pthread_mutex_t report;	/* done and the done callback */
	int fit_threads;	/* threads inside one fit */
};

static const char *
main_feature(const struct gf_dataset *ds, const char *comp)
{
	const struct gf_fgroup *g = gf_fgroup_find(ds->group);
	const char *want[2];

	want[0] = g && strcmp(comp, "dram") == 0 ? g->dram_main : NULL;
	want[1] = g ? g->main : NULL;
	for (size_t w = 0; w < 2; w++)
		for (size_t f = 0; want[w] != NULL && f < ds->nfeat; f++)
			if (strcmp(ds->features[f], want[w]) == 0)
				return want[w];
	return ds->features[0];
}

/*
 * Kernel SVR's folds start from the fit's solution (gf_fit_opts
 * svr_start): they wait for it, always, so that no number depends on
 * which job ran first.
 */
static int
folds_from_fit(const struct gf_train_task *t, int k)
{
	return k > 0 && strcmp(t->trainer, "SVRRegressorTrainer") == 0;
}

static int
is_curve(const char *trainer)
{
	return strcmp(gf_modeldb_model_class(trainer), "curvefit") == 0;
}

/*
 * Column order for a fit: group order, except that curve fits (which use
 * the first feature only, as Kepler's curve predictors use x[0]) get the
 * group's main feature first.
 */
static size_t *
feature_order(const struct gf_dataset *ds, const char *trainer, size_t comp)
{
	size_t *ord = gf_xcalloc(ds->nfeat, sizeof(size_t)), k = 0, m = 0;
	const char *mf;

	for (size_t f = 0; f < ds->nfeat; f++)
		ord[f] = f;
	if (!is_curve(trainer))
		return ord;
	mf = main_feature(ds, ds->comps[comp]);
	for (size_t f = 0; f < ds->nfeat; f++)
		if (strcmp(ds->features[f], mf) == 0)
			m = f;
	ord[k++] = m;
	for (size_t f = 0; f < ds->nfeat; f++)
		if (f != m)
			ord[k++] = f;
	return ord;
}

/*
 * The feature order and y of t: built once, by its first job. Rows are
 * put in that order as each fit gathers them, not copied beforehand.
 */
static void
task_build(struct gf_train_task *t)
{
	const struct gf_dataset *ds = t->ds;

	t->ord = feature_order(ds, t->trainer, t->comp);
	t->names = gf_xcalloc(ds->nfeat + 1, sizeof(char *));
	for (size_t f = 0; f < ds->nfeat; f++)
		t->names[f] = ds->features[t->ord[f]];
	/* One component: Y is already the column, no copy (rows doubles). */
	t->y = ds->ncomp == 1 ? NULL : gf_xcalloc(ds->rows + 1,
	    sizeof(double));
	for (size_t r = 0; t->y != NULL && r < ds->rows; r++)
		t->y[r] = ds->Y[r * ds->ncomp + t->comp];
}

static const double *
task_y(const struct gf_train_task *t)
{
	return t->y != NULL ? t->y : t->ds->Y;
}

/* The fit on the training part, scored on the hold-out. */
static void
job_fit(struct gf_train_task *t, const struct gf_split *sp,
    const struct gf_fit_opts *fo)
{
	const struct gf_dataset *ds = t->ds;
	double *Xtr = NULL, *ytr = NULL, *Xte = NULL, *yte = NULL, *pred;

	gf_gather_rows_ordered(ds->X, task_y(t), ds->nfeat, t->ord, sp->train,
	    sp->ntrain, &Xtr, &ytr);
	t->model = gf_model_fit_steal(t->trainer, Xtr, ytr, sp->ntrain,
	    ds->nfeat, t->names, fo, &t->err);
	if (t->model == NULL) {
		t->failed = 1;
		return;
	}
	gf_model_set_component(t->model, ds->comps[t->comp]);
	gf_gather_rows_ordered(ds->X, task_y(t), ds->nfeat, t->ord, sp->test,
	    sp->ntest, &Xte, &yte);
	pred = gf_xcalloc(sp->ntest + 1, sizeof(double));
	gf_model_predict(t->model, Xte, sp->ntest, pred);
	gf_scores_compute(yte, pred, sp->ntest, &t->test);
	free(pred);
	free(Xte);
	free(yte);
}

/*
 * For each training row of fold s, its row in the fit's training part
 * (s's rows are a subsequence of sp's, in order); NULL if one is not.
 */
static uint32_t *
fit_rows(const struct gf_split *sp, const struct gf_split *s)
{
	uint32_t *map = gf_xcalloc(s->ntrain + 1, sizeof(*map));
	size_t j = 0;

	for (size_t i = 0; i < s->ntrain; i++, j++) {
		while (j < sp->ntrain && sp->train[j] != s->train[i])
			j++;
		if (j == sp->ntrain) {
			free(map);
			return NULL;
		}
		map[i] = (uint32_t)j;
	}
	return map;
}

/*
 * Fold f of gf_model_cv, on its own: the same split, fit and
 * predictions, kept apart until all folds are done (task_finish).
 */
static void
job_fold(struct gf_train_task *t, const struct gf_split *sp, int k, int f,
    int forward, const struct gf_fit_opts *fo)
{
	const struct gf_dataset *ds = t->ds;
	struct gf_split s = GF_SPLIT_INIT;
	struct gf_err *err = &t->ferr[f];
	struct gf_fit_opts wfo = *fo;
	uint32_t *in_fit = NULL;
	struct gf_model *m;
	double *Xt, *yt;

	if ((forward ? gf_split_forward : gf_split_kfold)(sp->train,
	    sp->ntrain, k, f, &s, err) < 0) {
		t->ffail[f] = 1;
		return;
	}
	gf_gather_rows_ordered(ds->X, task_y(t), ds->nfeat, t->ord, s.train,
	    s.ntrain, &Xt, &yt);
	/* SVR: started from the fit's solution (job_run waited for it). */
	if (t->svr_coef != NULL && (in_fit = fit_rows(sp, &s)) != NULL) {
		wfo.svr_start = t->svr_coef;
		wfo.svr_start_rows = in_fit;
	}
	/* Gathered: the fold's training rows are not needed beside its fit. */
	free(s.train);
	s.train = NULL;
	m = gf_model_fit_steal(t->trainer, Xt, yt, s.ntrain, ds->nfeat,
	    t->names, &wfo, err);
	free(in_fit);
	if (m == NULL) {
		gf_err_prefix(err, "cross-validation fold %d of %d", f + 1, k);
		t->ffail[f] = 1;
	} else {
		/*
		 * A few hundred rows at a time, in the fit's column order:
		 * tree ensembles predict them tree by tree.
		 */
		enum { CHUNK = 256 };
		size_t nf = ds->nfeat;
		double *rows = gf_xcalloc(CHUNK * nf + 1, sizeof(double));

		/* Their targets are taken again at the end (task_finish). */
		t->fp[f] = gf_xcalloc(s.ntest + 1, sizeof(double));
		for (size_t i0 = 0; i0 < s.ntest; i0 += CHUNK) {
			size_t n = s.ntest - i0 < CHUNK ? s.ntest - i0 : CHUNK;

			for (size_t i = 0; i < n; i++) {
				const double *x = ds->X + (size_t)s.test[i0 +
				    i] * nf;

				for (size_t c = 0; c < nf; c++)
					rows[i * nf + c] = x[t->ord[c]];
			}
			gf_model_predict(m, rows, n, t->fp[f] + i0);
		}
		free(rows);
		t->fn[f] = s.ntest;
		gf_model_free(m);
	}
	gf_split_release(&s);
}

/*
 * After the last job: the cross-validation scores over the folds in
 * order, as gf_model_cv computes them, row by row (no array of all the
 * folds' rows: at 10^6 rows they were beside the largest models), with
 * the spread of the folds' MAEs; each fold's targets taken again by its
 * split, as its job took its rows. The first failure (the fit's, then
 * the lowest fold's) decides. Frees what the jobs shared.
 */
static void
task_finish(struct gf_train_task *t, const struct gf_split *sp, int k,
    int forward)
{
	if (!t->failed) {
		for (int f = 0; f < k; f++)
			if (t->ffail[f]) {
				t->err = t->ferr[f];
				t->failed = 1;
				gf_model_free(t->model);
				t->model = NULL;
				break;
			}
	}
	if (!t->failed) {
		struct gf_scores_sum all = GF_SCORES_SUM_INIT;
		double *mae = gf_xcalloc((size_t)k + 1, sizeof(*mae));
		double mean = 0, ss = 0;
		const double *y = task_y(t);

		for (int f = 0; f < k && !t->failed; f++) {
			struct gf_split s = GF_SPLIT_INIT;

			if ((forward ? gf_split_forward : gf_split_kfold)(
			    sp->train, sp->ntrain, k, f, &s, &t->err) < 0 ||
			    s.ntest != t->fn[f]) {
				gf_err_set(&t->err, GF_EXIT_SOFTWARE, "train",
				    "fold %d of %d changed", f + 1, k);
				t->failed = 1;
			}
			for (size_t i = 0; !t->failed && i < s.ntest; i++) {
				double yi = y[s.test[i]];

				gf_scores_add(&all, yi, t->fp[f][i]);
				mae[f] += fabs(yi - t->fp[f][i]);
			}
			mae[f] /= s.ntest > 0 ? (double)s.ntest : 1;
			mean += mae[f] / k;
			gf_split_release(&s);
		}
		gf_scores_finish(&all, &t->cv);
		for (int f = 0; f < k; f++)
			ss += (mae[f] - mean) * (mae[f] - mean);
		/* The standard error of the folds' MAEs, NaN below 2 folds. */
		t->cv_se = k < 2 ? NAN : sqrt(ss / (k - 1)) / sqrt(k);
		free(mae);
		if (t->failed) {
			gf_model_free(t->model);
			t->model = NULL;
		}
	}
	for (int f = 0; f < k; f++)
		free(t->fp[f]);
	free(t->fp);
	free(t->fn);
	free(t->ferr);
	free(t->ffail);
	free(t->ord);
	free(t->y);
	free(t->names);
	free(t->svr_coef);
	t->svr_coef = NULL;
	t->fp = NULL;
	t->fn = NULL;
	t->ferr = NULL;
	t->ffail = NULL;
	t->ord = NULL;
	t->y = NULL;
	t->names = NULL;
}

/* The fit (f < 0) or fold f of t, with what it shares with others. */
static void
job_run(struct pool *p, struct gf_train_task *t, int f,
    struct gf_fit_opts *fo)
{
	struct gf_fit_share *share = t->share ? t->share[f + 1] : NULL;
	int warm = folds_from_fit(t, p->folds);

	fo->share = share;
	if (f < 0) {
		if (warm) {
			t->svr_coef = gf_xcalloc(p->split->ntrain + 1,
			    sizeof(double));
			fo->svr_coef = t->svr_coef;
		}
		job_fit(t, p->split, fo);
		fo->svr_coef = NULL;
		pthread_mutex_lock(&p->mu);
		if (t->failed) {
			free(t->svr_coef);
			t->svr_coef = NULL;
		}
		t->fitted = 1;
		pthread_cond_broadcast(&p->fitted);
		pthread_mutex_unlock(&p->mu);
	} else {
		/* Taken once t is fitted when warm (job_take). */
		job_fold(t, p->split, p->folds, f, p->forward, fo);
	}
	fo->share = NULL;
	gf_fit_share_release(share);
}

/*
 * The first job not taken that can start now, marked taken: a fold that
 * starts from its task's fit (folds_from_fit) is passed over until that
 * fit is over. Waits while every job left is such a fold; SIZE_MAX once
 * every job is taken. Under p->mu.
 */
static size_t
job_take(struct pool *p)
{
	for (;;) {
		int waiting = 0;

		while (p->next < p->njobs && p->taken[p->next])
			p->next++;
		for (size_t j = p->next; j < p->njobs; j++) {
			const struct gf_train_task *t =
			    &p->tasks[p->jobs[j].task];

			if (p->taken[j])
				continue;
			if (p->jobs[j].f >= 0 && !t->fitted &&
			    folds_from_fit(t, p->folds)) {
				waiting = 1;
				continue;
			}
			p->taken[j] = 1;
			return j;
		}
		if (!waiting)
			return SIZE_MAX;
		pthread_cond_wait(&p->fitted, &p->mu);
	}
}

static void *
worker(void *arg)
{
	struct pool *p = arg;
	int k = p->folds;

	for (;;) {
		struct gf_train_task *t;
		struct gf_fit_opts fo = GF_FIT_OPTS_INIT;
		size_t j, done = 0;
		int f, last;
		double t0;

		pthread_mutex_lock(&p->mu);
		if ((j = job_take(p)) == SIZE_MAX) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		t = &p->tasks[p->jobs[j].task];
		f = p->jobs[j].f;
		/* The first job of a task builds what its jobs share. */
		while (!t->ready && t->building)
			pthread_cond_wait(&p->built, &p->mu);
		if (!t->ready) {
			t->building = 1;
			pthread_mutex_unlock(&p->mu);
			task_build(t);
			pthread_mutex_lock(&p->mu);
			t->ready = 1;
			pthread_cond_broadcast(&p->built);
		}
		pthread_mutex_unlock(&p->mu);
		fo.seed = p->o->seed;
		fo.threads = p->fit_threads;
		t0 = gf_time_now();
		job_run(p, t, f, &fo);
		pthread_mutex_lock(&p->mu);
		t->seconds += gf_time_now() - t0;
		last = --t->left == 0;
		pthread_mutex_unlock(&p->mu);
		if (!last)
			continue;
		task_finish(t, p->split, k, p->forward);
		/* Counted and reported in one step: "[3/10]" after "[2/10]". */
		pthread_mutex_lock(&p->report);
		done = ++p->done;
		if (p->o->done != NULL)
			p->o->done(t, done, p->n, p->o->arg);
		pthread_mutex_unlock(&p->report);
	}
}

/*
 * Rough relative cost of one fit plus its cross-validation: kernel SVR
 * and the boosted trees take most of a run. A curve fit's cost is known
 * only once it runs: most converge in a few milliseconds, but one that
 * runs to maxfev takes longer than an SVR fit, so curve fits go first,
 * where such a fit overlaps the rest instead of running alone at the
 * end. A component whose target is constant (rapl core/uncore in nx12
 * are all zero) is cheap whatever the trainer.
 */
/* 1 when t's component has the same value in every row. */
static int
target_constant(const struct gf_train_task *t)
{
	const struct gf_dataset *ds = t->ds;
	double y0 = ds->rows > 0 ? ds->Y[t->comp] : 0;

	for (size_t r = 1; r < ds->rows; r++)
		if (ds->Y[r * ds->ncomp + t->comp] != y0)
			return 0;
	return 1;
}

static double
task_cost(const struct gf_train_task *t, int constant)
{
	static const struct {
		const char *trainer;
		double cost;
	} costs[] = {
		{ "LogisticRegressionTrainer", 300 },
		{ "ExponentialRegressionTrainer", 200 },
		{ "LogarithmicRegressionTrainer", 200 },
		{ "SVRRegressorTrainer", 100 },
		{ "SGDRegressorTrainer", 30 },
		{ "GradientBoostingRegressorTrainer", 25 },
		{ "XgboostFitTrainer", 20 },
		{ "KNeighborsRegressorTrainer", 10 },
		{ "PolynomialRegressionTrainer", 2 },
		{ "LinearRegressionTrainer", 1 },
	};
	double c = 3;

	for (size_t i = 0; i < sizeof(costs) / sizeof(*costs); i++)
		if (strcmp(costs[i].trainer, t->trainer) == 0)
			c = costs[i].cost;
	return constant ? c / 100 : c;
}

/*
 * Longest first, so that no core idles at the end waiting for an SVR
 * fit started last. Results stay in tasks[] in their own order, so the
 * output does not depend on the schedule.
 */
static size_t *
task_order(const struct gf_train_task *tasks, size_t n, const char *constant)
{
	size_t *ord = gf_xcalloc(n + 1, sizeof(*ord));
	double *cost = gf_xcalloc(n + 1, sizeof(*cost));

	for (size_t i = 0; i < n; i++) {
		size_t j = i;

		cost[i] = task_cost(&tasks[i], constant[i]);
		/* Insertion sort, stable: tens of tasks. */
		while (j > 0 && cost[ord[j - 1]] < cost[i]) {
			ord[j] = ord[j - 1];
			j--;
		}
		ord[j] = i;
	}
	free(cost);
	return ord;
}

/*
 * Kernel SVR's fits of a dataset's components all run on the same rows:
 * one share per row set (gf_fit_share_new) for all of them, so that
 * each kernel matrix is computed once. Only when the matrices of every
 * row set fit in 256 MB together (single precision), in case they are
 * all held at once; job_order keeps that rare. A component whose target
 * is constant takes no part: its fit ends at the first step and needs
 * one kernel row, not the matrix, which it would hold until its late
 * turn (its jobs go last).
 */
/* 1 when u is an SVR task on t's dataset, with a target that varies. */
static int
svr_beside(const struct gf_train_task *u, const struct gf_train_task *t,
    int u_constant)
{
	return u->ds == t->ds && !u_constant &&
	    strcmp(u->trainer, "SVRRegressorTrainer") == 0;
}

static void
shares_new(struct gf_train_task *tasks, size_t n, const char *constant,
    size_t ntrain, int k)
{
	const double budget = 256.0 * 1024 * 1024;

	if ((double)(k + 1) * (double)ntrain * (double)ntrain * 4 > budget)
		return;
	for (size_t i = 0; i < n; i++) {
		struct gf_train_task *t = &tasks[i];
		int users = 0;

		if (t->share != NULL || !svr_beside(t, t, constant[i]))
			continue;
		for (size_t j = i; j < n; j++)
			users += svr_beside(&tasks[j], t, constant[j]);
		if (users < 2)
			continue;
		t->share = gf_xcalloc((size_t)k + 1, sizeof(*t->share));
		for (int r = 0; r <= k; r++)
			t->share[r] = gf_fit_share_new(users);
		for (size_t j = i + 1; j < n; j++)
			if (svr_beside(&tasks[j], t, constant[j]))
				tasks[j].share = t->share;
	}
}

/* The arrays; their shares were freed by their last users. */
static void
shares_free(struct gf_train_task *tasks, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct gf_fit_share **a = tasks[i].share;

		if (a == NULL)
			continue;
		free(a);
		for (size_t j = i; j < n; j++)
			if (tasks[j].share == a)
				tasks[j].share = NULL;
	}
}

/*
 * The jobs in the order they are taken: tasks in ord's order, each its
 * fit then its folds, except that the fits sharing kernel matrices go
 * row set by row set, nth row sets at a time (every sharer's fits of
 * those, then the next ones): each matrix is then freed soon after it
 * is computed, while the threads still start on different ones. Held
 * all at once, the matrices of a rapl dataset were 50 MB of fresh pages,
 * and zeroing them a sixth of the run's CPU time. Folds that wait for
 * their fit (folds_from_fit) follow it too: job_take passes over them
 * while it runs, so that the other tasks' jobs run beside the fit, and
 * takes them as soon as it is over, so that the cheapest tasks, last in
 * ord, fill the end of the run (when the folds went last, the last of
 * them often ran alone).
 */
static struct job *
job_order(const struct gf_train_task *tasks, size_t n, const size_t *ord,
    int k, long nth)
{
	size_t cap = n * ((size_t)k + 1) + 1, nj = 0;
	struct job *jobs = gf_xcalloc(cap, sizeof(*jobs));
	char *queued = gf_xcalloc(n + 1, 1);

	for (size_t a = 0; a < n; a++) {
		struct gf_fit_share **sh = tasks[ord[a]].share;
		int wait = folds_from_fit(&tasks[ord[a]], k);
		int r1 = 0;

		if (queued[ord[a]])
			continue;
		if (sh == NULL) {
			for (int f = -1; f < k; f++)
				jobs[nj++] = (struct job){ ord[a], f };
			queued[ord[a]] = 1;
			continue;
		}
		if (wait) {
			/* Every sharer's fit first, then their folds. */
			for (size_t b = a; b < n; b++)
				if (tasks[ord[b]].share == sh)
					jobs[nj++] = (struct job){ ord[b], -1 };
			r1 = 1;
		}
		for (int r0 = r1; r0 <= k; r0 += (int)nth)
			for (size_t b = a; b < n; b++) {
				if (tasks[ord[b]].share != sh)
					continue;
				for (int r = r0; r < r0 + nth && r <= k; r++)
					jobs[nj++] = (struct job){ ord[b], r - 1 };
				queued[ord[b]] = 1;
			}
	}
	free(queued);
	return jobs;
}

void
gf_train_run(struct gf_train_task *tasks, size_t n,
    const struct gf_split *sp, const struct gf_train_opts *o)
{
	struct pool p;
	long nth = o->threads > 0 ? o->threads : gf_proc_cpus();
	int k = o->folds > 0 ? o->folds : 0;
	size_t *ord;
	char *constant;

	memset(&p, 0, sizeof(p));
	p.tasks = tasks;
	p.n = n;
	p.split = sp;
	p.o = o;
	if (nth < 1)
		nth = 1;
	/*
	 * The fit and each fold are jobs of their own: a task run whole
	 * (one SVR fit and its five folds) left the other cores idle at
	 * the end of a run.
	 */
	p.folds = k;
	p.forward = o->forward;
	p.njobs = n * ((size_t)k + 1);
	p.fit_threads = 1;
	pthread_mutex_init(&p.mu, NULL);
	pthread_mutex_init(&p.report, NULL);
	pthread_cond_init(&p.built, NULL);
	pthread_cond_init(&p.fitted, NULL);
	for (size_t i = 0; i < n; i++) {
		struct gf_train_task *t = &tasks[i];

		t->left = k + 1;
		t->fitted = 0;
		t->svr_coef = NULL;
		t->fp = gf_xcalloc((size_t)k + 1, sizeof(*t->fp));
		t->fn = gf_xcalloc((size_t)k + 1, sizeof(*t->fn));
		t->ferr = gf_xcalloc((size_t)k + 1, sizeof(*t->ferr));
		t->ffail = gf_xcalloc((size_t)k + 1, sizeof(*t->ffail));
		for (int f = 0; f < k; f++) {
			struct gf_err e = GF_ERR_INIT;

			t->ferr[f] = e;
		}
	}
	constant = gf_xcalloc(n + 1, 1);
	for (size_t i = 0; i < n; i++)
		constant[i] = (char)target_constant(&tasks[i]);
	ord = task_order(tasks, n, constant);
	shares_new(tasks, n, constant, sp->ntrain, k);
	free(constant);
	if ((size_t)nth > p.njobs)
		nth = (long)p.njobs;
	p.jobs = job_order(tasks, n, ord, k, nth);
	p.taken = gf_xcalloc(p.njobs + 1, 1);
	free(ord);
	/* One fit at a time: it may use every thread itself. */
	if (nth <= 1)
		p.fit_threads = o->threads;
	gf_train_threads(worker, &p, nth, o->started);
	shares_free(tasks, n);
	free(p.jobs);
	free(p.taken);
	pthread_cond_destroy(&p.built);
	pthread_cond_destroy(&p.fitted);
	pthread_mutex_destroy(&p.report);
	pthread_mutex_destroy(&p.mu);
}

/* A task on like's dataset and component that did not fail. */
static int
rival(const struct gf_train_task *u, const struct gf_train_task *like)
{
	return u->ds == like->ds && u->comp == like->comp && !u->failed;
}

const struct gf_train_task *
gf_train_select(const struct gf_train_task *tasks, size_t n,
    const struct gf_train_task *like, int one_se,
    const struct gf_train_task **lowest)
{
	const struct gf_train_task *low = NULL, *b;
	double limit;

	for (size_t j = 0; j < n; j++)
		if (rival(&tasks[j], like) && (low == NULL ||
		    tasks[j].cv.mae < low->cv.mae))
			low = &tasks[j];
	*lowest = low;
	if (low == NULL || !one_se || !isfinite(low->cv_se))
		return low;
	limit = low->cv.mae + low->cv_se;
	b = low;
	for (size_t j = 0; j < n; j++) {
		const struct gf_train_task *u = &tasks[j];
		int cu, cb;

		if (!rival(u, like) || !(u->cv.mae <= limit))
			continue;
		cu = gf_model_trainer_complexity(u->trainer);
		cb = gf_model_trainer_complexity(b->trainer);
		if (cu < cb || (cu == cb && u->cv.mae < b->cv.mae))
			b = u;
	}
	return b;
}

/* ---- the run document's entries ---- */

static json_t *
score_json(const struct gf_scores *s, const char *split)
{
	return json_pack("{s:s,s:o,s:o,s:o,s:I}", "split", split, "mae",
	    gf_doc_number(s->mae), "mape", gf_doc_number(s->mape), "rmse",
	    gf_doc_number(s->rmse), "n", (json_int_t)s->n);
}

/* The cross-validation scores with the spread of the folds' MAEs. */
static json_t *
cv_json(const struct gf_train_task *t, const char *cv)
{
	json_t *j = score_json(&t->cv, cv);

	if (isfinite(t->cv_se))
		json_object_set_new(j, "mae_se", json_real(t->cv_se));
	return j;
}

json_t *
gf_train_dataset_json(const struct gf_dataset *ds, const struct gf_split *sp,
    const char *preprocessed)
{
	json_t *feat = json_array();

	for (size_t f = 0; f < ds->nfeat; f++)
		json_array_append_new(feat, json_string(ds->features[f]));
	return json_pack("{s:s,s:s,s:s,s:o,s:O,s:I,s:I,s:I,s:i,s:s}",
	    "source", ds->source, "output_type", ds->otype, "feature_group",
	    ds->group, "features", feat, "missing_features", ds->missing,
	    "rows", (json_int_t)ds->rows, "train_rows", (json_int_t)sp->ntrain,
	    "test_rows", (json_int_t)sp->ntest, "node_type", ds->node_type,
	    "preprocessed", preprocessed);
}

json_t *
gf_train_model_json(const struct gf_train_task *tasks, const char *split,
    const char *cv)
{
	const struct gf_dataset *ds = tasks[0].ds;
	json_t *comps = json_object();
	char *name = gf_xasprintf("%s_%d", tasks[0].trainer, ds->node_type);
	double secs = 0;
	json_t *m;

	for (size_t c = 0; c < ds->ncomp; c++) {
		const struct gf_train_task *t = &tasks[c];

		secs += t->seconds;
		json_object_set_new(comps, ds->comps[c], t->failed ?
		    json_pack("{s:s}", "error", t->err.msg) :
		    json_pack("{s:o,s:o}", "test", score_json(&t->test, split),
		    "cv", cv_json(t, cv)));
	}
	m = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:o,s:f}", "trainer",
	    tasks[0].trainer, "model_name", name, "source", ds->source,
	    "output_type", ds->otype, "feature_group", ds->group, "node_type",
	    ds->node_type, "components", comps, "seconds", secs);
	free(name);
	return m;
}

json_t *
gf_train_best_json(const struct gf_train_task *b,
    const struct gf_train_task *low, const char *rule, const char *split,
    const char *cv)
{
	char *name = gf_xasprintf("%s_%d", b->trainer, b->ds->node_type);
	json_t *e = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o}",
	    "source", b->ds->source, "output_type", b->ds->otype,
	    "feature_group", b->ds->group, "component", b->ds->comps[b->comp],
	    "trainer", b->trainer, "model_name", name, "selected_by", cv,
	    "rule", rule, "lowest_cv_trainer", low->trainer, "cv",
	    cv_json(b, cv), "test", score_json(&b->test, split));

	free(name);
	return e;
}

void
gf_train_threads(void *(*fn)(void *), void *arg, long n,
    void (*started)(void))
{
	pthread_t *th;

	if (n <= 1) {
		if (started != NULL)
			started();
		fn(arg);
		return;
	}
	th = gf_xcalloc((size_t)n, sizeof(*th));
	for (long i = 0; i < n; i++)
		if (pthread_create(&th[i], NULL, fn, arg) != 0)
			GF_BUG("pthread_create failed");
	if (started != NULL)
		started();
	for (long i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	free(th);
}

void
gf_train_tasks_release(struct gf_train_task *tasks, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		gf_model_free(tasks[i].model);
		tasks[i].model = NULL;
	}
}
