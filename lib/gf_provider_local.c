/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The local provider: the machine gf runs on is the run's only host. It
 * holds nothing that must be given back (the measurement stack on it is
 * a cleanup entry of its own, see gf_provider.h).
 */
#include <stdlib.h>

#include <jansson.h>

#include "gf_provider.h"
#include "gf_doc.h"
#include "gf_hostinfo.h"
#include "gf_banned.h"

static int
local_up(json_t *doc, const struct gf_provider_opts *o, struct gf_err *err)
{
	json_t *host = gf_hostinfo_collect(o->sysfs, err), *hosts, *prov;

	if (host == NULL)
		return -1;
	json_object_set_new(host, "provider", json_string("local"));
	json_object_set_new(host, "roles", json_pack("[s]", "worker"));
	hosts = json_array();
	json_array_append_new(hosts, host);
	gf_doc_set(doc, "hosts", hosts);
	prov = gf_doc_object(doc, "provision");
	json_object_set_new(prov, "provider", json_string("local"));
	json_object_set_new(prov, "hosts", json_integer(1));
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
	"local", local_up, local_down, local_sweep,
};
