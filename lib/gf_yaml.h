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

#endif
