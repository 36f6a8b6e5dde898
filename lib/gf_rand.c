/* SPDX-License-Identifier: Apache-2.0 */
/* xoshiro256** seeded by splitmix64 (gf_rand.h). */
#include <stddef.h>

#include "gf_rand.h"
#include "gf_banned.h"

void
gf_rand_seed(struct gf_rand *r, unsigned long seed)
{
	unsigned long long z = seed;

	for (int i = 0; i < 4; i++) {
		unsigned long long x;

		z += 0x9e3779b97f4a7c15ULL;
		x = z;
		x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
		x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
		r->s[i] = x ^ (x >> 31);
	}
}

static unsigned long long
rotl(unsigned long long x, int k)
{
	return (x << k) | (x >> (64 - k));
}

unsigned long long
gf_rand_next(struct gf_rand *r)
{
	unsigned long long *s = r->s;
	unsigned long long result = rotl(s[1] * 5, 7) * 9;
	unsigned long long t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

size_t
gf_rand_below(struct gf_rand *r, size_t n)
{
	for (;;) {
		unsigned long long x = gf_rand_next(r);

		/*
		 * The rejection limit 2^64 mod n is below n, so any x >= n
		 * passes without computing it: one division, not two, in
		 * SGD's per-epoch shuffle, and the same numbers.
		 */
		if (x >= n || x >= -(unsigned long long)n % n)
			return (size_t)(x % n);
	}
}

double
gf_rand_double(struct gf_rand *r)
{
	return (double)(gf_rand_next(r) >> 11) * 0x1.0p-53;
}
