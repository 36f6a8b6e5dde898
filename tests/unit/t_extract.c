/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

#include "gf_extract.h"
#include "gf_jskip.h"
#include "gf_yaml.h"

/*
 * Hand-computed case. Power: two series (modes) summed, then differenced
 * over the MEAN interval (15 s / 4 = 3.75 s): 60/3.75 = 16, and 120/3.75 =
 * 32 at the end. Features per container over each row's own interval:
 * A: 100/s; B appears at t=6 (first sample 0) then 10/s; C resets at t=6
 * (repeats 10/s); D is job=vm and left out.
 */
static const char query[] =
"{\"kepler_node_platform_joules_total\": ["
" {\"metric\": {\"source\": \"acpi\", \"mode\": \"dynamic\"},"
"  \"values\": [[0, \"0\"], [3, \"30\"], [6, \"60\"], [9, \"90\"],"
    " [15, \"150\"]]},"
" {\"metric\": {\"source\": \"acpi\", \"mode\": \"idle\"},"
"  \"values\": [[0, \"100\"], [3, \"130\"], [6, \"160\"], [9, \"190\"],"
    " [15, \"250\"]]},"
" {\"metric\": {\"source\": \"other\", \"mode\": \"idle\"},"
"  \"values\": [[0, \"1e9\"], [3, \"2e9\"], [6, \"3e9\"], [9, \"4e9\"],"
    " [15, \"5e9\"]]}],"
" \"kepler_container_cpu_instructions_total\": ["
" {\"metric\": {\"container_id\": \"a\"},"
"  \"values\": [[0, \"0\"], [3, \"300\"], [6, \"600\"], [9, \"900\"],"
    " [15, \"1500\"]]},"
" {\"metric\": {\"container_id\": \"b\"},"
"  \"values\": [[6, \"1000\"], [9, \"1030\"], [15, \"1090\"]]},"
" {\"metric\": {\"container_id\": \"c\"},"
"  \"values\": [[0, \"50\"], [3, \"80\"], [6, \"10\"], [9, \"40\"],"
    " [15, \"100\"]]},"
" {\"metric\": {\"container_id\": \"d\", \"job\": \"vm\"},"
"  \"values\": [[0, \"0\"], [3, \"1e9\"], [6, \"2e9\"], [9, \"3e9\"],"
    " [15, \"4e9\"]]}]}";

static const char profile[] =
"name: t\nid_labels: [container_id]\nexclude: {job: vm}\n"
"features:\n  cpu_instructions: kepler_container_cpu_instructions_total\n"
"power:\n  acpi:\n    platform: {metric: kepler_node_platform_joules_total,"
" match: {source: acpi}}\n";

static const char bad_value[] =
"{\"m\": [{\"metric\": {}, \"values\": [[1, \"x\"]]}]}";
static const char one_sample[] =
"{\"kepler_node_platform_joules_total\": [{\"metric\": {\"source\": "
"\"acpi\"}, \"values\": [[1, \"5\"]]}], "
"\"kepler_container_cpu_instructions_total\": [{\"metric\": {}, "
"\"values\": [[1, \"5\"]]}]}";

/*
 * gf_qset_load_only maps the file and skips metrics not asked for
 * without parsing them: strings with brackets, escaped quotes and
 * backslashes in a skipped metric must not confuse it, and a file that
 * ends without a newline or NUL must still parse.
 */
static void
load_only(void)
{
	static const char text[] =
	    "{\"skip\": [{\"metric\": {\"a\": \"x]]\\\"[[\", \"b\": \"\\\\\","
	    " \"c\": \"a long label value with ] and [ and \\\\\\\" in it\"},"
	    " \"values\": [[1, \"0\"], [2, \"1\"]]}, {\"metric\": {}, "
	    "\"values\": []}],\n \"want\": [{\"metric\": {\"k\": \"v\"}, "
	    "\"values\": [[10, \"1.5\"], [13, \"NaN\"], [16, 2.25e1]]}], "
	    "\"skip2\": [[[[]]], \"]\"]}";
	char path[] = "/tmp/t_extract.XXXXXX";
	const char *only[] = { "want" };
	struct gf_qset q = GF_QSET_INIT;
	struct gf_err err = GF_ERR_INIT;
	const struct gf_prom_result *r;
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		ok(0, "temporary file");
		return;
	}
	close(fd);
	ok(gf_qset_load_only(path, only, 1, &q, &err) == 0, "load only "
	    "'want': %s", err.msg);
	r = gf_qset_get(&q, "want");
	ok(r != NULL && r->nseries == 1 && r->series[0].n == 3,
	    "wanted metric: 1 series, 3 samples");
	ok(r != NULL && r->series[0].v[0] == 1.5 && isnan(r->series[0].v[1])
	    && r->series[0].v[2] == 22.5 && r->series[0].t[2] == 16,
	    "values, NaN and a bare number");
	ok(gf_qset_get(&q, "skip") == NULL && gf_qset_get(&q, "skip2") ==
	    NULL, "skipped metrics are not loaded");
	gf_qset_release(&q);
	unlink(path);
}

/*
 * gf_jskip_array takes 64 bytes at a time and falls back to a byte loop
 * on blocks with backslashes; both must end an array where the byte
 * loop alone does. Random nested arrays of strings (with brackets,
 * escaped quotes and runs of backslashes) and numbers, a third of them
 * with a byte overwritten by a special one, at every alignment.
 */
static unsigned
rnd(unsigned n)
{
	return (unsigned)(tap_random() % n);
}

static size_t
gen_value(char *b, size_t at, size_t cap, int depth)
{
	static const char str_chars[] = "ab[]{},: 09\\\"";
	unsigned kind = depth > 5 ? 1 + rnd(2) : rnd(3);

	if (at + 64 >= cap)
		return at;
	if (kind == 0) {
		unsigned n = rnd(depth == 1 ? 40 : 6);

		b[at++] = '[';
		for (unsigned i = 0; i < n && at + 64 < cap; i++) {
			if (i > 0)
				b[at++] = ',';
			at = gen_value(b, at, cap, depth + 1);
		}
		b[at++] = ']';
	} else if (kind == 1) {
		unsigned n = rnd(40);

		b[at++] = '"';
		for (unsigned i = 0; i < n; i++) {
			char c = str_chars[rnd(sizeof(str_chars) - 1)];

			if (c == '\\' || c == '"')
				b[at++] = '\\';
			b[at++] = c;
		}
		b[at++] = '"';
	} else {
		at += (size_t)snprintf(b + at, cap - at, "%u.%u", rnd(1u << 30),
		    rnd(1000));
	}
	return at;
}

static void
skip_differential(void)
{
	enum { CAP = 8192, CASES = 20000 };
	static char buf[CAP + 64];
	static const char specials[] = "[]\"\\";
	int same = 1, ended = 0, long_ones = 0;

	for (int k = 0; k < CASES && same; k++) {
		size_t off = (size_t)(k % 64), n;
		const char *a, *b;

		buf[off] = '[';
		n = gen_value(buf, off + 1, CAP, 1);
		buf[n++] = ']';
		if (k % 3 == 0)
			buf[off + 1 + rnd((unsigned)(n - off - 1))] =
			    specials[rnd(sizeof(specials) - 1)];
		a = gf_jskip_array(buf + off, buf + n);
		b = gf_jskip_array_bytes(buf + off, buf + n);
		same = a == b;
		ended += a == buf + n;
		long_ones += a != NULL && a - (buf + off) > 256;
	}
	ok(same, "gf_jskip_array ends where the byte loop ends");
	ok(ended > CASES / 2 && long_ones > CASES / 10, "the cases exercise "
	    "it: %d whole arrays, %d longer than 256 bytes", ended, long_ones);
}

static double
cell(const struct gf_csv *t, size_t r, const char *col)
{
	return t->data[r * t->cols + gf_csv_column(t, col)];
}

int
main(void)
{
	struct gf_err err = GF_ERR_INIT;
	struct gf_qset q = GF_QSET_INIT;
	struct gf_profile p = GF_PROFILE_INIT;
	struct gf_csv t = GF_CSV_INIT;
	struct gf_extract_opts o;
	const char *feat[] = { "cpu_instructions" };
	const char *data = getenv("GF_DATA");
	json_t *j;

	j = gf_yaml_parse(profile, strlen(profile), "p.yaml", &err);
	ok(j != NULL && gf_profile_from_json(j, "p.yaml", &p, &err) == 0,
	    "profile: %s", err.msg);
	json_decref(j);
	ok(gf_qset_parse(query, strlen(query), "q.json", &q, &err) == 0,
	    "query parses: %s", err.msg);
	is_int(q.n, 2, "two metrics");
	memset(&o, 0, sizeof(o));
	ok(gf_extract(&q, &p, feat, 1, "acpi", &o, &t, &err) == 0,
	    "extract: %s", err.msg);
	is_int(t.rows, 4, "first timestamp dropped");
	is_int(t.cols, 4, "timestamp, feature, power, node_type");
	is_str(t.names[2], "platform_power", "power column name");
	is_near(cell(&t, 0, "timestamp"), 3, 1e-12, "first row at t=3");
	is_near(cell(&t, 0, "platform_power"), 16, 1e-9, "mean interval");
	is_near(cell(&t, 3, "platform_power"), 32, 1e-9,
	    "longer gap, same mean");
	is_near(cell(&t, 0, "cpu_instructions"), 110, 1e-9, "A + C at t=3");
	is_near(cell(&t, 1, "cpu_instructions"), 110,
	    1e-9, "B's first sample 0, C's reset repeats its rate");
	is_near(cell(&t, 2, "cpu_instructions"), 120, 1e-9, "t=9");
	is_near(cell(&t, 3, "cpu_instructions"), 120, 1e-9, "own interval");
	gf_csv_release(&t);

	o.isolator = "min";
	ok(gf_extract(&q, &p, feat, 1, "acpi", &o, &t, &err) == 0, "min");
	is_near(cell(&t, 0, "platform_power"), 0, 1e-9, "min subtracted");
	is_near(cell(&t, 3, "platform_power"), 16, 1e-9, "rest shifted");
	gf_csv_release(&t);

	o.isolator = NULL;
	o.extractor = "smooth";
	o.window = 2;
	ok(gf_extract(&q, &p, feat, 1, "acpi", &o, &t, &err) == 0, "smooth");
	is_int(t.rows, 3, "window-1 rows dropped");
	is_near(cell(&t, 1, "cpu_instructions"), 115, 1e-9, "rolling mean");
	is_near(cell(&t, 2, "platform_power"), 24, 1e-9, "power smoothed");
	is_near(cell(&t, 2, "timestamp"), 15, 1e-9, "timestamp kept");
	gf_csv_release(&t);

	o.extractor = NULL;
	ok(gf_extract(&q, &p, feat, 1, "rapl-sysfs", &o, &t, &err) < 0 &&
	    err.exit == 65, "source the profile lacks: %s", err.msg);
	o.isolator = "profile";
	ok(gf_extract(&q, &p, feat, 1, "acpi", &o, &t, &err) < 0 &&
	    err.exit == 64, "profile isolator needs idle data");
	o.isolator = NULL;
	gf_qset_release(&q);

	ok(gf_qset_parse("{\"a\": [", 7, "bad.json", &q, &err) < 0 &&
	    err.exit == 65 && strstr(err.msg, "bad.json:1:") != NULL,
	    "corrupt JSON names file:line:col: %s", err.msg);
	ok(gf_qset_parse(bad_value, strlen(bad_value), "v.json", &q,
	    &err) < 0 &&
	    strstr(err.msg, "'m'") != NULL,
	    "bad value names the metric: %s", err.msg);
	/*
	 * Found by fuzzing (tests/fuzz/fuzz_qset.c): the fast scanner took
	 * what is not JSON, or gave what jansson would not. Each is now
	 * the jansson path's 65, with file:line:col where JSON is bad.
	 */
	static const struct {
		const char *text, *want, *what;
	} notjson[] = {
		{ "{\"m\":[{\"metric\":{\"a\":\"\xff\"},\"values\":"
		    "[[1,\"2\"]]}]}", "q.json:1:", "a label that is not UTF-8" },
		{ "{\"m\":[{\"metric\":{},\"values\":[[0315,\"2\"]]}]}",
		    "q.json:1:", "a number with a leading zero" },
		{ "{\"m\":[{\"metric\":{},\"values\":"
		    "[[99999999999999999999,\"2\"]]}]}", "q.json:1:",
		    "an integer beyond 64 bits" },
		{ "{\"m\":[{\"metric\":{\"a\":\"x\",\"a\":\"y\"},"
		    "\"values\":[[1,\"2\"]]}]}", "q.json:1:",
		    "a label given twice" },
		{ "{\"m\":[{\"metric\":{},\"values\":[[1,\"2 \"]]}]}",
		    "sample 0", "a value with a blank after it" },
		{ "{\"m\":[{\"metric\":{},\"values\":[[1e300,\"2\"]]}]}",
		    "is not a time", "a timestamp beyond 64-bit milliseconds" },
	};

	for (size_t i = 0; i < sizeof(notjson) / sizeof(*notjson); i++) {
		gf_err_clear(&err);
		ok(gf_qset_parse(notjson[i].text, strlen(notjson[i].text),
		    "q.json", &q, &err) < 0 && err.exit == 65 &&
		    strstr(err.msg, notjson[i].want) != NULL,
		    "query file with %s: %s", notjson[i].what, err.msg);
		gf_qset_release(&q);
	}
	ok(gf_qset_parse(one_sample, strlen(one_sample), "one.json", &q,
	    &err) == 0, "single sample parses");
	ok(gf_extract(&q, &p, feat, 1, "acpi", &o, &t, &err) < 0 &&
	    strstr(err.msg, "at least 2") != NULL, "single sample: %s",
	    err.msg);
	gf_qset_release(&q);

	if (data != NULL) {
		char *path = NULL;
		struct gf_profile k = GF_PROFILE_INIT;
		const char *cf[] = { "cache_miss", "cpu_cycles",
			"cpu_instructions" };

		if (asprintf(&path, "%s/kepler-model-server/"
		    "prom_response-2023-09.json", data) < 0)
			return 1;
		if (gf_qset_load(path, &q, &err) < 0) {
			skip("no 2023 query output under GF_DATA");
		} else {
			char *pp = NULL;

			if (asprintf(&pp, "%s/share/profiles/kepler-0.7.yaml",
			    getenv("GF_SRC") ? getenv("GF_SRC") : ".") < 0)
				return 1;
			ok(gf_profile_load(pp, &k, &err) == 0, "kepler-0.7: %s",
			    err.msg);
			ok(gf_extract(&q, &k, cf, 3, "rapl-sysfs", &o, &t,
			    &err) == 0, "real data: %s", err.msg);
			is_int(t.rows, 187, "188 samples, first dropped");
			ok(cell(&t, 0, "package_power") > 0 &&
			    cell(&t, 0, "core_power") == 0, "rapl columns");
			gf_csv_release(&t);
			gf_profile_release(&k);
			free(pp);
		}
		gf_qset_release(&q);
		free(path);
	}
	gf_profile_release(&p);
	load_only();
	skip_differential();
	return done_testing();
}
