/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Training sets from raw counters, as kepler-model-server's extractors
 * build them.
 *
 * Input is a query set (gf_qset.h): metric name -> range-query series,
 * read from kepler-model-server's query output file or fetched from a
 * Prometheus API for a time window. A metric profile (gf_profile.h) says
 * which counters give each feature and each power component.
 *
 * Extraction (extractor "default", upstream's DefaultExtractor):
 * - power, per component: the matching series (every mode, every
 *   package) are summed per timestamp; the rate is the difference of
 *   consecutive sums divided by the MEAN interval of that series (a
 *   scalar, as upstream); a negative rate (counter reset) repeats the
 *   previous rate (0 when there is none);
 * - features, per workload series (id_labels joined by '/', upstream's
 *   "container_id/pod_name/container_name/container_namespace"): series
 *   with the same id are summed per timestamp; the rate uses each row's
 *   own interval; a series' first sample has rate 0, a negative rate
 *   repeats the previous one; then the rates of all series are summed
 *   per timestamp (AbsPower: one row per timestamp, features summed over
 *   containers); a feature the profile marks as a gauge is summed as it
 *   is, without a rate;
 * - rows are the timestamps present in every power and feature column,
 *   minus the first power sample (which has no rate); rows whose power
 *   columns sum to 0 are dropped.
 * Extractor "smooth" then replaces features and power by their rolling
 * mean over `window` rows (30 as upstream) and drops the first window-1.
 *
 * Isolators (DynPower, see gf_isolate.h) applied by gf_extract:
 * - "none": the table as extracted;
 * - "min": each power column minus its minimum over the table;
 * - "profile": series whose container_name label appears in the idle
 *   query set are left out of the feature sums, and each power column is
 *   reduced by (min + max) / 2 of the idle power of that component
 *   (upstream divides the idle power by the interval a second time, a
 *   bug gf does not reproduce); power below 0 becomes 0.
 * ("trainer", which needs existing AbsPower models, is gf_isolate_trainer
 * on tables extracted with isolator "none".)
 *
 * The output table is a struct gf_csv (gf_csv.h) with columns
 * timestamp, <features...>, <component>_power..., node_type.
 */
#ifndef GF_EXTRACT_H
#define GF_EXTRACT_H

#include <stddef.h>

#include "gf_csv.h"
#include "gf_err.h"
#include "gf_profile.h"
#include "gf_qset.h"

struct gf_extract_opts {
	const char *extractor;		/* "default" (NULL) or "smooth" */
	int window;			/* smooth window; 0 = 30 */
	const char *isolator;		/* NULL = none (AbsPower) */
	const struct gf_qset *idle;	/* for isolator "profile" */
	int node_type;
	const char *name;		/* of the query set, for messages */
	/*
	 * Only some workload series, as upstream's TrainIsolator chooses
	 * them: select 1 keeps the series whose container_name contains
	 * none of hints[0..nhints) (background), select 2 those that
	 * contain one (target); 0 keeps all. With a selection a feature
	 * may have no series at some or all timestamps: it counts 0 there.
	 */
	const char *const *hints;
	size_t nhints;
	int select;
};

/*
 * Build the table for features[0..nfeatures) and the components of
 * source. Errors (65) name the feature or component and the metric that
 * is missing or has no usable samples, and say so when fewer than 2 rows
 * remain.
 */
int gf_extract(const struct gf_qset *q, const struct gf_profile *p,
    const char *const *features, size_t nfeatures, const char *source,
    const struct gf_extract_opts *opts, struct gf_csv *out,
    struct gf_err *err);

/* Append the rows of b to a (same columns, checked: 70 otherwise). */
int gf_table_append(struct gf_csv *a, const struct gf_csv *b,
    struct gf_err *err);

#endif
