/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A model file from any JSON, as gf_model_load reads it: a gf model file
 * (gf_model_from_json) when it has "format", else a Kepler 0.7.x weight
 * JSON (gf_model_from_kepler_weights). A model or an error with a
 * message. A model predicts something for any input row without
 * crashing, and its own file (gf_model_dumps, 17 digits) loads back
 * into a model that predicts exactly the same: the round trip gf_model.h
 * promises; so does its Kepler weight JSON, for the trainers that have
 * one.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "gf_err.h"
#include "gf_model.h"
#include "gf_model_file.h"
#include "gf_model_weights.h"

static int
same(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gf_err err = GF_ERR_INIT;
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	struct gf_model *m, *back;
	json_t *j2;
	char *text;

	if (j == NULL)
		return 0;
	if (json_object_get(j, "format") != NULL)
		m = gf_model_from_json(j, "fuzz.json", &err);
	else
		m = gf_model_from_kepler_weights(j, NULL, "fuzz.json", &err);
	json_decref(j);
	if (m == NULL) {
		if (err.exit == 0 || err.msg[0] == '\0')
			abort();
		return 0;
	}
	size_t nf = gf_model_nfeatures(m);
	double *x = calloc(nf + 1, sizeof(double)), p[3];

	for (int k = 0; k < 3; k++) {
		for (size_t f = 0; f < nf; f++)
			x[f] = k == 0 ? 0 : k == 1 ? 1 + (double)f : -1e6;
		p[k] = gf_model_predict1(m, x);
	}
	text = gf_model_dumps(m, 17);
	j2 = json_loads(text, 0, NULL);
	back = j2 ? gf_model_from_json(j2, "back.json", &err) : NULL;
	if (back == NULL)
		abort();	/* its own file must load */
	for (int k = 0; k < 3; k++) {
		for (size_t f = 0; f < nf; f++)
			x[f] = k == 0 ? 0 : k == 1 ? 1 + (double)f : -1e6;
		if (!same(gf_model_predict1(back, x), p[k]))
			abort();
	}
	gf_model_free(back);
	json_decref(j2);
	/* The Kepler form, where the trainer has one. */
	j2 = gf_model_kepler_weights(m, "package", &err);
	if (j2 != NULL) {
		json_object_set_new(j2, "model_name",
		    json_string(gf_model_trainer(m)));
		back = gf_model_from_kepler_weights(j2, "package", "w.json",
		    &err);
		if (back == NULL)
			abort();
		for (int k = 0; k < 3; k++) {
			for (size_t f = 0; f < nf; f++)
				x[f] = k == 0 ? 0 : k == 1 ? 1 + (double)f :
				    -1e6;
			if (!same(gf_model_predict1(back, x), p[k]))
				abort();
		}
		gf_model_free(back);
		json_decref(j2);
	}
	free(text);
	free(x);
	gf_model_free(m);
	return 0;
}
