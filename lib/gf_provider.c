/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_provider.h"
#include "gf_parse.h"
#include "gf_stack.h"
#include "gf_banned.h"

static const struct gf_provider *const providers[] = {
	&gf_provider_local,
};

/* Providers the design has, for messages; not all are in this build. */
static const char *const planned[] = { "aws", "g5k", "openstack", "ssh" };

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
			    "available: local", name);
			return NULL;
		}
	gf_err_set(err, GF_EXIT_USAGE, "provision",
	    "unknown provider '%s' (local, ssh, aws, openstack, g5k)", name);
	return NULL;
}

static int
down_entry(json_t *doc, json_t *entry, json_t **result, struct gf_err *err)
{
	const char *kind = json_string_value(json_object_get(entry, "kind"));
	const char *prov = json_string_value(json_object_get(entry,
	    "provider"));
	const struct gf_provider *p;

	*result = NULL;
	if (kind != NULL && strcmp(kind, "stack") == 0) {
		const char *dir = json_string_value(json_object_get(entry,
		    "state_dir"));

		if (dir == NULL)
			return gf_err_set(err, GF_EXIT_DATAERR, "provision",
			    "field 'cleanup[].state_dir': expected a string");
		return gf_stack_stop(dir, result, err);
	}
	if (prov == NULL)
		return gf_err_set(err, GF_EXIT_DATAERR, "provision",
		    "cleanup entry of kind '%s' names no provider",
		    kind != NULL ? kind : "?");
	if ((p = gf_provider_find(prov, err)) == NULL)
		return -1;
	return p->down(doc, entry, err);
}

int
gf_provider_down(json_t *doc, json_t **report, struct gf_err *err)
{
	json_t *cleanup = json_object_get(doc, "cleanup");
	json_t *rep = json_array();
	size_t n = json_array_size(cleanup);
	int rc = 0;
	char ts[32];

	for (size_t k = n; k > 0; k--) {
		struct gf_err e = GF_ERR_INIT;
		json_t *entry = json_array_get(cleanup, k - 1), *result = NULL;
		json_t *r = json_object();
		const char *kind;

		if (!json_is_object(entry)) {
			json_decref(r);
			if (rc == 0)
				rc = gf_err_set(err, GF_EXIT_DATAERR,
				    "provision", "field 'cleanup[%zu]': "
				    "expected an object", k - 1);
			continue;
		}
		kind = json_string_value(json_object_get(entry, "kind"));
		json_object_set_new(r, "kind", json_string(kind ? kind : "?"));
		if (down_entry(doc, entry, &result, &e) < 0) {
			json_object_set_new(r, "error", json_string(e.msg));
			if (rc == 0) {
				*err = e;
				rc = -1;
			}
		} else {
			json_object_set_new(entry, "released", json_string(
			    gf_time_format(gf_time_now(), 0, ts)));
			json_object_set_new(r, "result",
			    result != NULL ? result : json_string("released"));
			result = NULL;
		}
		json_decref(result);
		json_array_append_new(rep, r);
	}
	if (report != NULL)
		*report = rep;
	else
		json_decref(rep);
	return rc;
}
