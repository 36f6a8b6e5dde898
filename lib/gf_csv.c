/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/stat.h>

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gf_csv.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

static void
free_names(char **names, size_t n)
{
	if (names == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

void
gf_csv_release(struct gf_csv *c)
{
	free_names(c->names, c->cols);
	free(c->data);
	free(c->text);
	c->names = NULL;
	c->data = NULL;
	c->text = NULL;
	c->rows = c->cols = 0;
}

int
gf_csv_column(const struct gf_csv *c, const char *name)
{
	for (size_t i = 0; i < c->cols; i++)
		if (strcmp(c->names[i], name) == 0)
			return (int)i;
	return -1;
}

/* Powers of ten that are exact doubles. */
static const double pow10_exact[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

#define TWO53 9007199254740992.0

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_digit(char c)
{
	return (unsigned)(c - '0') < 10;
}

/* Exact products and quotients of a double's significand and 10^k. */
__extension__ typedef unsigned __int128 u128;

/* 10^n for n <= 38 (10^38 < 2^127). */
static u128
pow10_u128(int n)
{
	static const uint64_t p[20] = { 1u, 10u, 100u, 1000u, 10000u,
		100000u, 1000000u, 10000000u, 100000000u, 1000000000u,
		10000000000u, 100000000000u, 1000000000000u, 10000000000000u,
		100000000000000u, 1000000000000000u, 10000000000000000u,
		100000000000000000u, 1000000000000000000u,
		10000000000000000000u };

	return n < 20 ? p[n] : (u128)p[n - 19] * p[19];
}

/* Bits in x, 0 for 0. */
static int
u128_bits(u128 x)
{
	uint64_t hi = (uint64_t)(x >> 64), lo = (uint64_t)x;

	return hi ? 128 - __builtin_clzll(hi) : lo ? 64 - __builtin_clzll(lo) :
	    0;
}

/*
 * n 2^-sh rounded to the nearest double, ties to even; sticky: bits
 * below n's were dropped that are not all zero. n has at least 54 bits,
 * and the result is a normal double (the callers' ranges).
 */
static double
round_u128(u128 n, int sh, int sticky)
{
	int drop = u128_bits(n) - 53;
	uint64_t mant = (uint64_t)(n >> drop);
	int half = (int)(n >> (drop - 1) & 1);

	sticky |= (n & (((u128)1 << (drop - 1)) - 1)) != 0;
	if (half && (sticky || (mant & 1)))
		mant++;
	return ldexp((double)mant, drop - sh);
}

/*
 * m 10^x for 2^53 < m < 2^64 (17 to 19 digits, beyond Clinger's path),
 * exactly: in 128-bit integers, rounded once. 0 when x is out of the
 * range where the operands fit (the caller asks strtod).
 */
static int
long_decimal(uint64_t m, long x, double *d)
{
	if (x >= 0) {
		/* m 10^19 < 2^128. */
		if (x > 19)
			return 0;
		*d = round_u128((u128)m * pow10_u128((int)x), 0, 0);
		return 1;
	}
	if (x < -22)
		return 0;
	/*
	 * m shifted to fill 128 bits, divided by 10^-x < 2^74: a quotient
	 * of at least 54 bits, the remainder as sticky.
	 */
	int sh = 128 - (64 - __builtin_clzll(m));
	u128 n = (u128)m << sh, p = pow10_u128((int)-x);

	*d = round_u128(n / p, sh, n % p != 0);
	return 1;
}

/*
 * Clinger's fast path: a decimal m * 10^x with m < 2^53 and |x| <= 22
 * is one correctly rounded IEEE multiplication or division of two exact
 * doubles, so it equals what strtod returns; 17 to 19 digits go to
 * long_decimal. Anything else: NULL (the caller asks strtod).
 */
static const char *
fast_scan(const char *s, const char *e, double *v)
{
	uint64_t m = 0;
	int nd = 0, frac = 0, any = 0, neg = 0;
	long x = 0;
	double d;

	while (s < e && is_blank(*s))
		s++;
	if (s < e && (*s == '-' || *s == '+'))
		neg = *s++ == '-';
	for (; s < e && *s == '0'; s++)
		any = 1;
	for (; s < e && is_digit(*s); s++, nd++) {
		if (nd >= 19)
			return NULL;
		m = m * 10 + (uint64_t)(*s - '0');
		any = 1;
	}
	if (s < e && *s == '.') {
		s++;
		if (m == 0)
			for (; s < e && *s == '0'; s++, frac++)
				any = 1;
		for (; s < e && is_digit(*s); s++, nd++, frac++) {
			if (nd >= 19)
				return NULL;
			m = m * 10 + (uint64_t)(*s - '0');
			any = 1;
		}
	}
	if (!any)
		return NULL;
	if (s < e && (*s == 'e' || *s == 'E')) {
		int xneg = 0;

		s++;
		if (s < e && (*s == '-' || *s == '+'))
			xneg = *s++ == '-';
		if (s == e || !is_digit(*s))
			return NULL;
		for (; s < e && is_digit(*s); s++) {
			if (x > 100000)
				return NULL;
			x = x * 10 + (*s - '0');
		}
		if (xneg)
			x = -x;
	}
	x -= frac;
	if (m > (uint64_t)1 << 53) {
		if (!long_decimal(m, x, &d))
			return NULL;
	} else if (m != 0 && x < 0) {
		d = (double)m;
		if (x < -22)
			return NULL;
		d /= pow10_exact[-x];
	} else if (m != 0 && x > 0) {
		if (x > 22)
			return NULL;
		d = (double)m * pow10_exact[x];
	} else
		d = (double)m;
	while (s < e && is_blank(*s))
		s++;
	*v = neg ? -d : d;
	return s;
}

static int
fast_number(const char *s, const char *e, double *v)
{
	return fast_scan(s, e, v) == e;
}

int
gf_csv_number(const char *s, const char *e, double *v)
{
	char num[64], *end, *p;

	if (fast_number(s, e, v))
		return 1;
	if ((size_t)(e - s) >= sizeof(num))
		return 0;
	memcpy(num, s, (size_t)(e - s));
	num[e - s] = '\0';
	for (p = num; is_blank(*p); p++)
		;
	if (*p == '\0')
		return 0;
	*v = strtod(p, &end);
	if (end == p)
		return 0;
	while (is_blank(*end))
		end++;
	return *end == '\0';
}

/*
 * |v| / 10^q, computed exactly from |v| = m 2^e: its integer part in
 * *D, and in *up 1 when it rounds up to the nearest integer, ties to
 * even. Returns 0 when the operands would not fit in 128 bits (the
 * caller then asks printf).
 */
static int
scaled_round(uint64_t m, int e, int q, uint64_t *D, int *up)
{
	u128 n, den, quo, rem;

	if (q >= 0) {
		/* |v| >= 10^16 > 2^53: e >= 0, m 2^e / 10^q. */
		if (e < 0 || e > 74 || q > 38)
			return 0;
		n = (u128)m << e;
		den = pow10_u128(q);
		quo = n / den;
		rem = n % den;
	} else {
		/* m 10^-q 2^e: 10^-q < 2^75 keeps the product in range. */
		if (-q > 22)
			return 0;
		n = (u128)m * pow10_u128(-q);
		if (e >= 0) {
			/* 2^52 <= |v| < 10^16: an integer, e at most 1. */
			if (e > 8)
				return 0;
			quo = n << e;
			rem = 0;
			den = 1;
		} else {
			if (-e > 127)
				return 0;
			den = (u128)1 << -e;
			quo = n >> -e;
			rem = n & (den - 1);
		}
	}
	if (quo >> 64 != 0)
		return 0;
	*D = (uint64_t)quo;
	*up = 2 * rem > den || (2 * rem == den && (*D & 1));
	return 1;
}

size_t
gf_format_17g(double v, char *buf)
{
	const uint64_t lo = 10000000000000000u, hi = 100000000000000000u;
	double a = fabs(v);
	char dig[17], *p = buf;
	uint64_t bits, m, D;
	int e, k, up;

	/* Zeros are common (idle counters, rapl core and uncore). */
	if (a == 0) {
		if (signbit(v))
			*p++ = '-';
		*p++ = '0';
		*p = '\0';
		return (size_t)(p - buf);
	}
	memcpy(&bits, &a, sizeof(bits));
	e = (int)(bits >> 52);
	/* Subnormals, infinities and NaN: printf's. */
	if (e == 0 || e == 0x7ff)
		return (size_t)snprintf(buf, GF_CSV_NUMBER_MAX, "%.17g", v);
	m = (bits & ((UINT64_C(1) << 52) - 1)) | UINT64_C(1) << 52;
	e -= 1075;
	/*
	 * k = floor(log10 a): 2^(e+52) <= a < 2^(e+53) gives it or one
	 * less, mended below.
	 */
	k = (e + 52) * 78913;		/* 78913 / 2^18 ~ log10(2) */
	k = k >= 0 ? k >> 18 : -((-k + (1 << 18) - 1) >> 18);
	for (int tries = 0;; tries++) {
		if (tries == 3 || !scaled_round(m, e, k - 16, &D, &up))
			return (size_t)snprintf(buf, GF_CSV_NUMBER_MAX,
			    "%.17g", v);
		if (D < lo)
			k--;
		else if (D >= hi)
			k++;
		else
			break;
	}
	/* Rounded up to the next power of ten: 1 and 16 zeros. */
	D += (uint64_t)up;
	if (D == hi) {
		D = lo;
		k++;
	}
	/* Two 32-bit halves: two short chains of divisions, not one. */
	uint32_t top = (uint32_t)(D / 100000000), low = (uint32_t)(D %
	    100000000);

	for (int i = 7; i >= 0; i--) {
		dig[i + 9] = (char)('0' + low % 10);
		low /= 10;
		dig[i + 1] = (char)('0' + top % 10);
		top /= 10;
	}
	dig[0] = (char)('0' + top);
	int nd = 17;

	while (nd > 1 && dig[nd - 1] == '0')
		nd--;
	if (signbit(v))
		*p++ = '-';
	if (k < -4 || k >= 17) {
		*p++ = dig[0];
		if (nd > 1) {
			*p++ = '.';
			memcpy(p, dig + 1, (size_t)nd - 1);
			p += nd - 1;
		}
		int ak = abs(k);

		*p++ = 'e';
		*p++ = k < 0 ? '-' : '+';
		if (ak >= 100)
			*p++ = (char)('0' + ak / 100);
		*p++ = (char)('0' + ak / 10 % 10);
		*p++ = (char)('0' + ak % 10);
	} else if (k < 0) {
		*p++ = '0';
		*p++ = '.';
		for (int i = 0; i < -k - 1; i++)
			*p++ = '0';
		memcpy(p, dig, (size_t)nd);
		p += nd;
	} else {
		memcpy(p, dig, (size_t)k + 1);
		p += k + 1;
		if (nd > k + 1) {
			*p++ = '.';
			memcpy(p, dig + k + 1, (size_t)(nd - k - 1));
			p += nd - k - 1;
		}
	}
	*p = '\0';
	return (size_t)(p - buf);
}

/*
 * The inverse of the fast path: the fewest decimals k such that
 * round(|v| * 10^k) / 10^k is v again; the division is correctly
 * rounded, so the decimal read back (by strtod or the fast path) is v.
 * gf_format_17g is the fallback.
 */
size_t
gf_csv_format(double v, char *buf)
{
	double a = fabs(v);
	char *p = buf, dig[24];
	size_t nd = 0;

	if (isfinite(v)) {
		for (int k = 0; k <= 17; k++) {
			double sc = a * pow10_exact[k];
			uint64_t n;

			if (sc >= TWO53)
				break;
			n = (uint64_t)(sc + 0.5);
			/*
			 * Most k are far from an integer: skip the division
			 * for them. The product may be an ulp off n, so the
			 * test is loose and the division decides.
			 */
			if (fabs(sc - (double)n) > sc * 0x1p-50 ||
			    (double)n / pow10_exact[k] != a)
				continue;
			if (signbit(v))
				*p++ = '-';
			do {
				dig[nd++] = (char)('0' + n % 10);
				n /= 10;
			} while (n != 0);
			if (nd <= (size_t)k) {
				*p++ = '0';
				*p++ = '.';
				for (size_t z = nd; z < (size_t)k; z++)
					*p++ = '0';
			}
			while (nd > 0) {
				if (nd == (size_t)k && p > buf &&
				    p[-1] != '.')
					*p++ = '.';
				*p++ = dig[--nd];
			}
			*p = '\0';
			return (size_t)(p - buf);
		}
	}
	return gf_format_17g(v, buf);
}

/* One header cell starting at p; *end is set past it (at ',' or EOL). */
static char *
header_cell(const char *p, const char *eol, const char **end)
{
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	if (p < eol && *p == '"') {
		char *d = gf_xmalloc((size_t)(eol - p) + 1);
		size_t n = 0;

		for (p++; p < eol; p++) {
			if (*p == '"') {
				/* "" inside quotes is one quote. */
				if (p + 1 < eol && p[1] == '"') {
					d[n++] = '"';
					p++;
					continue;
				}
				p++;
				break;
			}
			d[n++] = *p;
		}
		d[n] = '\0';
		while (p < eol && *p != ',')
			p++;
		*end = p;
		return d;
	}
	const char *q = p;

	while (q < eol && *q != ',')
		q++;
	*end = q;
	while (q > p && (q[-1] == ' ' || q[-1] == '\t'))
		q--;
	return gf_xstrndup(p, q - p);
}

/*
 * The parser takes one line at a time, so that a file is read with
 * getline() into a buffer of one line, not into memory whole: at 10^7
 * rows the text is larger than the numbers.
 */
struct parser {
	const char *name;
	size_t line;		/* number of the line being parsed */
	size_t cols, n, cap;
	size_t hint;		/* bytes in the input, 0 when unknown */
	size_t blank;		/* first blank line seen, 0 for none */
	char **names;
	double *data;
	unsigned char *text;
};

static int
parse_header(struct parser *ps, const char *p, const char *he,
    struct gf_err *err)
{
	if (he - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	if (he == p)
		return gf_err_set(err, GF_EXIT_DATAERR, "csv",
		    "%s:1:1: no header row", ps->name);
	for (const char *c = p;;) {
		const char *ce;
		char *cell = header_cell(c, he, &ce);

		ps->names = gf_xreallocarray(ps->names, ps->cols + 1,
		    sizeof(*ps->names));
		ps->names[ps->cols++] = cell;
		if (ce >= he)
			break;
		c = ce + 1;
	}
	for (size_t i = 0; i < ps->cols; i++) {
		if (ps->names[i][0] == '\0' && i > 0)
			return gf_err_set(err, GF_EXIT_DATAERR, "csv",
			    "%s:1: header cell %zu is empty", ps->name, i + 1);
		for (size_t j = 0; j < i; j++)
			if (strcmp(ps->names[i], ps->names[j]) == 0)
				return gf_err_set(err, GF_EXIT_DATAERR, "csv",
				    "%s:1: duplicate column '%s'", ps->name,
				    ps->names[i]);
	}
	return 0;
}

static int
parse_row(struct parser *ps, const char *p, const char *le,
    struct gf_err *err)
{
	const char *c = p, *name = ps->name;
	size_t cols = ps->cols, line = ps->line;
	double *row;

	if (ps->n == ps->cap) {
		size_t want = ps->cap + ps->cap / 2 + 1024;

		/* First row: guess the row count from the input size. */
		if (ps->cap == 0 && ps->hint > 0)
			want = ps->hint / ((size_t)(le - p) + 1) / 8 * 9 + 1024;
		ps->data = gf_xreallocarray(ps->data, want * cols,
		    sizeof(*ps->data));
		ps->cap = want;
	}
	row = ps->data + ps->n * cols;
	if (ps->text == NULL)
		ps->text = gf_xcalloc(cols, 1);
	for (size_t j = 0; j < cols; j++) {
		const char *ce, *q = c;
		char num[64], *e, *s;
		size_t w, col;
		int quoted = 0;

		/* Common case in one pass: a short number, then ',' or EOL. */
		if (ps->n > 0 && !ps->text[j] &&
		    (ce = fast_scan(c, le, &row[j])) != NULL &&
		    (ce == le || *ce == ','))
			goto next;
		col = (size_t)(c - p) + 1;

		while (q < le && (*q == ' ' || *q == '\t'))
			q++;
		if (q < le && *q == '"') {
			/* A quoted cell may hold commas; "" is a quote. */
			quoted = 1;
			for (q++; q < le; q++)
				if (*q == '"') {
					if (q + 1 < le && q[1] == '"')
						q++;
					else
						break;
				}
			if (q >= le)
				return gf_err_set(err, GF_EXIT_DATAERR, "csv",
				    "%s:%zu:%zu: column '%s': unterminated "
				    "quote", name, line, col, ps->names[j]);
		}
		ce = memchr(q, ',', (size_t)(le - q));
		if (ce == NULL)
			ce = le;
		w = (size_t)(ce - c);
		if (ps->n == 0 && w < sizeof(num) && !quoted) {
			memcpy(num, c, w);
			num[w] = '\0';
			s = num;
			while (*s == ' ' || *s == '\t')
				s++;
			strtod(s, &e);
			while (*e == ' ' || *e == '\t')
				e++;
			/* Text, not a broken number: a column like "id". */
			if (e == s && *s != '\0')
				ps->text[j] = 1;
		} else if (ps->n == 0) {
			ps->text[j] = 1;
		}
		if (ps->text[j]) {
			row[j] = NAN;
		} else if (fast_number(c, ce, &row[j])) {
			/* Short decimals: exact without strtod. */
		} else {
			if (w >= sizeof(num))
				return gf_err_set(err, GF_EXIT_DATAERR, "csv",
				    "%s:%zu:%zu: column '%s': value too long",
				    name, line, col, ps->names[j]);
			memcpy(num, c, w);
			num[w] = '\0';
			s = num;
			while (*s == ' ' || *s == '\t')
				s++;
			double v = strtod(s, &e);

			while (*e == ' ' || *e == '\t')
				e++;
			if (*s == '\0')
				return gf_err_set(err, GF_EXIT_DATAERR, "csv",
				    "%s:%zu:%zu: column '%s': empty cell", name,
				    line, col, ps->names[j]);
			if (e == s || *e != '\0')
				return gf_err_set(err, GF_EXIT_DATAERR, "csv",
				    "%s:%zu:%zu: column '%s': not a number: "
				    "'%s'", name, line, col, ps->names[j], s);
			if (!isfinite(v))
				return gf_err_set(err, GF_EXIT_DATAERR, "csv",
				    "%s:%zu:%zu: column '%s': not a finite "
				    "number: '%s'", name, line, col,
				    ps->names[j], s);
			row[j] = v;
		}
next:
		if (j + 1 < cols) {
			if (ce >= le)
				return gf_err_set(err, GF_EXIT_DATAERR, "csv",
				    "%s:%zu:%zu: %zu cells, the header has %zu",
				    name, line, (size_t)(le - p) + 1, j + 1,
				    cols);
			c = ce + 1;
		} else if (ce < le) {
			return gf_err_set(err, GF_EXIT_DATAERR, "csv",
			    "%s:%zu:%zu: more cells than the %zu of the header",
			    name, line, (size_t)(ce - p) + 1, cols);
		}
	}
	ps->n++;
	return 0;
}

/* One line without its newline. */
static int
feed(struct parser *ps, const char *p, size_t len, struct gf_err *err)
{
	const char *le = p + len;

	ps->line++;
	if (le > p && le[-1] == '\r')
		le--;
	if (ps->line == 1)
		return parse_header(ps, p, le, err);
	if (le == p) {
		/* Only trailing blank lines are allowed. */
		if (ps->blank == 0)
			ps->blank = ps->line;
		return 0;
	}
	if (ps->blank != 0)
		return gf_err_set(err, GF_EXIT_DATAERR, "csv",
		    "%s:%zu:1: empty line", ps->name, ps->blank);
	return parse_row(ps, p, le, err);
}

static int
finish(struct parser *ps, int r, struct gf_csv *out, struct gf_err *err)
{
	if (r == 0 && ps->line == 0)
		r = gf_err_set(err, GF_EXIT_DATAERR, "csv",
		    "%s:1:1: no header row", ps->name);
	if (r == 0 && ps->n == 0)
		r = gf_err_set(err, GF_EXIT_DATAERR, "csv",
		    "%s:%zu: no data rows", ps->name, ps->line);
	if (r < 0) {
		free_names(ps->names, ps->cols);
		free(ps->data);
		free(ps->text);
		return -1;
	}
	out->rows = ps->n;
	out->cols = ps->cols;
	out->names = ps->names;
	out->text = ps->text;
	out->data = gf_xreallocarray(ps->data, ps->n * ps->cols,
	    sizeof(*ps->data));
	return 0;
}

int
gf_csv_parse(const char *text, size_t len, const char *name,
    struct gf_csv *out, struct gf_err *err)
{
	struct parser ps;
	const char *p = text, *end = text + len;
	struct gf_csv empty = GF_CSV_INIT;
	int r = 0;

	*out = empty;
	memset(&ps, 0, sizeof(ps));
	ps.name = name;
	ps.hint = len;
	while (p < end && r == 0) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (eol == NULL)
			eol = end;
		r = feed(&ps, p, (size_t)(eol - p), err);
		p = eol + 1;
	}
	return finish(&ps, r, out, err);
}

int
gf_csv_load(const char *path, struct gf_csv *out, struct gf_err *err)
{
	struct parser ps;
	struct gf_csv empty = GF_CSV_INIT;
	struct stat st;
	int is_stdin = strcmp(path, "-") == 0, r = 0;
	FILE *f = is_stdin ? stdin : fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	*out = empty;
	if (f == NULL)
		return gf_err_set(err, GF_EXIT_NOINPUT, "csv",
		    "cannot open '%s': %s", path, strerror(errno));
	memset(&ps, 0, sizeof(ps));
	ps.name = is_stdin ? "<stdin>" : path;
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode))
		ps.hint = (size_t)st.st_size;
	/* Fewer, larger reads than stdio's st_blksize ones. */
	setvbuf(f, NULL, _IOFBF, 1 << 18);
	while (r == 0 && (n = getline(&line, &cap, f)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			n--;
		r = feed(&ps, line, (size_t)n, err);
	}
	if (r == 0 && ferror(f))
		r = gf_err_set(err, GF_EXIT_IOERR, "csv", "read '%s': %s",
		    ps.name, strerror(errno));
	free(line);
	if (!is_stdin)
		fclose(f);
	return finish(&ps, r, out, err);
}
