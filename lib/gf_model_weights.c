/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include <jansson.h>

#include "gf_model_weights.h"
#include "gf_err.h"
#include "gf_model.h"
#include "gf_model_impl.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

json_t *
gf_model_kepler_weights(const struct gf_model *m, const char *component,
    struct gf_err *err)
{
	json_t *num = json_object(), *all;

	if (m->tid == GF_T_SGD || m->tid == GF_T_LINEAR) {
		for (size_t i = 0; i < m->nf; i++)
			json_object_set_new(num, m->features[i],
			    json_pack("{s:f,s:f}", "scale", m->scale[i],
			    "weight", m->coef[i]));
		all = json_pack("{s:f,s:{},s:o}", "Bias_Weight", m->intercept,
		    "Categorical_Variables", "Numerical_Variables", num);
	} else if (gf_is_curve(m->tid)) {
		/*
		 * Kepler's curve predictors use x[0]: the fitted feature goes
		 * first, then the others in model order.
		 */
		json_object_set_new(num, m->features[m->main],
		    json_pack("{s:f}", "scale", m->scale[m->main]));
		for (size_t i = 0; i < m->nf; i++)
			if ((int)i != m->main)
				json_object_set_new(num, m->features[i],
				    json_pack("{s:f}", "scale", m->scale[i]));
		all = json_pack("{s:{},s:o,s:o}", "Categorical_Variables",
		    "Numerical_Variables", num, "CurveFit_Weights",
		    gf_json_reals(m->p, (size_t)m->np));
	} else {
		json_decref(num);
		gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "trainer %s has no Kepler weight form",
		    gf_model_trainer(m));
		return NULL;
	}
	return json_pack("{s:{s:o}}", component, "All_Weights", all);
}

static const char *const component_order[] = {
	"package", "core", "uncore", "dram", "platform",
};

/* The trainer named by the start of path's basename or by model_name. */
static int
named_trainer(const json_t *j, const char *name)
{
	const char *cands[2] = { NULL, json_string_value(json_object_get(j,
	    "model_name")) };
	size_t ntrainers;
	const char *const *trainer_names = gf_model_trainers(&ntrainers);

	if (name) {
		const char *b = strrchr(name, '/');

		cands[0] = b ? b + 1 : name;
	}
	for (int c = 0; c < 2; c++) {
		if (cands[c] == NULL)
			continue;
		for (int i = 0; i < (int)ntrainers; i++) {
			size_t n = strlen(trainer_names[i]);

			if (strncmp(cands[c], trainer_names[i], n) == 0 &&
			    (cands[c][n] == '\0' || cands[c][n] == '_' ||
			    cands[c][n] == '.'))
				return i;
		}
	}
	return -1;
}

struct gf_model *
gf_model_from_kepler_weights(const json_t *j, const char *component,
    const char *name, struct gf_err *err)
{
	const json_t *c = NULL, *all, *num, *cw, *v;
	const char *key;
	struct gf_model *m;
	int tid = named_trainer(j, name);
	size_t i;

	if (name == NULL)
		name = "<weights>";
	if (!json_is_object(j)) {
		gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "%s: not a JSON object", name);
		return NULL;
	}
	if (component != NULL) {
		c = json_object_get(j, component);
		if (c == NULL) {
			gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "%s: no component '%s'", name, component);
			return NULL;
		}
	} else {
		for (i = 0; i < 5 && c == NULL; i++) {
			c = json_object_get(j, component_order[i]);
			component = component_order[i];
		}
		json_object_foreach((json_t *)j, key, v) {
			if (c != NULL)
				break;
			if (json_is_object(v) &&
			    json_object_get(v, "All_Weights")) {
				c = v;
				component = key;
			}
		}
		if (c == NULL) {
			gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "%s: no component with 'All_Weights'", name);
			return NULL;
		}
	}
	all = json_object_get(c, "All_Weights");
	num = json_object_get(all, "Numerical_Variables");
	if (!json_is_object(all) || !json_is_object(num) ||
	    json_object_size(num) == 0) {
		gf_err_set(err, GF_EXIT_DATAERR, "model",
		    "%s: '%s.All_Weights.Numerical_Variables' is missing or "
		    "empty", name, component);
		return NULL;
	}
	cw = json_object_get(all, "CurveFit_Weights");
	if (cw != NULL) {
		size_t np = json_array_size(cw);

		if (tid < 0 || !gf_is_curve(tid))
			tid = np == 4 ? GF_T_LOGISTIC : -1;
		if (tid < 0) {
			gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "%s: %zu curve-fit weights: cannot tell the curve "
			    "(name the file after its trainer)", name, np);
			return NULL;
		}
	} else if (tid != GF_T_SGD && tid != GF_T_LINEAR) {
		tid = GF_T_SGD;
	}
	m = gf_model_new(tid, json_object_size(num));
	i = 0;
	json_object_foreach((json_t *)num, key, v) {
		const json_t *s = json_object_get(v, "scale");

		m->features[i] = gf_xstrdup(key);
		/* A MaxAbs scale: |x| at most, never below 0. */
		if (json_is_number(s) && json_number_value(s) < 0) {
			gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "%s: '%s...Numerical_Variables.%s.scale' is "
			    "negative", name, component, key);
			goto fail;
		}
		/* Kepler skips a feature with scale 0; so does a weight 0. */
		m->scale[i] = json_is_number(s) && json_number_value(s) != 0 ?
		    json_number_value(s) : 1.0;
		i++;
	}
	m->component = gf_xstrdup(component);
	if (cw != NULL) {
		double *pv;
		size_t np;

		m->np = tid == GF_T_LOGISTIC ? 4 : 3;
		m->main = 0;
		if (gf_read_reals(all, "CurveFit_Weights", name, &pv,
		    (size_t)m->np, &np, err) < 0)
			goto fail;
		memcpy(m->p, pv, np * sizeof(*pv));
		free(pv);
		return m;
	}
	m->ncoef = m->nf;
	m->coef = gf_xcalloc(m->nf, sizeof(*m->coef));
	i = 0;
	json_object_foreach((json_t *)num, key, v) {
		const json_t *w = json_object_get(v, "weight");
		const json_t *s = json_object_get(v, "scale");

		if (!json_is_number(w)) {
			gf_err_set(err, GF_EXIT_DATAERR, "model",
			    "%s: '%s...Numerical_Variables.%s.weight' is not "
			    "a number", name, component, key);
			goto fail;
		}
		if (!json_is_number(s) || json_number_value(s) == 0)
			m->coef[i] = 0;
		else
			m->coef[i] = json_number_value(w);
		i++;
	}
	if (gf_read_real(all, "Bias_Weight", name, &m->intercept, err) < 0)
		goto fail;
	return m;
fail:
	gf_model_free(m);
	return NULL;
}
