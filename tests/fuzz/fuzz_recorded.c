/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Recorded query results (gf-validate --from-json) from any bytes, read
 * by gf_recorded_parse (gf_matrix's scanner, else jansson): results
 * whose sample times are times (gf_time_ok) and increase, or a 65 that
 * names the file; never a crash, a read past the text or a leak.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "gf_err.h"
#include "gf_parse.h"
#include "gf_validate.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gf_recorded rec = GF_RECORDED_INIT;
	struct gf_err err = GF_ERR_INIT;
	char *text = fuzz_text(data, size);

	if (gf_recorded_parse(&rec, text, size, "rec.json", &err) == 0) {
		for (size_t i = 0; i < rec.n; i++) {
			const struct gf_prom_result *r = &rec.q[i].res;

			if (gf_recorded_find(&rec, rec.q[i].query) == NULL)
				abort();
			for (size_t s = 0; s < r->nseries; s++)
				for (size_t k = 0; k < r->series[s].n; k++)
					if (!gf_time_ok(r->series[s].t[k]) ||
					    (k > 0 && !(r->series[s].t[k] >
					    r->series[s].t[k - 1])))
						abort();
		}
	} else if (err.exit != 65 || strncmp(err.msg, "rec.json:", 9) != 0) {
		abort();
	}
	gf_recorded_release(&rec);
	free(text);
	return 0;
}
