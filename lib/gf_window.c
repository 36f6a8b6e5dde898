/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_window.h"
#include "gf_section.h"
#include "gf_parse.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

size_t
gf_window_count(const json_t *doc)
{
	return json_array_size(json_object_get(doc, GF_SECTION_WINDOWS));
}

int
gf_window_get(const json_t *doc, size_t i, struct gf_window *w,
    struct gf_err *err)
{
	json_t *o = json_array_get(json_object_get(doc, GF_SECTION_WINDOWS), i);
	json_t *n, *s, *e;

	if (!json_is_object(o))
		return gf_err_set(err, GF_EXIT_DATAERR, "doc",
		    "field 'windows[%zu]': expected an object", i);
	n = json_object_get(o, "name");
	s = json_object_get(o, "start");
	e = json_object_get(o, "end");
	if (!json_is_string(n))
		return gf_err_set(err, GF_EXIT_DATAERR, "doc",
		    "field 'windows[%zu].name': expected a string", i);
	if (!json_is_number(s) || !gf_time_ok(json_number_value(s)))
		return gf_err_set(err, GF_EXIT_DATAERR, "doc",
		    "field 'windows[%zu].start' ('%s'): expected unix seconds "
		    "(years 1 to 9999)", i, json_string_value(n));
	if (!json_is_number(e) || !gf_time_ok(json_number_value(e)))
		return gf_err_set(err, GF_EXIT_DATAERR, "doc",
		    "field 'windows[%zu].end' ('%s'): expected unix seconds "
		    "(years 1 to 9999)", i, json_string_value(n));
	if (json_number_value(e) < json_number_value(s))
		return gf_err_set(err, GF_EXIT_DATAERR, "doc",
		    "field 'windows[%zu]' ('%s'): end is before start", i,
		    json_string_value(n));
	w->name = json_string_value(n);
	w->start = json_number_value(s);
	w->end = json_number_value(e);
	return 0;
}

void
gf_window_add(json_t *doc, const char *name, double start, double end,
    json_t *params)
{
	json_t *w = json_object(), *arr = json_object_get(doc, GF_SECTION_WINDOWS);

	if (!json_is_array(arr)) {
		arr = json_array();
		json_object_set_new(doc, GF_SECTION_WINDOWS, arr);
	}
	json_object_set_new(w, "name", json_string(name));
	json_object_set_new(w, "start", json_real(start));
	json_object_set_new(w, "end", json_real(end));
	json_object_set_new(w, "params", params != NULL ? params :
	    json_object());
	json_array_append_new(arr, w);
}

static int
named(const char *const *only, const char *name)
{
	if (only == NULL)
		return 1;
	for (size_t i = 0; only[i] != NULL; i++)
		if (strcmp(only[i], name) == 0)
			return 1;
	return 0;
}

int
gf_windows_select(const json_t *doc, double start, double end,
    const char *const *only, struct gf_windows *out, struct gf_err *err)
{
	size_t nw = gf_window_count(doc);

	out->w = NULL;
	out->n = 0;
	if (!isnan(end) && isnan(start))
		return gf_err_set(err, GF_EXIT_USAGE, "windows",
		    "--end needs --start");
	if (!isnan(start)) {
		if (isnan(end))
			end = gf_time_now();
		if (end <= start)
			return gf_err_set(err, GF_EXIT_USAGE, "windows",
			    "--end must be after --start");
		out->w = gf_xmalloc(sizeof(*out->w));
		out->w[0].name = "all";
		out->w[0].start = start;
		out->w[0].end = end;
		out->n = 1;
		return 0;
	}
	out->w = gf_xcalloc(nw > 0 ? nw : 1, sizeof(*out->w));
	for (size_t i = 0; i < nw; i++) {
		if (gf_window_get(doc, i, &out->w[out->n], err) < 0) {
			gf_windows_release(out);
			return -1;
		}
		if (named(only, out->w[out->n].name))
			out->n++;
	}
	if (out->n == 0) {
		gf_windows_release(out);
		return gf_err_set(err, GF_EXIT_USAGE, "windows", "no time "
		    "range: the document has no %swindows (gf-stress writes "
		    "them) and no --start was given", only != NULL &&
		    nw > 0 ? "matching " : "");
	}
	return 0;
}

static int
by_start(const void *a, const void *b)
{
	const struct gf_window *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

void
gf_windows_merge(struct gf_windows *ws, double gap)
{
	size_t k = 0;

	if (ws->n < 2)
		return;
	/* Insertion order among equal starts: the document's order. */
	for (size_t i = 1; i < ws->n; i++)
		for (size_t j = i; j > 0 && by_start(&ws->w[j],
		    &ws->w[j - 1]) < 0; j--) {
			struct gf_window t = ws->w[j];

			ws->w[j] = ws->w[j - 1];
			ws->w[j - 1] = t;
		}
	for (size_t i = 1; i < ws->n; i++) {
		if (ws->w[i].start <= ws->w[k].end + gap)
			ws->w[k].end = fmax(ws->w[k].end, ws->w[i].end);
		else
			ws->w[++k] = ws->w[i];
	}
	ws->n = k + 1;
}

void
gf_windows_release(struct gf_windows *ws)
{
	free(ws->w);
	ws->w = NULL;
	ws->n = 0;
}
