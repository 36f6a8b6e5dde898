/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gf_svg.h"
#include "gf_buf.h"
#include "gf_parse.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

#define W 800.0
#define H 360.0
#define ML 72.0
#define MR 20.0
#define MT 36.0
#define MB 64.0
#define PW (W - ML - MR)
#define PH (H - MT - MB)

static const char *const colors[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
};

void
gf_svg_escape(struct gf_buf *out, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&':
			gf_buf_adds(out, "&amp;");
			break;
		case '<':
			gf_buf_adds(out, "&lt;");
			break;
		case '>':
			gf_buf_adds(out, "&gt;");
			break;
		case '"':
			gf_buf_adds(out, "&quot;");
			break;
		case '\'':
			gf_buf_adds(out, "&apos;");
			break;
		default:
			/* XML 1.0 forbids most control characters. */
			if ((unsigned char)*s < 0x20 && *s != '\t' &&
			    *s != '\n' && *s != '\r')
				gf_buf_addc(out, ' ');
			else
				gf_buf_addc(out, *s);
		}
	}
}

static void
header(struct gf_buf *out, const char *title)
{
	gf_buf_addf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
	    "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
	    "font-family=\"sans-serif\" font-size=\"11\">\n", W, H, W, H);
	gf_buf_adds(out, "<title>");
	gf_svg_escape(out, title != NULL ? title : "chart");
	gf_buf_adds(out, "</title>\n<rect width=\"100%\" height=\"100%\" "
	    "fill=\"#ffffff\"/>\n");
	if (title != NULL) {
		gf_buf_addf(out, "<text x=\"%.1f\" y=\"20\" "
		    "text-anchor=\"middle\" font-size=\"14\">", W / 2);
		gf_svg_escape(out, title);
		gf_buf_adds(out, "</text>\n");
	}
}

/* A tick step of 1, 2 or 5 times a power of ten giving about n ticks. */
static double
nice_step(double span, int n)
{
	double raw = span / n, p, f;

	if (!(raw > 0) || !isfinite(raw))
		return 1;
	p = pow(10, floor(log10(raw)));
	f = raw / p;
	if (f < 1.5)
		return p;
	if (f < 3.5)
		return 2 * p;
	if (f < 7.5)
		return 5 * p;
	return 10 * p;
}

static void
fmt_num(char *buf, size_t len, double v)
{
	if (fabs(v) < 1e-12)
		v = 0;
	snprintf(buf, len, "%.6g", v);
}

static void
no_data(struct gf_buf *out)
{
	gf_buf_addf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
	    "fill=\"#666666\">no data</text>\n</svg>\n", W / 2, H / 2);
}

/* y axis grid and labels for [lo, hi]. */
static void
y_axis(struct gf_buf *out, double lo, double hi, const char *ylabel)
{
	double step = nice_step(hi - lo, 5);
	char num[32];

	for (double y = ceil(lo / step) * step; y <= hi + step * 1e-9;
	    y += step) {
		double py = MT + PH - (y - lo) / (hi - lo) * PH;

		fmt_num(num, sizeof(num), y);
		gf_buf_addf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n<text x=\"%.1f\" "
		    "y=\"%.1f\" text-anchor=\"end\">%s</text>\n", ML, py,
		    ML + PW, py, ML - 6, py + 4, num);
	}
	if (ylabel != NULL) {
		gf_buf_addf(out, "<text transform=\"translate(14,%.1f) "
		    "rotate(-90)\" text-anchor=\"middle\">", MT + PH / 2);
		gf_svg_escape(out, ylabel);
		gf_buf_adds(out, "</text>\n");
	}
	gf_buf_addf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
	    "height=\"%.1f\" fill=\"none\" stroke=\"#888888\"/>\n", ML, MT, PW,
	    PH);
}

static void
x_time_axis(struct gf_buf *out, double t0, double t1)
{
	static const double steps[] = { 1, 2, 5, 10, 15, 30, 60, 120, 300,
	    600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400 };
	double step = steps[GF_ARRAY_LEN(steps) - 1];
	char lab[32];

	for (size_t i = 0; i < GF_ARRAY_LEN(steps); i++) {
		if ((t1 - t0) / steps[i] <= 8) {
			step = steps[i];
			break;
		}
	}
	for (double t = ceil(t0 / step) * step; t <= t1; t += step) {
		double px = ML + (t - t0) / (t1 - t0) * PW;
		time_t tt;
		struct tm tm;

		if (!gf_time_ok(t))
			continue;
		tt = (time_t)t;
		if (gmtime_r(&tt, &tm) == NULL)
			continue;
		strftime(lab, sizeof(lab), step < 60 ? "%H:%M:%S" : "%H:%M",
		    &tm);
		gf_buf_addf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n<text x=\"%.1f\" "
		    "y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", px, MT,
		    px, MT + PH, px, MT + PH + 14, lab);
	}
	gf_buf_addf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
	    "fill=\"#666666\">time (UTC)</text>\n", ML + PW / 2, MT + PH + 30);
}

/*
 * One line as a path: reduced to min/max per pixel column, broken at NaN
 * and at gaps much longer than the typical step.
 */
static void
line_path(struct gf_buf *out, const struct gf_svg_line *l, double t0,
    double t1, double lo, double hi, const char *color)
{
	double gap = l->n > 1 ? 5 * (l->t[l->n - 1] - l->t[0]) /
	    (double)(l->n - 1) : 0;
	long col = -1;
	double cmin = 0, cmax = 0, cfirst = 0, clast = 0, prev_t = NAN;
	int pen = 0, have = 0;

	gf_buf_addf(out, "<path fill=\"none\" stroke=\"%s\" "
	    "stroke-width=\"1.2\" d=\"", color);
	for (size_t i = 0; i <= l->n; i++) {
		int brk = i == l->n || !isfinite(l->v[i]) ||
		    (!isnan(prev_t) && gap > 0 && l->t[i] - prev_t > gap);
		long c = i < l->n ? (long)((l->t[i] - t0) / (t1 - t0) * PW) :
		    -2;

		if (c >= (long)PW)
			c = (long)PW - 1;

		if (have && (brk || c != col)) {
			/* Flush the column: first, extremes, last. */
			double px = ML + ((double)col + 0.5);
			double ys[4] = { cfirst, cmin, cmax, clast };

			if (cmin == cmax)
				ys[1] = ys[2] = ys[3] = cfirst;
			for (int k = 0; k < 4; k++) {
				if (k > 0 && ys[k] == ys[k - 1])
					continue;
				gf_buf_addf(out, "%c%.1f %.1f ",
				    pen ? 'L' : 'M', px,
				    MT + PH - (ys[k] - lo) / (hi - lo) * PH);
				pen = 1;
			}
			have = 0;
		}
		if (i == l->n)
			break;
		if (brk) {
			pen = 0;
			prev_t = isfinite(l->v[i]) ? l->t[i] : NAN;
			if (!isfinite(l->v[i]))
				continue;
		}
		prev_t = l->t[i];
		if (!have) {
			col = c;
			cmin = cmax = cfirst = l->v[i];
			have = 1;
		} else {
			cmin = fmin(cmin, l->v[i]);
			cmax = fmax(cmax, l->v[i]);
		}
		clast = l->v[i];
	}
	gf_buf_adds(out, "\"/>\n");
	(void)t1;
}

void
gf_svg_timeseries(struct gf_buf *out, const char *title, const char *ylabel,
    const struct gf_svg_line *lines, size_t nlines,
    const struct gf_svg_band *bands, size_t nbands)
{
	double t0 = INFINITY, t1 = -INFINITY, lo = INFINITY, hi = -INFINITY;

	header(out, title);
	for (size_t k = 0; k < nlines; k++) {
		for (size_t i = 0; i < lines[k].n; i++) {
			if (!isfinite(lines[k].v[i]))
				continue;
			t0 = fmin(t0, lines[k].t[i]);
			t1 = fmax(t1, lines[k].t[i]);
			lo = fmin(lo, lines[k].v[i]);
			hi = fmax(hi, lines[k].v[i]);
		}
	}
	if (!isfinite(t0)) {
		no_data(out);
		return;
	}
	for (size_t k = 0; k < nbands; k++) {
		t0 = fmin(t0, bands[k].t0);
		t1 = fmax(t1, bands[k].t1);
	}
	if (t1 <= t0)
		t1 = t0 + 1;
	if (lo > 0 && lo < (hi - lo))
		lo = 0;
	if (hi <= lo) {
		hi = lo + (fabs(lo) > 0 ? fabs(lo) * 0.1 : 1);
		lo -= (hi - lo);
	} else {
		double pad = (hi - lo) * 0.05;

		hi += pad;
		if (lo != 0)
			lo -= pad;
	}
	for (size_t k = 0; k < nbands; k++) {
		double x0 = ML + (bands[k].t0 - t0) / (t1 - t0) * PW;
		double x1 = ML + (bands[k].t1 - t0) / (t1 - t0) * PW;

		gf_buf_addf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		    "height=\"%.1f\" fill=\"%s\" fill-opacity=\"0.12\"/>\n",
		    x0, MT, fmax(x1 - x0, 0.5), PH, k % 2 ? "#ff7f0e" :
		    "#1f77b4");
		if (bands[k].label != NULL && x1 - x0 > 30) {
			gf_buf_addf(out, "<text x=\"%.1f\" y=\"%.1f\" "
			    "font-size=\"9\" fill=\"#555555\">", x0 + 2,
			    MT + 10 + (double)(k % 2) * 10);
			gf_svg_escape(out, bands[k].label);
			gf_buf_adds(out, "</text>\n");
		}
	}
	y_axis(out, lo, hi, ylabel);
	x_time_axis(out, t0, t1);
	for (size_t k = 0; k < nlines; k++) {
		const char *c = colors[k % GF_ARRAY_LEN(colors)];
		double lx = ML + (double)k * 200;

		line_path(out, &lines[k], t0, t1, lo, hi, c);
		gf_buf_addf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" "
		    "height=\"3\" fill=\"%s\"/>\n<text x=\"%.1f\" y=\"%.1f\">",
		    lx, H - 16, c, lx + 18, H - 12);
		gf_svg_escape(out, lines[k].label != NULL ? lines[k].label :
		    "series");
		gf_buf_adds(out, "</text>\n");
	}
	gf_buf_adds(out, "</svg>\n");
}

void
gf_svg_histogram(struct gf_buf *out, const char *title, const char *xlabel,
    const double *v, size_t n, size_t nbins)
{
	double lo = INFINITY, hi = -INFINITY, w, step;
	size_t count = 0, top = 0, *bins;
	char num[32];

	header(out, title);
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(v[i]))
			continue;
		lo = fmin(lo, v[i]);
		hi = fmax(hi, v[i]);
		count++;
	}
	if (count == 0) {
		no_data(out);
		return;
	}
	if (nbins == 0) {
		nbins = (size_t)sqrt((double)count);
		nbins = nbins < 5 ? 5 : nbins > 40 ? 40 : nbins;
	}
	if (hi <= lo) {
		lo -= 0.5;
		hi += 0.5;
	}
	w = (hi - lo) / (double)nbins;
	bins = gf_xcalloc(nbins, sizeof(*bins));
	for (size_t i = 0; i < n; i++) {
		size_t b;

		if (!isfinite(v[i]))
			continue;
		b = (size_t)((v[i] - lo) / w);
		if (b >= nbins)
			b = nbins - 1;
		if (++bins[b] > top)
			top = bins[b];
	}
	y_axis(out, 0, (double)top * 1.05, "samples");
	for (size_t b = 0; b < nbins; b++) {
		double bx = ML + (double)b / (double)nbins * PW;
		double bh = (double)bins[b] / ((double)top * 1.05) * PH;

		gf_buf_addf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		    "height=\"%.1f\" fill=\"#1f77b4\" stroke=\"#ffffff\"/>\n",
		    bx, MT + PH - bh, PW / (double)nbins, bh);
	}
	step = nice_step(hi - lo, 6);
	for (double x = ceil(lo / step) * step; x <= hi + step * 1e-9;
	    x += step) {
		double px = ML + (x - lo) / (hi - lo) * PW;

		fmt_num(num, sizeof(num), x);
		gf_buf_addf(out, "<text x=\"%.1f\" y=\"%.1f\" "
		    "text-anchor=\"middle\">%s</text>\n", px, MT + PH + 14,
		    num);
	}
	if (lo < 0 && hi > 0) {
		double px = ML + (0 - lo) / (hi - lo) * PW;

		gf_buf_addf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"#d62728\" "
		    "stroke-dasharray=\"4 3\"/>\n", px, MT, px, MT + PH);
	}
	if (xlabel != NULL) {
		gf_buf_addf(out, "<text x=\"%.1f\" y=\"%.1f\" "
		    "text-anchor=\"middle\" fill=\"#666666\">", ML + PW / 2,
		    MT + PH + 30);
		gf_svg_escape(out, xlabel);
		gf_buf_adds(out, "</text>\n");
	}
	gf_buf_addf(out, "<text x=\"%.1f\" y=\"%.1f\">n = %zu</text>\n",
	    ML, H - 12, count);
	free(bins);
	gf_buf_adds(out, "</svg>\n");
}
