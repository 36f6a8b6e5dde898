/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Check sets: what gf-validate compares. A check names two PromQL
 * queries (the measured "actual" and the "predicted" series) and the
 * thresholds its metrics must stay under. Check sets are read from the
 * Kepler validator's validations.yaml, whose queries are templates filled
 * the way Python's str.format fills them.
 *
 *	struct gf_vars vars = GF_VARS_INIT;
 *	struct gf_checkset cs = GF_CHECKSET_INIT;
 *	char *path = gf_checkset_find("rapl-kepler-0.7");
 *
 *	gf_vars_set(&vars, "rate_interval", "20s");
 *	if (gf_checkset_load(&cs, path, &vars, &err) == -1) ...
 *	... cs.checks[i].actual, cs.checks[i].predicted, cs.checks[i].th ...
 *	gf_checkset_release(&cs);
 *	gf_vars_release(&vars);
 *	free(path);
 *
 * No network and no output; errors are 65 (bad data) or 66 (missing file)
 * and name the file and the field.
 */
#ifndef GF_CHECKS_H
#define GF_CHECKS_H

#include <stddef.h>

#include <jansson.h>

#include "gf_err.h"
#include "gf_metrics.h"

/* Template variables: name -> value, both owned. */
struct gf_vars {
	char **name;
	char **value;
	size_t n;
};

#define GF_VARS_INIT { NULL, NULL, 0 }

/* Set (or replace) a variable; copies both strings. */
void gf_vars_set(struct gf_vars *v, const char *name, const char *value);
/* Borrowed; NULL when unset. */
const char *gf_vars_get(const struct gf_vars *v, const char *name);
/* Frees every name and value; NULL ok. */
void gf_vars_release(struct gf_vars *v);

/*
 * Expand a template the way Python's str.format does for the validator's
 * files: "{name}" is replaced by the variable, "{{" and "}}" are literal
 * braces. An unknown variable, an unmatched brace or a format spec
 * ("{x:>3}") is an error (65) naming it; what names the template in the
 * message ("check 'x', query 'metal'"). Returns a new string or NULL.
 */
char *gf_template_expand(const char *tmpl, const struct gf_vars *vars,
    const char *what, struct gf_err *err);

/* One check; every string owned by the set. */
struct gf_check {
	char *name;
	char *units;		/* NULL when not given */
	char *actual_label;	/* key of the actual query ("metal") */
	char *predicted_label;
	char *actual;		/* expanded PromQL */
	char *predicted;
	struct gf_thresholds th;
};

struct gf_checkset {
	struct gf_check *checks;
	size_t n;
};

#define GF_CHECKSET_INIT { NULL, 0 }

/*
 * Load a check set from parsed YAML/JSON. The shape is the validator's:
 *
 *	config: {mapping: {actual: metal, predicted: vm}}   # optional
 *	validations:
 *	  - name: package
 *	    units: Watts                                    # optional
 *	    mapping: {actual: a, predicted: b}               # optional
 *	    metal: <PromQL template>
 *	    vm: <PromQL template>
 *	    max_mape: 20.0                                   # all optional
 *	    max_mae: 2.01
 *	    max_mse: 4
 *
 * Query keys default to "actual"/"predicted"; the older "expected"
 * (ground truth) / "actual" pair is accepted too. Templates are expanded
 * with vars. name names the file in messages. Errors are 65 naming the
 * field ("validations.yaml: validations[2].max_mape: expected a number").
 * Appends to cs (so several files can be merged).
 */
int gf_checkset_from_json(struct gf_checkset *cs, const json_t *root,
    const char *name, const struct gf_vars *vars, struct gf_err *err);
/* gf_yaml_load() then gf_checkset_from_json(). 66 when missing. */
int gf_checkset_load(struct gf_checkset *cs, const char *path,
    const struct gf_vars *vars, struct gf_err *err);
/* Append one check; copies the strings (units may be NULL). */
void gf_checkset_add(struct gf_checkset *cs, const char *name,
    const char *units, const char *actual_label, const char *actual,
    const char *predicted_label, const char *predicted,
    const struct gf_thresholds *th);
/* Frees every check; NULL ok. */
void gf_checkset_release(struct gf_checkset *cs);

/*
 * The file a --checks argument names: name itself when it is a path (has
 * a '/' or exists), else the built-in set "<name>.yaml" that
 * gf_fs_find_shared("checks", ...) finds, else name unchanged (so that
 * loading it reports it missing). Returns a new string.
 */
char *gf_checkset_find(const char *name);

/*
 * A file-name-safe slug of name: letters, digits, '_', and '.' (never
 * first, never two in a row); runs of anything else become one '-'
 * between kept characters; "check" when nothing is left. Returns a new
 * string.
 */
char *gf_slug(const char *name);

#endif
