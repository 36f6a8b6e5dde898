/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_cleanup.h"
#include "gf_parse.h"
#include "gf_provider.h"
#include "gf_stack_hosts.h"
#include "gf_section.h"
#include "gf_banned.h"

static const struct kind {
	const char *name;
	gf_cleanup_release_fn release;
} kinds[] = {
	{ GF_CLEANUP_KIND_STACK, gf_stack_release },
};

gf_cleanup_release_fn
gf_cleanup_find(const char *kind)
{
	for (size_t i = 0; kind != NULL && i < GF_ARRAY_LEN(kinds); i++)
		if (strcmp(kinds[i].name, kind) == 0)
			return kinds[i].release;
	return NULL;
}

int
gf_cleanup_release(json_t *doc, json_t *entry, json_t **result,
    struct gf_err *err)
{
	const char *kind = json_string_value(json_object_get(entry,
	    GF_FIELD_CLEANUP_KIND));
	const char *prov = json_string_value(json_object_get(entry,
	    GF_FIELD_CLEANUP_PROVIDER));
	gf_cleanup_release_fn release = gf_cleanup_find(kind);

	*result = NULL;
	if (release != NULL)
		return release(doc, entry, result, err);
	if (prov == NULL)
		return gf_err_set(err, GF_EXIT_DATAERR, "provision",
		    "cleanup entry of kind '%s' names no provider",
		    kind != NULL ? kind : "?");
	return gf_provider_release(doc, prov, entry, err);
}

int
gf_cleanup_release_all(json_t *doc, json_t **report, struct gf_err *err)
{
	json_t *cleanup = json_object_get(doc, GF_SECTION_CLEANUP);
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
		kind = json_string_value(json_object_get(entry,
		    GF_FIELD_CLEANUP_KIND));
		json_object_set_new(r, "kind", json_string(kind ? kind : "?"));
		if (gf_cleanup_release(doc, entry, &result, &e) < 0) {
			json_object_set_new(r, "error", json_string(e.msg));
			if (rc == 0) {
				*err = e;
				rc = -1;
			}
		} else {
			json_object_set_new(entry, GF_FIELD_CLEANUP_RELEASED,
			    json_string(
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
