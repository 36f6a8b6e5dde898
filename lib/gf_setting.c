/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_setting.h"
#include "gf_yaml.h"
#include "gf_banned.h"

json_t *
gf_config_load(const char *path, struct gf_err *err)
{
	json_t *cfg = gf_yaml_load(path, err), *v;
	const char *key;
	void *tmp;

	if (cfg == NULL)
		return NULL;
	if (!json_is_object(cfg)) {
		json_decref(cfg);
		gf_err_set(err, GF_EXIT_DATAERR, "config",
		    "%s: expected a mapping of settings", path);
		return NULL;
	}
	json_object_foreach_safe(cfg, tmp, key, v) {
		char num[64];

		if (json_is_integer(v))
			snprintf(num, sizeof(num), "%lld",
			    (long long)json_integer_value(v));
		else if (json_is_real(v))
			snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		else if (json_is_boolean(v))
			snprintf(num, sizeof(num), "%d", json_is_true(v));
		else
			continue;
		json_object_set_new(cfg, key, json_string(num));
	}
	return cfg;
}

const char *
gf_setting(const json_t *cfg, const char *cli, const char *env,
    const char *doc, const char *key, const char *def)
{
	const char *v;

	if (cli != NULL)
		return cli;
	if (env != NULL && (v = getenv(env)) != NULL && *v != '\0')
		return v;
	if (doc != NULL)
		return doc;
	if (cfg != NULL && key != NULL &&
	    (v = json_string_value(json_object_get(cfg, key))) != NULL)
		return v;
	return def;
}

static int
is_on(const char *v)
{
	return v != NULL && *v != '\0' && strcmp(v, "0") != 0 &&
	    strcmp(v, "false") != 0 && strcmp(v, "no") != 0;
}

int
gf_setting_flag(const json_t *cfg, int cli, const char *env, const char *key)
{
	const char *v;

	if (cli)
		return 1;
	if (env != NULL && (v = getenv(env)) != NULL && *v != '\0')
		return is_on(v);
	return is_on(gf_setting(cfg, NULL, NULL, NULL, key, NULL));
}

const char *
gf_json_path_string(const json_t *root, const char *dotted)
{
	const json_t *v = root;
	const char *p = dotted;

	while (v != NULL && *p != '\0') {
		const char *dot = strchr(p, '.');
		size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);

		v = json_is_object(v) ? json_object_getn(v, p, n) : NULL;
		p += n + (dot != NULL);
	}
	return json_string_value(v);
}
