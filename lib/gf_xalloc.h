/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Allocation that never returns NULL. Out of memory is the one failure
 * library code does not report through struct gf_err: it prints and exits
 * with GF_EXIT_OSERR (71).
 */
#ifndef GF_XALLOC_H
#define GF_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

#include "gf_compat.h"

void *gf_xmalloc(size_t size);
void *gf_xcalloc(size_t nmemb, size_t size);
/* Fails (exits 71) on nmemb * size overflow as well. */
void *gf_xreallocarray(void *ptr, size_t nmemb, size_t size);
/*
 * gf_xreallocarray(NULL, nmemb, size) for a large working array: from 2
 * MB up it is aligned to 2 MB and backed by transparent huge pages where
 * the kernel gives them on request, so it faults in 2 MB at a time, not
 * 4 KB (an SVR kernel matrix: a tenth of the trainer's time went to its
 * page faults). Freed with gf_xfree_huge, which keeps a few of them (up
 * to 64 MB each) for the next such request they can hold, at most
 * twice its size: not zeroed then, but not new memory either.
 */
void *gf_xalloc_huge(size_t nmemb, size_t size);
/* Frees p from gf_xalloc_huge(nmemb, size), the same nmemb and size. */
void gf_xfree_huge(void *p, size_t nmemb, size_t size);
char *gf_xstrdup(const char *s);
char *gf_xstrndup(const char *s, size_t n);
/* Returns a new string; caller frees. */
char *gf_xasprintf(const char *fmt, ...) GF_PRINTF(1, 2);
char *gf_xvasprintf(const char *fmt, va_list ap) GF_PRINTF(1, 0);

/* Wipe then free a secret; NULL is fine. */
void gf_free_secret(char *s);

#endif
