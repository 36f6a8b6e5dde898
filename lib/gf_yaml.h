/* SPDX-License-Identifier: Apache-2.0 */
/*
 * YAML to JSON (libyaml). Mappings become objects, sequences arrays;
 * plain scalars are typed as YAML 1.1 core (null, true/false, integers,
 * floats), quoted scalars stay strings. Anchors and aliases are resolved.
 * Errors name the file, line and column (1-based): exit 65.
 */
#ifndef GF_YAML_H
#define GF_YAML_H

#include <stddef.h>

#include <jansson.h>

#include "gf_err.h"

/*
 * Parse one YAML document. name is used in messages. An empty document
 * gives JSON null. Returns a new reference.
 */
json_t *gf_yaml_parse(const char *text, size_t len, const char *name,
    struct gf_err *err);

/* Read and parse a file (66 when missing). Returns a new reference. */
json_t *gf_yaml_load(const char *path, struct gf_err *err);

/*
 * The same, also returning where every node starts: *marks (a new
 * reference, NULL on error) maps each node's path to [line, col], 1-based,
 * followed by [key_line, key_col] for the values of mapping entries.
 * Paths join mapping keys with '.' and sequence indexes as "[i]":
 * "phases[1].duration"; the root is "". So an error found after parsing
 * (a value of the wrong type) can still name file:line:col.
 */
json_t *gf_yaml_parse_marked(const char *text, size_t len, const char *name,
    json_t **marks, struct gf_err *err);
json_t *gf_yaml_load_marked(const char *path, json_t **marks,
    struct gf_err *err);

/*
 * Where the node at path starts (gf_yaml_mark) or where its key starts
 * (gf_yaml_mark_key; the node itself when it has no key). Returns 0, or
 * -1 when the path is not there.
 */
int gf_yaml_mark(const json_t *marks, const char *path, size_t *line,
    size_t *col);
int gf_yaml_mark_key(const json_t *marks, const char *path, size_t *line,
    size_t *col);

#endif
