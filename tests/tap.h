/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A minimal TAP producer for the C unit tests (run by prove).
 *
 *	int main(void) {
 *		is_int(add(1, 2), 3, "add adds");
 *		return done_testing();
 *	}
 */
#ifndef GF_TAP_H
#define GF_TAP_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_run, tap_failed;

static inline int
tap_vok(int pass, const char *fmt, va_list ap)
{
	tap_run++;
	if (!pass)
		tap_failed++;
	printf("%sok %d - ", pass ? "" : "not ", tap_run);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	return pass;
}

static inline int __attribute__((format(printf, 2, 3)))
ok(int pass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vok(pass, fmt, ap);
	va_end(ap);
	return pass;
}

static inline void __attribute__((format(printf, 1, 2)))
diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

#define is_int(got, want, ...) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	if (!ok(g_ == w_, __VA_ARGS__)) \
		diag("got %lld, want %lld", g_, w_); \
} while (0)

#define is_str(got, want, ...) do { \
	const char *g_ = (got), *w_ = (want); \
	if (!ok(g_ != NULL && w_ != NULL ? strcmp(g_, w_) == 0 : g_ == w_, \
	    __VA_ARGS__)) \
		diag("got '%s', want '%s'", g_ ? g_ : "(null)", \
		    w_ ? w_ : "(null)"); \
} while (0)

/* |got - want| <= tol */
#define is_near(got, want, tol, ...) do { \
	double g_ = (got), w_ = (want); \
	if (!ok(fabs(g_ - w_) <= (tol), __VA_ARGS__)) \
		diag("got %.17g, want %.17g (tolerance %g)", g_, w_, \
		    (double)(tol)); \
} while (0)

static inline void
skip_all(const char *reason)
{
	printf("1..0 # SKIP %s\n", reason);
	exit(0);
}

static inline void
skip(const char *reason)
{
	tap_run++;
	printf("ok %d # SKIP %s\n", tap_run, reason);
}

/*
 * xorshift64 for randomised cases: the same sequence on every run and
 * machine, so that a failure repeats.
 */
static unsigned long long tap_rng = 88172645463325252ULL;

static inline unsigned long long
tap_random(void)
{
	tap_rng ^= tap_rng << 13;
	tap_rng ^= tap_rng >> 7;
	tap_rng ^= tap_rng << 17;
	return tap_rng;
}

static inline int
done_testing(void)
{
	printf("1..%d\n", tap_run);
	return tap_failed != 0;
}

#endif
