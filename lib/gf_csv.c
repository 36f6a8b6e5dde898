/* SPDX-License-Identifier: Apache-2.0 */
#include "gf_csv.h"
#include <stdlib.h>
#include "gf_banned.h"

int gf_csv_load(const char *path, struct gf_csv *out, struct gf_err *err)
{
	(void)out;
	return gf_err_set(err, 70, "csv", "%s: not yet", path);
}

int gf_csv_parse(const char *text, size_t len, const char *name,
    struct gf_csv *out, struct gf_err *err)
{
	(void)text; (void)len; (void)out;
	return gf_err_set(err, 70, "csv", "%s: not yet", name);
}

int gf_csv_column(const struct gf_csv *c, const char *name)
{
	(void)c; (void)name;
	return -1;
}

void gf_csv_release(struct gf_csv *c)
{
	(void)c;
}
