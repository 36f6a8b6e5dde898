/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf-validate: compare predicted with measured power (or any two PromQL
 * series) over a time range or the document's windows. Checks come from
 * a validations.yaml of the Kepler validator's shape; each check gets
 * MAE, MAPE, MSE, RMSE and a verdict against its thresholds. Also scores
 * a gf-train model against measured power, summarises energy and CPU
 * overhead per window, evaluates a PromQL gate for retraining triggers,
 * and writes a report directory (Markdown, JSON, series, SVG charts).
 */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_checks.h"
#include "gf_doc.h"
#include "gf_err.h"
#include "gf_log.h"
#include "gf_parse.h"
#include "gf_tool.h"
#include "gf_validaterun.h"
#include "gf_xalloc.h"
#include "gf_yaml.h"
#include "gf_banned.h"

enum {
	OPT_MAX_MAE = 256,
	OPT_MAX_MAPE,
	OPT_MAX_MSE,
	OPT_TIMEOUT,
	OPT_IDLE_POWER,
};

struct opts {
	const char *input, *config, *prometheus, *checks, *out, *tag;
	const char *start, *end, *step, *rate_interval;
	const char *gate, *op, *threshold;
	const char *model, *measured;
	const char *power, *energy, *work, *work_unit;
	const char *from_json;
	const char *timeout;
	struct gf_vars vars;	/* --var */
	struct gf_vars fq;	/* --feature-query */
	const char **ns;	/* --namespace */
	size_t nns;
	struct gf_thresholds th;	/* for the model check */
	double idle_power;	/* watts subtracted per unit of work; NaN */
};

static const struct option longopts[] = {
	{ "checks", required_argument, NULL, 'k' },
	{ "config", required_argument, NULL, 'c' },
	{ "end", required_argument, NULL, 'e' },
	{ "energy", required_argument, NULL, 'E' },
	{ "feature-query", required_argument, NULL, 'F' },
	{ "from-json", required_argument, NULL, 'j' },
	{ "gate", required_argument, NULL, 'g' },
	{ "help", no_argument, NULL, 'h' },
	{ "idle-power", required_argument, NULL, OPT_IDLE_POWER },
	{ "input", required_argument, NULL, 'i' },
	{ "max-mae", required_argument, NULL, OPT_MAX_MAE },
	{ "max-mape", required_argument, NULL, OPT_MAX_MAPE },
	{ "max-mse", required_argument, NULL, OPT_MAX_MSE },
	{ "measured", required_argument, NULL, 'M' },
	{ "model", required_argument, NULL, 'm' },
	{ "namespace", required_argument, NULL, 'n' },
	{ "op", required_argument, NULL, 'O' },
	{ "out", required_argument, NULL, 'o' },
	{ "power", required_argument, NULL, 'P' },
	{ "prometheus", required_argument, NULL, 'p' },
	{ "rate-interval", required_argument, NULL, 'r' },
	{ "start", required_argument, NULL, 's' },
	{ "step", required_argument, NULL, 'S' },
	{ "tag", required_argument, NULL, 't' },
	{ "threshold", required_argument, NULL, 'T' },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "var", required_argument, NULL, 'D' },
	{ "version", no_argument, NULL, 'V' },
	{ "work", required_argument, NULL, 'W' },
	{ "work-unit", required_argument, NULL, 'u' },
	{ NULL, 0, NULL, 0 },
};

static GF_NORETURN void
usage(void)
{
	fprintf(stderr, "usage: gf-validate [-hV] [-c file] [-D name=value] "
	    "[-E promql] [-e time] [-F name=promql] [-g promql] [-i file] "
	    "[-j file] [-k checks] [-M promql] [-m model] [-n namespace] "
	    "[-O op] [-o dir] [-P promql] [-p url] [-r duration] [-S duration] "
	    "[-s time] [-T number] [-t tag] [-u unit] [-W promql] "
	    "[--max-mae n] [--max-mape n] [--max-mse n] "
	    "[--idle-power watts] [--timeout duration]\n");
	exit(GF_EXIT_USAGE);
}

static GF_NORETURN GF_PRINTF(1, 2) void
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", gf_progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage();
}

static void
help(void)
{
	printf("usage: gf-validate [options]\n"
	    "Compare predicted with measured series; see gf-validate(1).\n\n"
	    "  -p, --prometheus URL     Prometheus base URL\n"
	    "  -k, --checks FILE|NAME   validations.yaml, or a built-in set\n"
	    "  -s, --start TIME         range start (else the document's "
	    "windows)\n"
	    "  -e, --end TIME           range end\n"
	    "  -S, --step DURATION      query step and alignment tolerance "
	    "(3s)\n"
	    "  -r, --rate-interval D    {rate_interval} (20s)\n"
	    "  -D, --var NAME=VALUE     template variable\n"
	    "  -o, --out DIR            write the report directory\n"
	    "  -t, --tag TAG            report tag\n"
	    "  -g, --gate PROMQL        gate query; "
	    "-O/--op OP, -T/--threshold N\n"
	    "  -m, --model FILE         score a model; -M/--measured PROMQL,\n"
	    "                           -F/--feature-query NAME=PROMQL,\n"
	    "                           --max-mae/--max-mape/--max-mse N\n"
	    "  -P, --power PROMQL       mean power per window (watts)\n"
	    "  -E, --energy PROMQL      energy counter (joules)\n"
	    "  -W, --work PROMQL        work counter; -u/--work-unit UNIT\n"
	    "      --idle-power W       idle watts taken out of energy "
	    "per unit\n"
	    "  -n, --namespace NS       CPU overhead of a namespace "
	    "(repeatable)\n"
	    "  -j, --from-json FILE     recorded query results instead of "
	    "Prometheus\n"
	    "      --timeout DURATION   per request to Prometheus (30s)\n"
	    "  -c, --config FILE        validator.yaml-style settings\n"
	    "  -i, --input FILE         run document (default stdin)\n"
	    "  -h, --help               this help\n"
	    "  -V, --version            version\n");
	exit(gf_close_stdout());
}

static void
split_assign(struct gf_vars *v, const char *arg, const char *opt)
{
	const char *eq = strchr(arg, '=');
	char *name;

	if (eq == NULL || eq == arg)
		usage_error("%s: expected NAME=VALUE, got '%s'", opt,
		    arg);
	name = gf_xstrndup(arg, (size_t)(eq - arg));
	gf_vars_set(v, name, eq + 1);
	free(name);
}

static double
parse_num(const char *s, const char *what)
{
	struct gf_err err = GF_ERR_INIT;
	double d;

	if (gf_parse_double(s, what, &d, &err) == -1)
		gf_die_err(&err);
	return d;
}

/* A string at a dotted path of the config, or NULL. */
static const char *
cfg_str(const json_t *cfg, const char *a, const char *b, const char *c)
{
	json_t *x = json_object_get(cfg, a);

	if (b != NULL)
		x = json_object_get(x, b);
	if (c != NULL)
		x = json_object_get(x, c);
	return json_string_value(x);
}

static void
info_cb(const char *msg, void *arg)
{
	(void)arg;
	gf_info("%s", msg);
}

static void
group_cb(const char *title, void *arg)
{
	(void)arg;
	if (title != NULL)
		gf_log_group("%s", title);
	else
		gf_log_endgroup();
}

/* The run's options from the resolved ones (all borrowed). */
static void
run_opts(struct gf_validate_opts *ro, const struct opts *o, const json_t *cfg,
    const char *url, const char *ri, const char *step, double t0, double t1)
{
	gf_validate_opts_init(ro);
	ro->from_json = o->from_json;
	ro->url = url;
	ro->timeout = o->timeout;
	ro->step = step;
	ro->rate_interval = ri;
	ro->start = t0;
	ro->end = t1;
	ro->checks = o->checks;
	ro->metal_job = cfg_str(cfg, "prometheus", "job", "metal");
	ro->vm_job = cfg_str(cfg, "prometheus", "job", "vm");
	ro->vm_name = cfg_str(cfg, "metal", "vm", "name");
	ro->vm_pid = json_integer_value(json_object_get(json_object_get(
	    json_object_get(cfg, "metal"), "vm"), "pid"));
	ro->vars = &o->vars;
	ro->model = o->model;
	ro->measured = o->measured;
	ro->feature_queries = &o->fq;
	ro->th = o->th;
	ro->power = o->power;
	ro->energy = o->energy;
	ro->work = o->work;
	ro->work_unit = o->work_unit;
	ro->idle_power = o->idle_power;
	ro->ns = o->ns;
	ro->nns = o->nns;
	ro->gate = o->gate;
	ro->op = o->op;
	ro->threshold = o->threshold;
	ro->out = o->out;
	ro->tag = o->tag;
	ro->warn = gf_log_warn_cb;
	ro->info = info_cb;
	ro->group = group_cb;
}

int
main(int argc, char *argv[])
{
	struct opts o;
	struct gf_tool t;
	struct gf_err err = GF_ERR_INIT;
	struct gf_validate_opts ro;
	json_t *cfg = NULL, *section;
	const char *url, *ri, *step_s;
	double t0 = NAN, t1 = NAN;
	int ch;

	gf_setprogname(argv[0]);
	memset(&o, 0, sizeof(o));
	o.th.max_mae = o.th.max_mape = o.th.max_mse = NAN;
	o.idle_power = NAN;
	while ((ch = getopt_long(argc, argv,
	    "c:D:E:e:F:g:hi:j:k:M:m:n:O:o:P:p:r:S:s:T:t:u:VW:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c': o.config = optarg; break;
		case 'D': split_assign(&o.vars, optarg, "--var"); break;
		case 'E': o.energy = optarg; break;
		case 'e': o.end = optarg; break;
		case 'F': split_assign(&o.fq, optarg, "--feature-query"); break;
		case 'g': o.gate = optarg; break;
		case 'h': help(); break;
		case 'i': o.input = optarg; break;
		case 'j': o.from_json = optarg; break;
		case 'k': o.checks = optarg; break;
		case 'M': o.measured = optarg; break;
		case 'm': o.model = optarg; break;
		case 'n':
			o.ns = gf_xreallocarray(o.ns, o.nns + 1,
			    sizeof(*o.ns));
			o.ns[o.nns++] = optarg;
			break;
		case 'O': o.op = optarg; break;
		case 'o': o.out = optarg; break;
		case 'P': o.power = optarg; break;
		case 'p': o.prometheus = optarg; break;
		case 'r': o.rate_interval = optarg; break;
		case 'S': o.step = optarg; break;
		case 's': o.start = optarg; break;
		case 'T': o.threshold = optarg; break;
		case 't': o.tag = optarg; break;
		case 'u': o.work_unit = optarg; break;
		case 'V': gf_tool_version(); break;
		case 'W': o.work = optarg; break;
		case OPT_MAX_MAE:
			o.th.max_mae = parse_num(optarg, "--max-mae");
			break;
		case OPT_MAX_MAPE:
			o.th.max_mape = parse_num(optarg, "--max-mape");
			break;
		case OPT_MAX_MSE:
			o.th.max_mse = parse_num(optarg, "--max-mse");
			break;
		case OPT_TIMEOUT: o.timeout = optarg; break;
		case OPT_IDLE_POWER:
			o.idle_power = parse_num(optarg, "--idle-power");
			break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 0)
		usage();
	if ((o.start == NULL) != (o.end == NULL))
		usage_error("--start and --end go together");
	if ((o.op != NULL || o.threshold != NULL) && o.gate == NULL)
		usage_error("--op and --threshold need --gate");
	if (o.config != NULL) {
		if ((cfg = gf_yaml_load(o.config, &err)) == NULL)
			gf_die_err(&err);
		if (!json_is_object(cfg) && !json_is_null(cfg))
			gf_die(GF_EXIT_DATAERR, "%s: expected a mapping",
			    o.config);
	}
	if (o.checks == NULL)
		o.checks = cfg_str(cfg, "validations_file", NULL, NULL);
	if (o.checks == NULL && o.gate == NULL && o.model == NULL &&
	    o.power == NULL && o.energy == NULL && o.nns == 0 &&
	    o.work == NULL)
		usage_error("nothing to do: give --checks, --model, "
		    "--gate or a summary (--power, --energy, --namespace)");
	if (o.work != NULL && o.energy == NULL)
		usage_error("--work needs --energy (joules per unit "
		    "of work)");
	if (o.start != NULL) {
		if (gf_parse_time(o.start, "--start", &t0, &err) == -1 ||
		    gf_parse_time(o.end, "--end", &t1, &err) == -1)
			gf_die_err(&err);
		if (t1 <= t0)
			usage_error("--end must be after --start");
	}

	gf_tool_begin(&t, "gf-validate", o.input, 0);
	section = json_object();

	/* Precedence: option, environment, document, config, default. */
	url = o.prometheus;
	if (url == NULL && getenv("GF_PROMETHEUS_URL") != NULL &&
	    *getenv("GF_PROMETHEUS_URL") != '\0')
		url = getenv("GF_PROMETHEUS_URL");
	if (url == NULL)
		url = json_string_value(json_object_get(json_object_get(
		    json_object_get(t.doc, "stack"), "prometheus"), "url"));
	if (url == NULL)
		url = cfg_str(cfg, "prometheus", "url", NULL);
	ri = o.rate_interval != NULL ? o.rate_interval :
	    cfg_str(cfg, "prometheus", "rate_interval", NULL);
	if (ri == NULL)
		ri = "20s";
	step_s = o.step != NULL ? o.step : cfg_str(cfg, "prometheus", "step",
	    NULL);
	run_opts(&ro, &o, cfg, url, ri, step_s, t0, t1);
	/* err says how it went, a failed check or a tripped gate included. */
	gf_validate_run(&ro, t.doc, section, &err);
	gf_doc_set(t.doc, "validate", section);
	gf_vars_release(&o.vars);
	gf_vars_release(&o.fq);
	free(o.ns);
	json_decref(cfg);
	return gf_tool_finish(&t, err.exit != 0 ? &err : NULL, NULL);
}
