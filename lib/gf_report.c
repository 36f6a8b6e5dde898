/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_report.h"
#include "gf_buf.h"
#include "gf_err.h"
#include "gf_fs.h"
#include "gf_parse.h"
#include "gf_svg.h"
#include "gf_validate.h"
#include "gf_xalloc.h"
#include "gf_section.h"
#include "gf_banned.h"

int
gf_report_stage_open(struct gf_report_stage *st, const char *dir,
    struct gf_err *err)
{
	char *parent, *slash, *tmpl;

	memset(st, 0, sizeof(*st));
	st->dir = gf_xstrdup(dir);
	while (strlen(st->dir) > 1 && st->dir[strlen(st->dir) - 1] == '/')
		st->dir[strlen(st->dir) - 1] = '\0';
	st->fresh = !gf_fs_exists(st->dir);
	if (!st->fresh && !gf_fs_is_dir(st->dir)) {
		gf_err_set(err, GF_EXIT_CANTCREAT, "report",
		    "'%s' exists and is not a directory", st->dir);
		goto fail;
	}
	if (st->fresh) {
		int rc = 0;

		parent = gf_xstrdup(st->dir);
		slash = strrchr(parent, '/');
		if (slash != NULL && slash != parent) {
			*slash = '\0';
			rc = gf_fs_mkdir_p(parent, 0755, err);
		}
		free(parent);
		if (rc == -1)
			goto fail;
		tmpl = gf_xasprintf("%s.gf-tmp.XXXXXX", st->dir);
	} else {
		tmpl = gf_xasprintf("%s/.gf-tmp.XXXXXX", st->dir);
	}
	if (mkdtemp(tmpl) == NULL) {
		gf_err_set(err, GF_EXIT_CANTCREAT, "report",
		    "cannot create a directory next to '%s': %s", st->dir,
		    strerror(errno));
		free(tmpl);
		goto fail;
	}
	/* mkdtemp makes 0700; a report is meant to be read. */
	chmod(tmpl, 0755);
	st->tmp = tmpl;
	return 0;
fail:
	gf_report_stage_release(st);
	return -1;
}

int
gf_report_stage_put(struct gf_report_stage *st, const char *relpath,
    const void *data, size_t len, struct gf_err *err)
{
	char *path, *sub, *slash;

	if (relpath[0] == '/' || strstr(relpath, "..") != NULL)
		GF_BUG("report path '%s' leaves the directory", relpath);
	path = gf_fs_join(st->tmp, relpath);
	sub = gf_xstrdup(path);
	if ((slash = strrchr(sub, '/')) != NULL) {
		*slash = '\0';
		if (gf_fs_mkdir_p(sub, 0755, err) == -1) {
			free(sub);
			free(path);
			return -1;
		}
	}
	free(sub);
	if (gf_fs_write_atomic(path, data, len, 0644, err) == -1) {
		free(path);
		return -1;
	}
	free(path);
	st->files = gf_xreallocarray(st->files, st->nfiles + 1,
	    sizeof(*st->files));
	st->files[st->nfiles++] = gf_xstrdup(relpath);
	return 0;
}

int
gf_report_stage_commit(struct gf_report_stage *st, struct gf_err *err)
{
	if (st->fresh) {
		if (rename(st->tmp, st->dir) == -1)
			return gf_err_set(err, GF_EXIT_CANTCREAT, "report",
			    "cannot rename '%s' to '%s': %s", st->tmp,
			    st->dir, strerror(errno));
		free(st->tmp);
		st->tmp = NULL;
		return 0;
	}
	for (size_t i = 0; i < st->nfiles; i++) {
		char *from = gf_fs_join(st->tmp, st->files[i]);
		char *to = gf_fs_join(st->dir, st->files[i]);
		char *sub = gf_xstrdup(to), *slash = strrchr(sub, '/');
		int rc = 0;

		if (slash != NULL) {
			*slash = '\0';
			rc = gf_fs_mkdir_p(sub, 0755, err);
		}
		if (rc == 0 && rename(from, to) == -1)
			rc = gf_err_set(err, GF_EXIT_CANTCREAT, "report",
			    "cannot rename '%s' to '%s': %s", from, to,
			    strerror(errno));
		free(sub);
		free(from);
		free(to);
		if (rc == -1)
			return -1;
	}
	gf_fs_remove_tree(st->tmp, NULL);
	free(st->tmp);
	st->tmp = NULL;
	return 0;
}

void
gf_report_stage_release(struct gf_report_stage *st)
{
	if (st == NULL)
		return;
	if (st->tmp != NULL)
		gf_fs_remove_tree(st->tmp, NULL);
	free(st->tmp);
	free(st->dir);
	for (size_t i = 0; i < st->nfiles; i++)
		free(st->files[i]);
	free(st->files);
	memset(st, 0, sizeof(*st));
}

const char *
gf_report_num(const json_t *v, char buf[32])
{
	if (!json_is_number(v) || !isfinite(json_number_value(v)))
		return "-";
	snprintf(buf, 32, "%.4f", json_number_value(v));
	return buf;
}

/* Text for a table cell: no pipes or newlines. */
static void
cell(struct gf_buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '|')
			gf_buf_adds(b, "\\|");
		else if (*s == '\n' || *s == '\r')
			gf_buf_addc(b, ' ');
		else
			gf_buf_addc(b, *s);
	}
}

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static void
time_line(struct gf_buf *b, const char *what, const json_t *t)
{
	char tb[32];

	if (json_is_number(t))
		gf_buf_addf(b, "- %s: %s\n", what,
		    gf_time_format(json_number_value(t), 0, tb));
}

/* A table of label sets: one column per label seen. */
static void
label_table(struct gf_buf *b, const json_t *rows)
{
	json_t *cols = json_object(), *row, *v;
	const char *k;
	size_t i;

	json_array_foreach(rows, i, row) {
		json_object_foreach((json_t *)row, k, v)
			json_object_set_new(cols, k, json_true());
	}
	if (json_array_size(rows) == 0 || json_object_size(cols) == 0) {
		gf_buf_adds(b, "None found.\n\n");
		json_decref(cols);
		return;
	}
	gf_buf_adds(b, "|");
	json_object_foreach(cols, k, v) {
		gf_buf_addc(b, ' ');
		cell(b, k);
		gf_buf_adds(b, " |");
	}
	gf_buf_adds(b, "\n|");
	json_object_foreach(cols, k, v)
		gf_buf_adds(b, " --- |");
	gf_buf_addc(b, '\n');
	json_array_foreach(rows, i, row) {
		gf_buf_adds(b, "|");
		json_object_foreach(cols, k, v) {
			json_t *x = json_object_get(row, k);

			gf_buf_addc(b, ' ');
			if (json_is_string(x))
				cell(b, json_string_value(x));
			else if (json_is_number(x))
				gf_buf_addf(b, "%g", json_number_value(x));
			gf_buf_adds(b, " |");
		}
		gf_buf_addc(b, '\n');
	}
	gf_buf_addc(b, '\n');
	json_decref(cols);
}

static void
specs_table(struct gf_buf *b, const json_t *specs)
{
	json_t *s;
	size_t i;

	if (json_array_size(specs) == 0) {
		gf_buf_adds(b, "None found.\n\n");
		return;
	}
	gf_buf_adds(b, "| Type | Model | Sockets | Cores | Threads | DRAM | "
	    "Flags |\n| --- | --- | --- | --- | --- | --- | --- |\n");
	json_array_foreach(specs, i, s) {
		gf_buf_adds(b, "| ");
		cell(b, str(s, "type"));
		gf_buf_adds(b, " | ");
		cell(b, str(s, "model"));
		gf_buf_addf(b, " | %lld | %lld | %lld | ",
		    json_integer_value(json_object_get(s, "sockets")),
		    json_integer_value(json_object_get(s, "cores")),
		    json_integer_value(json_object_get(s, "threads")));
		cell(b, str(s, "dram"));
		gf_buf_adds(b, " | ");
		cell(b, str(s, "flags"));
		gf_buf_adds(b, " |\n");
	}
	gf_buf_addc(b, '\n');
}

static size_t
dropped(const json_t *r)
{
	return (size_t)json_integer_value(json_object_get(r,
	    "dropped_actual")) + (size_t)json_integer_value(
	    json_object_get(r, "dropped_predicted"));
}

static void
summary_row(struct gf_buf *b, const json_t *r, const char *name)
{
	char b1[32], b2[32], b3[32], b4[32];

	gf_buf_adds(b, "| ");
	cell(b, name);
	gf_buf_addf(b, " | %s | %s | %s | %s | %lld | %zu | %s |\n",
	    gf_report_num(json_object_get(r, "mse"), b1),
	    gf_report_num(json_object_get(r, "mape"), b2),
	    gf_report_num(json_object_get(r, "mae"), b3),
	    gf_report_num(json_object_get(r, "rmse"), b4),
	    json_integer_value(json_object_get(r, "samples")), dropped(r),
	    str(r, "verdict"));
}

static const char summary_head[] =
	"| Name | MSE | MAPE | MAE | RMSE | Samples | Dropped | Pass / Fail |\n"
	"| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n";

static void
fenced(struct gf_buf *b, const char *text)
{
	size_t n = strlen(text);

	gf_buf_adds(b, "```promql\n");
	gf_buf_adds(b, text);
	if (n == 0 || text[n - 1] != '\n')
		gf_buf_addc(b, '\n');
	gf_buf_adds(b, "```\n\n");
}

static void
details(struct gf_buf *b, const json_t *r)
{
	json_t *th = json_object_get(r, "thresholds"), *v, *charts;
	const char *k;
	char nb[32];
	size_t i;

	gf_buf_adds(b, "#### ");
	cell(b, str(r, "name"));
	gf_buf_adds(b, "\n\n**Queries**\n\n");
	gf_buf_addf(b, "%s (actual):\n\n", str(r, "actual_label"));
	fenced(b, str(r, "actual_query"));
	gf_buf_addf(b, "%s (predicted):\n\n", str(r, "predicted_label"));
	fenced(b, str(r, "predicted_query"));
	gf_buf_addf(b, "**Dropped**: %lld actual, %lld predicted "
	    "(of which %lld NaN or infinite); %lld pairs compared, %lld with "
	    "actual > 0 for MAPE\n\n",
	    json_integer_value(json_object_get(r, "dropped_actual")),
	    json_integer_value(json_object_get(r, "dropped_predicted")),
	    json_integer_value(json_object_get(r, "dropped_nonfinite")),
	    json_integer_value(json_object_get(r, "samples")),
	    json_integer_value(json_object_get(r, "samples_mape")));
	gf_buf_adds(b, "**Results**\n\n");
	gf_buf_addf(b, "- MSE: %s\n", gf_report_num(json_object_get(r,
	    "mse"), nb));
	gf_buf_addf(b, "- MAPE: %s %%\n", gf_report_num(json_object_get(r,
	    "mape"), nb));
	gf_buf_addf(b, "- MAE: %s", gf_report_num(json_object_get(r, "mae"),
	    nb));
	if (*str(r, "units") != '\0')
		gf_buf_addf(b, " %s", str(r, "units"));
	gf_buf_addf(b, "\n- RMSE: %s\n", gf_report_num(json_object_get(r,
	    "rmse"), nb));
	gf_buf_addf(b, "- Mean actual / predicted: %s / ",
	    gf_report_num(json_object_get(r, "mean_actual"), nb));
	gf_buf_addf(b, "%s\n", gf_report_num(json_object_get(r,
	    "mean_predicted"), nb));
	json_object_foreach(th, k, v)
		gf_buf_addf(b, "- Threshold %s: %g\n", k,
		    json_number_value(v));
	gf_buf_addf(b, "- Verdict: **%s**", str(r, "verdict"));
	if (*str(r, "reason") != '\0')
		gf_buf_addf(b, " (%s)", str(r, "reason"));
	gf_buf_adds(b, "\n\n");
	charts = json_object_get(r, "charts");
	if (json_array_size(charts) > 0) {
		gf_buf_adds(b, "**Charts**\n\n");
		json_array_foreach(charts, i, v)
			gf_buf_addf(b, "![%s](%s)\n\n",
			    i == 0 ? "actual vs predicted" :
			    "error distribution", json_string_value(v));
	}
	if (*str(r, "artifact") != '\0')
		gf_buf_addf(b, "Series: [%s](%s)\n\n", str(r, "artifact"),
		    str(r, "artifact"));
}

static void
summaries(struct gf_buf *b, const json_t *sums)
{
	json_t *s, *ov, *x;
	const char *ns;
	char b1[32], b2[32], b3[32], b4[32];
	size_t i;

	gf_buf_adds(b, "### Summaries\n\n"
	    "| Window | Mean power (W) | Energy (J) | Work | Energy per unit "
	    "| CPU overhead (mean % / sd %) |\n"
	    "| --- | ---: | ---: | ---: | ---: | --- |\n");
	json_array_foreach(sums, i, s) {
		gf_buf_adds(b, "| ");
		cell(b, str(s, "window"));
		gf_buf_addf(b, " | %s | %s | %s | %s",
		    gf_report_num(json_object_get(s, "mean_power_w"), b1),
		    gf_report_num(json_object_get(s, "energy_j"), b2),
		    gf_report_num(json_object_get(s, "work"), b3),
		    gf_report_num(json_object_get(s, "energy_per_unit"), b4));
		if (*str(s, "work_unit") != '\0' &&
		    json_is_number(json_object_get(s, "energy_per_unit")))
			gf_buf_addf(b, " J/%s", str(s, "work_unit"));
		gf_buf_adds(b, " | ");
		ov = json_object_get(s, "overhead");
		json_object_foreach(ov, ns, x) {
			cell(b, ns);
			gf_buf_addf(b, ": %s / %s; ",
			    gf_report_num(json_object_get(x, "mean"), b1),
			    gf_report_num(json_object_get(x, "sd"), b2));
		}
		gf_buf_adds(b, " |\n");
	}
	gf_buf_addc(b, '\n');
}

char *
gf_report_markdown(const json_t *rep)
{
	struct gf_buf b = GF_BUF_INIT;
	json_t *results = json_object_get(rep, "results"), *r, *w, *g;
	json_t *t0 = json_object_get(rep, "start");
	json_t *t1 = json_object_get(rep, "end");
	size_t i, j;
	int any_windows = 0;

	gf_buf_addf(&b, "# %s\n\n", str(rep, "tag"));
	gf_buf_adds(&b, "## Build Info\n\n");
	label_table(&b, json_object_get(rep, "build_info"));
	gf_buf_adds(&b, "## Node Info\n\n");
	label_table(&b, json_object_get(rep, "node_info"));
	gf_buf_adds(&b, "## Machine Specs\n\n");
	specs_table(&b, json_object_get(rep, "machine_specs"));
	gf_buf_adds(&b, "## Validation Results\n\n");
	time_line(&b, "Started", t0);
	time_line(&b, "Ended", t1);
	if (json_is_number(t0) && json_is_number(t1))
		gf_buf_addf(&b, "- Duration: %.0f s\n",
		    json_number_value(t1) - json_number_value(t0));
	if (*str(rep, "prometheus") != '\0')
		gf_buf_addf(&b, "- Prometheus: %s\n", str(rep, "prometheus"));
	gf_buf_addf(&b, "- Verdict: **%s**\n\n", str(rep, "verdict"));
	if (json_array_size(results) > 0) {
		gf_buf_adds(&b, "### Summary\n\n");
		gf_buf_adds(&b, summary_head);
		json_array_foreach(results, i, r) {
			summary_row(&b, r, str(r, "name"));
			if (json_array_size(json_object_get(r, "windows")) > 0)
				any_windows = 1;
		}
		gf_buf_addc(&b, '\n');
	}
	if (any_windows) {
		gf_buf_adds(&b, "### Windows\n\n");
		gf_buf_adds(&b, summary_head);
		json_array_foreach(results, i, r) {
			json_array_foreach(json_object_get(r, "windows"),
			    j, w) {
				char *nm = gf_xasprintf("%s @ %s",
				    str(r, "name"), str(w, "window"));

				summary_row(&b, w, nm);
				free(nm);
			}
		}
		gf_buf_addc(&b, '\n');
	}
	if (json_array_size(results) > 0) {
		gf_buf_adds(&b, "### Details\n\n");
		json_array_foreach(results, i, r)
			details(&b, r);
	}
	if (json_array_size(json_object_get(rep, "summaries")) > 0)
		summaries(&b, json_object_get(rep, "summaries"));
	if ((g = json_object_get(rep, "gate")) != NULL) {
		char nb[32];

		gf_buf_adds(&b, "### Gate\n\n");
		fenced(&b, str(g, "query"));
		gf_buf_addf(&b, "Value %s %s %g: **%s**\n\n",
		    gf_report_num(json_object_get(g, "value"), nb),
		    str(g, "op"), json_number_value(json_object_get(g,
		    "threshold")), json_is_true(json_object_get(g,
		    "tripped")) ? "tripped" : "not tripped");
	}
	return gf_buf_detach(&b);
}

static json_t *
num_string(const json_t *v)
{
	char nb[32];

	if (!json_is_number(v) || !isfinite(json_number_value(v)))
		return json_string("nan");
	snprintf(nb, sizeof(nb), "%.17g", json_number_value(v));
	return json_string(nb);
}

json_t *
gf_report_json(const json_t *rep)
{
	json_t *out = json_object(), *res = json_array(), *r;
	static const char *const keys[] = { "build_info", "node_info",
	    "machine_specs" };
	size_t i;

	for (size_t k = 0; k < GF_ARRAY_LEN(keys); k++) {
		json_t *x = json_object_get(rep, keys[k]);

		json_object_set_new(out, keys[k],
		    x != NULL ? json_deep_copy(x) : json_array());
	}
	json_array_foreach(json_object_get(rep, "results"), i, r) {
		json_t *th = json_object_get(r, "thresholds");
		json_t *val = json_object();
		struct gf_buf st = GF_BUF_INIT;
		static const char *const m[] = { "mape", "mse", "mae" };

		json_object_set_new(val, "mse", num_string(json_object_get(r,
		    "mse")));
		json_object_set_new(val, "mape", num_string(json_object_get(r,
		    "mape")));
		json_object_set_new(val, "mae", num_string(json_object_get(r,
		    "mae")));
		/* Only the thresholds that exist are reported as passed. */
		for (size_t k = 0; k < GF_ARRAY_LEN(m); k++) {
			char key[16];
			json_t *lim, *v;

			snprintf(key, sizeof(key), "max_%s", m[k]);
			if ((lim = json_object_get(th, key)) == NULL)
				continue;
			v = json_object_get(r, m[k]);
			gf_buf_addf(&st, "%s%s passed: %s", st.len ? ", " : "",
			    m[k], json_is_number(v) && json_number_value(v) <=
			    json_number_value(lim) ? "true" : "false");
		}
		if (st.len == 0)
			gf_buf_adds(&st, "no threshold");
		json_object_set_new(val, "status",
		    json_string(gf_buf_str(&st)));
		gf_buf_release(&st);
		json_array_append_new(res, json_pack("{s:s, s:o, s:O}",
		    "metric-name", str(r, "name"), "value", val, "gf", r));
	}
	json_object_set_new(out, "results", res);
	return out;
}

char *
gf_report_step_summary(const json_t *rep, size_t max)
{
	struct gf_buf b = GF_BUF_INIT;
	json_t *results = json_object_get(rep, "results"), *r, *g;
	size_t i, pass = 0, fail = 0, none = 0;
	static const char more[] = "\n_Table cut to fit the job summary._\n";

	json_array_foreach(results, i, r) {
		const char *v = str(r, "verdict");

		if (strcmp(v, "PASS") == 0)
			pass++;
		else if (strcmp(v, "FAIL") == 0)
			fail++;
		else
			none++;
	}
	gf_buf_addf(&b, "## gf-validate: %s\n\n", str(rep, "tag"));
	gf_buf_addf(&b, "**%s**: %zu passed, %zu failed, %zu without a "
	    "threshold.\n\n", str(rep, "verdict"), pass, fail, none);
	if ((g = json_object_get(rep, "gate")) != NULL) {
		char nb[32];

		gf_buf_addf(&b, "Gate `%s %s %g`: value %s, **%s**\n\n",
		    str(g, "query"), str(g, "op"),
		    json_number_value(json_object_get(g, "threshold")),
		    gf_report_num(json_object_get(g, "value"), nb),
		    json_is_true(json_object_get(g, "tripped")) ? "tripped" :
		    "not tripped");
	}
	if (json_array_size(results) > 0) {
		gf_buf_adds(&b, summary_head);
		json_array_foreach(results, i, r) {
			size_t before = b.len;

			summary_row(&b, r, str(r, "name"));
			if (b.len + sizeof(more) > max) {
				b.len = before;
				b.data[b.len] = '\0';
				gf_buf_adds(&b, more);
				break;
			}
		}
		gf_buf_addc(&b, '\n');
	}
	if (b.len > max) {
		b.len = max;
		b.data[b.len] = '\0';
	}
	return gf_buf_detach(&b);
}

int
gf_report_append_step_summary(const char *text, struct gf_err *err)
{
	const char *path = getenv("GITHUB_STEP_SUMMARY");
	size_t len = strlen(text);
	FILE *fp;

	if (path == NULL || *path == '\0')
		return 0;
	if ((fp = fopen(path, "a")) == NULL)
		return gf_err_set(err, GF_EXIT_CANTCREAT, "report",
		    "cannot open GITHUB_STEP_SUMMARY '%s': %s", path,
		    strerror(errno));
	if (fwrite(text, 1, len, fp) != len || fclose(fp) != 0) {
		int e = errno;

		return gf_err_set(err, GF_EXIT_IOERR, "report",
		    "cannot write GITHUB_STEP_SUMMARY '%s': %s", path,
		    strerror(e));
	}
	return 1;
}

json_t *
gf_report_machine_specs(const json_t *doc)
{
	static const char *const facts[][2] = {
		{ GF_FIELD_HOST_NAME, "name" },
		{ GF_FIELD_HOST_CPU_MODEL, "model" },
		{ GF_FIELD_HOST_CORES, "cores" },
		{ GF_FIELD_HOST_ARCH, "arch" }, { GF_FIELD_HOST_OS, "os" },
		{ GF_FIELD_HOST_KERNEL, "kernel" },
		{ GF_FIELD_HOST_MEMORY_BYTES, "memory_bytes" },
	};
	json_t *specs = json_array(), *h;
	size_t i;

	json_array_foreach(json_object_get(doc, GF_SECTION_HOSTS), i, h) {
		json_t *spec = json_pack("{s:s}", "type", "host"), *v;

		for (size_t k = 0; k < GF_ARRAY_LEN(facts); k++)
			if ((v = json_object_get(h, facts[k][0])) != NULL)
				json_object_set(spec, facts[k][1], v);
		json_array_append_new(specs, spec);
	}
	return specs;
}

static json_t *
series_json(const char *q, const struct gf_prom_series *s)
{
	json_t *ts = json_array(), *vals = json_array();

	for (size_t i = 0; i < s->n; i++) {
		json_array_append_new(ts, json_real(s->t[i]));
		json_array_append_new(vals, isfinite(s->v[i]) ?
		    json_real(s->v[i]) : json_null());
	}
	return json_pack("{s:s, s:o, s:o, s:o}", "query", q, "metric",
	    s->labels != NULL ? json_incref(s->labels) : json_object(),
	    "timestamps", ts, "values", vals);
}

static int
put_buf(struct gf_report_stage *st, const char *rel, struct gf_buf *b,
    struct gf_err *err)
{
	int rc = gf_report_stage_put(st, rel, gf_buf_str(b), b->len, err);

	gf_buf_release(b);
	return rc;
}

int
gf_report_check_files(struct gf_report_stage *st, json_t *res,
    const struct gf_check *c, const struct gf_prom_series *a,
    const struct gf_prom_series *p, const struct gf_aligned *al,
    const struct gf_svg_band *bands, size_t nbands, struct gf_err *err)
{
	struct gf_buf b = GF_BUF_INIT;
	char *slug = gf_slug(c->name), *rel, *title, *txt;
	struct gf_svg_line lines[2] = {
		{ c->actual_label, a->t, a->v, a->n },
		{ c->predicted_label, p->t, p->v, p->n },
	};
	json_t *charts = json_array(), *art;
	double *e;
	int rc = -1;

	title = gf_xasprintf("%s: %s vs %s", c->name, c->actual_label,
	    c->predicted_label);
	gf_svg_timeseries(&b, title, c->units, lines, 2, bands, nbands);
	free(title);
	rel = gf_xasprintf("images/%s.svg", slug);
	json_array_append_new(charts, json_string(rel));
	if (put_buf(st, rel, &b, err) == -1)
		goto out;
	free(rel);
	e = gf_xcalloc(al->n + 1, sizeof(double));
	for (size_t i = 0; i < al->n; i++)
		e[i] = al->p[i] - al->a[i];
	title = gf_xasprintf("%s: error (predicted - actual)", c->name);
	gf_svg_histogram(&b, title, c->units != NULL ? c->units : "error", e,
	    al->n, 0);
	free(title);
	free(e);
	rel = gf_xasprintf("images/%s-error.svg", slug);
	json_array_append_new(charts, json_string(rel));
	if (put_buf(st, rel, &b, err) == -1)
		goto out;
	free(rel);
	rel = gf_xasprintf("artifacts/%s.json", slug);
	art = json_pack("{s:s, s:o, s:o}", "name", c->name, "actual",
	    series_json(c->actual, a), "predicted",
	    series_json(c->predicted, p));
	txt = json_dumps(art, JSON_COMPACT);
	json_decref(art);
	gf_buf_adds(&b, txt);
	gf_buf_addc(&b, '\n');
	free(txt);
	if (put_buf(st, rel, &b, err) == -1)
		goto out;
	json_object_set_new(res, "artifact", json_string(rel));
	json_object_set(res, "charts", charts);
	rc = 0;
out:
	json_decref(charts);
	free(rel);
	free(slug);
	return rc;
}
