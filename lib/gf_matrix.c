/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "gf_matrix.h"
#include "gf_csv.h"
#include "gf_parse.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

/* ---- the sample rules ---- */

/* 1 when s[0..len) is word, in any case. */
static int
word(const char *s, size_t len, const char *w)
{
	return strlen(w) == len && strncasecmp(s, w, len) == 0;
}

/*
 * Decimals as Prometheus writes them, [-]digits[.digits] of at most 15
 * digits: the digits make an exact double and one division by an exact
 * power of ten rounds correctly (Clinger's fast path), so this equals
 * strtod at a fraction of its cost. NULL for anything else (the caller
 * asks gf_csv_number). With json set, a leading zero ends the number
 * as JSON says; *integer is 1 when there is no fraction.
 */
static const char *
decimal(const char *p, const char *e, int json, double *out, int *integer)
{
	static const double pow10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6,
	    1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15 };
	unsigned long long m = 0;
	const char *d;
	int neg = 0;
	size_t nd, frac = 0;

	if (p < e && *p == '-') {
		neg = 1;
		p++;
	}
	for (d = p; p < e && *p >= '0' && *p <= '9'; p++)
		m = m * 10 + (unsigned long long)(*p - '0');
	nd = (size_t)(p - d);
	if (nd == 0 || (json && nd > 1 && *d == '0'))
		return NULL;
	*integer = 1;
	if (p < e && *p == '.') {
		for (d = ++p; p < e && *p >= '0' && *p <= '9'; p++)
			m = m * 10 + (unsigned long long)(*p - '0');
		frac = (size_t)(p - d);
		if (frac == 0)
			return NULL;
		*integer = 0;
	}
	if (nd + frac > 15 || (p < e && (*p == 'e' || *p == 'E')))
		return NULL;
	*out = (double)m / pow10[frac];
	if (neg)
		*out = -*out;
	return p;
}

enum gf_matrix_fault
gf_matrix_value(const char *s, size_t len, double *v)
{
	const char *p = s, *e = s + len;
	int neg = 0, integer;

	if (decimal(s, e, 0, v, &integer) == e)
		return GF_MATRIX_OK;
	if (len == 0)
		return GF_MATRIX_VALUE_TEXT;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (p < e && (*p == 'n' || *p == 'N' || *p == 'i' || *p == 'I')) {
		/* One NaN, whatever its sign: "-NaN" prints as "-nan". */
		if (word(p, (size_t)(e - p), "nan"))
			*v = NAN;
		else if (word(p, (size_t)(e - p), "inf") ||
		    word(p, (size_t)(e - p), "infinity"))
			*v = neg ? -INFINITY : INFINITY;
		else
			return GF_MATRIX_VALUE_TEXT;
		return GF_MATRIX_OK;
	}
	/*
	 * strtod's decimals without its blanks and hex: of these bytes,
	 * what gf_csv_number reads whole is a decimal.
	 */
	for (p = s; p < e; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' ||
		    *p == 'E' || *p == '+' || *p == '-'))
			return GF_MATRIX_VALUE_TEXT;
	if (!gf_csv_number(s, e, v))
		return GF_MATRIX_VALUE_TEXT;
	return isinf(*v) ? GF_MATRIX_VALUE_RANGE : GF_MATRIX_OK;
}

enum gf_matrix_fault
gf_matrix_time(const struct gf_prom_series *s, double t)
{
	if (!gf_time_ok(t))
		return GF_MATRIX_TIME_RANGE;
	if (s->n > 0 && !(t > s->t[s->n - 1]))
		return GF_MATRIX_TIME_ORDER;
	return GF_MATRIX_OK;
}

static void
push(struct gf_prom_series *s, size_t *cap, double t, double v)
{
	if (s->n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		s->t = gf_xreallocarray(s->t, *cap, sizeof(double));
		s->v = gf_xreallocarray(s->v, *cap, sizeof(double));
	}
	s->t[s->n] = t;
	s->v[s->n] = v;
	s->n++;
}

/* Consumers may read t and v of a series without samples. */
static void
arrays(struct gf_prom_series *s)
{
	if (s->t == NULL) {
		s->t = gf_xcalloc(1, sizeof(double));
		s->v = gf_xcalloc(1, sizeof(double));
	}
}

/* ---- the tree reader ---- */

static int GF_PRINTF(3, 4)
fail(struct gf_err *err, const struct gf_matrix_from *from, const char *fmt,
    ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return gf_err_set(err, from->exit, from->origin, "%s%s%s",
	    from->where, from->where[0] != '\0' ? ": " : "", msg);
}

static int
sample_json(const json_t *pair, struct gf_prom_series *s, size_t *cap,
    const struct gf_matrix_from *from, size_t idx, struct gf_err *err)
{
	const json_t *jt = json_array_get(pair, 0), *jv = json_array_get(pair,
	    1);
	const char *text = json_string_value(jv);
	size_t k = s->n;
	double t, v = 0;

	if (!json_is_array(pair) || json_array_size(pair) != 2)
		return fail(err, from, "series %zu sample %zu: expected "
		    "[timestamp, \"value\"]", idx, k);
	if (!json_is_number(jt))
		return fail(err, from, "series %zu sample %zu: the timestamp "
		    "is not a number (unix seconds)", idx, k);
	t = json_number_value(jt);
	switch (gf_matrix_time(s, t)) {
	case GF_MATRIX_TIME_RANGE:
		return fail(err, from, "series %zu sample %zu: timestamp %g "
		    "is not a time (unix seconds, years 1 to 9999)", idx, k,
		    t);
	case GF_MATRIX_TIME_ORDER:
		return fail(err, from, "series %zu sample %zu: timestamp "
		    "%.15g is not after the previous sample's (%.15g)", idx,
		    k, t, s->t[k - 1]);
	default:
		break;
	}
	if (json_is_number(jv))
		v = json_number_value(jv);
	else if (text == NULL)
		return fail(err, from, "series %zu sample %zu: the value is "
		    "neither a string nor a number", idx, k);
	else switch (gf_matrix_value(text, json_string_length(jv), &v)) {
	case GF_MATRIX_VALUE_TEXT:
		return fail(err, from, "series %zu sample %zu: value '%.40s' "
		    "is not a number (Prometheus writes \"1.5\", \"NaN\", "
		    "\"+Inf\", \"-Inf\")", idx, k, text);
	case GF_MATRIX_VALUE_RANGE:
		return fail(err, from, "series %zu sample %zu: value '%.40s' "
		    "is beyond the largest double", idx, k, text);
	default:
		break;
	}
	push(s, cap, t, v);
	return 0;
}

static int
labels_json(const json_t *js, const struct gf_matrix_from *from,
    size_t idx, struct gf_prom_series *out, struct gf_err *err)
{
	const json_t *labels = json_object_get(js, "metric");
	const char *k;
	json_t *v;

	if (labels == NULL) {
		out->labels = json_object();
		return 0;
	}
	if (!json_is_object(labels))
		return fail(err, from, "series %zu: \"metric\" is not an "
		    "object of labels", idx);
	json_object_foreach((json_t *)labels, k, v)
		if (!json_is_string(v))
			return fail(err, from, "series %zu: label '%s' is not "
			    "a string", idx, k);
	out->labels = json_deep_copy(labels);
	return 0;
}

/* A matrix series, or with vector set an instant vector's element. */
static int
series_json(const json_t *js, int vector, const struct gf_matrix_from *from,
    size_t idx, struct gf_prom_series *out, struct gf_err *err)
{
	const json_t *values = json_object_get(js, vector ? "value" :
	    "values");
	size_t cap = 0, i;
	json_t *pair;

	if (!json_is_object(js) || (vector ? values == NULL :
	    !json_is_array(values)))
		return fail(err, from, "series %zu: expected {\"metric\": "
		    "{...}, %s}", idx, vector ? "\"value\": [t, \"v\"]" :
		    "\"values\": [...]");
	if (labels_json(js, from, idx, out, err) < 0)
		return -1;
	if (vector)
		return sample_json(values, out, &cap, from, idx, err);
	json_array_foreach(values, i, pair)
		if (sample_json(pair, out, &cap, from, idx, err) < 0)
			return -1;
	arrays(out);
	return 0;
}

int
gf_matrix_series_json(const json_t *js, const struct gf_matrix_from *from,
    size_t idx, struct gf_prom_series *out, struct gf_err *err)
{
	return series_json(js, 0, from, idx, out, err);
}

static struct gf_prom_series *
add_series(struct gf_prom_result *res)
{
	struct gf_prom_series *s;

	res->series = gf_xreallocarray(res->series, res->nseries + 1,
	    sizeof(*res->series));
	s = &res->series[res->nseries++];
	memset(s, 0, sizeof(*s));
	return s;
}

static void
add_warning(struct gf_prom_result *res, const char *w, size_t len)
{
	res->warnings = gf_xreallocarray(res->warnings, res->nwarnings + 1,
	    sizeof(char *));
	res->warnings[res->nwarnings++] = gf_xstrndup(w, len);
}

int
gf_matrix_result_json(const json_t *j, const struct gf_matrix_from *from,
    struct gf_prom_result *res, struct gf_err *err)
{
	const json_t *status = json_object_get(j, "status");
	const json_t *d = json_object_get(j, "data"), *result, *js, *w;
	const char *type;
	size_t i;

	if (!json_is_object(j))
		return fail(err, from, "expected a Prometheus result, an "
		    "object");
	if (status != NULL && !json_is_string(status))
		return fail(err, from, "\"status\" is not a string");
	if (status != NULL && strcmp(json_string_value(status), "success")) {
		const char *et = json_string_value(json_object_get(j,
		    "errorType")), *em = json_string_value(json_object_get(j,
		    "error"));

		return fail(err, from, "the response is status '%s': %s: %s",
		    json_string_value(status), et ? et : "error",
		    em ? em : "(no message)");
	}
	if (d == NULL && status != NULL)
		return fail(err, from, "the response has no \"data\"");
	if (d != NULL) {
		if (!json_is_object(d))
			return fail(err, from, "\"data\" is not an object");
		json_array_foreach(json_object_get(j, "warnings"), i, w)
			if (json_is_string(w))
				add_warning(res, json_string_value(w),
				    json_string_length(w));
		j = d;
	}
	type = json_string_value(json_object_get(j, "resultType"));
	result = json_object_get(j, "result");
	if (json_object_get(j, "resultType") != NULL && type == NULL)
		return fail(err, from, "\"resultType\" is not a string");
	if (result == NULL)
		return fail(err, from, "expected {\"resultType\": \"matrix\", "
		    "\"result\": [...]}");
	if (type != NULL && strcmp(type, "scalar") == 0) {
		size_t cap = 0;
		struct gf_prom_series *s = add_series(res);

		s->labels = json_object();
		return sample_json(result, s, &cap, from, 0, err);
	}
	if (type != NULL && strcmp(type, "matrix") != 0 &&
	    strcmp(type, "vector") != 0)
		return fail(err, from, "resultType '%s' is not a series of "
		    "numbers", type);
	if (!json_is_array(result))
		return fail(err, from, "\"result\" is not an array of "
		    "series");
	json_array_foreach(result, i, js)
		if (series_json(js, type != NULL && strcmp(type, "vector") ==
		    0, from, i, add_series(res), err) < 0)
			return -1;
	return 0;
}

/* ---- the scanner ---- */

static void
ws(struct gf_matrix_scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' ||
	    *s->p == '\t' || *s->p == '\r'))
		s->p++;
}

static inline int
eat(struct gf_matrix_scan *s, char c)
{
	ws(s);
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return 1;
	}
	return 0;
}

int
gf_matrix_scan_eat(struct gf_matrix_scan *s, char c)
{
	return eat(s, c);
}

void
gf_matrix_scan_ws(struct gf_matrix_scan *s)
{
	ws(s);
}

int
gf_matrix_scan_plain(struct gf_matrix_scan *s, const char **b, size_t *len)
{
	const char *q;

	ws(s);
	if (s->p >= s->end || *s->p != '"')
		return -1;
	q = ++s->p;
	while (s->p < s->end && *s->p != '"') {
		if (*s->p == '\\' || (unsigned char)*s->p < 0x20)
			return -1;
		s->p++;
	}
	if (s->p >= s->end)
		return -1;
	*b = q;
	*len = (size_t)(s->p - q);
	s->p++;
	return 0;
}

/* Past a string that may hold escapes; -1 when it does not end. */
static int
skip_string(struct gf_matrix_scan *s)
{
	for (s->p++; s->p < s->end; s->p++) {
		if (*s->p == '\\')
			s->p++;
		else if (*s->p == '"') {
			s->p++;
			return 0;
		}
	}
	return -1;
}

char *
gf_matrix_scan_key(struct gf_matrix_scan *s)
{
	const char *b, *start;
	size_t len;
	json_t *j;
	char *out = NULL;

	ws(s);
	start = s->p;
	if (gf_matrix_scan_plain(s, &b, &len) == 0) {
		j = json_stringn(b, len);	/* NULL when not UTF-8 */
	} else {
		s->p = start;
		if (s->p >= s->end || *s->p != '"' || skip_string(s) < 0)
			return NULL;
		j = json_loadb(start, (size_t)(s->p - start), JSON_DECODE_ANY,
		    NULL);
	}
	if (json_is_string(j))
		out = gf_xstrdup(json_string_value(j));
	json_decref(j);
	return out;
}

/*
 * 1 (an integer) or 2 (a real) when [b, e) is a JSON number (RFC 8259)
 * that jansson reads: a real, or an integer within long long (jansson
 * refuses larger ones). 0 otherwise.
 */
static int
json_number(const char *b, const char *e)
{
	const char *p = b, *digits;
	int integer = 1;
	size_t nd;

	if (p < e && *p == '-')
		p++;
	digits = p;
	if (p < e && *p == '0')
		p++;
	else if (p < e && *p >= '1' && *p <= '9')
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	else
		return 0;
	nd = (size_t)(p - digits);
	if (p < e && *p == '.') {
		integer = 0;
		if (++p >= e || *p < '0' || *p > '9')
			return 0;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		integer = 0;
		if (++p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || *p < '0' || *p > '9')
			return 0;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p != e)
		return 0;
	if (!integer)
		return 2;
	if (nd < 19)
		return 1;
	return nd == 19 && memcmp(digits, *b == '-' ? "9223372036854775808" :
	    "9223372036854775807", 19) <= 0;
}

/*
 * A JSON number as jansson reads it: reals by strtod (refusing those
 * that overflow), integers as long long made double (so "-0" is 0).
 */
static int
bare_number(struct gf_matrix_scan *s, double *out)
{
	const char *b = s->p, *e;
	int kind;

	e = decimal(b, s->end, 1, out, &kind);
	if (e != NULL && (e == s->end || *e == ',' || *e == ']' || *e == '}' ||
	    *e == ' ' || *e == '\n' || *e == '\t' || *e == '\r')) {
		if (kind && *out == 0)
			*out = 0;
		s->p = e;
		return 0;
	}
	e = b;
	while (e < s->end && *e != ',' && *e != ']' && *e != '}' &&
	    *e != ' ' && *e != '\n' && *e != '\t' && *e != '\r')
		e++;
	if ((kind = json_number(b, e)) == 0 || !gf_csv_number(b, e, out) ||
	    isinf(*out))
		return -1;
	if (kind == 1 && *out == 0)
		*out = 0;
	s->p = e;
	return 0;
}

static int
sample(struct gf_matrix_scan *s, struct gf_prom_series *se, size_t *cap)
{
	const char *b;
	size_t len;
	double t, v;
	int integer;

	if (!eat(s, '['))
		return -1;
	ws(s);
	if (bare_number(s, &t) < 0 || gf_matrix_time(se, t) != GF_MATRIX_OK ||
	    !eat(s, ','))
		return -1;
	ws(s);
	if (s->p < s->end && *s->p == '"') {
		/* Most values are short decimals: read them in one pass. */
		const char *q = decimal(s->p + 1, s->end, 0, &v, &integer);

		if (q != NULL && q < s->end && *q == '"')
			s->p = q + 1;
		else if (gf_matrix_scan_plain(s, &b, &len) < 0 ||
		    gf_matrix_value(b, len, &v) != GF_MATRIX_OK)
			return -1;
	} else if (bare_number(s, &v) < 0) {
		return -1;
	}
	if (!eat(s, ']'))
		return -1;
	push(se, cap, t, v);
	return 0;
}

/*
 * Labels with escapes: the object as jansson reads it, when it is one
 * of strings (the scanner is on its '{').
 */
static json_t *
labels_escaped(struct gf_matrix_scan *s)
{
	const char *start = s->p;
	json_t *j, *v;
	const char *k;

	for (s->p++; s->p < s->end && *s->p != '}';)
		if (*s->p == '"') {
			if (skip_string(s) < 0)
				return NULL;
		} else {
			s->p++;
		}
	if (s->p >= s->end)
		return NULL;
	s->p++;
	j = json_loadb(start, (size_t)(s->p - start), JSON_REJECT_DUPLICATES,
	    NULL);
	json_object_foreach(j, k, v)
		if (!json_is_string(v)) {
			json_decref(j);
			return NULL;
		}
	if (!json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static int
labels(struct gf_matrix_scan *s, struct gf_prom_series *se)
{
	const char *start;

	ws(s);
	start = s->p;
	if (!eat(s, '{'))
		return -1;
	se->labels = json_object();
	if (eat(s, '}'))
		return 0;
	do {
		const char *lk, *lv;
		size_t lkl, lvl;
		char *key;
		int bad;

		if (gf_matrix_scan_plain(s, &lk, &lkl) < 0 || !eat(s, ':') ||
		    gf_matrix_scan_plain(s, &lv, &lvl) < 0) {
			json_decref(se->labels);
			s->p = start;
			return (se->labels = labels_escaped(s)) ? 0 : -1;
		}
		/* A repeated label or text that is not UTF-8: jansson's. */
		key = gf_xstrndup(lk, lkl);
		bad = json_object_get(se->labels, key) != NULL ||
		    json_object_set_new(se->labels, key, json_stringn(lv,
		    lvl)) < 0;
		free(key);
		if (bad)
			return -1;
	} while (eat(s, ','));
	return eat(s, '}') ? 0 : -1;
}

int
gf_matrix_scan_series(struct gf_matrix_scan *s, struct gf_prom_series *se,
    size_t hint)
{
	int have_m = 0, have_v = 0;
	size_t cap = 0;

	if (!eat(s, '{'))
		return -1;
	do {
		const char *k;
		size_t kl;

		if (gf_matrix_scan_plain(s, &k, &kl) < 0 || !eat(s, ':'))
			return -1;
		if (kl == 6 && !memcmp(k, "metric", 6) && !have_m) {
			have_m = 1;
			if (labels(s, se) < 0)
				return -1;
		} else if (kl == 6 && !memcmp(k, "values", 6) && !have_v) {
			have_v = 1;
			if (!eat(s, '['))
				return -1;
			if (eat(s, ']'))
				continue;
			if (hint > 0) {
				cap = hint;
				se->t = gf_xreallocarray(NULL, cap,
				    sizeof(double));
				se->v = gf_xreallocarray(NULL, cap,
				    sizeof(double));
			}
			do {
				if (sample(s, se, &cap) < 0)
					return -1;
			} while (eat(s, ','));
			if (!eat(s, ']'))
				return -1;
		} else {
			return -1;
		}
	} while (eat(s, ','));
	if (!eat(s, '}') || !have_v)
		return -1;
	if (!have_m)
		se->labels = json_object();
	arrays(se);
	return 0;
}

static int
scan_warnings(struct gf_matrix_scan *s, struct gf_prom_result *res)
{
	const char *b;
	size_t len;
	json_t *j;

	if (!eat(s, '['))
		return -1;
	if (eat(s, ']'))
		return 0;
	do {
		if (gf_matrix_scan_plain(s, &b, &len) < 0 ||
		    (j = json_stringn(b, len)) == NULL)
			return -1;
		json_decref(j);
		add_warning(res, b, len);
	} while (eat(s, ','));
	return eat(s, ']') ? 0 : -1;
}

static int
scan_series_list(struct gf_matrix_scan *s, struct gf_prom_result *res)
{
	size_t hint = 0;

	if (!eat(s, '['))
		return -1;
	if (eat(s, ']'))
		return 0;
	do {
		struct gf_prom_series *se = add_series(res);

		if (gf_matrix_scan_series(s, se, hint) < 0)
			return -1;
		hint = se->n;
	} while (eat(s, ','));
	return eat(s, ']') ? 0 : -1;
}

/* The keys the scanner knows; a repeated one is jansson's to refuse. */
enum { K_STATUS = 1, K_DATA = 2, K_WARNINGS = 4, K_TYPE = 8, K_RESULT = 16 };

static int
scan_object(struct gf_matrix_scan *s, struct gf_prom_result *res, int top)
{
	int seen = 0;

	if (!eat(s, '{') || eat(s, '}'))
		return -1;
	do {
		const char *k, *b;
		size_t kl, len;
		int key = 0, rc = 0;

		if (gf_matrix_scan_plain(s, &k, &kl) < 0 || !eat(s, ':'))
			return -1;
		if (top && kl == 6 && !memcmp(k, "status", 6)) {
			key = K_STATUS;
			rc = gf_matrix_scan_plain(s, &b, &len) < 0 || len != 7 ||
			    memcmp(b, "success", 7) != 0 ? -1 : 0;
		} else if (top && kl == 4 && !memcmp(k, "data", 4)) {
			key = K_DATA;
			rc = scan_object(s, res, 0);
		} else if (top && kl == 8 && !memcmp(k, "warnings", 8)) {
			key = K_WARNINGS;
			rc = scan_warnings(s, res);
		} else if (kl == 10 && !memcmp(k, "resultType", 10)) {
			key = K_TYPE;
			rc = gf_matrix_scan_plain(s, &b, &len) < 0 || len != 6 ||
			    memcmp(b, "matrix", 6) != 0 ? -1 : 0;
		} else if (kl == 6 && !memcmp(k, "result", 6)) {
			key = K_RESULT;
			rc = scan_series_list(s, res);
		}
		if (key == 0 || (seen & key) || rc < 0)
			return -1;
		seen |= key;
	} while (eat(s, ','));
	if (!eat(s, '}'))
		return -1;
	/* An envelope with its data, or a data object: nothing mixed. */
	if (seen & K_DATA)
		return seen & (K_TYPE | K_RESULT) ? -1 : 0;
	return seen & (K_STATUS | K_WARNINGS) || !(seen & K_RESULT) ? -1 : 0;
}

int
gf_matrix_scan_result(struct gf_matrix_scan *s, struct gf_prom_result *res)
{
	return scan_object(s, res, 1);
}
