/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_model_file.h"
#include "gf_compat.h"
#include "gf_csv.h"
#include "gf_err.h"
#include "gf_model.h"
#include "gf_model_impl.h"
#include "gf_model_weights.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

static json_t *
trees_json(const struct gf_model *m)
{
	json_t *trees = json_array();

	for (size_t t = 0; t < m->ntrees; t++) {
		json_t *f = json_array(), *th = json_array(), *l = json_array();
		json_t *r = json_array(), *v = json_array();

		for (size_t i = m->off[t]; i < m->off[t + 1]; i++) {
			const struct gf_tnode *nd = &m->nodes[i];

			json_array_append_new(f, json_integer(nd->feature));
			json_array_append_new(th, json_real(nd->thr));
			json_array_append_new(l, json_integer(nd->left));
			json_array_append_new(r, json_integer(nd->right));
			json_array_append_new(v, json_real(nd->value));
		}
		json_array_append_new(trees, json_pack("{s:o,s:o,s:o,s:o,s:o}",
		    "feature", f, "threshold", th, "left", l, "right", r,
		    "value", v));
	}
	return trees;
}

/*
 * The parts that grow with the training rows or the trees (KNN's
 * points, SVR's support vectors, the boosted trees): gf_model_write
 * writes them as text, so that no JSON value is made per number. NULL in
 * gf_model_to_json.
 */
struct big_arrays {
	const double *v[2];	/* NULL: the model's trees */
	size_t n[2], count;
};

/*
 * A marker in place of each big array. A name or annotation read from a
 * file may hold the same text: gf_model_write then writes the plain
 * json_dumps text instead (same output, more memory).
 */
#define BIG_MARK "\x01gf-array-"
#define MARK_DUMPED "\"\\u0001gf-array-"	/* as json_dumps writes it */

static json_t *
big_darray(struct big_arrays *b, const double *v, size_t n)
{
	char mark[32];

	if (b == NULL)
		return gf_json_reals(v, n);
	snprintf(mark, sizeof(mark), BIG_MARK "%zu", b->count);
	b->v[b->count] = v;
	b->n[b->count++] = n;
	return json_string(mark);
}

static json_t *
big_trees(struct big_arrays *b, const struct gf_model *m)
{
	char mark[32];

	if (b == NULL)
		return trees_json(m);
	snprintf(mark, sizeof(mark), BIG_MARK "%zu", b->count);
	b->v[b->count] = NULL;
	b->n[b->count++] = 0;
	return json_string(mark);
}

static json_t *
model_json(const struct gf_model *m, struct big_arrays *big)
{
	json_t *feat = json_array(), *params;

	for (size_t i = 0; i < m->nf; i++)
		json_array_append_new(feat, json_string(m->features[i]));
	switch (m->tid) {
	case GF_T_SGD:
	case GF_T_LINEAR:
	case GF_T_POLY:
		params = json_pack("{s:o,s:f}", "coef",
		    gf_json_reals(m->coef, m->ncoef), "intercept",
		    m->intercept);
		if (m->tid == GF_T_POLY)
			json_object_set_new(params, "degree", json_integer(2));
		break;
	case GF_T_GBR:
	case GF_T_XGB:
		params = json_pack("{s:f,s:o}", "base", m->base, "trees",
		    big_trees(big, m));
		break;
	case GF_T_KNN:
	case GF_T_SVR: {
		/* Marked in the order they are written. */
		json_t *pts = big_darray(big, m->pts, m->npts * m->nf);
		json_t *vals = big_darray(big, m->vals, m->npts);

		if (m->tid == GF_T_KNN)
			params = json_pack("{s:i,s:o,s:o}", "k", m->k, "X",
			    pts, "y", vals);
		else
			params = json_pack("{s:s,s:f,s:f,s:o,s:o}", "kernel",
			    "rbf", "gamma", m->gamma, "intercept",
			    m->intercept, "support_vectors", pts,
			    "dual_coef", vals);
		break;
	}
	default:
		params = json_pack("{s:s,s:o}", "feature",
		    m->features[m->main], "p",
		    gf_json_reals(m->p, (size_t)m->np));
		break;
	}
	json_t *j = json_pack("{s:s,s:i,s:s,s:o,s:{s:s,s:o},s:o}",
	    "format", "gf-model", "version", 1, "trainer",
	    gf_model_trainer(m), "features", feat, "scaler", "type",
	    "MaxAbsScaler", "max_abs", gf_json_reals(m->scale, m->nf), "params",
	    params);

	if (m->component)
		json_object_set_new(j, "component",
		    json_string(m->component));
	if (m->fq)
		json_object_set(j, "feature_queries", m->fq);
	if (m->meta)
		json_object_set(j, "meta", m->meta);
	return j;
}

json_t *
gf_model_to_json(const struct gf_model *m)
{
	return model_json(m, NULL);
}

/*
 * A number as jansson writes it at this precision: "1.0", not "1", and
 * the exponent without a plus sign or leading zeros ("1e-5", "2e20").
 */
static void
put_real(FILE *out, double v, int precision)
{
	char num[40], *e;
	int len = precision == 17 ? (int)gf_format_17g(v, num) :
	    snprintf(num, sizeof(num), "%.*g", precision, v);

	if (len > 0 && (e = strchr(num, 'e')) != NULL) {
		char *digits = e + 1, *from;

		if (*digits == '-')
			digits++;
		from = e + 1;
		while (*from == '+' || *from == '-' || *from == '0')
			from++;
		memmove(digits, from, strlen(from) + 1);
		len = (int)strlen(num);
	}
	if (len > 0)
		fwrite_unlocked(num, 1, (size_t)len, out);
	if (len > 0 && strpbrk(num, ".eE") == NULL)
		fwrite_unlocked(".0", 1, 2, out);
}

static void
put_int(FILE *out, int v)
{
	char num[12], *p = num + sizeof(num);
	unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	fwrite_unlocked(p, 1, (size_t)(num + sizeof(num) - p), out);
}

static void
put_str(FILE *out, const char *s)
{
	fwrite_unlocked(s, 1, strlen(s), out);
}

/* trees_json's text: per tree, each node field as an array. */
static void
put_trees(FILE *out, const struct gf_model *m, int precision)
{
	static const char *const field[] = { "feature", "threshold", "left",
		"right", "value" };

	putc_unlocked('[', out);
	for (size_t t = 0; t < m->ntrees; t++) {
		const struct gf_tnode *nd = m->nodes + m->off[t];
		size_t n = m->off[t + 1] - m->off[t];

		put_str(out, t > 0 ? ",{" : "{");
		for (int f = 0; f < 5; f++) {
			put_str(out, f > 0 ? ",\"" : "\"");
			put_str(out, field[f]);
			put_str(out, "\":[");
			for (size_t i = 0; i < n; i++) {
				if (i > 0)
					putc_unlocked(',', out);
				if (f == 1 || f == 4)
					put_real(out, f == 1 ? nd[i].thr :
					    nd[i].value, precision);
				else
					put_int(out, f == 0 ?
					    nd[i].feature : f == 2 ?
					    nd[i].left : nd[i].right);
			}
			putc_unlocked(']', out);
		}
		putc_unlocked('}', out);
	}
	putc_unlocked(']', out);
}

/*
 * 1 when text's markers are exactly model_json's: each of 0 ... count - 1
 * once, in whatever order the JSON text has them.
 */
static int
markers_only_ours(const char *text, size_t count)
{
	int seen[GF_ARRAY_LEN(((struct big_arrays *)0)->v)] = { 0 };
	size_t n = 0;

	for (const char *q = text; (q = strstr(q, MARK_DUMPED)) != NULL;
	    q++) {
		char *end;
		unsigned long k = strtoul(q + strlen(MARK_DUMPED), &end, 10);

		if (k >= count || *end != '"' || seen[k]++)
			return 0;
		n++;
	}
	return n == count;
}

int
gf_model_write(const struct gf_model *m, int precision, FILE *out)
{
	struct big_arrays big = { .count = 0 };
	json_t *j = model_json(m, &big);
	char *text = json_dumps(j, JSON_COMPACT |
	    JSON_REAL_PRECISION(precision));
	const char *p = text, *q;

	json_decref(j);
	if (text == NULL)
		GF_BUG("json_dumps failed");
	if (!markers_only_ours(text, big.count)) {
		free(text);
		j = model_json(m, NULL);
		text = json_dumps(j, JSON_COMPACT |
		    JSON_REAL_PRECISION(precision));
		json_decref(j);
		if (text == NULL)
			GF_BUG("json_dumps failed");
		fputs(text, out);
		free(text);
		return ferror(out) ? -1 : 0;
	}
	/*
	 * Each marker string, quotes included, becomes its array. The
	 * stream is this writer's alone: locked once, not per number.
	 */
	flockfile(out);
	while ((q = strstr(p, MARK_DUMPED)) != NULL) {
		char *end;
		size_t k = strtoul(q + strlen(MARK_DUMPED), &end, 10);

		if (k >= big.count || *end != '"')
			GF_BUG("bad array marker in a model");
		fwrite_unlocked(p, 1, (size_t)(q - p), out);
		if (big.v[k] == NULL) {
			put_trees(out, m, precision);
		} else {
			putc_unlocked('[', out);
			for (size_t i = 0; i < big.n[k]; i++) {
				if (i > 0)
					putc_unlocked(',', out);
				put_real(out, big.v[k][i], precision);
			}
			putc_unlocked(']', out);
		}
		p = end + 1;
	}
	put_str(out, p);
	funlockfile(out);
	free(text);
	return ferror(out) ? -1 : 0;
}

char *
gf_model_dumps(const struct gf_model *m, int precision)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (out == NULL || gf_model_write(m, precision, out) < 0 ||
	    fclose(out) != 0)
		GF_BUG("cannot write a model to memory");
	return text;
}

/* 1 when v is a whole number in [lo, hi] (an index read from a file). */
static int
in_range(double v, double lo, double hi)
{
	return v >= lo && v <= hi && v == floor(v);
}

static int
trees_from_json(struct gf_model *m, const json_t *trees, const char *name,
    struct gf_err *err)
{
	size_t total = 0;

	if (!json_is_array(trees))
		return gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "%s: 'params.trees' is not an array", name);
	m->ntrees = json_array_size(trees);
	m->off = gf_xcalloc(m->ntrees + 1, sizeof(*m->off));
	for (size_t t = 0; t < m->ntrees; t++) {
		const json_t *tr = json_array_get(trees, t);
		const json_t *f = json_object_get(tr, "feature");

		if (!json_is_array(f) || json_array_size(f) == 0)
			return gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "%s: tree %zu: 'feature' is not an array", name, t);
		total += json_array_size(f);
		m->off[t + 1] = total;
	}
	m->nodes = gf_xcalloc(total ? total : 1, sizeof(*m->nodes));
	for (size_t t = 0; t < m->ntrees; t++) {
		const json_t *tr = json_array_get(trees, t);
		size_t n = m->off[t + 1] - m->off[t];
		static const char *const keys[] = { "feature", "threshold",
		    "left", "right", "value" };
		double *a[5] = { NULL };
		int bad = 0;

		for (int k = 0; k < 5 && !bad; k++)
			if (gf_read_reals(tr, keys[k], name, &a[k], n, NULL,
			    err) < 0)
				bad = 1;
		for (size_t i = 0; i < n && !bad; i++) {
			struct gf_tnode *nd = &m->nodes[m->off[t] + i];

			/* Checked as doubles: a cast out of range is UB. */
			if (!in_range(a[0][i], -1, (double)m->nf - 1) ||
			    !in_range(a[2][i], -1, (double)n - 1) ||
			    !in_range(a[3][i], -1, (double)n - 1)) {
				gf_err_set(err, GF_EXIT_DATAERR, "model",
				    "%s: tree %zu node %zu is malformed", name,
				    t, i);
				bad = 1;
				break;
			}
			nd->feature = (int)a[0][i];
			nd->thr = a[1][i];
			nd->left = (int)a[2][i];
			nd->right = (int)a[3][i];
			nd->value = a[4][i];
			if (nd->feature >= 0 && (nd->left <= (int)i ||
			    nd->right <= (int)i)) {
				gf_err_set(err, GF_EXIT_DATAERR, "model",
				    "%s: tree %zu node %zu is malformed", name,
				    t, i);
				bad = 1;
			}
		}
		for (int k = 0; k < 5; k++)
			free(a[k]);
		if (bad)
			return -1;
	}
	return 0;
}

static int
params_from_json(struct gf_model *m, const json_t *p, const char *name,
    struct gf_err *err)
{
	size_t n;

	if (!json_is_object(p))
		return gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "%s: 'params' is not an object", name);
	switch (m->tid) {
	case GF_T_SGD:
	case GF_T_LINEAR:
	case GF_T_POLY:
		m->ncoef = m->tid == GF_T_POLY ? gf_poly_nterms(m->nf) : m->nf;
		if (gf_read_reals(p, "coef", name, &m->coef, m->ncoef, NULL,
		    err) < 0)
			return -1;
		return gf_read_real(p, "intercept", name, &m->intercept, err);
	case GF_T_GBR:
	case GF_T_XGB:
		if (gf_read_real(p, "base", name, &m->base, err) < 0)
			return -1;
		return trees_from_json(m, json_object_get(p, "trees"), name,
		    err);
	case GF_T_KNN: {
		const json_t *k = json_object_get(p, "k");

		/* gf_predict_knn keeps at most 64 neighbours. */
		if (!json_is_integer(k) || json_integer_value(k) < 1 ||
		    json_integer_value(k) > 64)
			return gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "%s: 'params.k' is not an integer from 1 to 64",
			    name);
		m->k = (int)json_integer_value(k);
		if (gf_read_reals(p, "y", name, &m->vals, 0, &m->npts,
		    err) < 0 || gf_read_reals(p, "X", name, &m->pts,
		    m->npts * m->nf, NULL, err) < 0)
			return -1;
		if (m->npts == 0 || m->npts > UINT32_MAX)
			return gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "%s: 'params.y' has %zu values", name, m->npts);
		gf_knn_index(m);
		return 0;
	}
	case GF_T_SVR:
		if (gf_read_real(p, "gamma", name, &m->gamma, err) < 0 ||
		    gf_read_real(p, "intercept", name, &m->intercept,
		    err) < 0 || gf_read_reals(p, "dual_coef", name, &m->vals,
		    0, &m->npts, err) < 0)
			return -1;
		return gf_read_reals(p, "support_vectors", name, &m->pts,
		    m->npts * m->nf, NULL, err);
	default: {
		const char *f = json_string_value(json_object_get(p,
		    "feature"));
		double *pv;

		m->main = -1;
		for (size_t j = 0; f && j < m->nf; j++)
			if (strcmp(f, m->features[j]) == 0)
				m->main = (int)j;
		if (m->main < 0)
			return gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "%s: 'params.feature' is not one of the features",
			    name);
		m->np = m->tid == GF_T_LOGISTIC ? 4 : 3;
		if (gf_read_reals(p, "p", name, &pv, (size_t)m->np, &n,
		    err) < 0)
			return -1;
		memcpy(m->p, pv, n * sizeof(*pv));
		free(pv);
		return 0;
	}
	}
}

struct gf_model *
gf_model_from_json(const json_t *j, const char *name, struct gf_err *err)
{
	const char *fmt, *tr;
	const json_t *feat, *sc;
	struct gf_model *m;
	int tid;
	double *scale = NULL;

	if (name == NULL)
		name = "<model>";
	fmt = json_string_value(json_object_get(j, "format"));
	if (fmt == NULL || strcmp(fmt, "gf-model") != 0) {
		gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "%s: not a gf model file ('format' is not \"gf-model\")",
		    name);
		return NULL;
	}
	if (json_integer_value(json_object_get(j, "version")) != 1) {
		gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "%s: unsupported 'version' (1 expected)", name);
		return NULL;
	}
	tr = json_string_value(json_object_get(j, "trainer"));
	tid = tr ? gf_trainer_lookup(tr) : -1;
	if (tid < 0) {
		gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "%s: unknown 'trainer' '%s'", name, tr ? tr : "(none)");
		return NULL;
	}
	feat = json_object_get(j, "features");
	if (!json_is_array(feat) || json_array_size(feat) == 0) {
		gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "%s: 'features' is not a non-empty array", name);
		return NULL;
	}
	m = gf_model_new(tid, json_array_size(feat));
	for (size_t i = 0; i < m->nf; i++) {
		const char *s = json_string_value(json_array_get(feat, i));

		if (s == NULL) {
			gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "%s: 'features'[%zu] is not a string", name, i);
			goto fail;
		}
		m->features[i] = gf_xstrdup(s);
	}
	sc = json_object_get(j, "scaler");
	if (gf_read_reals(sc, "max_abs", name, &scale, m->nf, NULL, err) < 0)
		goto fail;
	for (size_t i = 0; i < m->nf; i++)
		if (scale[i] <= 0) {
			gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "%s: 'scaler.max_abs'[%zu] is not positive", name,
			    i);
			goto fail;
		}
	memcpy(m->scale, scale, m->nf * sizeof(*scale));
	free(scale);
	scale = NULL;
	if (params_from_json(m, json_object_get(j, "params"), name, err) < 0)
		goto fail;
	if (json_is_string(json_object_get(j, "component")))
		m->component = gf_xstrdup(json_string_value(
		    json_object_get(j, "component")));
	if (json_is_object(json_object_get(j, "feature_queries")))
		m->fq = json_incref(json_object_get(j, "feature_queries"));
	if (json_is_object(json_object_get(j, "meta")))
		m->meta = json_incref(json_object_get(j, "meta"));
	return m;
fail:
	free(scale);
	gf_model_free(m);
	return NULL;
}

struct gf_model *
gf_model_load(const char *path, struct gf_err *err)
{
	json_error_t je;
	json_t *j;
	struct gf_model *m;

	if (access(path, R_OK) != 0) {
		gf_err_set(err, GF_EXIT_NOINPUT, "model",
		    "cannot read '%s': %s",
		    path, strerror(errno));
		return NULL;
	}
	j = json_load_file(path, JSON_DECODE_ANY, &je);
	if (j == NULL) {
		gf_err_set(err, GF_EXIT_DATAERR, "model", "%s:%d:%d: %s", path,
		    je.line, je.column, je.text);
		return NULL;
	}
	if (json_object_get(j, "format") != NULL)
		m = gf_model_from_json(j, path, err);
	else
		m = gf_model_from_kepler_weights(j, NULL, path, err);
	json_decref(j);
	return m;
}
