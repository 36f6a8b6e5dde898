/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gf_prom.h"
#include "gf_buf.h"
#include "gf_log.h"
#include "gf_matrix.h"
#include "gf_parse.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

/* Prometheus refuses a range query with more points per series. */
#define MAX_POINTS 11000

void
gf_prom_init(struct gf_prom *p, const char *base_url)
{
	size_t len = strlen(base_url);

	while (len > 0 && base_url[len - 1] == '/')
		len--;
	p->url = gf_xstrndup(base_url, len);
	gf_http_opts_init(&p->http);
	/* Here, before any request thread could register them. */
	gf_http_mask_credentials(p->url);
}

void
gf_prom_release(struct gf_prom *p)
{
	if (p == NULL)
		return;
	free(p->url);
	p->url = NULL;
}

void
gf_prom_result_release(struct gf_prom_result *res)
{
	if (res == NULL)
		return;
	for (size_t i = 0; i < res->nseries; i++) {
		json_decref(res->series[i].labels);
		free(res->series[i].t);
		free(res->series[i].v);
	}
	free(res->series);
	for (size_t i = 0; i < res->nwarnings; i++)
		free(res->warnings[i]);
	free(res->warnings);
	memset(res, 0, sizeof(*res));
}

static int
map_error_type(const char *type)
{
	if (strcmp(type, "bad_data") == 0 || strcmp(type, "execution") == 0)
		return GF_EXIT_DATAERR;
	if (strcmp(type, "timeout") == 0 || strcmp(type, "canceled") == 0)
		return GF_EXIT_TEMPFAIL;
	return GF_EXIT_UNAVAILABLE;
}

/*
 * One API call. Returns the whole envelope (new reference) when its
 * status is "success"; otherwise NULL with err saying what Prometheus
 * said, in the words of "what" ("query 'up'").
 */
static json_t *
call(struct gf_prom *p, const char *method, const char *path,
    const char *form, int no_retry, const char *what, struct gf_err *err)
{
	struct gf_http_req req;
	struct gf_http_resp resp;
	json_error_t jerr;
	json_t *env = NULL;
	const char *status = NULL, *etype = NULL, *emsg = NULL;
	char *url = gf_xasprintf("%s%s", p->url, path);
	char *safe = gf_http_redact_url(p->url);

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.url = url;
	req.no_retry = no_retry;
	if (form != NULL) {
		req.body = form;
		req.body_len = strlen(form);
		req.content_type = "application/x-www-form-urlencoded";
	}
	if (gf_http_request(&p->http, &req, &resp, err) < 0) {
		gf_err_prefix(err, "prometheus: %s", what);
		goto out;
	}
	env = json_loadb(resp.body, resp.body_len, 0, &jerr);
	if (json_is_object(env)) {
		status = json_string_value(json_object_get(env, "status"));
		etype = json_string_value(json_object_get(env, "errorType"));
		emsg = json_string_value(json_object_get(env, "error"));
	}
	if (status != NULL && strcmp(status, "success") == 0 &&
	    resp.status >= 200 && resp.status < 300)
		goto out;
	if (status != NULL && strcmp(status, "error") == 0) {
		if (emsg != NULL && strstr(emsg, "admin APIs disabled") != NULL)
			gf_err_set(err, GF_EXIT_CONFIG, "prometheus",
			    "prometheus %s: %s: the admin API is disabled: "
			    "start Prometheus with --web.enable-admin-api",
			    safe, what);
		else
			gf_err_set(err, map_error_type(etype ? etype : ""),
			    "prometheus", "prometheus %s: %s: %s: %s", safe,
			    what, etype ? etype : "error",
			    emsg ? emsg : "(no message)");
	} else if (resp.status == 404) {
		gf_err_set(err, GF_EXIT_UNAVAILABLE, "prometheus",
		    "prometheus %s: %s: HTTP 404 for %s (is this a "
		    "Prometheus API?)", safe, what, path);
	} else if (resp.status < 200 || resp.status >= 300) {
		gf_http_status_error(&req, &resp, err);
		gf_err_prefix(err, "prometheus %s: %s", safe, what);
	} else {
		gf_err_set(err, GF_EXIT_UNAVAILABLE, "prometheus",
		    "prometheus %s: %s: the reply is not a Prometheus API "
		    "response", safe, what);
	}
	json_decref(env);
	env = NULL;
out:
	gf_http_resp_release(&resp);
	free(url);
	free(safe);
	return env;
}

static void
series_push(struct gf_prom_series *s, double t, double v)
{
	/* Capacity is 16, then doubles: grow at 0 and at powers of two. */
	if (s->n == 0 || (s->n >= 16 && (s->n & (s->n - 1)) == 0)) {
		size_t cap = s->n ? s->n * 2 : 16;

		s->t = gf_xreallocarray(s->t, cap, sizeof(double));
		s->v = gf_xreallocarray(s->v, cap, sizeof(double));
	}
	s->t[s->n] = t;
	s->v[s->n] = v;
	s->n++;
}

/*
 * Find or add the series with these labels; index maps the canonical
 * label text to the position. Borrowed.
 */
static struct gf_prom_series *
series_for(struct gf_prom_result *res, json_t *index, json_t *labels)
{
	char *key = json_dumps(labels, JSON_SORT_KEYS | JSON_COMPACT);
	json_t *pos = json_object_get(index, key ? key : "");
	struct gf_prom_series *s;

	if (pos != NULL) {
		free(key);
		return &res->series[json_integer_value(pos)];
	}
	res->series = gf_xreallocarray(res->series, res->nseries + 1,
	    sizeof(*res->series));
	s = &res->series[res->nseries];
	memset(s, 0, sizeof(*s));
	s->labels = json_is_object(labels) ? json_deep_copy(labels) :
	    json_object();
	json_object_set_new(index, key ? key : "",
	    json_integer((json_int_t)res->nseries));
	res->nseries++;
	free(key);
	return s;
}

/*
 * Adds the series of one reply, read by gf_matrix's rules; samples at or
 * before the last one kept are seams between the pieces of a split range
 * query.
 */
static int
merge(struct gf_prom_result *res, json_t *index, json_t *env,
    const char *what, const char *url, struct gf_err *err)
{
	struct gf_prom_result one;
	char *where = gf_xasprintf("prometheus %s: %s: unexpected result",
	    url, what);
	struct gf_matrix_from from = { where, "prometheus",
	    GF_EXIT_UNAVAILABLE };
	int rc;

	memset(&one, 0, sizeof(one));
	rc = gf_matrix_result_json(env, &from, &one, err);
	free(where);
	for (size_t i = 0; rc == 0 && i < one.nseries; i++) {
		const struct gf_prom_series *from_s = &one.series[i];
		struct gf_prom_series *s = series_for(res, index,
		    from_s->labels);

		for (size_t k = 0; k < from_s->n; k++)
			if (s->n == 0 || from_s->t[k] > s->t[s->n - 1])
				series_push(s, from_s->t[k], from_s->v[k]);
	}
	for (size_t i = 0; rc == 0 && i < one.nwarnings; i++) {
		res->warnings = gf_xreallocarray(res->warnings,
		    res->nwarnings + 1, sizeof(char *));
		res->warnings[res->nwarnings++] = one.warnings[i];
		one.warnings[i] = NULL;
	}
	gf_prom_result_release(&one);
	return rc;
}

static char *
describe(const char *verb, const char *promql)
{
	size_t len = strlen(promql);

	if (len > 120)
		return gf_xasprintf("%s '%.117s...'", verb, promql);
	return gf_xasprintf("%s '%s'", verb, promql);
}

int
gf_prom_query(struct gf_prom *p, const char *promql, double t,
    struct gf_prom_result *res, struct gf_err *err)
{
	char *q = gf_http_escape(promql);
	char *what = describe("query", promql);
	char *form = isnan(t) ? gf_xasprintf("query=%s", q) :
	    gf_xasprintf("query=%s&time=%.3f", q, t);
	json_t *index = json_object(), *env;
	char *safe = gf_http_redact_url(p->url);
	int rc = -1;

	memset(res, 0, sizeof(*res));
	env = call(p, "POST", "/api/v1/query", form, 0, what, err);
	if (env != NULL)
		rc = merge(res, index, env, what, safe, err);
	free(safe);
	if (rc < 0)
		gf_prom_result_release(res);
	json_decref(env);
	json_decref(index);
	free(form);
	free(what);
	free(q);
	return rc;
}

int
gf_prom_query_range(struct gf_prom *p, const char *promql, double start,
    double end, double step, struct gf_prom_result *res, struct gf_err *err)
{
	char *q = NULL, *what = describe("range query", promql);
	char *safe = gf_http_redact_url(p->url);
	json_t *index = json_object();
	double npts;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	if (!(step > 0) || !isfinite(start) || !isfinite(end) || end < start) {
		rc = gf_err_set(err, GF_EXIT_DATAERR, "prometheus",
		    "%s: need start <= end and a positive step", what);
		goto out;
	}
	q = gf_http_escape(promql);
	npts = floor((end - start) / step + 1e-9) + 1;
	/* Points are start + i*step on one grid, so pieces do not overlap. */
	for (double i0 = 0; i0 < npts && rc == 0; i0 += MAX_POINTS) {
		double i1 = fmin(i0 + MAX_POINTS - 1, npts - 1);
		char *form = gf_xasprintf("query=%s&start=%.3f&end=%.3f"
		    "&step=%.3f", q, start + i0 * step, start + i1 * step,
		    step);
		json_t *env = call(p, "POST", "/api/v1/query_range", form, 0,
		    what, err);

		rc = env != NULL ? merge(res, index, env, what, safe, err) :
		    -1;
		json_decref(env);
		free(form);
	}
out:
	if (rc < 0)
		gf_prom_result_release(res);
	json_decref(index);
	free(safe);
	free(what);
	free(q);
	return rc;
}

char *
gf_prom_snapshot(struct gf_prom *p, int skip_head, struct gf_err *err)
{
	const char *path = skip_head ?
	    "/api/v1/admin/tsdb/snapshot?skip_head=true" :
	    "/api/v1/admin/tsdb/snapshot";
	const char *name;
	char *out = NULL;
	json_t *env;

	/* Not idempotent: a 5xx could follow a snapshot that was taken. */
	env = call(p, "POST", path, NULL, 1, "snapshot", err);
	if (env == NULL)
		return NULL;
	name = json_string_value(json_object_get(json_object_get(env, "data"),
	    "name"));
	if (name == NULL || name[0] == '\0' || strchr(name, '/') != NULL ||
	    strcmp(name, "..") == 0)
		gf_err_set(err, GF_EXIT_UNAVAILABLE, "prometheus",
		    "prometheus: snapshot: no usable snapshot name in the "
		    "reply");
	else
		out = gf_xstrdup(name);
	json_decref(env);
	return out;
}

json_t *
gf_prom_get_data(struct gf_prom *p, const char *path, struct gf_err *err)
{
	char *what = gf_xasprintf("GET %s", path);
	json_t *env = call(p, "GET", path, NULL, 0, what, err);
	json_t *data = NULL;

	if (env != NULL) {
		data = json_incref(json_object_get(env, "data"));
		if (data == NULL)
			gf_err_set(err, GF_EXIT_UNAVAILABLE, "prometheus",
			    "prometheus: %s: no data in the reply", what);
	}
	json_decref(env);
	free(what);
	return data;
}

int
gf_prom_wait_ready(struct gf_prom *p, double timeout, struct gf_err *err)
{
	struct gf_http_opts o = p->http;
	struct gf_http_req req;
	struct gf_http_resp resp;
	struct gf_err e = GF_ERR_INIT;
	char *url = gf_xasprintf("%s/-/ready", p->url);
	char *safe = gf_http_redact_url(p->url);
	struct timespec pause = { 0, 200 * 1000 * 1000 };
	struct timespec now;
	double deadline;
	long last = 0;
	int rc = -1;

	clock_gettime(CLOCK_MONOTONIC, &now);
	deadline = (double)now.tv_sec + (double)now.tv_nsec / 1e9 + timeout;
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = url;
	req.no_retry = 1;
	o.max_attempts = 1;
	for (;;) {
		double left;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = deadline - ((double)now.tv_sec +
		    (double)now.tv_nsec / 1e9);
		if (left <= 0)
			break;
		o.timeout = fmin(left, 5);
		o.connect_timeout = fmin(left, 2);
		if (gf_http_request(&o, &req, &resp, &e) == 0) {
			last = resp.status;
			if (resp.status == 200) {
				gf_http_resp_release(&resp);
				rc = 0;
				break;
			}
		}
		gf_http_resp_release(&resp);
		nanosleep(&pause, NULL);
	}
	if (rc < 0)
		gf_err_set(err, GF_EXIT_UNAVAILABLE, "prometheus",
		    "prometheus %s not ready after %gs (%s)", safe, timeout,
		    last ? "it answers but not 200" : e.msg[0] ? e.msg :
		    "no answer");
	free(url);
	free(safe);
	return rc;
}
