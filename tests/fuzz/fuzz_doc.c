/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A run document from any bytes (what every gf tool reads on stdin): a
 * document or an error with a message, never a crash; so are its time
 * windows, which tools query and write as RFC 3339.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "gf_doc.h"
#include "gf_window.h"
#include "gf_err.h"
#include "gf_parse.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gf_err err = GF_ERR_INIT;
	char *text = fuzz_text(data, size);
	json_t *d = gf_doc_parse(text, size, "<stdin>", &err);

	if (d == NULL && (err.exit == 0 || err.msg[0] == '\0'))
		abort();
	for (size_t i = 0; d != NULL && i < gf_window_count(d); i++) {
		struct gf_window w;
		double a, b;
		char buf[32];

		gf_err_clear(&err);
		if (gf_window_get(d, i, &w, &err) < 0) {
			if (err.exit != 65 || err.msg[0] == '\0')
				abort();
			continue;
		}
		a = w.start;
		b = w.end;
		if (!gf_time_ok(a) || !gf_time_ok(b) || b < a ||
		    strlen(gf_time_format(a, 1, buf)) != 24)
			abort();
	}
	json_decref(d);
	free(text);
	return 0;
}
