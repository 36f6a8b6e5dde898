/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_validate.h"
#include "gf_buf.h"
#include "gf_err.h"
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
		    threshold_of(v, "max_mape", path, &th.max_mape, err) == -1 ||
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

static json_t *
num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
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
	json_object_set_new(o, "mae", num_or_null(m->mae));
	json_object_set_new(o, "mape", num_or_null(m->mape));
	json_object_set_new(o, "mse", num_or_null(m->mse));
	json_object_set_new(o, "rmse", num_or_null(m->rmse));
	json_object_set_new(o, "mean_actual", num_or_null(m->mean_actual));
	json_object_set_new(o, "mean_predicted",
	    num_or_null(m->mean_predicted));
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
