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
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_doc.h"
#include "gf_log.h"
#include "gf_parse.h"
#include "gf_tool.h"
#include "gf_trainrun.h"
#include "gf_yaml.h"
#include "gf_banned.h"

enum { OPT_TIMEOUT = 256, OPT_SELECT };	/* long-only options */

struct opts {
	const char *input, *config, *out, *pipeline, *csv, *query, *prom;
	const char *start, *end, *step, *profile, *sources, *groups;
	const char *output_types, *extractor, *isolator, *idle, *trainers;
	const char *split, *thirdparty, *windows, *abs_models, *hints;
	const char *cv_method, *timeout, *select;
	long long seed, folds, node_type, threads;
	int extract_only, seed_set, folds_set, node_type_set, threads_set;
};

static void GF_NORETURN
usage(void)
{
	fprintf(stderr, "usage: gf-train [-hVX] [-c file] [-i file] [-o dir] "
	    "[-f csv | -q file | -p url]\n"
	    "                [-E sources] [-g groups] [-O types] [-t trainers] "
	    "[-S split]\n");
	exit(GF_EXIT_USAGE);
}

static void
help(void)
{
	printf("usage: gf-train [-hVX] [-c file] [-i file] [-o dir] "
	    "[-f csv | -q file | -p url]\n"
	    "                [-E sources] [-g groups] [-O types] [-t trainers] "
	    "[-S split]\n\n"
	    "  -f, --from-csv FILE        preprocessed table "
	    "(kepler-model-db)\n"
	    "  -q, --from-query FILE      kepler-model-server query output\n"
	    "  -p, --prometheus URL       query Prometheus for the windows\n"
	    "  -s, --start TIME / -e, --end TIME   one window instead\n"
	    "  -w, --windows NAMES        only these document windows\n"
	    "  -Z, --step DURATION        query step (the profile's, 3s)\n"
	    "      --timeout DURATION     per request to Prometheus (30s)\n"
	    "  -P, --profile NAME|FILE    metric profile (kepler-0.7)\n"
	    "  -E, --energy-source LIST   rapl-sysfs,acpi,...\n"
	    "  -g, --feature-group LIST   CounterOnly,... or all\n"
	    "  -O, --output-type LIST     AbsPower,DynPower\n"
	    "  -x, --extractor NAME       default | smooth\n"
	    "  -I, --isolator NAME        none | min | profile | trainer\n"
	    "  -a, --abs-models DIR       AbsPower pipeline "
	    "(isolator trainer)\n"
	    "  -H, --target-hints LIST    target containers (stress)\n"
	    "  -d, --idle FILE            idle query output "
	    "(isolator profile)\n"
	    "  -t, --trainers LIST        trainer names or all\n"
	    "  -S, --split SPEC           tail:0.2 | random:0.1\n"
	    "  -k, --cv-folds K           CV folds (5)\n"
	    "  -C, --cv-method NAME       blocked | forward\n"
	    "      --select RULE          best model: 1se | min (1se)\n"
	    "  -r, --seed N               seed (0)\n"
	    "  -n, --pipeline-name NAME   model-db pipeline (gf)\n"
	    "  -o, --out DIR              where the pipeline tree goes\n"
	    "  -T, --node-type N          node type index\n"
	    "  -j, --threads N            parallel fits (online CPUs)\n"
	    "  -3, --thirdparty-metrics LIST   ThirdParty features\n"
	    "  -X, --extract-only         write preprocessed data only\n"
	    "  -c, --config FILE          YAML settings\n"
	    "  -i, --input FILE           run document (stdin)\n"
	    "  -h, --help                 this text\n"
	    "  -V, --version              print the version\n");
	exit(0);
}

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

/* A dataset's training, as a group of lines (::group:: under Actions). */
static void
group(const char *title, void *arg)
{
	(void)arg;
	if (title != NULL)
		gf_log_group("%s", title);
	else
		gf_log_endgroup();
}

static const char *
cfg_str(const json_t *cfg, const char *key)
{
	const json_t *v = json_object_get(cfg, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/*
 * Settings below the command line: environment, document, config file.
 * Only those still unset are filled.
 */
static int
apply_defaults(struct opts *o, json_t *doc, const json_t *cfg,
    struct gf_err *err)
{
	const char **slots[] = { &o->out, &o->pipeline, &o->prom,
		&o->profile, &o->sources, &o->groups, &o->output_types,
		&o->extractor, &o->isolator, &o->trainers, &o->split,
		&o->thirdparty, &o->step, &o->idle, &o->windows,
		&o->abs_models, &o->hints, &o->cv_method, &o->timeout,
		&o->select };
	static const char *const keys[] = { "out", "pipeline-name",
		"prometheus", "profile", "energy-source", "feature-group",
		"output-type", "extractor", "isolator", "trainers", "split",
		"thirdparty-metrics", "step", "idle", "windows", "abs-models",
		"target-hints", "cv-method", "timeout", "select" };
	static const char *const envs[] = { "GF_TRAIN_OUT", NULL,
		"GF_PROMETHEUS_URL", "GF_TRAIN_PROFILE", NULL, NULL, NULL,
		NULL, NULL, NULL, NULL, "THIRDPARTY_METRICS", NULL, NULL,
		NULL, NULL, NULL, NULL, NULL, NULL };
	_Static_assert(GF_ARRAY_LEN(keys) == GF_ARRAY_LEN(envs) &&
	    GF_ARRAY_LEN(keys) == GF_ARRAY_LEN(slots),
	    "one environment name (or NULL) per setting");
	const json_t *stack = json_object_get(json_object_get(doc, "stack"),
	    "prometheus");

	for (size_t i = 0; i < GF_ARRAY_LEN(keys); i++) {
		const char *v;

		if (*slots[i] != NULL)
			continue;
		if (envs[i] != NULL && (v = getenv(envs[i])) != NULL && *v)
			*slots[i] = v;
		else if (i == 2 &&
		    json_is_string(json_object_get(stack, "url")))
			*slots[i] = json_string_value(json_object_get(stack,
			    "url"));
		else if (cfg != NULL)
			*slots[i] = cfg_str(cfg, keys[i]);
	}
	if (cfg != NULL) {
		const json_t *v;

		if (!o->seed_set && json_is_integer(v = json_object_get(cfg,
		    "seed")))
			o->seed = json_integer_value(v);
		if (!o->folds_set && json_is_integer(v = json_object_get(cfg,
		    "cv-folds")))
			o->folds = json_integer_value(v);
	}
	(void)err;
	if (o->out == NULL)
		o->out = "gf-models";
	if (o->pipeline == NULL)
		o->pipeline = "gf";
	if (o->profile == NULL)
		o->profile = "kepler-0.7";
	if (o->output_types == NULL && gf_trainrun_dyn_table(o->csv)) {
		o->output_types = "DynPower";
		gf_info("%s: a DynPower table by its name: training DynPower "
		    "(--output-type to choose)", o->csv);
	} else if (o->output_types == NULL) {
		o->output_types = "AbsPower";
	}
	if (o->isolator == NULL)
		o->isolator = "min";
	if (o->trainers == NULL)
		o->trainers = "all";
	if (o->split == NULL)
		o->split = "tail:0.2";
	if (o->cv_method == NULL)
		o->cv_method = "blocked";
	if (o->select == NULL)
		o->select = "1se";
	return 0;
}

/* The run's settings, from the options resolved. */
static void
run_opts(const struct opts *o, struct gf_trainrun_opts *ro)
{
	memset(ro, 0, sizeof(*ro));
	ro->csv = o->csv;
	ro->query = o->query;
	ro->prom = o->prom;
	ro->start = o->start;
	ro->end = o->end;
	ro->windows = o->windows;
	ro->step = o->step;
	ro->timeout = o->timeout;
	ro->profile = o->profile;
	ro->sources = o->sources;
	ro->groups = o->groups;
	ro->output_types = o->output_types;
	ro->trainers = o->trainers;
	ro->thirdparty = o->thirdparty;
	ro->extractor = o->extractor;
	ro->isolator = o->isolator;
	ro->idle = o->idle;
	ro->abs_models = o->abs_models;
	ro->hints = o->hints;
	ro->node_type = o->node_type_set ? (int)o->node_type : -1;
	ro->split = o->split;
	ro->cv_method = o->cv_method;
	ro->select = o->select;
	ro->seed = o->seed;
	ro->folds = o->folds;
	ro->threads = o->threads_set ? (int)o->threads : 0;
	ro->out = o->out;
	ro->pipeline = o->pipeline;
	ro->extract_only = o->extract_only;
	ro->say = say;
	ro->group = group;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "abs-models", required_argument, NULL, 'a' },
		{ "cv-folds", required_argument, NULL, 'k' },
		{ "cv-method", required_argument, NULL, 'C' },
		{ "config", required_argument, NULL, 'c' },
		{ "end", required_argument, NULL, 'e' },
		{ "energy-source", required_argument, NULL, 'E' },
		{ "extract-only", no_argument, NULL, 'X' },
		{ "extractor", required_argument, NULL, 'x' },
		{ "feature-group", required_argument, NULL, 'g' },
		{ "from-csv", required_argument, NULL, 'f' },
		{ "from-query", required_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "idle", required_argument, NULL, 'd' },
		{ "input", required_argument, NULL, 'i' },
		{ "isolator", required_argument, NULL, 'I' },
		{ "node-type", required_argument, NULL, 'T' },
		{ "out", required_argument, NULL, 'o' },
		{ "output-type", required_argument, NULL, 'O' },
		{ "pipeline-name", required_argument, NULL, 'n' },
		{ "profile", required_argument, NULL, 'P' },
		{ "prometheus", required_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 'r' },
		{ "split", required_argument, NULL, 'S' },
		{ "start", required_argument, NULL, 's' },
		{ "step", required_argument, NULL, 'Z' },
		{ "thirdparty-metrics", required_argument, NULL, '3' },
		{ "target-hints", required_argument, NULL, 'H' },
		{ "threads", required_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "select", required_argument, NULL, OPT_SELECT },
		{ "trainers", required_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "windows", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o;
	struct gf_trainrun_opts ro;
	struct gf_tool t;
	struct gf_err err = GF_ERR_INIT;
	json_t *cfg = NULL, *sec;
	int ch, failed, nin;

	gf_setprogname(argv[0]);
	memset(&o, 0, sizeof(o));
	o.folds = 5;
	while ((ch = getopt_long(argc, argv,
	    "3:C:E:H:I:O:P:S:T:VXZ:a:c:d:e:f:g:hi:j:k:n:o:p:q:r:s:t:w:x:",
	    longopts,
	    NULL)) != -1) {
		switch (ch) {
		case '3': o.thirdparty = optarg; break;
		case OPT_TIMEOUT: o.timeout = optarg; break;
		case OPT_SELECT: o.select = optarg; break;
		case 'C': o.cv_method = optarg; break;
		case 'E': o.sources = optarg; break;
		case 'H': o.hints = optarg; break;
		case 'I': o.isolator = optarg; break;
		case 'O': o.output_types = optarg; break;
		case 'P': o.profile = optarg; break;
		case 'S': o.split = optarg; break;
		case 'T':
			if (gf_parse_int(optarg, 0, 1000000, "--node-type",
			    &o.node_type, &err) < 0)
				gf_die_err(&err);
			o.node_type_set = 1;
			break;
		case 'V': gf_tool_version();
		case 'X': o.extract_only = 1; break;
		case 'a': o.abs_models = optarg; break;
		case 'Z': o.step = optarg; break;
		case 'c': o.config = optarg; break;
		case 'd': o.idle = optarg; break;
		case 'e': o.end = optarg; break;
		case 'f': o.csv = optarg; break;
		case 'g': o.groups = optarg; break;
		case 'h': help(); break;
		case 'i': o.input = optarg; break;
		case 'j':
			if (gf_parse_int(optarg, 1, 1024, "--threads",
			    &o.threads, &err) < 0)
				gf_die_err(&err);
			o.threads_set = 1;
			break;
		case 'k':
			if (gf_parse_int(optarg, 2, 100, "--cv-folds",
			    &o.folds, &err) < 0)
				gf_die_err(&err);
			o.folds_set = 1;
			break;
		case 'n': o.pipeline = optarg; break;
		case 'o': o.out = optarg; break;
		case 'p': o.prom = optarg; break;
		case 'q': o.query = optarg; break;
		case 'r':
			if (gf_parse_int(optarg, 0, 4294967295LL, "--seed",
			    &o.seed, &err) < 0)
				gf_die_err(&err);
			o.seed_set = 1;
			break;
		case 's': o.start = optarg; break;
		case 't': o.trainers = optarg; break;
		case 'w': o.windows = optarg; break;
		case 'x': o.extractor = optarg; break;
		default: usage();
		}
	}
	argc -= optind;
	if (argc != 0)
		usage();
	nin = (o.csv != NULL) + (o.query != NULL);
	if (nin > 1 || (nin == 1 && o.prom != NULL))
		gf_die(GF_EXIT_USAGE, "give one of --from-csv, --from-query, "
		    "--prometheus");
	if (o.config != NULL && (cfg = gf_yaml_load(o.config, &err)) == NULL)
		gf_die_err(&err);
	if (cfg != NULL && !json_is_object(cfg) && !json_is_null(cfg))
		gf_die(GF_EXIT_CONFIG, "%s: expected a mapping of settings",
		    o.config);
	gf_tool_begin(&t, "gf-train", o.input, 0);
	sec = json_object();
	apply_defaults(&o, t.doc, cfg, &err);
	run_opts(&o, &ro);
	failed = gf_trainrun(&ro, t.doc, sec, &err) < 0;
	gf_doc_set(t.doc, "train", sec);
	json_decref(cfg);
	return gf_tool_finish(&t, failed ? &err : NULL, NULL);
}
