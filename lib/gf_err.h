/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Errors and exit codes.
 *
 * Library functions never print or exit: they return -1 (or NULL) and fill
 * a caller-provided struct gf_err. Tools report the error and exit with
 * err.exit. The exit codes are sysexits-compatible and never reused; gf(7)
 * lists them.
 */
#ifndef GF_ERR_H
#define GF_ERR_H

#include <stdarg.h>

#include "gf_compat.h"

enum gf_exit {
	GF_EXIT_OK = 0,
	GF_EXIT_CHECK = 1,	/* a check ran and failed (threshold, gate) */
	GF_EXIT_USAGE = 64,
	GF_EXIT_DATAERR = 65,	/* bad input data */
	GF_EXIT_NOINPUT = 66,	/* input file missing */
	GF_EXIT_UNAVAILABLE = 69, /* remote service unavailable */
	GF_EXIT_SOFTWARE = 70,	/* internal error */
	GF_EXIT_OSERR = 71,
	GF_EXIT_CANTCREAT = 73,
	GF_EXIT_IOERR = 74,
	GF_EXIT_TEMPFAIL = 75,	/* a retry may succeed */
	GF_EXIT_NOPERM = 77,	/* credentials refused, expired or missing */
	GF_EXIT_CONFIG = 78,
};

struct gf_err {
	int exit;		/* one of enum gf_exit; 0 while unset */
	char origin[32];	/* module or peer that failed: "http", "yaml" */
	char msg[1024];		/* one line, no program name, no final stop */
};

#define GF_ERR_INIT { 0, "", "" }

/*
 * Fill err (when not NULL) and return -1, so that callers can write
 * "return gf_err_set(err, GF_EXIT_DATAERR, "yaml", "...")". A NULL origin
 * means "gf".
 */
int gf_err_set(struct gf_err *err, int exit, const char *origin,
    const char *fmt, ...) GF_PRINTF(4, 5);
int gf_err_vset(struct gf_err *err, int exit, const char *origin,
    const char *fmt, va_list ap) GF_PRINTF(4, 0);

/*
 * Put "what: " in front of an existing message, keeping exit and origin:
 * a caller adds the context the callee did not know. Returns -1.
 */
int gf_err_prefix(struct gf_err *err, const char *fmt, ...) GF_PRINTF(2, 3);

/*
 * Warnings a library function hands its caller instead of printing them:
 * fn gets each as one line (borrowed for the call) with arg.
 */
typedef void gf_warn_fn(const char *msg, void *arg);

/*
 * Format a warning as gf_err_set does a message (one line, at most the
 * size of err.msg) and pass it to fn; nothing when fn is NULL.
 */
void gf_err_warn(gf_warn_fn *fn, void *arg, const char *fmt, ...)
    GF_PRINTF(3, 4);

/* Reset to GF_ERR_INIT. */
void gf_err_clear(struct gf_err *err);

/* "ok", "check failed", "usage", "bad input data"...; never NULL. */
const char *gf_exit_name(int exit);

/*
 * Print "file:line: BUG: msg" and abort(): for programmer errors only,
 * never for bad input.
 */
#define GF_BUG(...) gf_bug(__FILE__, __LINE__, __VA_ARGS__)
GF_NORETURN void gf_bug(const char *file, int line, const char *fmt, ...)
    GF_PRINTF(3, 4);

#endif
