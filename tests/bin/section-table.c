/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Print the table of the run document's fields (gf_section.h), one
 * field a line: section, name, type, meaning, separated by tabs.
 * tests/sh/t-section.sh checks gf(7) and the tools' documents with it.
 */
#include <stdio.h>

#include "gf_section.h"
#include "gf_banned.h"

int
main(void)
{
	size_t n;
	const struct gf_section_field *f = gf_section_fields(&n);

	for (size_t i = 0; i < n; i++)
		printf("%s\t%s\t%s\t%s\n", f[i].section, f[i].name,
		    gf_section_type_name(f[i].type), f[i].meaning);
	return fflush(stdout) != 0 || ferror(stdout) ? 74 : 0;
}
