/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf_csv_parse on any bytes: a table or an error (65, with a message),
 * never both; a table has names for its columns and finite or NaN cells
 * only where the header says so.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "gf_csv.h"
#include "gf_err.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gf_csv t = GF_CSV_INIT;
	struct gf_err err = GF_ERR_INIT;
	char *text = malloc(size ? size : 1);
	int r;

	memcpy(text, data, size);
	r = gf_csv_parse(text, size, "fuzz.csv", &t, &err);
	if (r == 0) {
		if (t.cols == 0 || t.names == NULL)
			abort();
		for (size_t c = 0; c < t.cols; c++)
			if (t.names[c] == NULL)
				abort();
		/* Every cell is addressable. */
		volatile double sum = 0;

		for (size_t i = 0; i < t.rows * t.cols; i++)
			sum += t.data[i];
		(void)sum;
	} else if (err.exit == 0 || err.msg[0] == '\0') {
		abort();
	}
	gf_csv_release(&t);
	free(text);
	return 0;
}
