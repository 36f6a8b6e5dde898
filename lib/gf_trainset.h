/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The training sets of one run, from its input: a preprocessed CSV table
 * (kepler-model-db's layout), kepler-model-server's query output, or
 * Prometheus range queries over time windows. One gf_dataset per (energy
 * source, output type, feature group) asked for; one whose data is
 * missing or too short is skipped with the reason, unless the request
 * names exactly one (then it is the run's error).
 *
 *	struct gf_trainset_req q = { .csv = path, .prof = &prof, ... };
 *	struct gf_trainset s = GF_TRAINSET_INIT;
 *	if (gf_trainset_load(&q, &s, &err) < 0) ...
 *	... s.ds[0 .. s.nds), s.skipped ...
 *	gf_trainset_release(&s);
 */
#ifndef GF_TRAINSET_H
#define GF_TRAINSET_H

#include <sys/stat.h>

#include <stddef.h>

#include <jansson.h>

#include "gf_err.h"
#include "gf_profile.h"
#include "gf_train.h"

/* What to load; everything borrowed. Lists end with NULL. */
struct gf_trainset_req {
	/* The input: csv, or query, or prom (one of them). */
	const char *csv;	/* a path, or "-" for stdin */
	const char *query;	/* a query-output file */
	const char *prom;	/* Prometheus base URL, credentials and all */
	const char *prom_shown;	/* prom without credentials, for messages */

	/* Prometheus: --start (and --end), else doc's windows (gf_window). */
	const char *start, *end;
	const json_t *doc;	/* the run document */
	const char *const *windows;	/* window names to query, NULL: all */
	double step;		/* seconds between samples; 0: the profile's */
	double timeout;		/* per request, seconds; 0: gf_http's */

	/* Extraction (query and Prometheus input) and isolation. */
	const char *extractor;	/* "default" (NULL) or "smooth" */
	const char *isolator;	/* none, min, profile or trainer */
	const char *idle;	/* query file of an idle window (profile) */
	const char *abs_models;	/* AbsPower model tree (trainer) */
	const char *const *hints;	/* gf_extract_opts.hints */
	int node_type;		/* >= 0: every dataset's; < 0: the data's */

	const struct gf_profile *prof;	/* metric names ("csv": columns) */
	const char *const *sources, *const *otypes, *const *groups;
	const char *const *thirdparty;	/* ThirdParty group features */
	size_t nthird;
	int explicit_one;	/* one set asked for: no skipping */

	/*
	 * Notes on the way (a skipped set, a window left out, a constant
	 * feature: warn = 1; progress: warn = 0). NULL: none.
	 */
	void (*say)(int warn, const char *msg, void *arg);
	void *arg;
};

struct gf_trainset {
	struct gf_dataset *ds;	/* nds datasets, owned */
	size_t nds;
	/* The sets skipped: [{source, output_type, feature_group, reason}]. */
	json_t *skipped;
	/* The CSV as it was read; ds[].same_st points here: do not copy s. */
	struct stat csv_st;
};

#define GF_TRAINSET_INIT { NULL, 0, NULL, { 0 } }

/*
 * Load the training sets q asks for into s (GF_TRAINSET_INIT). 65 for
 * data that cannot be used (naming the file, window, column or metric),
 * 66 for a file that cannot be read, gf_prom's codes for Prometheus
 * (69, 75), 64 for start and end that do not make a range. s holds what
 * was loaded either way: release it.
 */
int gf_trainset_load(const struct gf_trainset_req *q, struct gf_trainset *s,
    struct gf_err *err);
void gf_trainset_release(struct gf_trainset *s);

#endif
