/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The project's seeded generator (splitmix64-seeded xoshiro256**), so
 * that splits and trainers are reproducible across platforms: the same
 * seed gives the same numbers everywhere.
 *
 *	struct gf_rand r;
 *
 *	gf_rand_seed(&r, seed);
 *	size_t j = gf_rand_below(&r, n);
 *
 * A struct gf_rand is plain state the caller owns (no release); one
 * generator is not to be shared between threads.
 */
#ifndef GF_RAND_H
#define GF_RAND_H

#include <stddef.h>

struct gf_rand {
	unsigned long long s[4];
};

void gf_rand_seed(struct gf_rand *r, unsigned long seed);
unsigned long long gf_rand_next(struct gf_rand *r);
/* Uniform in [0, n), unbiased. n > 0. */
size_t gf_rand_below(struct gf_rand *r, size_t n);
/* Uniform in [0, 1). */
double gf_rand_double(struct gf_rand *r);

#endif
