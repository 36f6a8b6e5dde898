/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Prometheus results as series of samples: the one set of rules every
 * reader of them applies (gf_prom for the API's replies, gf_qset for
 * query output files, gf_source for recorded results), so that the same
 * text gives the same samples, or the same error, in all of them.
 *
 * The rules:
 *
 * - A response is the API's envelope ({"status": "success", "data":
 *   {...}, "warnings": [...]}) or its "data" object alone. "status":
 *   "error" is an error quoting the response's errorType and error, and
 *   so is any status but "success". An envelope's warnings are kept.
 * - "data" is {"resultType": T, "result": R}. T "matrix" (or no T, as
 *   files written by hand have): R is an array of series {"metric":
 *   {labels}, "values": [[t, "v"], ...]}. "vector": R is an array of
 *   {"metric": {...}, "value": [t, "v"]}, each a series of one sample.
 *   "scalar": R is [t, "v"], one series without labels. Any other T
 *   ("string" included) is an error: it is not a series of numbers. An
 *   empty R is zero series, not an error.
 * - A series without "metric" has no labels; a "metric" must otherwise
 *   be an object of string values. "values" must be there, an array.
 *   Other keys of a series are ignored.
 * - A sample is [t, v]. t is a JSON number (an integer, or with a
 *   fraction) of unix seconds within the years 1 to 9999. v is a string
 *   as Prometheus writes it: a decimal ("1.5", "-2e-3", "1e+06") or
 *   "NaN", "+Inf", "-Inf" (in any case, "Inf" and "Infinity" with or
 *   without a sign), which are kept as IEEE NaN and infinities; or a
 *   JSON number. Anything else (an empty or blank-padded string, hex,
 *   words, null, true) is an error, and so is a decimal beyond the
 *   largest double ("1e999"), which would read as an infinity nobody
 *   wrote.
 * - Within a series the timestamps strictly increase: a repeated or an
 *   earlier time is bad data, an error.
 * - Series are kept in the order given, also two with the same labels
 *   (gf_prom merges the pieces of a split range query by label set).
 *
 * Errors are 65 (bad input data) and name where (the file and metric or
 * query, as the caller words it), the series and the sample, by index
 * from 0: "q.json: metric 'm': series 2 sample 17: value 'x' is not a
 * number". gf_prom makes them 69: a reply that breaks them is the
 * service's fault. Whether NaN and infinities are usable is the
 * consumer's to say (gf-train's extraction refuses them, naming the
 * metric and the time).
 *
 * Two readers apply the rules: one over a jansson tree, which says what
 * is wrong, and a scanner for files of megabytes (no node per number),
 * which reads only the documented shape and gives up (-1, no message)
 * on anything else, errors included, for the caller to read the text
 * again with jansson. What the scanner accepts, the tree reader accepts
 * with the same series, labels and bits.
 */
#ifndef GF_MATRIX_H
#define GF_MATRIX_H

#include <stddef.h>

#include <jansson.h>

#include "gf_err.h"
#include "gf_prom.h"

/* What is wrong with a sample, or GF_MATRIX_OK. */
enum gf_matrix_fault {
	GF_MATRIX_OK = 0,
	GF_MATRIX_TIME_RANGE,	/* not unix seconds in the years 1 to 9999 */
	GF_MATRIX_TIME_ORDER,	/* not after the series' previous sample */
	GF_MATRIX_VALUE_TEXT,	/* a string that is not a number */
	GF_MATRIX_VALUE_RANGE	/* a decimal beyond the largest double */
};

/*
 * A sample value written as text (the contents of a JSON string, or a
 * JSON number's text), s[0..len), into *v by the rules above; s needs
 * no NUL. Decimals are the correctly rounded double (as strtod).
 */
enum gf_matrix_fault gf_matrix_value(const char *s, size_t len, double *v);

/* Whether t may follow the samples s holds. */
enum gf_matrix_fault gf_matrix_time(const struct gf_prom_series *s,
    double t);

/*
 * Where the text came from, for errors: where prefixes the message ("q.json:
 * metric 'm'"; "" for none), origin and exit are err's (the readers of
 * files say 65; gf_prom 69: a reply that breaks the rules is the
 * service's fault). Borrowed.
 */
struct gf_matrix_from {
	const char *where;
	const char *origin;
	int exit;
};

/*
 * A response (envelope or data object) as a tree, appended to res (empty,
 * or holding earlier series). On failure res holds what was read so far:
 * release it.
 */
int gf_matrix_result_json(const json_t *j, const struct gf_matrix_from *from,
    struct gf_prom_result *res, struct gf_err *err);

/*
 * One matrix series as a tree into *out (zeroed by the caller); idx is
 * its position, for messages. On failure release *out's contents as
 * gf_prom_result_release would.
 */
int gf_matrix_series_json(const json_t *js, const struct gf_matrix_from *from,
    size_t idx, struct gf_prom_series *out, struct gf_err *err);

/* The scanner: a cursor over [p, end), no NUL needed. */
struct gf_matrix_scan {
	const char *p, *end;
};

/* Skip blanks (JSON's four). */
void gf_matrix_scan_ws(struct gf_matrix_scan *s);

/* Skip blanks; then 1 and step over c when it is next, else 0. */
int gf_matrix_scan_eat(struct gf_matrix_scan *s, char c);

/*
 * After blanks, a string without escapes or control bytes: *b points
 * into the text, *len its length; -1 for anything else (jansson decodes
 * or refuses those). Its UTF-8 is the caller's to check.
 */
int gf_matrix_scan_plain(struct gf_matrix_scan *s, const char **b,
    size_t *len);

/*
 * An object key: a new string (escapes decoded), NULL to give up (not a
 * string, or one jansson would refuse).
 */
char *gf_matrix_scan_key(struct gf_matrix_scan *s);

/*
 * One matrix series into *se (zeroed by the caller), its arrays sized
 * hint to start with (a range query gives most series the same count).
 * 0, or -1 to give up; release *se in both cases.
 */
int gf_matrix_scan_series(struct gf_matrix_scan *s, struct gf_prom_series *se,
    size_t hint);

/*
 * A response (envelope or data object) of the documented shape, a
 * matrix, appended to res. 0, or -1 to give up (release res).
 */
int gf_matrix_scan_result(struct gf_matrix_scan *s,
    struct gf_prom_result *res);

#endif
