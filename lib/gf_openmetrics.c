/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gf_openmetrics.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

static const char *
name_of(const struct gf_prom_series *s)
{
	return json_string_value(json_object_get(s->labels, "__name__"));
}

static int
cmp_series(const void *a, const void *b)
{
	const struct gf_prom_series *x = a, *y = b;
	const char *nx = name_of(x), *ny = name_of(y);
	char *kx, *ky;
	int c;

	c = strcmp(nx ? nx : "", ny ? ny : "");
	if (c != 0)
		return c;
	kx = json_dumps(x->labels, JSON_SORT_KEYS | JSON_COMPACT);
	ky = json_dumps(y->labels, JSON_SORT_KEYS | JSON_COMPACT);
	c = strcmp(kx ? kx : "", ky ? ky : "");
	free(kx);
	free(ky);
	return c;
}

static void
add_value(struct gf_buf *out, double v)
{
	char num[40];

	if (isnan(v)) {
		gf_buf_adds(out, "NaN");
		return;
	}
	if (isinf(v)) {
		gf_buf_adds(out, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	/* The shortest text that reads back as the same double. */
	snprintf(num, sizeof(num), "%.15g", v);
	if (strtod(num, NULL) != v)
		snprintf(num, sizeof(num), "%.17g", v);
	gf_buf_adds(out, num);
}

static void
add_labels(struct gf_buf *out, const json_t *labels)
{
	const char **keys;
	size_t n = 0, i;
	const char *k;
	json_t *v;

	keys = gf_xcalloc(json_object_size(labels) + 1, sizeof(*keys));
	json_object_foreach((json_t *)labels, k, v)
		if (strcmp(k, "__name__") != 0 && json_is_string(v))
			keys[n++] = k;
	if (n == 0) {
		free(keys);
		return;
	}
	/* Sorted for stable output. */
	for (i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0;
		    j--) {
			const char *t = keys[j];

			keys[j] = keys[j - 1];
			keys[j - 1] = t;
		}
	gf_buf_addc(out, '{');
	for (i = 0; i < n; i++) {
		const char *s = json_string_value(json_object_get(labels,
		    keys[i]));

		gf_buf_addf(out, "%s%s=\"", i ? "," : "", keys[i]);
		for (; *s; s++) {
			if (*s == '\\' || *s == '"')
				gf_buf_addc(out, '\\');
			if (*s == '\n')
				gf_buf_adds(out, "\\n");
			else
				gf_buf_addc(out, *s);
		}
		gf_buf_addc(out, '"');
	}
	gf_buf_addc(out, '}');
	free(keys);
}

void
gf_openmetrics_format(struct gf_prom_result *res, struct gf_buf *out,
    struct gf_openmetrics_stats *stats)
{
	struct gf_openmetrics_stats st;
	const char *family = NULL;

	memset(&st, 0, sizeof(st));
	if (res->nseries > 1)
		qsort(res->series, res->nseries, sizeof(*res->series),
		    cmp_series);
	for (size_t i = 0; i < res->nseries; i++) {
		const struct gf_prom_series *s = &res->series[i];
		const char *name = name_of(s);

		if (name == NULL || name[0] == '\0') {
			st.skipped++;
			continue;
		}
		if (s->n == 0)
			continue;
		if (family == NULL || strcmp(family, name) != 0) {
			gf_buf_addf(out, "# TYPE %s unknown\n", name);
			family = name;
			st.families++;
		}
		st.series++;
		for (size_t j = 0; j < s->n; j++) {
			gf_buf_adds(out, name);
			add_labels(out, s->labels);
			gf_buf_addc(out, ' ');
			add_value(out, s->v[j]);
			gf_buf_addf(out, " %.3f\n", s->t[j]);
			st.samples++;
		}
	}
	gf_buf_adds(out, "# EOF\n");
	if (stats != NULL)
		*stats = st;
}

void
gf_openmetrics_merge(struct gf_prom_result *dst, json_t *index,
    struct gf_prom_result *src)
{
	for (size_t i = 0; i < src->nseries; i++) {
		struct gf_prom_series *from = &src->series[i], *to;
		char *key = json_dumps(from->labels, JSON_SORT_KEYS |
		    JSON_COMPACT);
		json_t *pos = json_object_get(index, key ? key : "");

		if (pos == NULL) {
			/* New series: move it over whole. */
			json_object_set_new(index, key ? key : "",
			    json_integer((json_int_t)dst->nseries));
			dst->series = gf_xreallocarray(dst->series,
			    dst->nseries + 1, sizeof(*dst->series));
			dst->series[dst->nseries++] = *from;
			memset(from, 0, sizeof(*from));
			free(key);
			continue;
		}
		free(key);
		to = &dst->series[json_integer_value(pos)];
		to->t = gf_xreallocarray(to->t, to->n + from->n,
		    sizeof(double));
		to->v = gf_xreallocarray(to->v, to->n + from->n,
		    sizeof(double));
		for (size_t j = 0; j < from->n; j++) {
			if (to->n > 0 && from->t[j] <= to->t[to->n - 1])
				continue;
			to->t[to->n] = from->t[j];
			to->v[to->n] = from->v[j];
			to->n++;
		}
	}
	gf_prom_result_release(src);
}
