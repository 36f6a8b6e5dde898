/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf_snapshot: what gf-snapshot does besides taking and archiving the
 * snapshot (gf_prom, gf_archive): the time ranges of a run, the export
 * of its raw samples as OpenMetrics for promtool backfill, and where a
 * Prometheus keeps its TSDB.
 *
 *	gf_snapshot_windows(doc, NAN, NAN, &spans, &n, &err);
 *	x.spans = spans; x.nspans = n;
 *	gf_snapshot_export(&prom, &x, "run.om", &om, &err);
 */
#ifndef GF_SNAPSHOT_H
#define GF_SNAPSHOT_H

#include <stddef.h>

#include <jansson.h>

#include "gf_err.h"
#include "gf_openmetrics.h"
#include "gf_prom.h"

struct gf_snapshot_span {
	double start, end;	/* unix seconds */
};

/*
 * The time ranges to export: [start, end) when start is not NaN (end
 * NaN: now), else the document's windows, sorted, those that overlap or
 * touch merged (gf_windows_select's rules and errors: 64 when there is
 * no range, 65 for a malformed window). *out is new, caller frees.
 */
int gf_snapshot_windows(const json_t *doc, double start, double end,
    struct gf_snapshot_span **out, size_t *n, struct gf_err *err);

/* What to export (all borrowed). */
struct gf_snapshot_export {
	const char *const *match;	/* series selectors; */
	size_t nmatch;			/* 0: every series */
	const struct gf_snapshot_span *spans;
	size_t nspans;
	double piece;			/* seconds per query; 0: 1800 */
};

/*
 * The raw samples of every selector over every span, asked in pieces of
 * x->piece seconds and merged without repeats, written as OpenMetrics
 * to path (atomically). *om gets a new object for the snapshot section:
 * path, sha256, size, families, series, samples, ranges and match.
 * stats (may be NULL) gets the counts. A failed query's error is
 * prefixed with "--export-openmetrics".
 */
int gf_snapshot_export(struct gf_prom *p, const struct gf_snapshot_export *x,
    const char *path, json_t **om, struct gf_openmetrics_stats *stats,
    struct gf_err *err);

/*
 * Ask Prometheus where its TSDB is (/api/v1/status/flags): only an
 * absolute path means the same thing here as there, so anything else is
 * 78 asking for --data-dir. Returns a new string or NULL.
 */
char *gf_snapshot_data_dir(struct gf_prom *p, struct gf_err *err);

/*
 * Bring directory dir of host h (a snapshot of a Prometheus that runs
 * there) to dest on the runner: tar on the host, streamed to dest.tar
 * here, then extracted (gf_archive_extract) and removed. Nothing needs
 * to be installed but tar on the host. 66 when dir is not there, 74 when
 * tar fails, the host's errors (69, 78).
 */
struct gf_host;
int gf_snapshot_fetch(struct gf_host *h, const char *dir, const char *dest,
    struct gf_err *err);

#endif
