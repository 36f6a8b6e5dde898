/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The training sets of a run from its input (gf_trainset.h): a CSV table
 * is taken as extracted; query output and Prometheus ranges go through
 * gf_extract per (energy source, output type, feature group), window by
 * window, and the isolator asked for.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gf_trainset.h"
#include "gf_window.h"
#include "gf_csv.h"
#include "gf_doc.h"
#include "gf_extract.h"
#include "gf_isolate.h"
#include "gf_parse.h"
#include "gf_prom.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

/* One load: the request and what it fills. */
struct load {
	const struct gf_trainset_req *q;
	struct gf_trainset *s;
};

static void GF_PRINTF(3, 4)
say(const struct load *l, int warn, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (l->q->say == NULL)
		return;
	va_start(ap, fmt);
	msg = gf_xvasprintf(fmt, ap);
	va_end(ap);
	l->q->say(warn, msg, l->q->arg);
	free(msg);
}

static void
skip(struct load *l, const char *source, const char *otype,
    const char *group, const struct gf_err *e)
{
	json_array_append_new(l->s->skipped, json_pack("{s:s,s:s,s:s,s:s}",
	    "source", source, "output_type", otype, "feature_group", group,
	    "reason", e->msg));
	say(l, 1, "skipping %s %s %s: %s", source, otype, group, e->msg);
}

/*
 * 1 when the table written to preprocessed_data (gf_pipeline_write_table)
 * would be table itself: same columns in the same order, the same
 * doubles. The input file is then copied instead of formatted again (at
 * 10^6 rows formatting was a quarter of a linear fit's whole run).
 */
static int
same_table(const struct gf_dataset *ds, const struct gf_csv *t)
{
	size_t f0 = ds->ts ? 1 : 0, c = 0;

	if (t->cols != f0 + ds->nfeat + ds->ncomp + 1 || t->rows != ds->rows)
		return 0;
	for (size_t k = 0; k < t->cols; k++)
		if (t->text[k])
			return 0;
	if (ds->ts && strcmp(t->names[c++], "timestamp") != 0)
		return 0;
	for (size_t f = 0; f < ds->nfeat; f++)
		if (strcmp(t->names[c++], ds->features[f]) != 0)
			return 0;
	for (size_t k = 0; k < ds->ncomp; k++) {
		const char *n = t->names[c++];
		size_t l = strlen(ds->comps[k]);

		if (strncmp(n, ds->comps[k], l) != 0 ||
		    strcmp(n + l, "_power") != 0)
			return 0;
	}
	if (strcmp(t->names[c], "node_type") != 0)
		return 0;
	for (size_t r = 0; r < t->rows; r++) {
		const double *row = &t->data[r * t->cols];

		if ((ds->ts && memcmp(&row[0], &ds->ts[r], sizeof(double))) ||
		    memcmp(&row[f0], &ds->X[r * ds->nfeat], ds->nfeat *
		    sizeof(double)) || memcmp(&row[f0 + ds->nfeat],
		    &ds->Y[r * ds->ncomp], ds->ncomp * sizeof(double)) ||
		    row[t->cols - 1] != ds->node_type)
			return 0;
	}
	return 1;
}

static int
add_dataset(struct load *l, const char *source, const char *otype,
    const char *group, const struct gf_csv *table, int node_type,
    const char *name, struct gf_err *err)
{
	const struct gf_trainset_req *q = l->q;
	struct gf_trainset *set = l->s;
	struct gf_dataset ds = GF_DATASET_INIT;
	const char **want;
	const char *const *all;
	size_t nwant, nall;
	int rc;

	want = gf_profile_group_features(q->prof, group,
	    q->thirdparty, q->nthird, &nwant, err);
	if (want == NULL)
		return -1;
	ds.source = gf_xstrdup(source);
	ds.otype = gf_xstrdup(otype);
	ds.group = gf_xstrdup(group);
	all = gf_source_components(source, &nall);
	ds.node_type = node_type;
	rc = gf_dataset_from_table(&ds, table, want, nwant, all, nall,
	    name, err);
	free(want);
	for (size_t f = 0; f < json_array_size(ds.constant); f++)
		say(l, 1, "%s: feature '%s' is constant", name,
		    json_string_value(json_array_get(ds.constant, f)));
	if (rc < 0) {
		gf_dataset_release(&ds);
		return -1;
	}
	if (q->node_type >= 0)
		ds.node_type = q->node_type;
	set->ds = gf_xreallocarray(set->ds, set->nds + 1, sizeof(*set->ds));
	set->ds[set->nds++] = ds;
	return 0;
}

/* CSV input: the table is already extracted. */
static int
load_csv(struct load *l, struct gf_err *err)
{
	const struct gf_trainset_req *q = l->q;
	struct gf_trainset *set = l->s;
	struct gf_csv t = GF_CSV_INIT;
	int rc = -1, csv_st_ok;

	csv_st_ok = strcmp(q->csv, "-") != 0 &&
	    stat(q->csv, &set->csv_st) == 0 && S_ISREG(set->csv_st.st_mode);
	if (gf_csv_load(q->csv, &t, err) < 0)
		return -1;
	for (size_t s = 0; q->sources[s] != NULL; s++)
		for (size_t ot = 0; q->otypes[ot] != NULL; ot++)
			for (size_t g = 0; q->groups[g] != NULL; g++) {
				struct gf_err e = GF_ERR_INIT;
				struct gf_csv *use = &t, iso = GF_CSV_INIT;
				struct gf_dataset *last;

				if (strcmp(q->otypes[ot], "DynPower") == 0 &&
				    strcmp(q->isolator, "min") == 0) {
					iso.rows = t.rows;
					iso.cols = t.cols;
					iso.names = t.names;
					iso.data = gf_xcalloc(t.rows * t.cols +
					    1, sizeof(double));
					memcpy(iso.data, t.data, t.rows *
					    t.cols * sizeof(double));
					gf_isolate_min(&iso, &e);
					use = &iso;
				}
				rc = add_dataset(l, q->sources[s],
				    q->otypes[ot], q->groups[g], use, 0,
				    q->csv, &e);
				last = rc == 0 ? &set->ds[set->nds - 1] : NULL;
				if (last != NULL && use == &t && csv_st_ok &&
				    same_table(last, &t)) {
					last->same_as = q->csv;
					last->same_st = &set->csv_st;
				}
				if (use == &iso)
					free(iso.data);
				if (rc < 0 && (q->explicit_one ||
				    e.exit != GF_EXIT_DATAERR)) {
					*err = e;
					goto out;
				}
				if (rc < 0)
					skip(l, q->sources[s], q->otypes[ot],
					    q->groups[g], &e);
			}
	rc = 0;
out:
	gf_csv_release(&t);
	return rc;
}

/*
 * The ranges to query: --start/--end, or the document's windows (those
 * named), back-to-back phases as one range (gf-stress writes one window
 * per phase): fewer queries, and no phase loses its first sample to the
 * rate.
 */
static int
windows(struct load *l, double step, double **st, double **en, size_t *n,
    struct gf_err *err)
{
	const struct gf_trainset_req *q = l->q;
	double a = NAN, b = NAN;
	struct gf_windows ws;

	*n = 0;
	*st = *en = NULL;
	if ((q->start != NULL && gf_parse_time(q->start, "--start", &a,
	    err) < 0) || (q->end != NULL && gf_parse_time(q->end, "--end", &b,
	    err) < 0))
		return -1;
	if (gf_windows_select(q->doc, a, b, q->windows, &ws, err) < 0)
		return -1;
	gf_windows_merge(&ws, step);
	*st = gf_xcalloc(ws.n, sizeof(double));
	*en = gf_xcalloc(ws.n, sizeof(double));
	for (size_t i = 0; i < ws.n; i++) {
		(*st)[i] = ws.w[i].start;
		(*en)[i] = ws.w[i].end;
	}
	*n = ws.n;
	gf_windows_release(&ws);
	return 0;
}

static int
fetch_metric(struct gf_prom *prom, const char *metric, double a, double b,
    double step, struct gf_qset *q, struct gf_err *err)
{
	struct gf_prom_result res;

	if (gf_qset_get(q, metric) != NULL)
		return 0;
	memset(&res, 0, sizeof(res));
	if (gf_prom_query_range(prom, metric, a, b, step, &res, err) < 0) {
		gf_prom_result_release(&res);
		return gf_err_prefix(err, "query '%s'", metric);
	}
	gf_qset_add(q, metric, &res);
	return 0;
}

/* Every counter the profile names for the requested groups and sources. */
static int
fetch_window(struct load *l, struct gf_prom *prom, double a, double b,
    double step, struct gf_qset *got, struct gf_err *err)
{
	const struct gf_trainset_req *q = l->q;

	for (size_t f = 0; f < q->prof->nfeatures; f++) {
		const struct gf_pmetric *m = &q->prof->features[f];

		for (size_t k = 0; k < m->nalts; k++) {
			const struct gf_prom_result *res;

			if (fetch_metric(prom, m->alts[k].metric, a, b, step,
			    got, err) < 0)
				return -1;
			res = gf_qset_get(got, m->alts[k].metric);
			if (res->nseries > 0)
				break;
		}
	}
	for (size_t s = 0; q->sources[s] != NULL; s++) {
		const struct gf_psource *ps = gf_profile_source(q->prof,
		    q->sources[s]);

		for (size_t c = 0; ps != NULL && c < ps->ncomps; c++)
			for (size_t k = 0; k < ps->comps[c].nalts; k++)
				if (fetch_metric(prom,
				    ps->comps[c].alts[k].metric, a, b, step,
				    got, err) < 0)
					return -1;
	}
	return 0;
}

/* The trainer isolator (gf_isolate_trainer), saying which models it used. */
static int
isolate_by_models(const struct load *l, const char *source, const char *group,
    const struct gf_csv *all, const struct gf_csv part[2], struct gf_csv *out,
    struct gf_err *err)
{
	const struct gf_trainset_req *q = l->q;
	json_t *chosen = json_object(), *v;
	const char *comp;
	int rc;

	rc = gf_isolate_trainer(q->abs_models, source, group, all, &part[0],
	    &part[1], out, chosen, err);
	json_object_foreach(chosen, comp, v)
		say(l, 0, "isolator trainer: %s %s background by %s (node MAE "
		    "%.3f)", source, comp, json_string_value(json_object_get(v,
		    "trainer")), json_real_value(json_object_get(v,
		    "node_mae")));
	json_decref(chosen);
	return rc;
}

/* Every counter the asked groups and sources need (borrowed names). */
static const char **
profile_metrics(const struct load *l, size_t *n)
{
	const struct gf_trainset_req *q = l->q;
	const char **m = NULL;

	*n = 0;
	for (size_t g = 0; q->groups[g] != NULL; g++) {
		struct gf_err e = GF_ERR_INIT;
		size_t nf;
		const char **feat = gf_profile_group_features(q->prof,
		    q->groups[g], q->thirdparty,
		    q->nthird, &nf, &e);

		for (size_t f = 0; feat != NULL && f < nf; f++) {
			const struct gf_pmetric *pm = gf_profile_feature(
			    q->prof, feat[f]);

			for (size_t k = 0; pm != NULL && k < pm->nalts; k++) {
				m = gf_xreallocarray(m, *n + 1,
				    sizeof(char *));
				m[(*n)++] = pm->alts[k].metric;
			}
		}
		free(feat);
	}
	for (size_t s = 0; q->sources[s] != NULL; s++) {
		const struct gf_psource *ps = gf_profile_source(q->prof,
		    q->sources[s]);

		for (size_t c = 0; ps != NULL && c < ps->ncomps; c++)
			for (size_t k = 0; k < ps->comps[c].nalts; k++) {
				m = gf_xreallocarray(m, *n + 1, sizeof(char *));
				m[(*n)++] = ps->comps[c].alts[k].metric;
			}
	}
	return m;
}

/* Query-file or Prometheus input: extract per (source, type, group). */
static int
load_queries(struct load *l, struct gf_err *err)
{
	const struct gf_trainset_req *q = l->q;
	struct gf_qset *qs = NULL, idle = GF_QSET_INIT;
	struct gf_prom prom;
	double *st = NULL, *en = NULL;
	double step = q->step > 0 ? q->step : q->prof->step;
	size_t nq = 0;
	const char *name = q->query ? q->query : q->prom_shown;
	size_t nhints = 0;
	int rc = -1, have_prom = 0;

	while (q->hints != NULL && q->hints[nhints] != NULL)
		nhints++;
	if (q->idle != NULL && gf_qset_load(q->idle, &idle, err) < 0)
		return -1;
	if (q->query != NULL) {
		const char **only;
		size_t nonly;

		qs = gf_xcalloc(1, sizeof(*qs));
		nq = 1;
		only = profile_metrics(l, &nonly);
		rc = gf_qset_load_only(q->query, only, nonly, &qs[0], err);
		free(only);
		if (rc < 0)
			goto out;
		rc = -1;
	} else {
		if (windows(l, step, &st, &en, &nq, err) < 0)
			goto out;
		gf_prom_init(&prom, q->prom);
		have_prom = 1;
		if (q->timeout > 0)
			prom.http.timeout = q->timeout;
		qs = gf_xcalloc(nq, sizeof(*qs));
		for (size_t w = 0; w < nq; w++) {
			say(l, 0, "querying %s for window %zu/%zu (%.0f s at "
			    "%g s steps)", q->prom_shown, w + 1, nq,
			    en[w] - st[w], step);
			if (fetch_window(l, &prom, st[w], en[w], step, &qs[w],
			    err) < 0)
				goto out;
		}
	}
	for (size_t s = 0; q->sources[s] != NULL; s++)
		for (size_t ot = 0; q->otypes[ot] != NULL; ot++)
			for (size_t g = 0; q->groups[g] != NULL; g++) {
				struct gf_err e = GF_ERR_INIT;
				struct gf_csv all = GF_CSV_INIT;
				struct gf_csv part[2] = { GF_CSV_INIT,
				    GF_CSV_INIT };
				struct gf_extract_opts xo;
				const char **feat;
				size_t nfeat;
				int bad = 0, trainer_iso = strcmp(q->otypes[ot],
				    "DynPower") == 0 && strcmp(q->isolator,
				    "trainer") == 0;
				int nsel = trainer_iso ? 3 : 1;

				memset(&xo, 0, sizeof(xo));
				xo.extractor = q->extractor;
				xo.isolator = strcmp(q->otypes[ot],
				    "DynPower") == 0 && !trainer_iso ?
				    q->isolator : "none";
				xo.idle = q->idle ? &idle : NULL;
				xo.node_type = q->node_type >= 0 ?
				    q->node_type : 0;
				xo.name = name;
				xo.hints = q->hints;
				xo.nhints = nhints;
				feat = gf_profile_group_features(q->prof,
				    q->groups[g],
				    q->thirdparty,
				    q->nthird, &nfeat, &e);
				for (size_t w = 0; feat != NULL && w < nq &&
				    !bad; w++) {
					struct gf_csv one[3] = { GF_CSV_INIT,
					    GF_CSV_INIT, GF_CSV_INIT };
					int wbad = 0;

					for (int k = 0; k < nsel && !wbad;
					    k++) {
						xo.select = k;
						if (gf_extract(&qs[w], q->prof,
						    feat, nfeat, q->sources[s],
						    &xo, &one[k], &e) < 0)
							wbad = 1;
					}
					if (wbad) {
						for (int k = 0; k < 3; k++)
							gf_csv_release(&one[k]);
						/*
						 * A short window among others.
						 */
						if (nq > 1 && e.exit ==
						    GF_EXIT_DATAERR) {
							say(l, 1, "window %zu "
							    "of %zu left out: "
							    "%s", w + 1, nq,
							    e.msg);
							continue;
						}
						bad = 1;
						break;
					}
					if (gf_table_append(&all, &one[0],
					    &e) < 0)
						bad = 1;
					for (int k = 1; k < nsel && !bad; k++)
						if (gf_table_append(&part[k -
						    1], &one[k], &e) < 0)
							bad = 1;
					for (int k = 0; k < 3; k++)
						gf_csv_release(&one[k]);
				}
				if (!bad && feat != NULL && all.rows == 0)
					bad = 1;
				if (feat == NULL)
					bad = 1;
				free(feat);
				if (!bad && trainer_iso) {
					struct gf_csv iso = GF_CSV_INIT;

					if (isolate_by_models(l, q->sources[s],
					    q->groups[g], &all, part, &iso,
					    &e) < 0)
						bad = 1;
					gf_csv_release(&all);
					all = iso;
				}
				if (!bad && add_dataset(l, q->sources[s],
				    q->otypes[ot], q->groups[g], &all,
				    xo.node_type, name, &e) < 0)
					bad = 1;
				gf_csv_release(&all);
				gf_csv_release(&part[0]);
				gf_csv_release(&part[1]);
				if (bad && (q->explicit_one ||
				    e.exit != GF_EXIT_DATAERR)) {
					*err = e;
					goto out;
				}
				if (bad)
					skip(l, q->sources[s], q->otypes[ot],
					    q->groups[g], &e);
			}
	rc = 0;
out:
	for (size_t w = 0; qs != NULL && w < nq; w++)
		gf_qset_release(&qs[w]);
	free(qs);
	gf_qset_release(&idle);
	if (have_prom)
		gf_prom_release(&prom);
	free(st);
	free(en);
	return rc;
}

int
gf_trainset_load(const struct gf_trainset_req *q, struct gf_trainset *s,
    struct gf_err *err)
{
	struct load l = { q, s };

	if (s->skipped == NULL)
		s->skipped = json_array();
	return q->csv != NULL ? load_csv(&l, err) : load_queries(&l, err);
}

void
gf_trainset_release(struct gf_trainset *s)
{
	for (size_t d = 0; d < s->nds; d++)
		gf_dataset_release(&s->ds[d]);
	free(s->ds);
	json_decref(s->skipped);
	s->ds = NULL;
	s->nds = 0;
	s->skipped = NULL;
}
