/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_qset.h"
#include "gf_csv.h"
#include "gf_fs.h"
#include "gf_jskip.h"
#include "gf_parse.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

static void
result_free(struct gf_prom_result *r)
{
	for (size_t i = 0; i < r->nseries; i++) {
		json_decref(r->series[i].labels);
		free(r->series[i].t);
		free(r->series[i].v);
	}
	free(r->series);
	for (size_t i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	memset(r, 0, sizeof(*r));
}

void
gf_qset_release(struct gf_qset *q)
{
	if (q == NULL)
		return;
	for (size_t i = 0; i < q->n; i++) {
		free(q->names[i]);
		result_free(&q->res[i]);
	}
	free(q->names);
	free(q->res);
	q->names = NULL;
	q->res = NULL;
	q->n = 0;
}

void
gf_qset_add(struct gf_qset *q, const char *metric, struct gf_prom_result *res)
{
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->names[i], metric) == 0) {
			result_free(&q->res[i]);
			q->res[i] = *res;
			memset(res, 0, sizeof(*res));
			return;
		}
	q->names = gf_xreallocarray(q->names, q->n + 1, sizeof(char *));
	q->res = gf_xreallocarray(q->res, q->n + 1, sizeof(*q->res));
	q->names[q->n] = gf_xstrdup(metric);
	q->res[q->n] = *res;
	memset(res, 0, sizeof(*res));
	q->n++;
}

const struct gf_prom_result *
gf_qset_get(const struct gf_qset *q, const char *metric)
{
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->names[i], metric) == 0)
			return &q->res[i];
	return NULL;
}

static int
parse_value(const json_t *v, double *out)
{
	const char *s;
	char *end;

	if (json_is_number(v)) {
		*out = json_number_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	*out = strtod(s, &end);
	return (end == s || *end != '\0') ? -1 : 0;
}

static int
parse_series(const json_t *js, const char *name, const char *metric,
    size_t idx, struct gf_prom_series *s, struct gf_err *err)
{
	const json_t *labels = json_object_get(js, "metric");
	const json_t *values = json_object_get(js, "values");
	size_t i;
	json_t *pair;

	if (!json_is_object(labels) || !json_is_array(values))
		return gf_err_set(err, GF_EXIT_DATAERR, "extract", "%s: metric "
		    "'%s' series %zu: expected {\"metric\": {...}, "
		    "\"values\": [...]}", name, metric, idx);
	s->labels = json_deep_copy(labels);
	s->n = json_array_size(values);
	s->t = gf_xcalloc(s->n + 1, sizeof(double));
	s->v = gf_xcalloc(s->n + 1, sizeof(double));
	json_array_foreach(values, i, pair) {
		if (!json_is_array(pair) || json_array_size(pair) != 2 ||
		    parse_value(json_array_get(pair, 0), &s->t[i]) < 0 ||
		    parse_value(json_array_get(pair, 1), &s->v[i]) < 0)
			return gf_err_set(err, GF_EXIT_DATAERR, "extract",
			    "%s: metric '%s' series %zu sample %zu: expected "
			    "[timestamp, \"value\"]", name, metric, idx, i);
		if (!gf_time_ok(s->t[i]))
			return gf_err_set(err, GF_EXIT_DATAERR, "extract",
			    "%s: metric '%s' series %zu sample %zu: timestamp "
			    "%g is not a time (unix seconds, years 1 to "
			    "9999)", name, metric, idx, i, s->t[i]);
	}
	return 0;
}

/*
 * A fast path for the query output: the files are large (megabytes of
 * [ts, "value"] pairs) and jansson spends most of its time allocating a
 * node per number. This scanner handles exactly the documented shape
 * and gives up (returns -1, nothing kept) on anything else, including
 * escapes it does not need to know; jansson then parses the file and
 * reports errors with line and column.
 */
struct scan {
	const char *p, *end;
};

static void
sk(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' ||
	    *s->p == '\t' || *s->p == '\r'))
		s->p++;
}

static int
eat(struct scan *s, char c)
{
	sk(s);
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return 1;
	}
	return 0;
}

/* A string without escapes; returns a pointer into the text. */
static int
str(struct scan *s, const char **b, size_t *len)
{
	const char *q;

	sk(s);
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

/*
 * 1 when [b, e) is a JSON number (RFC 8259) that jansson reads: a real,
 * or an integer within long long (jansson refuses larger ones).
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
	if (!integer || nd < 19)
		return 1;
	return nd == 19 && memcmp(digits, *b == '-' ? "9223372036854775808" :
	    "9223372036854775807", 19) <= 0;
}

/*
 * A number, bare or quoted as Prometheus writes sample values, read as
 * the jansson path reads it (a JSON number, or strtod over the whole
 * string); anything else is left to that path. Short decimals take
 * gf_csv_number's exact fast path; the rest (NaN, +Inf, long digits)
 * its strtod fallback.
 */
static int
num(struct scan *s, double *out)
{
	const char *b, *e;
	size_t len;

	sk(s);
	if (s->p >= s->end)
		return -1;
	if (*s->p == '"') {
		/* strtod takes blanks before the number, not after it. */
		if (str(s, &b, &len) < 0 || len == 0 || b[len - 1] == ' ' ||
		    b[len - 1] == '\t' || !gf_csv_number(b, b + len, out))
			return -1;
		return 0;
	}
	b = e = s->p;
	while (e < s->end && *e != ',' && *e != ']' && *e != '}' &&
	    *e != ' ' && *e != '\n' && *e != '\t' && *e != '\r')
		e++;
	/* jansson refuses reals that overflow. */
	if (!json_number(b, e) || !gf_csv_number(b, e, out) || isinf(*out))
		return -1;
	s->p = e;
	return 0;
}

/*
 * One series; its samples go in arrays of hint to start with (the count
 * of the metric's series before it: a range query gives most series the
 * same number of samples), grown by doubling past that.
 */
static int
fast_series(struct scan *s, struct gf_prom_series *se, size_t hint)
{
	int have_m = 0, have_v = 0;
	size_t cap = 0;

	if (!eat(s, '{'))
		return -1;
	do {
		const char *k;
		size_t kl;

		if (str(s, &k, &kl) < 0 || !eat(s, ':'))
			return -1;
		if (kl == 6 && !memcmp(k, "metric", 6) && !have_m) {
			have_m = 1;
			se->labels = json_object();
			if (!eat(s, '{'))
				return -1;
			if (eat(s, '}'))
				continue;
			do {
				const char *lk, *lv;
				size_t lkl, lvl;
				char *key;

				if (str(s, &lk, &lkl) < 0 || !eat(s, ':') ||
				    str(s, &lv, &lvl) < 0)
					return -1;
				/*
				 * What jansson would refuse (a repeated
				 * label, text that is not UTF-8) is left
				 * to it, which says where.
				 */
				key = gf_xstrndup(lk, lkl);
				if (json_object_get(se->labels, key) != NULL ||
				    json_object_set_new(se->labels, key,
				    json_stringn(lv, lvl)) < 0) {
					free(key);
					return -1;
				}
				free(key);
			} while (eat(s, ','));
			if (!eat(s, '}'))
				return -1;
		} else if (kl == 6 && !memcmp(k, "values", 6) && !have_v) {
			have_v = 1;
			if (!eat(s, '['))
				return -1;
			if (eat(s, ']'))
				continue;
			do {
				if (se->n == cap) {
					cap = cap ? 2 * cap : hint > 0 ? hint :
					    64;
					se->t = gf_xreallocarray(se->t, cap,
					    sizeof(double));
					se->v = gf_xreallocarray(se->v, cap,
					    sizeof(double));
				}
				if (!eat(s, '[') || num(s, &se->t[se->n]) < 0 ||
				    !eat(s, ',') || num(s, &se->v[se->n]) < 0 ||
				    !eat(s, ']') ||
				    !gf_time_ok(se->t[se->n]))
					return -1;
				se->n++;
			} while (eat(s, ','));
			if (!eat(s, ']'))
				return -1;
		} else {
			return -1;
		}
	} while (eat(s, ','));
	if (!eat(s, '}') || !have_m || !have_v)
		return -1;
	if (se->t == NULL) {
		se->t = gf_xcalloc(1, sizeof(double));
		se->v = gf_xcalloc(1, sizeof(double));
	}
	return 0;
}

/* Skip one JSON array (the scanner is on its '['). */
static int
skip_array(struct scan *s)
{
	const char *e = gf_jskip_array(s->p, s->end);

	if (e == NULL)
		return -1;
	s->p = e;
	return 0;
}

static int
wanted(const char *const *only, size_t nonly, const char *k, size_t kl)
{
	if (only == NULL)
		return 1;
	for (size_t i = 0; i < nonly; i++)
		if (strlen(only[i]) == kl && memcmp(only[i], k, kl) == 0)
			return 1;
	return 0;
}

/* 1 when b[0..len) is UTF-8 as jansson takes it (a string it accepts). */
static int
utf8(const char *b, size_t len)
{
	json_t *j = json_stringn(b, len);

	json_decref(j);
	return j != NULL;
}

static int
fast_parse(const char *text, size_t len, const char *const *only,
    size_t nonly, struct gf_qset *q)
{
	struct scan s = { text, text + len };

	if (len == 0 || !eat(&s, '{'))
		return -1;
	if (eat(&s, '}'))
		goto done;
	do {
		const char *k;
		size_t kl, cap = 0;
		struct gf_prom_result r;
		char *metric;

		memset(&r, 0, sizeof(r));
		if (str(&s, &k, &kl) < 0 || !eat(&s, ':'))
			return -1;
		if (!wanted(only, nonly, k, kl)) {
			sk(&s);
			if (s.p >= s.end || *s.p != '[' || skip_array(&s) < 0)
				return -1;
			continue;
		}
		if (!eat(&s, '['))
			return -1;
		if (!utf8(k, kl))
			return -1;
		metric = gf_xstrndup(k, kl);
		if (gf_qset_get(q, metric) != NULL) {
			free(metric);
			return -1;
		}
		if (!eat(&s, ']')) {
			do {
				if (r.nseries == cap) {
					cap = cap ? 2 * cap : 16;
					r.series = gf_xreallocarray(r.series,
					    cap, sizeof(*r.series));
				}
				memset(&r.series[r.nseries], 0,
				    sizeof(*r.series));
				r.nseries++;
				if (fast_series(&s, &r.series[r.nseries - 1],
				    r.nseries > 1 ? r.series[r.nseries - 2].n :
				    0) < 0) {
					result_free(&r);
					free(metric);
					return -1;
				}
			} while (eat(&s, ','));
			if (!eat(&s, ']')) {
				result_free(&r);
				free(metric);
				return -1;
			}
		}
		gf_qset_add(q, metric, &r);
		free(metric);
	} while (eat(&s, ','));
	if (!eat(&s, '}'))
		return -1;
done:
	sk(&s);
	return s.p == s.end ? 0 : -1;
}

int
gf_qset_parse(const char *text, size_t len, const char *name,
    struct gf_qset *q, struct gf_err *err)
{
	json_error_t je;
	json_t *root;
	const char *metric;
	json_t *arr;

	memset(q, 0, sizeof(*q));
	if (fast_parse(text, len, NULL, 0, q) == 0)
		return 0;
	gf_qset_release(q);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return gf_err_set(err, GF_EXIT_DATAERR, "extract",
		    "%s:%d:%d: %s", name, je.line, je.column, je.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return gf_err_set(err, GF_EXIT_DATAERR, "extract", "%s: "
		    "expected an object of metric name -> series", name);
	}
	json_object_foreach(root, metric, arr) {
		struct gf_prom_result r;
		size_t i;
		json_t *js;

		memset(&r, 0, sizeof(r));
		if (!json_is_array(arr)) {
			gf_err_set(err, GF_EXIT_DATAERR, "extract", "%s: "
			    "metric '%s': expected a list of series", name,
			    metric);
			goto fail;
		}
		r.series = gf_xcalloc(json_array_size(arr) + 1,
		    sizeof(*r.series));
		json_array_foreach(arr, i, js) {
			r.nseries = i + 1;
			if (parse_series(js, name, metric, i, &r.series[i],
			    err) < 0) {
				result_free(&r);
				goto fail;
			}
		}
		gf_qset_add(q, metric, &r);
	}
	json_decref(root);
	return 0;
fail:
	json_decref(root);
	gf_qset_release(q);
	return -1;
}

int
gf_qset_load(const char *path, struct gf_qset *q, struct gf_err *err)
{
	return gf_qset_load_only(path, NULL, 0, q, err);
}

/*
 * The file is mapped, not read: the scanner needs no terminating NUL and
 * skips most of the text (metrics not asked for), so copying it into the
 * heap was a third of the time.
 */
int
gf_qset_load_only(const char *path, const char *const *only, size_t nonly,
    struct gf_qset *q, struct gf_err *err)
{
	size_t len;
	char *text;
	int rc, fd;
	struct stat st;

	memset(q, 0, sizeof(*q));
	fd = strcmp(path, "-") == 0 ? -1 : open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size > 0) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ,
		    MAP_PRIVATE | MAP_POPULATE, fd, 0);

		if (m != MAP_FAILED) {
			rc = fast_parse(m, (size_t)st.st_size, only, nonly, q);
			munmap(m, (size_t)st.st_size);
			if (rc == 0) {
				close(fd);
				return 0;
			}
			gf_qset_release(q);
			memset(q, 0, sizeof(*q));
		}
	}
	if (fd >= 0)
		close(fd);
	text = gf_fs_read(path, 0, &len, err);
	if (text == NULL)
		return -1;
	if (fast_parse(text, len, only, nonly, q) == 0) {
		free(text);
		return 0;
	}
	gf_qset_release(q);
	rc = gf_qset_parse(text, len, path, q, err);
	free(text);
	return rc;
}

json_t *
gf_qset_to_json(const struct gf_qset *q)
{
	json_t *root = json_object();

	for (size_t i = 0; i < q->n; i++) {
		json_t *arr = json_array();

		for (size_t k = 0; k < q->res[i].nseries; k++) {
			const struct gf_prom_series *s = &q->res[i].series[k];
			json_t *vals = json_array();
			char buf[64];

			for (size_t j = 0; j < s->n; j++) {
				snprintf(buf, sizeof(buf), "%.17g", s->v[j]);
				json_array_append_new(vals, json_pack("[f,s]",
				    s->t[j], buf));
			}
			json_array_append_new(arr, json_pack("{s:O,s:o}",
			    "metric", s->labels, "values", vals));
		}
		json_object_set_new(root, q->names[i], arr);
	}
	return root;
}
