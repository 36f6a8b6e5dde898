/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer targets (make fuzz; scripts/fuzz.sh runs them). Each file
 * defines LLVMFuzzerTestOneInput for one parser that reads what users
 * and servers hand to gf, and checks the properties its header promises
 * beyond "no crash, no leak": abort() marks a broken promise.
 */
#ifndef GF_FUZZ_H
#define GF_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* data as a NUL-terminated string (a new buffer; NULs inside kept). */
static inline char *
fuzz_text(const uint8_t *data, size_t size)
{
	char *t = malloc(size + 1);

	if (t == NULL)
		abort();
	memcpy(t, data, size);
	t[size] = '\0';
	return t;
}

#endif
