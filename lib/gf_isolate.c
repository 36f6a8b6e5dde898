/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_isolate.h"
#include "gf_csv.h"
#include "gf_fs.h"
#include "gf_model.h"
#include "gf_model_file.h"
#include "gf_profile.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

int
gf_isolate_min(struct gf_csv *t, struct gf_err *err)
{
	for (size_t c = 0; c < t->cols; c++) {
		size_t len = strlen(t->names[c]);
		double mn = INFINITY;

		if (len < 6 || strcmp(t->names[c] + len - 6, "_power") != 0)
			continue;
		for (size_t r = 0; r < t->rows; r++)
			mn = fmin(mn, t->data[r * t->cols + c]);
		for (size_t r = 0; r < t->rows; r++)
			t->data[r * t->cols + c] -= mn;
	}
	(void)err;
	return 0;
}

/* Predict with m from the columns of t named after m's features. */
static int
predict_table(const struct gf_model *m, const struct gf_csv *t, double *out)
{
	size_t nf = gf_model_nfeatures(m);
	int *col = gf_xcalloc(nf + 1, sizeof(int));
	double *x = gf_xcalloc(nf + 1, sizeof(double));

	for (size_t f = 0; f < nf; f++)
		if ((col[f] = gf_csv_column(t, gf_model_feature(m, f))) < 0) {
			free(col);
			free(x);
			return -1;
		}
	for (size_t r = 0; r < t->rows; r++) {
		for (size_t f = 0; f < nf; f++)
			x[f] = t->data[r * t->cols + col[f]];
		out[r] = gf_model_predict1(m, x);
	}
	free(col);
	free(x);
	return 0;
}

/* Row of b with a's timestamp r, or -1 (both sorted by time). */
static long
align_row(const struct gf_csv *a, size_t r, const struct gf_csv *b,
    size_t *cursor)
{
	int ta = gf_csv_column(a, "timestamp"), tb = gf_csv_column(b,
	    "timestamp");
	double t = a->data[r * a->cols + ta];

	while (*cursor < b->rows && b->data[*cursor * b->cols + tb] < t)
		(*cursor)++;
	if (*cursor < b->rows && b->data[*cursor * b->cols + tb] == t)
		return (long)*cursor;
	return -1;
}

int
gf_isolate_trainer(const char *abs_dir, const char *source,
    const char *group, const struct gf_csv *all, const struct gf_csv *bg,
    const struct gf_csv *tg, struct gf_csv *out, json_t *chosen,
    struct gf_err *err)
{
	char *dir = gf_xasprintf("%s/%s/AbsPower/%s", abs_dir, source, group);
	double *pred = gf_xcalloc(all->rows + 1, sizeof(double));
	double *bgp = gf_xcalloc(bg->rows + 1, sizeof(double));
	size_t nc, cur = 0;
	const char *const *comps = gf_source_components(source, &nc);
	int rc = -1;

	/* The table: rows of all, features of tg, power replaced below. */
	out->rows = 0;
	out->cols = tg->cols;
	out->names = gf_xcalloc(tg->cols + 1, sizeof(char *));
	for (size_t c = 0; c < tg->cols; c++)
		out->names[c] = gf_xstrdup(tg->names[c]);
	out->data = gf_xcalloc(all->rows * tg->cols + 1, sizeof(double));
	for (size_t i = 0; i < all->rows; i++) {
		long k = align_row(all, i, tg, &cur);

		if (k < 0) {
			gf_err_set(err, GF_EXIT_SOFTWARE, "train", "target "
			    "table misses a timestamp of the node table");
			goto out;
		}
		memcpy(&out->data[i * tg->cols], &tg->data[(size_t)k *
		    tg->cols], tg->cols * sizeof(double));
	}
	out->rows = all->rows;
	for (size_t c = 0; c < nc; c++) {
		char *col = gf_xasprintf("%s_power", comps[c]);
		int lc = gf_csv_column(all, col), oc = gf_csv_column(out, col);
		double best = INFINITY;
		struct gf_model *bm = NULL;
		struct dirent **ents;
		int nents;

		free(col);
		if (lc < 0 || oc < 0)
			continue;
		/* In name order: of two models as good, the same one wins. */
		if ((nents = scandir(dir, &ents, NULL, alphasort)) < 0) {
			gf_err_set(err, GF_EXIT_NOINPUT, "train", "isolator "
			    "trainer: no AbsPower models in '%s': %s", dir,
			    strerror(errno));
			goto out;
		}
		for (int n = 0; n < nents; n++) {
			char *mp;
			struct gf_model *m;
			struct gf_err me = GF_ERR_INIT;
			double mae = 0;

			if (ents[n]->d_name[0] == '.')
				continue;
			mp = gf_xasprintf("%s/%s/%s.gf.json", dir,
			    ents[n]->d_name, comps[c]);
			m = gf_fs_exists(mp) ? gf_model_load(mp, &me) : NULL;
			free(mp);
			if (m == NULL)
				continue;
			if (predict_table(m, all, pred) < 0) {
				gf_model_free(m);
				continue;
			}
			for (size_t i = 0; i < all->rows; i++)
				mae += fabs(pred[i] - all->data[i * all->cols +
				    lc]);
			mae /= (double)all->rows;
			if (mae < best) {
				best = mae;
				gf_model_free(bm);
				bm = m;
			} else
				gf_model_free(m);
		}
		for (int n = 0; n < nents; n++)
			free(ents[n]);
		free(ents);
		if (bm == NULL) {
			gf_err_set(err, GF_EXIT_NOINPUT, "train", "isolator "
			    "trainer: no usable AbsPower model for %s in '%s'",
			    comps[c], dir);
			goto out;
		}
		if (chosen != NULL)
			json_object_set_new(chosen, comps[c], json_pack(
			    "{s:s,s:f}", "trainer", gf_model_trainer(bm),
			    "node_mae", best));
		predict_table(bm, bg, bgp);
		cur = 0;
		for (size_t i = 0; i < all->rows; i++) {
			long k = align_row(all, i, bg, &cur);
			double b = k < 0 ? 0 : bgp[k];

			out->data[i * out->cols + oc] = fmax(0,
			    all->data[i * all->cols + lc] - b);
		}
		gf_model_free(bm);
	}
	rc = 0;
out:
	free(dir);
	free(pred);
	free(bgp);
	return rc;
}
