/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of gf_svg: escaping, structure, reduction, well-formedness. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

#include "gf_buf.h"
#include "gf_svg.h"

static size_t
count(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* xmllint --noout on the text, when xmllint is installed. */
static void
wellformed(const struct gf_buf *b, const char *what)
{
	char path[] = "/tmp/t_svg.XXXXXX";
	char cmd[128];
	int fd;

	if (system("command -v xmllint >/dev/null 2>&1") != 0) {
		char why[128];

		snprintf(why, sizeof(why), "xmllint not installed (Debian "
		    "package libxml2-utils): %s not checked", what);
		skip(why);
		return;
	}
	fd = mkstemp(path);
	if (fd < 0 || write(fd, b->data, b->len) != (ssize_t)b->len) {
		ok(0, "write temporary file (%s)", what);
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		return;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), "xmllint --noout %s", path);
	ok(system(cmd) == 0, "%s is well-formed XML", what);
	unlink(path);
}

int
main(void)
{
	struct gf_buf b = GF_BUF_INIT;
	double t[6] = { 1000, 1003, 1006, 1009, 1012, 1015 };
	double a[6] = { 10, 20, NAN, 40, 50, 60 };
	double p[6] = { 12, 18, 30, 41, 55, 58 };
	struct gf_svg_line lines[2] = {
		{ "rapl <pkg> & \"x\"", t, a, 6 },
		{ "kepler", t, p, 6 },
	};
	struct gf_svg_band bands[1] = { { "cpu-load-50 n=8 f=2.8GHz", 1003,
	    1009 } };

	gf_svg_escape(&b, "a<b>&\"c'\x01");
	is_str(gf_buf_str(&b), "a&lt;b&gt;&amp;&quot;c&apos; ",
	    "escape markup and control characters");
	gf_buf_reset(&b);

	gf_svg_timeseries(&b, "package: rapl vs kepler", "Watts", lines, 2,
	    bands, 1);
	ok(strncmp(gf_buf_str(&b), "<?xml", 5) == 0, "XML declaration");
	ok(strstr(gf_buf_str(&b), "</svg>\n") != NULL, "closed");
	ok(strstr(gf_buf_str(&b), "rapl &lt;pkg&gt; &amp; &quot;x&quot;") !=
	    NULL, "legend escaped");
	is_int(count(gf_buf_str(&b), "<path "), 2, "one path per line");
	ok(strstr(gf_buf_str(&b), "cpu-load-50 n=8") != NULL, "window label");
	ok(strstr(gf_buf_str(&b), "fill-opacity=\"0.12\"") != NULL,
	    "window shaded");
	/* The NaN breaks the first line: two moves in its path. */
	{
		const char *p1 = strstr(gf_buf_str(&b), "<path ");
		const char *e1 = strstr(p1, "/>");
		size_t moves = 0;

		for (const char *q = p1; q < e1; q++)
			if (*q == 'M')
				moves++;
		is_int(moves, 2, "NaN breaks the line");
	}
	ok(strstr(gf_buf_str(&b), "nan") == NULL &&
	    strstr(gf_buf_str(&b), "inf") == NULL, "no NaN or Inf coordinates");
	wellformed(&b, "time-series chart");
	gf_buf_reset(&b);

	{
		/* A day of 3 s samples stays small. */
		size_t n = 28800;
		double *tt = malloc(n * sizeof(double));
		double *vv = malloc(n * sizeof(double));
		struct gf_svg_line big = { "day", tt, vv, n };

		for (size_t i = 0; i < n; i++) {
			tt[i] = 1700000000 + 3.0 * (double)i;
			vv[i] = 50 + 10 * sin((double)i / 100);
		}
		gf_svg_timeseries(&b, "day", "W", &big, 1, NULL, 0);
		ok(b.len < 200000, "28800 samples: %zu bytes", b.len);
		wellformed(&b, "day chart");
		gf_buf_reset(&b);
		free(tt);
		free(vv);
	}

	{
		double e[8] = { -2, -1, -1, 0, 0, 0, 1, NAN };

		gf_svg_histogram(&b, "error", "W", e, 8, 3);
		is_int(count(gf_buf_str(&b), "fill=\"#1f77b4\""), 3,
		    "three bins");
		ok(strstr(gf_buf_str(&b), "n = 7") != NULL, "NaN ignored");
		ok(strstr(gf_buf_str(&b), "stroke-dasharray") != NULL,
		    "zero marked");
		wellformed(&b, "histogram");
		gf_buf_reset(&b);
	}

	gf_svg_histogram(&b, "empty", NULL, NULL, 0, 0);
	ok(strstr(gf_buf_str(&b), "no data") != NULL, "empty histogram");
	wellformed(&b, "empty histogram");
	gf_buf_reset(&b);
	{
		double n1[1] = { NAN };
		struct gf_svg_line l = { "x", t, n1, 1 };

		gf_svg_timeseries(&b, NULL, NULL, &l, 1, NULL, 0);
		ok(strstr(gf_buf_str(&b), "no data") != NULL, "all-NaN chart");
		wellformed(&b, "all-NaN chart");
	}
	{
		double c[3] = { 5, 5, 5 };
		struct gf_svg_line l = { "flat", t, c, 3 };

		gf_buf_reset(&b);
		gf_svg_timeseries(&b, "flat", NULL, &l, 1, NULL, 0);
		ok(strstr(gf_buf_str(&b), "nan") == NULL, "flat line scales");
		wellformed(&b, "flat chart");
	}
	gf_buf_release(&b);
	return done_testing();
}
