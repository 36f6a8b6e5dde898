/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_SHANI 1
#endif

#include "gf_sha256.h"
#include "gf_banned.h"

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void
compress1(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, k, t1, t2;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^
		    (w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^
		    (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0]; b = h[1]; c = h[2]; d = h[3];
	e = h[4]; f = h[5]; g = h[6]; k = h[7];
	for (int i = 0; i < 64; i++) {
		t1 = k + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) +
		    ((e & f) ^ (~e & g)) + K[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) +
		    ((a & b) ^ (a & c) ^ (b & c));
		k = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d;
	h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

static void
compress_generic(uint32_t h[8], const unsigned char *p, size_t nblocks)
{
	for (; nblocks > 0; nblocks--, p += 64)
		compress1(h, p);
}

#ifdef HAVE_SHANI
/*
 * The SHA extensions (Intel SHA-NI, on x86-64 CPUs since 2016): the
 * archive of a large snapshot is hashed while it is written, and the
 * portable code would be the slowest part of that.
 */
__attribute__((target("sha,sse4.1,ssse3"))) static void
compress_shani(uint32_t h[8], const unsigned char *p, size_t nblocks)
{
	const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL,
	    0x0405060700010203ULL);
	__m128i st0, st1, tmp, msg, w[4], abef, cdgh;

	tmp = _mm_loadu_si128((const __m128i *)&h[0]);
	st1 = _mm_loadu_si128((const __m128i *)&h[4]);
	tmp = _mm_shuffle_epi32(tmp, 0xB1);		/* CDAB */
	st1 = _mm_shuffle_epi32(st1, 0x1B);		/* EFGH */
	st0 = _mm_alignr_epi8(tmp, st1, 8);		/* ABEF */
	st1 = _mm_blend_epi16(st1, tmp, 0xF0);		/* CDGH */
	for (; nblocks > 0; nblocks--, p += 64) {
		abef = st0;
		cdgh = st1;
#pragma GCC unroll 16
		for (int g = 0; g < 16; g++) {
			__m128i *cur = &w[g & 3];

			if (g < 4)
				*cur = _mm_shuffle_epi8(_mm_loadu_si128(
				    (const __m128i *)(p + 16 * g)), mask);
			else
				*cur = _mm_sha256msg2_epu32(_mm_add_epi32(
				    _mm_sha256msg1_epu32(*cur, w[(g + 1) & 3]),
				    _mm_alignr_epi8(w[(g + 3) & 3],
				    w[(g + 2) & 3], 4)), w[(g + 3) & 3]);
			msg = _mm_add_epi32(*cur,
			    _mm_loadu_si128((const __m128i *)&K[4 * g]));
			st1 = _mm_sha256rnds2_epu32(st1, st0, msg);
			msg = _mm_shuffle_epi32(msg, 0x0E);
			st0 = _mm_sha256rnds2_epu32(st0, st1, msg);
		}
		st0 = _mm_add_epi32(st0, abef);
		st1 = _mm_add_epi32(st1, cdgh);
	}
	tmp = _mm_shuffle_epi32(st0, 0x1B);		/* FEBA */
	st1 = _mm_shuffle_epi32(st1, 0xB1);		/* DCHG */
	st0 = _mm_blend_epi16(tmp, st1, 0xF0);		/* DCBA */
	st1 = _mm_alignr_epi8(st1, tmp, 8);		/* ABEF */
	_mm_storeu_si128((__m128i *)&h[0], st0);
	_mm_storeu_si128((__m128i *)&h[4], st1);
}

static int
have_shani(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) ||
	    !(c & bit_SSSE3))
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b & (1u << 29)) != 0;
}
#endif

static void (*compress)(uint32_t *, const unsigned char *, size_t);
/* Picked once for all threads: model zips are written side by side. */
static pthread_once_t compress_once = PTHREAD_ONCE_INIT;

static void
pick_compress(void)
{
	compress = compress_generic;
#ifdef HAVE_SHANI
	if (getenv("GF_SHA256_GENERIC") == NULL && have_shani())
		compress = compress_shani;
#endif
}

const char *
gf_sha256_impl(void)
{
	pthread_once(&compress_once, pick_compress);
	return compress == compress_generic ? "generic" : "sha-ni";
}

void
gf_sha256_init(struct gf_sha256 *c)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	pthread_once(&compress_once, pick_compress);
	memcpy(c->h, iv, sizeof(iv));
	c->nbytes = 0;
	c->fill = 0;
}

void
gf_sha256_update(struct gf_sha256 *c, const void *data, size_t len)
{
	const unsigned char *p = data;

	c->nbytes += len;
	if (c->fill > 0) {
		size_t n = 64 - c->fill < len ? 64 - c->fill : len;

		memcpy(c->block + c->fill, p, n);
		c->fill += n;
		p += n;
		len -= n;
		if (c->fill < 64)
			return;
		compress(c->h, c->block, 1);
		c->fill = 0;
	}
	if (len >= 64) {
		compress(c->h, p, len / 64);
		p += len / 64 * 64;
		len %= 64;
	}
	if (len > 0) {
		memcpy(c->block, p, len);
		c->fill = len;
	}
}

void
gf_sha256_final(struct gf_sha256 *c, unsigned char out[GF_SHA256_LEN])
{
	uint64_t bits = c->nbytes * 8;

	c->block[c->fill++] = 0x80;
	if (c->fill > 56) {
		memset(c->block + c->fill, 0, 64 - c->fill);
		compress(c->h, c->block, 1);
		c->fill = 0;
	}
	memset(c->block + c->fill, 0, 56 - c->fill);
	for (int i = 0; i < 8; i++)
		c->block[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
	compress(c->h, c->block, 1);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(c->h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(c->h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(c->h[i] >> 8);
		out[4 * i + 3] = (unsigned char)c->h[i];
	}
	memset(c, 0, sizeof(*c));
}

char *
gf_sha256_to_hex(const unsigned char digest[GF_SHA256_LEN],
    char out[GF_SHA256_HEX_LEN])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < GF_SHA256_LEN; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[64] = '\0';
	return out;
}

char *
gf_sha256_hex(const void *data, size_t len, char out[GF_SHA256_HEX_LEN])
{
	struct gf_sha256 c;
	unsigned char d[GF_SHA256_LEN];

	gf_sha256_init(&c);
	gf_sha256_update(&c, data, len);
	gf_sha256_final(&c, d);
	return gf_sha256_to_hex(d, out);
}

int
gf_sha256_file(const char *path, char out[GF_SHA256_HEX_LEN],
    struct gf_err *err)
{
	struct gf_sha256 c;
	unsigned char d[GF_SHA256_LEN], buf[65536];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return gf_err_set(err, errno == ENOENT ? GF_EXIT_NOINPUT :
		    GF_EXIT_IOERR, "sha256", "cannot open '%s': %s", path,
		    strerror(errno));
	gf_sha256_init(&c);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			gf_err_set(err, GF_EXIT_IOERR, "sha256",
			    "cannot read '%s': %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		gf_sha256_update(&c, buf, (size_t)n);
	}
	close(fd);
	gf_sha256_final(&c, d);
	gf_sha256_to_hex(d, out);
	return 0;
}
