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
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_checks.h"
#include "gf_doc.h"
#include "gf_err.h"
#include "gf_log.h"
#include "gf_tool.h"
#include "gf_validaterun.h"
#include "gf_xalloc.h"
#include "gf_section.h"
#include "gf_banned.h"

static const char *const gate_ops[] = { "<", "<=", ">", ">=", "==", "!=",
	NULL };

/* Config keys in the Kepler validator's validator.yaml shape. */
static const struct gf_opt opts[] = {
	GF_OPT_INPUT, GF_OPT_CONFIG, GF_OPT_HELP, GF_OPT_VERSION,
	{ .name = "prometheus", .letter = 'p', .kind = GF_OPT_STRING,
	  .arg = "URL", .help = "Prometheus base URL",
	  .env = "GF_PROMETHEUS_URL", .doc = GF_DOC_STACK_PROMETHEUS_URL,
	  .key = "prometheus.url" },
	{ .name = "checks", .letter = 'k', .kind = GF_OPT_STRING,
	  .arg = "FILE|NAME", .help = "validations.yaml, or a built-in set",
	  .key = "validations_file" },
	{ .name = "start", .letter = 's', .kind = GF_OPT_TIME, .arg = "TIME",
	  .help = "range start (else the document's windows)" },
	{ .name = "end", .letter = 'e', .kind = GF_OPT_TIME, .arg = "TIME",
	  .help = "range end" },
	{ .name = "step", .letter = 'Z', .kind = GF_OPT_DURATION, .arg = "D",
	  .help = "query step and alignment tolerance", .def = "3s",
	  .key = "prometheus.step", .min = 0.001, .max = 86400 },
	{ .name = "rate-interval", .kind = GF_OPT_DURATION, .arg = "D",
	  .help = "{rate_interval}", .def = "20s",
	  .key = "prometheus.rate_interval", .min = 0.001, .max = 86400 },
	{ .name = "var", .letter = 'D', .kind = GF_OPT_LIST,
	  .arg = "NAME=VALUE", .help = "template variable (repeatable)" },
	{ .name = "out", .letter = 'o', .kind = GF_OPT_STRING, .arg = "DIR",
	  .help = "write the report directory" },
	{ .name = "tag", .kind = GF_OPT_STRING, .arg = "TAG",
	  .help = "report tag (default: the run id)" },
	{ .name = "gate", .kind = GF_OPT_STRING, .arg = "PROMQL",
	  .help = "gate query: exit 1 when value OP threshold" },
	{ .name = "op", .kind = GF_OPT_STRING, .arg = "OP",
	  .help = "the gate's comparison", .def = "<", .choices = gate_ops },
	{ .name = "threshold", .letter = 'T', .kind = GF_OPT_NUMBER,
	  .arg = "N", .help = "the gate's threshold" },
	{ .name = "model", .kind = GF_OPT_STRING, .arg = "FILE",
	  .help = "score a model against --measured" },
	{ .name = "measured", .letter = 'M', .kind = GF_OPT_STRING,
	  .arg = "PROMQL", .help = "measured power for --model" },
	{ .name = "feature-query", .kind = GF_OPT_LIST, .arg = "NAME=PROMQL",
	  .help = "a model feature's query (repeatable)" },
	{ .name = "max-mae", .kind = GF_OPT_NUMBER, .arg = "N",
	  .help = "the model check's MAE limit" },
	{ .name = "max-mape", .kind = GF_OPT_NUMBER, .arg = "N",
	  .help = "the model check's MAPE limit (percent)" },
	{ .name = "max-mse", .kind = GF_OPT_NUMBER, .arg = "N",
	  .help = "the model check's MSE limit" },
	{ .name = "power", .kind = GF_OPT_STRING, .arg = "PROMQL",
	  .help = "mean power per window (watts)" },
	{ .name = "energy", .kind = GF_OPT_STRING, .arg = "PROMQL",
	  .help = "energy counter (joules)" },
	{ .name = "work", .letter = 'W', .kind = GF_OPT_STRING,
	  .arg = "PROMQL", .help = "work counter (needs --energy)" },
	{ .name = "work-unit", .letter = 'u', .kind = GF_OPT_STRING,
	  .arg = "UNIT", .help = "the unit of --work" },
	{ .name = "idle-power", .kind = GF_OPT_NUMBER, .arg = "W",
	  .help = "idle watts taken out of the energy per unit" },
	{ .name = "namespace", .kind = GF_OPT_LIST, .arg = "NS",
	  .help = "CPU overhead of a namespace (repeatable)" },
	{ .name = "from-json", .kind = GF_OPT_STRING, .arg = "FILE",
	  .help = "recorded query results instead of Prometheus" },
	{ .name = "timeout", .kind = GF_OPT_DURATION, .arg = "D",
	  .help = "per request to Prometheus", .def = "30s" },
};

static const struct gf_cli cli = {
	.name = "gf-validate",
	.synopsis = "[-hV] [-c file] [-D name=value] [-e time] [-i file] "
	    "[-k checks] [-M promql] [-o dir] [-p url] [-s time] [-T number] "
	    "[-u unit] [-W promql] [-Z duration] [option ...]",
	.opts = opts, .nopts = GF_ARRAY_LEN(opts),
	.footer = "Times: unix seconds or RFC 3339; durations: 90s, 15m, 2h. "
	    "See gf-validate(1).",
};

/* The NAME=VALUE items of a list setting, into v. */
static int
split_assign(struct gf_vars *v, const struct gf_settings *set,
    const char *opt, struct gf_err *err)
{
	const char *src = gf_opt_source(set, opt);
	const char *const *items;
	size_t n;

	items = gf_opt_list(set, opt, &n);
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(items[i], '=');
		char *name;

		if (eq == NULL || eq == items[i])
			return gf_err_set(err, src[0] == '-' ? GF_EXIT_USAGE :
			    GF_EXIT_CONFIG, "options", "%s: expected "
			    "NAME=VALUE, got '%s'", src, items[i]);
		name = gf_xstrndup(items[i], (size_t)(eq - items[i]));
		gf_vars_set(v, name, eq + 1);
		free(name);
	}
	return 0;
}

/* The settings that only make sense together, or not at all. */
static void
check_usage(struct gf_tool *t)
{
	const struct gf_settings *s = &t->set;
	static const char *const work[] = { "checks", "gate", "model",
		"power", "energy", "namespace", "work" };
	int todo = 0;
	char *line;

	if ((gf_opt_given(s, "op") || gf_opt_given(s, "threshold")) &&
	    !gf_opt_given(s, "gate"))
		gf_tool_usage_error(t, "--op and --threshold need --gate");
	for (size_t i = 0; i < GF_ARRAY_LEN(work); i++)
		todo |= gf_opt_given(s, work[i]);
	if (!todo) {
		line = gf_opt_usage(&cli, 0);
		fputs(line, stderr);
		free(line);
		gf_tool_usage_error(t, "nothing to do: give --checks, --model, "
		    "--gate or a summary (--power, --energy, --namespace)");
	}
	if (gf_opt_given(s, "work") && !gf_opt_given(s, "energy"))
		gf_tool_usage_error(t, "--work needs --energy (joules per unit "
		    "of work)");
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

/* The run's options from the resolved settings (all borrowed). */
static void
run_opts(struct gf_validate_opts *ro, const struct gf_settings *s,
    const struct gf_vars *vars, const struct gf_vars *fq)
{
	const json_t *cfg = s->config;

	gf_validate_opts_init(ro);
	ro->from_json = gf_opt_str(s, "from-json");
	ro->url = gf_opt_str(s, "prometheus");
	ro->timeout = gf_opt_str(s, "timeout");
	ro->step = gf_opt_str(s, "step");
	ro->rate_interval = gf_opt_str(s, "rate-interval");
	ro->start = gf_opt_num_or(s, "start", NAN);
	ro->end = gf_opt_num_or(s, "end", NAN);
	ro->checks = gf_opt_str(s, "checks");
	/* The validator's template variables: structured config keys. */
	ro->metal_job = cfg_str(cfg, "prometheus", "job", "metal");
	ro->vm_job = cfg_str(cfg, "prometheus", "job", "vm");
	ro->vm_name = cfg_str(cfg, "metal", "vm", "name");
	ro->vm_pid = json_integer_value(json_object_get(json_object_get(
	    json_object_get(cfg, "metal"), "vm"), "pid"));
	ro->vars = vars;
	ro->model = gf_opt_str(s, "model");
	ro->measured = gf_opt_str(s, "measured");
	ro->feature_queries = fq;
	ro->th.max_mae = gf_opt_num_or(s, "max-mae", NAN);
	ro->th.max_mape = gf_opt_num_or(s, "max-mape", NAN);
	ro->th.max_mse = gf_opt_num_or(s, "max-mse", NAN);
	ro->power = gf_opt_str(s, "power");
	ro->energy = gf_opt_str(s, "energy");
	ro->work = gf_opt_str(s, "work");
	ro->work_unit = gf_opt_str(s, "work-unit");
	ro->idle_power = gf_opt_num_or(s, "idle-power", NAN);
	ro->ns = gf_opt_list(s, "namespace", &ro->nns);
	ro->gate = gf_opt_str(s, "gate");
	ro->op = gf_opt_str(s, "op");
	ro->threshold = gf_opt_str(s, "threshold");
	ro->out = gf_opt_str(s, "out");
	ro->tag = gf_opt_str(s, "tag");
	ro->warn = gf_log_warn_cb;
	ro->info = gf_log_info_cb;
	ro->group = gf_log_group_cb;
}

int
main(int argc, char *argv[])
{
	struct gf_tool t;
	struct gf_err err = GF_ERR_INIT;
	struct gf_validate_opts ro;
	struct gf_vars vars = GF_VARS_INIT, fq = GF_VARS_INIT;
	json_t *section;

	gf_tool_start(&t, &cli, argc, argv, 0);
	check_usage(&t);
	if (split_assign(&vars, &t.set, "var", &err) < 0 ||
	    split_assign(&fq, &t.set, "feature-query", &err) < 0)
		gf_tool_fail(&t, &err);
	run_opts(&ro, &t.set, &vars, &fq);
	section = json_object();
	/* err says how it went, a failed check or a tripped gate included. */
	gf_validate_run(&ro, t.doc, section, &err);
	gf_doc_set(t.doc, "validate", section);
	gf_vars_release(&vars);
	gf_vars_release(&fq);
	return gf_tool_finish(&t, err.exit != 0 ? &err : NULL, NULL);
}
