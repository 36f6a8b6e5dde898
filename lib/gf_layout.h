/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Results-repository layouts and index tables (gf-commit(1)).
 *
 * A layout names the directory a run's files go to:
 *
 *	validation           docs/validation/{date}/
 *	                     validator-{tag}-{time}[-{suffix}]
 *	train-validate-e2e   docs/train-validate-e2e/{date}_{time}/{model}
 *	model-db             the repository root (the gf-train tree as is)
 *	anything else        a template: {date} {time} {run} {tag} {model}
 *	                     {suffix}, e.g. "results/{date}/{run}"
 *
 * The built-in layouts come with an index: a Markdown table that gets one
 * row per run, created with its title and header when missing.
 */
#ifndef GF_LAYOUT_H
#define GF_LAYOUT_H

#include "gf_err.h"

struct gf_layout_vars {
	const char *date;	/* "2026-11-23" */
	const char *time;	/* "18-00-00" */
	const char *run;	/* run id */
	const char *tag;	/* e.g. the Kepler version */
	const char *model;	/* e.g. "AbsPower/BPFOnly/XgboostFitTrainer" */
	const char *suffix;	/* NULL or "": none */
};

struct gf_layout_index {
	const char *path;	/* "docs/kepler-model-validation.md" */
	const char *title;	/* first line of a new file */
	const char *header;	/* the table's two header lines */
};

#define GF_LAYOUT_WHEN_LEN 16

/*
 * Set v's date ("2026-11-23") and time ("18-00-00"), in UTC, from unix
 * time t, written into the caller's date and hms, which v borrows.
 */
void gf_layout_set_time(struct gf_layout_vars *v, double t,
    char date[GF_LAYOUT_WHEN_LEN], char hms[GF_LAYOUT_WHEN_LEN]);

/*
 * The directory of a layout with vars filled in: relative, no trailing
 * slash, "" for the repository root. 64 for an unknown {variable} or a
 * path that leaves the repository. Returns a new string or NULL.
 */
char *gf_layout_dir(const char *layout, const struct gf_layout_vars *v,
    struct gf_err *err);

/* The index of a built-in layout: 1 with *out filled, 0 when none. */
int gf_layout_index_of(const char *layout, struct gf_layout_index *out);

/*
 * The index row of one run: dir is the run's directory, report the path
 * of its main file (may be NULL), both from the repository root; links
 * are made relative to the index file. Returns a new string (no newline).
 */
char *gf_layout_row(const char *layout, const struct gf_layout_vars *v,
    const char *index_path, const char *dir, const char *report);

/*
 * text (may be NULL: a missing file) with row appended to its table; a new
 * file starts with the index title and header. *added is 0, and the text
 * is returned unchanged, when the exact row is already there. Returns a
 * new string.
 */
char *gf_layout_append_row(const char *text, const struct gf_layout_index *ix,
    const char *row, int *added);

/*
 * Check a path inside the repository: relative, '/'-separated, no empty,
 * "." or ".." component, nothing under ".git". 65 naming what otherwise.
 */
int gf_layout_check_path(const char *path, const char *what,
    struct gf_err *err);

/*
 * Join dir and a relative path and normalise "./" parts away; a path
 * starting with "/" is taken from the repository root. New string.
 */
char *gf_layout_join(const char *dir, const char *path);

/* "a/b.json" with n = 2 -> "a/b-2.json"; "a/b.tar.gz" -> "a/b-2.tar.gz". */
char *gf_layout_numbered(const char *path, unsigned n);

#endif
