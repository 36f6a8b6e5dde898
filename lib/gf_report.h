/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Validation reports: the Markdown report and the JSON file in the Kepler
 * validator's layout, the job summary for GitHub Actions, and a staging
 * area so that a report directory is either complete or untouched.
 *
 * Every renderer works from one JSON object, the "validate" section of
 * the run document (gf-validate(1) documents its fields), plus three
 * optional lists describing the measured system:
 *
 *	{"tag":..., "start":t0, "end":t1, "results":[...], "summaries":[...],
 *	 "gate":{...}, "build_info":[{labels}], "node_info":[{labels}],
 *	 "machine_specs":[{type, model, sockets, cores, threads, flags, dram}]}
 */
#ifndef GF_REPORT_H
#define GF_REPORT_H

#include <stddef.h>

#include <jansson.h>

#include "gf_err.h"
#include "gf_prom.h"
#include "gf_svg.h"
#include "gf_validate.h"

/*
 * A staging area for the files of one report directory. Files are
 * written under a temporary directory; gf_report_stage_commit() moves
 * them into place: a directory that did not exist appears with one
 * rename; into an existing one, files are renamed one by one in the
 * order they were put (put the Markdown report last). Abort (or a failed
 * commit) removes the temporary directory and leaves dir as it was.
 */
struct gf_report_stage {
	char *dir;		/* the final directory; owned */
	char *tmp;		/* the staging directory; owned */
	char **files;		/* relative paths, in put order; owned */
	size_t nfiles;
	int fresh;		/* dir did not exist: one rename at commit */
};

/* 73 when the staging directory cannot be made. */
int gf_report_stage_open(struct gf_report_stage *st, const char *dir,
    struct gf_err *err);
/* Write relpath ("images/a.svg"; no ".." parts) in the stage. */
int gf_report_stage_put(struct gf_report_stage *st, const char *relpath,
    const void *data, size_t len, struct gf_err *err);
int gf_report_stage_commit(struct gf_report_stage *st, struct gf_err *err);
/* Remove the staging directory (after commit: only frees). NULL ok. */
void gf_report_stage_release(struct gf_report_stage *st);

/*
 * The Markdown report: "# <tag>", "## Build Info", "## Node Info",
 * "## Machine Specs", "## Validation Results" (started, ended, duration),
 * "### Summary" (Name | MSE | MAPE | MAE | RMSE | Samples | Dropped |
 * Pass / Fail), "### Windows" when there are per-window results,
 * "### Details" (queries, dropped samples, results, charts), then
 * "### Summaries" and "### Gate" when present. Returns a new string.
 */
char *gf_report_markdown(const json_t *rep);

/*
 * The validator-compatible <tag>.json: {"build_info", "node_info",
 * "machine_specs", "results":[{"metric-name", "value":{"mse", "mape",
 * "mae", "status"} (strings, as the validator wrote them), "gf":{the
 * result with numbers}}]}. New reference.
 */
json_t *gf_report_json(const json_t *rep);

/*
 * The short summary for $GITHUB_STEP_SUMMARY: heading, verdict counts and
 * the summary table. At most max bytes (cut at a row, with a note).
 * Returns a new string.
 */
char *gf_report_step_summary(const json_t *rep, size_t max);

/*
 * Append text to the file named by $GITHUB_STEP_SUMMARY. Returns 1 when
 * appended, 0 when the variable is unset or empty, -1 with err (74/73).
 */
int gf_report_append_step_summary(const char *text, struct gf_err *err);

/*
 * The measured machines, as the run document's "hosts" describe them
 * (gf-provision gathers the facts on each host): one object
 * {type:"host", name, model, cores, arch, os, kernel, memory_bytes} per
 * host, fields missing where the document has none; never the facts of
 * the machine the report is written on. An empty array for a document
 * without hosts. New reference.
 */
json_t *gf_report_machine_specs(const json_t *doc);

/* A number for a report cell: "%.4f", or "-" for null/NaN. buf[32]. */
const char *gf_report_num(const json_t *v, char buf[32]);

/*
 * The files of one scored check, put in st: images/<slug>.svg (actual
 * and predicted over time, bands shaded), images/<slug>-error.svg (the
 * distribution of predicted - actual over the pairs) and
 * artifacts/<slug>.json ({name, actual:{query, metric, timestamps,
 * values}, predicted:{...}}, NaN as null). Sets "charts" and "artifact"
 * (relative paths) in result.
 */
int gf_report_check_files(struct gf_report_stage *st, json_t *result,
    const struct gf_check *c, const struct gf_prom_series *actual,
    const struct gf_prom_series *predicted, const struct gf_aligned *pairs,
    const struct gf_svg_band *bands, size_t nbands, struct gf_err *err);

#endif
