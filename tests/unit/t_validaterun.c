/* SPDX-License-Identifier: Apache-2.0 */
/* gf_validaterun: whole runs from a plain options struct, on recorded series. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "gf_checks.h"
#include "gf_err.h"
#include "gf_validaterun.h"

/* Actual 10 20 0 40 NaN 50, predicted 12 15 1 40 5: MAE 2, MAPE 15 %. */
static const char recorded[] =
    "{\"A\": {\"resultType\": \"matrix\", \"result\": [{\"metric\": {},\n"
    "  \"values\": [[100, \"10\"], [103, \"20\"], [106, \"0\"], "
    "[109, \"40\"], [112, \"NaN\"], [115, \"50\"]]}]},\n"
    " \"P\": {\"resultType\": \"matrix\", \"result\": [{\"metric\": {},\n"
    "  \"values\": [[100, \"12\"], [103, \"15\"], [106, \"1\"], "
    "[109, \"40\"], [112, \"5\"]]}]}}\n";

static const char checks[] =
    "validations:\n"
    "  - name: exact\n"
    "    actual: \"{a}\"\n"
    "    predicted: P\n"
    "    max_mape: 15\n"
    "  - name: strict\n"
    "    actual: A\n"
    "    predicted: P\n"
    "    max_mae: 1.99\n";

static int ninfo, ngroups, nwarn;

static void
count_info(const char *msg, void *arg)
{
	(void)msg;
	(void)arg;
	ninfo++;
}

static void
count_group(const char *title, void *arg)
{
	(void)arg;
	if (title != NULL)
		ngroups++;
}

static void
count_warn(const char *msg, void *arg)
{
	(void)msg;
	(void)arg;
	nwarn++;
}

static void
put(char *path, const char *text)
{
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fputs(text, f);
	fclose(f);
}

static void
test_checks(const char *rec, const char *yaml)
{
	struct gf_validate_opts o;
	struct gf_vars vars = GF_VARS_INIT;
	struct gf_err err = GF_ERR_INIT;
	json_t *doc = json_object(), *section = json_object(), *r;

	gf_validate_opts_init(&o);
	gf_vars_set(&vars, "a", "A");
	o.from_json = rec;
	o.step = "3s";
	o.start = 100;
	o.end = 120;
	o.checks = yaml;
	o.vars = &vars;
	o.info = count_info;
	o.group = count_group;
	o.warn = count_warn;
	is_int(gf_validate_run(&o, doc, section, &err), 1,
	    "one check fails: 1 (%s)", err.msg);
	is_int(err.exit, 1, "exit 1");
	ok(strstr(err.msg, "1 of 2 checks failed; first: 'strict'") != NULL,
	    "message names the first failure (%s)", err.msg);
	r = json_array_get(json_object_get(section, "results"), 0);
	is_near(json_number_value(json_object_get(r, "mae")), 2, 0, "MAE");
	is_near(json_number_value(json_object_get(r, "mape")), 15, 0, "MAPE");
	is_str(json_string_value(json_object_get(r, "verdict")), "PASS",
	    "first check passes");
	is_str(json_string_value(json_object_get(section, "tag")), "validate",
	    "tag without a run id");
	is_str(json_string_value(json_object_get(section, "checks_file")),
	    yaml, "checks file recorded");
	is_int(ninfo, 2, "one info line per check");
	is_int(ngroups, 1, "one group");
	is_int(nwarn, 0, "no warnings");
	json_decref(section);

	/* Without a range, the document's windows, one score each. */
	section = json_object();
	gf_err_clear(&err);
	o.start = o.end = NAN;
	is_int(gf_validate_run(&o, doc, section, &err), -1, "no windows");
	is_int(err.exit, 64, "no range is a usage error");
	json_decref(section);
	json_object_set_new(doc, "windows", json_pack("[{s:s, s:i, s:i}, "
	    "{s:s, s:i, s:i}]", "name", "a", "start", 100, "end", 106, "name",
	    "b", "start", 106, "end", 120));
	json_object_set_new(doc, "run", json_pack("{s:s}", "id", "run-1"));
	section = json_object();
	gf_err_clear(&err);
	gf_validate_run(&o, doc, section, &err);
	r = json_array_get(json_object_get(section, "results"), 0);
	is_int(json_array_size(json_object_get(r, "windows")), 2,
	    "per-window results");
	is_str(json_string_value(json_object_get(section, "tag")), "run-1",
	    "tag from the run id");
	json_decref(section);

	section = json_object();
	gf_err_clear(&err);
	o.step = "0s";
	is_int(gf_validate_run(&o, doc, section, &err), -1, "step 0");
	ok(err.exit == 64 && json_is_array(json_object_get(section,
	    "results")), "64, and the section has its results (%s)", err.msg);
	json_decref(section);
	gf_vars_release(&vars);
	json_decref(doc);
}

static void
test_gate(const char *rec)
{
	struct gf_validate_opts o;
	struct gf_err err = GF_ERR_INIT;
	json_t *doc = json_object(), *section = json_object(), *g;

	gf_validate_opts_init(&o);
	o.from_json = rec;
	o.start = 100;
	o.end = 110;
	o.gate = "A";
	o.threshold = "45";
	is_int(gf_validate_run(&o, doc, section, &err), 1, "gate trips");
	is_str(err.msg, "gate tripped: A < 45", "the gate's message");
	g = json_object_get(section, "gate");
	is_near(json_number_value(json_object_get(g, "value")), 40, 0,
	    "last value at or before the end");
	json_decref(section);

	section = json_object();
	gf_err_clear(&err);
	o.threshold = NULL;
	is_int(gf_validate_run(&o, doc, section, &err), -1, "no threshold");
	is_int(err.exit, 64, "a usage error");
	json_decref(section);

	section = json_object();
	gf_err_clear(&err);
	o.from_json = NULL;
	is_int(gf_validate_run(&o, doc, section, &err), -1, "no source");
	is_int(err.exit, 78, "a configuration error");
	json_decref(section);
	json_decref(doc);
}

int
main(void)
{
	char rec[] = "/tmp/t_validaterun.XXXXXX";
	char yaml[] = "/tmp/t_validaterun.XXXXXX";

	put(rec, recorded);
	put(yaml, checks);
	test_checks(rec, yaml);
	test_gate(rec);
	unlink(rec);
	unlink(yaml);
	return done_testing();
}
