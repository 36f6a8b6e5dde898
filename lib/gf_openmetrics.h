/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OpenMetrics text of query results, in the shape that
 * "promtool tsdb create-blocks-from openmetrics" backfills: one family
 * per metric name ("# TYPE <name> unknown", since query results carry no
 * type), its series together, each series' samples in time order with
 * millisecond timestamps, and a final "# EOF".
 */
#ifndef GF_OPENMETRICS_H
#define GF_OPENMETRICS_H

#include <stddef.h>

#include "gf_buf.h"
#include "gf_prom.h"

struct gf_openmetrics_stats {
	size_t families;
	size_t series;
	size_t samples;
	size_t skipped;	/* series without a __name__ label */
};

/*
 * Sort res->series by metric name and labels (in place) and append the
 * text to out. stats (may be NULL) gets the counts.
 */
void gf_openmetrics_format(struct gf_prom_result *res, struct gf_buf *out,
    struct gf_openmetrics_stats *stats);

/*
 * Append the samples of src to dst, matching series by label set and
 * keeping only samples later than the series' last one (so overlapping
 * pieces of a window do not repeat samples). index is a JSON object the
 * caller creates empty and keeps for the life of dst. src is emptied.
 */
void gf_openmetrics_merge(struct gf_prom_result *dst, json_t *index,
    struct gf_prom_result *src);

#endif
