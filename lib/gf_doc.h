/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The run document: one JSON object that flows through a pipeline of gf
 * tools (gf(7) documents every field).
 *
 *	{ "gf": {"version": 1}, "run": {...}, "hosts": [...],
 *	  "cleanup": [...], "windows": [...], "steps": [...], <sections> }
 *
 * Each tool adds or replaces its own section, appends one entry to
 * "steps" and passes every other key through untouched.
 *
 * Ownership follows jansson: "new reference" means the caller decrefs,
 * "borrowed" means valid while the document lives, "steals" means the
 * function takes the caller's reference even on failure.
 */
#ifndef GF_DOC_H
#define GF_DOC_H

#include <stdio.h>

#include <jansson.h>

#include "gf_err.h"

#define GF_DOC_VERSION 1

/* A new empty document with "gf" and "run" filled. New reference. */
json_t *gf_doc_new(void);

/*
 * Parse a document from text. name is used in messages ("<stdin>", a
 * path). Empty or all-white-space text gives a new document; a given
 * document is returned as it is (gf_doc_ensure_run() fills "gf" and
 * "run" where a tool needs them). Errors are
 * exit 65 with "name:line:col: reason", or "name: field 'x': reason" for
 * a document of the wrong shape. New reference.
 */
json_t *gf_doc_parse(const char *text, size_t len, const char *name,
    struct gf_err *err);

/*
 * Read a document from path ("-" or NULL = stdin). A terminal on stdin
 * means a new document. 66 when the file is missing. New reference.
 */
json_t *gf_doc_read(const char *path, struct gf_err *err);

/* Check the document's shape (types of known sections, version). */
int gf_doc_validate(const json_t *doc, const char *name, struct gf_err *err);

/* Fill "gf" and "run" (id, start) where missing. */
void gf_doc_ensure_run(json_t *doc);

/*
 * Serialise: sorted keys, indented with 2 spaces, one trailing newline.
 * Returns a new string; caller frees.
 */
char *gf_doc_dump(const json_t *doc);

/* Write to fp and flush; 74 on error (e.g. ENOSPC, EPIPE). */
int gf_doc_write(FILE *fp, const json_t *doc, struct gf_err *err);

/*
 * The state file: GF_STATE when set ("none" disables it), else
 * $RUNNER_TEMP/gf-state.json, else ./gf-state.json. Returns a new
 * string, or NULL when disabled.
 */
char *gf_doc_state_path(void);

/*
 * Save atomically to path (mode 0600). Cleanup entries the file already
 * holds that are still pending (not "released") and that doc does not
 * hold are kept: a new run never drops an older run's pending cleanup,
 * they accumulate until 'gf-provision down' has released them.
 */
int gf_doc_save(json_t *doc, const char *path, struct gf_err *err);

/*
 * doc with the pending cleanup entries of the state file at path that it
 * does not hold appended to its "cleanup" (what gf_doc_save writes).
 * New reference (doc itself, incref'd, when there are none).
 */
json_t *gf_doc_state_merge(json_t *doc, const char *path);

/*
 * Exit status of the first failed step, else 0. A document with a failed
 * step is passed on unchanged by most tools, and the tools that run
 * anyway (clean-up, reports) still exit with that status (gf(7)).
 */
int gf_doc_failed_exit(const json_t *doc);

/* Borrowed; NULL when absent. */
json_t *gf_doc_get(const json_t *doc, const char *section);

/*
 * The section as an object, created when missing (a non-object is
 * replaced). Borrowed.
 */
json_t *gf_doc_object(json_t *doc, const char *section);

/* The section as an array, created when missing. Borrowed. */
json_t *gf_doc_array(json_t *doc, const char *section);

/*
 * A number for the document: a JSON real, or null where v is not finite
 * (JSON has no NaN or infinity). New reference.
 */
json_t *gf_doc_number(double v);

/* Replace a section. Steals value. */
int gf_doc_set(json_t *doc, const char *section, json_t *value);

/*
 * Append a step: tool name, start time (unix seconds), and the outcome
 * (err NULL or err->exit 0 = ok). extra (may be NULL) is merged into the
 * step; steals it.
 */
void gf_doc_add_step(json_t *doc, const char *tool, double started,
    const struct gf_err *err, json_t *extra);

/*
 * The value at a dotted path of nested objects ("stack.prometheus.url")
 * of root (a document, a configuration), or NULL. Borrowed.
 */
json_t *gf_doc_path(const json_t *root, const char *dotted);
/* The same when it is a string, else NULL. Borrowed. */
const char *gf_doc_path_string(const json_t *doc, const char *dotted);

/* Record a resource to give back ("cleanup"); steals entry. */
void gf_doc_add_cleanup(json_t *doc, json_t *entry);

/*
 * Field access with messages that name the field: each returns -1 with
 * exit 65 and "field 'path': expected a string" etc. when the key is
 * present with a wrong type, and def/NULL when absent.
 */
int gf_json_string(const json_t *obj, const char *key, const char *path,
    const char **out, struct gf_err *err);
int gf_json_number(const json_t *obj, const char *key, const char *path,
    double *out, struct gf_err *err);

#endif
