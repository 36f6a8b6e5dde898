/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf-train: train Kepler-compatible power models. The training set comes
 * from a preprocessed CSV (kepler-model-db's layout), from
 * kepler-model-server's raw query output, or from Prometheus for the
 * document's windows; features are extracted and idle power isolated as
 * upstream does; every trainer is scored on a hold-out (a time block by
 * default) and by blocked cross-validation on the training part, which
 * alone picks the best model. Writes the model-db tree (weight JSON, model
 * zips, metadata, preprocessed data) and the "train" section.
 */
#include <string.h>

#include <jansson.h>

#include "gf_doc.h"
#include "gf_log.h"
#include "gf_tool.h"
#include "gf_trainrun.h"
#include "gf_section.h"
#include "gf_banned.h"

static const char *const extractors[] = { "default", "smooth", NULL };
static const char *const isolators[] = { "none", "min", "profile",
	"trainer", NULL };
static const char *const cv_methods[] = { "blocked", "forward", NULL };
static const char *const select_rules[] = { "1se", "min", NULL };

static const struct gf_opt opts[] = {
	GF_OPT_INPUT, GF_OPT_CONFIG, GF_OPT_HELP, GF_OPT_VERSION,
	/* The input: one of three, given for this run only. */
	{ .name = "from-csv", .letter = 'f', .kind = GF_OPT_STRING,
	  .arg = "FILE", .help = "preprocessed table (kepler-model-db)",
	  .flags = GF_OPT_CLI },
	{ .name = "from-query", .letter = 'q', .kind = GF_OPT_STRING,
	  .arg = "FILE", .help = "kepler-model-server query output",
	  .flags = GF_OPT_CLI },
	{ .name = "prometheus", .letter = 'p', .kind = GF_OPT_STRING,
	  .arg = "URL", .help = "query Prometheus for the windows",
	  .env = "GF_PROMETHEUS_URL", .doc = GF_DOC_STACK_PROMETHEUS_URL },
	{ .name = "start", .letter = 's', .kind = GF_OPT_TIME, .arg = "TIME",
	  .help = "one window instead of the document's: its start",
	  .flags = GF_OPT_CLI },
	{ .name = "end", .letter = 'e', .kind = GF_OPT_TIME, .arg = "TIME",
	  .help = "and its end", .flags = GF_OPT_CLI },
	{ .name = "windows", .letter = 'w', .kind = GF_OPT_STRING,
	  .arg = "NAMES", .help = "only these document windows" },
	{ .name = "step", .letter = 'Z', .kind = GF_OPT_DURATION,
	  .arg = "DURATION", .help = "query step (the profile's, 3s)" },
	{ .name = "timeout", .kind = GF_OPT_DURATION, .arg = "DURATION",
	  .help = "per request to Prometheus (30s)" },
	{ .name = "profile", .kind = GF_OPT_STRING, .arg = "NAME|FILE",
	  .help = "metric profile", .env = "GF_TRAIN_PROFILE",
	  .def = "kepler-0.7" },
	/* What to train. */
	{ .name = "energy-source", .letter = 'E', .kind = GF_OPT_STRING,
	  .arg = "LIST", .help = "rapl-sysfs,acpi,..." },
	{ .name = "feature-group", .letter = 'g', .kind = GF_OPT_STRING,
	  .arg = "LIST", .help = "CounterOnly,... or all" },
	{ .name = "output-type", .letter = 'O', .kind = GF_OPT_STRING,
	  .arg = "LIST", .help = "AbsPower,DynPower (AbsPower)" },
	{ .name = "trainers", .letter = 't', .kind = GF_OPT_STRING,
	  .arg = "LIST", .help = "trainer names or all", .def = "all" },
	{ .name = "thirdparty-metrics", .kind = GF_OPT_STRING, .arg = "LIST",
	  .help = "ThirdParty features", .env = "THIRDPARTY_METRICS" },
	/* Extraction and isolation. */
	{ .name = "extractor", .letter = 'x', .kind = GF_OPT_STRING,
	  .arg = "NAME", .help = "default | smooth",
	  .choices = extractors },
	{ .name = "isolator", .letter = 'I', .kind = GF_OPT_STRING,
	  .arg = "NAME", .help = "none | min | profile | trainer",
	  .def = "min", .choices = isolators },
	{ .name = "idle", .kind = GF_OPT_STRING, .arg = "FILE",
	  .help = "idle query output (isolator profile)" },
	{ .name = "abs-models", .kind = GF_OPT_STRING, .arg = "DIR",
	  .help = "AbsPower pipeline (isolator trainer)" },
	{ .name = "target-hints", .kind = GF_OPT_STRING, .arg = "LIST",
	  .help = "target containers (stress)" },
	{ .name = "node-type", .kind = GF_OPT_INT, .arg = "N",
	  .help = "node type index", .min = 0, .max = 1000000 },
	/* Scoring and selection. */
	{ .name = "split", .kind = GF_OPT_STRING, .arg = "SPEC",
	  .help = "tail:F | random:F", .def = "tail:0.2" },
	{ .name = "cv-folds", .kind = GF_OPT_INT, .arg = "K",
	  .help = "cross-validation folds", .def = "5", .min = 2,
	  .max = 100 },
	{ .name = "cv-method", .kind = GF_OPT_STRING, .arg = "NAME",
	  .help = "blocked | forward", .def = "blocked",
	  .choices = cv_methods },
	{ .name = "select", .kind = GF_OPT_STRING, .arg = "RULE",
	  .help = "best model: 1se | min", .def = "1se",
	  .choices = select_rules },
	{ .name = "seed", .kind = GF_OPT_INT, .arg = "N",
	  .help = "seed of every random choice", .def = "0", .min = 0,
	  .max = 4294967295.0 },
	{ .name = "threads", .letter = 'j', .kind = GF_OPT_INT, .arg = "N",
	  .help = "parallel fits (online CPUs)", .min = 1, .max = 1024 },
	/* The tree. */
	{ .name = "out", .letter = 'o', .kind = GF_OPT_STRING, .arg = "DIR",
	  .help = "where the pipeline tree goes", .env = "GF_TRAIN_OUT",
	  .def = "gf-models" },
	{ .name = "pipeline-name", .kind = GF_OPT_STRING, .arg = "NAME",
	  .help = "model-db pipeline", .def = "gf" },
	{ .name = "extract-only", .letter = 'X', .kind = GF_OPT_FLAG,
	  .help = "write preprocessed data only" },
};

static const struct gf_cli cli = {
	.name = "gf-train",
	.synopsis = "[-hVX] [-c file] [-i file] [-o dir] "
	    "[-f csv | -q file | -p url] [-E sources] [-g groups] [-O types] "
	    "[-t trainers] [option ...]",
	.opts = opts, .nopts = GF_ARRAY_LEN(opts),
	.footer = "Times: unix seconds or RFC 3339; durations: 90s, 15m, 2h. "
	    "See gf-train(1).",
};

/* The run's notes, on stderr. */
static void
say(int warn, const char *msg, void *arg)
{
	(void)arg;
	if (warn)
		gf_warn("%s", msg);
	else
		gf_info("%s", msg);
}

/*
 * The run's settings, from the table's. The output type alone has a
 * default that depends on another setting: a table named as a DynPower
 * one trains DynPower.
 */
static void
run_opts(const struct gf_settings *set, struct gf_trainrun_opts *ro)
{
	static const char *const names[] = { "from-csv", "from-query",
		"prometheus", "start", "end", "windows", "step", "timeout",
		"profile", "energy-source", "feature-group", "output-type",
		"trainers", "thirdparty-metrics", "extractor", "isolator",
		"idle", "abs-models", "target-hints", "split", "cv-method",
		"select", "out", "pipeline-name" };
	const char **slots[] = { &ro->csv, &ro->query, &ro->prom, &ro->start,
		&ro->end, &ro->windows, &ro->step, &ro->timeout, &ro->profile,
		&ro->sources, &ro->groups, &ro->output_types, &ro->trainers,
		&ro->thirdparty, &ro->extractor, &ro->isolator, &ro->idle,
		&ro->abs_models, &ro->hints, &ro->split, &ro->cv_method,
		&ro->select, &ro->out, &ro->pipeline };
	_Static_assert(GF_ARRAY_LEN(names) == GF_ARRAY_LEN(slots),
	    "one field per setting");

	memset(ro, 0, sizeof(*ro));
	for (size_t i = 0; i < GF_ARRAY_LEN(names); i++)
		*slots[i] = gf_opt_str(set, names[i]);
	if (ro->output_types == NULL && gf_trainrun_dyn_table(ro->csv)) {
		ro->output_types = "DynPower";
		gf_info("%s: a DynPower table by its name: training DynPower "
		    "(--output-type to choose)", ro->csv);
	} else if (ro->output_types == NULL) {
		ro->output_types = "AbsPower";
	}
	ro->node_type = (int)gf_opt_num_or(set, "node-type", -1);
	ro->threads = (int)gf_opt_num_or(set, "threads", 0);
	ro->seed = (long long)gf_opt_num(set, "seed");
	ro->folds = (long long)gf_opt_num(set, "cv-folds");
	ro->extract_only = gf_opt_flag(set, "extract-only");
	ro->say = say;
	ro->group = gf_log_group_cb;
}

int
main(int argc, char *argv[])
{
	struct gf_trainrun_opts ro;
	struct gf_tool t;
	struct gf_err err = GF_ERR_INIT;
	const char *prom_source;
	json_t *sec;
	int failed;

	gf_tool_start(&t, &cli, argc, argv, 0);
	run_opts(&t.set, &ro);
	/*
	 * A URL from the environment, the document or the config file is
	 * the pipeline's Prometheus; a file given here wins over it.
	 */
	prom_source = gf_opt_source(&t.set, "prometheus");
	if ((ro.csv != NULL && ro.query != NULL) || ((ro.csv != NULL ||
	    ro.query != NULL) && prom_source != NULL &&
	    strcmp(prom_source, "--prometheus") == 0))
		gf_tool_usage_error(&t, "give one of --from-csv, --from-query, "
		    "--prometheus");
	sec = json_object();
	failed = gf_trainrun(&ro, t.doc, sec, &err) < 0;
	gf_doc_set(t.doc, "train", sec);
	return gf_tool_finish(&t, failed ? &err : NULL, NULL);
}
