/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A growable byte buffer, always NUL-terminated.
 *
 *	struct gf_buf b = GF_BUF_INIT;
 *	gf_buf_addf(&b, "%d", n);
 *	use(b.data, b.len);
 *	gf_buf_release(&b);
 */
#ifndef GF_BUF_H
#define GF_BUF_H

#include <stddef.h>

#include "gf_compat.h"

struct gf_buf {
	char *data;	/* NUL-terminated; NULL until the first append */
	size_t len;
	size_t cap;
};

#define GF_BUF_INIT { NULL, 0, 0 }

void gf_buf_init(struct gf_buf *b);
/* Frees the contents; the buffer is GF_BUF_INIT again. */
void gf_buf_release(struct gf_buf *b);
/* Makes room for n more bytes (plus the NUL). */
void gf_buf_grow(struct gf_buf *b, size_t n);
void gf_buf_add(struct gf_buf *b, const void *data, size_t len);
void gf_buf_adds(struct gf_buf *b, const char *s);
void gf_buf_addc(struct gf_buf *b, char c);
void gf_buf_addf(struct gf_buf *b, const char *fmt, ...) GF_PRINTF(2, 3);
void gf_buf_reset(struct gf_buf *b);
/* Never NULL: "" for an empty buffer. Borrowed. */
const char *gf_buf_str(const struct gf_buf *b);
/* Hands the string to the caller (never NULL) and resets the buffer. */
char *gf_buf_detach(struct gf_buf *b);

#endif
