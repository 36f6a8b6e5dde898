/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/stat.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_validaterun.h"
#include "gf_window.h"
#include "gf_buf.h"
#include "gf_checks.h"
#include "gf_compat.h"
#include "gf_doc.h"
#include "gf_err.h"
#include "gf_fs.h"
#include "gf_http.h"
#include "gf_metrics.h"
#include "gf_model.h"
#include "gf_model_file.h"
#include "gf_parse.h"
#include "gf_prom.h"
#include "gf_report.h"
#include "gf_source.h"
#include "gf_svg.h"
#include "gf_validate.h"
#include "gf_xalloc.h"
#include "gf_section.h"
#include "gf_banned.h"

#define STEP_SUMMARY_MAX (1024 * 1024)

/* The series source: Prometheus, or recorded query results. */
struct source {
	struct gf_vsource vs;	/* points into the two below */
	struct gf_prom prom;
	int have_prom;
	struct gf_recorded rec;	/* from_json */
};

/* Everything one run produces, for the report. */
struct run {
	const struct gf_validate_opts *o;
	const json_t *doc;	/* the run document: its hosts */
	struct source src;
	struct gf_report_stage stage;
	int staging;
	json_t *section;
	struct gf_svg_band *bands;
	size_t nbands;
};

void
gf_validate_opts_init(struct gf_validate_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->rate_interval = "20s";
	o->start = o->end = NAN;
	o->th.max_mae = o->th.max_mape = o->th.max_mse = NAN;
	o->idle_power = NAN;
}

static void say(void (*fn)(const char *, void *), void *arg,
    const char *fmt, ...) GF_PRINTF(3, 4);

/* Unlike gf_err_warn, not cut at a gf_err's length. */
static void
say(void (*fn)(const char *, void *), void *arg, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (fn == NULL)
		return;
	va_start(ap, fmt);
	msg = gf_xvasprintf(fmt, ap);
	va_end(ap);
	fn(msg, arg);
	free(msg);
}

/* A range query that must give one series; warnings are passed on. */
static int
fetch_one(struct run *r, const char *q, const char *what, double start,
    double end, struct gf_prom_result *res, struct gf_err *err)
{
	int rc = gf_vsource_range(&r->src.vs, q, what, start, end, res, err);

	for (size_t i = 0; i < res->nwarnings; i++)
		say(r->o->warn, r->o->arg, "%s: prometheus warns: %s", what,
		    res->warnings[i]);
	return rc;
}

static struct gf_vseries
vs(const struct gf_prom_result *r)
{
	struct gf_vseries s = { r->series[0].t, r->series[0].v,
	    r->series[0].n };

	return s;
}

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
run_checks(struct run *r, const struct gf_checkset *cs,
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
		if (fetch_one(r, c->actual, what, span0, span1, &ra, err)
		    == -1) {
			gf_prom_result_release(&ra);
			return -1;
		}
		snprintf(what, sizeof(what), "check '%s', %s", c->name,
		    c->predicted_label);
		if (fetch_one(r, c->predicted, what, span0, span1, &rp, err)
		    == -1) {
			gf_prom_result_release(&ra);
			gf_prom_result_release(&rp);
			return -1;
		}
		a = vs(&ra);
		p = vs(&rp);
		res = gf_validate_check(c, &a, &p, r->src.vs.step, w, nw,
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

			say(r->o->info, r->o->arg, "%s: %s (MAE %s, MAPE %s "
			    "%%, %lld pairs)", c->name, json_string_value(
			    json_object_get(res, "verdict")), gf_report_num(
			    json_object_get(res, "mae"), b1), gf_report_num(
			    json_object_get(res, "mape"), b2),
			    json_integer_value(json_object_get(res,
			    "samples")));
		}
	}
	return 0;
}

/*
 * The model check: fetch measured power and every feature, predict at the
 * measured timestamps where all features have a sample within the step.
 */
static int
run_model(struct run *r, const struct gf_vwindow *w, size_t nw,
    int per_window, double span0, double span1, json_t *results,
    struct gf_err *err)
{
	const struct gf_validate_opts *o = r->o;
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
	for (i = 0; o->feature_queries != NULL &&
	    i < o->feature_queries->n; i++)
		gf_vars_set(&fq, o->feature_queries->name[i],
		    o->feature_queries->value[i]);
	nf = gf_model_nfeatures(m);
	feat = gf_xcalloc(nf + 1, sizeof(*feat));
	if (o->measured == NULL) {
		gf_err_set(err, GF_EXIT_USAGE, "validate",
		    "--model needs --measured PROMQL (the measured power)");
		goto out;
	}
	if (fetch_one(r, o->measured, "model, measured", span0, span1, &meas,
	    err) == -1)
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
		if (fetch_one(r, fqq, what, span0, span1, &feat[i], err) ==
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

		gf_validate_predict(m, &ms, fs, nf, r->src.vs.step, pred.v);
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

		res = gf_validate_check(&one.checks[0], &a, &p,
		    r->src.vs.step, w, nw, per_window, &al);
	}
	{
		char *model = gf_section_path(o->model);

		json_object_set_new(res, "model", json_string(model));
		free(model);
	}
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

/* Energy, power, work and overhead per window: see gf_validate_summaries. */
static int
run_summaries(struct run *r, const struct gf_vwindow *w, size_t nw,
    json_t *out, struct gf_err *err)
{
	const struct gf_validate_opts *o = r->o;
	struct gf_summary_req req = { o->power, o->energy, o->work,
	    o->work_unit, o->idle_power, o->ns, o->nns, o->rate_interval,
	    o->warn, o->arg };

	return gf_validate_summaries(&r->src.vs, &req, w, nw, out, err);
}

static int
run_gate(struct run *r, double at, int *tripped, struct gf_err *err)
{
	const struct gf_validate_opts *o = r->o;
	enum gf_op op = GF_OP_LT;
	double th, v, when;

	if (o->op != NULL && gf_op_parse(o->op, &op, err) == -1)
		return -1;
	if (o->threshold == NULL)
		return gf_err_set(err, GF_EXIT_USAGE, "validate",
		    "--gate needs --threshold NUMBER");
	if (gf_parse_double(o->threshold, "--threshold", &th, err) == -1)
		return -1;
	if (gf_vsource_value(&r->src.vs, o->gate, "gate", at, &v, &when, err)
	    == -1)
		return -1;
	*tripped = gf_op_eval(op, v, th);
	json_object_set_new(r->section, "gate", json_pack("{s:s, s:s, s:f, "
	    "s:o, s:b, s:f}", "query", o->gate, "op", gf_op_name(op),
	    "threshold", th, "value", gf_doc_number(v), "tripped", *tripped,
	    "time", when));
	return 0;
}

/* Labels of every series an instant query returns (build and node info). */
static json_t *
info_labels(struct run *r, const char *q, double at)
{
	struct gf_prom_result res;
	struct gf_err err = GF_ERR_INIT;
	json_t *out = json_array();

	if (!r->src.have_prom)
		return out;
	memset(&res, 0, sizeof(res));
	if (gf_prom_query(&r->src.prom, q, at, &res, &err) == 0) {
		for (size_t i = 0; i < res.nseries; i++) {
			json_t *l = json_deep_copy(res.series[i].labels);

			json_object_del(l, "__name__");
			json_array_append_new(out, l);
		}
	} else {
		say(r->o->warn, r->o->arg, "%s: %s", q, err.msg);
	}
	gf_prom_result_release(&res);
	return out;
}

static int
write_report(struct run *r, const char *tag, double at, struct gf_err *err)
{
	json_t *rep = json_deep_copy(r->section), *js;
	char *txt, *slug = gf_slug(tag), *rel;
	int rc;

	json_object_set_new(rep, "build_info", info_labels(r,
	    "kepler_exporter_build_info", at));
	json_object_set_new(rep, "node_info", info_labels(r,
	    "kepler_node_info", at));
	json_object_set_new(rep, "machine_specs", gf_report_machine_specs(r->doc));
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
step_summary(struct run *r, struct gf_err *err)
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
		say(r->o->warn, r->o->arg, "GITHUB_STEP_SUMMARY is full "
		    "(1 MiB); summary not appended");
		return 0;
	}
	txt = gf_report_step_summary(r->section, room);
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
 * The series source: the recorded file of from_json, else Prometheus at
 * url (shown in the section without credentials).
 */
static int
open_source(struct run *r, struct gf_err *err)
{
	const struct gf_validate_opts *o = r->o;
	struct source *src = &r->src;
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
	if (o->url == NULL)
		return gf_err_set(err, GF_EXIT_CONFIG, "validate", "no "
		    "Prometheus URL: give --prometheus, GF_PROMETHEUS_URL, or "
		    "a document with stack.prometheus.url");
	shown = gf_http_redact_url(o->url);
	gf_prom_init(&src->prom, o->url);
	src->have_prom = 1;
	src->vs.prom = &src->prom;
	json_object_set_new(r->section, "prometheus", json_string(shown));
	free(shown);
	if (o->timeout != NULL && gf_parse_duration(o->timeout, "--timeout",
	    &src->prom.http.timeout, err) == -1)
		return -1;
	return 0;
}

/*
 * The check set, its queries filled with the template variables the
 * Kepler validator sets, then the caller's. *path: a new string.
 */
static int
load_checks(struct run *r, struct gf_checkset *cs, char **path,
    struct gf_err *err)
{
	const struct gf_validate_opts *o = r->o;
	struct gf_vars v = GF_VARS_INIT;
	char *sel;
	int rc;

	gf_vars_set(&v, "rate_interval", o->rate_interval);
	gf_vars_set(&v, "metal_job_name", o->metal_job != NULL ?
	    o->metal_job : "metal");
	gf_vars_set(&v, "vm_job_name", o->vm_job != NULL ? o->vm_job : "vm");
	gf_vars_set(&v, "dev_job_name", "dev");
	if (o->vm_pid != 0) {
		sel = gf_xasprintf("pid=\"%lld\"", o->vm_pid);
		gf_vars_set(&v, "level", "process");
	} else {
		sel = gf_xasprintf("vm_id=~\".*%s\"", o->vm_name ?
		    o->vm_name : "");
		gf_vars_set(&v, "level", "vm");
	}
	gf_vars_set(&v, "vm_selector", sel);
	free(sel);
	for (size_t i = 0; o->vars != NULL && i < o->vars->n; i++)
		gf_vars_set(&v, o->vars->name[i], o->vars->value[i]);
	*path = gf_checkset_find(o->checks);
	rc = gf_checkset_load(cs, *path, &v, err);
	gf_vars_release(&v);
	if (rc == 0) {
		char *abs = gf_section_path(*path);

		json_object_set_new(r->section, "checks_file",
		    json_string(abs));
		free(abs);
	}
	return rc;
}

/*
 * The ranges to validate: --start/--end as one range, else the
 * document's windows, each also a shaded band for the charts.
 */
static int
select_windows(struct run *r, const json_t *doc, struct gf_vwindow **wp,
    size_t *nwp, int *per_window, struct gf_err *err)
{
	struct gf_windows ws;
	struct gf_vwindow *w;

	if (gf_windows_select(doc, r->o->start, r->o->end, NULL, &ws,
	    err) < 0)
		return -1;
	*per_window = isnan(r->o->start);
	w = gf_xcalloc(ws.n, sizeof(*w));
	if (*per_window)
		r->bands = gf_xcalloc(ws.n, sizeof(*r->bands));
	for (size_t i = 0; i < ws.n; i++) {
		w[i].name = ws.w[i].name;
		w[i].start = ws.w[i].start;
		w[i].end = ws.w[i].end;
		if (!*per_window)
			continue;
		w[i].open_end = 1;
		r->bands[i].label = w[i].name;
		r->bands[i].t0 = w[i].start;
		r->bands[i].t1 = w[i].end;
	}
	r->nbands = *per_window ? ws.n : 0;
	*wp = w;
	*nwp = ws.n;
	gf_windows_release(&ws);
	return 0;
}

/* The report's tag: the caller's, else the run's id. A new string. */
static char *
report_tag(const struct gf_validate_opts *o, const json_t *doc)
{
	const char *id;

	if (o->tag != NULL)
		return gf_xstrdup(o->tag);
	id = gf_doc_path_string(doc, GF_DOC_RUN_ID);
	return gf_xstrdup(id != NULL ? id : "validate");
}

/*
 * The report files, the job summary, then the report directory moved
 * into place. A failure of the summary is only a warning.
 */
static int
finish_outputs(struct run *r, const char *tag, struct gf_err *err)
{
	const struct gf_validate_opts *o = r->o;
	struct gf_err serr = GF_ERR_INIT;
	int s;

	if (r->staging) {
		struct gf_err werr = GF_ERR_INIT;
		char *slug = gf_slug(tag), *out = gf_section_path(o->out);

		json_object_set_new(r->section, GF_FIELD_VALIDATE_OUT,
		    json_string(out));
		set_path(r->section, GF_FIELD_VALIDATE_REPORT, out, "report-",
		    slug, ".md");
		set_path(r->section, GF_FIELD_VALIDATE_JSON, out, "", slug,
		    ".json");
		free(out);
		free(slug);
		if (write_report(r, tag, o->end, &werr) == -1) {
			*err = werr;
			return -1;
		}
	}
	if ((s = step_summary(r, &serr)) == -1)
		say(o->warn, o->arg, "%s", serr.msg);
	else if (s == 1)
		json_object_set_new(r->section, "step_summary", json_true());
	if (r->staging) {
		struct gf_err cerr = GF_ERR_INIT;

		if (gf_report_stage_commit(&r->stage, &cerr) == -1) {
			*err = cerr;
			return -1;
		}
	}
	return 0;
}

int
gf_validate_run(const struct gf_validate_opts *o, const json_t *doc,
    json_t *section, struct gf_err *err)
{
	struct run r;
	struct gf_checkset cs = GF_CHECKSET_INIT;
	struct gf_vwindow *w = NULL;
	json_t *results = json_array(), *sums = NULL;
	char *checks_path = NULL, *tag = NULL;
	double span0 = INFINITY, span1 = -INFINITY;
	size_t nw = 0;
	int per_window = 0, tripped = 0, rc = -1;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.doc = doc;
	r.section = section;
	json_object_set_new(section, "results", results);
	if (gf_parse_duration(o->step != NULL ? o->step : "3s", "--step",
	    &r.src.vs.step, err) == -1)
		goto out;
	if (r.src.vs.step <= 0) {
		gf_err_set(err, GF_EXIT_USAGE, "validate",
		    "--step must be positive");
		goto out;
	}
	if (open_source(&r, err) == -1)
		goto out;
	if (o->checks != NULL && load_checks(&r, &cs, &checks_path, err) == -1)
		goto out;
	if ((!isnan(o->start) || !isnan(o->end) || o->model != NULL ||
	    o->checks != NULL || o->power != NULL || o->energy != NULL ||
	    o->nns > 0) && select_windows(&r, doc, &w, &nw, &per_window,
	    err) == -1)
		goto out;
	for (size_t i = 0; i < nw; i++) {
		span0 = fmin(span0, w[i].start);
		span1 = fmax(span1, w[i].end);
	}
	if (nw > 0) {
		json_object_set_new(section, "start", json_real(span0));
		json_object_set_new(section, "end", json_real(span1));
	}
	json_object_set_new(section, "step", json_real(r.src.vs.step));
	json_object_set_new(section, "rate_interval",
	    json_string(o->rate_interval));
	tag = report_tag(o, doc);
	json_object_set_new(section, "tag", json_string(tag));
	if (o->out != NULL) {
		if (gf_report_stage_open(&r.stage, o->out, err) == -1)
			goto out;
		r.staging = 1;
	}

	if (cs.n > 0) {
		int failed;

		say(o->group, o->arg, "checks (%zu)", cs.n);
		failed = run_checks(&r, &cs, w, nw, per_window, span0, span1,
		    results, err);
		if (o->group != NULL)
			o->group(NULL, o->arg);
		if (failed)
			goto out;
	}
	if (o->model != NULL && run_model(&r, w, nw, per_window, span0,
	    span1, results, err) == -1)
		goto out;
	if (o->power != NULL || o->energy != NULL || o->nns > 0) {
		sums = json_array();
		json_object_set(section, "summaries", sums);
		if (run_summaries(&r, w, nw, sums, err) == -1)
			goto out;
	}
	if (o->gate != NULL && run_gate(&r, o->end, &tripped, err) == -1)
		goto out;

	verdict_counts(section, results, err);
	if (finish_outputs(&r, tag, err) == -1)
		goto out;
	if (tripped && err->exit == 0)
		gf_err_set(err, GF_EXIT_CHECK, "validate", "gate tripped: %s "
		    "%s %s", o->gate, o->op != NULL ? o->op : "<",
		    o->threshold);
	rc = err->exit != 0 ? 1 : 0;
out:
	json_decref(sums);
	gf_report_stage_release(&r.stage);
	if (r.src.have_prom)
		gf_prom_release(&r.src.prom);
	gf_recorded_release(&r.src.rec);
	gf_checkset_release(&cs);
	free(w);
	free(r.bands);
	free(checks_path);
	free(tag);
	return rc;
}
