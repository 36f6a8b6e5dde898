/* SPDX-License-Identifier: Apache-2.0 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_dataset.h"
#include "gf_buf.h"
#include "gf_parse.h"
#include "gf_profile.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

int
gf_dataset_from_table(struct gf_dataset *ds, const struct gf_csv *t,
    const char *const *want, size_t nwant, const char *const *all,
    size_t nall, const char *name, struct gf_err *err)
{
	int *fcol = gf_xcalloc(nwant + 1, sizeof(int)), *pcol;
	double *fscale = gf_xcalloc(nwant + 1, sizeof(double));
	int nt = gf_csv_column(t, "node_type"), ts = gf_csv_column(t,
	    "timestamp");
	size_t nconst = 0;
	struct gf_buf wl = GF_BUF_INIT;

	ds->missing = json_array();
	ds->constant = json_array();
	ds->features = gf_xcalloc(nwant + 1, sizeof(char *));
	for (size_t f = 0; f < nwant; f++) {
		const char *old;
		double sc = 1;
		int c = gf_csv_column(t, want[f]);

		if (c < 0 && (old = gf_feature_legacy(want[f], &sc)) != NULL)
			c = gf_csv_column(t, old);
		gf_buf_addf(&wl, "%s%s", f ? ", " : "", want[f]);
		if (c < 0) {
			json_array_append_new(ds->missing,
			    json_string(want[f]));
			continue;
		}
		fcol[ds->nfeat] = c;
		fscale[ds->nfeat] = c == gf_csv_column(t, want[f]) ? 1 : sc;
		ds->features[ds->nfeat++] = gf_xstrdup(want[f]);
	}
	if (ds->nfeat == 0) {
		gf_err_set(err, GF_EXIT_DATAERR, "train", "%s: no column of "
		    "feature group %s (wants %s)", name, ds->group,
		    gf_buf_str(&wl));
		gf_buf_release(&wl);
		free(fcol);
		free(fscale);
		return -1;
	}
	gf_buf_release(&wl);
	pcol = gf_xcalloc(nall + 1, sizeof(int));
	{
		/* The source's components that have a column, in order. */
		char *first = gf_xasprintf("%s_power", all[0]);

		ds->comps = gf_xcalloc(nall + 1, sizeof(char *));
		ds->ncomp = 0;
		for (size_t c = 0; c < nall; c++) {
			char *col = gf_xasprintf("%s_power", all[c]);
			int k = gf_csv_column(t, col);

			free(col);
			if (k < 0)
				continue;
			pcol[ds->ncomp] = k;
			ds->comps[ds->ncomp++] = all[c];
		}
		if (ds->ncomp == 0) {
			gf_err_set(err, GF_EXIT_DATAERR, "train", "%s: no "
			    "column '%s' (energy source %s)", name, first,
			    ds->source);
			free(first);
			goto fail;
		}
		free(first);
	}
	ds->rows = t->rows;
	ds->X = gf_xcalloc(ds->rows * ds->nfeat + 1, sizeof(double));
	ds->Y = gf_xcalloc(ds->rows * ds->ncomp + 1, sizeof(double));
	for (size_t r = 0; r < t->rows; r++) {
		for (size_t f = 0; f < ds->nfeat; f++)
			ds->X[r * ds->nfeat + f] = t->data[r * t->cols +
			    fcol[f]] * fscale[f];
		for (size_t c = 0; c < ds->ncomp; c++)
			ds->Y[r * ds->ncomp + c] = t->data[r * t->cols +
			    pcol[c]];
		if (ts >= 0 && !gf_time_ok(t->data[r * t->cols + ts])) {
			gf_err_set(err, GF_EXIT_DATAERR, "train",
			    "%s: row %zu: timestamp is not a time (unix "
			    "seconds, years 1 to 9999)", name, r + 2);
			goto fail;
		}
		if (ts >= 0 && r > 0 && t->data[r * t->cols + ts] <=
		    t->data[(r - 1) * t->cols + ts]) {
			gf_err_set(err, GF_EXIT_DATAERR, "train",
			    "%s: row %zu: timestamp does not increase (the "
			    "time-block split needs the timeline in order)",
			    name, r + 2);
			goto fail;
		}
	}
	if (nt >= 0 && t->rows > 0) {
		double v = t->data[nt];

		/* Checked as a double: a cast out of range is UB. */
		if (!(v >= 0 && v <= INT_MAX && v == floor(v))) {
			gf_err_set(err, GF_EXIT_DATAERR, "train", "%s: row 2: "
			    "node_type is not a node type number (0, 1, ...)",
			    name);
			goto fail;
		}
		ds->node_type = (int)v;
	}
	if (ts >= 0) {
		ds->ts = gf_xcalloc(t->rows + 1, sizeof(double));
		for (size_t r = 0; r < t->rows; r++)
			ds->ts[r] = t->data[r * t->cols + ts];
	}
	for (size_t f = 0; f < ds->nfeat; f++) {
		size_t r = 1;

		while (r < ds->rows && ds->X[r * ds->nfeat + f] ==
		    ds->X[f])
			r++;
		if (r >= ds->rows) {
			json_array_append_new(ds->constant,
			    json_string(ds->features[f]));
			nconst++;
		}
	}
	if (nconst == ds->nfeat) {
		gf_err_set(err, GF_EXIT_DATAERR, "train", "%s: every feature "
		    "of group %s is constant: nothing to learn from", name,
		    ds->group);
		goto fail;
	}
	free(fcol);
	free(fscale);
	free(pcol);
	return 0;
fail:
	free(fcol);
	free(fscale);
	free(pcol);
	return -1;
}

void
gf_dataset_release(struct gf_dataset *ds)
{
	free(ds->source);
	free(ds->otype);
	free(ds->group);
	free(ds->comps);
	for (size_t f = 0; ds->features != NULL && ds->features[f]; f++)
		free(ds->features[f]);
	free(ds->features);
	free(ds->X);
	free(ds->Y);
	free(ds->ts);
	json_decref(ds->missing);
	json_decref(ds->constant);
	memset(ds, 0, sizeof(*ds));
}
