/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Windows: the named time ranges of a run. gf-stress writes one per phase
 * into the document's "windows"; gf-train, gf-validate and gf-snapshot
 * read them, or one range given with --start/--end, through this module,
 * so that the same document or the same options give the same ranges and
 * the same errors in every tool.
 *
 *	struct gf_windows ws;
 *	gf_windows_select(doc, start, end, NULL, &ws, &err);
 *	gf_windows_merge(&ws, step);		// back-to-back phases as one
 *	for (size_t i = 0; i < ws.n; i++) ... ws.w[i].start ...
 *	gf_windows_release(&ws);
 *
 * A window is the half-open range [start, end) in unix seconds.
 */
#ifndef GF_WINDOW_H
#define GF_WINDOW_H

#include <stddef.h>

#include <jansson.h>

#include "gf_err.h"

struct gf_window {
	const char *name;	/* borrowed from the document, or "all" */
	double start, end;	/* unix seconds, end >= start */
};

struct gf_windows {
	struct gf_window *w;
	size_t n;
};

/* Number of entries in the document's "windows". */
size_t gf_window_count(const json_t *doc);

/*
 * Window i of the document. 65 naming the field ("windows[2].start")
 * when it is not an object with a name, times in years 1 to 9999 and
 * end >= start.
 */
int gf_window_get(const json_t *doc, size_t i, struct gf_window *w,
    struct gf_err *err);

/* Append a window to the document; steals params (may be NULL). */
void gf_window_add(json_t *doc, const char *name, double start, double end,
    json_t *params);

/*
 * The ranges a tool works on: with start (not NaN) the one range
 * [start, end) named "all", end defaulting to now; else the document's
 * windows, only those named in only (NULL-terminated; NULL for all), in
 * the document's order. 64 for an end without a start, an end not after
 * its start, or no range at all (no windows, none of those named); 65 for
 * a malformed window.
 */
int gf_windows_select(const json_t *doc, double start, double end,
    const char *const *only, struct gf_windows *out, struct gf_err *err);

/*
 * Sort by start and merge the ranges that overlap or lie within gap
 * seconds of each other; a merged range keeps the first one's name.
 */
void gf_windows_merge(struct gf_windows *ws, double gap);

void gf_windows_release(struct gf_windows *ws);

#endif
