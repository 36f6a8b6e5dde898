/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Prometheus HTTP API client (over gf_http). Queries are sent by POST
 * (form body), so long PromQL does not hit URL limits. Range queries are
 * split into pieces of at most 11,000 points per series (Prometheus
 * refuses more) and the pieces are stitched together. Prometheus error
 * envelopes ({"status":"error","errorType":..,"error":..}) become clear
 * messages: bad_data -> 65, unavailable/timeout -> 69/75. Results are
 * read by gf_matrix's rules (gf_matrix.h); a reply that breaks them is 69.
 * Works against any Prometheus-compatible API (VictoriaMetrics too).
 */
#ifndef GF_PROM_H
#define GF_PROM_H

#include <stddef.h>

#include <jansson.h>

#include "gf_err.h"
#include "gf_http.h"

struct gf_prom {
	char *url;		/* base URL, no trailing slash; owned */
	struct gf_http_opts http;
};

/* A series: labels and samples, timestamps in unix seconds. */
struct gf_prom_series {
	json_t *labels;		/* object of label -> string; owned */
	double *t;
	double *v;		/* NaN for "NaN"; +/-Inf kept */
	size_t n;
};

struct gf_prom_result {
	struct gf_prom_series *series;
	size_t nseries;
	char **warnings;	/* from the API's "warnings" */
	size_t nwarnings;
};

/* base_url like "http://127.0.0.1:9090". Copies it. */
void gf_prom_init(struct gf_prom *p, const char *base_url);
void gf_prom_release(struct gf_prom *p);

/*
 * Instant query at time t (unix seconds; NaN = server's now). Vector
 * results give one series with one sample each; a scalar gives one series
 * with no labels.
 */
int gf_prom_query(struct gf_prom *p, const char *promql, double t,
    struct gf_prom_result *res, struct gf_err *err);

/*
 * Range query [start, end] at step seconds, split under the point limit.
 * Series are matched across pieces by their label set.
 */
int gf_prom_query_range(struct gf_prom *p, const char *promql, double start,
    double end, double step, struct gf_prom_result *res, struct gf_err *err);

/*
 * POST /api/v1/admin/tsdb/snapshot. Returns the snapshot name (new
 * string). "admin APIs disabled" gives 78 with a hint to start Prometheus
 * with --web.enable-admin-api.
 */
char *gf_prom_snapshot(struct gf_prom *p, int skip_head, struct gf_err *err);

/*
 * GET /api/v1/status/buildinfo ("version" etc.) or .../flags. Returns a
 * new reference to the "data" object.
 */
json_t *gf_prom_get_data(struct gf_prom *p, const char *path,
    struct gf_err *err);

/* Wait until /-/ready answers 200, up to timeout seconds (69 after). */
int gf_prom_wait_ready(struct gf_prom *p, double timeout, struct gf_err *err);

void gf_prom_result_release(struct gf_prom_result *res);

#endif
