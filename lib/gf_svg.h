/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small, dependency-free SVG charts for reports: a time-series chart with
 * shaded windows, and a histogram. The output is a standalone SVG 1.1
 * document (well-formed XML, every text escaped), sized for a Markdown
 * page. Long series are reduced to the minimum and maximum per pixel
 * column, so a day of 3 s samples stays a few tens of kilobytes and looks
 * the same.
 */
#ifndef GF_SVG_H
#define GF_SVG_H

#include <stddef.h>

#include "gf_buf.h"

/* One line; NaN values and time gaps break it. Arrays borrowed. */
struct gf_svg_line {
	const char *label;
	const double *t;	/* unix seconds, ascending */
	const double *v;
	size_t n;
};

/* A shaded time range with a label (a document window). */
struct gf_svg_band {
	const char *label;
	double t0, t1;
};

/*
 * Append a chart of lines over time to out. title and ylabel may be NULL.
 * With no finite value at all, the chart says "no data".
 */
void gf_svg_timeseries(struct gf_buf *out, const char *title,
    const char *ylabel, const struct gf_svg_line *lines, size_t nlines,
    const struct gf_svg_band *bands, size_t nbands);

/*
 * Append a histogram of v (non-finite values ignored) with nbins bins
 * (0: about sqrt(n), between 5 and 40) to out.
 */
void gf_svg_histogram(struct gf_buf *out, const char *title,
    const char *xlabel, const double *v, size_t n, size_t nbins);

/* Append s with &, <, >, " and ' escaped for XML text and attributes. */
void gf_svg_escape(struct gf_buf *out, const char *s);

#endif
