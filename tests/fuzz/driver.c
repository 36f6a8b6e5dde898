/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Runs a fuzz target on files, without libFuzzer: the regression inputs
 * in tests/fuzz/regress/<target>/ go through every target this way in
 * `make check` (built like the other tests, so under ASan and UBSan in
 * the sanitizer build). TAP: one test per file; a broken promise aborts.
 *
 *	fuzz_qset FILE...
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

/* Weak: only some targets define it. */
#pragma weak LLVMFuzzerInitialize

int
main(int argc, char **argv)
{
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	printf("1..%d\n", argc - 1);
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		unsigned char *buf = NULL;
		size_t len = 0, cap = 0, n;

		if (f == NULL) {
			printf("not ok %d - %s: cannot open\n", i, argv[i]);
			continue;
		}
		do {
			if (len == cap) {
				cap = cap ? 2 * cap : 4096;
				buf = realloc(buf, cap);
				if (buf == NULL)
					abort();
			}
			n = fread(buf + len, 1, cap - len, f);
			len += n;
		} while (n > 0);
		fclose(f);
		fflush(stdout);
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		printf("ok %d - %s\n", i, argv[i]);
	}
	return 0;
}
