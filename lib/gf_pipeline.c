/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gf_csv.h"
#include "gf_fs.h"
#include "gf_log.h"
#include "gf_modeldb.h"
#include "gf_parse.h"
#include "gf_pipeline.h"
#include "gf_proc.h"
#include "gf_profile.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

/*
 * The preprocessed table of a dataset (timestamp, features, power,
 * node_type), built only when it is written: it is a copy of the data.
 */
static void
dataset_table(const struct gf_dataset *ds, struct gf_csv *t)
{
	size_t c = 0, f0 = ds->ts ? 1 : 0;

	t->rows = ds->rows;
	t->cols = f0 + ds->nfeat + ds->ncomp + 1;
	t->names = gf_xcalloc(t->cols + 1, sizeof(char *));
	t->data = gf_xcalloc(t->rows * t->cols + 1, sizeof(double));
	if (ds->ts)
		t->names[c++] = gf_xstrdup("timestamp");
	for (size_t f = 0; f < ds->nfeat; f++)
		t->names[c++] = gf_xstrdup(ds->features[f]);
	for (size_t k = 0; k < ds->ncomp; k++)
		t->names[c++] = gf_xasprintf("%s_power", ds->comps[k]);
	t->names[c] = gf_xstrdup("node_type");
	for (size_t r = 0; r < ds->rows; r++) {
		double *row = &t->data[r * t->cols];

		if (ds->ts)
			row[0] = ds->ts[r];
		memcpy(&row[f0], &ds->X[r * ds->nfeat],
		    ds->nfeat * sizeof(double));
		memcpy(&row[f0 + ds->nfeat], &ds->Y[r * ds->ncomp],
		    ds->ncomp * sizeof(double));
		row[t->cols - 1] = ds->node_type;
	}
}

int
gf_pipeline_write_table(const struct gf_dataset *ds, const char *path,
    int sync, struct gf_err *err)
{
	struct gf_csv t = GF_CSV_INIT;
	int rc;

	if (ds->same_as != NULL) {
		struct gf_err e = GF_ERR_INIT;

		if (gf_modeldb_copy_csv(ds->same_as, ds->same_st, path, sync,
		    &e) == 0)
			return 0;
		gf_debug("%s: %s; writing the table", path, e.msg);
	}
	dataset_table(ds, &t);
	rc = gf_modeldb_write_csv(path, &t, sync, err);
	gf_csv_release(&t);
	return rc;
}

char *
gf_pipeline_table_name(const struct gf_pipeline *p,
    const struct gf_dataset *ds)
{
	const char *x = p->extractor ? p->extractor : "default";

	if (strcmp(ds->otype, "AbsPower") == 0)
		return gf_xasprintf("preprocessed_data/preprocess_abs_%s_%s_"
		    "%s.csv", x, ds->source, ds->group);
	return gf_xasprintf("preprocessed_data/preprocess_dyn_%s_%s_%s_%s.csv",
	    x, p->isolator, ds->source, ds->group);
}

static json_t *
names_json(const char *const *names)
{
	json_t *a = json_array();

	for (size_t i = 0; names != NULL && names[i] != NULL; i++)
		json_array_append_new(a, json_string(names[i]));
	return a;
}

static json_t *
pipeline_metadata(const struct gf_pipeline *p)
{
	json_t *md = json_object();
	char now[32];

	gf_time_format(gf_time_now(), 0, now);
	json_object_set_new(md, "name", json_string(p->name));
	json_object_set_new(md, "isolator", json_string(p->isolator));
	json_object_set_new(md, "extractor", json_string(p->extractor ?
	    p->extractor : "default"));
	json_object_set_new(md, "abs_trainers", names_json(p->abs_trainers));
	json_object_set_new(md, "dyn_trainers", names_json(p->dyn_trainers));
	json_object_set_new(md, "metric_type", json_string(p->metric_type));
	json_object_set_new(md, "init_time", json_string(now));
	json_object_set_new(md, "last_update_time", json_string(now));
	json_object_set_new(md, "publisher", json_string("gf-train"));
	return md;
}

/*
 * The preprocessed tables and the models of a run, written by threads of
 * their own (write_models): the tables first, then the models.
 */
struct model_writes {
	const struct gf_pipeline *pl;
	const struct gf_dataset *ds;
	size_t nds;
	const struct gf_pipeline_model *m;
	const char *root;
	const char *split;
	pthread_mutex_t mu;
	size_t next, n;
	size_t *order;		/* the models, largest first */
	int stop;		/* a write failed: take no more */
	json_t **files, **meta;	/* per model: new references, or NULL */
	struct gf_err *errs;	/* per model */
	struct gf_err *terrs;	/* per table */
};

/* Dataset d's preprocessed table under w->root. */
static int
write_table(struct model_writes *w, size_t d)
{
	char *rel = gf_pipeline_table_name(w->pl, &w->ds[d]);
	char *p = gf_xasprintf("%s/%s", w->root, rel);
	int rc = gf_pipeline_write_table(&w->ds[d], p, 0, &w->terrs[d]);

	free(rel);
	free(p);
	return rc;
}

/*
 * Model i's folder, zip and weight JSON under w->root; none for a model
 * that failed on any component.
 */
static int
write_model(struct model_writes *w, size_t i)
{
	const struct gf_train_task *t = w->m[i].tasks;
	const struct gf_dataset *ds = t->ds;
	struct gf_modeldb_model mm;
	struct gf_model **mods;
	struct gf_scores *sc;
	char *rel, *fg;
	int rc;

	for (size_t c = 0; c < ds->ncomp; c++)
		if (t[c].failed)
			return 0;
	mods = gf_xcalloc(ds->ncomp, sizeof(*mods));
	sc = gf_xcalloc(ds->ncomp, sizeof(*sc));
	for (size_t c = 0; c < ds->ncomp; c++) {
		mods[c] = t[c].model;
		sc[c] = t[c].test;
	}
	mm.trainer = t->trainer;
	mm.node_type = ds->node_type;
	mm.source = ds->source;
	mm.output_type = ds->otype;
	mm.feature_group = ds->group;
	mm.split = w->split;
	mm.components = (const char *const *)ds->comps;
	mm.models = mods;
	mm.test = sc;
	mm.ncomp = ds->ncomp;
	rel = gf_xasprintf("%s/%s/%s", ds->source, ds->otype, ds->group);
	fg = gf_xasprintf("%s/%s", w->root, rel);
	rc = gf_modeldb_write_model(fg, rel, &mm, &w->files[i], 0,
	    &w->errs[i]);
	if (rc == 0)
		w->meta[i] = gf_modeldb_metadata(&mm);
	free(rel);
	free(fg);
	free(mods);
	free(sc);
	return rc;
}

static void *
model_writer(void *arg)
{
	struct model_writes *w = arg;

	for (;;) {
		size_t k;
		int rc;

		pthread_mutex_lock(&w->mu);
		k = w->stop ? w->nds + w->n : w->next++;
		pthread_mutex_unlock(&w->mu);
		if (k >= w->nds + w->n)
			return NULL;
		rc = k < w->nds ? write_table(w, k) :
		    write_model(w, w->order[k - w->nds]);
		if (rc < 0) {
			pthread_mutex_lock(&w->mu);
			w->stop = 1;
			pthread_mutex_unlock(&w->mu);
		}
	}
}

/* Model i's numbers, over its components (0 when one failed). */
static size_t
model_values(const struct gf_pipeline_model *m)
{
	size_t n = 0;

	for (size_t c = 0; c < m->tasks->ds->ncomp; c++)
		if (m->tasks[c].model != NULL)
			n += gf_model_nvalues(m->tasks[c].model);
	return n;
}

static int
cmp_values_desc(const void *a, const void *b, void *arg)
{
	const size_t *v = arg;
	size_t x = v[*(const size_t *)a], y = v[*(const size_t *)b];

	if (x != y)
		return x < y ? 1 : -1;
	return (*(const size_t *)a > *(const size_t *)b) -
	    (*(const size_t *)a < *(const size_t *)b);
}

/*
 * Every preprocessed table and every model's files under root, on as
 * many threads as training used: compressing and writing them one after
 * another was a sixth of a run on a few thousand rows. The tables go
 * first, then the largest models, so that the last one taken is short
 * (XGBoost's, taken last, kept one thread writing alone for half the
 * time). Each model's "files" and its row of the <source>/<OutputType>
 * metadata table (csvrows) are then added in the models' order; the
 * first failure in the order tables, models is reported.
 */
static int
write_models(const struct gf_pipeline *p, const struct gf_dataset *sets,
    size_t nds, const struct gf_pipeline_model *m, size_t nm,
    const char *root, json_t *csvrows, struct gf_err *err)
{
	struct model_writes w;
	long nth = p->threads > 0 ? p->threads : gf_proc_cpus();
	int rc = 0;

	memset(&w, 0, sizeof(w));
	w.pl = p;
	w.ds = sets;
	w.nds = nds;
	w.m = m;
	w.root = root;
	w.split = p->split;
	w.n = nm;
	w.files = gf_xcalloc(w.n + 1, sizeof(*w.files));
	w.meta = gf_xcalloc(w.n + 1, sizeof(*w.meta));
	w.errs = gf_xcalloc(w.n + 1, sizeof(*w.errs));
	w.terrs = gf_xcalloc(nds + 1, sizeof(*w.terrs));
	w.order = gf_xcalloc(w.n + 1, sizeof(*w.order));
	{
		size_t *values = gf_xcalloc(w.n + 1, sizeof(*values));

		for (size_t i = 0; i < w.n; i++) {
			w.order[i] = i;
			values[i] = model_values(&m[i]);
		}
		qsort_r(w.order, w.n, sizeof(*w.order), cmp_values_desc,
		    values);
		free(values);
	}
	pthread_mutex_init(&w.mu, NULL);
	if (nth > (long)(w.nds + w.n))
		nth = (long)(w.nds + w.n);
	gf_train_threads(model_writer, &w, nth, NULL);
	pthread_mutex_destroy(&w.mu);
	for (size_t d = 0; d < nds && rc == 0; d++)
		if (w.terrs[d].exit != 0) {
			*err = w.terrs[d];
			rc = -1;
		}
	for (size_t i = 0; i < w.n; i++) {
		const struct gf_dataset *ds = m[i].tasks->ds;
		json_t *rows;
		char *key;

		if (rc == 0 && w.errs[i].exit != 0) {
			*err = w.errs[i];
			rc = -1;
		}
		if (rc < 0 || w.files[i] == NULL) {
			json_decref(w.files[i]);
			json_decref(w.meta[i]);
			continue;
		}
		json_object_set_new(m[i].entry, "files", w.files[i]);
		key = gf_xasprintf("%s/%s", ds->source, ds->otype);
		rows = json_object_get(csvrows, key);
		if (rows == NULL) {
			rows = json_array();
			json_object_set_new(csvrows, key, rows);
		}
		json_array_append_new(rows, w.meta[i]);
		free(key);
	}
	free(w.files);
	free(w.meta);
	free(w.errs);
	free(w.terrs);
	free(w.order);
	return rc;
}

int
gf_pipeline_write(const struct gf_pipeline *pl,
    const struct gf_dataset *ds, size_t nds,
    const struct gf_pipeline_model *m, size_t nm, struct gf_err *err)
{
	char *stage = NULL, *root = NULL, *dest = NULL, *old = NULL, *p = NULL;
	json_t *md = NULL, *csvrows = json_object();
	int rc = -1, keep = 0;

	if (gf_fs_mkdir_p(pl->out, 0755, err) < 0)
		goto out;
	stage = gf_xasprintf("%s/.%s.tmp.XXXXXX", pl->out, pl->name);
	if (mkdtemp(stage) == NULL) {
		gf_err_set(err, GF_EXIT_CANTCREAT, "train", "cannot create a "
		    "directory in '%s': %s", pl->out, strerror(errno));
		free(stage);
		stage = NULL;
		goto out;
	}
	root = gf_xasprintf("%s/%s", stage, pl->name);
	dest = gf_xasprintf("%s/%s", pl->out, pl->name);
	p = gf_xasprintf("%s/preprocessed_data", root);
	if (gf_fs_mkdir_p(p, 0755, err) < 0)
		goto out;
	md = pipeline_metadata(pl);
	free(p);
	p = gf_xasprintf("%s/metadata.json", root);
	{
		char *s = json_dumps(md, JSON_INDENT(2) |
		    JSON_REAL_PRECISION(17));

		rc = gf_fs_write_staged(p, s, strlen(s), 0644, err);
		free(s);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	if (write_models(pl, ds, nds, m, nm, root, csvrows, err) < 0)
		goto out;
	{
		const char *key;
		json_t *rows;

		json_object_foreach(csvrows, key, rows) {
			const char *slash = strchr(key, '/');
			char *src = gf_xstrndup(key, (size_t)(slash - key));
			size_t nc;
			const char *const *comps = gf_source_components(src,
			    &nc);

			free(p);
			p = gf_xasprintf("%s/%s/%s_%s_model_metadata.csv", root,
			    key, src, slash + 1);
			rc = gf_modeldb_write_metadata_csv(p, rows, comps, nc,
			    0, err);
			free(src);
			if (rc < 0)
				goto out;
			rc = -1;
		}
	}
	/*
	 * Every file above was written without an fsync of its own: the
	 * tree goes to disk at once, before it replaces the old one.
	 */
	if (gf_fs_sync_tree(root, err) < 0)
		goto out;
	/* Swap the finished tree in; an older one goes only after. */
	if (gf_fs_exists(dest)) {
		old = gf_xasprintf("%s/old", stage);
		if (rename(dest, old) < 0) {
			gf_err_set(err, GF_EXIT_CANTCREAT, "train", "cannot "
			    "move '%s' aside: %s", dest, strerror(errno));
			goto out;
		}
	}
	if (rename(root, dest) < 0) {
		int e = errno;

		/* If the previous tree cannot go back, it stays in stage. */
		keep = old != NULL && rename(old, dest) < 0;
		gf_err_set(err, GF_EXIT_CANTCREAT, "train", "cannot rename "
		    "'%s' to '%s': %s%s%s", root, dest, strerror(e), keep ?
		    "; the previous tree is in " : "", keep ? old : "");
		goto out;
	}
	rc = 0;
out:
	if (stage != NULL && !keep) {
		struct gf_err e2 = GF_ERR_INIT;

		gf_fs_remove_tree(stage, &e2);
	}
	free(stage);
	free(root);
	free(dest);
	free(old);
	free(p);
	json_decref(md);
	json_decref(csvrows);
	return rc;
}
