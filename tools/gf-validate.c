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
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_buf.h"
#include "gf_doc.h"
#include "gf_err.h"
#include "gf_fs.h"
#include "gf_http.h"
#include "gf_log.h"
#include "gf_model.h"
#include "gf_model_file.h"
#include "gf_parse.h"
#include "gf_prom.h"
#include "gf_report.h"
#include "gf_svg.h"
#include "gf_tool.h"
#include "gf_validate.h"
#include "gf_xalloc.h"
#include "gf_yaml.h"
#include "gf_banned.h"

#define STEP_SUMMARY_MAX (1024 * 1024)

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

/* The series source: Prometheus, or recorded query results. */
struct source {
	struct gf_vsource vs;	/* points into the two below */
	struct gf_prom prom;
	int have_prom;
	struct gf_recorded rec;	/* --from-json */
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

/* A check set: a file, else a built-in set by name. */
static char *
find_checks(const char *name)
{
	char *hit;

	if (strchr(name, '/') != NULL || gf_fs_exists(name))
		return gf_xstrdup(name);
	hit = gf_fs_find_shared("checks", name, NULL);
	return hit != NULL ? hit : gf_xstrdup(name);
}

/* A range query that must give one series; warnings are shown. */
static int
fetch_one(struct source *src, const char *q, const char *what, double start,
    double end, struct gf_prom_result *res, struct gf_err *err)
{
	int rc = gf_vsource_range(&src->vs, q, what, start, end, res, err);

	for (size_t i = 0; i < res->nwarnings; i++)
		gf_warn("%s: prometheus warns: %s", what, res->warnings[i]);
	return rc;
}

static struct gf_vseries
vs(const struct gf_prom_result *r)
{
	struct gf_vseries s = { r->series[0].t, r->series[0].v,
	    r->series[0].n };

	return s;
}

/* Everything one run produces, for the report. */
struct run {
	struct gf_report_stage stage;
	int staging;
	json_t *section;
	struct gf_svg_band *bands;
	size_t nbands;
};

/* Charts and series file of one scored check, when writing a report. */
static int
check_outputs(struct run *r, json_t *res, const struct gf_check *c,
    const struct gf_prom_series *a, const struct gf_prom_series *p,
    const struct gf_aligned *al, struct gf_err *err)
{
	if (!r->staging)
		return 0;
	return gf_report_check_files(&r->stage, res, c, a, p, al, r->bands,
	    r->nbands, err);
}

static int
run_checks(struct run *r, struct source *src, const struct gf_checkset *cs,
    const struct gf_vwindow *w, size_t nw, int per_window, double span0,
    double span1, json_t *results, struct gf_err *err)
{
	for (size_t i = 0; i < cs->n; i++) {
		const struct gf_check *c = &cs->checks[i];
		struct gf_prom_result ra, rp;
		struct gf_aligned al;
		struct gf_vseries a, p;
		char what[512];
		json_t *res;
		int rc;

		snprintf(what, sizeof(what), "check '%s', %s", c->name,
		    c->actual_label);
		if (fetch_one(src, c->actual, what, span0, span1, &ra, err)
		    == -1) {
			gf_prom_result_release(&ra);
			return -1;
		}
		snprintf(what, sizeof(what), "check '%s', %s", c->name,
		    c->predicted_label);
		if (fetch_one(src, c->predicted, what, span0, span1, &rp, err)
		    == -1) {
			gf_prom_result_release(&ra);
			gf_prom_result_release(&rp);
			return -1;
		}
		a = vs(&ra);
		p = vs(&rp);
		res = gf_validate_check(c, &a, &p, src->vs.step, w, nw,
		    per_window, &al);
		rc = check_outputs(r, res, c, &ra.series[0], &rp.series[0],
		    &al, err);
		gf_aligned_release(&al);
		gf_prom_result_release(&ra);
		gf_prom_result_release(&rp);
		json_array_append_new(results, res);
		if (rc == -1)
			return -1;
		{
			char b1[32], b2[32];

			gf_info("%s: %s (MAE %s, MAPE %s %%, %lld pairs)",
			    c->name, json_string_value(json_object_get(res,
			    "verdict")), gf_report_num(json_object_get(res,
			    "mae"), b1), gf_report_num(json_object_get(res,
			    "mape"), b2), json_integer_value(json_object_get(
			    res, "samples")));
		}
	}
	return 0;
}

/*
 * The model check: fetch measured power and every feature, predict at the
 * measured timestamps where all features have a sample within the step.
 */
static int
run_model(struct run *r, struct source *src, const struct opts *o,
    const struct gf_vwindow *w, size_t nw, int per_window, double span0,
    double span1, json_t *results, struct gf_err *err)
{
	struct gf_model *m = NULL;
	struct gf_prom_result meas, *feat = NULL;
	struct gf_checkset one = GF_CHECKSET_INIT;
	struct gf_vars fq = GF_VARS_INIT;
	struct gf_aligned al;
	struct gf_prom_series pred = { NULL, NULL, NULL, 0 };
	json_t *q, *res;
	struct gf_buf desc = GF_BUF_INIT;
	size_t nf = 0, i;
	struct gf_vseries *fs = NULL;
	int rc = -1;
	const char *fkey;

	memset(&meas, 0, sizeof(meas));
	if ((m = gf_model_load(o->model, err)) == NULL)
		return gf_err_prefix(err, "--model '%s'", o->model);
	/* Queries the model file carries, then the command line's. */
	json_object_foreach(gf_model_feature_queries(m), fkey, q)
		if (json_is_string(q))
			gf_vars_set(&fq, fkey, json_string_value(q));
	for (i = 0; i < o->fq.n; i++)
		gf_vars_set(&fq, o->fq.name[i], o->fq.value[i]);
	nf = gf_model_nfeatures(m);
	feat = gf_xcalloc(nf + 1, sizeof(*feat));
	if (o->measured == NULL) {
		gf_err_set(err, GF_EXIT_USAGE, "validate",
		    "--model needs --measured PROMQL (the measured power)");
		goto out;
	}
	if (fetch_one(src, o->measured, "model, measured", span0, span1,
	    &meas, err) == -1)
		goto out;
	for (i = 0; i < nf; i++) {
		const char *fname = gf_model_feature(m, i);
		const char *fqq = gf_vars_get(&fq, fname);
		char what[256];

		if (fqq == NULL) {
			gf_err_set(err, GF_EXIT_USAGE, "validate",
			    "model feature '%s' has no query: give "
			    "--feature-query %s=PROMQL", fname, fname);
			goto out;
		}
		snprintf(what, sizeof(what), "model feature '%s'", fname);
		if (fetch_one(src, fqq, what, span0, span1, &feat[i], err) ==
		    -1)
			goto out;
		gf_buf_addf(&desc, "%s%s = %s", i ? "\n" : "", fname, fqq);
	}
	pred.labels = json_object();
	pred.n = meas.series[0].n;
	pred.t = gf_xcalloc(pred.n + 1, sizeof(double));
	pred.v = gf_xcalloc(pred.n + 1, sizeof(double));
	if (pred.n > 0)
		memcpy(pred.t, meas.series[0].t, pred.n * sizeof(double));
	fs = gf_xcalloc(nf + 1, sizeof(*fs));
	for (i = 0; i < nf; i++)
		fs[i] = vs(&feat[i]);
	{
		struct gf_vseries ms = vs(&meas);

		gf_validate_predict(m, &ms, fs, nf, src->vs.step, pred.v);
	}
	{
		char *cname = gf_xasprintf("model %s", gf_model_trainer(m) ?
		    gf_model_trainer(m) : o->model);

		gf_checkset_add(&one, cname, "Watts", "measured", o->measured,
		    "model", gf_buf_str(&desc), &o->th);
		free(cname);
	}
	{
		struct gf_vseries a = vs(&meas);
		struct gf_vseries p = { pred.t, pred.v, pred.n };

		res = gf_validate_check(&one.checks[0], &a, &p, src->vs.step, w,
		    nw, per_window, &al);
	}
	json_object_set_new(res, "model", json_string(o->model));
	rc = check_outputs(r, res, &one.checks[0], &meas.series[0], &pred,
	    &al, err);
	gf_aligned_release(&al);
	json_array_append_new(results, res);
out:
	for (i = 0; i < nf; i++)
		gf_prom_result_release(&feat[i]);
	free(feat);
	free(fs);
	free(pred.t);
	free(pred.v);
	json_decref(pred.labels);
	gf_prom_result_release(&meas);
	gf_checkset_release(&one);
	gf_vars_release(&fq);
	gf_buf_release(&desc);
	gf_model_free(m);
	return rc;
}

/* Mean of a range query's single series within [t0, t1]. */
/* Energy, power, work and overhead per window: see gf_validate_summaries. */
static int
run_summaries(struct source *src, const struct opts *o,
    const struct gf_vwindow *w, size_t nw, const char *rate_interval,
    json_t *out, struct gf_err *err)
{
	struct gf_summary_req req = { o->power, o->energy, o->work,
	    o->work_unit, o->idle_power, o->ns, o->nns, rate_interval,
	    gf_log_warn_cb, NULL };

	return gf_validate_summaries(&src->vs, &req, w, nw, out, err);
}

static int
run_gate(struct source *src, const struct opts *o, double at, json_t *section,
    int *tripped, struct gf_err *err)
{
	enum gf_op op = GF_OP_LT;
	double th, v, when;

	if (o->op != NULL && gf_op_parse(o->op, &op, err) == -1)
		return -1;
	if (o->threshold == NULL)
		return gf_err_set(err, GF_EXIT_USAGE, "validate",
		    "--gate needs --threshold NUMBER");
	if (gf_parse_double(o->threshold, "--threshold", &th, err) == -1)
		return -1;
	if (gf_vsource_value(&src->vs, o->gate, "gate", at, &v, &when, err)
	    == -1)
		return -1;
	*tripped = gf_op_eval(op, v, th);
	json_object_set_new(section, "gate", json_pack("{s:s, s:s, s:f, s:o, "
	    "s:b, s:f}", "query", o->gate, "op", gf_op_name(op), "threshold",
	    th, "value", gf_doc_number(v), "tripped",
	    *tripped, "time", when));
	return 0;
}

/* Labels of every series an instant query returns (build and node info). */
static json_t *
info_labels(struct source *src, const char *q, double at)
{
	struct gf_prom_result res;
	struct gf_err err = GF_ERR_INIT;
	json_t *out = json_array();

	if (!src->have_prom)
		return out;
	memset(&res, 0, sizeof(res));
	if (gf_prom_query(&src->prom, q, at, &res, &err) == 0) {
		for (size_t i = 0; i < res.nseries; i++) {
			json_t *l = json_deep_copy(res.series[i].labels);

			json_object_del(l, "__name__");
			json_array_append_new(out, l);
		}
	} else {
		gf_warn("%s: %s", q, err.msg);
	}
	gf_prom_result_release(&res);
	return out;
}

static int
write_report(struct run *r, struct source *src, const char *tag, double at,
    struct gf_err *err)
{
	json_t *rep = json_deep_copy(r->section), *js;
	char *txt, *slug = gf_slug(tag), *rel;
	int rc;

	json_object_set_new(rep, "build_info", info_labels(src,
	    "kepler_exporter_build_info", at));
	json_object_set_new(rep, "node_info", info_labels(src,
	    "kepler_node_info", at));
	json_object_set_new(rep, "machine_specs", gf_report_machine_specs());
	js = gf_report_json(rep);
	txt = json_dumps(js, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(js);
	rel = gf_xasprintf("%s.json", slug);
	rc = gf_report_stage_put(&r->stage, rel, txt, strlen(txt), err);
	free(txt);
	free(rel);
	if (rc == 0) {
		/* Last, so a report that exists is a complete one. */
		txt = gf_report_markdown(rep);
		rel = gf_xasprintf("report-%s.md", slug);
		rc = gf_report_stage_put(&r->stage, rel, txt, strlen(txt),
		    err);
		free(txt);
		free(rel);
	}
	free(slug);
	json_decref(rep);
	return rc;
}

static void
set_path(json_t *section, const char *key, const char *dir, const char *pre,
    const char *slug, const char *suf)
{
	char *name = gf_xasprintf("%s%s%s", pre, slug, suf);
	char *path = gf_fs_join(dir, name);

	json_object_set_new(section, key, json_string(path));
	free(path);
	free(name);
}

static int
step_summary(const json_t *section, struct gf_err *err)
{
	const char *path = getenv("GITHUB_STEP_SUMMARY");
	struct stat st;
	size_t room = STEP_SUMMARY_MAX;
	char *txt;
	int rc;

	if (path == NULL || *path == '\0')
		return 0;
	if (stat(path, &st) == 0)
		room = (size_t)st.st_size >= room ? 0 :
		    room - (size_t)st.st_size;
	if (room < 256) {
		gf_warn("GITHUB_STEP_SUMMARY is full (1 MiB); summary not "
		    "appended");
		return 0;
	}
	txt = gf_report_step_summary(section, room);
	rc = gf_report_append_step_summary(txt, err);
	free(txt);
	return rc;
}

static void
verdict_counts(json_t *section, json_t *results, struct gf_err *err)
{
	size_t pass = 0, fail = 0, none = 0, i;
	json_t *r;
	const char *first = NULL, *why = NULL;

	json_array_foreach(results, i, r) {
		const char *v = json_string_value(json_object_get(r,
		    "verdict"));

		if (strcmp(v, "PASS") == 0) {
			pass++;
		} else if (strcmp(v, "FAIL") == 0) {
			if (fail++ == 0) {
				first = json_string_value(json_object_get(r,
				    "name"));
				why = json_string_value(json_object_get(r,
				    "reason"));
			}
		} else {
			none++;
		}
	}
	json_object_set_new(section, "passed", json_integer((json_int_t)pass));
	json_object_set_new(section, "failed", json_integer((json_int_t)fail));
	json_object_set_new(section, "no_threshold",
	    json_integer((json_int_t)none));
	if (json_array_size(results) > 0)
		json_object_set_new(section, "verdict", json_string(fail ?
		    "FAIL" : pass ? "PASS" : "NO-THRESHOLD"));
	if (fail > 0)
		gf_err_set(err, GF_EXIT_CHECK, "validate", "%zu of %zu checks "
		    "failed; first: '%s' (%s)", fail, pass + fail + none,
		    first, why != NULL ? why : "");
}

/*
 * The series source: the recorded file of --from-json, else Prometheus
 * at url (shown in section without credentials).
 */
static int
open_source(struct source *src, const struct opts *o, const char *url,
    json_t *section, struct gf_err *err)
{
	char *shown;

	if (o->from_json != NULL) {
		size_t len;
		char *text;
		int rc;

		/* One read: json_load_file() reads a byte at a time. */
		if ((text = gf_fs_read(o->from_json, 0, &len, err)) == NULL)
			return -1;
		src->vs.rec = &src->rec;
		src->vs.rec_name = o->from_json;
		rc = gf_recorded_parse(&src->rec, text, len, o->from_json,
		    err);
		free(text);
		return rc;
	}
	if (url == NULL)
		return gf_err_set(err, GF_EXIT_CONFIG, "validate", "no "
		    "Prometheus URL: give --prometheus, GF_PROMETHEUS_URL, or "
		    "a document with stack.prometheus.url");
	shown = gf_http_redact_url(url);
	gf_prom_init(&src->prom, url);
	src->have_prom = 1;
	src->vs.prom = &src->prom;
	json_object_set_new(section, "prometheus", json_string(shown));
	free(shown);
	if (o->timeout != NULL && gf_parse_duration(o->timeout, "--timeout",
	    &src->prom.http.timeout, err) == -1)
		return -1;
	return 0;
}

/*
 * The check set of --checks, its queries filled with the template
 * variables the Kepler validator sets, then --var's. *path: a new string.
 */
static int
load_checks(struct gf_checkset *cs, char **path, const struct opts *o,
    const json_t *cfg, const char *rate_interval, json_t *section,
    struct gf_err *err)
{
	struct gf_vars v = GF_VARS_INIT;
	const char *vm = cfg_str(cfg, "metal", "vm", "name");
	json_t *pid = json_object_get(json_object_get(json_object_get(cfg,
	    "metal"), "vm"), "pid");
	const char *jm = cfg_str(cfg, "prometheus", "job", "metal");
	const char *jv = cfg_str(cfg, "prometheus", "job", "vm");
	char *sel;
	int rc;

	gf_vars_set(&v, "rate_interval", rate_interval);
	gf_vars_set(&v, "metal_job_name", jm != NULL ? jm : "metal");
	gf_vars_set(&v, "vm_job_name", jv != NULL ? jv : "vm");
	gf_vars_set(&v, "dev_job_name", "dev");
	if (json_integer_value(pid) != 0) {
		sel = gf_xasprintf("pid=\"%lld\"", json_integer_value(pid));
		gf_vars_set(&v, "level", "process");
	} else {
		sel = gf_xasprintf("vm_id=~\".*%s\"", vm ? vm : "");
		gf_vars_set(&v, "level", "vm");
	}
	gf_vars_set(&v, "vm_selector", sel);
	free(sel);
	for (size_t i = 0; i < o->vars.n; i++)
		gf_vars_set(&v, o->vars.name[i], o->vars.value[i]);
	*path = find_checks(o->checks);
	rc = gf_checkset_load(cs, *path, &v, err);
	gf_vars_release(&v);
	if (rc == 0)
		json_object_set_new(section, "checks_file",
		    json_string(*path));
	return rc;
}

/* The document's windows as ranges, and as shaded bands for the charts. */
static int
doc_windows(struct run *r, const json_t *doc, struct gf_vwindow **wp,
    size_t *nwp, struct gf_err *err)
{
	size_t nw = gf_doc_window_count(doc);
	struct gf_vwindow *w;

	if (nw == 0)
		return gf_err_set(err, GF_EXIT_USAGE, "validate", "no time "
		    "range: give --start and --end, or a document with "
		    "windows (gf-stress)");
	w = gf_xcalloc(nw, sizeof(*w));
	r->bands = gf_xcalloc(nw, sizeof(*r->bands));
	*wp = w;
	*nwp = nw;
	for (size_t i = 0; i < nw; i++) {
		if (gf_doc_window(doc, i, &w[i].name, &w[i].start, &w[i].end,
		    err) == -1)
			return -1;
		w[i].open_end = 1;
		r->bands[i].label = w[i].name;
		r->bands[i].t0 = w[i].start;
		r->bands[i].t1 = w[i].end;
	}
	r->nbands = nw;
	return 0;
}

int
main(int argc, char *argv[])
{
	struct opts o;
	struct gf_tool t;
	struct gf_err err = GF_ERR_INIT;
	struct source src;
	struct run r;
	struct gf_checkset cs = GF_CHECKSET_INIT;
	struct gf_vwindow *w = NULL;
	json_t *cfg = NULL, *results, *sums = NULL;
	char *checks_path = NULL, *tag = NULL;
	const char *url, *ri, *step_s;
	double t0 = NAN, t1 = NAN, span0 = INFINITY, span1 = -INFINITY;
	size_t nw = 0;
	int ch, per_window = 0, tripped = 0, failed = 0;

	gf_setprogname(argv[0]);
	memset(&o, 0, sizeof(o));
	memset(&src, 0, sizeof(src));
	memset(&r, 0, sizeof(r));
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
	r.section = json_object();
	results = json_array();
	json_object_set_new(r.section, "results", results);

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
	if (gf_parse_duration(step_s != NULL ? step_s : "3s", "--step",
	    &src.vs.step, &err) == -1)
		goto done;
	if (src.vs.step <= 0) {
		gf_err_set(&err, GF_EXIT_USAGE, "validate",
		    "--step must be positive");
		goto done;
	}
	if (open_source(&src, &o, url, r.section, &err) == -1)
		goto done;
	if (o.checks != NULL && load_checks(&cs, &checks_path, &o, cfg, ri,
	    r.section, &err) == -1)
		goto done;
	if (!isnan(t0)) {
		w = gf_xcalloc(1, sizeof(*w));
		w[0].name = "all";
		w[0].start = t0;
		w[0].end = t1;
		nw = 1;
	} else if (o.model != NULL || o.checks != NULL || o.power != NULL ||
	    o.energy != NULL || o.nns > 0) {
		if (doc_windows(&r, t.doc, &w, &nw, &err) == -1)
			goto done;
		per_window = 1;
	}
	for (size_t i = 0; i < nw; i++) {
		span0 = fmin(span0, w[i].start);
		span1 = fmax(span1, w[i].end);
	}
	if (nw > 0) {
		json_object_set_new(r.section, "start", json_real(span0));
		json_object_set_new(r.section, "end", json_real(span1));
	}
	json_object_set_new(r.section, "step", json_real(src.vs.step));
	json_object_set_new(r.section, "rate_interval", json_string(ri));

	if (o.tag != NULL) {
		tag = gf_xstrdup(o.tag);
	} else {
		const char *id = json_string_value(json_object_get(
		    json_object_get(t.doc, "run"), "id"));

		tag = gf_xasprintf("%s", id != NULL ? id : "validate");
	}
	json_object_set_new(r.section, "tag", json_string(tag));
	if (o.out != NULL) {
		if (gf_report_stage_open(&r.stage, o.out, &err) == -1)
			goto done;
		r.staging = 1;
	}

	if (cs.n > 0) {
		gf_log_group("checks (%zu)", cs.n);
		failed = run_checks(&r, &src, &cs, w, nw, per_window, span0,
		    span1, results, &err);
		gf_log_endgroup();
		if (failed)
			goto done;
	}
	if (o.model != NULL && run_model(&r, &src, &o, w, nw, per_window,
	    span0, span1, results, &err) == -1)
		goto done;
	if (o.power != NULL || o.energy != NULL || o.nns > 0) {
		sums = json_array();
		json_object_set(r.section, "summaries", sums);
		if (run_summaries(&src, &o, w, nw, ri, sums, &err) == -1)
			goto done;
	}
	if (o.gate != NULL && run_gate(&src, &o, isnan(t1) ? NAN : t1,
	    r.section, &tripped, &err) == -1)
		goto done;

	verdict_counts(r.section, results, &err);
	if (r.staging) {
		struct gf_err werr = GF_ERR_INIT;
		char *slug = gf_slug(tag);

		json_object_set_new(r.section, "out", json_string(o.out));
		set_path(r.section, "report", o.out, "report-", slug, ".md");
		set_path(r.section, "json", o.out, "", slug, ".json");
		free(slug);
		if (write_report(&r, &src, tag, isnan(t1) ? NAN : t1,
		    &werr) == -1) {
			err = werr;
			goto done;
		}
	}
	{
		struct gf_err serr = GF_ERR_INIT;
		int s = step_summary(r.section, &serr);

		if (s == -1)
			gf_warn("%s", serr.msg);
		else if (s == 1)
			json_object_set_new(r.section, "step_summary",
			    json_true());
	}
	if (r.staging) {
		struct gf_err cerr = GF_ERR_INIT;

		if (gf_report_stage_commit(&r.stage, &cerr) == -1) {
			err = cerr;
			goto done;
		}
	}
	if (tripped && err.exit == 0)
		gf_err_set(&err, GF_EXIT_CHECK, "validate", "gate tripped: %s "
		    "%s %s", o.gate, o.op != NULL ? o.op : "<", o.threshold);
done:
	gf_doc_set(t.doc, "validate", r.section);
	json_decref(sums);
	gf_report_stage_release(&r.stage);
	if (src.have_prom)
		gf_prom_release(&src.prom);
	gf_recorded_release(&src.rec);
	gf_checkset_release(&cs);
	gf_vars_release(&o.vars);
	gf_vars_release(&o.fq);
	free(o.ns);
	free(w);
	free(r.bands);
	free(checks_path);
	free(tag);
	json_decref(cfg);
	return gf_tool_finish(&t, err.exit != 0 ? &err : NULL, NULL);
}
