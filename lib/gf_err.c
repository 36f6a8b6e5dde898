/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gf_err.h"
#include "gf_banned.h"

int
gf_err_vset(struct gf_err *err, int exit, const char *origin,
    const char *fmt, va_list ap)
{
	if (err == NULL)
		return -1;
	err->exit = exit;
	snprintf(err->origin, sizeof(err->origin), "%s",
	    origin != NULL ? origin : "gf");
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	/* Messages are one line: a peer's multi-line body must not split it. */
	for (char *p = err->msg; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return -1;
}

int
gf_err_set(struct gf_err *err, int exit, const char *origin,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gf_err_vset(err, exit, origin, fmt, ap);
	va_end(ap);
	return -1;
}

void
gf_err_warn(gf_warn_fn *fn, void *arg, const char *fmt, ...)
{
	struct gf_err w;
	va_list ap;

	if (fn == NULL)
		return;
	va_start(ap, fmt);
	gf_err_vset(&w, 0, NULL, fmt, ap);
	va_end(ap);
	fn(w.msg, arg);
}

int
gf_err_prefix(struct gf_err *err, const char *fmt, ...)
{
	char *prefix, *joined;
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(&prefix, fmt, ap) < 0)
		prefix = NULL;
	va_end(ap);
	if (prefix == NULL || asprintf(&joined, "%s: %s", prefix, err->msg) < 0)
		joined = NULL;
	if (joined != NULL)
		snprintf(err->msg, sizeof(err->msg), "%s", joined);
	free(joined);
	free(prefix);
	if (err->exit == 0)
		err->exit = GF_EXIT_SOFTWARE;
	return -1;
}

void
gf_err_clear(struct gf_err *err)
{
	if (err == NULL)
		return;
	err->exit = 0;
	err->origin[0] = '\0';
	err->msg[0] = '\0';
}

const char *
gf_exit_name(int exit)
{
	switch (exit) {
	case GF_EXIT_OK: return "ok";
	case GF_EXIT_CHECK: return "check failed";
	case GF_EXIT_USAGE: return "usage";
	case GF_EXIT_DATAERR: return "bad input data";
	case GF_EXIT_NOINPUT: return "input missing";
	case GF_EXIT_UNAVAILABLE: return "service unavailable";
	case GF_EXIT_SOFTWARE: return "internal error";
	case GF_EXIT_OSERR: return "OS error";
	case GF_EXIT_CANTCREAT: return "cannot create output";
	case GF_EXIT_IOERR: return "I/O error";
	case GF_EXIT_TEMPFAIL: return "temporary failure";
	case GF_EXIT_NOPERM: return "permission denied";
	case GF_EXIT_CONFIG: return "configuration error";
	}
	return "unknown";
}

void
gf_bug(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: BUG: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
