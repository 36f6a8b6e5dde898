/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_tool.h"
#include "gf_doc.h"
#include "gf_log.h"
#include "gf_parse.h"
#include "gf_banned.h"

#ifndef GF_VERSION
#define GF_VERSION "0.0.0"
#endif

void
gf_tool_begin(struct gf_tool *t, const char *name, const char *input,
    unsigned flags)
{
	struct gf_err err = GF_ERR_INIT;

	/* A reader that went away must give EPIPE (exit 74), not a signal. */
	signal(SIGPIPE, SIG_IGN);
	t->name = name;
	t->flags = flags;
	t->started = gf_time_now();
	t->inherited_exit = 0;
	t->state_path = NULL;
	t->doc = gf_doc_read(input, &err);
	if (t->doc == NULL)
		gf_die_err(&err);
	t->inherited_exit = gf_doc_failed_exit(t->doc);
	if (!(flags & GF_TOOL_NO_STATE))
		t->state_path = gf_doc_state_path();
	/* Passed on unchanged: not even "run" is filled in. */
	if (t->inherited_exit != 0 && !(flags & GF_TOOL_RUN_ANYWAY)) {
		int rc = t->inherited_exit;

		gf_info("an earlier step failed (exit %d): passing the "
		    "document on", rc);
		if (gf_doc_write(stdout, t->doc, &err) < 0) {
			gf_error("%s", err.msg);
			rc = GF_EXIT_IOERR;
		}
		json_decref(t->doc);
		free(t->state_path);
		if (gf_close_stdout() != 0)
			rc = GF_EXIT_IOERR;
		exit(rc);
	}
	gf_doc_ensure_run(t->doc);
}

void
gf_tool_adopt(struct gf_tool *t, const char *name, json_t *doc,
    unsigned flags)
{
	signal(SIGPIPE, SIG_IGN);
	t->name = name;
	t->flags = flags;
	t->started = gf_time_now();
	t->doc = doc;
	t->inherited_exit = gf_doc_failed_exit(doc);
	t->state_path = (flags & GF_TOOL_NO_STATE) ? NULL :
	    gf_doc_state_path();
	gf_doc_ensure_run(doc);
}

void
gf_tool_checkpoint(struct gf_tool *t)
{
	struct gf_err err = GF_ERR_INIT;

	if (t->state_path == NULL)
		return;
	if (gf_doc_save(t->doc, t->state_path, &err) < 0)
		gf_warn("%s", err.msg);
}

int
gf_tool_finish(struct gf_tool *t, const struct gf_err *err, json_t *extra)
{
	struct gf_err werr = GF_ERR_INIT;
	int rc = 0;

	if (err != NULL && err->exit != 0) {
		gf_error("%s", err->msg);
		rc = err->exit;
	} else if (t->inherited_exit != 0) {
		rc = t->inherited_exit;
	}
	gf_doc_add_step(t->doc, t->name, t->started, err, extra);
	gf_tool_checkpoint(t);
	if (gf_doc_write(stdout, t->doc, &werr) < 0) {
		gf_error("%s", werr.msg);
		rc = GF_EXIT_IOERR;
	}
	json_decref(t->doc);
	t->doc = NULL;
	free(t->state_path);
	t->state_path = NULL;
	if (gf_close_stdout() != 0)
		rc = GF_EXIT_IOERR;
	return rc;
}

void
gf_tool_fail(struct gf_tool *t, const struct gf_err *err)
{
	exit(gf_tool_finish(t, err, NULL));
}

void
gf_die(int exit_code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gf_error("%s", msg);
	exit(exit_code);
}

void
gf_die_err(const struct gf_err *err)
{
	gf_error("%s", err->msg);
	exit(err->exit != 0 ? err->exit : GF_EXIT_SOFTWARE);
}

void
gf_tool_version(void)
{
	printf("%s (gf) %s\n", gf_progname, GF_VERSION);
	exit(gf_close_stdout() != 0 ? GF_EXIT_IOERR : 0);
}

int
gf_close_stdout(void)
{
	int failed = fflush(stdout) != 0 || ferror(stdout);
	int saved = errno;

	if (fclose(stdout) != 0 && !failed) {
		failed = 1;
		saved = errno;
	}
	if (failed) {
		gf_error("cannot write standard output: %s", strerror(saved));
		return GF_EXIT_IOERR;
	}
	return 0;
}
