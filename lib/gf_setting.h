/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Settings in the order gf(7) fixes: the command line, then the GF_*
 * environment, then the run document, then the configuration file (-c),
 * then the built-in default.
 */
#ifndef GF_SETTING_H
#define GF_SETTING_H

#include <jansson.h>

#include "gf_err.h"

/*
 * Load a tool's configuration file: a YAML mapping (65 otherwise, 66
 * when missing). Scalars at the top level that are numbers or booleans
 * are also kept as text under the same key, so gf_setting() can hand out
 * borrowed strings for them ("3", "1"/"0"). New reference.
 */
json_t *gf_config_load(const char *path, struct gf_err *err);

/*
 * The first of: cli; the environment variable env (when set and not
 * empty); doc (a value taken from the run document); the config key; def.
 * Any of cli, env, doc, cfg and key may be NULL. Borrowed.
 */
const char *gf_setting(const json_t *cfg, const char *cli, const char *env,
    const char *doc, const char *key, const char *def);

/*
 * A flag: set on the command line, else env ("0", "false", "no" and
 * empty are off), else the config key ("1"/true is on).
 */
int gf_setting_flag(const json_t *cfg, int cli, const char *env,
    const char *key);

/* The string at a dotted path ("stack.prometheus.url"), or NULL. Borrowed. */
const char *gf_json_path_string(const json_t *root, const char *dotted);

#endif
