/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of gf_window: the ranges every tool reads the same way. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "gf_err.h"
#include "gf_parse.h"
#include "gf_window.h"
#include "tap.h"

static json_t *
doc_with(const char *windows)
{
	json_error_t jerr;
	char text[1024];

	snprintf(text, sizeof(text), "{\"windows\": %s}", windows);
	return json_loads(text, 0, &jerr);
}

int
main(void)
{
	struct gf_err err = GF_ERR_INIT;
	struct gf_windows ws;
	const char *const only[] = { "b", "c", NULL };
	json_t *doc = doc_with("[{\"name\": \"a\", \"start\": 100, \"end\": 110},"
	    " {\"name\": \"c\", \"start\": 300, \"end\": 310},"
	    " {\"name\": \"b\", \"start\": 110, \"end\": 120}]");
	json_t *bad;

	ok(gf_windows_select(doc, NAN, NAN, NULL, &ws, &err) == 0 &&
	    ws.n == 3 && strcmp(ws.w[1].name, "c") == 0,
	    "the document's windows, in its order");
	gf_windows_merge(&ws, 0);
	ok(ws.n == 2 && ws.w[0].start == 100 && ws.w[0].end == 120 &&
	    strcmp(ws.w[0].name, "a") == 0 && ws.w[1].start == 300,
	    "touching windows merge; the first's name stays");
	gf_windows_release(&ws);
	ok(gf_windows_select(doc, NAN, NAN, NULL, &ws, &err) == 0, "again");
	gf_windows_merge(&ws, 200);
	ok(ws.n == 1 && ws.w[0].end == 310, "a gap of up to 200 s merges");
	gf_windows_release(&ws);
	ok(gf_windows_select(doc, NAN, NAN, only, &ws, &err) == 0 &&
	    ws.n == 2 && strcmp(ws.w[0].name, "c") == 0 &&
	    strcmp(ws.w[1].name, "b") == 0, "only the windows named");
	gf_windows_release(&ws);

	ok(gf_windows_select(doc, 50, 60, NULL, &ws, &err) == 0 && ws.n == 1 &&
	    ws.w[0].start == 50 && ws.w[0].end == 60 &&
	    strcmp(ws.w[0].name, "all") == 0, "--start/--end win over windows");
	gf_windows_release(&ws);
	ok(gf_windows_select(doc, 50, NAN, NULL, &ws, &err) == 0 &&
	    ws.n == 1 && fabs(ws.w[0].end - gf_time_now()) < 60,
	    "--start alone: until now");
	gf_windows_release(&ws);
	ok(gf_windows_select(doc, NAN, 60, NULL, &ws, &err) < 0 &&
	    err.exit == 64 && strcmp(err.msg, "--end needs --start") == 0,
	    "--end alone is 64: %s", err.msg);
	ok(gf_windows_select(doc, 60, 60, NULL, &ws, &err) < 0 &&
	    err.exit == 64 && strstr(err.msg, "after --start") != NULL,
	    "--end not after --start is 64");

	bad = doc_with("[]");
	ok(gf_windows_select(bad, NAN, NAN, NULL, &ws, &err) < 0 &&
	    err.exit == 64 && strstr(err.msg, "no time range") != NULL &&
	    strstr(err.msg, "matching") == NULL, "no windows: 64, %s",
	    err.msg);
	json_decref(bad);
	ok(gf_windows_select(doc, NAN, NAN, (const char *const[]){ "x",
	    NULL }, &ws, &err) < 0 && err.exit == 64 &&
	    strstr(err.msg, "no matching windows") != NULL,
	    "none of those named: 64, %s", err.msg);
	bad = doc_with("[{\"name\": \"a\", \"start\": 100, \"end\": 110},"
	    " {\"name\": \"z\", \"start\": \"soon\", \"end\": 1}]");
	ok(gf_windows_select(bad, NAN, NAN, NULL, &ws, &err) < 0 &&
	    err.exit == 65 && strstr(err.msg, "windows[1].start") != NULL,
	    "a malformed window is 65 naming the field: %s", err.msg);
	json_decref(bad);
	bad = doc_with("[{\"name\": \"a\", \"start\": 100, \"end\": 90}]");
	ok(gf_windows_select(bad, NAN, NAN, NULL, &ws, &err) < 0 &&
	    err.exit == 65 && strstr(err.msg, "end is before start") != NULL,
	    "an end before its start is 65");
	json_decref(bad);

	gf_window_add(doc, "d", 500, 501, NULL);
	is_int(gf_window_count(doc), 4, "a window added");
	json_decref(doc);
	printf("1..%d\n", tap_run);
	return tap_failed != 0;
}
