/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf_snapshot: a run's windows as merged time ranges, and a malformed
 * window refused.
 */
#include <stdlib.h>

#include <jansson.h>

#include "gf_doc.h"
#include "gf_window.h"
#include "gf_snapshot.h"
#include "tap.h"

int
main(void)
{
	struct gf_err err = GF_ERR_INIT;
	struct gf_snapshot_span *s = NULL;
	size_t n = 99;
	json_t *doc = json_object();

	ok(gf_snapshot_windows(doc, NAN, NAN, &s, &n, &err) < 0 &&
	    err.exit == 64 && s == NULL, "no windows: 64 (%s)", err.msg);
	ok(gf_snapshot_windows(doc, 100, 200, &s, &n, &err) == 0 && n == 1 &&
	    s[0].start == 100 && s[0].end == 200, "--start/--end: one range");
	free(s);
	gf_window_add(doc, "late", 300, 400, NULL);
	gf_window_add(doc, "first", 100, 150, NULL);
	gf_window_add(doc, "overlap", 140, 200, NULL);
	gf_window_add(doc, "touch", 200, 210, NULL);
	is_int(gf_snapshot_windows(doc, NAN, NAN, &s, &n, &err), 0, "windows (%s)",
	    err.msg);
	is_int((int)n, 2, "overlapping and touching windows merged");
	ok(n == 2 && s[0].start == 100 && s[0].end == 210 &&
	    s[1].start == 300 && s[1].end == 400, "sorted, merged ranges");
	free(s);
	json_decref(doc);
	doc = json_loads("{\"windows\": [{\"name\": \"w\", \"start\": \"x\"}]}",
	    0, NULL);
	ok(gf_snapshot_windows(doc, NAN, NAN, &s, &n, &err) < 0 && err.exit == 65 &&
	    s == NULL, "a malformed window: 65 (%s)", err.msg);
	json_decref(doc);
	return done_testing();
}
