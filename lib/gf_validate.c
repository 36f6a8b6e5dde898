/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_validate.h"
#include "gf_buf.h"
#include "gf_doc.h"
#include "gf_err.h"
#include "gf_model.h"
#include "gf_parse.h"
#include "gf_prom.h"
#include "gf_xalloc.h"
#include "gf_yaml.h"
#include "gf_banned.h"

void
gf_vars_set(struct gf_vars *v, const char *name, const char *value)
{
	for (size_t i = 0; i < v->n; i++) {
		if (strcmp(v->name[i], name) == 0) {
			free(v->value[i]);
			v->value[i] = gf_xstrdup(value);
			return;
		}
	}
	v->name = gf_xreallocarray(v->name, v->n + 1, sizeof(*v->name));
	v->value = gf_xreallocarray(v->value, v->n + 1, sizeof(*v->value));
	v->name[v->n] = gf_xstrdup(name);
	v->value[v->n] = gf_xstrdup(value);
	v->n++;
}

const char *
gf_vars_get(const struct gf_vars *v, const char *name)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->name[i], name) == 0)
			return v->value[i];
	return NULL;
}

void
gf_vars_release(struct gf_vars *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->n; i++) {
		free(v->name[i]);
		free(v->value[i]);
	}
	free(v->name);
	free(v->value);
	v->name = v->value = NULL;
	v->n = 0;
}

char *
gf_template_expand(const char *tmpl, const struct gf_vars *vars,
    const char *what, struct gf_err *err)
{
	struct gf_buf b = GF_BUF_INIT;
	const char *s = tmpl;

	gf_buf_adds(&b, "");
	while (*s != '\0') {
		if (s[0] == '{' && s[1] == '{') {
			gf_buf_addc(&b, '{');
			s += 2;
		} else if (s[0] == '}' && s[1] == '}') {
			gf_buf_addc(&b, '}');
			s += 2;
		} else if (s[0] == '}') {
			gf_buf_release(&b);
			gf_err_set(err, GF_EXIT_DATAERR, "validate",
			    "%s: single '}' in template (write '}}' for a "
			    "brace)", what);
			return NULL;
		} else if (s[0] == '{') {
			const char *end = strchr(s + 1, '}');
			const char *val;
			char *key;

			if (end == NULL) {
				gf_buf_release(&b);
				gf_err_set(err, GF_EXIT_DATAERR, "validate",
				    "%s: unmatched '{' in template (write "
				    "'{{' for a brace)", what);
				return NULL;
			}
			key = gf_xstrndup(s + 1, (size_t)(end - s - 1));
			val = gf_vars_get(vars, key);
			if (val == NULL) {
				gf_err_set(err, GF_EXIT_DATAERR, "validate",
				    "%s: unknown template variable '{%s}'",
				    what, key);
				free(key);
				gf_buf_release(&b);
				return NULL;
			}
			free(key);
			gf_buf_adds(&b, val);
			s = end + 1;
		} else {
			gf_buf_addc(&b, *s++);
		}
	}
	return gf_buf_detach(&b);
}

void
gf_checkset_add(struct gf_checkset *cs, const char *name, const char *units,
    const char *actual_label, const char *actual,
    const char *predicted_label, const char *predicted,
    const struct gf_thresholds *th)
{
	struct gf_check *c;

	cs->checks = gf_xreallocarray(cs->checks, cs->n + 1,
	    sizeof(*cs->checks));
	c = &cs->checks[cs->n++];
	c->name = gf_xstrdup(name);
	c->units = units != NULL ? gf_xstrdup(units) : NULL;
	c->actual_label = gf_xstrdup(actual_label);
	c->predicted_label = gf_xstrdup(predicted_label);
	c->actual = gf_xstrdup(actual);
	c->predicted = gf_xstrdup(predicted);
	c->th = *th;
}

void
gf_checkset_release(struct gf_checkset *cs)
{
	if (cs == NULL)
		return;
	for (size_t i = 0; i < cs->n; i++) {
		struct gf_check *c = &cs->checks[i];

		free(c->name);
		free(c->units);
		free(c->actual_label);
		free(c->predicted_label);
		free(c->actual);
		free(c->predicted);
	}
	free(cs->checks);
	cs->checks = NULL;
	cs->n = 0;
}

/* A mapping's key names, from "mapping" of obj when present. */
static int
mapping_of(const json_t *obj, const char *path, const char **actual,
    const char **predicted, struct gf_err *err)
{
	json_t *m = json_object_get(obj, "mapping");
	json_t *x;

	if (m == NULL || json_is_null(m))
		return 0;
	if (!json_is_object(m))
		return gf_err_set(err, GF_EXIT_DATAERR, "validate",
		    "%s.mapping: expected a mapping", path);
	if ((x = json_object_get(m, "actual")) != NULL) {
		if (!json_is_string(x))
			return gf_err_set(err, GF_EXIT_DATAERR, "validate",
			    "%s.mapping.actual: expected a string", path);
		*actual = json_string_value(x);
	}
	if ((x = json_object_get(m, "predicted")) != NULL) {
		if (!json_is_string(x))
			return gf_err_set(err, GF_EXIT_DATAERR, "validate",
			    "%s.mapping.predicted: expected a string", path);
		*predicted = json_string_value(x);
	}
	return 0;
}

static int
threshold_of(const json_t *v, const char *key, const char *path,
    double *out, struct gf_err *err)
{
	json_t *x = json_object_get(v, key);

	*out = NAN;
	if (x == NULL || json_is_null(x))
		return 0;
	if (!json_is_number(x) || !isfinite(json_number_value(x)) ||
	    json_number_value(x) < 0)
		return gf_err_set(err, GF_EXIT_DATAERR, "validate",
		    "%s.%s: expected a number >= 0", path, key);
	*out = json_number_value(x);
	return 0;
}

static int
query_of(const json_t *v, const char *key, const char *path,
    const char **out, struct gf_err *err)
{
	json_t *x = json_object_get(v, key);

	if (x == NULL)
		return gf_err_set(err, GF_EXIT_DATAERR, "validate",
		    "%s: missing query '%s'", path, key);
	if (!json_is_string(x) || json_string_length(x) == 0)
		return gf_err_set(err, GF_EXIT_DATAERR, "validate",
		    "%s.%s: expected a PromQL string", path, key);
	*out = json_string_value(x);
	return 0;
}

int
gf_checkset_from_json(struct gf_checkset *cs, const json_t *root,
    const char *name, const struct gf_vars *vars, struct gf_err *err)
{
	const char *def_actual = "actual", *def_pred = "predicted";
	json_t *vals, *config;
	size_t i;
	json_t *v;

	if (!json_is_object(root))
		return gf_err_set(err, GF_EXIT_DATAERR, "validate",
		    "%s: expected a mapping with 'validations'", name);
	config = json_object_get(root, "config");
	if (config != NULL && !json_is_null(config)) {
		if (!json_is_object(config))
			return gf_err_set(err, GF_EXIT_DATAERR, "validate",
			    "%s: config: expected a mapping", name);
		if (mapping_of(config, "config", &def_actual, &def_pred,
		    err) == -1)
			return gf_err_prefix(err, "%s", name);
	}
	vals = json_object_get(root, "validations");
	if (!json_is_array(vals))
		return gf_err_set(err, GF_EXIT_DATAERR, "validate",
		    "%s: validations: expected a list of checks", name);
	json_array_foreach(vals, i, v) {
		const char *ka = def_actual, *kp = def_pred;
		const char *cname, *units = NULL, *qa, *qp;
		struct gf_thresholds th;
		char path[64], what[512];
		char *ea = NULL, *ep = NULL;
		json_t *x;

		snprintf(path, sizeof(path), "validations[%zu]", i);
		if (!json_is_object(v))
			return gf_err_set(err, GF_EXIT_DATAERR, "validate",
			    "%s: %s: expected a mapping", name, path);
		x = json_object_get(v, "name");
		if (!json_is_string(x) || json_string_length(x) == 0)
			return gf_err_set(err, GF_EXIT_DATAERR, "validate",
			    "%s: %s.name: expected a string", name, path);
		cname = json_string_value(x);
		x = json_object_get(v, "units");
		if (x != NULL && !json_is_null(x)) {
			if (!json_is_string(x))
				return gf_err_set(err, GF_EXIT_DATAERR,
				    "validate", "%s: %s.units: expected a "
				    "string", name, path);
			units = json_string_value(x);
		}
		if (mapping_of(v, path, &ka, &kp, err) == -1)
			return gf_err_prefix(err, "%s", name);
		/* The older files name ground truth "expected". */
		if (ka == def_actual && kp == def_pred &&
		    strcmp(ka, "actual") == 0 &&
		    json_object_get(v, "expected") != NULL &&
		    json_object_get(v, "predicted") == NULL) {
			ka = "expected";
			kp = "actual";
		}
		if (query_of(v, ka, path, &qa, err) == -1 ||
		    query_of(v, kp, path, &qp, err) == -1 ||
		    threshold_of(v, "max_mae", path, &th.max_mae, err) == -1 ||
		    threshold_of(v, "max_mape", path, &th.max_mape,
		    err) == -1 ||
		    threshold_of(v, "max_mse", path, &th.max_mse, err) == -1)
			return gf_err_prefix(err, "%s", name);
		snprintf(what, sizeof(what), "%s: check '%s', query '%s'",
		    name, cname, ka);
		if ((ea = gf_template_expand(qa, vars, what, err)) == NULL)
			return -1;
		snprintf(what, sizeof(what), "%s: check '%s', query '%s'",
		    name, cname, kp);
		if ((ep = gf_template_expand(qp, vars, what, err)) == NULL) {
			free(ea);
			return -1;
		}
		for (size_t j = 0; j < cs->n; j++) {
			if (strcmp(cs->checks[j].name, cname) == 0) {
				free(ea);
				free(ep);
				return gf_err_set(err, GF_EXIT_DATAERR,
				    "validate", "%s: %s.name: duplicate check "
				    "'%s'", name, path, cname);
			}
		}
		gf_checkset_add(cs, cname, units, ka, ea, kp, ep, &th);
		free(ea);
		free(ep);
	}
	return 0;
}

int
gf_checkset_load(struct gf_checkset *cs, const char *path,
    const struct gf_vars *vars, struct gf_err *err)
{
	json_t *root;
	int rc;

	if ((root = gf_yaml_load(path, err)) == NULL)
		return -1;
	rc = gf_checkset_from_json(cs, root, path, vars, err);
	json_decref(root);
	return rc;
}

void
gf_align(const struct gf_vseries *A, const struct gf_vseries *P, double tol,
    struct gf_aligned *out)
{
	size_t i = 0, j = 0, cap = A->n < P->n ? A->n : P->n;

	memset(out, 0, sizeof(*out));
	out->t = gf_xcalloc(cap + 1, sizeof(double));
	out->a = gf_xcalloc(cap + 1, sizeof(double));
	out->p = gf_xcalloc(cap + 1, sizeof(double));
	while (i < A->n && j < P->n) {
		double d;

		if (!isfinite(A->v[i])) {
			out->dropped_actual++;
			out->nonfinite++;
			i++;
			continue;
		}
		if (!isfinite(P->v[j])) {
			out->dropped_predicted++;
			out->nonfinite++;
			j++;
			continue;
		}
		d = fabs(A->t[i] - P->t[j]);
		/*
		 * Pair only when neither sample has a nearer partner next
		 * in line; otherwise the earlier one is the odd one out.
		 */
		if (d < tol &&
		    !(i + 1 < A->n && isfinite(A->v[i + 1]) &&
		    fabs(A->t[i + 1] - P->t[j]) < d) &&
		    !(j + 1 < P->n && isfinite(P->v[j + 1]) &&
		    fabs(A->t[i] - P->t[j + 1]) < d)) {
			out->t[out->n] = A->t[i];
			out->a[out->n] = A->v[i];
			out->p[out->n] = P->v[j];
			out->n++;
			i++;
			j++;
		} else if (A->t[i] <= P->t[j]) {
			out->dropped_actual++;
			i++;
		} else {
			out->dropped_predicted++;
			j++;
		}
	}
	for (; i < A->n; i++) {
		out->dropped_actual++;
		if (!isfinite(A->v[i]))
			out->nonfinite++;
	}
	for (; j < P->n; j++) {
		out->dropped_predicted++;
		if (!isfinite(P->v[j]))
			out->nonfinite++;
	}
}

void
gf_aligned_release(struct gf_aligned *al)
{
	if (al == NULL)
		return;
	free(al->t);
	free(al->a);
	free(al->p);
	memset(al, 0, sizeof(*al));
}

/* Neumaier's compensated sum, so long series lose no digits. */
struct ksum {
	double s, c;
};

static void
ksum_add(struct ksum *k, double x)
{
	double t = k->s + x;

	if (fabs(k->s) >= fabs(x))
		k->c += (k->s - t) + x;
	else
		k->c += (x - t) + k->s;
	k->s = t;
}

static double
ksum_get(const struct ksum *k)
{
	return k->s + k->c;
}

void
gf_vmetrics_compute(const double *a, const double *p, size_t n,
    struct gf_vmetrics *m)
{
	struct ksum ae = { 0, 0 }, se = { 0, 0 }, pe = { 0, 0 };
	struct ksum sa = { 0, 0 }, sp = { 0, 0 };
	size_t npos = 0;

	for (size_t i = 0; i < n; i++) {
		double e = a[i] - p[i];

		ksum_add(&ae, fabs(e));
		ksum_add(&se, e * e);
		ksum_add(&sa, a[i]);
		ksum_add(&sp, p[i]);
		if (a[i] > 0) {
			ksum_add(&pe, fabs(e) / a[i]);
			npos++;
		}
	}
	m->n = n;
	m->n_mape = npos;
	if (n == 0) {
		m->mae = m->mse = m->rmse = NAN;
		m->mean_actual = m->mean_predicted = NAN;
	} else {
		m->mae = ksum_get(&ae) / (double)n;
		m->mse = ksum_get(&se) / (double)n;
		m->rmse = sqrt(m->mse);
		m->mean_actual = ksum_get(&sa) / (double)n;
		m->mean_predicted = ksum_get(&sp) / (double)n;
	}
	m->mape = npos == 0 ? NAN : 100.0 * ksum_get(&pe) / (double)npos;
}

const char *
gf_verdict_name(enum gf_verdict v)
{
	switch (v) {
	case GF_VERDICT_PASS:
		return "PASS";
	case GF_VERDICT_FAIL:
		return "FAIL";
	case GF_VERDICT_NO_THRESHOLD:
		return "NO-THRESHOLD";
	}
	return "FAIL";
}

static int
over(const char *what, double value, double max, struct gf_buf *why)
{
	if (isnan(max))
		return 0;
	if (isnan(value)) {
		if (why != NULL)
			gf_buf_addf(why, "%s%s not computable (limit %g)",
			    why->len > 0 ? ", " : "", what, max);
		return 1;
	}
	if (value > max) {
		if (why != NULL)
			gf_buf_addf(why, "%s%s %.6g > %g",
			    why->len > 0 ? ", " : "", what, value, max);
		return 1;
	}
	return 0;
}

enum gf_verdict
gf_verdict_of(const struct gf_thresholds *th, const struct gf_vmetrics *m,
    struct gf_buf *why)
{
	int failed = 0;

	if (isnan(th->max_mae) && isnan(th->max_mape) && isnan(th->max_mse))
		return GF_VERDICT_NO_THRESHOLD;
	failed |= over("mse", m->mse, th->max_mse, why);
	failed |= over("mape", m->mape, th->max_mape, why);
	failed |= over("mae", m->mae, th->max_mae, why);
	return failed ? GF_VERDICT_FAIL : GF_VERDICT_PASS;
}

double
gf_counter_delta(const double *v, size_t n)
{
	struct ksum k = { 0, 0 };
	double prev = NAN;

	for (size_t i = 0; i < n; i++) {
		if (!isfinite(v[i]))
			continue;
		if (!isnan(prev))
			ksum_add(&k, v[i] >= prev ? v[i] - prev : v[i]);
		prev = v[i];
	}
	return ksum_get(&k);
}

void
gf_mean_sd(const double *v, size_t n, double *mean, double *sd,
    size_t *count)
{
	struct ksum s = { 0, 0 }, q = { 0, 0 };
	size_t c = 0;
	double mu;

	for (size_t i = 0; i < n; i++) {
		if (isfinite(v[i])) {
			ksum_add(&s, v[i]);
			c++;
		}
	}
	if (count != NULL)
		*count = c;
	if (c == 0) {
		*mean = *sd = NAN;
		return;
	}
	mu = ksum_get(&s) / (double)c;
	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]))
			ksum_add(&q, (v[i] - mu) * (v[i] - mu));
	*mean = mu;
	*sd = sqrt(ksum_get(&q) / (double)c);
}

static const char *const op_names[] = { "<", "<=", ">", ">=", "==", "!=" };

int
gf_op_parse(const char *s, enum gf_op *op, struct gf_err *err)
{
	for (size_t i = 0; i < GF_ARRAY_LEN(op_names); i++) {
		if (strcmp(s, op_names[i]) == 0) {
			*op = (enum gf_op)i;
			return 0;
		}
	}
	return gf_err_set(err, GF_EXIT_USAGE, "validate",
	    "--op: unknown operator '%s' (use < <= > >= == !=)", s);
}

const char *
gf_op_name(enum gf_op op)
{
	return op_names[op];
}

int
gf_op_eval(enum gf_op op, double value, double threshold)
{
	if (isnan(value) || isnan(threshold))
		return 0;
	switch (op) {
	case GF_OP_LT:
		return value < threshold;
	case GF_OP_LE:
		return value <= threshold;
	case GF_OP_GT:
		return value > threshold;
	case GF_OP_GE:
		return value >= threshold;
	case GF_OP_EQ:
		return value == threshold;
	case GF_OP_NE:
		return value != threshold;
	}
	return 0;
}

char *
gf_slug(const char *name)
{
	struct gf_buf b = GF_BUF_INIT;
	int dash = 0;

	for (const char *s = name; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 128 && isalnum(c)) || c == '_' ||
		    (c == '.' && b.len > 0 && b.data[b.len - 1] != '.' &&
		    !dash)) {
			if (dash && b.len > 0)
				gf_buf_addc(&b, '-');
			dash = 0;
			gf_buf_addc(&b, (char)c);
		} else {
			dash = 1;
		}
	}
	if (b.len == 0)
		gf_buf_adds(&b, "check");
	return gf_buf_detach(&b);
}

/* Metric fields of one scored range into o. */
static void
put_metrics(json_t *o, const struct gf_aligned *al,
    const struct gf_vmetrics *m, const struct gf_thresholds *th)
{
	struct gf_buf why = GF_BUF_INIT;
	enum gf_verdict v = gf_verdict_of(th, m, &why);

	json_object_set_new(o, "samples", json_integer((json_int_t)m->n));
	json_object_set_new(o, "samples_mape",
	    json_integer((json_int_t)m->n_mape));
	json_object_set_new(o, "dropped_actual",
	    json_integer((json_int_t)al->dropped_actual));
	json_object_set_new(o, "dropped_predicted",
	    json_integer((json_int_t)al->dropped_predicted));
	json_object_set_new(o, "dropped_nonfinite",
	    json_integer((json_int_t)al->nonfinite));
	json_object_set_new(o, "mae", gf_doc_number(m->mae));
	json_object_set_new(o, "mape", gf_doc_number(m->mape));
	json_object_set_new(o, "mse", gf_doc_number(m->mse));
	json_object_set_new(o, "rmse", gf_doc_number(m->rmse));
	json_object_set_new(o, "mean_actual", gf_doc_number(m->mean_actual));
	json_object_set_new(o, "mean_predicted",
	    gf_doc_number(m->mean_predicted));
	json_object_set_new(o, "verdict", json_string(gf_verdict_name(v)));
	if (v == GF_VERDICT_FAIL)
		json_object_set_new(o, "reason", json_string(gf_buf_str(&why)));
	gf_buf_release(&why);
}

/* First index with t[i] >= x. */
static size_t
lower_bound(const double *t, size_t n, double x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct gf_vseries
slice(const struct gf_vseries *s, double start, double end, int open_end)
{
	struct gf_vseries out = { NULL, NULL, 0 };
	size_t i, j;

	if (s->n == 0)
		return out;
	i = lower_bound(s->t, s->n, start);
	j = lower_bound(s->t, s->n, open_end ? end : nextafter(end, INFINITY));
	out.t = s->t + i;
	out.v = s->v + i;
	out.n = j > i ? j - i : 0;
	return out;
}

static void
append_pairs(struct gf_aligned *all, const struct gf_aligned *al)
{
	size_t n = all->n + al->n;

	all->t = gf_xreallocarray(all->t, n + 1, sizeof(double));
	all->a = gf_xreallocarray(all->a, n + 1, sizeof(double));
	all->p = gf_xreallocarray(all->p, n + 1, sizeof(double));
	memcpy(all->t + all->n, al->t, al->n * sizeof(double));
	memcpy(all->a + all->n, al->a, al->n * sizeof(double));
	memcpy(all->p + all->n, al->p, al->n * sizeof(double));
	all->n = n;
	all->dropped_actual += al->dropped_actual;
	all->dropped_predicted += al->dropped_predicted;
	all->nonfinite += al->nonfinite;
}

json_t *
gf_validate_check(const struct gf_check *c, const struct gf_vseries *A,
    const struct gf_vseries *P, double tol, const struct gf_vwindow *w,
    size_t nw, int per_window, struct gf_aligned *pairs)
{
	json_t *r = json_object(), *th = json_object(), *wins = NULL;
	struct gf_aligned all = GF_ALIGNED_INIT;
	struct gf_vmetrics m;

	json_object_set_new(r, "name", json_string(c->name));
	if (c->units != NULL)
		json_object_set_new(r, "units", json_string(c->units));
	json_object_set_new(r, "actual_label", json_string(c->actual_label));
	json_object_set_new(r, "predicted_label",
	    json_string(c->predicted_label));
	json_object_set_new(r, "actual_query", json_string(c->actual));
	json_object_set_new(r, "predicted_query", json_string(c->predicted));
	if (!isnan(c->th.max_mae))
		json_object_set_new(th, "max_mae", json_real(c->th.max_mae));
	if (!isnan(c->th.max_mape))
		json_object_set_new(th, "max_mape", json_real(c->th.max_mape));
	if (!isnan(c->th.max_mse))
		json_object_set_new(th, "max_mse", json_real(c->th.max_mse));
	json_object_set_new(r, "thresholds", th);
	if (per_window)
		wins = json_array();
	for (size_t k = 0; k < nw; k++) {
		struct gf_vseries a = slice(A, w[k].start, w[k].end,
		    w[k].open_end);
		struct gf_vseries p = slice(P, w[k].start, w[k].end,
		    w[k].open_end);
		struct gf_aligned al;

		gf_align(&a, &p, tol, &al);
		if (wins != NULL) {
			json_t *o = json_object();

			json_object_set_new(o, "window", json_string(
			    w[k].name != NULL ? w[k].name : ""));
			json_object_set_new(o, "start", json_real(w[k].start));
			json_object_set_new(o, "end", json_real(w[k].end));
			gf_vmetrics_compute(al.a, al.p, al.n, &m);
			put_metrics(o, &al, &m, &c->th);
			json_array_append_new(wins, o);
		}
		append_pairs(&all, &al);
		gf_aligned_release(&al);
	}
	gf_vmetrics_compute(all.a, all.p, all.n, &m);
	put_metrics(r, &all, &m, &c->th);
	if (wins != NULL)
		json_object_set_new(r, "windows", wins);
	if (pairs != NULL)
		*pairs = all;
	else
		gf_aligned_release(&all);
	return r;
}

/* The recorded-file reader: a cursor over the text. */
struct rd {
	const char *s, *p, *end, *name;
	struct gf_err *err;
};

static int
rd_fail(struct rd *r, const char *what)
{
	int line = 1, col = 1;

	for (const char *q = r->s; q < r->p && q < r->end; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	return gf_err_set(r->err, GF_EXIT_DATAERR, "validate",
	    "%s:%d:%d: %s", r->name, line, col, what);
}

static void
rd_ws(struct rd *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' ||
	    *r->p == '\t' || *r->p == '\r'))
		r->p++;
}

static int
rd_char(struct rd *r, char c)
{
	char msg[32];

	rd_ws(r);
	if (r->p < r->end && *r->p == c) {
		r->p++;
		return 0;
	}
	snprintf(msg, sizeof(msg), "expected '%c'", c);
	return rd_fail(r, msg);
}

/* 1 and consume c when it is next, else 0. */
static int
rd_peek(struct rd *r, char c)
{
	rd_ws(r);
	if (r->p < r->end && *r->p == c) {
		r->p++;
		return 1;
	}
	return 0;
}

/* Skip a string (cursor on the opening quote). */
static int
rd_skip_string(struct rd *r)
{
	if (r->p >= r->end || *r->p != '"')
		return rd_fail(r, "expected a string");
	for (r->p++; r->p < r->end; r->p++) {
		if (*r->p == '\\')
			r->p++;
		else if (*r->p == '"') {
			r->p++;
			return 0;
		}
	}
	return rd_fail(r, "unterminated string");
}

/* Skip any value, checking bracket nesting only. */
static int
rd_skip(struct rd *r)
{
	const char *start;
	int depth = 0;

	rd_ws(r);
	if (r->p >= r->end)
		return rd_fail(r, "unexpected end of input");
	if (*r->p == '"')
		return rd_skip_string(r);
	if (*r->p != '{' && *r->p != '[') {
		start = r->p;
		while (r->p < r->end && strchr(",}] \t\r\n", *r->p) == NULL)
			r->p++;
		return r->p > start ? 0 : rd_fail(r, "expected a value");
	}
	while (r->p < r->end) {
		if (*r->p == '"') {
			if (rd_skip_string(r) == -1)
				return -1;
			continue;
		}
		if (*r->p == '{' || *r->p == '[')
			depth++;
		else if ((*r->p == '}' || *r->p == ']') && --depth == 0) {
			r->p++;
			return 0;
		}
		r->p++;
	}
	return rd_fail(r, "unexpected end of input");
}

/* A string value decoded (escapes included) by jansson. New string. */
static char *
rd_string(struct rd *r)
{
	const char *start;
	json_t *j;
	char *out;

	rd_ws(r);
	start = r->p;
	if (rd_skip_string(r) == -1)
		return NULL;
	j = json_loadb(start, (size_t)(r->p - start), JSON_DECODE_ANY, NULL);
	if (!json_is_string(j)) {
		json_decref(j);
		r->p = start;
		rd_fail(r, "bad string");
		return NULL;
	}
	out = gf_xstrdup(json_string_value(j));
	json_decref(j);
	return out;
}

/*
 * Decimal numbers of at most 15 significant digits and 22 fractional
 * ones, such as Prometheus writes: the digits make an exact double and
 * one division by an exact power of ten rounds correctly (Clinger's fast
 * path), so this equals strtod() at a fraction of its cost. Anything
 * else returns NULL and goes to strtod().
 */
static const char *
fast_decimal(const char *p, double *out)
{
	static const double pow10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6,
	    1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
	    1e18, 1e19, 1e20, 1e21, 1e22 };
	unsigned long long m = 0;
	int neg = 0, digits = 0, frac = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (*p < '0' || *p > '9')
		return NULL;
	for (; *p >= '0' && *p <= '9'; p++, digits++)
		m = m * 10 + (unsigned long long)(*p - '0');
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++, frac++)
			m = m * 10 + (unsigned long long)(*p - '0');
		if (frac == 0)
			return NULL;
	}
	if (digits > 15 || frac > 22 || *p == 'e' || *p == 'E')
		return NULL;
	*out = (double)m / pow10[frac];
	if (neg)
		*out = -*out;
	return p;
}

/* A sample value: a number, or a string Prometheus writes. */
static int
rd_number(struct rd *r, int quoted_ok, double *out)
{
	char *endp;
	int quoted = 0;

	rd_ws(r);
	if (quoted_ok && r->p < r->end && *r->p == '"') {
		quoted = 1;
		r->p++;
	}
	if (r->p >= r->end)
		return rd_fail(r, "expected a number");
	if ((endp = (char *)fast_decimal(r->p, out)) == NULL) {
		/* The text is NUL-terminated (gf_fs_read), so strtod stops. */
		*out = strtod(r->p, &endp);
		if (endp == r->p)
			return rd_fail(r, "expected a number");
	}
	r->p = endp;
	if (quoted && rd_char(r, '"') == -1)
		return -1;
	return 0;
}

static int
rd_values(struct rd *r, struct gf_prom_series *ps)
{
	size_t cap = 256;

	free(ps->t);
	free(ps->v);
	ps->n = 0;
	ps->t = gf_xreallocarray(NULL, cap, sizeof(double));
	ps->v = gf_xreallocarray(NULL, cap, sizeof(double));
	if (rd_char(r, '[') == -1)
		return -1;
	if (rd_peek(r, ']'))
		return 0;
	do {
		if (ps->n == cap) {
			cap *= 2;
			ps->t = gf_xreallocarray(ps->t, cap, sizeof(double));
			ps->v = gf_xreallocarray(ps->v, cap, sizeof(double));
		}
		if (rd_char(r, '[') == -1 ||
		    rd_number(r, 0, &ps->t[ps->n]) == -1 ||
		    rd_char(r, ',') == -1 ||
		    rd_number(r, 1, &ps->v[ps->n]) == -1 ||
		    rd_char(r, ']') == -1)
			return -1;
		if (!gf_time_ok(ps->t[ps->n]))
			return rd_fail(r, "a timestamp is not a time (unix "
			    "seconds, years 1 to 9999)");
		if (ps->n > 0 && ps->t[ps->n] <= ps->t[ps->n - 1])
			return rd_fail(r, "timestamps must increase");
		ps->n++;
	} while (rd_peek(r, ','));
	return rd_char(r, ']');
}

static int
rd_series(struct rd *r, struct gf_prom_series *ps)
{
	if (rd_char(r, '{') == -1)
		return -1;
	if (rd_peek(r, '}'))
		return 0;
	do {
		char *key = rd_string(r);
		int rc = 0;

		if (key == NULL || rd_char(r, ':') == -1) {
			free(key);
			return -1;
		}
		if (strcmp(key, "metric") == 0) {
			const char *start;

			rd_ws(r);
			start = r->p;
			if (rd_skip(r) == 0) {
				json_decref(ps->labels);
				ps->labels = json_loadb(start,
				    (size_t)(r->p - start), 0, NULL);
				if (!json_is_object(ps->labels)) {
					r->p = start;
					rc = rd_fail(r, "metric: expected an "
					    "object of labels");
				}
			} else {
				rc = -1;
			}
		} else if (strcmp(key, "values") == 0) {
			rc = rd_values(r, ps);
		} else {
			rc = rd_skip(r);
		}
		free(key);
		if (rc == -1)
			return -1;
	} while (rd_peek(r, ','));
	return rd_char(r, '}');
}

static int
rd_result(struct rd *r, struct gf_prom_result *res)
{
	int seen = 0;

	if (rd_char(r, '{') == -1)
		return -1;
	if (rd_peek(r, '}'))
		return rd_fail(r, "expected \"result\"");
	do {
		char *key = rd_string(r);
		int rc = 0;

		if (key == NULL || rd_char(r, ':') == -1) {
			free(key);
			return -1;
		}
		if (strcmp(key, "data") == 0) {
			rc = rd_result(r, res);
			seen = 1;
		} else if (strcmp(key, "result") == 0) {
			seen = 1;
			rc = rd_char(r, '[');
			if (rc == 0 && !rd_peek(r, ']')) {
				do {
					struct gf_prom_series *ps;

					res->series = gf_xreallocarray(
					    res->series, res->nseries + 1,
					    sizeof(*res->series));
					ps = &res->series[res->nseries++];
					memset(ps, 0, sizeof(*ps));
					ps->labels = json_object();
					if ((rc = rd_series(r, ps)) == -1)
						break;
				} while (rd_peek(r, ','));
				if (rc == 0)
					rc = rd_char(r, ']');
			}
		} else {
			rc = rd_skip(r);
		}
		free(key);
		if (rc == -1)
			return -1;
	} while (rd_peek(r, ','));
	if (!seen)
		return rd_fail(r, "expected \"result\"");
	return rd_char(r, '}');
}

int
gf_recorded_parse(struct gf_recorded *rec, const char *text, size_t len,
    const char *name, struct gf_err *err)
{
	struct rd r = { text, text, text + len, name, err };

	if (rd_char(&r, '{') == -1)
		return -1;
	if (!rd_peek(&r, '}')) {
		do {
			struct gf_recorded_query *q;
			char *key = rd_string(&r);

			if (key == NULL || rd_char(&r, ':') == -1) {
				free(key);
				return -1;
			}
			rec->q = gf_xreallocarray(rec->q, rec->n + 1,
			    sizeof(*rec->q));
			q = &rec->q[rec->n++];
			memset(q, 0, sizeof(*q));
			q->query = key;
			if (rd_result(&r, &q->res) == -1)
				return -1;
		} while (rd_peek(&r, ','));
		if (rd_char(&r, '}') == -1)
			return -1;
	}
	rd_ws(&r);
	if (r.p != r.end)
		return rd_fail(&r, "trailing text");
	return 0;
}

const struct gf_prom_result *
gf_recorded_find(const struct gf_recorded *rec, const char *query)
{
	for (size_t i = 0; i < rec->n; i++)
		if (strcmp(rec->q[i].query, query) == 0)
			return &rec->q[i].res;
	return NULL;
}

void
gf_prom_result_copy(struct gf_prom_result *out,
    const struct gf_prom_result *in)
{
	memset(out, 0, sizeof(*out));
	out->series = gf_xcalloc(in->nseries + 1, sizeof(*out->series));
	for (size_t i = 0; i < in->nseries; i++) {
		const struct gf_prom_series *s = &in->series[i];
		struct gf_prom_series *d = &out->series[i];

		d->labels = json_deep_copy(s->labels);
		d->t = gf_xcalloc(s->n + 1, sizeof(double));
		d->v = gf_xcalloc(s->n + 1, sizeof(double));
		if (s->n > 0) {
			memcpy(d->t, s->t, s->n * sizeof(double));
			memcpy(d->v, s->v, s->n * sizeof(double));
		}
		d->n = s->n;
	}
	out->nseries = in->nseries;
}

void
gf_recorded_release(struct gf_recorded *rec)
{
	if (rec == NULL)
		return;
	for (size_t i = 0; i < rec->n; i++) {
		free(rec->q[i].query);
		gf_prom_result_release(&rec->q[i].res);
	}
	free(rec->q);
	rec->q = NULL;
	rec->n = 0;
}

static void
labels_text(struct gf_buf *b, const json_t *labels)
{
	const char *k;
	json_t *v;
	int first = 1;

	gf_buf_addc(b, '{');
	json_object_foreach((json_t *)labels, k, v) {
		gf_buf_addf(b, "%s%s=\"%s\"", first ? "" : ", ", k,
		    json_string_value(v) ? json_string_value(v) : "");
		first = 0;
	}
	gf_buf_addc(b, '}');
}

static int
one_series(const struct gf_prom_result *res, const char *q, const char *what,
    struct gf_err *err)
{
	struct gf_buf b = GF_BUF_INIT;

	if (res->nseries == 1)
		return 0;
	if (res->nseries == 0)
		return gf_err_set(err, GF_EXIT_DATAERR, "validate",
		    "%s: query returned no series (no data in the range?): "
		    "%s", what, q);
	for (size_t i = 0; i < res->nseries && i < 3; i++) {
		if (i > 0)
			gf_buf_adds(&b, ", ");
		labels_text(&b, res->series[i].labels);
	}
	if (res->nseries > 3)
		gf_buf_adds(&b, ", ...");
	gf_err_set(err, GF_EXIT_DATAERR, "validate",
	    "%s: query returned %zu series, want exactly one (aggregate it, "
	    "e.g. sum(...)): %s; query: %s", what, res->nseries,
	    gf_buf_str(&b), q);
	gf_buf_release(&b);
	return -1;
}

static int
source_fetch(const struct gf_vsource *src, const char *q, double start,
    double end, struct gf_prom_result *res, struct gf_err *err)
{
	const struct gf_prom_result *r;

	if (src->rec == NULL)
		return gf_prom_query_range(src->prom, q, start, end,
		    src->step, res, err);
	if ((r = gf_recorded_find(src->rec, q)) == NULL)
		return gf_err_set(err, GF_EXIT_DATAERR, "validate",
		    "%s: query not recorded: %s", src->rec_name != NULL ?
		    src->rec_name : "recorded series", q);
	gf_prom_result_copy(res, r);
	/*
	 * What Prometheus would answer: the samples in [start, end], and
	 * only the series that have one there.
	 */
	size_t nseries = 0;

	for (size_t i = 0; i < res->nseries; i++) {
		struct gf_prom_series *s = &res->series[i];
		size_t kept = 0;

		for (size_t k = 0; k < s->n; k++)
			if (s->t[k] >= start && s->t[k] <= end) {
				s->t[kept] = s->t[k];
				s->v[kept++] = s->v[k];
			}
		s->n = kept;
		if (kept == 0) {
			json_decref(s->labels);
			free(s->t);
			free(s->v);
			continue;
		}
		res->series[nseries++] = *s;
	}
	res->nseries = nseries;
	return 0;
}

int
gf_vsource_range(const struct gf_vsource *src, const char *q,
    const char *what, double start, double end, struct gf_prom_result *res,
    struct gf_err *err)
{
	memset(res, 0, sizeof(*res));
	if (source_fetch(src, q, start, end, res, err) == -1)
		return gf_err_prefix(err, "%s", what);
	return one_series(res, q, what, err);
}

int
gf_vsource_value(const struct gf_vsource *src, const char *q,
    const char *what, double t, double *value, double *at,
    struct gf_err *err)
{
	struct gf_prom_result res;
	const struct gf_prom_series *s;
	int rc;

	memset(&res, 0, sizeof(res));
	if (src->rec != NULL)
		rc = source_fetch(src, q, -INFINITY, isnan(t) ? INFINITY : t,
		    &res, err);
	else
		rc = gf_prom_query(src->prom, q, t, &res, err);
	if (rc == -1) {
		gf_prom_result_release(&res);
		return gf_err_prefix(err, "%s", what);
	}
	if (one_series(&res, q, what, err) == -1) {
		gf_prom_result_release(&res);
		return -1;
	}
	s = &res.series[0];
	if (s->n == 0) {
		gf_prom_result_release(&res);
		return gf_err_set(err, GF_EXIT_DATAERR, "validate",
		    "%s: query returned no sample: %s", what, q);
	}
	*value = s->v[s->n - 1];
	*at = s->t[s->n - 1];
	gf_prom_result_release(&res);
	return 0;
}

void
gf_validate_predict(const struct gf_model *m, const struct gf_vseries *meas,
    const struct gf_vseries *feat, size_t nf, double tol, double *out)
{
	size_t *pos = gf_xcalloc(nf + 1, sizeof(size_t));
	double *x = gf_xcalloc(nf + 1, sizeof(double));

	for (size_t k = 0; k < meas->n; k++) {
		double t = meas->t[k];
		int all = 1;

		for (size_t i = 0; i < nf && all; i++) {
			const struct gf_vseries *f = &feat[i];

			if (f->n == 0) {
				all = 0;
				break;
			}
			/* Both are sorted: walk each feature forward. */
			while (pos[i] + 1 < f->n &&
			    fabs(f->t[pos[i] + 1] - t) <=
			    fabs(f->t[pos[i]] - t))
				pos[i]++;
			if (fabs(f->t[pos[i]] - t) >= tol ||
			    !isfinite(f->v[pos[i]]))
				all = 0;
			else
				x[i] = f->v[pos[i]];
		}
		out[k] = all ? gf_model_predict1(m, x) : NAN;
	}
	free(pos);
	free(x);
}

/* ---- per-window summaries ---- */

/*
 * The one series of q over window k in *res: 0. No samples there while
 * there are other windows (a short window at the start of a run, before
 * the first scrapes): noted in the window's summary s, 1. Any other
 * failure: -1 with err set.
 */
static int
summary_values(const struct gf_vsource *src, const struct gf_summary_req *req,
    const char *q, const char *what, const struct gf_vwindow *w, size_t nw,
    json_t *s, struct gf_prom_result *res, struct gf_err *err)
{
	json_t *notes;
	int rc = gf_vsource_range(src, q, what, w->start, w->end, res, err);

	for (size_t i = 0; i < res->nwarnings; i++)
		gf_err_warn(req->warn, req->arg, "%s: prometheus warns: %s",
		    what, res->warnings[i]);
	if (rc == 0)
		return 0;
	if (res->nseries != 0 || nw < 2)
		return -1;
	gf_err_warn(req->warn, req->arg, "window '%s': %s", w->name,
	    err->msg);
	notes = json_object_get(s, "no_data");
	if (notes == NULL) {
		notes = json_array();
		json_object_set_new(s, "no_data", notes);
	}
	json_array_append_new(notes, json_string(err->msg));
	gf_err_clear(err);
	gf_prom_result_release(res);
	return 1;
}

/* Mean and sd of q over the window: as summary_values, which it returns. */
static int
summary_mean(const struct gf_vsource *src, const struct gf_summary_req *req,
    const char *q, const char *what, const struct gf_vwindow *w, size_t nw,
    json_t *s, double *mean, double *sd, size_t *cnt, struct gf_err *err)
{
	struct gf_prom_result res = { 0 };
	int rc = summary_values(src, req, q, what, w, nw, s, &res, err);

	if (rc == 0)
		gf_mean_sd(res.series[0].v, res.series[0].n, mean, sd, cnt);
	gf_prom_result_release(&res);
	return rc;
}

/* Counter increase of q over the window into s[key]; NaN without data. */
static int
summary_delta(const struct gf_vsource *src, const struct gf_summary_req *req,
    const char *q, const char *what, const char *key,
    const struct gf_vwindow *w, size_t nw, json_t *s, double *delta,
    struct gf_err *err)
{
	struct gf_prom_result res = { 0 };
	int rc = summary_values(src, req, q, what, w, nw, s, &res, err);

	*delta = NAN;
	if (rc == 0) {
		*delta = gf_counter_delta(res.series[0].v, res.series[0].n);
		json_object_set_new(s, key, json_real(*delta));
	}
	gf_prom_result_release(&res);
	return rc < 0 ? -1 : 0;
}

/* The namespaces' CPU overhead over window w into s's "overhead". */
static int
summary_overhead(const struct gf_vsource *src,
    const struct gf_summary_req *req, const struct gf_vwindow *w, size_t nw,
    json_t *s, struct gf_err *err)
{
	json_t *ov = json_object();

	for (size_t i = 0; i < req->nns; i++) {
		char *q = gf_xasprintf("sum(rate(container_cpu_usage_seconds_"
		    "total{namespace=\"%s\"}[%s])) / sum(machine_cpu_cores) "
		    "* 100", req->ns[i], req->rate_interval);
		char *what = gf_xasprintf("--namespace '%s'", req->ns[i]);
		double mean, sd;
		size_t cnt;
		int rc = summary_mean(src, req, q, what, w, nw, s, &mean, &sd,
		    &cnt, err);

		free(what);
		if (rc == 0)
			json_object_set_new(ov, req->ns[i], json_pack(
			    "{s:s, s:o, s:o, s:i}", "query", q, "mean",
			    gf_doc_number(mean), "sd", gf_doc_number(sd),
			    "samples", (json_int_t)cnt));
		free(q);
		if (rc < 0) {
			json_decref(ov);
			return -1;
		}
	}
	json_object_set_new(s, "overhead", ov);
	return 0;
}

int
gf_validate_summaries(const struct gf_vsource *src,
    const struct gf_summary_req *req, const struct gf_vwindow *w,
    size_t nw, json_t *out, struct gf_err *err)
{
	size_t empty = 0;

	for (size_t k = 0; k < nw; k++) {
		json_t *s = json_object();
		double energy = NAN, work = NAN;

		json_object_set_new(s, "window", json_string(w[k].name));
		json_object_set_new(s, "start", json_real(w[k].start));
		json_object_set_new(s, "end", json_real(w[k].end));
		json_array_append_new(out, s);
		if (req->power != NULL) {
			double mean, sd;
			size_t cnt;
			int rc = summary_mean(src, req, req->power, "--power",
			    &w[k], nw, s, &mean, &sd, &cnt, err);

			if (rc < 0)
				return -1;
			if (rc == 0)
				json_object_set_new(s, "mean_power_w",
				    gf_doc_number(mean));
		}
		if (req->energy != NULL && summary_delta(src, req,
		    req->energy, "--energy", "energy_j", &w[k], nw, s,
		    &energy, err) < 0)
			return -1;
		if (req->work != NULL) {
			if (summary_delta(src, req, req->work, "--work",
			    "work", &w[k], nw, s, &work, err) < 0)
				return -1;
			json_object_set_new(s, "work_unit", json_string(
			    req->work_unit != NULL ? req->work_unit : "unit"));
			json_object_set_new(s, "energy_per_unit",
			    isfinite(energy) && work > 0 ?
			    json_real(energy / work) : json_null());
			/* GreenFlow's energy cost: idle power taken out. */
			if (!isnan(req->idle_power))
				json_object_set_new(s,
				    "dynamic_energy_per_unit",
				    isfinite(energy) && work > 0 ?
				    json_real((energy - req->idle_power *
				    (w[k].end - w[k].start)) / work) :
				    json_null());
		}
		if (req->nns > 0 && summary_overhead(src, req, &w[k], nw, s,
		    err) < 0)
			return -1;
		if (json_object_get(s, "no_data") != NULL)
			empty++;
	}
	if (nw > 0 && empty == nw)
		return gf_err_set(err, GF_EXIT_DATAERR, "validate", "no data "
		    "in any of the %zu windows for the summaries", nw);
	return 0;
}
