/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Numeric CSV with a header row: the layout of kepler-model-db's
 * preprocessed_data CSV files (and of any table gf-train is given).
 *
 *	struct gf_csv c;
 *	if (gf_csv_load(path, &c, &err) < 0)
 *		return -1;
 *	int col = gf_csv_column(&c, "platform_power");
 *	double v = c.data[row * c.cols + col];
 *	gf_csv_release(&c);
 *
 * Rules (bad input is exit 65 with "path:line:col: ..." naming the column):
 * - the first line is the header; names are unquoted or "double quoted";
 *   an empty header cell is an error, and so is a duplicate name (the
 *   lookup would be ambiguous); a leading unnamed index column (pandas'
 *   to_csv with index=True writes "" or "Unnamed: 0") is kept as a column
 *   named "" only when it is numeric, so callers ignore it by name;
 * - every other line has exactly as many cells as the header (ragged rows
 *   are errors); blank lines at the end of the file are ignored;
 * - every cell is a finite number (strtod syntax, surrounding blanks
 *   allowed). Empty cells, "nan" and "inf" are errors: a model trained
 *   on them is silently wrong, and the caller is better placed to drop or
 *   fill such rows before writing the file than gf is to guess;
 * - except in text columns: a column whose first data cell is quoted or
 *   is text that does not start like a number (kepler-model-db's DynPower
 *   files end with id = "all containers") is a text column. Its cells are
 *   not checked (quoted cells may hold commas), text[col] is 1 and its
 *   data are NaN, so a caller that uses it as a number fails loudly;
 * - CRLF line ends are accepted; a file without data rows is an error.
 */
#ifndef GF_CSV_H
#define GF_CSV_H

#include <stddef.h>

#include "gf_err.h"

struct gf_csv {
	size_t rows, cols;
	char **names;		/* cols names, owned */
	double *data;		/* row-major rows * cols, owned */
	unsigned char *text;	/* cols flags, 1 = text column; owned */
};

#define GF_CSV_INIT { 0, 0, NULL, NULL, NULL }

/*
 * Load path ("-" is stdin) into out, which is overwritten (not released).
 * On failure out is left empty (GF_CSV_INIT) and err says why: 66 for a
 * missing file, 74 for a read error, 65 for bad content.
 */
int gf_csv_load(const char *path, struct gf_csv *out, struct gf_err *err);

/* Same rules for a buffer already in memory; name is used in messages. */
int gf_csv_parse(const char *text, size_t len, const char *name,
    struct gf_csv *out, struct gf_err *err);

/* Index of the column called name, or -1. */
int gf_csv_column(const struct gf_csv *c, const char *name);

/*
 * Parse the number in [s, e) (surrounding blanks allowed, strtod syntax)
 * into *v. Returns 1 when the whole range is one number, 0 otherwise
 * (*v is then unspecified). Short decimals (at most 19 significant
 * digits, a value that fits 53 bits scaled by at most 10^22) take an
 * exact fast path; everything else goes through strtod, so the result
 * is always the correctly rounded double strtod gives.
 */
int gf_csv_number(const char *s, const char *e, double *v);

/*
 * Write v to buf (at least GF_CSV_NUMBER_MAX bytes) so that
 * gf_csv_number reads back exactly v; returns the length. Values that
 * are a short decimal (an integer below 2^53 over a power of ten up to
 * 10^17) are written in that shortest fixed form; others as "%.17g".
 */
#define GF_CSV_NUMBER_MAX 40
size_t gf_csv_format(double v, char *buf);

/*
 * Write v to buf (at least GF_CSV_NUMBER_MAX bytes) as printf's "%.17g"
 * does, the same text, without printf's big-number arithmetic where
 * 128-bit integers hold the exact conversion (1e-6 <= |v| < 1e38 or so);
 * returns the length.
 */
size_t gf_format_17g(double v, char *buf);

/* Frees everything; c is GF_CSV_INIT again. Safe on GF_CSV_INIT. */
void gf_csv_release(struct gf_csv *c);

#endif
