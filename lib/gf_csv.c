/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gf_csv.h"
#include "gf_fs.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

static void
free_names(char **names, size_t n)
{
	if (names == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

void
gf_csv_release(struct gf_csv *c)
{
	free_names(c->names, c->cols);
	free(c->data);
	c->names = NULL;
	c->data = NULL;
	c->rows = c->cols = 0;
}

int
gf_csv_column(const struct gf_csv *c, const char *name)
{
	for (size_t i = 0; i < c->cols; i++)
		if (strcmp(c->names[i], name) == 0)
			return (int)i;
	return -1;
}

/* One header cell starting at p; *end is set past it (at ',' or EOL). */
static char *
header_cell(const char *p, const char *eol, const char **end)
{
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	if (p < eol && *p == '"') {
		char *d = gf_xmalloc((size_t)(eol - p) + 1);
		size_t n = 0;

		for (p++; p < eol; p++) {
			if (*p == '"') {
				/* "" inside quotes is one quote. */
				if (p + 1 < eol && p[1] == '"') {
					d[n++] = '"';
					p++;
					continue;
				}
				p++;
				break;
			}
			d[n++] = *p;
		}
		d[n] = '\0';
		while (p < eol && *p != ',')
			p++;
		*end = p;
		return d;
	}
	const char *q = p;

	while (q < eol && *q != ',')
		q++;
	*end = q;
	while (q > p && (q[-1] == ' ' || q[-1] == '\t'))
		q--;
	return gf_xstrndup(p, q - p);
}

static const char *
line_end(const char *p, const char *end)
{
	const char *q = memchr(p, '\n', end - p);

	return q ? q : end;
}

int
gf_csv_parse(const char *text, size_t len, const char *name,
    struct gf_csv *out, struct gf_err *err)
{
	const char *p = text, *end = text + len;
	size_t line = 1, cap = 0, n = 0, cols = 0;
	char **names = NULL;
	double *data = NULL;
	struct gf_csv empty = GF_CSV_INIT;

	*out = empty;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	const char *eol = line_end(p, end);
	const char *he = eol;

	if (he > p && he[-1] == '\r')
		he--;
	if (he == p)
		return gf_err_set(err, GF_EXIT_DATAERR, "csv",
		    "%s:1:1: no header row", name);
	/* Header. */
	for (const char *c = p;;) {
		const char *ce;
		char *cell = header_cell(c, he, &ce);

		names = gf_xreallocarray(names, cols + 1, sizeof(*names));
		names[cols++] = cell;
		if (ce >= he)
			break;
		c = ce + 1;
	}
	for (size_t i = 0; i < cols; i++) {
		if (names[i][0] == '\0' && i > 0) {
			gf_err_set(err, GF_EXIT_DATAERR, "csv",
			    "%s:1: header cell %zu is empty", name, i + 1);
			goto fail;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0) {
				gf_err_set(err, GF_EXIT_DATAERR, "csv",
				    "%s:1: duplicate column '%s'", name,
				    names[i]);
				goto fail;
			}
	}
	p = eol < end ? eol + 1 : end;
	/* Rows. */
	while (p < end) {
		line++;
		eol = line_end(p, end);
		const char *le = eol;

		if (le > p && le[-1] == '\r')
			le--;
		if (le == p) {
			/* Only trailing blank lines are allowed. */
			const char *q = eol;

			while (q < end && (*q == '\n' || *q == '\r'))
				q++;
			if (q < end) {
				gf_err_set(err, GF_EXIT_DATAERR, "csv",
				    "%s:%zu:1: empty line", name, line);
				goto fail;
			}
			break;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			data = gf_xreallocarray(data, cap * cols, sizeof(*data));
		}
		const char *c = p;

		for (size_t j = 0; j < cols; j++) {
			const char *ce = memchr(c, ',', le - c);
			char num[64];
			char *e;

			if (ce == NULL)
				ce = le;
			size_t w = ce - c;
			size_t col = c - p + 1;

			if (w >= sizeof(num)) {
				gf_err_set(err, GF_EXIT_DATAERR, "csv",
				    "%s:%zu:%zu: column '%s': value too long",
				    name, line, col, names[j]);
				goto fail;
			}
			memcpy(num, c, w);
			num[w] = '\0';
			char *s = num;

			while (*s == ' ' || *s == '\t')
				s++;
			errno = 0;
			double v = strtod(s, &e);

			while (*e == ' ' || *e == '\t')
				e++;
			if (*s == '\0') {
				gf_err_set(err, GF_EXIT_DATAERR, "csv",
				    "%s:%zu:%zu: column '%s': empty cell",
				    name, line, col, names[j]);
				goto fail;
			}
			if (e == s || *e != '\0') {
				gf_err_set(err, GF_EXIT_DATAERR, "csv",
				    "%s:%zu:%zu: column '%s': not a number: "
				    "'%s'", name, line, col, names[j], s);
				goto fail;
			}
			if (!isfinite(v)) {
				gf_err_set(err, GF_EXIT_DATAERR, "csv",
				    "%s:%zu:%zu: column '%s': not a finite "
				    "number: '%s'", name, line, col,
				    names[j], s);
				goto fail;
			}
			data[n * cols + j] = v;
			if (j + 1 < cols) {
				if (ce >= le) {
					gf_err_set(err, GF_EXIT_DATAERR, "csv",
					    "%s:%zu:%zu: %zu cells, the header "
					    "has %zu", name, line,
					    (size_t)(le - p) + 1, j + 1, cols);
					goto fail;
				}
				c = ce + 1;
			} else if (ce < le) {
				gf_err_set(err, GF_EXIT_DATAERR, "csv",
				    "%s:%zu:%zu: more cells than the %zu of "
				    "the header", name, line,
				    (size_t)(ce - p) + 1, cols);
				goto fail;
			}
		}
		n++;
		p = eol < end ? eol + 1 : end;
	}
	if (n == 0) {
		gf_err_set(err, GF_EXIT_DATAERR, "csv", "%s:%zu: no data rows",
		    name, line);
		goto fail;
	}
	out->rows = n;
	out->cols = cols;
	out->names = names;
	out->data = gf_xreallocarray(data, n * cols, sizeof(*data));
	return 0;
fail:
	free_names(names, cols);
	free(data);
	return -1;
}

static char *
read_stdin(size_t *len, struct gf_err *err)
{
	size_t cap = 65536, n = 0;
	char *buf = gf_xmalloc(cap + 1);

	for (;;) {
		size_t got = fread(buf + n, 1, cap - n, stdin);

		n += got;
		if (n == cap) {
			cap *= 2;
			buf = gf_xreallocarray(buf, cap + 1, 1);
			continue;
		}
		if (ferror(stdin)) {
			free(buf);
			gf_err_set(err, GF_EXIT_IOERR, "csv",
			    "<stdin>: read error");
			return NULL;
		}
		if (feof(stdin) || got == 0)
			break;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

int
gf_csv_load(const char *path, struct gf_csv *out, struct gf_err *err)
{
	size_t len = 0;
	int stdin_ = strcmp(path, "-") == 0;
	char *text = stdin_ ? read_stdin(&len, err) :
	    gf_fs_read(path, 0, &len, err);
	struct gf_csv empty = GF_CSV_INIT;
	int r;

	*out = empty;
	if (text == NULL)
		return -1;
	r = gf_csv_parse(text, len, stdin_ ? "<stdin>" : path, out, err);
	free(text);
	return r;
}
