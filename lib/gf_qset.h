/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Query sets: metric name -> range-query series, the raw input of an
 * extraction (gf_extract.h). A set is read from kepler-model-server's
 * query output file ({"<metric>": [{"metric": {labels}, "values":
 * [[ts, "v"], ...]}], ...}) or built from Prometheus range queries
 * (gf_qset_add).
 *
 *	struct gf_qset q = GF_QSET_INIT;
 *	if (gf_qset_load(path, &q, &err) < 0) ...
 *	r = gf_qset_get(&q, "kepler_node_platform_joules_total");
 *	gf_qset_release(&q);
 *
 * Series and samples follow gf_matrix's rules (gf_matrix.h: values as
 * Prometheus writes them, "NaN" and "+Inf" kept, times that increase).
 * Files of megabytes are read by a scanner of the documented shape alone
 * (no node per number); anything else, errors included, goes through
 * jansson, whose messages say where.
 */
#ifndef GF_QSET_H
#define GF_QSET_H

#include <stddef.h>

#include <jansson.h>

#include "gf_err.h"
#include "gf_prom.h"

struct gf_qset {
	char **names;			/* metric names, owned */
	struct gf_prom_result *res;	/* one per name, owned */
	size_t n;
};

#define GF_QSET_INIT { NULL, NULL, 0 }

/*
 * Read a query output file into q (its old contents are not freed). Bad
 * JSON is 65 with path:line:col, a wrong shape or sample 65 naming the
 * metric, the series and the sample; 66 for a missing file. q is empty
 * after an error.
 */
int gf_qset_load(const char *path, struct gf_qset *q, struct gf_err *err);
/*
 * The same, keeping only the metrics named in only[0..nonly) (the others
 * are skipped unparsed when the file has the documented shape).
 */
int gf_qset_load_only(const char *path, const char *const *only,
    size_t nonly, struct gf_qset *q, struct gf_err *err);
/*
 * The same from text[0..len); name is the file's, for messages.
 * text[len] must be readable and NUL (gf_fs_read's buffers are).
 */
int gf_qset_parse(const char *text, size_t len, const char *name,
    struct gf_qset *q, struct gf_err *err);
/* Add (or replace) a metric's series; steals res's contents. */
void gf_qset_add(struct gf_qset *q, const char *metric,
    struct gf_prom_result *res);
/* Borrowed, NULL when the metric is absent. */
const struct gf_prom_result *gf_qset_get(const struct gf_qset *q,
    const char *metric);
/* Write in the query output format (new reference). */
json_t *gf_qset_to_json(const struct gf_qset *q);
/* Frees the contents; q is GF_QSET_INIT after. Accepts NULL. */
void gf_qset_release(struct gf_qset *q);

#endif
