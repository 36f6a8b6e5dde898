/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf_trainrun: a whole run from a CSV file (the section, the tree, the
 * notes and groups), extraction alone, the errors found before any data
 * is read and the one found after, and kepler-model-db's DynPower names.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "gf_fs.h"
#include "gf_trainrun.h"
#include "gf_xalloc.h"

static int notes, warnings, group_begins, group_ends, open_group;

static void
count_say(int warn, const char *msg, void *arg)
{
	(void)msg;
	(void)arg;
	if (warn)
		warnings++;
	else
		notes++;
}

static void
count_group(const char *title, void *arg)
{
	(void)arg;
	if (title != NULL) {
		group_begins++;
		open_group = 1;
	} else {
		group_ends++;
		open_group = 0;
	}
}

static void
test_dyn_table(void)
{
	ok(gf_trainrun_dyn_table("preprocess_dyn_default_min_acpi_Basic.csv"),
	    "dyn table: kepler-model-db's name");
	ok(gf_trainrun_dyn_table("a/b/preprocess_dyn_x.csv"),
	    "dyn table: in a directory");
	ok(!gf_trainrun_dyn_table("preprocess_abs_default_acpi_Basic.csv"),
	    "dyn table: not an abs one");
	ok(!gf_trainrun_dyn_table("preprocess_dyn_/abs.csv"),
	    "dyn table: the file's name decides, not a directory's");
	ok(!gf_trainrun_dyn_table("-") && !gf_trainrun_dyn_table(NULL),
	    "dyn table: not stdin, not none");
}

/* The settings gf-train's defaults give, on the CSV at path. */
static void
base_opts(struct gf_trainrun_opts *o, const char *path, const char *out)
{
	memset(o, 0, sizeof(*o));
	o->csv = path;
	o->profile = "kepler-0.7";
	o->sources = "rapl-sysfs";
	o->groups = "BPFOnly";
	o->output_types = "AbsPower";
	o->trainers = "LinearRegressionTrainer,KNeighborsRegressorTrainer";
	o->isolator = "min";
	o->node_type = -1;
	o->split = "tail:0.2";
	o->cv_method = "blocked";
	o->select = "1se";
	o->folds = 2;
	o->threads = 2;
	o->out = out;
	o->pipeline = "gf";
	o->say = count_say;
	o->group = count_group;
}

static json_t *
run(const struct gf_trainrun_opts *o, int *rc, struct gf_err *err)
{
	json_t *doc = json_object(), *sec = json_object();

	gf_err_clear(err);
	*rc = gf_trainrun(o, doc, sec, err);
	json_decref(doc);
	return sec;
}

static void
test_run(const char *path, const char *dir)
{
	struct gf_trainrun_opts o;
	struct gf_err err = GF_ERR_INIT;
	json_t *sec;
	char *p;
	int rc;

	base_opts(&o, path, dir);
	sec = run(&o, &rc, &err);
	is_int(rc, 0, "run: trains (%s)", err.msg);
	is_int((int)json_array_size(json_object_get(sec, "models")), 2,
	    "run: a model per trainer");
	is_int((int)json_array_size(json_object_get(sec, "best")), 2,
	    "run: a best model per component (package, dram)");
	is_int((int)json_array_size(json_object_get(sec, "datasets")), 1,
	    "run: one dataset");
	p = gf_xasprintf("%s/gf", dir);
	is_str(json_string_value(json_object_get(sec, "out")), p,
	    "run: the section says where the tree is");
	free(p);
	ok(json_is_array(json_object_get(sec, "skipped")) &&
	    json_array_size(json_object_get(sec, "skipped")) == 0,
	    "run: nothing skipped");
	is_int(notes, 4 + 2, "run: a note per model and component, and per "
	    "best");
	is_int(warnings, 0, "run: no warning");
	ok(group_begins == 1 && group_ends == 1 && !open_group,
	    "run: one group, closed");
	p = gf_xasprintf("%s/gf/metadata.json", dir);
	ok(gf_fs_exists(p), "run: the tree is written");
	free(p);
	json_decref(sec);

	base_opts(&o, path, dir);
	o.extract_only = 1;
	sec = run(&o, &rc, &err);
	is_int(rc, 0, "extract only: runs (%s)", err.msg);
	ok(json_object_get(sec, "models") == NULL &&
	    json_array_size(json_object_get(sec, "preprocessed")) == 1,
	    "extract only: the table, no model");
	json_decref(sec);

	base_opts(&o, path, dir);
	o.folds = 30;
	sec = run(&o, &rc, &err);
	ok(rc < 0 && err.exit == 65 && strstr(err.msg, "too short") != NULL,
	    "folds the training part cannot fill: 65 (%s)", err.msg);
	json_decref(sec);
}

static void
test_errors(const char *path)
{
	struct gf_trainrun_opts o;
	struct gf_err err = GF_ERR_INIT;
	json_t *sec;
	int rc;

	base_opts(&o, NULL, "unused");
	sec = run(&o, &rc, &err);
	ok(rc < 0 && err.exit == 64 && strstr(err.msg, "no input") != NULL,
	    "no input: 64 (%s)", err.msg);
	ok(json_is_array(json_object_get(sec, "skipped")),
	    "no input: the section still lists what was skipped");
	json_decref(sec);

	base_opts(&o, path, "unused");
	o.trainers = "NoSuchTrainer";
	sec = run(&o, &rc, &err);
	ok(rc < 0 && err.exit == 64 && strstr(err.msg, "NoSuchTrainer"),
	    "unknown trainer: 64 (%s)", err.msg);
	json_decref(sec);

	base_opts(&o, path, "unused");
	o.groups = ", ";
	sec = run(&o, &rc, &err);
	ok(rc < 0 && err.exit == 64 && strstr(err.msg, "no feature group"),
	    "no group in the list: 64 (%s)", err.msg);
	json_decref(sec);

	base_opts(&o, path, "unused");
	o.output_types = "DynPower";
	o.isolator = "trainer";
	sec = run(&o, &rc, &err);
	ok(rc < 0 && err.exit == 64 && strstr(err.msg, "--abs-models"),
	    "isolator trainer on a CSV: 64 (%s)", err.msg);
	json_decref(sec);
}

int
main(void)
{
	char path[] = "/tmp/gf-t-trainrun.XXXXXX";
	char dir[] = "/tmp/gf-t-trainrun-out.XXXXXX";
	struct gf_err err = GF_ERR_INIT;
	FILE *f;
	int fd = mkstemp(path);

	if (fd < 0 || (f = fdopen(fd, "w")) == NULL || mkdtemp(dir) == NULL) {
		diag("cannot create %s or %s", path, dir);
		return 1;
	}
	fprintf(f, "timestamp,bpf_cpu_time_ms,bpf_page_cache_hit,"
	    "package_power,dram_power,node_type\n");
	for (int r = 0; r < 60; r++)
		fprintf(f, "%d,%d,%d,%d,%d,1\n", 1000 + 3 * r, r * 7 % 13,
		    r % 5, 40 + r % 9, 5 + r % 3);
	fclose(f);
	test_dyn_table();
	test_run(path, dir);
	test_errors(path);
	unlink(path);
	if (gf_fs_remove_tree(dir, &err) < 0)
		diag("%s", err.msg);
	return done_testing();
}
