/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The local provider: the machine gf runs on is the run's only host. It
 * holds nothing that must be given back (the measurement stack on it is
 * a cleanup entry of its own, see gf_provider.h).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_provider.h"
#include "gf_doc.h"
#include "gf_host.h"
#include "gf_hostinfo.h"
#include "gf_section.h"
#include "gf_banned.h"

static int
local_up(json_t *doc, const struct gf_provider_opts *o, struct gf_err *err)
{
	struct gf_host *me = gf_host_local_new();
	json_t *host = gf_hostinfo_collect(me, o->sysfs, err), *hosts, *prov;

	gf_host_free(me);
	if (host == NULL)
		return -1;
	json_object_set_new(host, GF_FIELD_HOST_PROVIDER, json_string("local"));
	json_object_set_new(host, GF_FIELD_HOST_ROLES,
	    json_pack("[s]", "worker"));
	hosts = json_array();
	json_array_append_new(hosts, host);
	gf_doc_set(doc, GF_SECTION_HOSTS, hosts);
	prov = gf_doc_object(doc, GF_SECTION_PROVISION);
	json_object_set_new(prov, GF_FIELD_PROVISION_PROVIDER,
	    json_string("local"));
	json_object_set_new(prov, "hosts", json_integer(1));
	return 0;
}

static int
local_status(const json_t *doc, json_t **report, struct gf_err *err)
{
	json_t *h, *hosts = json_array();
	size_t i;

	(void)err;
	json_array_foreach(json_object_get(doc, GF_SECTION_HOSTS), i, h) {
		const char *name = json_string_value(json_object_get(h,
		    GF_FIELD_HOST_NAME));

		json_array_append_new(hosts, json_pack("{s:s,s:b}", "name",
		    name != NULL ? name : "?", "this_machine",
		    name != NULL && gf_host_is_runner(name)));
	}
	*report = json_pack("{s:s,s:o}", "provider", "local", "hosts", hosts);
	return 0;
}

static int
local_down(json_t *doc, json_t *entry, struct gf_err *err)
{
	(void)doc;
	(void)entry;
	(void)err;
	/* The local machine is not given back: nothing to do. */
	return 0;
}

static int
local_sweep(json_t *doc, const struct gf_provider_opts *o, json_t **found,
    struct gf_err *err)
{
	(void)doc;
	(void)o;
	(void)err;
	*found = json_array();
	return 0;
}

const struct gf_provider gf_provider_local = {
	"local", local_up, local_status, local_down, local_sweep,
};
