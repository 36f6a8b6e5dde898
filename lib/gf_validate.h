/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Validation of predicted against measured series: check sets (the Kepler
 * validator's validations.yaml, with its str.format templating), time
 * alignment, error metrics and verdicts. Pure computation: no network, no
 * output; gf-validate fetches the series and gf_report writes the results.
 *
 *	struct gf_checkset cs;
 *	gf_checkset_load(&cs, "validations.yaml", &vars, &err);
 *	... fetch cs.checks[i].actual and .predicted ...
 *	gf_align(&a, &p, step, &al);
 *	gf_vmetrics_compute(al.a, al.p, al.n, &m);
 *	verdict = gf_verdict_of(&cs.checks[i].th, &m, NULL);
 */
#ifndef GF_VALIDATE_H
#define GF_VALIDATE_H

#include <stddef.h>

#include <jansson.h>

#include "gf_buf.h"
#include "gf_err.h"
#include "gf_prom.h"

/* Template variables: name -> value, both owned. */
struct gf_vars {
	char **name;
	char **value;
	size_t n;
};

#define GF_VARS_INIT { NULL, NULL, 0 }

/* Set (or replace) a variable; copies both strings. */
void gf_vars_set(struct gf_vars *v, const char *name, const char *value);
/* Borrowed; NULL when unset. */
const char *gf_vars_get(const struct gf_vars *v, const char *name);
void gf_vars_release(struct gf_vars *v);

/*
 * Expand a template the way Python's str.format does for the validator's
 * files: "{name}" is replaced by the variable, "{{" and "}}" are literal
 * braces. An unknown variable, an unmatched brace or a format spec
 * ("{x:>3}") is an error (65) naming it; what names the template in the
 * message ("check 'x', query 'metal'"). Returns a new string or NULL.
 */
char *gf_template_expand(const char *tmpl, const struct gf_vars *vars,
    const char *what, struct gf_err *err);

/* Thresholds; NaN = not set. */
struct gf_thresholds {
	double max_mae, max_mape, max_mse;
};

struct gf_check {
	char *name;
	char *units;		/* NULL when not given */
	char *actual_label;	/* key of the actual query ("metal") */
	char *predicted_label;
	char *actual;		/* expanded PromQL */
	char *predicted;
	struct gf_thresholds th;
};

struct gf_checkset {
	struct gf_check *checks;
	size_t n;
};

#define GF_CHECKSET_INIT { NULL, 0 }

/*
 * Load a check set from parsed YAML/JSON. The shape is the validator's:
 *
 *	config: {mapping: {actual: metal, predicted: vm}}   # optional
 *	validations:
 *	  - name: package
 *	    units: Watts                                    # optional
 *	    mapping: {actual: a, predicted: b}               # optional
 *	    metal: <PromQL template>
 *	    vm: <PromQL template>
 *	    max_mape: 20.0                                   # all optional
 *	    max_mae: 2.01
 *	    max_mse: 4
 *
 * Query keys default to "actual"/"predicted"; the older "expected"
 * (ground truth) / "actual" pair is accepted too. Templates are expanded
 * with vars. name names the file in messages. Errors are 65 naming the
 * field ("validations.yaml: validations[2].max_mape: expected a number").
 * Appends to cs (so several files can be merged).
 */
int gf_checkset_from_json(struct gf_checkset *cs, const json_t *root,
    const char *name, const struct gf_vars *vars, struct gf_err *err);
/* gf_yaml_load() then gf_checkset_from_json(). 66 when missing. */
int gf_checkset_load(struct gf_checkset *cs, const char *path,
    const struct gf_vars *vars, struct gf_err *err);
/* Append one check; copies the strings (units may be NULL). */
void gf_checkset_add(struct gf_checkset *cs, const char *name,
    const char *units, const char *actual_label, const char *actual,
    const char *predicted_label, const char *predicted,
    const struct gf_thresholds *th);
void gf_checkset_release(struct gf_checkset *cs);

/* A series as borrowed arrays; timestamps ascending, unix seconds. */
struct gf_vseries {
	const double *t;
	const double *v;
	size_t n;
};

/*
 * Aligned pairs. A sample that is NaN or infinite, or that has no partner
 * in the other series within tol seconds, is dropped and counted on its
 * side. Each sample is used at most once; of two candidates the nearer in
 * time wins.
 */
struct gf_aligned {
	double *t;		/* the actual sample's time; owned */
	double *a;
	double *p;
	size_t n;
	size_t dropped_actual;
	size_t dropped_predicted;
	size_t nonfinite;	/* how many of the dropped were NaN/Inf */
};

#define GF_ALIGNED_INIT { NULL, NULL, NULL, 0, 0, 0, 0 }

void gf_align(const struct gf_vseries *actual,
    const struct gf_vseries *predicted, double tol, struct gf_aligned *out);
void gf_aligned_release(struct gf_aligned *al);

struct gf_vmetrics {
	size_t n;		/* pairs */
	size_t n_mape;		/* pairs with actual > 0 */
	double mae, mse, rmse;	/* NaN when n == 0 */
	double mape;		/* percent, over actual > 0; NaN when none */
	double mean_actual, mean_predicted;
};

/*
 * Metrics over n pairs (a = actual, p = predicted), with compensated
 * summation. MAPE = 100 * mean(|a - p| / a) over a > 0 only, so it is
 * never infinite.
 */
void gf_vmetrics_compute(const double *a, const double *p, size_t n,
    struct gf_vmetrics *m);

enum gf_verdict {
	GF_VERDICT_PASS,
	GF_VERDICT_FAIL,
	GF_VERDICT_NO_THRESHOLD,
};

/* "PASS", "FAIL", "NO-THRESHOLD". */
const char *gf_verdict_name(enum gf_verdict v);

/*
 * The verdict for metrics m under th: NO-THRESHOLD when no threshold is
 * set (never PASS); FAIL when a set threshold is exceeded or its metric
 * could not be computed (no pairs, no positive actuals for MAPE); PASS
 * otherwise. When why is not NULL, the reason for a FAIL is appended
 * ("mape 25.1 > 20").
 */
enum gf_verdict gf_verdict_of(const struct gf_thresholds *th,
    const struct gf_vmetrics *m, struct gf_buf *why);

/*
 * Counter increase over samples v[0..n) (NaN skipped): the sum of the
 * positive steps, a drop counted as a reset from zero, as PromQL's
 * increase() does without extrapolation. 0 for fewer than 2 samples.
 */
double gf_counter_delta(const double *v, size_t n);

/* Mean and population standard deviation of the finite values. */
void gf_mean_sd(const double *v, size_t n, double *mean, double *sd,
    size_t *count);

/* Comparison operators of the gate: "<" "<=" ">" ">=" "==" "!=". */
enum gf_op {
	GF_OP_LT, GF_OP_LE, GF_OP_GT, GF_OP_GE, GF_OP_EQ, GF_OP_NE,
};

/* 0 and *op, or -1 (64) for an unknown operator. */
int gf_op_parse(const char *s, enum gf_op *op, struct gf_err *err);
const char *gf_op_name(enum gf_op op);
/* value op threshold; NaN never compares true. */
int gf_op_eval(enum gf_op op, double value, double threshold);

/*
 * A file-name-safe slug of name: letters, digits, '_', and '.' (never
 * first, never two in a row); runs of anything else become one '-'
 * between kept characters; "check" when nothing is left. Returns a new
 * string.
 */
char *gf_slug(const char *name);

/* A named time range to score separately (a document window). */
struct gf_vwindow {
	const char *name;	/* borrowed */
	double start, end;	/* unix seconds */
	int open_end;		/* 1: [start, end), so adjacent windows do
				   not share a sample; 0: [start, end] */
};

/*
 * Score one check: align actual and predicted within tol seconds inside
 * each window, compute metrics and the verdict. The result (a new
 * reference) has the fields gf-validate(1) lists: name, units,
 * actual_label, predicted_label, actual_query, predicted_query, samples,
 * samples_mape, dropped_actual, dropped_predicted, dropped_nonfinite,
 * mae, mape, mse, rmse, mean_actual, mean_predicted (null when not
 * computable), thresholds (the ones set), verdict, reason (on FAIL) and,
 * when per_window, "windows": one entry per window with the same metric
 * fields plus window, start and end. The overall figures pool the pairs
 * of every window. When pairs is not NULL it receives the pooled pairs
 * (release with gf_aligned_release()).
 */
json_t *gf_validate_check(const struct gf_check *c,
    const struct gf_vseries *actual, const struct gf_vseries *predicted,
    double tol, const struct gf_vwindow *w, size_t nw, int per_window,
    struct gf_aligned *pairs);

/*
 * Recorded query results (gf-validate --from-json): a JSON object mapping
 * each query to its query_range result, either the "data" object
 * ({"resultType":"matrix","result":[{"metric":{...},"values":[[t,"v"],
 * ...]}]}) or the whole API response around it. Values are strings as
 * Prometheus sends them ("NaN", "+Inf" included) or numbers. The reader
 * is written for this shape, so a day of samples for many checks loads in
 * a fraction of what a general JSON tree costs; errors are 65 with
 * name:line:col. text must have a NUL at text[len] (gf_fs_read gives
 * one). On failure rec holds what was read so far: release it.
 */
struct gf_recorded_query {
	char *query;		/* owned */
	struct gf_prom_result res;
};

struct gf_recorded {
	struct gf_recorded_query *q;
	size_t n;
};

#define GF_RECORDED_INIT { NULL, 0 }

int gf_recorded_parse(struct gf_recorded *rec, const char *text, size_t len,
    const char *name, struct gf_err *err);
/* Borrowed; NULL when the query was not recorded. */
const struct gf_prom_result *gf_recorded_find(const struct gf_recorded *rec,
    const char *query);
/* Deep copy of a result into out (release with gf_prom_result_release). */
void gf_prom_result_copy(struct gf_prom_result *out,
    const struct gf_prom_result *in);
void gf_recorded_release(struct gf_recorded *rec);

/*
 * Where series come from: a Prometheus, or recorded results (both
 * borrowed). step is the range queries' step, in seconds.
 */
struct gf_vsource {
	struct gf_prom *prom;
	const struct gf_recorded *rec;
	const char *rec_name;	/* the recorded file, for messages */
	double step;
};

/*
 * Range query [start, end] that must return exactly one series: no series
 * or several are 65 naming what (e.g. "check 'x', metal"), the query and
 * the label sets that came back. res is filled (release it in every
 * case); the API's warnings are left in it for the caller to show. Of
 * recorded results the samples in [start, end] are kept, as Prometheus
 * would answer.
 */
int gf_vsource_range(const struct gf_vsource *src, const char *query,
    const char *what, double start, double end, struct gf_prom_result *res,
    struct gf_err *err);

/*
 * An instant query at t (NaN = now) that must give one value: *value
 * and its time *at (of recorded results: the last sample at or before
 * t). 65 when there is no series, several, or no sample.
 */
int gf_vsource_value(const struct gf_vsource *src, const char *query,
    const char *what, double t, double *value, double *at,
    struct gf_err *err);

/*
 * What gf_validate_summaries measures in each window (queries left NULL
 * are not measured). All borrowed.
 */
struct gf_summary_req {
	const char *power;	/* instantaneous power in W: mean_power_w */
	const char *energy;	/* an energy counter in J: energy_j */
	const char *work;	/* a counter of units of work: work */
	const char *work_unit;	/* its unit's name; NULL = "unit" */
	double idle_power;	/* W taken out per unit of work; NaN: none */
	const char *const *ns;	/* namespaces whose CPU overhead to give */
	size_t nns;
	const char *rate_interval;	/* of the overhead's rate() */
	/* Each warning (Prometheus', a window without data); NULL: none. */
	gf_warn_fn *warn;
	void *arg;
};

/*
 * One summary per window appended to out (borrowed): window, start, end,
 * mean_power_w, energy_j, work, work_unit, energy_per_unit,
 * dynamic_energy_per_unit, overhead.<namespace> {query, mean, sd,
 * samples}, as gf-validate(1) lists them. A query without samples in a
 * window, when there are several windows, is noted in that window's
 * no_data (and warned of); no data in any window, or any other failure of
 * a query, is -1 with err set (65 for the data). out keeps the windows
 * summarised before a failure.
 */
int gf_validate_summaries(const struct gf_vsource *src,
    const struct gf_summary_req *req, const struct gf_vwindow *w,
    size_t nw, json_t *out, struct gf_err *err);

struct gf_model;

/*
 * Model predictions at the measured timestamps: out[k] is the model's
 * prediction from the feature samples nearest to meas->t[k] when every
 * feature has a finite one within tol seconds, else NaN. feat[i] is the
 * series of the model's feature i. out has meas->n entries.
 */
void gf_validate_predict(const struct gf_model *m,
    const struct gf_vseries *meas, const struct gf_vseries *feat,
    size_t nfeat, double tol, double *out);

#endif
