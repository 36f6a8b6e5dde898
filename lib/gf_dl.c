/* SPDX-License-Identifier: Apache-2.0 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "gf_dl.h"
#include "gf_banned.h"

int
gf_dl_table(const char *soname, const char *name,
    const struct gf_dl_sym *syms, size_t n, void *table, char *why,
    size_t whylen)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (h == NULL) {
		snprintf(why, whylen, "cannot load %s: %s", name, dlerror());
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		void *f = dlsym(h, syms[i].name);

		if (f == NULL) {
			snprintf(why, whylen, "%s has no %s", soname,
			    syms[i].name);
			return -1;
		}
		/* POSIX: a data pointer from dlsym converts to a function's. */
		memcpy((char *)table + syms[i].offset, &f, sizeof(f));
	}
	return 0;
}
