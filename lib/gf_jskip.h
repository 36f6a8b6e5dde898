/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Skipping a JSON array without parsing it. Most of a query output file
 * is metrics nobody asked for; the scanner that reads the rest
 * (gf_extract.c) only needs to know where each of those ends.
 *
 * Strings are skipped with their escapes (a quote after an odd run of
 * backslashes stays inside); brackets inside strings do not count.
 * Nothing else is checked: the caller either reads what follows with a
 * strict parser or falls back to one.
 */
#ifndef GF_JSKIP_H
#define GF_JSKIP_H

/*
 * p points at the '[' of an array: returns a pointer just past its
 * closing ']', or NULL when the text [p, end) ends before it. Borrowed
 * pointers into the caller's text; no terminating NUL needed.
 */
const char *gf_jskip_array(const char *p, const char *end);

/*
 * The same, one byte at a time: what gf_jskip_array does on machines
 * without SSE2 and on the blocks with backslashes, and its reference in
 * the tests.
 */
const char *gf_jskip_array_bytes(const char *p, const char *end);

#endif
