/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kepler 0.7.x weight JSON: the form in which Kepler's own estimator
 * loads a linear or curve-fit power model, written from a model
 * (gf_model.h) and read back into one.
 *
 *	json_t *w = gf_model_kepler_weights(m, "package", &err);
 *	if (w == NULL)
 *		return -1;
 */
#ifndef GF_MODEL_WEIGHTS_H
#define GF_MODEL_WEIGHTS_H

#include <jansson.h>

#include "gf_err.h"
#include "gf_model.h"

/*
 * Kepler 0.7.x weight JSON for one component, the shapes of
 * kepler-model-db/ec2-0.7.11:
 * - linear form (LinearRegressionTrainer, SGDRegressorTrainer):
 *	{"<component>":{"All_Weights":{"Bias_Weight":b,
 *	  "Categorical_Variables":{},"Numerical_Variables":{"<feature>":
 *	  {"scale":s,"weight":w},...}}}}
 *   where predict = b + sum w * x / s (s is MaxAbs, 1 for a zero column);
 * - curve-fit form (Logarithmic/Exponential/LogisticRegressionTrainer):
 *	{"<component>":{"All_Weights":{"Categorical_Variables":{},
 *	  "Numerical_Variables":{"<feature>":{"scale":s},...},
 *	  "CurveFit_Weights":[p0,p1,...]}}}
 *   where predict = f(x0 / s0; p) with f the trainer's curve on the first
 *   feature.
 * NULL with err (65, "trainer X has no Kepler weight form") for the other
 * trainers. New reference.
 */
json_t *gf_model_kepler_weights(const struct gf_model *m,
    const char *component, struct gf_err *err);
/*
 * Load one component of a Kepler weight JSON (j, borrowed) as a new
 * model. The trainer is the one name's basename starts with (e.g.
 * "SGDRegressorTrainer_0.json") or the top-level "model_name" names;
 * without one, the linear form is SGDRegressorTrainer (Kepler's default)
 * and a curve with 4 weights is LogisticRegressionTrainer (3 weights
 * cannot tell Logarithmic from Exponential: 65). Curve forms fit the
 * first feature listed, as Kepler's predictor does. component NULL = the
 * first, as gf_model_load (gf_model_file.h). 65 when the component is
 * missing or the shape is wrong, naming the key.
 */
struct gf_model *gf_model_from_kepler_weights(const json_t *j,
    const char *component, const char *name, struct gf_err *err);

#endif
