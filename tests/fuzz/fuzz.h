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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gf_profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional: run once before the first input. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * Kepler 0.7's shipped profile into p, found through GF_PROFILE_PATH
 * (scripts/fuzz.sh and the tests set it); exits when it is not found.
 */
static inline void
fuzz_kepler_profile(struct gf_profile *p)
{
	struct gf_err err = GF_ERR_INIT;

	if (gf_profile_load("kepler-0.7", p, &err) < 0) {
		fprintf(stderr, "fuzz: %s (set GF_PROFILE_PATH)\n", err.msg);
		exit(1);
	}
}

/*
 * A failure must say why: a message, and the exit code `code` (any
 * failing code when code is 0). abort() otherwise.
 */
static inline void
fuzz_check_err(const struct gf_err *err, int code)
{
	if ((code != 0 ? err->exit != code : err->exit == 0) ||
	    err->msg[0] == '\0')
		abort();
}

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
