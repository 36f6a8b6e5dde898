/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf_matrix: the same edge cases (NaN and infinities, words, numbers for
 * values, fractional, quoted, repeated and earlier timestamps, series
 * without "metric", empty results, vector and scalar results) given to
 * every reader of Prometheus results: gf_qset (query files, scanner and
 * jansson), gf_source (recorded results), gf_prom (API replies, from a
 * scripted server) and gf_matrix's two readers directly. All must give
 * the same samples, or the same error after their own prefix.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gf_buf.h"
#include "gf_matrix.h"
#include "gf_prom.h"
#include "gf_qset.h"
#include "gf_source.h"
#include "gf_xalloc.h"
#include "tap.h"

#include "scripted_server.h"

/* How a value error ends. */
#define PW " (Prometheus writes \"1.5\", \"NaN\", \"+Inf\", \"-Inf\")"

struct edge {
	const char *result;	/* the "result" array's contents */
	const char *want;	/* series as outcome() writes them, or error */
	const char *what;
};

/* Matrix results: every reader, query files included. */
static const struct edge matrix[] = {
	{ "{\"metric\":{\"a\":\"b\"},\"values\":[[1,\"1.5\"],[2,\"NaN\"],"
	  "[3,\"+Inf\"],[4,\"-Inf\"]]}",
	  "{\"a\":\"b\"} 1:1.5 2:nan 3:inf 4:-inf", "NaN, +Inf, -Inf kept" },
	{ "{\"values\":[[1,\"nan\"],[2,\"inf\"],[3,\"-Infinity\"]]}",
	  "{} 1:nan 2:inf 3:-inf", "other spellings; no metric, no labels" },
	{ "{\"metric\":{},\"values\":[[1,2.5],[2,-3],[3,-0],[4,\"-0\"]]}",
	  "{} 1:2.5 2:-3 3:0 4:-0", "numbers for values" },
	{ "{\"metric\":{},\"values\":[[1695361683.123,\"1\"],"
	  "[1695361686.5,\"2\"]]}",
	  "{} 1695361683.123:1 1695361686.5:2", "fractional timestamps" },
	{ "{\"metric\":{},\"values\":[[1,\"0.1000000000000000055511151231\"],"
	  "[2,\"1e+06\"],[3,\"12345678901234567890\"]]}",
	  "{} 1:0.10000000000000001 2:1000000 3:1.2345678901234567e+19",
	  "long decimals and exponents" },
	{ "{\"metric\":{\"a\":\"x\\\"y\"},\"values\":[[1,\"1e3\"]]}",
	  "{\"a\":\"x\\\"y\"} 1:1000", "a label with an escape" },
	{ "{\"metric\":{},\"values\":[]}", "{}", "a series without samples" },
	{ "", "", "an empty result" },
	{ "{\"metric\":{},\"values\":[[1,\"abc\"]]}",
	  "series 0 sample 0: value 'abc' is not a number" PW, "a word" },
	{ "{\"metric\":{},\"values\":[[1,\" 1\"]]}",
	  "series 0 sample 0: value ' 1' is not a number" PW, "a blank" },
	{ "{\"metric\":{},\"values\":[[1,\"0x10\"]]}",
	  "series 0 sample 0: value '0x10' is not a number" PW, "hex" },
	{ "{\"metric\":{},\"values\":[[1,\"\"]]}",
	  "series 0 sample 0: value '' is not a number" PW, "an empty string" },
	{ "{\"metric\":{},\"values\":[[1,\"1e999\"]]}",
	  "series 0 sample 0: value '1e999' is beyond the largest double",
	  "a decimal beyond the doubles" },
	{ "{\"metric\":{},\"values\":[[1,null]]}",
	  "series 0 sample 0: the value is neither a string nor a number",
	  "null" },
	{ "{\"metric\":{},\"values\":[[\"1\",\"2\"]]}",
	  "series 0 sample 0: the timestamp is not a number (unix "
	  "seconds)", "a quoted time" },
	{ "{\"metric\":{},\"values\":[[1e300,\"2\"]]}",
	  "series 0 sample 0: timestamp 1e+300 is not a time (unix seconds, "
	  "years 1 to 9999)",
	  "a time past the year 9999" },
	{ "{\"metric\":{},\"values\":[[2,\"1\"],[1.5,\"2\"]]}",
	  "series 0 sample 1: timestamp 1.5 is not after the previous "
	  "sample's (2)", "an earlier time" },
	{ "{\"metric\":{},\"values\":[[1,\"1\"],[1,\"2\"]]}",
	  "series 0 sample 1: timestamp 1 is not after the previous "
	  "sample's (1)", "a repeated time" },
	{ "{\"metric\":{\"a\":\"1\"},\"values\":[[1,\"1\"]]},"
	  "{\"metric\":{\"a\":\"2\"},\"values\":[[1,\"x\"]]}",
	  "series 1 sample 0: value 'x' is not a number" PW,
	  "the second series" },
	{ "{\"metric\":{},\"values\":[[1]]}",
	  "series 0 sample 0: expected [timestamp, \"value\"]", "half a pair" },
	{ "{\"metric\":{}}", "series 0: expected {\"metric\": {...}, "
	  "\"values\": [...]}", "no values" },
	{ "{\"metric\":{\"a\":1},\"values\":[]}",
	  "series 0: label 'a' is not a string", "a label that is a number" },
};

/* Whole data objects: the readers of responses. */
static const struct edge responses[] = {
	{ "{\"resultType\":\"vector\",\"result\":[{\"metric\":{\"a\":\"b\"},"
	  "\"value\":[1,\"2\"]},{\"metric\":{},\"value\":[1,\"NaN\"]}]}",
	  "{\"a\":\"b\"} 1:2 | {} 1:nan", "a vector" },
	{ "{\"resultType\":\"scalar\",\"result\":[1.5,\"-Inf\"]}",
	  "{} 1.5:-inf", "a scalar" },
	{ "{\"result\":[{\"values\":[[1,\"2\"]]}]}", "{} 1:2",
	  "no resultType: a matrix" },
	{ "{\"resultType\":\"string\",\"result\":[1,\"x\"]}",
	  "resultType 'string' is not a series of numbers", "a string" },
	{ "{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"
	  "\"value\":[1,\"x\"]}]}",
	  "series 0 sample 0: value 'x' is not a number" PW,
	  "a vector's bad value" },
	{ "{\"resultType\":\"matrix\"}", "expected {\"resultType\": "
	  "\"matrix\", \"result\": [...]}", "no result" },
};

/* The series of res as text, or the error after its prefix. */
static char *
outcome(int rc, const struct gf_prom_result *res, const struct gf_err *err,
    const char *prefix)
{
	struct gf_buf b = GF_BUF_INIT;
	const char *m;

	if (rc < 0) {
		m = strstr(err->msg, prefix);
		return gf_xstrdup(m != NULL ? m + strlen(prefix) : err->msg);
	}
	for (size_t i = 0; res != NULL && i < res->nseries; i++) {
		const struct gf_prom_series *s = &res->series[i];
		char *l = json_dumps(s->labels, JSON_SORT_KEYS | JSON_COMPACT);

		gf_buf_addf(&b, "%s%s", i > 0 ? " | " : "", l ? l : "?");
		free(l);
		for (size_t k = 0; k < s->n; k++)
			gf_buf_addf(&b, " %.15g:%.17g", s->t[k], s->v[k]);
	}
	return gf_buf_detach(&b);
}

static char *
via_qset(const char *result)
{
	char *text = gf_xasprintf("{\"m\": [%s]}", result);
	struct gf_qset q = GF_QSET_INIT;
	struct gf_err err = GF_ERR_INIT;
	int rc = gf_qset_parse(text, strlen(text), "q.json", &q, &err);
	char *out = outcome(rc, gf_qset_get(&q, "m"), &err,
	    "q.json: metric 'm': ");

	if (rc < 0 && err.exit != 65)
		diag("query file: exit %d", err.exit);
	gf_qset_release(&q);
	free(text);
	return out;
}

static char *
via_recorded(const char *data)
{
	char *text = gf_xasprintf("{\"q\": {\"status\": \"success\", "
	    "\"data\": %s}}", data);
	struct gf_recorded rec = GF_RECORDED_INIT;
	struct gf_err err = GF_ERR_INIT;
	int rc = gf_recorded_parse(&rec, text, strlen(text), "r.json", &err);
	char *out = outcome(rc, rc == 0 ? gf_recorded_find(&rec, "q") : NULL,
	    &err, "r.json: query 'q': ");

	if (rc < 0 && err.exit != 65)
		diag("recorded: exit %d", err.exit);
	gf_recorded_release(&rec);
	free(text);
	return out;
}

/*
 * gf_matrix's readers directly: the scanner, when it reads the text, and
 * the tree reader must agree. Returns the tree reader's outcome.
 */
static char *
via_matrix(const char *data, int *scanned, int *agree)
{
	json_t *j = json_loads(data, 0, NULL);
	struct gf_matrix_from from = { "", "test", 65 };
	struct gf_matrix_scan s = { data, data + strlen(data) };
	struct gf_prom_result tree, scan;
	struct gf_err err = GF_ERR_INIT;
	char *out, *fast;
	int rc;

	memset(&tree, 0, sizeof(tree));
	memset(&scan, 0, sizeof(scan));
	rc = gf_matrix_result_json(j, &from, &tree, &err);
	out = outcome(rc, &tree, &err, "");
	*scanned = gf_matrix_scan_result(&s, &scan) == 0;
	*agree = 1;
	if (*scanned) {
		fast = outcome(0, &scan, NULL, "");
		*agree = rc == 0 && strcmp(fast, out) == 0;
		free(fast);
	}
	gf_prom_result_release(&tree);
	gf_prom_result_release(&scan);
	json_decref(j);
	return out;
}

static char *
via_prom(struct gf_prom *p)
{
	struct gf_prom_result res;
	struct gf_err err = GF_ERR_INIT;
	int rc = gf_prom_query_range(p, "q", 1, 1, 1, &res, &err);
	char *out = outcome(rc, &res, &err, "unexpected result: ");

	if (rc < 0 && err.exit != 69)
		diag("prometheus: exit %d", err.exit);
	gf_prom_result_release(&res);
	return out;
}

#define JSON "Content-Type: application/json\r\n"

static void
check_all(const struct edge *e, size_t n, int files)
{
	struct reply *r = gf_xcalloc(n, sizeof(*r));
	char **bodies = gf_xcalloc(n, sizeof(char *));
	char **datas = gf_xcalloc(n, sizeof(char *));
	struct server srv;
	struct gf_prom p;
	char *u;

	for (size_t i = 0; i < n; i++) {
		datas[i] = files ? gf_xasprintf("{\"resultType\": \"matrix\", "
		    "\"result\": [%s]}", e[i].result) :
		    gf_xstrdup(e[i].result);
		bodies[i] = gf_xasprintf("{\"status\":\"success\",\"data\":%s}",
		    datas[i]);
		r[i].status = 200;
		r[i].headers = JSON;
		r[i].body = bodies[i];
	}
	start(&srv, r, n);
	u = url_of(&srv, "/");
	gf_prom_init(&p, u);
	p.http.max_attempts = 1;
	p.http.timeout = 5;
	for (size_t i = 0; i < n; i++) {
		int scanned, agree;
		char *m = via_matrix(datas[i], &scanned, &agree);
		char *rec = via_recorded(datas[i]);
		char *prom = via_prom(&p);

		is_str(m, e[i].want, "%s: gf_matrix", e[i].what);
		ok(agree, "%s: the scanner %s", e[i].what, scanned ?
		    "agrees" : "gives up");
		is_str(rec, e[i].want, "%s: recorded results", e[i].what);
		is_str(prom, e[i].want, "%s: prometheus reply", e[i].what);
		if (files) {
			char *q = via_qset(e[i].result);

			is_str(q, e[i].want, "%s: query file", e[i].what);
			free(q);
		}
		free(m);
		free(rec);
		free(prom);
		free(datas[i]);
		free(bodies[i]);
	}
	free(stop(&srv));
	gf_prom_release(&p);
	free(u);
	free(datas);
	free(bodies);
	free(r);
}

static void
values(void)
{
	static const struct {
		const char *text;
		enum gf_matrix_fault want;
	} v[] = {
		{ "1.5", GF_MATRIX_OK }, { "-2e-3", GF_MATRIX_OK },
		{ "+Inf", GF_MATRIX_OK }, { "INFINITY", GF_MATRIX_OK },
		{ "NaN", GF_MATRIX_OK }, { ".5", GF_MATRIX_OK },
		{ "1e", GF_MATRIX_VALUE_TEXT }, { "1 ", GF_MATRIX_VALUE_TEXT },
		{ "nan(1)", GF_MATRIX_VALUE_TEXT },
		{ "-", GF_MATRIX_VALUE_TEXT },
		{ "1e400", GF_MATRIX_VALUE_RANGE },
	};
	double d;

	for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++)
		is_int(gf_matrix_value(v[i].text, strlen(v[i].text), &d),
		    v[i].want, "value '%s'", v[i].text);
	ok(gf_matrix_value("-NaN", 4, &d) == GF_MATRIX_OK && isnan(d) &&
	    !signbit(d), "one NaN, whatever its sign");
}

/* An error envelope in a recorded file quotes what Prometheus said. */
static void
error_envelope(void)
{
	static const char text[] = "{\"q\": {\"status\": \"error\", "
	    "\"errorType\": \"bad_data\", \"error\": \"boom\"}}";
	struct gf_recorded rec = GF_RECORDED_INIT;
	struct gf_err err = GF_ERR_INIT;

	ok(gf_recorded_parse(&rec, text, strlen(text), "r.json", &err) < 0 &&
	    err.exit == 65 && strcmp(err.msg, "r.json: query 'q': the "
	    "response is status 'error': bad_data: boom") == 0,
	    "an error response: %s", err.msg);
	gf_recorded_release(&rec);
}

int
main(void)
{
	values();
	check_all(matrix, sizeof(matrix) / sizeof(*matrix), 1);
	check_all(responses, sizeof(responses) / sizeof(*responses), 0);
	error_envelope();
	return done_testing();
}
