/* SPDX-License-Identifier: Apache-2.0 */
/*
 * YAML from any bytes (gf_yaml_parse_marked), then what gf builds from
 * YAML files users write: a stress plan (gf-stress), a check set
 * (gf-validate) and a metric profile (gf-train). Each gives its object
 * or an error with a message; an error's file:line:col stays inside the
 * text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "gf_err.h"
#include "gf_plan.h"
#include "gf_profile.h"
#include "gf_validate.h"
#include "gf_yaml.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gf_err err = GF_ERR_INIT;
	char *text = fuzz_text(data, size);
	json_t *marks = NULL, *j;
	struct gf_plan_opts po;
	struct gf_plan *plan;

	j = gf_yaml_parse_marked(text, size, "fuzz.yaml", &marks, &err);
	if (j == NULL) {
		fuzz_check_err(&err, 0);
	} else {
		struct gf_checkset cs = GF_CHECKSET_INIT;
		struct gf_vars vars = GF_VARS_INIT;
		struct gf_profile p = GF_PROFILE_INIT;

		gf_vars_set(&vars, "instance", "fuzz:9100");
		gf_err_clear(&err);
		if (gf_checkset_from_json(&cs, j, "fuzz.yaml", &vars,
		    &err) < 0)
			fuzz_check_err(&err, 0);
		gf_checkset_release(&cs);
		gf_vars_release(&vars);
		gf_err_clear(&err);
		if (gf_profile_from_json(j, "fuzz.yaml", &p, &err) < 0)
			fuzz_check_err(&err, 0);
		gf_profile_release(&p);
	}
	json_decref(j);
	json_decref(marks);
	gf_plan_opts_init(&po);
	gf_err_clear(&err);
	plan = gf_plan_parse_yaml(text, size, "fuzz.yaml", &po, &err);
	if (plan == NULL)
		fuzz_check_err(&err, 0);
	gf_plan_free(plan);
	free(text);
	return 0;
}
