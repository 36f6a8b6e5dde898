/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Idle-power isolation: from a table of absolute power (AbsPower, as
 * gf_extract builds it) to one of the power the workload adds (DynPower),
 * as kepler-model-server's isolators do.
 *
 * - "none": the table as extracted;
 * - "min": each power column minus its minimum over the table
 *   (gf_isolate_min);
 * - "profile": done during the extraction itself, which needs the idle
 *   query set (gf_extract_opts.isolator and .idle, gf_extract.h);
 * - "trainer": the background containers' power predicted by the
 *   AbsPower models of an earlier run and taken from the node's
 *   (gf_isolate_trainer).
 *
 * Tables are struct gf_csv (gf_csv.h) whose power columns are named
 * <component>_power.
 */
#ifndef GF_ISOLATE_H
#define GF_ISOLATE_H

#include <jansson.h>

#include "gf_csv.h"
#include "gf_err.h"

/* Isolator "min" in place; always 0. */
int gf_isolate_min(struct gf_csv *t, struct gf_err *err);

/*
 * Upstream's TrainIsolator. all holds every container's features and the
 * node's power, bg the background containers' features, tg the target
 * containers' (all three from gf_extract, by timestamp). For each
 * component of source with a <component>_power column in all and tg, the
 * AbsPower model of an earlier run under
 * <abs_dir>/<source>/AbsPower/<group>/<Trainer>_<n>/<component>.gf.json
 * that best predicts all's power from all's features (lowest MAE; of
 * equals, the first by folder name) predicts bg's power; out (empty on
 * entry, the caller's) gets tg's columns on all's rows, with the power
 * max(0, node - background). chosen (borrowed, may be NULL) gets
 * {"<component>": {"trainer", "node_mae"}} for each component.
 * 66 when the folder or a usable model for a component is missing; 70
 * when tg lacks a timestamp of all.
 */
int gf_isolate_trainer(const char *abs_dir, const char *source,
    const char *group, const struct gf_csv *all, const struct gf_csv *bg,
    const struct gf_csv *tg, struct gf_csv *out, json_t *chosen,
    struct gf_err *err);

#endif
