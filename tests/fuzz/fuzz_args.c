/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Command-line values from any bytes: the first byte picks the parser
 * (integer, number, duration, time, size, stress-plan specification,
 * check template), the rest is the text. A value is in its documented
 * range, or the error is the documented exit code with a message.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "gf_err.h"
#include "gf_parse.h"
#include "gf_plan.h"
#include "gf_validate.h"

static void
plan_spec(const char *s)
{
	struct gf_err err = GF_ERR_INIT;
	struct gf_plan_opts o;
	struct gf_machine m;
	struct gf_plan *p;

	gf_plan_opts_init(&o);
	gf_machine_init(&m, 4);
	p = gf_plan_from_spec(s, &o, &m, &err);
	if (p == NULL) {
		fuzz_check_err(&err, 64);
	} else {
		for (size_t i = 0; i < p->nphases; i++)
			if (!(p->phases[i].duration >= 0) ||
			    !isfinite(p->phases[i].duration) ||
			    !(p->phases[i].rest >= 0) ||
			    p->phases[i].name == NULL)
				abort();
		gf_plan_free(p);
	}
	gf_machine_release(&m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gf_err err = GF_ERR_INIT;
	char *s, buf[32];
	long long i;
	double d;
	uint64_t u;

	if (size < 1 || size > 4096)
		return 0;
	s = fuzz_text(data + 1, size - 1);
	if (strlen(s) != size - 1) {	/* argv holds no NUL */
		free(s);
		return 0;
	}
	switch (data[0] % 7) {
	case 0:
		if (gf_parse_int(s, -1000, 1000, "--n", &i, &err) == 0) {
			if (i < -1000 || i > 1000)
				abort();
		} else {
			fuzz_check_err(&err, 64);
		}
		break;
	case 1:
		if (gf_parse_double(s, "--x", &d, &err) == 0) {
			if (!isfinite(d))
				abort();
		} else {
			fuzz_check_err(&err, 64);
		}
		break;
	case 2:
		if (gf_parse_duration(s, "--for", &d, &err) == 0) {
			if (!(d >= 0) || !isfinite(d))
				abort();
		} else {
			fuzz_check_err(&err, 64);
		}
		break;
	case 3:
		if (gf_parse_time(s, "--start", &d, &err) == 0) {
			if (!isfinite(d))
				abort();
			gf_time_format(d, 1, buf);
		} else {
			fuzz_check_err(&err, 64);
		}
		break;
	case 4:
		if (gf_parse_size(s, "--max", &u, &err) != 0)
			fuzz_check_err(&err, 64);
		break;
	case 5:
		plan_spec(s);
		break;
	default: {
		struct gf_vars v = GF_VARS_INIT;
		char *out;

		gf_vars_set(&v, "instance", "node:9100");
		gf_vars_set(&v, "job", "{x}");
		out = gf_template_expand(s, &v, "check 'fuzz'", &err);
		if (out == NULL)
			fuzz_check_err(&err, 65);
		free(out);
		gf_vars_release(&v);
		break;
	}
	}
	free(s);
	return 0;
}
