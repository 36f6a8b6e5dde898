/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <jansson.h>

#include "gf_trainrun.h"
#include "gf_archive.h"
#include "gf_fs.h"
#include "gf_http.h"
#include "gf_model.h"
#include "gf_parse.h"
#include "gf_pipeline.h"
#include "gf_profile.h"
#include "gf_train.h"
#include "gf_trainset.h"
#include "gf_xalloc.h"
#include "gf_section.h"
#include "gf_banned.h"

#define MIN_TRAIN_PER_FOLD 2

/*
 * How freed memory is kept, for the whole process. On a table of a few
 * thousand rows, every fit allocates and frees blocks of a few MB (an SVR
 * kernel matrix is 8-12 MB), which glibc serves with fresh mmaps: a fifth
 * of gf-train's time went to the page faults. Keeping freed memory in the
 * heap lets the next fit reuse it. Not when any table is large, where it
 * would raise the peak RSS instead (see below).
 */
static void
set_malloc_policy(size_t rows)
{
#ifdef __GLIBC__
	if (rows <= 50000) {
		mallopt(M_MMAP_THRESHOLD, 32 << 20);
		mallopt(M_TRIM_THRESHOLD, 128 << 20);
	} else {
		/*
		 * The opposite for large tables: every block of 1 MB or more
		 * is mapped on its own and unmapped when freed. By default
		 * glibc raises its threshold after the first such free, and
		 * later blocks then stay in the threads' heaps once freed:
		 * the peak RSS of a run depended on how its fits overlapped
		 * (KNN at 10^6 rows: 132-147 MB from run to run).
		 */
		mallopt(M_MMAP_THRESHOLD, 1 << 20);
	}
#else
	(void)rows;
#endif
}

static int
parse_split(const char *spec, size_t rows, unsigned long seed,
    struct gf_split *sp, struct gf_err *err)
{
	const char *colon = strchr(spec, ':');
	double frac = 0.2;

	if (colon != NULL && gf_parse_double(colon + 1, "--split", &frac,
	    err) < 0)
		return -1;
	if (frac <= 0 || frac >= 1)
		return gf_err_set(err, GF_EXIT_USAGE, NULL, "--split: fraction "
		    "must be between 0 and 1");
	if (strncmp(spec, "tail", 4) == 0 && (spec[4] == ':' || !spec[4]))
		return gf_split_tail(rows, frac, sp, err);
	if (strncmp(spec, "random", 6) == 0 && (spec[6] == ':' || !spec[6]))
		return gf_split_random(rows, colon ? frac : 0.1, seed, sp, err);
	return gf_err_set(err, GF_EXIT_USAGE, NULL, "--split: '%s': expected "
	    "tail:FRACTION or random:FRACTION", spec);
}

/* Everything one run needs, so that helpers take one pointer. */
struct run {
	const struct gf_trainrun_opts *o;
	const json_t *doc;
	struct gf_profile prof;
	char *prom_shown;	/* --prometheus without credentials */
	char **sources, **groups, **otypes, **trainers, **thirdparty;
	size_t nthird;
	int explicit_one;
	int abs, dyn;		/* AbsPower, DynPower asked for */
	struct gf_trainset set;
};

static void GF_PRINTF(3, 4)
note(const struct run *r, int warn, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (r->o->say == NULL)
		return;
	va_start(ap, fmt);
	msg = gf_xvasprintf(fmt, ap);
	va_end(ap);
	r->o->say(warn, msg, r->o->arg);
	free(msg);
}

static void GF_PRINTF(2, 3)
group_begin(const struct run *r, const char *fmt, ...)
{
	va_list ap;
	char *title;

	if (r->o->group == NULL)
		return;
	va_start(ap, fmt);
	title = gf_xvasprintf(fmt, ap);
	va_end(ap);
	r->o->group(title, r->o->arg);
	free(title);
}

static void
group_end(const struct run *r)
{
	if (r->o->group != NULL)
		r->o->group(NULL, r->o->arg);
}

/* The training sets, from whichever input was given. */
static int
load_sets(struct run *r, struct gf_err *err)
{
	const struct gf_trainrun_opts *o = r->o;
	struct gf_trainset_req q = {
		.csv = o->csv, .query = o->query, .prom = o->prom,
		.prom_shown = r->prom_shown, .start = o->start, .end = o->end,
		.doc = r->doc, .extractor = o->extractor,
		.isolator = o->isolator, .idle = o->idle,
		.abs_models = o->abs_models,
		.node_type = o->node_type,
		.prof = &r->prof,
		.sources = (const char *const *)r->sources,
		.otypes = (const char *const *)r->otypes,
		.groups = (const char *const *)r->groups,
		.thirdparty = (const char *const *)r->thirdparty,
		.nthird = r->nthird, .explicit_one = r->explicit_one,
		.say = o->say, .arg = o->arg,
	};
	char **windows = NULL, **hints = NULL;
	int rc;

	/* Read only where they apply: raw input, Prometheus. */
	if (o->csv == NULL && o->step != NULL && gf_parse_duration(o->step,
	    "--step", &q.step, err) < 0)
		return -1;
	if (o->csv == NULL && o->query == NULL && o->timeout != NULL &&
	    gf_parse_duration(o->timeout, "--timeout", &q.timeout, err) < 0)
		return -1;
	if (o->windows != NULL)
		gf_parse_list(o->windows, &windows);
	gf_parse_list(o->hints ? o->hints : "stress", &hints);
	q.windows = (const char *const *)windows;
	q.hints = (const char *const *)hints;
	rc = gf_trainset_load(&q, &r->set, err);
	gf_list_free(windows);
	gf_list_free(hints);
	return rc;
}

int
gf_trainrun_dyn_table(const char *path)
{
	const char *base;

	if (path == NULL || strcmp(path, "-") == 0)
		return 0;
	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	return strncmp(base, "preprocess_dyn_", 15) == 0;
}

/* A list option's names; none at all (", ") is a usage error. */
static int
names(const char *value, const char *what, char ***out, struct gf_err *err)
{
	if (gf_parse_list(value, out) == 0)
		return gf_err_set(err, GF_EXIT_USAGE, NULL, "no %s given in "
		    "'%s'", what, value);
	return 0;
}

/* Check names now, before any work: unknown ones are usage errors. */
static int
check_names(struct run *r, struct gf_err *err)
{
	const struct gf_fgroup *fg;
	const char *sources = r->o->sources;
	size_t n;

	if (sources == NULL)
		sources = r->o->csv ? "acpi,rapl-sysfs" : "rapl-sysfs,acpi";
	if (names(sources, "energy source", &r->sources, err) < 0)
		return -1;
	for (size_t i = 0; r->sources[i] != NULL; i++) {
		const char *c = gf_source_canonical(r->sources[i]);

		if (c == NULL)
			return gf_err_set(err, GF_EXIT_USAGE, NULL, "unknown "
			    "energy source '%s'", r->sources[i]);
		free(r->sources[i]);
		r->sources[i] = gf_xstrdup(c);
	}
	if (names(r->o->output_types, "output type", &r->otypes, err) < 0)
		return -1;
	for (size_t i = 0; r->otypes[i] != NULL; i++)
		if (strcmp(r->otypes[i], "AbsPower") != 0 &&
		    strcmp(r->otypes[i], "DynPower") != 0)
			return gf_err_set(err, GF_EXIT_USAGE, NULL, "unknown "
			    "output type '%s' (AbsPower, DynPower)",
			    r->otypes[i]);
	r->abs = gf_list_has((const char *const *)r->otypes, "AbsPower");
	r->dyn = gf_list_has((const char *const *)r->otypes, "DynPower");
	if (r->abs && gf_trainrun_dyn_table(r->o->csv))
		note(r, 1, "%s: its name says DynPower (idle power removed): "
		    "AbsPower models of it predict dynamic power", r->o->csv);
	if (strcmp(r->o->trainers, "all") == 0 ||
	    strcmp(r->o->trainers, "default") == 0) {
		const char *const *all = gf_model_trainers(&n);

		r->trainers = gf_xcalloc(n + 1, sizeof(char *));
		for (size_t i = 0; i < n; i++)
			r->trainers[i] = gf_xstrdup(all[i]);
	} else {
		if (names(r->o->trainers, "trainer", &r->trainers, err) < 0)
			return -1;
		for (size_t i = 0; r->trainers[i] != NULL; i++)
			if (!gf_model_trainer_known(r->trainers[i]))
				return gf_err_set(err, GF_EXIT_USAGE, NULL,
				    "unknown trainer '%s'", r->trainers[i]);
	}
	if (r->o->thirdparty != NULL)
		r->nthird = gf_parse_list(r->o->thirdparty,
		    &r->thirdparty);
	if (r->o->groups == NULL || strcmp(r->o->groups, "all") == 0) {
		const struct gf_fgroup *all = gf_fgroups(&n);
		size_t k = 0;

		r->groups = gf_xcalloc(n + r->prof.ngroups + 2,
		    sizeof(char *));
		for (size_t i = 0; i < r->prof.ngroups; i++)
			r->groups[k++] = gf_xstrdup(r->prof.groups[i].name);
		for (size_t i = 0; r->prof.ngroups == 0 && i < n; i++)
			r->groups[k++] = gf_xstrdup(all[i].name);
		if (r->nthird > 0)
			r->groups[k++] = gf_xstrdup("ThirdParty");
	} else {
		if (names(r->o->groups, "feature group", &r->groups, err) < 0)
			return -1;
		for (size_t i = 0; r->groups[i] != NULL; i++) {
			int own = 0;

			for (size_t k = 0; k < r->prof.ngroups; k++)
				own |= !strcmp(r->prof.groups[k].name,
				    r->groups[i]);
			fg = gf_fgroup_find(r->groups[i]);
			if (!own && fg == NULL &&
			    strcmp(r->groups[i], "ThirdParty") != 0)
				return gf_err_set(err, GF_EXIT_USAGE, NULL,
				    "unknown feature group '%s'",
				    r->groups[i]);
			if (strcmp(r->groups[i], "ThirdParty") == 0 &&
			    r->nthird == 0)
				return gf_err_set(err, GF_EXIT_USAGE, NULL,
				    "feature group ThirdParty needs "
				    "--thirdparty-metrics");
		}
	}
	r->explicit_one = r->o->groups != NULL && r->groups[0] != NULL &&
	    r->groups[1] == NULL && r->sources[1] == NULL &&
	    strcmp(r->o->groups, "all") != 0;
	if (strcmp(r->o->isolator, "none") != 0 &&
	    strcmp(r->o->isolator, "min") != 0 &&
	    strcmp(r->o->isolator, "profile") != 0 &&
	    strcmp(r->o->isolator, "trainer") != 0)
		return gf_err_set(err, GF_EXIT_USAGE, NULL, "unknown isolator "
		    "'%s' (none, min, profile, trainer)", r->o->isolator);
	if (strcmp(r->o->isolator, "trainer") == 0 && r->dyn &&
	    (r->o->abs_models == NULL || r->o->csv != NULL))
		return gf_err_set(err, GF_EXIT_USAGE, NULL, "isolator trainer "
		    "needs raw queries and --abs-models DIR");
	if (strcmp(r->o->isolator, "profile") == 0 && r->o->idle == NULL &&
	    r->dyn)
		return gf_err_set(err, GF_EXIT_USAGE, NULL, "isolator profile "
		    "needs --idle FILE");
	if (r->o->csv != NULL && r->dyn &&
	    strcmp(r->o->isolator, "profile") == 0)
		return gf_err_set(err, GF_EXIT_USAGE, NULL, "isolator profile "
		    "needs raw queries (--from-query or --prometheus)");
	if (r->o->extractor != NULL && strcmp(r->o->extractor, "default") &&
	    strcmp(r->o->extractor, "smooth"))
		return gf_err_set(err, GF_EXIT_USAGE, NULL, "unknown extractor "
		    "'%s' (default, smooth)", r->o->extractor);
	if (strcmp(r->o->cv_method, "blocked") != 0 &&
	    strcmp(r->o->cv_method, "forward") != 0)
		return gf_err_set(err, GF_EXIT_USAGE, NULL, "unknown "
		    "cross-validation method '%s' (blocked, forward)",
		    r->o->cv_method);
	if (strcmp(r->o->select, "1se") != 0 &&
	    strcmp(r->o->select, "min") != 0)
		return gf_err_set(err, GF_EXIT_USAGE, NULL, "unknown "
		    "selection rule '%s' (1se, min)", r->o->select);
	if (strncmp(r->o->split, "tail", 4) != 0 &&
	    strncmp(r->o->split, "random", 6) != 0)
		return gf_err_set(err, GF_EXIT_USAGE, NULL, "--split: '%s': "
		    "expected tail:FRACTION or random:FRACTION", r->o->split);
	return 0;
}

/* The model tree's settings, from the run's. */
static struct gf_pipeline
pipeline_of(const struct run *r)
{
	const char *const *all = (const char *const *)r->trainers;
	struct gf_pipeline p = { r->o->out, r->o->pipeline, r->o->extractor,
		r->o->isolator, r->prof.name, r->o->split, r->abs ? all : NULL,
		r->dyn ? all : NULL, r->o->threads };

	return p;
}

/* Progress, through the notes, as each model is done. */
static void
task_done(const struct gf_train_task *t, size_t ndone, size_t ntasks,
    void *arg)
{
	const struct run *r = arg;

	if (t->failed)
		note(r, 1, "[%zu/%zu] %s %s: %s", ndone, ntasks, t->trainer,
		    t->ds->comps[t->comp], t->err.msg);
	else
		note(r, 0, "[%zu/%zu] %s %s (%s %s %s): test MAE %.3f, cv MAE "
		    "%.3f, %.2fs", ndone, ntasks, t->trainer,
		    t->ds->comps[t->comp], t->ds->source, t->ds->otype,
		    t->ds->group, t->test.mae, t->cv.mae, t->seconds);
}

/*
 * Whether libarchive should load while the first fits run
 * (gf_archive_preload, as gf_train_run's workers start): the model zips
 * come last, and on a small input its 5-7 ms are a few percent of the
 * run. Not on a large one: its 3 MB would then sit in memory beside the
 * largest fits, for nothing measurable in seconds.
 */
static int
small_input(const struct gf_trainrun_opts *o)
{
	const char *path = o->csv != NULL ? o->csv : o->query;
	struct stat st;

	if (path == NULL || strcmp(path, "-") == 0)
		return 1;
	return stat(path, &st) == 0 && st.st_size <= 32 << 20;
}

/* Train every dataset; fill section.models, .best, .datasets. */
static int
train_all(struct run *r, json_t *sec, struct gf_err *err)
{
	struct gf_train_task *tasks = NULL;
	struct gf_pipeline pl = pipeline_of(r);
	struct gf_pipeline_model *pm = NULL;
	struct gf_split *splits;
	size_t ntrain = 0, ntask = 0, k = 0, npm = 0;
	json_t *models = json_array(), *best = json_array(),
	    *dsets = json_array();
	char *cvname = gf_xasprintf("%s-cv:%lld", r->o->cv_method,
	    r->o->folds);
	struct gf_train_opts to = { (unsigned long)r->o->seed,
	    (int)r->o->folds, strcmp(r->o->cv_method, "forward") == 0,
	    r->o->threads, task_done, r,
	    small_input(r->o) ? gf_archive_preload : NULL };
	int rc = -1;

	for (; r->trainers[ntrain] != NULL; ntrain++)
		;
	splits = gf_xcalloc(r->set.nds + 1, sizeof(*splits));
	for (size_t d = 0; d < r->set.nds; d++) {
		struct gf_dataset *ds = &r->set.ds[d];
		char *pre = gf_pipeline_table_name(&pl, ds);

		if (parse_split(r->o->split, ds->rows,
		    (unsigned long)r->o->seed, &splits[d], err) < 0) {
			gf_err_prefix(err, "%s %s %s (%zu rows)", ds->source,
			    ds->otype, ds->group, ds->rows);
			free(pre);
			goto out;
		}
		if (splits[d].ntrain < (size_t)r->o->folds *
		    MIN_TRAIN_PER_FOLD) {
			gf_err_set(err, GF_EXIT_DATAERR, "train", "%s %s %s: "
			    "%zu rows: the training part (%zu rows) is too "
			    "short for %lld cross-validation folds", ds->source,
			    ds->otype, ds->group, ds->rows, splits[d].ntrain,
			    r->o->folds);
			free(pre);
			goto out;
		}
		json_array_append_new(dsets, gf_train_dataset_json(ds,
		    &splits[d], pre));
		free(pre);
		ntask += ntrain * ds->ncomp;
	}
	tasks = gf_xcalloc(ntask + 1, sizeof(*tasks));
	pm = gf_xcalloc(ntask + 1, sizeof(*pm));
	{
		size_t maxrows = 0;

		for (size_t d = 0; d < r->set.nds; d++)
			if (r->set.ds[d].rows > maxrows)
				maxrows = r->set.ds[d].rows;
		set_malloc_policy(maxrows);
	}
	for (size_t d = 0; d < r->set.nds; d++) {
		const struct gf_dataset *ds = &r->set.ds[d];
		size_t first = k;

		for (size_t t = 0; t < ntrain; t++)
			for (size_t c = 0; c < ds->ncomp; c++) {
				tasks[k].ds = &r->set.ds[d];
				tasks[k].trainer = r->trainers[t];
				tasks[k].comp = c;
				k++;
			}
		group_begin(r, "training %s %s %s: %zu trainers x %zu "
		    "components, %zu rows", ds->source, ds->otype, ds->group,
		    ntrain, ds->ncomp, ds->rows);
		gf_train_run(&tasks[first], k - first, &splits[d], &to);
		to.started = NULL;
		group_end(r);
	}
	for (size_t i = 0; i < ntask; i += tasks[i].ds->ncomp) {
		json_t *m = gf_train_model_json(&tasks[i], r->o->split,
		    cvname);

		pm[npm].tasks = &tasks[i];
		pm[npm++].entry = m;
		json_array_append_new(models, m);
	}
	/* Best per (dataset, component), by the rule; see select_best. */
	for (size_t i = 0; i < ntask; i++) {
		const struct gf_train_task *t = &tasks[i], *b, *low;

		if (t->trainer != r->trainers[0])
			continue;
		b = gf_train_select(tasks, ntask, t,
		    strcmp(r->o->select, "1se") == 0, &low);
		if (b == NULL)
			continue;
		{
			char *passed = b == low ? gf_xstrdup("") :
			    gf_xasprintf("; lowest: %s, %.3f +- %.3f",
			    low->trainer, low->cv.mae, low->cv_se);

			note(r, 0, "best for %s %s %s %s: %s (cv MAE %.3f%s)",
			    b->ds->source, b->ds->otype, b->ds->group,
			    b->ds->comps[b->comp], b->trainer, b->cv.mae,
			    passed);
			free(passed);
		}
		json_array_append_new(best, gf_train_best_json(b, low,
		    r->o->select, r->o->split, cvname));
	}
	if (r->o->extract_only) {
		rc = 0;
		goto out;
	}
	if (gf_pipeline_write(&pl, r->set.ds, r->set.nds, pm, npm, err) < 0)
		goto out;
	rc = 0;
out:
	json_object_set_new(sec, "datasets", dsets);
	json_object_set_new(sec, "models", models);
	json_object_set_new(sec, "best", best);
	gf_train_tasks_release(tasks, ntask);
	free(tasks);
	free(pm);
	for (size_t d = 0; d < r->set.nds; d++)
		gf_split_release(&splits[d]);
	free(splits);
	free(cvname);
	return rc;
}

/* --extract-only: the preprocessed tables, nothing trained. */
static int
extract_only(struct run *r, json_t *sec, struct gf_err *err)
{
	struct gf_pipeline pl = pipeline_of(r);
	json_t *files = json_array();
	char *dir = gf_xasprintf("%s/%s/preprocessed_data", r->o->out,
	    r->o->pipeline);
	int rc = -1;

	if (gf_fs_mkdir_p(dir, 0755, err) < 0)
		goto out;
	for (size_t d = 0; d < r->set.nds; d++) {
		const struct gf_dataset *ds = &r->set.ds[d];
		char *rel = gf_pipeline_table_name(&pl, ds);
		char *p = gf_xasprintf("%s/%s/%s", r->o->out, r->o->pipeline,
		    rel);

		rc = gf_pipeline_write_table(ds, p, 1, err);
		json_array_append_new(files, json_pack("{s:s,s:s,s:s,s:s,s:I}",
		    "source", ds->source, "output_type", ds->otype,
		    "feature_group", ds->group, "file", rel, "rows",
		    (json_int_t)ds->rows));
		free(rel);
		free(p);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	rc = 0;
out:
	json_object_set_new(sec, "preprocessed", files);
	free(dir);
	return rc;
}

/* An input file as the document holds it: absolute, "-" for stdin. */
static json_t *
input_path(const char *path)
{
	char *abs;
	json_t *v;

	if (strcmp(path, "-") == 0)
		return json_string(path);
	abs = gf_section_path(path);
	v = json_string(abs);
	free(abs);
	return v;
}

/* The settings in the section, as they were before any data is read. */
static void
settings_json(const struct run *r, json_t *sec)
{
	const struct gf_trainrun_opts *o = r->o;
	char *out = gf_section_path(o->out);

	json_object_set_new(sec, "pipeline", json_string(o->pipeline));
	json_object_set_new(sec, GF_FIELD_TRAIN_OUT, json_sprintf("%s/%s",
	    out, o->pipeline));
	free(out);
	json_object_set_new(sec, "input", o->csv ? json_pack("{s:o}", "csv",
	    input_path(o->csv)) : o->query ? json_pack("{s:o}", "query",
	    input_path(o->query)) :
	    json_pack("{s:s,s:s}", "prometheus", r->prom_shown, "profile",
	    r->prof.name));
	json_object_set_new(sec, "split", json_pack("{s:s,s:s}", "test",
	    o->split, "cv", strcmp(o->cv_method, "forward") == 0 ?
	    "forward-chaining blocked folds on the training part" :
	    "blocked k-fold on the training part"));
	json_object_set_new(sec, "cv_folds", json_integer(o->folds));
	json_object_set_new(sec, "cv_method", json_string(o->cv_method));
	json_object_set_new(sec, "select", json_string(o->select));
	json_object_set_new(sec, "seed", json_integer(o->seed));
	json_object_set_new(sec, "extractor", json_string(o->extractor ?
	    o->extractor : "default"));
	json_object_set_new(sec, "isolator", json_string(o->isolator));
}

int
gf_trainrun(const struct gf_trainrun_opts *o, const json_t *doc,
    json_t *sec, struct gf_err *err)
{
	struct run r;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.doc = doc;
	if (o->csv == NULL && o->query == NULL && o->prom == NULL) {
		gf_err_set(err, GF_EXIT_USAGE, NULL, "no input: give "
		    "--from-csv, --from-query or --prometheus "
		    "(or GF_PROMETHEUS_URL)");
		goto out;
	}
	if (o->prom != NULL)
		r.prom_shown = gf_http_redact_url(o->prom);
	if (o->csv == NULL) {
		if (gf_profile_load(o->profile, &r.prof, err) < 0)
			goto out;
	} else
		r.prof.name = gf_xstrdup("csv");
	if (check_names(&r, err) < 0)
		goto out;
	for (size_t i = 0; i < r.nthird; i++)
		gf_profile_add_feature(&r.prof, r.thirdparty[i]);
	if (strcmp(r.prof.name, "csv") == 0)
		for (size_t i = 0; i < r.nthird; i++) {
			/* CSV columns carry the feature names directly. */
			size_t len = strlen(r.thirdparty[i]);

			if (len > 6 && !strcmp(r.thirdparty[i] + len - 6,
			    "_total"))
				r.thirdparty[i][len - 6] = '\0';
		}
	settings_json(&r, sec);
	if (load_sets(&r, err) < 0)
		goto out;
	if (r.set.nds == 0) {
		gf_err_set(err, GF_EXIT_DATAERR, "train", "nothing to train: "
		    "every (source, output type, feature group) was skipped "
		    "(see train.skipped)");
		goto out;
	}
	if (o->extract_only)
		rc = extract_only(&r, sec, err);
	else
		rc = train_all(&r, sec, err);
out:
	json_object_set_new(sec, "skipped", r.set.skipped != NULL ?
	    json_incref(r.set.skipped) : json_array());
	gf_trainset_release(&r.set);
	gf_list_free(r.sources);
	gf_list_free(r.groups);
	gf_list_free(r.otypes);
	gf_list_free(r.trainers);
	gf_list_free(r.thirdparty);
	gf_profile_release(&r.prof);
	free(r.prom_shown);
	return rc;
}
