/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_extract.h"
#include "gf_buf.h"
#include "gf_csv.h"
#include "gf_isolate.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

/* Columns: sorted (key, value) pairs --------------------------------- */

struct kv {
	int64_t k;	/* timestamp in ms */
	double v;
};

struct col {
	struct kv *p;
	size_t n, cap;
};

static void
col_add(struct col *c, int64_t k, double v)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 256;
		c->p = gf_xreallocarray(c->p, c->cap, sizeof(*c->p));
	}
	c->p[c->n].k = k;
	c->p[c->n].v = v;
	c->n++;
}

/*
 * Sort c's pairs by key, stably: equal keys keep the order they were
 * added in, so that their sum (col_merge) is the same on every libc (a
 * qsort need not be stable). The pairs come series by series, each in
 * time order: runs, merged pairwise, a pass per halving of their number.
 */
static void
col_sort(struct col *c)
{
	size_t n = c->n, nrun = 1, *run;
	struct kv *src = c->p, *dst;

	for (size_t i = 1; i < n; i++)
		nrun += src[i].k < src[i - 1].k;
	if (nrun == 1)
		return;
	run = gf_xreallocarray(NULL, nrun + 1, sizeof(*run));
	nrun = 0;
	run[nrun++] = 0;
	for (size_t i = 1; i < n; i++)
		if (src[i].k < src[i - 1].k)
			run[nrun++] = i;
	run[nrun] = n;
	dst = gf_xreallocarray(NULL, n, sizeof(*dst));
	while (nrun > 1) {
		size_t m = 0;

		for (size_t r = 0; r < nrun; r += 2, m++) {
			size_t a = run[r], am = run[r + 1];
			/* The last run, when it has no pair, is copied. */
			size_t b = am, bm = r + 2 <= nrun ? run[r + 2] : am;
			size_t o = a;

			/* Ties from the left run: stable. */
			while (a < am && b < bm)
				dst[o++] = src[b].k < src[a].k ? src[b++] :
				    src[a++];
			while (a < am)
				dst[o++] = src[a++];
			while (b < bm)
				dst[o++] = src[b++];
			run[m] = run[r];
		}
		run[m] = n;
		nrun = m;
		struct kv *t = src;

		src = dst;
		dst = t;
	}
	if (src != c->p) {
		memcpy(c->p, src, n * sizeof(*src));
		dst = src;
	}
	free(dst);
	free(run);
}

/* Sort and sum values of equal keys. */
static void
col_merge(struct col *c)
{
	size_t w = 0;

	if (c->n == 0)
		return;
	col_sort(c);
	for (size_t r = 1; r < c->n; r++) {
		if (c->p[r].k == c->p[w].k)
			c->p[w].v += c->p[r].v;
		else
			c->p[++w] = c->p[r];
	}
	c->n = w + 1;
}

static const double *
col_find(const struct col *c, int64_t k)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->p[mid].k < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < c->n && c->p[lo].k == k) ? &c->p[lo].v : NULL;
}

static int64_t
key_of(double t)
{
	return (int64_t)llround(t * 1000.0);
}

static int
selected_out(const struct gf_extract_opts *o, const json_t *labels)
{
	const json_t *cn;
	int hit = 0;

	if (o == NULL || o->select == 0)
		return 0;
	cn = json_object_get(labels, "container_name");
	for (size_t i = 0; json_is_string(cn) && i < o->nhints && !hit; i++)
		hit = strstr(json_string_value(cn), o->hints[i]) != NULL;
	return o->select == 1 ? hit : !hit;
}

static int
excluded(const struct gf_profile *p, const json_t *labels,
    const json_t *drop_names, const struct gf_extract_opts *o)
{
	for (size_t i = 0; i < p->nexclude; i++)
		if (gf_match_labels(&p->exclude[i], 1, labels))
			return 1;
	if (selected_out(o, labels))
		return 1;
	if (drop_names != NULL) {
		const json_t *cn = json_object_get(labels, "container_name");

		if (json_is_string(cn) && json_object_get(drop_names,
		    json_string_value(cn)) != NULL)
			return 1;
	}
	return 0;
}

/*
 * Power rate of one component: sum the matching series per timestamp,
 * then diff / mean interval. The first sample (no rate) is left out.
 */
static int
power_column(const struct gf_qset *q, const struct gf_profile *p,
    const struct gf_pmetric *m, const char *source, const char *name,
    struct col *out, struct gf_err *err)
{
	struct col sum = { 0 };
	const char *metric = NULL;
	double dt, prev = 0;
	int have_prev = 0;

	for (size_t a = 0; a < m->nalts && metric == NULL; a++) {
		const struct gf_prom_result *r = gf_qset_get(q,
		    m->alts[a].metric);

		if (r == NULL)
			continue;
		for (size_t s = 0; s < r->nseries; s++) {
			const struct gf_prom_series *se = &r->series[s];

			if (!gf_match_labels(m->match, m->nmatch, se->labels) ||
			    excluded(p, se->labels, NULL, NULL))
				continue;
			metric = m->alts[a].metric;
			for (size_t i = 0; i < se->n; i++) {
				if (!isfinite(se->v[i])) {
					free(sum.p);
					return gf_err_set(err, GF_EXIT_DATAERR,
					    "extract", "%s: metric '%s': value "
					    "at %.3f is not finite", name,
					    metric, se->t[i]);
				}
				col_add(&sum, key_of(se->t[i]), se->v[i] *
				    m->alts[a].scale);
			}
		}
	}
	if (metric == NULL) {
		free(sum.p);
		gf_err_set(err, GF_EXIT_DATAERR, "extract", "%s: no series of "
		    "metric '%s' for component '%s' of source '%s'", name,
		    m->alts[0].metric, m->name, source);
		return -2;
	}
	col_merge(&sum);
	if (sum.n < 2) {
		free(sum.p);
		return gf_err_set(err, GF_EXIT_DATAERR, "extract", "%s: metric "
		    "'%s' has %zu sample(s): at least 2 are needed for a rate",
		    name, metric, sum.n);
	}
	dt = (double)(sum.p[sum.n - 1].k - sum.p[0].k) / 1000.0 /
	    (double)(sum.n - 1);
	memset(out, 0, sizeof(*out));
	for (size_t i = 1; i < sum.n; i++) {
		double r = (sum.p[i].v - sum.p[i - 1].v) / dt;

		if (r < 0)
			r = have_prev ? prev : 0;
		else {
			prev = r;
			have_prev = 1;
		}
		col_add(out, sum.p[i].k, r);
	}
	free(sum.p);
	return 0;
}

struct idref {
	char *id;
	const struct gf_prom_series *s;
};

static int
idref_cmp(const void *a, const void *b)
{
	const struct idref *x = a, *y = b;

	return strcmp(x->id, y->id);
}

static char *
series_id(const struct gf_profile *p, const json_t *labels)
{
	struct gf_buf b = GF_BUF_INIT;

	if (p->nid == 0) {
		char *s = json_dumps(labels, JSON_SORT_KEYS | JSON_COMPACT);
		char *r = gf_xstrdup(s);

		free(s);
		return r;
	}
	for (size_t i = 0; i < p->nid; i++) {
		const json_t *v = json_object_get(labels, p->id_labels[i]);

		if (i > 0)
			gf_buf_addc(&b, '/');
		gf_buf_adds(&b, json_is_string(v) ? json_string_value(v) : "");
	}
	return gf_buf_detach(&b);
}

/*
 * Feature rate summed over workload series: per series id, sum duplicate
 * series, rate by each row's interval, first sample 0, negative repeats
 * the previous rate.
 */
static int
feature_column(const struct gf_qset *q, const struct gf_profile *p,
    const struct gf_pmetric *m, const json_t *drop_names,
    const struct gf_extract_opts *o, const char *name, struct col *out,
    struct gf_err *err)
{
	const struct gf_prom_result *r = NULL;
	const struct gf_metric_alt *alt = NULL;
	struct idref *refs = NULL;
	size_t nrefs = 0, total = 0;
	struct col one = { 0 };

	for (size_t a = 0; a < m->nalts; a++) {
		r = gf_qset_get(q, m->alts[a].metric);
		if (r != NULL && r->nseries > 0) {
			alt = &m->alts[a];
			break;
		}
	}
	if (alt == NULL)
		return gf_err_set(err, GF_EXIT_DATAERR, "extract", "%s: no "
		    "series of metric '%s' for feature '%s'", name,
		    m->alts[0].metric, m->name);
	refs = gf_xcalloc(r->nseries + 1, sizeof(*refs));
	for (size_t s = 0; s < r->nseries; s++) {
		const struct gf_prom_series *se = &r->series[s];

		if (!gf_match_labels(m->match, m->nmatch, se->labels) ||
		    excluded(p, se->labels, drop_names, o))
			continue;
		for (size_t i = 0; i < se->n; i++)
			if (!isfinite(se->v[i])) {
				free(refs);
				return gf_err_set(err, GF_EXIT_DATAERR,
				    "extract", "%s: metric '%s': value at %.3f "
				    "is not finite", name, alt->metric,
				    se->t[i]);
			}
		refs[nrefs].id = series_id(p, se->labels);
		refs[nrefs].s = se;
		total += se->n;
		nrefs++;
	}
	qsort(refs, nrefs, sizeof(*refs), idref_cmp);
	memset(out, 0, sizeof(*out));
	for (size_t g = 0; g < nrefs;) {
		size_t e = g;
		double prev = 0;

		one.n = 0;
		while (e < nrefs && strcmp(refs[e].id, refs[g].id) == 0) {
			for (size_t i = 0; i < refs[e].s->n; i++)
				col_add(&one, key_of(refs[e].s->t[i]),
				    refs[e].s->v[i]);
			e++;
		}
		col_merge(&one);
		for (size_t i = 0; i < one.n; i++) {
			double rate = 0;

			if (alt->gauge)
				rate = one.p[i].v;
			else if (i > 0) {
				rate = (one.p[i].v - one.p[i - 1].v) /
				    ((double)(one.p[i].k - one.p[i - 1].k) /
				    1000.0);
				if (rate < 0)
					rate = prev;
				prev = rate;
			}
			col_add(out, one.p[i].k, rate * alt->scale);
		}
		g = e;
	}
	for (size_t i = 0; i < nrefs; i++)
		free(refs[i].id);
	free(refs);
	free(one.p);
	col_merge(out);
	if (o != NULL && o->select != 0)
		return 0;
	if (out->n < 2 || total < 2) {
		free(out->p);
		memset(out, 0, sizeof(*out));
		return gf_err_set(err, GF_EXIT_DATAERR, "extract", "%s: metric "
		    "'%s' (feature '%s') has fewer than 2 samples", name,
		    alt->metric, m->name);
	}
	return 0;
}

/* Set of container_name values seen in the idle data's feature series. */
static json_t *
idle_containers(const struct gf_qset *idle, const struct gf_profile *p,
    const char *const *features, size_t nfeatures)
{
	json_t *set = json_object();

	for (size_t f = 0; f < nfeatures; f++) {
		const struct gf_pmetric *m = gf_profile_feature(p, features[f]);

		for (size_t a = 0; m != NULL && a < m->nalts; a++) {
			const struct gf_prom_result *r = gf_qset_get(idle,
			    m->alts[a].metric);

			for (size_t s = 0; r != NULL && s < r->nseries; s++) {
				const json_t *cn = json_object_get(
				    r->series[s].labels, "container_name");

				if (json_is_string(cn))
					json_object_set_new(set,
					    json_string_value(cn), json_true());
			}
		}
	}
	return set;
}

static void
table_alloc(struct gf_csv *t, size_t rows, size_t cols)
{
	t->rows = rows;
	t->cols = cols;
	t->names = gf_xcalloc(cols + 1, sizeof(char *));
	t->data = gf_xcalloc(rows * cols + 1, sizeof(double));
}

static void
smooth(struct gf_csv *t, size_t first, size_t last, int window)
{
	size_t w = (size_t)window, rows;
	double *out;

	if (t->rows < w) {
		t->rows = 0;
		return;
	}
	rows = t->rows - w + 1;
	out = gf_xcalloc(rows * t->cols + 1, sizeof(double));
	for (size_t r = 0; r < rows; r++) {
		const double *src = &t->data[(r + w - 1) * t->cols];

		memcpy(&out[r * t->cols], src, t->cols * sizeof(double));
		for (size_t c = first; c < last; c++) {
			double s = 0;

			for (size_t k = 0; k < w; k++)
				s += t->data[(r + k) * t->cols + c];
			out[r * t->cols + c] = s / (double)w;
		}
	}
	free(t->data);
	t->data = out;
	t->rows = rows;
}

int
gf_extract(const struct gf_qset *q, const struct gf_profile *p,
    const char *const *features, size_t nfeatures, const char *source,
    const struct gf_extract_opts *opts, struct gf_csv *out,
    struct gf_err *err)
{
	const struct gf_psource *ps = gf_profile_source(p, source);
	const char *name = opts->name ? opts->name : "<query>";
	const char *iso = opts->isolator ? opts->isolator : "none";
	struct col *fcols = NULL, *pcols = NULL;
	size_t *comps = NULL, nc = 0;
	double *idle_off = NULL;
	json_t *drop = NULL;
	size_t ncomp, rows = 0, cols;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (ps == NULL)
		return gf_err_set(err, GF_EXIT_DATAERR, "extract", "profile "
		    "'%s' has no power counters for energy source '%s'",
		    p->name, source);
	ncomp = ps->ncomps;
	if (strcmp(iso, "profile") == 0) {
		if (opts->idle == NULL)
			return gf_err_set(err, GF_EXIT_USAGE, NULL, "isolator "
			    "'profile' needs the idle query data (--idle)");
		drop = idle_containers(opts->idle, p, features, nfeatures);
		idle_off = gf_xcalloc(ncomp + 1, sizeof(double));
		for (size_t c = 0; c < ncomp; c++) {
			struct col ic;
			double mn = INFINITY, mx = -INFINITY;

			int irc = power_column(opts->idle, p, &ps->comps[c],
			    source, "idle data", &ic, err);

			if (irc == -2)
				continue;
			if (irc < 0)
				goto out;
			for (size_t i = 0; i < ic.n; i++) {
				mn = fmin(mn, ic.p[i].v);
				mx = fmax(mx, ic.p[i].v);
			}
			idle_off[c] = (mn + mx) / 2;
			free(ic.p);
		}
	} else if (strcmp(iso, "none") != 0 && strcmp(iso, "min") != 0) {
		return gf_err_set(err, GF_EXIT_USAGE, NULL, "unknown isolator "
		    "'%s' (none, min, profile, trainer)", iso);
	}
	fcols = gf_xcalloc(nfeatures + 1, sizeof(*fcols));
	pcols = gf_xcalloc(ncomp + 1, sizeof(*pcols));
	comps = gf_xcalloc(ncomp + 1, sizeof(*comps));
	/* A component without any series is left out (uncore often is). */
	for (size_t c = 0; c < ncomp; c++) {
		int prc = power_column(q, p, &ps->comps[c], source, name,
		    &pcols[nc], err);

		if (prc == -2)
			continue;
		if (prc < 0)
			goto out;
		comps[nc++] = c;
	}
	if (nc == 0)
		goto out;
	for (size_t f = 0; f < nfeatures; f++) {
		const struct gf_pmetric *m = gf_profile_feature(p, features[f]);

		if (m == NULL) {
			gf_err_set(err, GF_EXIT_DATAERR, "extract", "profile "
			    "'%s' has no counter for feature '%s'", p->name,
			    features[f]);
			goto out;
		}
		if (feature_column(q, p, m, drop, opts, name, &fcols[f],
		    err) < 0)
			goto out;
	}
	cols = 1 + nfeatures + nc + 1;
	table_alloc(out, pcols[0].n, cols);
	out->names[0] = gf_xstrdup("timestamp");
	for (size_t f = 0; f < nfeatures; f++)
		out->names[1 + f] = gf_xstrdup(features[f]);
	for (size_t c = 0; c < nc; c++)
		out->names[1 + nfeatures + c] = gf_xasprintf("%s_power",
		    ps->comps[comps[c]].name);
	out->names[cols - 1] = gf_xstrdup("node_type");
	for (size_t i = 0; i < pcols[0].n; i++) {
		int64_t k = pcols[0].p[i].k;
		double *row = &out->data[rows * cols], psum = 0;
		int miss = 0;

		row[0] = (double)k / 1000.0;
		for (size_t f = 0; f < nfeatures && !miss; f++) {
			const double *v = col_find(&fcols[f], k);

			if (v == NULL && opts->select != 0)
				row[1 + f] = 0;
			else if (v == NULL)
				miss = 1;
			else
				row[1 + f] = *v;
		}
		for (size_t c = 0; c < nc && !miss; c++) {
			const double *v = col_find(&pcols[c], k);

			if (v == NULL)
				miss = 1;
			else {
				row[1 + nfeatures + c] = *v;
				psum += *v;
			}
		}
		if (miss || psum == 0)
			continue;
		row[cols - 1] = opts->node_type;
		rows++;
	}
	out->rows = rows;
	if (opts->extractor != NULL && strcmp(opts->extractor, "smooth") == 0)
		smooth(out, 1, 1 + nfeatures + nc, opts->window > 0 ?
		    opts->window : 30);
	else if (opts->extractor != NULL &&
	    strcmp(opts->extractor, "default") != 0) {
		gf_err_set(err, GF_EXIT_USAGE, NULL, "unknown extractor '%s' "
		    "(default, smooth)", opts->extractor);
		goto out;
	}
	if (out->rows < 2) {
		gf_err_set(err, GF_EXIT_DATAERR, "extract", "%s: only %zu "
		    "row(s) with every feature and non-zero power: at least 2 "
		    "are needed", name, out->rows);
		goto out;
	}
	if (strcmp(iso, "min") == 0)
		gf_isolate_min(out, err);
	else if (idle_off != NULL)
		for (size_t r = 0; r < out->rows; r++)
			for (size_t c = 0; c < nc; c++) {
				double *v = &out->data[r * cols + 1 +
				    nfeatures + c];

				*v = fmax(0, *v - idle_off[comps[c]]);
			}
	rc = 0;
out:
	for (size_t f = 0; fcols != NULL && f < nfeatures; f++)
		free(fcols[f].p);
	for (size_t c = 0; pcols != NULL && c < nc; c++)
		free(pcols[c].p);
	free(fcols);
	free(pcols);
	free(comps);
	free(idle_off);
	json_decref(drop);
	if (rc < 0)
		gf_csv_release(out);
	return rc;
}

int
gf_table_append(struct gf_csv *a, const struct gf_csv *b, struct gf_err *err)
{
	if (a->cols == 0) {
		a->cols = b->cols;
		a->names = gf_xcalloc(b->cols + 1, sizeof(char *));
		for (size_t c = 0; c < b->cols; c++)
			a->names[c] = gf_xstrdup(b->names[c]);
	}
	if (a->cols != b->cols)
		return gf_err_set(err, GF_EXIT_SOFTWARE, NULL, "tables with "
		    "different columns cannot be appended");
	for (size_t c = 0; c < b->cols; c++)
		if (strcmp(a->names[c], b->names[c]) != 0)
			return gf_err_set(err, GF_EXIT_SOFTWARE, NULL, "tables "
			    "with different columns cannot be appended");
	a->data = gf_xreallocarray(a->data, (a->rows + b->rows) * a->cols + 1,
	    sizeof(double));
	memcpy(&a->data[a->rows * a->cols], b->data,
	    b->rows * b->cols * sizeof(double));
	a->rows += b->rows;
	return 0;
}
