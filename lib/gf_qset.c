/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_qset.h"
#include "gf_fs.h"
#include "gf_jskip.h"
#include "gf_matrix.h"
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

/*
 * A fast path for the query output: the files are large (megabytes of
 * [ts, "value"] pairs) and jansson spends most of its time allocating a
 * node per number. gf_matrix's scanner reads the series; this one the
 * object of metrics around them, of exactly the documented shape. Both
 * give up (return -1, nothing kept) on anything else, errors included;
 * jansson then parses the file and gf_matrix says what is wrong.
 */
/* Skip one JSON array (the scanner is on its '['). */
static int
skip_array(struct gf_matrix_scan *s)
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
	struct gf_matrix_scan s = { text, text + len };

	if (len == 0 || !gf_matrix_scan_eat(&s, '{'))
		return -1;
	if (gf_matrix_scan_eat(&s, '}'))
		goto done;
	do {
		const char *k;
		size_t kl, cap = 0;
		struct gf_prom_result r;
		char *metric;

		memset(&r, 0, sizeof(r));
		if (gf_matrix_scan_plain(&s, &k, &kl) < 0 || !gf_matrix_scan_eat(&s, ':'))
			return -1;
		if (!wanted(only, nonly, k, kl)) {
			gf_matrix_scan_ws(&s);
			if (s.p >= s.end || *s.p != '[' || skip_array(&s) < 0)
				return -1;
			continue;
		}
		if (!gf_matrix_scan_eat(&s, '['))
			return -1;
		if (!utf8(k, kl))
			return -1;
		metric = gf_xstrndup(k, kl);
		if (gf_qset_get(q, metric) != NULL) {
			free(metric);
			return -1;
		}
		if (!gf_matrix_scan_eat(&s, ']')) {
			do {
				if (r.nseries == cap) {
					cap = cap ? 2 * cap : 16;
					r.series = gf_xreallocarray(r.series,
					    cap, sizeof(*r.series));
				}
				memset(&r.series[r.nseries], 0,
				    sizeof(*r.series));
				r.nseries++;
				if (gf_matrix_scan_series(&s,
				    &r.series[r.nseries - 1], r.nseries > 1 ?
				    r.series[r.nseries - 2].n : 0) < 0) {
					result_free(&r);
					free(metric);
					return -1;
				}
			} while (gf_matrix_scan_eat(&s, ','));
			if (!gf_matrix_scan_eat(&s, ']')) {
				result_free(&r);
				free(metric);
				return -1;
			}
		}
		gf_qset_add(q, metric, &r);
		free(metric);
	} while (gf_matrix_scan_eat(&s, ','));
	if (!gf_matrix_scan_eat(&s, '}'))
		return -1;
done:
	gf_matrix_scan_ws(&s);
	return s.p == s.end ? 0 : -1;
}

int
gf_qset_parse(const char *text, size_t len, const char *name,
    struct gf_qset *q, struct gf_err *err)
{
	struct gf_matrix_from from = { "", "extract", GF_EXIT_DATAERR };
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
		char *where;

		memset(&r, 0, sizeof(r));
		if (!json_is_array(arr)) {
			gf_err_set(err, GF_EXIT_DATAERR, "extract", "%s: "
			    "metric '%s': expected a list of series", name,
			    metric);
			goto fail;
		}
		r.series = gf_xcalloc(json_array_size(arr) + 1,
		    sizeof(*r.series));
		from.where = where = gf_xasprintf("%s: metric '%s'", name,
		    metric);
		json_array_foreach(arr, i, js) {
			r.nseries = i + 1;
			if (gf_matrix_series_json(js, &from, i, &r.series[i],
			    err) < 0) {
				result_free(&r);
				free(where);
				goto fail;
			}
		}
		free(where);
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
