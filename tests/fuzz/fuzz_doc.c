/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A run document from any bytes (what every gf tool reads on stdin): a
 * document or an error with a message, never a crash.
 */
#include <stdlib.h>

#include <jansson.h>

#include "fuzz.h"
#include "gf_doc.h"
#include "gf_err.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gf_err err = GF_ERR_INIT;
	char *text = fuzz_text(data, size);
	json_t *d = gf_doc_parse(text, size, "<stdin>", &err);

	if (d == NULL && (err.exit == 0 || err.msg[0] == '\0'))
		abort();
	json_decref(d);
	free(text);
	return 0;
}
