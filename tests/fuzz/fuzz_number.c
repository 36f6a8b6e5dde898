/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf_csv_number against strtod: the same verdict and the same double for
 * every field (its fast path must never round differently), and
 * gf_csv_format's text read back as the very same double.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "gf_csv.h"

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

/* What gf_csv_number promises: strtod over the field, blanks around. */
static int
reference(const char *s, size_t n, double *v)
{
	char num[64], *p, *end;

	if (n >= sizeof(num) || memchr(s, '\0', n) != NULL)
		return -1;	/* not a case the reference decides */
	memcpy(num, s, n);
	num[n] = '\0';
	for (p = num; blank(*p); p++)
		;
	if (*p == '\0')
		return 0;
	*v = strtod(p, &end);
	if (end == p)
		return 0;
	while (blank(*end))
		end++;
	return *end == '\0';
}

static int
same(double a, double b)
{
	return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof(a)) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly size bytes: a read past the field is caught. */
	char *s = malloc(size ? size : 1);
	double v = 0, w = 0;
	int got, want;

	memcpy(s, data, size);
	got = gf_csv_number(s, s + size, &v);
	want = reference(s, size, &w);
	if (want >= 0 && (got != want || (got && !same(v, w))))
		abort();
	free(s);
	if (size >= sizeof(double)) {
		char buf[GF_CSV_NUMBER_MAX];
		size_t n;

		memcpy(&v, data, sizeof(v));
		if (isfinite(v)) {
			n = gf_csv_format(v, buf);
			if (n >= sizeof(buf) || !gf_csv_number(buf, buf + n, &w)
			    || !same(v, w))
				abort();
		}
	}
	return 0;
}
