/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_extract.h"
#include "gf_buf.h"
#include "gf_csv.h"
#include "gf_fs.h"
#include "gf_jskip.h"
#include "gf_model.h"
#include "gf_model_file.h"
#include "gf_parse.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

/* Query sets ---------------------------------------------------------- */

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
