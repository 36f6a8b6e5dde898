/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_checks.h"
#include "gf_buf.h"
#include "gf_err.h"
#include "gf_fs.h"
#include "gf_xalloc.h"
#include "gf_yaml.h"
#include "gf_banned.h"

void
gf_vars_set(struct gf_vars *v, const char *name, const char *value)
{
	for (size_t i = 0; i < v->n; i++) {
		if (strcmp(v->name[i], name) == 0) {
			free(v->value[i]);
			v->value[i] = gf_xstrdup(value);
			return;
		}
	}
	v->name = gf_xreallocarray(v->name, v->n + 1, sizeof(*v->name));
	v->value = gf_xreallocarray(v->value, v->n + 1, sizeof(*v->value));
	v->name[v->n] = gf_xstrdup(name);
	v->value[v->n] = gf_xstrdup(value);
	v->n++;
}

const char *
gf_vars_get(const struct gf_vars *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->name[i], name) == 0)
			return v->value[i];
	return NULL;
}

void
gf_vars_release(struct gf_vars *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->n; i++) {
		free(v->name[i]);
		free(v->value[i]);
	}
	free(v->name);
	free(v->value);
	v->name = v->value = NULL;
	v->n = 0;
}

char *
gf_template_expand(const char *tmpl, const struct gf_vars *vars,
    const char *what, struct gf_err *err)
{
	struct gf_buf b = GF_BUF_INIT;
	const char *s = tmpl;

	gf_buf_adds(&b, "");
	while (*s != '\0') {
		if (s[0] == '{' && s[1] == '{') {
			gf_buf_addc(&b, '{');
			s += 2;
		} else if (s[0] == '}' && s[1] == '}') {
			gf_buf_addc(&b, '}');
			s += 2;
		} else if (s[0] == '}') {
			gf_buf_release(&b);
			gf_err_set(err, GF_EXIT_DATAERR, "validate",
			    "%s: single '}' in template (write '}}' for a "
			    "brace)", what);
			return NULL;
		} else if (s[0] == '{') {
			const char *end = strchr(s + 1, '}');
			const char *val;
			char *key;

			if (end == NULL) {
				gf_buf_release(&b);
				gf_err_set(err, GF_EXIT_DATAERR, "validate",
				    "%s: unmatched '{' in template (write "
				    "'{{' for a brace)", what);
				return NULL;
			}
			key = gf_xstrndup(s + 1, (size_t)(end - s - 1));
			val = gf_vars_get(vars, key);
			if (val == NULL) {
				gf_err_set(err, GF_EXIT_DATAERR, "validate",
				    "%s: unknown template variable '{%s}'",
				    what, key);
				free(key);
				gf_buf_release(&b);
				return NULL;
			}
			free(key);
			gf_buf_adds(&b, val);
			s = end + 1;
		} else {
			gf_buf_addc(&b, *s++);
		}
	}
	return gf_buf_detach(&b);
}

void
gf_checkset_add(struct gf_checkset *cs, const char *name, const char *units,
    const char *actual_label, const char *actual,
    const char *predicted_label, const char *predicted,
    const struct gf_thresholds *th)
{
	struct gf_check *c;

	cs->checks = gf_xreallocarray(cs->checks, cs->n + 1,
	    sizeof(*cs->checks));
	c = &cs->checks[cs->n++];
	c->name = gf_xstrdup(name);
	c->units = units != NULL ? gf_xstrdup(units) : NULL;
	c->actual_label = gf_xstrdup(actual_label);
	c->predicted_label = gf_xstrdup(predicted_label);
	c->actual = gf_xstrdup(actual);
	c->predicted = gf_xstrdup(predicted);
	c->th = *th;
}

void
gf_checkset_release(struct gf_checkset *cs)
{
	if (cs == NULL)
		return;
	for (size_t i = 0; i < cs->n; i++) {
		struct gf_check *c = &cs->checks[i];

		free(c->name);
		free(c->units);
		free(c->actual_label);
		free(c->predicted_label);
		free(c->actual);
		free(c->predicted);
	}
	free(cs->checks);
	cs->checks = NULL;
	cs->n = 0;
}

/* A mapping's key names, from "mapping" of obj when present. */
static int
mapping_of(const json_t *obj, const char *path, const char **actual,
    const char **predicted, struct gf_err *err)
{
	json_t *m = json_object_get(obj, "mapping");
	json_t *x;

	if (m == NULL || json_is_null(m))
		return 0;
	if (!json_is_object(m))
		return gf_err_set(err, GF_EXIT_DATAERR, "validate",
		    "%s.mapping: expected a mapping", path);
	if ((x = json_object_get(m, "actual")) != NULL) {
		if (!json_is_string(x))
			return gf_err_set(err, GF_EXIT_DATAERR, "validate",
			    "%s.mapping.actual: expected a string", path);
		*actual = json_string_value(x);
	}
	if ((x = json_object_get(m, "predicted")) != NULL) {
		if (!json_is_string(x))
			return gf_err_set(err, GF_EXIT_DATAERR, "validate",
			    "%s.mapping.predicted: expected a string", path);
		*predicted = json_string_value(x);
	}
	return 0;
}

static int
threshold_of(const json_t *v, const char *key, const char *path,
    double *out, struct gf_err *err)
{
	json_t *x = json_object_get(v, key);

	*out = NAN;
	if (x == NULL || json_is_null(x))
		return 0;
	if (!json_is_number(x) || !isfinite(json_number_value(x)) ||
	    json_number_value(x) < 0)
		return gf_err_set(err, GF_EXIT_DATAERR, "validate",
		    "%s.%s: expected a number >= 0", path, key);
	*out = json_number_value(x);
	return 0;
}

static int
query_of(const json_t *v, const char *key, const char *path,
    const char **out, struct gf_err *err)
{
	json_t *x = json_object_get(v, key);

	if (x == NULL)
		return gf_err_set(err, GF_EXIT_DATAERR, "validate",
		    "%s: missing query '%s'", path, key);
	if (!json_is_string(x) || json_string_length(x) == 0)
		return gf_err_set(err, GF_EXIT_DATAERR, "validate",
		    "%s.%s: expected a PromQL string", path, key);
	*out = json_string_value(x);
	return 0;
}

int
gf_checkset_from_json(struct gf_checkset *cs, const json_t *root,
    const char *name, const struct gf_vars *vars, struct gf_err *err)
{
	const char *def_actual = "actual", *def_pred = "predicted";
	json_t *vals, *config;
	size_t i;
	json_t *v;

	if (!json_is_object(root))
		return gf_err_set(err, GF_EXIT_DATAERR, "validate",
		    "%s: expected a mapping with 'validations'", name);
	config = json_object_get(root, "config");
	if (config != NULL && !json_is_null(config)) {
		if (!json_is_object(config))
			return gf_err_set(err, GF_EXIT_DATAERR, "validate",
			    "%s: config: expected a mapping", name);
		if (mapping_of(config, "config", &def_actual, &def_pred,
		    err) == -1)
			return gf_err_prefix(err, "%s", name);
	}
	vals = json_object_get(root, "validations");
	if (!json_is_array(vals))
		return gf_err_set(err, GF_EXIT_DATAERR, "validate",
		    "%s: validations: expected a list of checks", name);
	json_array_foreach(vals, i, v) {
		const char *ka = def_actual, *kp = def_pred;
		const char *cname, *units = NULL, *qa, *qp;
		struct gf_thresholds th;
		char path[64], what[512];
		char *ea = NULL, *ep = NULL;
		json_t *x;

		snprintf(path, sizeof(path), "validations[%zu]", i);
		if (!json_is_object(v))
			return gf_err_set(err, GF_EXIT_DATAERR, "validate",
			    "%s: %s: expected a mapping", name, path);
		x = json_object_get(v, "name");
		if (!json_is_string(x) || json_string_length(x) == 0)
			return gf_err_set(err, GF_EXIT_DATAERR, "validate",
			    "%s: %s.name: expected a string", name, path);
		cname = json_string_value(x);
		x = json_object_get(v, "units");
		if (x != NULL && !json_is_null(x)) {
			if (!json_is_string(x))
				return gf_err_set(err, GF_EXIT_DATAERR,
				    "validate", "%s: %s.units: expected a "
				    "string", name, path);
			units = json_string_value(x);
		}
		if (mapping_of(v, path, &ka, &kp, err) == -1)
			return gf_err_prefix(err, "%s", name);
		/* The older files name ground truth "expected". */
		if (ka == def_actual && kp == def_pred &&
		    strcmp(ka, "actual") == 0 &&
		    json_object_get(v, "expected") != NULL &&
		    json_object_get(v, "predicted") == NULL) {
			ka = "expected";
			kp = "actual";
		}
		if (query_of(v, ka, path, &qa, err) == -1 ||
		    query_of(v, kp, path, &qp, err) == -1 ||
		    threshold_of(v, "max_mae", path, &th.max_mae, err) == -1 ||
		    threshold_of(v, "max_mape", path, &th.max_mape,
		    err) == -1 ||
		    threshold_of(v, "max_mse", path, &th.max_mse, err) == -1)
			return gf_err_prefix(err, "%s", name);
		snprintf(what, sizeof(what), "%s: check '%s', query '%s'",
		    name, cname, ka);
		if ((ea = gf_template_expand(qa, vars, what, err)) == NULL)
			return -1;
		snprintf(what, sizeof(what), "%s: check '%s', query '%s'",
		    name, cname, kp);
		if ((ep = gf_template_expand(qp, vars, what, err)) == NULL) {
			free(ea);
			return -1;
		}
		for (size_t j = 0; j < cs->n; j++) {
			if (strcmp(cs->checks[j].name, cname) == 0) {
				free(ea);
				free(ep);
				return gf_err_set(err, GF_EXIT_DATAERR,
				    "validate", "%s: %s.name: duplicate check "
				    "'%s'", name, path, cname);
			}
		}
		gf_checkset_add(cs, cname, units, ka, ea, kp, ep, &th);
		free(ea);
		free(ep);
	}
	return 0;
}

int
gf_checkset_load(struct gf_checkset *cs, const char *path,
    const struct gf_vars *vars, struct gf_err *err)
{
	json_t *root;
	int rc;

	if ((root = gf_yaml_load(path, err)) == NULL)
		return -1;
	rc = gf_checkset_from_json(cs, root, path, vars, err);
	json_decref(root);
	return rc;
}

char *
gf_slug(const char *name)
{
	struct gf_buf b = GF_BUF_INIT;
	int dash = 0;

	for (const char *s = name; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 128 && isalnum(c)) || c == '_' ||
		    (c == '.' && b.len > 0 && b.data[b.len - 1] != '.' &&
		    !dash)) {
			if (dash && b.len > 0)
				gf_buf_addc(&b, '-');
			dash = 0;
			gf_buf_addc(&b, (char)c);
		} else {
			dash = 1;
		}
	}
	if (b.len == 0)
		gf_buf_adds(&b, "check");
	return gf_buf_detach(&b);
}

char *
gf_checkset_find(const char *name)
{
	char *hit;

	if (strchr(name, '/') != NULL || gf_fs_exists(name))
		return gf_xstrdup(name);
	hit = gf_fs_find_shared("checks", name, NULL);
	return hit != NULL ? hit : gf_xstrdup(name);
}
