/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parsing of command-line values: numbers, sizes, times, durations and
 * comma lists. The parsers return 0 on success and -1 with err filled (exit 64,
 * GF_EXIT_USAGE, naming `what`, e.g. "--threshold") otherwise; callers
 * that parse documents or files re-tag the exit code themselves.
 */
#ifndef GF_PARSE_H
#define GF_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "gf_err.h"

/* A whole decimal integer in [min, max]. */
int gf_parse_int(const char *s, long long min, long long max,
    const char *what, long long *out, struct gf_err *err);

/* A finite floating-point number. */
int gf_parse_double(const char *s, const char *what, double *out,
    struct gf_err *err);

/*
 * A duration: "90s", "15m", "2h", "1d", "250ms", or a bare number of
 * seconds ("90", "1.5"). Several units may follow each other ("1h30m").
 * Returns seconds, >= 0.
 */
int gf_parse_duration(const char *s, const char *what, double *seconds,
    struct gf_err *err);

/*
 * A point in time: unix seconds ("1700000000", "1700000000.5") or
 * RFC 3339 ("2026-11-23T18:00:00Z", "...+01:00", fractional seconds
 * allowed); "now" and "now-15m" are accepted too. Returns unix seconds.
 */
int gf_parse_time(const char *s, const char *what, double *unix_seconds,
    struct gf_err *err);

/* A size: "50MB", "1GiB", "512k", "1000" (bytes). Decimal and binary units. */
int gf_parse_size(const char *s, const char *what, uint64_t *bytes,
    struct gf_err *err);

/*
 * 1 when t (unix seconds) is a time RFC 3339 can write: years 1 to 9999.
 * Times are keyed by milliseconds in 64 bits and formatted with
 * four-digit years; a finite double can be far beyond both, so readers
 * of times (arguments, documents, samples) refuse others.
 */
int gf_time_ok(double t);

/* Current time as unix seconds with sub-second precision. */
double gf_time_now(void);

/* Seconds on the monotonic clock: for intervals, never for timestamps. */
double gf_time_monotonic(void);

/*
 * Sleeps for seconds (<= 0: not at all). With wake_on_signal a caught
 * signal ends the sleep early, so that a loop can look at its stop flag;
 * without it the sleep resumes until the whole time has passed.
 */
void gf_time_sleep(double seconds, int wake_on_signal);

/*
 * Format unix seconds as RFC 3339 UTC ("2026-11-23T18:00:00Z", or with
 * milliseconds when with_ms). buf must hold 32 bytes. Returns buf. A
 * time outside gf_time_ok's range is written as the nearest end of it,
 * NaN as 1970-01-01T00:00:00Z: callers check times where they read them.
 */
char *gf_time_format(double unix_seconds, int with_ms, char buf[32]);

/*
 * A comma list of option values ("a, b,c"): its items, without the
 * blanks before them, empty ones dropped, in *out (a new NULL-terminated
 * array, NULL when there is none; free it with gf_list_free). Returns
 * the number of items.
 */
size_t gf_parse_list(const char *s, char ***out);
/* 1 when list (NULL-terminated, or NULL) holds s. */
int gf_list_has(const char *const *list, const char *s);
void gf_list_free(char **list);

#endif
