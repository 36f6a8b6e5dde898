/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_provider.h"
#include "gf_parse.h"
#include "gf_banned.h"

static const struct gf_provider *const providers[] = {
	&gf_provider_local,
	&gf_provider_ssh,
	&gf_provider_aws,
};

/* Providers the design has, for messages; not all are in this build. */
static const char *const planned[] = { "g5k", "openstack" };

const struct gf_provider *
gf_provider_find(const char *name, struct gf_err *err)
{
	for (size_t i = 0; i < GF_ARRAY_LEN(providers); i++)
		if (strcmp(providers[i]->name, name) == 0)
			return providers[i];
	if (strcmp(name, "equinix") == 0) {
		gf_err_set(err, GF_EXIT_CONFIG, "provision",
		    "Equinix Metal was shut down on 2026-06-30; use aws, g5k, "
		    "openstack or ssh");
		return NULL;
	}
	for (size_t i = 0; i < GF_ARRAY_LEN(planned); i++)
		if (strcmp(planned[i], name) == 0) {
			gf_err_set(err, GF_EXIT_CONFIG, "provision",
			    "provider '%s' is not part of this build yet; "
			    "available: local, ssh, aws", name);
			return NULL;
		}
	gf_err_set(err, GF_EXIT_USAGE, "provision",
	    "unknown provider '%s' (local, ssh, aws, openstack, g5k)", name);
	return NULL;
}

int
gf_provider_release(json_t *doc, const char *provider, json_t *entry,
    struct gf_err *err)
{
	const struct gf_provider *p = gf_provider_find(provider, err);

	return p == NULL ? -1 : p->down(doc, entry, err);
}
