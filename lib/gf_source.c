/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_source.h"
#include "gf_buf.h"
#include "gf_err.h"
#include "gf_parse.h"
#include "gf_prom.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

/* The recorded-file reader: a cursor over the text. */
struct rd {
	const char *s, *p, *end, *name;
	struct gf_err *err;
};

static int
rd_fail(struct rd *r, const char *what)
{
	int line = 1, col = 1;

	for (const char *q = r->s; q < r->p && q < r->end; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	return gf_err_set(r->err, GF_EXIT_DATAERR, "validate",
	    "%s:%d:%d: %s", r->name, line, col, what);
}

static void
rd_ws(struct rd *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' ||
	    *r->p == '\t' || *r->p == '\r'))
		r->p++;
}

static int
rd_char(struct rd *r, char c)
{
	char msg[32];

	rd_ws(r);
	if (r->p < r->end && *r->p == c) {
		r->p++;
		return 0;
	}
	snprintf(msg, sizeof(msg), "expected '%c'", c);
	return rd_fail(r, msg);
}

/* 1 and consume c when it is next, else 0. */
static int
rd_peek(struct rd *r, char c)
{
	rd_ws(r);
	if (r->p < r->end && *r->p == c) {
		r->p++;
		return 1;
	}
	return 0;
}

/* Skip a string (cursor on the opening quote). */
static int
rd_skip_string(struct rd *r)
{
	if (r->p >= r->end || *r->p != '"')
		return rd_fail(r, "expected a string");
	for (r->p++; r->p < r->end; r->p++) {
		if (*r->p == '\\')
			r->p++;
		else if (*r->p == '"') {
			r->p++;
			return 0;
		}
	}
	return rd_fail(r, "unterminated string");
}

/* Skip any value, checking bracket nesting only. */
static int
rd_skip(struct rd *r)
{
	const char *start;
	int depth = 0;

	rd_ws(r);
	if (r->p >= r->end)
		return rd_fail(r, "unexpected end of input");
	if (*r->p == '"')
		return rd_skip_string(r);
	if (*r->p != '{' && *r->p != '[') {
		start = r->p;
		while (r->p < r->end && strchr(",}] \t\r\n", *r->p) == NULL)
			r->p++;
		return r->p > start ? 0 : rd_fail(r, "expected a value");
	}
	while (r->p < r->end) {
		if (*r->p == '"') {
			if (rd_skip_string(r) == -1)
				return -1;
			continue;
		}
		if (*r->p == '{' || *r->p == '[')
			depth++;
		else if ((*r->p == '}' || *r->p == ']') && --depth == 0) {
			r->p++;
			return 0;
		}
		r->p++;
	}
	return rd_fail(r, "unexpected end of input");
}

/* A string value decoded (escapes included) by jansson. New string. */
static char *
rd_string(struct rd *r)
{
	const char *start;
	json_t *j;
	char *out;

	rd_ws(r);
	start = r->p;
	if (rd_skip_string(r) == -1)
		return NULL;
	j = json_loadb(start, (size_t)(r->p - start), JSON_DECODE_ANY, NULL);
	if (!json_is_string(j)) {
		json_decref(j);
		r->p = start;
		rd_fail(r, "bad string");
		return NULL;
	}
	out = gf_xstrdup(json_string_value(j));
	json_decref(j);
	return out;
}

/*
 * Decimal numbers of at most 15 significant digits and 22 fractional
 * ones, such as Prometheus writes: the digits make an exact double and
 * one division by an exact power of ten rounds correctly (Clinger's fast
 * path), so this equals strtod() at a fraction of its cost. Anything
 * else returns NULL and goes to strtod().
 */
static const char *
fast_decimal(const char *p, double *out)
{
	static const double pow10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6,
	    1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
	    1e18, 1e19, 1e20, 1e21, 1e22 };
	unsigned long long m = 0;
	int neg = 0, digits = 0, frac = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (*p < '0' || *p > '9')
		return NULL;
	for (; *p >= '0' && *p <= '9'; p++, digits++)
		m = m * 10 + (unsigned long long)(*p - '0');
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++, frac++)
			m = m * 10 + (unsigned long long)(*p - '0');
		if (frac == 0)
			return NULL;
	}
	if (digits > 15 || frac > 22 || *p == 'e' || *p == 'E')
		return NULL;
	*out = (double)m / pow10[frac];
	if (neg)
		*out = -*out;
	return p;
}

/* A sample value: a number, or a string Prometheus writes. */
static int
rd_number(struct rd *r, int quoted_ok, double *out)
{
	char *endp;
	int quoted = 0;

	rd_ws(r);
	if (quoted_ok && r->p < r->end && *r->p == '"') {
		quoted = 1;
		r->p++;
	}
	if (r->p >= r->end)
		return rd_fail(r, "expected a number");
	if ((endp = (char *)fast_decimal(r->p, out)) == NULL) {
		/* The text is NUL-terminated (gf_fs_read), so strtod stops. */
		*out = strtod(r->p, &endp);
		if (endp == r->p)
			return rd_fail(r, "expected a number");
	}
	r->p = endp;
	if (quoted && rd_char(r, '"') == -1)
		return -1;
	return 0;
}

static int
rd_values(struct rd *r, struct gf_prom_series *ps)
{
	size_t cap = 256;

	free(ps->t);
	free(ps->v);
	ps->n = 0;
	ps->t = gf_xreallocarray(NULL, cap, sizeof(double));
	ps->v = gf_xreallocarray(NULL, cap, sizeof(double));
	if (rd_char(r, '[') == -1)
		return -1;
	if (rd_peek(r, ']'))
		return 0;
	do {
		if (ps->n == cap) {
			cap *= 2;
			ps->t = gf_xreallocarray(ps->t, cap, sizeof(double));
			ps->v = gf_xreallocarray(ps->v, cap, sizeof(double));
		}
		if (rd_char(r, '[') == -1 ||
		    rd_number(r, 0, &ps->t[ps->n]) == -1 ||
		    rd_char(r, ',') == -1 ||
		    rd_number(r, 1, &ps->v[ps->n]) == -1 ||
		    rd_char(r, ']') == -1)
			return -1;
		if (!gf_time_ok(ps->t[ps->n]))
			return rd_fail(r, "a timestamp is not a time (unix "
			    "seconds, years 1 to 9999)");
		if (ps->n > 0 && ps->t[ps->n] <= ps->t[ps->n - 1])
			return rd_fail(r, "timestamps must increase");
		ps->n++;
	} while (rd_peek(r, ','));
	return rd_char(r, ']');
}

static int
rd_series(struct rd *r, struct gf_prom_series *ps)
{
	if (rd_char(r, '{') == -1)
		return -1;
	if (rd_peek(r, '}'))
		return 0;
	do {
		char *key = rd_string(r);
		int rc = 0;

		if (key == NULL || rd_char(r, ':') == -1) {
			free(key);
			return -1;
		}
		if (strcmp(key, "metric") == 0) {
			const char *start;

			rd_ws(r);
			start = r->p;
			if (rd_skip(r) == 0) {
				json_decref(ps->labels);
				ps->labels = json_loadb(start,
				    (size_t)(r->p - start), 0, NULL);
				if (!json_is_object(ps->labels)) {
					r->p = start;
					rc = rd_fail(r, "metric: expected an "
					    "object of labels");
				}
			} else {
				rc = -1;
			}
		} else if (strcmp(key, "values") == 0) {
			rc = rd_values(r, ps);
		} else {
			rc = rd_skip(r);
		}
		free(key);
		if (rc == -1)
			return -1;
	} while (rd_peek(r, ','));
	return rd_char(r, '}');
}

static int
rd_result(struct rd *r, struct gf_prom_result *res)
{
	int seen = 0;

	if (rd_char(r, '{') == -1)
		return -1;
	if (rd_peek(r, '}'))
		return rd_fail(r, "expected \"result\"");
	do {
		char *key = rd_string(r);
		int rc = 0;

		if (key == NULL || rd_char(r, ':') == -1) {
			free(key);
			return -1;
		}
		if (strcmp(key, "data") == 0) {
			rc = rd_result(r, res);
			seen = 1;
		} else if (strcmp(key, "result") == 0) {
			seen = 1;
			rc = rd_char(r, '[');
			if (rc == 0 && !rd_peek(r, ']')) {
				do {
					struct gf_prom_series *ps;

					res->series = gf_xreallocarray(
					    res->series, res->nseries + 1,
					    sizeof(*res->series));
					ps = &res->series[res->nseries++];
					memset(ps, 0, sizeof(*ps));
					ps->labels = json_object();
					if ((rc = rd_series(r, ps)) == -1)
						break;
				} while (rd_peek(r, ','));
				if (rc == 0)
					rc = rd_char(r, ']');
			}
		} else {
			rc = rd_skip(r);
		}
		free(key);
		if (rc == -1)
			return -1;
	} while (rd_peek(r, ','));
	if (!seen)
		return rd_fail(r, "expected \"result\"");
	return rd_char(r, '}');
}

int
gf_recorded_parse(struct gf_recorded *rec, const char *text, size_t len,
    const char *name, struct gf_err *err)
{
	struct rd r = { text, text, text + len, name, err };

	if (rd_char(&r, '{') == -1)
		return -1;
	if (!rd_peek(&r, '}')) {
		do {
			struct gf_recorded_query *q;
			char *key = rd_string(&r);

			if (key == NULL || rd_char(&r, ':') == -1) {
				free(key);
				return -1;
			}
			rec->q = gf_xreallocarray(rec->q, rec->n + 1,
			    sizeof(*rec->q));
			q = &rec->q[rec->n++];
			memset(q, 0, sizeof(*q));
			q->query = key;
			if (rd_result(&r, &q->res) == -1)
				return -1;
		} while (rd_peek(&r, ','));
		if (rd_char(&r, '}') == -1)
			return -1;
	}
	rd_ws(&r);
	if (r.p != r.end)
		return rd_fail(&r, "trailing text");
	return 0;
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
