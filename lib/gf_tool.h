/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The shared main loop of every gf tool. This module is the one part of
 * libgf that prints and exits: it is where a tool reports.
 *
 *	struct gf_tool t;
 *	gf_tool_begin(&t, "gf-snapshot", input, 0);   // reads the document
 *	... work on t.doc, fill err on failure ...
 *	return gf_tool_finish(&t, failed ? &err : NULL, NULL);
 *
 * gf_tool_begin() exits by itself on bad input (65, nothing written) and,
 * unless GF_TOOL_RUN_ANYWAY, passes a document with a failed step on
 * unchanged and exits with that step's status.
 */
#ifndef GF_TOOL_H
#define GF_TOOL_H

#include <jansson.h>

#include "gf_compat.h"
#include "gf_err.h"

enum gf_tool_flags {
	/* Clean-up and reporting tools run even after a failed step. */
	GF_TOOL_RUN_ANYWAY = 1 << 0,
	/* Do not save the state file (read-only commands: status, --help). */
	GF_TOOL_NO_STATE = 1 << 1,
};

struct gf_tool {
	const char *name;	/* "gf-snapshot"; borrowed */
	json_t *doc;		/* owned until gf_tool_finish */
	double started;		/* unix seconds */
	unsigned flags;
	int inherited_exit;	/* status of an earlier failed step, or 0 */
	char *state_path;	/* NULL when disabled */
};

void gf_tool_begin(struct gf_tool *t, const char *name, const char *input,
    unsigned flags);

/*
 * Like gf_tool_begin() for a document the tool read itself (for example
 * from the state file): steals doc and never passes it on by itself.
 */
void gf_tool_adopt(struct gf_tool *t, const char *name, json_t *doc,
    unsigned flags);

/*
 * Save the document to the state file now (for example right after
 * recording resources in "cleanup", before waiting for them). A failure
 * is a warning: the document still goes to stdout.
 */
void gf_tool_checkpoint(struct gf_tool *t);

/*
 * Append the step (ok when err is NULL or err->exit is 0; extra is merged
 * into it and stolen), print the error when there is one, save the state
 * file, write the document to stdout and close stdout. Frees the document.
 * Returns the exit status: the tool's own failure first, else the status
 * of an earlier failed step it ran after (GF_TOOL_RUN_ANYWAY), else 0;
 * 74 when stdout could not be written.
 */
int gf_tool_finish(struct gf_tool *t, const struct gf_err *err, json_t *extra);

/* gf_tool_finish() then exit(). */
GF_NORETURN void gf_tool_fail(struct gf_tool *t, const struct gf_err *err);

/*
 * Print "prog: message" and exit, writing no document: for usage errors
 * and failures before a document exists.
 */
GF_NORETURN void gf_die(int exit, const char *fmt, ...) GF_PRINTF(2, 3);

/* Print "prog: msg" for err and exit with err->exit, writing nothing. */
GF_NORETURN void gf_die_err(const struct gf_err *err);

/* "gf-x (gf) 0.1.0" on stdout; exit 0. */
GF_NORETURN void gf_tool_version(void);

/*
 * fflush + ferror + fclose of stdout. 0, or 74 with a message printed
 * (e.g. "gf-x: cannot write standard output: No space left on device").
 */
int gf_close_stdout(void);

#endif
