/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/mman.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gf_xalloc.h"
#include "gf_err.h"
#include "gf_banned.h"

static GF_NORETURN void
out_of_memory(size_t size)
{
	fprintf(stderr, "gf: out of memory (allocating %zu bytes)\n", size);
	exit(GF_EXIT_OSERR);
}

void *
gf_xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		out_of_memory(size);
	return p;
}

void *
gf_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		out_of_memory(nmemb * size);
	return p;
}

void *
gf_xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	void *p;

	if (size != 0 && nmemb > SIZE_MAX / size)
		out_of_memory(SIZE_MAX);
	p = realloc(ptr, nmemb != 0 && size != 0 ? nmemb * size : 1);
	if (p == NULL)
		out_of_memory(nmemb * size);
	return p;
}

#define HUGE ((size_t)2 << 20)
/* Freed huge arrays kept for reuse: how many, and up to what size. */
#define HUGE_KEPT 2
#define HUGE_KEPT_MAX ((size_t)64 << 20)

/*
 * An SVR kernel matrix per row set, each written whole, was otherwise
 * new memory every time, which the kernel zeroes before the first write
 * (5-8 % of a gf-train run on a few thousand rows).
 */
static struct {
	void *p;
	size_t n;
} kept[HUGE_KEPT];
static pthread_mutex_t kept_mu = PTHREAD_MUTEX_INITIALIZER;

/* nmemb * size rounded up to whole huge pages; 0 below one. */
static size_t
huge_bytes(size_t nmemb, size_t size)
{
	size_t n;

	if (size != 0 && nmemb > SIZE_MAX / size)
		out_of_memory(SIZE_MAX);
	n = nmemb * size;
	if (n < HUGE)
		return 0;
	if (n > SIZE_MAX - HUGE)
		out_of_memory(n);
	return (n + HUGE - 1) / HUGE * HUGE;
}

void *
gf_xalloc_huge(size_t nmemb, size_t size)
{
	size_t n = huge_bytes(nmemb, size);
	void *p = NULL;

	if (n == 0)
		return gf_xmalloc(nmemb * size);
	/* A kept array at most twice the size asked for. */
	pthread_mutex_lock(&kept_mu);
	for (int i = 0; i < HUGE_KEPT && p == NULL; i++)
		if (kept[i].p != NULL && kept[i].n >= n && kept[i].n / 2 <= n) {
			p = kept[i].p;
			kept[i].p = NULL;
		}
	pthread_mutex_unlock(&kept_mu);
	if (p != NULL)
		return p;
	if (posix_memalign(&p, HUGE, n) != 0)
		out_of_memory(n);
#ifdef MADV_HUGEPAGE
	/* Advice only: without huge pages it is an ordinary array. */
	(void)madvise(p, n, MADV_HUGEPAGE);
#endif
	return p;
}

void
gf_xfree_huge(void *p, size_t nmemb, size_t size)
{
	size_t n = huge_bytes(nmemb, size);

	if (p == NULL)
		return;
	if (n > 0 && n <= HUGE_KEPT_MAX) {
		pthread_mutex_lock(&kept_mu);
		for (int i = 0; i < HUGE_KEPT && p != NULL; i++)
			if (kept[i].p == NULL) {
				kept[i].p = p;
				kept[i].n = n;
				p = NULL;
			}
		pthread_mutex_unlock(&kept_mu);
	}
	free(p);
}

char *
gf_xstrdup(const char *s)
{
	return gf_xstrndup(s, strlen(s));
}

char *
gf_xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = gf_xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
gf_xvasprintf(const char *fmt, va_list ap)
{
	va_list again;
	int len;
	char *p;

	va_copy(again, ap);
	len = vsnprintf(NULL, 0, fmt, ap);
	if (len < 0)
		out_of_memory(0);
	p = gf_xmalloc((size_t)len + 1);
	vsnprintf(p, (size_t)len + 1, fmt, again);
	va_end(again);
	return p;
}

char *
gf_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = gf_xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void
gf_free_secret(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}
