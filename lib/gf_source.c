/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_source.h"
#include "gf_buf.h"
#include "gf_err.h"
#include "gf_matrix.h"
#include "gf_prom.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

static struct gf_recorded_query *
add_query(struct gf_recorded *rec, char *query)
{
	struct gf_recorded_query *q;

	rec->q = gf_xreallocarray(rec->q, rec->n + 1, sizeof(*rec->q));
	q = &rec->q[rec->n++];
	memset(q, 0, sizeof(*q));
	q->query = query;
	return q;
}

/*
 * The documented shape by gf_matrix's scanner: a day of samples for many
 * checks loads in a fraction of what a jansson tree costs. -1 to give
 * up on anything else, errors included.
 */
static int
scan_recorded(struct gf_recorded *rec, const char *text, size_t len)
{
	struct gf_matrix_scan s = { text, text + len };

	if (!gf_matrix_scan_eat(&s, '{'))
		return -1;
	if (!gf_matrix_scan_eat(&s, '}')) {
		do {
			char *key = gf_matrix_scan_key(&s);

			if (key == NULL || gf_recorded_find(rec, key) != NULL ||
			    !gf_matrix_scan_eat(&s, ':')) {
				free(key);
				return -1;
			}
			if (gf_matrix_scan_result(&s,
			    &add_query(rec, key)->res) < 0)
				return -1;
		} while (gf_matrix_scan_eat(&s, ','));
		if (!gf_matrix_scan_eat(&s, '}'))
			return -1;
	}
	while (s.p < s.end && (*s.p == ' ' || *s.p == '\n' || *s.p == '\t' ||
	    *s.p == '\r'))
		s.p++;
	return s.p == s.end ? 0 : -1;
}

int
gf_recorded_parse(struct gf_recorded *rec, const char *text, size_t len,
    const char *name, struct gf_err *err)
{
	struct gf_matrix_from from = { "", "validate", GF_EXIT_DATAERR };
	json_error_t je;
	json_t *root, *v;
	const char *query;
	int rc = 0;

	if (scan_recorded(rec, text, len) == 0)
		return 0;
	gf_recorded_release(rec);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return gf_err_set(err, GF_EXIT_DATAERR, "validate",
		    "%s:%d:%d: %s", name, je.line, je.column, je.text);
	if (!json_is_object(root))
		rc = gf_err_set(err, GF_EXIT_DATAERR, "validate", "%s: "
		    "expected an object of query -> recorded result", name);
	json_object_foreach(json_is_object(root) ? root : NULL, query, v) {
		char *where = gf_xasprintf("%s: query '%s'", name, query);

		from.where = where;
		rc = gf_matrix_result_json(v, &from,
		    &add_query(rec, gf_xstrdup(query))->res, err);
		free(where);
		if (rc < 0)
			break;
	}
	json_decref(root);
	return rc;
}

const struct gf_prom_result *
gf_recorded_find(const struct gf_recorded *rec, const char *query)
{
	for (size_t i = 0; i < rec->n; i++)
		if (strcmp(rec->q[i].query, query) == 0)
			return &rec->q[i].res;
	return NULL;
}

void
gf_prom_result_copy(struct gf_prom_result *out,
    const struct gf_prom_result *in)
{
	memset(out, 0, sizeof(*out));
	out->series = gf_xcalloc(in->nseries + 1, sizeof(*out->series));
	for (size_t i = 0; i < in->nseries; i++) {
		const struct gf_prom_series *s = &in->series[i];
		struct gf_prom_series *d = &out->series[i];

		d->labels = json_deep_copy(s->labels);
		d->t = gf_xcalloc(s->n + 1, sizeof(double));
		d->v = gf_xcalloc(s->n + 1, sizeof(double));
		if (s->n > 0) {
			memcpy(d->t, s->t, s->n * sizeof(double));
			memcpy(d->v, s->v, s->n * sizeof(double));
		}
		d->n = s->n;
	}
	out->nseries = in->nseries;
}

void
gf_recorded_release(struct gf_recorded *rec)
{
	if (rec == NULL)
		return;
	for (size_t i = 0; i < rec->n; i++) {
		free(rec->q[i].query);
		gf_prom_result_release(&rec->q[i].res);
	}
	free(rec->q);
	rec->q = NULL;
	rec->n = 0;
}

static void
labels_text(struct gf_buf *b, const json_t *labels)
{
	const char *k;
	json_t *v;
	int first = 1;

	gf_buf_addc(b, '{');
	json_object_foreach((json_t *)labels, k, v) {
		gf_buf_addf(b, "%s%s=\"%s\"", first ? "" : ", ", k,
		    json_string_value(v) ? json_string_value(v) : "");
		first = 0;
	}
	gf_buf_addc(b, '}');
}

static int
one_series(const struct gf_prom_result *res, const char *q, const char *what,
    struct gf_err *err)
{
	struct gf_buf b = GF_BUF_INIT;

	if (res->nseries == 1)
		return 0;
	if (res->nseries == 0)
		return gf_err_set(err, GF_EXIT_DATAERR, "validate",
		    "%s: query returned no series (no data in the range?): "
		    "%s", what, q);
	for (size_t i = 0; i < res->nseries && i < 3; i++) {
		if (i > 0)
			gf_buf_adds(&b, ", ");
		labels_text(&b, res->series[i].labels);
	}
	if (res->nseries > 3)
		gf_buf_adds(&b, ", ...");
	gf_err_set(err, GF_EXIT_DATAERR, "validate",
	    "%s: query returned %zu series, want exactly one (aggregate it, "
	    "e.g. sum(...)): %s; query: %s", what, res->nseries,
	    gf_buf_str(&b), q);
	gf_buf_release(&b);
	return -1;
}

static int
source_fetch(const struct gf_vsource *src, const char *q, double start,
    double end, struct gf_prom_result *res, struct gf_err *err)
{
	const struct gf_prom_result *r;

	if (src->rec == NULL)
		return gf_prom_query_range(src->prom, q, start, end,
		    src->step, res, err);
	if ((r = gf_recorded_find(src->rec, q)) == NULL)
		return gf_err_set(err, GF_EXIT_DATAERR, "validate",
		    "%s: query not recorded: %s", src->rec_name != NULL ?
		    src->rec_name : "recorded series", q);
	gf_prom_result_copy(res, r);
	/*
	 * What Prometheus would answer: the samples in [start, end], and
	 * only the series that have one there.
	 */
	size_t nseries = 0;

	for (size_t i = 0; i < res->nseries; i++) {
		struct gf_prom_series *s = &res->series[i];
		size_t kept = 0;

		for (size_t k = 0; k < s->n; k++)
			if (s->t[k] >= start && s->t[k] <= end) {
				s->t[kept] = s->t[k];
				s->v[kept++] = s->v[k];
			}
		s->n = kept;
		if (kept == 0) {
			json_decref(s->labels);
			free(s->t);
			free(s->v);
			continue;
		}
		res->series[nseries++] = *s;
	}
	res->nseries = nseries;
	return 0;
}

int
gf_vsource_range(const struct gf_vsource *src, const char *q,
    const char *what, double start, double end, struct gf_prom_result *res,
    struct gf_err *err)
{
	memset(res, 0, sizeof(*res));
	if (source_fetch(src, q, start, end, res, err) == -1)
		return gf_err_prefix(err, "%s", what);
	return one_series(res, q, what, err);
}

int
gf_vsource_value(const struct gf_vsource *src, const char *q,
    const char *what, double t, double *value, double *at,
    struct gf_err *err)
{
	struct gf_prom_result res;
	const struct gf_prom_series *s;
	int rc;

	memset(&res, 0, sizeof(res));
	if (src->rec != NULL)
		rc = source_fetch(src, q, -INFINITY, isnan(t) ? INFINITY : t,
		    &res, err);
	else
		rc = gf_prom_query(src->prom, q, t, &res, err);
	if (rc == -1) {
		gf_prom_result_release(&res);
		return gf_err_prefix(err, "%s", what);
	}
	if (one_series(&res, q, what, err) == -1) {
		gf_prom_result_release(&res);
		return -1;
	}
	s = &res.series[0];
	if (s->n == 0) {
		gf_prom_result_release(&res);
		return gf_err_set(err, GF_EXIT_DATAERR, "validate",
		    "%s: query returned no sample: %s", what, q);
	}
	*value = s->v[s->n - 1];
	*at = s->t[s->n - 1];
	gf_prom_result_release(&res);
	return 0;
}
