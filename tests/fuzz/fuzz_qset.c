/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A query output file (kepler-model-server's {metric: [{metric,
 * values}]}) from any bytes. gf_qset_parse reads the documented shape
 * with a scanner of its own and anything else with jansson: whatever it
 * accepts must be JSON that jansson reads to the same series, labels and
 * bits (the reference below reads it as the jansson path does). Then
 * the default and smooth extractors on what parsed, with Kepler 0.7's
 * profile (found through GF_PROFILE_PATH): a table or an error with a
 * message, never a crash.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "gf_csv.h"
#include "gf_err.h"
#include "gf_extract.h"
#include "gf_parse.h"
#include "gf_profile.h"
#include "gf_prom.h"

static struct gf_profile prof;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_kepler_profile(&prof);
	return 0;
}

static int
value_of(const json_t *v, double *out)
{
	const char *s;
	char *end;

	if (json_is_number(v)) {
		*out = json_number_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	*out = strtod(s, &end);
	return end == s || *end != '\0' ? -1 : 0;
}

static int
same(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

/* q as jansson reads text: 1 when it agrees, 0 when not. */
static int
agrees(const struct gf_qset *q, const uint8_t *data, size_t size)
{
	json_t *root = json_loadb((const char *)data, size,
	    JSON_REJECT_DUPLICATES, NULL), *arr;
	const char *metric;
	json_t *empty = json_object();
	size_t nmetrics = 0;
	int ok = root != NULL && json_is_object(root);

	json_object_foreach(ok ? root : NULL, metric, arr) {
		const struct gf_prom_result *r = gf_qset_get(q, metric);
		json_t *js;
		size_t i;

		nmetrics++;
		if (r == NULL || !json_is_array(arr) ||
		    r->nseries != json_array_size(arr)) {
			ok = 0;
			break;
		}
		json_array_foreach(arr, i, js) {
			const struct gf_prom_series *se = &r->series[i];
			json_t *labels = json_object_get(js, "metric");
			json_t *values = json_object_get(js, "values");
			json_t *pair;
			size_t k;

			/* gf_matrix: a series without "metric" has none. */
			if (labels == NULL)
				labels = empty;
			if (!json_is_object(labels) || !json_is_array(values) ||
			    !json_equal(labels, se->labels) ||
			    json_array_size(values) != se->n) {
				ok = 0;
				break;
			}
			json_array_foreach(values, k, pair) {
				double t, v;

				if (!json_is_array(pair) ||
				    json_array_size(pair) != 2 ||
				    value_of(json_array_get(pair, 0), &t) < 0 ||
				    value_of(json_array_get(pair, 1), &v) < 0 ||
				    !gf_time_ok(t) || !same(t, se->t[k]) ||
				    !same(v, se->v[k])) {
					ok = 0;
					break;
				}
			}
		}
	}
	ok = ok && nmetrics == q->n;
	json_decref(empty);
	json_decref(root);
	return ok;
}

static void
extract(const struct gf_qset *q, const char *group, const char *source,
    const char *extractor, const char *isolator)
{
	struct gf_err err = GF_ERR_INIT;
	struct gf_extract_opts xo;
	struct gf_csv t = GF_CSV_INIT;
	size_t nfeat;
	const char **feat = gf_profile_group_features(&prof, group, NULL, 0,
	    &nfeat, &err);

	if (feat == NULL)
		abort();
	memset(&xo, 0, sizeof(xo));
	xo.extractor = extractor;
	xo.isolator = isolator;
	xo.name = "fuzz.json";
	if (gf_extract(q, &prof, feat, nfeat, source, &xo, &t, &err) == 0) {
		if (t.rows < 2)
			abort();	/* documented: fewer than 2 is an error */
	} else if (err.exit == 0 || err.msg[0] == '\0') {
		abort();
	}
	gf_csv_release(&t);
	free(feat);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gf_qset q = GF_QSET_INIT;
	struct gf_err err = GF_ERR_INIT;
	char *text = fuzz_text(data, size);

	if (gf_qset_parse(text, size, "fuzz.json", &q, &err) == 0) {
		if (!agrees(&q, data, size))
			abort();
		extract(&q, "CounterOnly", "rapl-sysfs", NULL, "none");
		extract(&q, "Basic", "rapl-sysfs", "smooth", "min");
		extract(&q, "BPFOnly", "acpi", NULL, "none");
	} else if (err.exit == 0 || err.msg[0] == '\0') {
		abort();
	}
	gf_qset_release(&q);
	free(text);
	return 0;
}
