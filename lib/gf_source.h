/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where gf-validate's series come from: a Prometheus (through gf_prom),
 * or query results recorded earlier in a file (gf-validate --from-json).
 * Both answer the same two questions, a range query that must give one
 * series and an instant query that must give one value, with the same
 * errors, so the rest of gf-validate cannot tell them apart.
 *
 *	struct gf_recorded rec = GF_RECORDED_INIT;
 *	struct gf_vsource src = { NULL, &rec, "rec.json", 3 };
 *	struct gf_prom_result res;
 *
 *	gf_recorded_parse(&rec, text, len, "rec.json", &err);
 *	if (gf_vsource_range(&src, query, "check 'x', metal", t0, t1, &res,
 *	    &err) == -1) ...
 *	gf_prom_result_release(&res);
 *	gf_recorded_release(&rec);
 */
#ifndef GF_SOURCE_H
#define GF_SOURCE_H

#include <stddef.h>

#include "gf_err.h"
#include "gf_prom.h"

/*
 * Recorded query results (gf-validate --from-json): a JSON object mapping
 * each query to its query_range result, either the "data" object
 * ({"resultType":"matrix","result":[{"metric":{...},"values":[[t,"v"],
 * ...]}]}) or the whole API response around it, read by gf_matrix's
 * rules (gf_matrix.h: values as Prometheus writes them, "NaN" and "+Inf"
 * kept; times that increase). The documented shape is read by a scanner,
 * so a day of samples for many checks loads in a fraction of what a
 * general JSON tree costs. Errors are 65: name:line:col for text that is
 * not JSON, else naming the query, the series and the sample. A query
 * given twice is an error. On failure rec holds what was read so far:
 * release it.
 */
struct gf_recorded_query {
	char *query;		/* owned */
	struct gf_prom_result res;
};

struct gf_recorded {
	struct gf_recorded_query *q;
	size_t n;
};

#define GF_RECORDED_INIT { NULL, 0 }

int gf_recorded_parse(struct gf_recorded *rec, const char *text, size_t len,
    const char *name, struct gf_err *err);
/* Borrowed; NULL when the query was not recorded. */
const struct gf_prom_result *gf_recorded_find(const struct gf_recorded *rec,
    const char *query);
/* Deep copy of a result into out (release with gf_prom_result_release). */
void gf_prom_result_copy(struct gf_prom_result *out,
    const struct gf_prom_result *in);
/* Frees every query and result; NULL ok. */
void gf_recorded_release(struct gf_recorded *rec);

/*
 * Where series come from: a Prometheus, or recorded results (both
 * borrowed; rec wins when set). step is the range queries' step, in
 * seconds.
 */
struct gf_vsource {
	struct gf_prom *prom;
	const struct gf_recorded *rec;
	const char *rec_name;	/* the recorded file, for messages */
	double step;
};

/*
 * Range query [start, end] that must return exactly one series: no series
 * or several are 65 naming what (e.g. "check 'x', metal"), the query and
 * the label sets that came back. res is filled (release it in every
 * case); the API's warnings are left in it for the caller to show. Of
 * recorded results the samples in [start, end] are kept, as Prometheus
 * would answer.
 */
int gf_vsource_range(const struct gf_vsource *src, const char *query,
    const char *what, double start, double end, struct gf_prom_result *res,
    struct gf_err *err);

/*
 * An instant query at t (NaN = now) that must give one value: *value
 * and its time *at (of recorded results: the last sample at or before
 * t). 65 when there is no series, several, or no sample.
 */
int gf_vsource_value(const struct gf_vsource *src, const char *query,
    const char *what, double t, double *value, double *at,
    struct gf_err *err);

#endif
