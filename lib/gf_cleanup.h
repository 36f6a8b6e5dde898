/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Giving back what a run holds: the document's "cleanup" entries, each
 * an object with at least "kind". How each kind is given back is
 * registered in one table (gf_cleanup.c):
 *
 *	"stack"		the measurement stack: gf_stack_release()
 *			{ "kind": "stack", "state_dir", "tool" }
 *	anything else	a provider's resource: the entry names its
 *			"provider", whose down() gives it back
 *
 * A module that acquires a new kind of resource adds one row to that
 * table with its release function; gf-provision down and the providers
 * do not change.
 */
#ifndef GF_CLEANUP_H
#define GF_CLEANUP_H

#include <jansson.h>

#include "gf_err.h"

/*
 * Give back one entry. *result (set to NULL first) may get a new
 * reference to what was done (for a stack: what happened to each
 * process). Must be idempotent: giving back something already gone is
 * success. 0 or -1 with err.
 */
typedef int (*gf_cleanup_release_fn)(json_t *doc, json_t *entry,
    json_t **result, struct gf_err *err);

/*
 * The release function registered for kind, or NULL when the kind is
 * given back by the entry's provider.
 */
gf_cleanup_release_fn gf_cleanup_find(const char *kind);

/*
 * Give back one entry through its kind's function or its provider:
 * 65 when it is neither a registered kind nor names a provider.
 */
int gf_cleanup_release(json_t *doc, json_t *entry, json_t **result,
    struct gf_err *err);

/*
 * Give back every entry of the document's "cleanup" in reverse order
 * (last acquired, first released). Continues past a failing entry and
 * returns the first error. Entries given back are marked with
 * "released" (RFC 3339). *report (may be NULL) gets a new array of
 * { "kind", "result" | "error" } per entry.
 */
int gf_cleanup_release_all(json_t *doc, json_t **report, struct gf_err *err);

#endif
