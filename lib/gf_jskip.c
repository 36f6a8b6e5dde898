/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>
#include <stdint.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "gf_jskip.h"
#include "gf_banned.h"

struct skip {
	long depth;	/* brackets open outside strings */
	int in_str;	/* inside a string */
	int escaped;	/* inside a string, after a backslash */
};

/* Steps over [p, stop): past the closing bracket, or NULL before it. */
static const char *
step_bytes(struct skip *st, const char *p, const char *stop)
{
	for (; p < stop; p++) {
		char c = *p;

		if (st->in_str) {
			if (st->escaped)
				st->escaped = 0;
			else if (c == '\\')
				st->escaped = 1;
			else if (c == '"')
				st->in_str = 0;
		} else if (c == '"') {
			st->in_str = 1;
		} else if (c == '[') {
			st->depth++;
		} else if (c == ']' && --st->depth == 0) {
			return p + 1;
		}
	}
	return NULL;
}

const char *
gf_jskip_array_bytes(const char *p, const char *end)
{
	struct skip st = { 0, 0, 0 };

	return step_bytes(&st, p, end);
}

#if defined(__SSE2__)
/* Baseline x86-64 has no POPCNT: the builtin would be a libgcc call. */
static int
bits64(uint64_t x)
{
	x -= (x >> 1) & 0x5555555555555555ULL;
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (int)((x * 0x0101010101010101ULL) >> 56);
}

/* The bytes equal to c among the 64 at p, one bit each. */
static uint64_t
marks(const __m128i v[4], char c)
{
	__m128i k = _mm_set1_epi8(c);
	uint64_t m = 0;

	for (int i = 0; i < 4; i++)
		m |= (uint64_t)(unsigned)_mm_movemask_epi8(
		    _mm_cmpeq_epi8(v[i], k)) << (16 * i);
	return m;
}

/*
 * 64 bytes at a time: the quotes, brackets and backslashes of a block
 * as bit masks. Without a backslash, the bytes inside strings are the
 * running parity of the quotes (a prefix XOR); the brackets outside
 * them change the depth, which can only reach 0 in this block when it
 * has at least as many closing brackets as are open. Sample arrays
 * ([1695302400.123,"12.5"]) have a special byte every few bytes, so a
 * byte loop branches on nearly every one of them.
 */
const char *
gf_jskip_array(const char *p, const char *end)
{
	struct skip st = { 0, 0, 0 };

	while (end - p >= 64) {
		__m128i v[4];
		uint64_t quote, open, close, inside;

		for (int i = 0; i < 4; i++)
			v[i] = _mm_loadu_si128((const __m128i *)(const void *)
			    (p + 16 * i));
		if (st.escaped || marks(v, '\\') != 0) {
			const char *r = step_bytes(&st, p, p + 64);

			if (r != NULL)
				return r;
			p += 64;
			continue;
		}
		quote = marks(v, '"');
		open = marks(v, '[');
		close = marks(v, ']');
		inside = quote ^ (quote << 1);
		inside ^= inside << 2;
		inside ^= inside << 4;
		inside ^= inside << 8;
		inside ^= inside << 16;
		inside ^= inside << 32;
		if (st.in_str)
			inside = ~inside;
		st.in_str = (int)(inside >> 63);
		open &= ~inside;
		close &= ~inside;
		if (bits64(close) < st.depth) {
			st.depth += bits64(open) - bits64(close);
		} else {
			for (uint64_t m = open | close; m != 0; m &= m - 1) {
				int i = __builtin_ctzll(m);

				if (open & (1ULL << i))
					st.depth++;
				else if (--st.depth == 0)
					return p + i + 1;
			}
		}
		p += 64;
	}
	return step_bytes(&st, p, end);
}
#else
const char *
gf_jskip_array(const char *p, const char *end)
{
	return gf_jskip_array_bytes(p, end);
}
#endif
