/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Libraries loaded on first use rather than linked (libcurl, libarchive):
 * each, with what it needs in turn, cost milliseconds of every start of
 * every tool, most of which never use it. The caller keeps a struct of
 * function pointers and fills it once (pthread_once):
 *
 *	static const struct gf_dl_sym syms[] = {
 *		{ "curl_easy_init", offsetof(struct libcurl, easy_init) }, ...
 *	};
 *	if (gf_dl_table("libcurl.so.4", "libcurl", syms, n, &lc, why,
 *	    sizeof(why)) < 0)
 *		... why says what failed ...
 */
#ifndef GF_DL_H
#define GF_DL_H

#include <stddef.h>

/* A symbol and the offset of its pointer in the caller's table. */
struct gf_dl_sym {
	const char *name;
	size_t offset;
};

/*
 * dlopen soname (never closed) and store the address of each of the n
 * symbols at table + offset. Returns 0, or -1 with the reason in
 * why[0..whylen): "cannot load NAME: <dlerror>" or "SONAME has no SYM".
 */
int gf_dl_table(const char *soname, const char *name,
    const struct gf_dl_sym *syms, size_t n, void *table, char *why,
    size_t whylen);

#endif
