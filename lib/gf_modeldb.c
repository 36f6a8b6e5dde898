/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_modeldb.h"
#include "gf_archive.h"
#include "gf_buf.h"
#include "gf_fs.h"
#include "gf_model_file.h"
#include "gf_model_weights.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

const char *
gf_modeldb_model_class(const char *trainer)
{
	if (strcmp(trainer, "XgboostFitTrainer") == 0)
		return "xgboost";
	if (strcmp(trainer, "LogarithmicRegressionTrainer") == 0 ||
	    strcmp(trainer, "ExponentialRegressionTrainer") == 0 ||
	    strcmp(trainer, "LogisticRegressionTrainer") == 0)
		return "curvefit";
	return "scikit";
}

static int
is_int_col(const char *name)
{
	return strcmp(name, "timestamp") == 0 || strcmp(name, "node_type") == 0;
}

/*
 * Streamed to a temporary file: the text can be larger than the data.
 * Numbers go through gf_csv_format (shortest exact decimal for the short
 * ones) into a local buffer: printf of doubles was most of the time.
 */
int
gf_modeldb_write_csv(const char *path, const struct gf_csv *t, int sync,
    struct gf_err *err)
{
	char *tmp = gf_xasprintf("%s.tmp.%ld", path, (long)getpid());
	FILE *fp = fopen(tmp, "w");
	unsigned char *isint;
	char *out;
	size_t used = 0, cap = 1 << 16;
	int bad = 0;

	if (fp == NULL) {
		gf_err_set(err, GF_EXIT_CANTCREAT, "modeldb", "cannot create "
		    "'%s': %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	for (size_t c = 0; c < t->cols; c++)
		fprintf(fp, "%s%s", c ? "," : "", t->names[c]);
	fputc('\n', fp);
	isint = gf_xcalloc(t->cols ? t->cols : 1, 1);
	for (size_t c = 0; c < t->cols; c++)
		isint[c] = (unsigned char)is_int_col(t->names[c]);
	out = gf_xmalloc(cap);
	for (size_t r = 0; r < t->rows; r++) {
		if (cap - used < (t->cols + 1) * (GF_CSV_NUMBER_MAX + 1)) {
			if (fwrite(out, 1, used, fp) != used)
				bad = 1;
			used = 0;
			if (cap < (t->cols + 1) * (GF_CSV_NUMBER_MAX + 1)) {
				cap = (t->cols + 1) * (GF_CSV_NUMBER_MAX + 1);
				free(out);
				out = gf_xmalloc(cap);
			}
		}
		for (size_t c = 0; c < t->cols; c++) {
			double v = t->data[r * t->cols + c];

			if (c)
				out[used++] = ',';
			/*
			 * Beyond 2^53 this is exact "%.17g", not %.0f's
			 * digits.
			 */
			if (isint[c])
				v = rint(v);
			used += gf_csv_format(v, out + used);
		}
		out[used++] = '\n';
	}
	if (used > 0 && fwrite(out, 1, used, fp) != used)
		bad = 1;
	free(out);
	free(isint);
	bad = bad || fflush(fp) != 0 || ferror(fp) ||
	    (sync && fsync(fileno(fp)) != 0);
	if (fclose(fp) != 0)
		bad = 1;
	if (bad || rename(tmp, path) != 0) {
		gf_err_set(err, GF_EXIT_IOERR, "modeldb", "cannot write '%s': "
		    "%s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

static double
round2(double v)
{
	if (!isfinite(v))
		return -1;
	return round(v * 100.0) / 100.0;
}

static json_t *
num(double v)
{
	/* Upstream writes -1 (an int) for "no MAPE". */
	if (v == -1)
		return json_integer(-1);
	return json_real(v);
}

static json_t *
features_of(const struct gf_model *m)
{
	json_t *a = json_array();

	for (size_t i = 0; i < gf_model_nfeatures(m); i++)
		json_array_append_new(a, json_string(gf_model_feature(m, i)));
	return a;
}

int
gf_modeldb_copy_csv(const char *src, const struct stat *was,
    const char *path, int sync, struct gf_err *err)
{
	char *tmp = gf_xasprintf("%s.tmp.%ld", path, (long)getpid());
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, bad = 0;
	int created = 0;
	struct stat st;
	off_t left;

	if (in < 0 || fstat(in, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_dev != was->st_dev || st.st_ino != was->st_ino ||
	    st.st_size != was->st_size ||
	    st.st_mtim.tv_sec != was->st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != was->st_mtim.tv_nsec) {
		gf_err_set(err, GF_EXIT_IOERR, "modeldb", "'%s' changed since "
		    "it was read", src);
		goto fail;
	}
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		gf_err_set(err, GF_EXIT_IOERR, "modeldb", "cannot create "
		    "'%s': %s", tmp, strerror(errno));
		goto fail;
	}
	created = 1;
	/* In the kernel (or a reflink) when it can; by hand when not. */
	for (left = st.st_size; left > 0;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left,
		    0);

		if (n <= 0)
			break;
		left -= n;
	}
	if (left > 0) {
		char buf[1 << 16];

		if (lseek(in, st.st_size - left, SEEK_SET) < 0 ||
		    lseek(out, st.st_size - left, SEEK_SET) < 0)
			bad = 1;
		while (!bad && left > 0) {
			ssize_t n = read(in, buf, sizeof(buf));

			if (n <= 0 || write(out, buf, (size_t)n) != n)
				bad = 1;
			else
				left -= n;
		}
	}
	if (bad || (sync && fsync(out) != 0)) {
		gf_err_set(err, GF_EXIT_IOERR, "modeldb", "cannot copy '%s' to "
		    "'%s': %s", src, tmp, strerror(errno));
		goto fail;
	}
	bad = close(out) != 0;
	out = -1;
	if (bad || rename(tmp, path) != 0) {
		gf_err_set(err, GF_EXIT_IOERR, "modeldb", "cannot write '%s': "
		    "%s", path, strerror(errno));
		goto fail;
	}
	close(in);
	free(tmp);
	return 0;
fail:
	if (out >= 0)
		close(out);
	if (created)
		unlink(tmp);
	if (in >= 0)
		close(in);
	free(tmp);
	return -1;
}

json_t *
gf_modeldb_metadata(const struct gf_modeldb_model *m)
{
	char *name = gf_xasprintf("%s_%d", m->trainer, m->node_type);
	char *file = gf_xasprintf("%s.json", name);
	json_t *md = json_object();
	double mae = 0, max_mape = -1, mape = -1;

	json_object_set_new(md, "model_name", json_string(name));
	json_object_set_new(md, "model_class",
	    json_string(gf_modeldb_model_class(m->trainer)));
	json_object_set_new(md, "model_file", json_string(file));
	json_object_set_new(md, "features", m->ncomp ?
	    features_of(m->models[0]) : json_array());
	json_object_set_new(md, "fe_files", json_array());
	json_object_set_new(md, "output_type", json_string(m->output_type));
	for (size_t c = 0; c < m->ncomp; c++) {
		double cm = round2(m->test[c].mae);
		double cp = round2(m->test[c].mape);

		mae = fmax(mae, cm);
		max_mape = fmax(max_mape, cp);
		mape = cp;
	}
	json_object_set_new(md, "mae", json_real(mae));
	json_object_set_new(md, "mape", num(mape));
	for (size_t c = 0; c < m->ncomp; c++) {
		char *k = gf_xasprintf("%s_mae", m->components[c]);

		json_object_set_new(md, k, json_real(round2(m->test[c].mae)));
		free(k);
	}
	for (size_t c = 0; c < m->ncomp; c++) {
		char *k = gf_xasprintf("%s_mape", m->components[c]);

		json_object_set_new(md, k, num(round2(m->test[c].mape)));
		free(k);
	}
	json_object_set_new(md, "trainer", json_string(m->trainer));
	json_object_set_new(md, "node_type", json_integer(m->node_type));
	json_object_set_new(md, "feature_group",
	    json_string(m->feature_group));
	/* gf's additions: what the numbers above were measured on. */
	json_object_set_new(md, "split", json_string(m->split));
	json_object_set_new(md, "max_mape", num(max_mape));
	for (size_t c = 0; c < m->ncomp; c++) {
		char *k = gf_xasprintf("%s_rmse", m->components[c]);

		json_object_set_new(md, k, json_real(round2(m->test[c].rmse)));
		free(k);
	}
	json_object_set_new(md, "test_rows", json_integer(m->ncomp ?
	    (json_int_t)m->test[0].n : 0));
	free(name);
	free(file);
	return md;
}

json_t *
gf_modeldb_weights(const struct gf_modeldb_model *m, struct gf_err *err)
{
	json_t *w = json_object();
	char *name;

	for (size_t c = 0; c < m->ncomp; c++) {
		json_t *one = gf_model_kepler_weights(m->models[c],
		    m->components[c], err);

		if (one == NULL) {
			json_decref(w);
			return NULL;
		}
		json_object_update(w, one);
		json_decref(one);
	}
	name = gf_xasprintf("%s_%d", m->trainer, m->node_type);
	json_object_set_new(w, "model_name", json_string(name));
	free(name);
	return w;
}

static char *
dumps(const json_t *j, int precision)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(precision));

	if (s == NULL)
		GF_BUG("json_dumps failed");
	return s;
}

/* text (len bytes) to path, synced when sync (see gf_modeldb.h). */
static int
put_file(const char *path, const char *text, size_t len, int sync,
    struct gf_err *err)
{
	return (sync ? gf_fs_write_atomic : gf_fs_write_staged)(path, text,
	    len, 0644, err);
}

static int
fill_model(FILE *f, void *model)
{
	return gf_model_write(model, 17, f);
}

int
gf_modeldb_write_model(const char *fg_dir, const char *rel_prefix,
    const struct gf_modeldb_model *m, json_t **files, int sync,
    struct gf_err *err)
{
	char *name = gf_xasprintf("%s_%d", m->trainer, m->node_type);
	char *dir = NULL, *zip = NULL, *wpath = NULL;
	struct gf_archive_entry *ent = NULL;
	/* per entry: its name, its path on disk, its text when in memory */
	char **names = NULL, **paths = NULL, **bodies = NULL;
	json_t *index = json_object(), *md = NULL, *w = NULL;
	struct gf_err werr = GF_ERR_INIT;
	size_t n = 0, cap = m->ncomp + 2;
	int rc = -1;

	ent = gf_xcalloc(cap, sizeof(*ent));
	names = gf_xcalloc(cap, sizeof(char *));
	paths = gf_xcalloc(cap, sizeof(char *));
	bodies = gf_xcalloc(cap, sizeof(char *));
	dir = gf_xasprintf("%s/%s", fg_dir, name);
	if (gf_fs_mkdir_p(dir, 0755, err) < 0)
		goto out;
	/*
	 * Model files go to disk as they are written and into the zip from
	 * there: a KNN or SVR model's text is several times its training
	 * rows, too large to hold in memory beside them.
	 */
	for (size_t c = 0; c < m->ncomp; c++) {
		names[n] = gf_xasprintf("%s.gf.json", m->components[c]);
		paths[n] = gf_xasprintf("%s/%s", dir, names[n]);
		json_object_set_new(index, m->components[c], json_pack(
		    "{s:s,s:o,s:[]}", "model_file", names[n], "features",
		    features_of(m->models[c]), "fe_files"));
		ent[n].name = names[n];
		ent[n].path = paths[n];
		if ((sync ? gf_fs_write_atomic_with : gf_fs_write_staged_with)(
		    paths[n++], fill_model, m->models[c], 0644, err) < 0)
			goto out;
	}
	md = gf_modeldb_metadata(m);
	names[n] = gf_xstrdup("metadata.json");
	bodies[n++] = dumps(md, 15);
	names[n] = gf_xasprintf("%s.json", name);
	bodies[n++] = dumps(index, 17);
	for (size_t i = m->ncomp; i < n; i++) {
		ent[i].name = names[i];
		ent[i].data = bodies[i];
		ent[i].len = strlen(bodies[i]);
		paths[i] = gf_xasprintf("%s/%s", dir, names[i]);
		if (put_file(paths[i], bodies[i], ent[i].len, sync, err) < 0)
			goto out;
	}
	zip = gf_xasprintf("%s/%s.zip", fg_dir, name);
	if (gf_archive_zip(zip, ent, n, sync, err) < 0)
		goto out;
	w = gf_modeldb_weights(m, &werr);
	if (w != NULL) {
		char *s = dumps(w, 17);

		wpath = gf_xasprintf("%s/%s.json", fg_dir, name);
		rc = put_file(wpath, s, strlen(s), sync, err);
		free(s);
		if (rc < 0)
			goto out;
		rc = -1;
	}
	if (files != NULL) {
		*files = json_object();
		json_object_set_new(*files, "dir", json_sprintf("%s/%s",
		    rel_prefix, name));
		json_object_set_new(*files, "zip", json_sprintf("%s/%s.zip",
		    rel_prefix, name));
		if (w != NULL)
			json_object_set_new(*files, "weights", json_sprintf(
			    "%s/%s.json", rel_prefix, name));
	}
	rc = 0;
out:
	for (size_t i = 0; i < cap; i++) {
		free(names[i]);
		free(paths[i]);
		free(bodies[i]);
	}
	free(names);
	free(paths);
	free(bodies);
	free(ent);
	free(name);
	free(dir);
	free(zip);
	free(wpath);
	json_decref(index);
	json_decref(md);
	json_decref(w);
	return rc;
}

static void
csv_cell(struct gf_buf *b, const json_t *v)
{
	if (json_is_string(v)) {
		gf_buf_adds(b, json_string_value(v));
	} else if (json_is_integer(v)) {
		gf_buf_addf(b, "%lld", (long long)json_integer_value(v));
	} else if (json_is_real(v)) {
		gf_buf_addf(b, "%.15g", json_real_value(v));
	} else if (json_is_array(v)) {
		size_t i;
		json_t *e;

		/* Python's repr of a list, as pandas wrote it upstream. */
		gf_buf_adds(b, "\"[");
		json_array_foreach(v, i, e)
			gf_buf_addf(b, "%s'%s'", i ? ", " : "",
			    json_is_string(e) ? json_string_value(e) : "");
		gf_buf_adds(b, "]\"");
	}
}

int
gf_modeldb_write_metadata_csv(const char *path, const json_t *rows,
    const char *const *components, size_t ncomp, int sync,
    struct gf_err *err)
{
	static const char *const head[] = { "model_name", "model_class",
		"model_file", "features", "fe_files", "output_type", "mae",
		"mape" };
	static const char *const tail[] = { "trainer", "node_type",
		"feature_group", "split", "max_mape" };
	struct gf_buf b = GF_BUF_INIT;
	char **cols;
	size_t ncols = 0, i;
	json_t *row;
	int rc;

	cols = gf_xcalloc(GF_ARRAY_LEN(head) + GF_ARRAY_LEN(tail) +
	    2 * ncomp + 1, sizeof(char *));
	for (size_t k = 0; k < GF_ARRAY_LEN(head); k++)
		cols[ncols++] = gf_xstrdup(head[k]);
	for (size_t k = 0; k < ncomp; k++)
		cols[ncols++] = gf_xasprintf("%s_mae", components[k]);
	for (size_t k = 0; k < ncomp; k++)
		cols[ncols++] = gf_xasprintf("%s_mape", components[k]);
	for (size_t k = 0; k < GF_ARRAY_LEN(tail); k++)
		cols[ncols++] = gf_xstrdup(tail[k]);
	for (size_t k = 0; k < ncols; k++)
		gf_buf_addf(&b, ",%s", cols[k]);
	gf_buf_addc(&b, '\n');
	json_array_foreach(rows, i, row) {
		gf_buf_addf(&b, "%zu", i);
		for (size_t k = 0; k < ncols; k++) {
			gf_buf_addc(&b, ',');
			csv_cell(&b, json_object_get(row, cols[k]));
		}
		gf_buf_addc(&b, '\n');
	}
	rc = put_file(path, gf_buf_str(&b), b.len, sync, err);
	for (size_t k = 0; k < ncols; k++)
		free(cols[k]);
	free(cols);
	gf_buf_release(&b);
	return rc;
}
