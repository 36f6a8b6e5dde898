/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for gf_cleanup: which kinds are registered, dispatch to the
 * stack and to providers, reverse order, errors that do not stop the
 * rest.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_cleanup.h"
#include "gf_fs.h"
#include "gf_stack_hosts.h"
#include "tap.h"

int
main(void)
{
	char tmpl[] = "/tmp/gf-t-cleanup.XXXXXX";
	struct gf_err err = GF_ERR_INIT;
	json_t *doc, *report = NULL, *entry, *result = NULL;
	char *root;

	if ((root = mkdtemp(tmpl)) == NULL)
		skip_all("no temp dir");
	ok(gf_cleanup_find("stack") == gf_stack_release, "'stack' is the "
	    "stack module's");
	ok(gf_cleanup_find("instance") == NULL, "other kinds go to their "
	    "provider");
	ok(gf_cleanup_find(NULL) == NULL, "no kind: no function");

	/* A stack with nothing running: every component "not running". */
	entry = json_pack("{s:s, s:s}", "kind", "stack", "state_dir", root);
	doc = json_pack("{s:[O]}", "cleanup", entry);
	is_int(gf_cleanup_release(doc, entry, &result, &err), 0, "a stopped "
	    "stack is released");
	is_str(json_string_value(json_object_get(result, "prometheus")),
	    "not running", "its report says what happened");
	json_decref(result);
	json_decref(doc);
	json_decref(entry);

	entry = json_pack("{s:s}", "kind", "stack");
	is_int(gf_cleanup_release(NULL, entry, &result, &err), -1, "a stack "
	    "without state_dir");
	is_int(err.exit, GF_EXIT_DATAERR, "... is 65");
	json_decref(entry);

	doc = json_pack("{s:[{s:s, s:s}, {s:s}, {s:s, s:s}, {s:s, s:s}]}",
	    "cleanup",
	    "kind", "stack", "state_dir", root,
	    "kind", "orphan",
	    "kind", "machine", "provider", "local",
	    "kind", "machine", "provider", "nosuch");
	err = (struct gf_err)GF_ERR_INIT;
	is_int(gf_cleanup_release_all(doc, &report, &err), -1, "release all: "
	    "the first error is returned");
	is_int(err.exit, GF_EXIT_USAGE, "... the last entry's (released "
	    "first): an unknown provider");
	is_int(json_array_size(report), 4, "release all: every entry "
	    "reported");
	is_str(json_string_value(json_object_get(json_array_get(report, 0),
	    "kind")), "machine", "release all: last acquired, first "
	    "released");
	ok(json_object_get(json_array_get(report, 1), "result") != NULL,
	    "release all: the local provider's entry is released");
	ok(json_object_get(json_array_get(report, 2), "error") != NULL,
	    "release all: an entry without provider is an error");
	ok(json_object_get(json_array_get(report, 3), "result") != NULL,
	    "release all: the stack after the errors still released");
	ok(json_object_get(json_array_get(json_object_get(doc, "cleanup"), 0),
	    "released") != NULL, "release all: marks entries released");
	ok(json_object_get(json_array_get(json_object_get(doc, "cleanup"), 1),
	    "released") == NULL, "release all: not the failed ones");
	json_decref(report);
	json_decref(doc);
	gf_fs_remove_tree(root, &err);
	return done_testing();
}
