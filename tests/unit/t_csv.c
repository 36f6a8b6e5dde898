/* SPDX-License-Identifier: Apache-2.0 */
/* gf_csv: the numeric CSV loader and its error messages. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "gf_csv.h"

static int
parse(const char *text, struct gf_csv *c, struct gf_err *err)
{
	gf_err_clear(err);
	return gf_csv_parse(text, strlen(text), "t.csv", c, err);
}

static void
expect_error(const char *text, const char *msg, const char *what)
{
	struct gf_csv c;
	struct gf_err err = GF_ERR_INIT;
	int r = parse(text, &c, &err);

	ok(r == -1 && err.exit == 65 && strstr(err.msg, msg) != NULL,
	    "%s: exit 65, '%s'", what, msg);
	if (strstr(err.msg, msg) == NULL)
		diag("message: %s", err.msg);
	ok(c.data == NULL && c.names == NULL && c.rows == 0,
	    "%s: nothing half-loaded", what);
}

static int
num(const char *s, double *v)
{
	return gf_csv_number(s, s + strlen(s), v);
}

/*
 * The fast decimal path and the fast formatter against strtod and
 * "%.17g": same doubles bit for bit, on fixed cases and on random short
 * decimals and random bit patterns.
 */
static void
numbers(void)
{
	static const char *good[] = { "0", "-0", "1", "+1", "  1.5 ",
	    "170.6867331", "5.502961156e+10", "1e22", "1e23",
	    "9007199254740993",
	    "123456789012345678901234", "0.1", "0.000001234", "1e-300",
	    "4.9e-324", "1.7976931348623157e308", ".5", "5.", "1E5", "1e+05",
	    "0x1p3", "00012.50", "-0.0000", "3804367031.6666665",
	    "1936.3333333333333", "9007199254740995", "9007199254740997",
	    "18014398509481985", "1844674407370955161.5",
	    "0.00000012345678901234567", "12345678901234567e19",
	    "12345678901234567e20", "1234567890123456789e-22",
	    "1234567890123456789e-23" };
	static const char *bad[] = { "", " ", "-", ".", "e5", "1e", "1e+",
	    "1,2", "1.2.3", "abc", "1 2", "--1" };
	char buf[GF_CSV_NUMBER_MAX], txt[64], *e;
	int fails = 0;
	double v, w;

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		w = strtod(good[i], &e);
		ok(num(good[i], &v) == 1 && memcmp(&v, &w, sizeof(v)) == 0,
		    "'%s' reads as strtod does", good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ok(num(bad[i], &v) == 0, "'%s' is not a number", bad[i]);
	for (int i = 0; i < 200000; i++) {
		unsigned long long r = tap_random();
		int digits = (int)(r % 18) + 1, point = (int)((r >> 8) % 20);
		int ex = (int)((r >> 16) % 61) - 30;
		unsigned long long m = tap_random() % 1000000000000000000ULL;

		for (int k = digits; k < 18; k++)
			m /= 10;
		if (ex % 3 == 0)
			snprintf(txt, sizeof(txt), "%s%llu.%0*llue%d",
			    r & 1 ? "-" : "", m / 1000, point % 4 + 1,
			    m % 1000 % (point % 4 == 0 ? 10 : 1000), ex);
		else
			snprintf(txt, sizeof(txt), "%llu", m);
		w = strtod(txt, &e);
		if (num(txt, &v) != 1 || memcmp(&v, &w, sizeof(v)) != 0) {
			if (fails++ < 5)
				diag("'%s': %.17g, strtod %.17g", txt, v, w);
		}
		gf_csv_format(w, buf);
		if (num(buf, &v) != 1 || memcmp(&v, &w, sizeof(v)) != 0) {
			if (fails++ < 5)
				diag("%.17g formatted '%s'", w, buf);
		}
	}
	is_int(fails, 0, "random short decimals: read exactly, written back "
	    "exactly");
	/* 17 to 19 digits (beyond 2^53) at every exponent they are exact. */
	fails = 0;
	for (int i = 0; i < 300000; i++) {
		unsigned long long m = tap_random() % 10000000000000000000ULL;
		int ex = (int)(tap_random() % 48) - 25;
		int point = (int)(tap_random() % 20);

		if (m <= 1ULL << 53)
			m += 1ULL << 53;
		snprintf(txt, sizeof(txt), "%llue%d", m, ex);
		if (point > 0 && point < 19) {
			/* The same digits with a decimal point inside. */
			char d[32];
			int n = snprintf(d, sizeof(d), "%llu", m);

			if (point < n)
				snprintf(txt, sizeof(txt), "%.*s.%se%d",
				    n - point, d, d + n - point, ex + point);
		}
		w = strtod(txt, &e);
		if (num(txt, &v) != 1 || memcmp(&v, &w, sizeof(v)) != 0) {
			if (fails++ < 5)
				diag("'%s': %.17g, strtod %.17g", txt, v, w);
		}
	}
	is_int(fails, 0, "17 to 19 digits: read as strtod does");
	fails = 0;
	for (int i = 0; i < 200000; i++) {
		unsigned long long bits = tap_random();

		memcpy(&w, &bits, sizeof(w));
		if (!isfinite(w))
			continue;
		gf_csv_format(w, buf);
		if (num(buf, &v) != 1 || memcmp(&v, &w, sizeof(v)) != 0) {
			if (fails++ < 5)
				diag("%.17g formatted '%s'", w, buf);
		}
	}
	is_int(fails, 0, "random doubles written back exactly");
	gf_csv_format(170.6867331, buf);
	is_str(buf, "170.6867331", "short decimals written short");
	gf_csv_format(1695115663.0, buf);
	is_str(buf, "1695115663", "integers without a point");
	gf_csv_format(0.000125, buf);
	is_str(buf, "0.000125", "small decimals fixed");
	gf_csv_format(-2.5, buf);
	is_str(buf, "-2.5", "negative");
	gf_csv_format(-0.0, buf);
	is_str(buf, "-0", "negative zero");
	gf_csv_format(0.1 + 0.2, buf);
	is_str(buf, "0.30000000000000004", "long ones as %%.17g");
}

/* gf_format_17g gives printf's "%.17g" text for v; diag when not. */
static int
same_as_printf(double v, int *shown)
{
	char want[64], got[GF_CSV_NUMBER_MAX];
	size_t len = gf_format_17g(v, got);

	snprintf(want, sizeof(want), "%.17g", v);
	if (strcmp(want, got) == 0 && len == strlen(got))
		return 1;
	if ((*shown)++ < 5)
		diag("%a: printf '%s', gf_format_17g '%s' (%zu)", v, want, got,
		    len);
	return 0;
}

static void
format_17g(void)
{
	int shown = 0, fails = 0;
	double v;

	/* Any bits: every exponent, NaN and infinities (printf's path). */
	for (int i = 0; i < 300000; i++) {
		unsigned long long bits = tap_random();

		memcpy(&v, &bits, sizeof(v));
		fails += !same_as_printf(v, &shown);
	}
	is_int(fails, 0, "random bit patterns: the same text as %%.17g");
	/* Where the exact integer path runs, and around its bounds. */
	fails = 0;
	for (int i = 0; i < 300000; i++) {
		double u = (double)(tap_random() >> 11) * 0x1p-53;

		v = pow(10, -9 + 50 * u) * (i & 1 ? -1 : 1);
		fails += !same_as_printf(v, &shown);
	}
	is_int(fails, 0, "1e-9 .. 1e41: the same text as %%.17g");
	/*
	 * Exact ties at the 17th digit: j / 2^17 for odd j in [1, 10) has
	 * 18 significant digits ending in 5; they round to even.
	 */
	fails = 0;
	for (int j = (1 << 17) + 1; j < 10 << 17; j += 2)
		fails += !same_as_printf(j * 0x1p-17, &shown);
	is_int(fails, 0, "ties at the 17th digit round to even as printf");
	/* Powers of ten and their neighbours (log10 may round across). */
	fails = 0;
	for (int k = -12; k <= 45; k++) {
		double p = pow(10, k);

		fails += !same_as_printf(p, &shown);
		fails += !same_as_printf(nextafter(p, 0), &shown);
		fails += !same_as_printf(nextafter(p, INFINITY), &shown);
		fails += !same_as_printf(p * 9.9999999999999999, &shown);
	}
	/* Integers, halves, the extremes, zeros. */
	for (long long n = 1; n > 0 && n < (1LL << 62); n = n * 3 + 1) {
		fails += !same_as_printf((double)n, &shown);
		fails += !same_as_printf(n + 0.5, &shown);
		fails += !same_as_printf(-(double)n / 1024, &shown);
	}
	const double edge[] = { 0.0, -0.0, 0x1p52, 0x1p53, 0x1p53 + 2,
		0x1p127, 0x1p126 * 1.5, DBL_MAX, DBL_MIN, 4.9e-324, 1e-6,
		1e-7, 1e16, 1e17, 9999999999999999.0, 99999999999999999.0,
		0.1, 0.30000000000000004, 170.6867331, 2.5e-5 };

	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		fails += !same_as_printf(edge[i], &shown);
	is_int(fails, 0, "powers of ten, integers, halves and extremes as "
	    "%%.17g");
}

int
main(void)
{
	struct gf_csv c;
	struct gf_err err = GF_ERR_INIT;
	char path[] = "/tmp/t_csv.XXXXXX";

	numbers();
	format_17g();
	is_int(parse("a,\"b\",c\r\n1,2.5,-3e2\r\n4, 5 ,6\n\n", &c, &err), 0,
	    "CRLF, quotes, blanks and a trailing blank line are accepted");
	is_int(c.rows, 2, "two rows");
	is_int(c.cols, 3, "three columns");
	is_str(c.names[1], "b", "quoted header name unquoted");
	is_int(gf_csv_column(&c, "c"), 2, "column lookup");
	is_int(gf_csv_column(&c, "nope"), -1, "unknown column is -1");
	is_near(c.data[0 * 3 + 2], -300, 0, "exponent parsed");
	is_near(c.data[1 * 3 + 1], 5, 0, "blanks around a number");
	gf_csv_release(&c);
	ok(c.data == NULL && c.rows == 0, "release empties");
	gf_csv_release(&c);

	/* kepler-model-db's DynPower files: a text id column. */
	is_int(parse(",t,id,p\n0,5,all containers,1.5\n1,6,\"a, b\",2\n",
	    &c, &err), 0, "a text column is accepted");
	ok(c.text[2] == 1 && c.text[1] == 0 && c.text[3] == 0,
	    "and flagged, the others not");
	ok(isnan(c.data[2]) && c.data[1 * 4 + 3] == 2,
	    "text is NaN; a quoted comma does not shift the row");
	gf_csv_release(&c);
	ok(c.text == NULL, "release frees the flags");
	is_int(parse(",x\n0,1\n1,2\n", &c, &err), 0,
	    "pandas' unnamed index column is kept");
	is_str(c.names[0], "", "as a column named \"\"");
	gf_csv_release(&c);

	expect_error("a,b\n1,2\n3\n", "t.csv:3:2: 1 cells, the header has 2",
	    "short row");
	expect_error("a,b\n1,2,3\n", "t.csv:2:4: more cells", "long row");
	expect_error("a,b\n1,\n", "t.csv:2:3: column 'b': empty cell",
	    "empty cell");
	expect_error("a,b\n1,nan\n", "column 'b': not a finite number: 'nan'",
	    "nan");
	expect_error("a,b\ninf,1\n", "t.csv:2:1: column 'a': not a finite",
	    "inf");
	expect_error("a,b\n1,2\n1,x2\n",
	    "t.csv:3:3: column 'b': not a number: 'x2'", "text in numbers");
	expect_error("a,b\n1,2x\n", "t.csv:2:3: column 'b': not a number: "
	    "'2x'", "number with trailing text");
	expect_error("a,b\n1,\"x\n", "t.csv:2:3: column 'b': unterminated "
	    "quote", "unterminated quote");
	expect_error("a,b\n1,2\n\n3,4\n", "t.csv:3:1: empty line",
	    "blank line inside");
	expect_error("a,b\n", "t.csv:1: no data rows", "header only");
	expect_error("", "t.csv:1:1: no header row", "empty file");
	expect_error("a,a\n1,2\n", "duplicate column 'a'", "duplicate name");
	expect_error("a,,b\n1,2,3\n", "header cell 2 is empty",
	    "empty header cell");

	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fputs("x,y\n1,2\n3,4\n", f);
	fclose(f);
	is_int(gf_csv_load(path, &c, &err), 0, "load from a file");
	is_int(c.rows, 2, "file rows");
	gf_csv_release(&c);
	ok(freopen(path, "r", stdin) != NULL, "stdin from the file");
	is_int(gf_csv_load("-", &c, &err), 0, "\"-\" loads stdin");
	ok(c.rows == 2 && c.data[3] == 4, "stdin rows");
	gf_csv_release(&c);
	f = fopen(path, "w");
	fputs("x,y\n1,2\n3,oops\n", f);
	fclose(f);
	freopen(path, "r", stdin);
	ok(gf_csv_load("-", &c, &err) == -1 && strstr(err.msg,
	    "<stdin>:3:3: column 'y'"), "stdin errors name <stdin>: %s",
	    err.msg);
	ok(gf_csv_load(path, &c, &err) == -1 && strstr(err.msg, path),
	    "file errors name the file: %s", err.msg);
	unlink(path);
	is_int(gf_csv_load(path, &c, &err), -1, "missing file fails");
	is_int(err.exit, 66, "missing file is exit 66");
	return done_testing();
}
