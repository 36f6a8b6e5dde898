/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gf_layout.h"
#include "gf_buf.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

static const struct {
	const char *name;
	const char *tmpl;
	struct gf_layout_index index;
} builtin[] = {
	{ "validation",
	    "docs/validation/{date}/validator-{tag}-{time}{-suffix}",
	    { "docs/kepler-model-validation.md", "# Kepler model validation",
	    "| Date | Tag | Report | Artifacts |\n|---|---|---|---|" } },
	{ "train-validate-e2e", "docs/train-validate-e2e/{date}_{time}/{model}",
	    { "docs/kepler-model-train-validate.md",
	    "# Kepler model train and validate",
	    "| Date | Model | Report |\n|---|---|---|" } },
	{ "model-db", "", { NULL, NULL, NULL } },
};

static const char *
builtin_tmpl(const char *layout, int *idx)
{
	for (size_t i = 0; i < GF_ARRAY_LEN(builtin); i++)
		if (strcmp(layout, builtin[i].name) == 0) {
			if (idx != NULL)
				*idx = (int)i;
			return builtin[i].tmpl;
		}
	return NULL;
}

static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

static int
expand(struct gf_buf *b, const char *tmpl, const struct gf_layout_vars *v,
    struct gf_err *err)
{
	const char *p = tmpl, *end;

	while (*p != '\0') {
		size_t n;
		const char *val = NULL;

		if (*p != '{') {
			gf_buf_addc(b, *p++);
			continue;
		}
		end = strchr(p, '}');
		if (end == NULL)
			return gf_err_set(err, GF_EXIT_USAGE, "layout",
			    "layout '%s': unclosed '{'", tmpl);
		n = (size_t)(end - p - 1);
#define IS(name) (n == strlen(name) && strncmp(p + 1, name, n) == 0)
		if (IS("date"))
			val = v->date;
		else if (IS("time"))
			val = v->time;
		else if (IS("run"))
			val = v->run;
		else if (IS("tag"))
			val = v->tag;
		else if (IS("model"))
			val = v->model;
		else if (IS("suffix"))
			val = v->suffix;
		else if (IS("-suffix")) {
			if (v->suffix != NULL && *v->suffix != '\0') {
				gf_buf_addc(b, '-');
				val = v->suffix;
			} else {
				val = "";
			}
		} else
			return gf_err_set(err, GF_EXIT_USAGE, "layout",
			    "layout '%s': unknown variable '%.*s'", tmpl,
			    (int)n, p + 1);
#undef IS
#define IS_SUFFIX(n, p) (((n) == 6 && strncmp((p) + 1, "suffix", 6) == 0) || \
    ((n) == 7 && strncmp((p) + 1, "-suffix", 7) == 0))
		if (IS_SUFFIX(n, p) && val == NULL)
			val = "";
		if (val == NULL || (*val == '\0' && !IS_SUFFIX(n, p)))
			return gf_err_set(err, GF_EXIT_USAGE, "layout",
			    "layout '%s': no value for {%.*s}", tmpl, (int)n,
			    p + 1);
		gf_buf_adds(b, val);
		p = end + 1;
	}
	return 0;
}

void
gf_layout_set_time(struct gf_layout_vars *v, double t,
    char date[GF_LAYOUT_WHEN_LEN], char hms[GF_LAYOUT_WHEN_LEN])
{
	time_t secs = (time_t)t;
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(date, GF_LAYOUT_WHEN_LEN, "%Y-%m-%d", &tm);
	strftime(hms, GF_LAYOUT_WHEN_LEN, "%H-%M-%S", &tm);
	v->date = date;
	v->time = hms;
}

char *
gf_layout_dir(const char *layout, const struct gf_layout_vars *v,
    struct gf_err *err)
{
	const char *tmpl = builtin_tmpl(layout, NULL);
	struct gf_buf b = GF_BUF_INIT;
	char *dir, *norm;

	if (tmpl == NULL)
		tmpl = layout;
	if (expand(&b, tmpl, v, err) < 0) {
		gf_buf_release(&b);
		return NULL;
	}
	dir = gf_buf_detach(&b);
	norm = gf_layout_join("", dir);
	free(dir);
	if (*norm != '\0' && gf_layout_check_path(norm, "layout", err) < 0) {
		err->exit = GF_EXIT_USAGE;
		free(norm);
		return NULL;
	}
	return norm;
}

int
gf_layout_index_of(const char *layout, struct gf_layout_index *out)
{
	int i;

	if (builtin_tmpl(layout, &i) == NULL || builtin[i].index.path == NULL)
		return 0;
	*out = builtin[i].index;
	return 1;
}

/* path relative to the directory of index_path when below it. */
static const char *
rel(const char *index_path, const char *path)
{
	const char *slash = strrchr(index_path, '/');
	size_t n;

	if (slash == NULL)
		return path;
	n = (size_t)(slash - index_path) + 1;
	if (strncmp(path, index_path, n) == 0)
		return path + n;
	return path;
}

char *
gf_layout_row(const char *layout, const struct gf_layout_vars *v,
    const char *index_path, const char *dir, const char *report)
{
	const char *r = report != NULL ? rel(index_path, report) : NULL;
	const char *d = rel(index_path, dir);
	const char *sfx = nz(v->suffix);

	if (strcmp(layout, "train-validate-e2e") == 0)
		return gf_xasprintf("| %s_%s | %s | [Report](%s) |",
		    nz(v->date), nz(v->time), nz(v->model), r != NULL ? r : d);
	return gf_xasprintf("| %s | %s-%s%s%s | %s%s%s | [Artifacts](%s/) |",
	    nz(v->date), nz(v->tag), nz(v->time), *sfx ? "-" : "", sfx,
	    r != NULL ? "[Report](" : "-", r != NULL ? r : "",
	    r != NULL ? ")" : "", d);
}

static int
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') &&
		    (p[n] == '\n' || p[n] == '\0' || p[n] == '\r'))
			return 1;
		p += n;
	}
	return 0;
}

char *
gf_layout_append_row(const char *text, const struct gf_layout_index *ix,
    const char *row, int *added)
{
	struct gf_buf b = GF_BUF_INIT;

	*added = 0;
	if (text != NULL && has_line(text, row))
		return gf_xstrdup(text);
	if (text == NULL || *text == '\0') {
		gf_buf_addf(&b, "%s\n\n%s\n", ix->title, ix->header);
	} else {
		gf_buf_adds(&b, text);
		if (text[strlen(text) - 1] != '\n')
			gf_buf_addc(&b, '\n');
	}
	gf_buf_addf(&b, "%s\n", row);
	*added = 1;
	return gf_buf_detach(&b);
}

int
gf_layout_check_path(const char *path, const char *what, struct gf_err *err)
{
	const char *p = path;

	if (*path == '\0' || *path == '/')
		return gf_err_set(err, GF_EXIT_DATAERR, "layout",
		    "%s '%s': must be a relative path in the repository",
		    what, path);
	while (*p != '\0') {
		const char *e = strchr(p, '/');
		size_t n = e != NULL ? (size_t)(e - p) : strlen(p);

		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && strncmp(p, "..", 2) == 0))
			return gf_err_set(err, GF_EXIT_DATAERR, "layout",
			    "%s '%s': empty, '.' or '..' component", what,
			    path);
		if (n == 4 && strncmp(p, ".git", 4) == 0)
			return gf_err_set(err, GF_EXIT_DATAERR, "layout",
			    "%s '%s': nothing may go under .git", what, path);
		if (e == NULL)
			break;
		p = e + 1;
		if (*p == '\0')
			return gf_err_set(err, GF_EXIT_DATAERR, "layout",
			    "%s '%s': ends with '/'", what, path);
	}
	return 0;
}

char *
gf_layout_join(const char *dir, const char *path)
{
	struct gf_buf b = GF_BUF_INIT;
	const char *parts[2];
	char *r;

	parts[0] = *path == '/' ? "" : dir;
	parts[1] = path;
	for (size_t i = 0; i < 2; i++) {
		const char *p = parts[i];

		while (*p != '\0') {
			const char *e = strchr(p, '/');
			size_t n = e != NULL ? (size_t)(e - p) : strlen(p);

			if (n > 0 && !(n == 1 && *p == '.')) {
				if (b.len > 0)
					gf_buf_addc(&b, '/');
				gf_buf_add(&b, p, n);
			}
			if (e == NULL)
				break;
			p = e + 1;
		}
	}
	r = gf_buf_detach(&b);
	return r;
}

char *
gf_layout_numbered(const char *path, unsigned n)
{
	const char *base = strrchr(path, '/');
	const char *dot;
	static const char *multi[] = { ".tar.gz", ".tar.zst", ".tar.xz",
	    ".tar.bz2" };
	size_t len = strlen(path);

	base = base != NULL ? base + 1 : path;
	dot = NULL;
	for (size_t i = 0; i < GF_ARRAY_LEN(multi); i++) {
		size_t m = strlen(multi[i]);

		if (len > m && strcmp(path + len - m, multi[i]) == 0 &&
		    path + len - m > base)
			dot = path + len - m;
	}
	if (dot == NULL) {
		dot = strrchr(base, '.');
		if (dot == base)
			dot = NULL;
	}
	if (dot == NULL)
		return gf_xasprintf("%s-%u", path, n);
	return gf_xasprintf("%.*s-%u%s", (int)(dot - path), path, n, dot);
}
