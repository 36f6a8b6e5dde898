/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SHA-256 (FIPS 180-4) in plain C (with the CPU's SHA instructions where
 * there are some), so that the checksums of archives and of S3 payloads
 * need no crypto library. SigV4 itself is signed by libcurl (gf_http).
 *
 *	struct gf_sha256 c;
 *	gf_sha256_init(&c);
 *	gf_sha256_update(&c, data, len);	// any number of times
 *	gf_sha256_final(&c, digest);		// 32 bytes
 */
#ifndef GF_SHA256_H
#define GF_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "gf_err.h"

#define GF_SHA256_LEN 32
#define GF_SHA256_HEX_LEN 65	/* 64 hex digits and the NUL */

struct gf_sha256 {
	uint32_t h[8];
	uint64_t nbytes;	/* total length so far */
	unsigned char block[64];
	size_t fill;		/* bytes waiting in block */
};

void gf_sha256_init(struct gf_sha256 *c);
void gf_sha256_update(struct gf_sha256 *c, const void *data, size_t len);
/* Writes the digest; c must be initialised again before reuse. */
void gf_sha256_final(struct gf_sha256 *c, unsigned char out[GF_SHA256_LEN]);

/* Lower-case hex of a digest into out (65 bytes with the NUL). Returns out. */
char *gf_sha256_to_hex(const unsigned char digest[GF_SHA256_LEN],
    char out[GF_SHA256_HEX_LEN]);

/* One-shot digest of a buffer as hex. Returns out. */
char *gf_sha256_hex(const void *data, size_t len, char out[GF_SHA256_HEX_LEN]);

/* Digest of a file as hex: 66 when missing, 74 on a read error. */
int gf_sha256_file(const char *path, char out[GF_SHA256_HEX_LEN],
    struct gf_err *err);

/*
 * "sha-ni" when the CPU's SHA instructions are used, else "generic";
 * GF_SHA256_GENERIC in the environment forces the portable code.
 */
const char *gf_sha256_impl(void);

#endif
