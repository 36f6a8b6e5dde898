/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf_jskip_array against its byte loop: from every '[' among the
 * input's first 256 bytes (the SIMD blocks start at every alignment
 * then), and from the input's start, both must end at the same byte or
 * both find no end.
 */
#include "fuzz.h"
#include "gf_jskip.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *end = text + size;

	for (size_t i = 0; i < size && i < 256; i++) {
		if (i > 0 && text[i] != '[')
			continue;
		if (gf_jskip_array(text + i, end) !=
		    gf_jskip_array_bytes(text + i, end))
			abort();
	}
	return 0;
}
