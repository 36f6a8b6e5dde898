/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gf_buf.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

void
gf_buf_init(struct gf_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void
gf_buf_release(struct gf_buf *b)
{
	free(b->data);
	gf_buf_init(b);
}

void
gf_buf_grow(struct gf_buf *b, size_t n)
{
	size_t want = b->len + n + 1;

	if (want <= b->cap)
		return;
	if (want < b->cap * 2)
		want = b->cap * 2;
	if (want < 64)
		want = 64;
	b->data = gf_xreallocarray(b->data, want, 1);
	b->cap = want;
}

void
gf_buf_add(struct gf_buf *b, const void *data, size_t len)
{
	gf_buf_grow(b, len);
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
gf_buf_adds(struct gf_buf *b, const char *s)
{
	gf_buf_add(b, s, strlen(s));
}

void
gf_buf_addc(struct gf_buf *b, char c)
{
	gf_buf_add(b, &c, 1);
}

void
gf_buf_addf(struct gf_buf *b, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len <= 0)
		return;
	gf_buf_grow(b, (size_t)len);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)len + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)len;
}

void
gf_buf_reset(struct gf_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

const char *
gf_buf_str(const struct gf_buf *b)
{
	return b->data != NULL ? b->data : "";
}

char *
gf_buf_detach(struct gf_buf *b)
{
	char *s = b->data != NULL ? b->data : gf_xstrdup("");

	gf_buf_init(b);
	return s;
}
