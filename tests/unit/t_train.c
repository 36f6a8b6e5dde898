/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf_train: training sets from tables (columns, legacy names, the
 * errors gf-train reports) and the parallel runner (results that do not
 * depend on the number of threads); gf_trainset: a run's sets from a CSV
 * file (what is skipped and why, one set asked for, the node type).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "gf_buf.h"
#include "gf_train.h"
#include "gf_trainset.h"
#include "gf_xalloc.h"

static const char *const rapl[] = { "package", "core", "uncore", "dram" };
static const char *const want[] = { "bpf_cpu_time_ms", "cpu_cycles",
	"cpu_instructions" };

static int
table(const char *text, struct gf_csv *t)
{
	struct gf_err err = GF_ERR_INIT;

	return gf_csv_parse(text, strlen(text), "t.csv", t, &err);
}

static int
from_text(const char *text, struct gf_dataset *ds, struct gf_err *err)
{
	struct gf_csv t = GF_CSV_INIT;
	int rc;

	if (table(text, &t) < 0) {
		diag("bad test table");
		exit(1);
	}
	ds->source = gf_xstrdup("rapl-sysfs");
	ds->otype = gf_xstrdup("AbsPower");
	ds->group = gf_xstrdup("BPFOnly");
	rc = gf_dataset_from_table(ds, &t, want, 3, rapl, 4, "t.csv", err);
	gf_csv_release(&t);
	return rc;
}

static void
test_dataset(void)
{
	struct gf_dataset ds = GF_DATASET_INIT;
	struct gf_err err = GF_ERR_INIT;

	/* bpf_cpu_time_us is the old name, in us: rescaled to ms. */
	is_int(from_text("timestamp,bpf_cpu_time_us,cpu_cycles,"
	    "package_power,dram_power,node_type\n"
	    "10,1000,5,40,4,3\n11,2000,5,41,4.5,3\n12,3000,5,43,5,3\n", &ds,
	    &err), 0,
	    "a table with a legacy column and two components");
	is_int((int)ds.nfeat, 2, "the two features present");
	ok(ds.nfeat == 2 && strcmp(ds.features[0], "bpf_cpu_time_ms") == 0,
	    "under their current names");
	ok(fabs(ds.X[2] - 2) < 1e-12, "legacy us values in ms");
	ok(ds.ncomp == 2 && strcmp(ds.comps[0], "package") == 0 &&
	    strcmp(ds.comps[1], "dram") == 0, "components in source order");
	ok(ds.Y[5] == 5.0, "Y row-major by component");
	ok(ds.ts != NULL && ds.ts[2] == 12, "timestamps kept");
	is_int(ds.node_type, 3, "node type from the table");
	{
		/* Found by fuzzing: node_type was cast to int unchecked. */
		struct gf_dataset bad = GF_DATASET_INIT;

		ok(from_text("timestamp,bpf_cpu_time_us,cpu_cycles,"
		    "package_power,dram_power,node_type\n"
		    "10,1000,5,40,4,x\n11,2000,6,41,4.5,x\n", &bad,
		    &err) < 0 && err.exit == 65 && strstr(err.msg,
		    "node_type is not a node type") != NULL,
		    "a node_type that is no number is refused: %s", err.msg);
		gf_dataset_release(&bad);
		/* Text in the timestamp column reads as NaN: no time. */
		ok(from_text("timestamp,bpf_cpu_time_us,cpu_cycles,"
		    "package_power,dram_power\n"
		    "x,1000,5,40,4\ny,2000,6,41,4.5\n", &bad,
		    &err) < 0 && err.exit == 65 && strstr(err.msg,
		    "row 2: timestamp is not a time") != NULL,
		    "a timestamp that is no time is refused: %s", err.msg);
		gf_dataset_release(&bad);
	}
	ok(json_array_size(ds.missing) == 1 && strcmp(json_string_value(
	    json_array_get(ds.missing, 0)), "cpu_instructions") == 0,
	    "the missing feature listed");
	ok(json_array_size(ds.constant) == 1 && strcmp(json_string_value(
	    json_array_get(ds.constant, 0)), "cpu_cycles") == 0,
	    "the constant feature listed");
	gf_dataset_release(&ds);

	ok(from_text("timestamp,cpu_instructions,package_power\n"
	    "2,1,40\n1,2,41\n", &ds, &err) == -1 && err.exit == 65 &&
	    strstr(err.msg, "row 3: timestamp does not increase") != NULL,
	    "timestamps out of order: 65 naming the row (%s)", err.msg);
	gf_dataset_release(&ds);
	ok(from_text("timestamp,other,package_power\n1,1,40\n2,2,41\n", &ds,
	    &err) == -1 && err.exit == 65 && strstr(err.msg,
	    "no column of feature group BPFOnly") != NULL,
	    "no feature column: 65 naming the group (%s)", err.msg);
	gf_dataset_release(&ds);
	ok(from_text("timestamp,cpu_cycles,platform_power\n1,1,40\n2,2,41\n",
	    &ds, &err) == -1 && err.exit == 65 && strstr(err.msg,
	    "no column 'package_power'") != NULL,
	    "no power column: 65 naming it (%s)", err.msg);
	gf_dataset_release(&ds);
	ok(from_text("cpu_cycles,package_power\n7,40\n7,41\n7,42\n", &ds,
	    &err) == -1 && err.exit == 65 && strstr(err.msg,
	    "every feature of group BPFOnly is constant") != NULL,
	    "every feature constant: 65 (%s)", err.msg);
	gf_dataset_release(&ds);
}

static void
count_done(const struct gf_train_task *t, size_t ndone, size_t ntasks,
    void *arg)
{
	size_t *calls = arg;

	(void)t;
	(void)ntasks;
	if (ndone > *calls)
		*calls = ndone;
}

/* Every trainer on both components, with the given thread count. */
static struct gf_train_task *
run(const struct gf_dataset *ds, const struct gf_split *sp, int threads,
    size_t *n, size_t *calls)
{
	size_t nt;
	const char *const *tr = gf_model_trainers(&nt);
	struct gf_train_task *tasks = gf_xcalloc(nt * ds->ncomp,
	    sizeof(*tasks));
	struct gf_train_opts o = { 1, 3, 0, threads, count_done, calls, NULL };

	*n = 0;
	for (size_t i = 0; i < nt; i++)
		for (size_t c = 0; c < ds->ncomp; c++) {
			tasks[*n].ds = ds;
			tasks[*n].trainer = tr[i];
			tasks[(*n)++].comp = c;
		}
	*calls = 0;
	gf_train_run(tasks, *n, sp, &o);
	return tasks;
}

static void
test_run(void)
{
	struct gf_dataset ds = GF_DATASET_INIT;
	struct gf_err err = GF_ERR_INIT;
	struct gf_split sp = GF_SPLIT_INIT;
	struct gf_buf b = GF_BUF_INIT;
	struct gf_train_task *one, *two;
	size_t n1, n2, calls1, calls2;
	int same = 1, all_ok = 1;

	/*
	 * dram follows the curve fits' feature (bpf_cpu_time_ms) too: a
	 * target unrelated to it leaves a logarithmic curve's slope
	 * unidentified, and whether such a fit converges is down to rounding.
	 */
	gf_buf_adds(&b, "timestamp,bpf_cpu_time_ms,cpu_cycles,"
	    "cpu_instructions,package_power,dram_power\n");
	for (int r = 0; r < 300; r++) {
		double u = (r * 37 % 101) / 100.0, v = (r * 53 % 89) / 88.0;

		gf_buf_addf(&b, "%d,%g,%g,%g,%g,%g\n", 1000 + r, 1000 * u,
		    2e9 * v, 3e9 * (u + v), 30 + 50 * u + 10 * v * v,
		    5 + 3 * v + 2 * u);
	}
	if (from_text(gf_buf_str(&b), &ds, &err) < 0) {
		diag("%s", err.msg);
		exit(1);
	}
	gf_buf_release(&b);
	gf_split_tail(ds.rows, 0.2, &sp, &err);
	one = run(&ds, &sp, 1, &n1, &calls1);
	two = run(&ds, &sp, 2, &n2, &calls2);
	is_int((int)calls1, (int)n1, "one thread: every task reported done");
	is_int((int)calls2, (int)n2, "two threads: every task reported done");
	for (size_t i = 0; i < n1; i++) {
		if (one[i].failed || two[i].failed) {
			diag("%s %s: %s", one[i].trainer,
			    ds.comps[one[i].comp], one[i].err.msg);
			all_ok = 0;
			continue;
		}
		if (one[i].test.mae != two[i].test.mae ||
		    one[i].cv.mae != two[i].cv.mae) {
			diag("%s %s: %.17g/%.17g vs %.17g/%.17g",
			    one[i].trainer, ds.comps[one[i].comp],
			    one[i].test.mae, one[i].cv.mae, two[i].test.mae,
			    two[i].cv.mae);
			same = 0;
		}
	}
	ok(all_ok, "every trainer fits both components");
	ok(same, "the same scores with one thread and with two");
	ok(one[0].model != NULL && one[0].cv.n == sp.ntrain,
	    "the fit's model kept, cv scored over the whole training part");
	ok(isfinite(one[0].cv_se) && one[0].cv_se > 0 &&
	    one[0].cv_se == two[0].cv_se,
	    "the folds' MAE spread is reported: %g", one[0].cv_se);
	{
		/* one[0..ncomp): the first trainer on both components. */
		json_t *m = gf_train_model_json(one, "tail:0.2", "blocked-cv:5");
		json_t *pkg = json_object_get(json_object_get(m, "components"),
		    "package");
		json_t *test = json_object_get(pkg, "test");

		is_str(json_string_value(json_object_get(m, "trainer")),
		    one[0].trainer, "model entry: its trainer");
		ok(json_object_size(json_object_get(m, "components")) == 2 &&
		    json_real_value(json_object_get(test, "mae")) ==
		    one[0].test.mae, "model entry: each component's scores");
		is_str(json_string_value(json_object_get(test, "split")),
		    "tail:0.2", "model entry: the split named beside them");
		is_str(json_string_value(json_object_get(json_object_get(pkg,
		    "cv"), "split")), "blocked-cv:5",
		    "model entry: and the cross-validation");
		json_decref(m);
	}
	gf_train_tasks_release(one, n1);
	gf_train_tasks_release(two, n2);
	ok(one[0].model == NULL, "models released");
	free(one);
	free(two);
	gf_split_release(&sp);
	gf_dataset_release(&ds);
}

static void
test_complexity(void)
{
	size_t n;
	const char *const *tr = gf_model_trainers(&n);
	unsigned seen = 0;

	for (size_t i = 0; i < n; i++) {
		int r = gf_model_trainer_complexity(tr[i]);

		if (r >= 0 && r < (int)n)
			seen |= 1u << r;
	}
	ok(seen == (1u << n) - 1, "every trainer has its own complexity rank");
	is_int(gf_model_trainer_complexity("LinearRegressionTrainer"), 0,
	    "linear regression is the simplest");
	is_int(gf_model_trainer_complexity("XgboostFitTrainer"), (int)n - 1,
	    "XGBoost the most flexible");
	is_int(gf_model_trainer_complexity("NoSuchTrainer"), -1,
	    "an unknown trainer has none");
}

/* The selection rules on made-up scores: nothing is trained. */
static void
test_select(void)
{
	struct gf_dataset a = GF_DATASET_INIT, b = GF_DATASET_INIT;
	struct gf_train_task t[6];
	const struct gf_train_task *low, *best;
	static const char *const names[] = { "XgboostFitTrainer",
		"LinearRegressionTrainer", "SVRRegressorTrainer",
		"KNeighborsRegressorTrainer", "LinearRegressionTrainer",
		"GradientBoostingRegressorTrainer" };
	static const double mae[] = { 10.0, 10.8, 10.5, 12.0, 1.0, 2.0 };

	memset(t, 0, sizeof(t));
	for (size_t i = 0; i < 6; i++) {
		t[i].ds = i < 4 ? &a : &b;
		t[i].trainer = names[i];
		t[i].cv.mae = mae[i];
		t[i].cv_se = 1.0;
	}
	best = gf_train_select(t, 6, &t[2], 0, &low);
	ok(best == &t[0] && low == &t[0],
	    "min: the lowest CV MAE on that dataset and component");
	best = gf_train_select(t, 6, &t[2], 1, &low);
	ok(best == &t[1] && low == &t[0],
	    "1se: the simplest within one standard error of the lowest");
	t[0].cv_se = 0.6;
	best = gf_train_select(t, 6, &t[2], 1, &low);
	ok(best == &t[2], "1se: a smaller spread leaves fewer in reach");
	t[0].cv_se = NAN;
	best = gf_train_select(t, 6, &t[2], 1, &low);
	ok(best == &t[0], "1se without a spread (one fold) is min");
	t[0].failed = 1;
	best = gf_train_select(t, 6, &t[3], 1, &low);
	ok(low == &t[2] && best == &t[1],
	    "a failed task is never chosen, nor the lowest");
	t[3].comp = 1;
	best = gf_train_select(t, 6, &t[3], 0, &low);
	ok(best == &t[3], "another component is another choice");
	best = gf_train_select(t, 6, &t[4], 1, &low);
	ok(best == &t[4] && low == &t[4], "and so is another dataset");
	t[4].failed = t[5].failed = 1;
	ok(gf_train_select(t, 6, &t[4], 1, &low) == NULL && low == NULL,
	    "NULL when every task failed");
}

static int warnings;
static char last_warning[512];

static void
collect(int warn, const char *msg, void *arg)
{
	(void)arg;
	if (!warn)
		return;
	warnings++;
	snprintf(last_warning, sizeof(last_warning), "%s", msg);
}

static void
test_trainset(void)
{
	static const char *const sources[] = { "rapl-sysfs", NULL };
	static const char *const otypes[] = { "AbsPower", NULL };
	static const char *const two[] = { "BPFOnly", "KubeletOnly", NULL };
	static const char *const kubelet[] = { "KubeletOnly", NULL };
	char path[] = "/tmp/gf-t-trainset.XXXXXX";
	struct gf_profile prof;
	struct gf_trainset s = GF_TRAINSET_INIT;
	struct gf_err err = GF_ERR_INIT;
	FILE *f;
	int fd = mkstemp(path);

	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		diag("cannot create %s", path);
		exit(1);
	}
	fprintf(f, "timestamp,bpf_cpu_time_ms,bpf_page_cache_hit,"
	    "package_power,dram_power,node_type\n");
	for (int r = 0; r < 50; r++)
		fprintf(f, "%d,%d,%d,%d,%d,1\n", 1000 + 3 * r, r * 7 % 13,
		    r % 5, 40 + r % 9, 5 + r % 3);
	fclose(f);
	memset(&prof, 0, sizeof(prof));
	prof.name = gf_xstrdup("csv");

	struct gf_trainset_req q = { .csv = path, .prof = &prof,
		.sources = sources, .otypes = otypes, .groups = two,
		.isolator = "min", .node_type = -1, .say = collect };

	ok(gf_trainset_load(&q, &s, &err) == 0, "trainset: loads (%s)",
	    err.msg);
	is_int((int)s.nds, 1, "trainset: one set has its columns");
	ok(s.nds == 1 && strcmp(s.ds[0].group, "BPFOnly") == 0 &&
	    s.ds[0].rows == 50, "trainset: the BPFOnly set, every row");
	is_int((int)json_array_size(s.skipped), 1,
	    "trainset: the other is skipped");
	is_str(json_string_value(json_object_get(json_array_get(s.skipped, 0),
	    "feature_group")), "KubeletOnly", "trainset: skipped names its set");
	ok(warnings == 1 && strstr(last_warning, "skipping rapl-sysfs "
	    "AbsPower KubeletOnly") != NULL, "trainset: and says so (%s)",
	    last_warning);
	ok(s.nds == 1 && s.ds[0].same_as != NULL &&
	    s.ds[0].same_st == &s.csv_st, "trainset: the file is the table");
	gf_trainset_release(&s);

	q.groups = kubelet;
	q.explicit_one = 1;
	ok(gf_trainset_load(&q, &s, &err) < 0 && err.exit == 65 &&
	    strstr(err.msg, path) != NULL,
	    "trainset: the one set asked for is an error (%s)", err.msg);
	is_int((int)s.nds, 0, "trainset: nothing loaded");
	gf_trainset_release(&s);

	q.groups = two;
	q.explicit_one = 0;
	q.node_type = 7;
	q.say = NULL;
	ok(gf_trainset_load(&q, &s, &err) == 0 && s.nds == 1 &&
	    s.ds[0].node_type == 7, "trainset: node type as asked");
	gf_trainset_release(&s);

	q.csv = "/nonexistent/t.csv";
	ok(gf_trainset_load(&q, &s, &err) < 0 && err.exit == 66,
	    "trainset: a missing file is 66 (%s)", err.msg);
	gf_trainset_release(&s);
	free(prof.name);
	unlink(path);
}

int
main(void)
{
	test_complexity();
	test_dataset();
	test_run();
	test_select();
	test_trainset();
	return done_testing();
}
