/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The shared main loop of every gf tool. This module is the one part of
 * libgf that prints and exits: it is where a tool reports.
 *
 *	struct gf_tool t;
 *	gf_tool_start(&t, &cli, argc, argv, 0);	// options + document
 *	... gf_opt_str(&t.set, "plan"), work on t.doc, fill err ...
 *	return gf_tool_finish(&t, failed ? &err : NULL, NULL);
 *
 * Every failure is reported with the document (gf(7)): a usage error, a
 * bad setting, a missing or unreadable input, a signal. The input is
 * passed on with a failed step, or a new document carrying the failure
 * when the input could not be read, so the next tool of a pipeline sees
 * it and the state file keeps every pending cleanup entry.
 *
 * Signals: while the input is being read, SIGINT, SIGTERM and SIGHUP are
 * held (a second one ends the tool at once) so a pipeline's later tools
 * still pass the document of the one that was interrupted; once it is
 * read, a signal writes the document as it was at the last checkpoint
 * with a failed step (75, "interrupted by SIGINT") to the state file and
 * standard output, and ends the tool. Tools that stop their own work on
 * a signal (GF_TOOL_OWN_SIGNALS) install their handlers after the start.
 */
#ifndef GF_TOOL_H
#define GF_TOOL_H

#include <jansson.h>

#include "gf_compat.h"
#include "gf_err.h"
#include "gf_opt.h"

enum gf_tool_flags {
	/* Clean-up and reporting tools run even after a failed step. */
	GF_TOOL_RUN_ANYWAY = 1 << 0,
	/* Do not save the state file (read-only commands: status). */
	GF_TOOL_NO_STATE = 1 << 1,
	/* The tool reads no run document (gf-powersim). */
	GF_TOOL_NO_DOC = 1 << 2,
	/* The tool handles SIGINT/SIGTERM itself after the start. */
	GF_TOOL_OWN_SIGNALS = 1 << 3,
	/* Read no input: start a new document (gf-provision down reads
	 * the state file itself and hands it over with gf_tool_adopt). */
	GF_TOOL_NO_INPUT = 1 << 4,
};

struct gf_tool {
	const char *name;	/* "gf-snapshot"; borrowed */
	json_t *doc;		/* owned until gf_tool_finish */
	double started;		/* unix seconds, once the input was read */
	unsigned flags;
	int inherited_exit;	/* status of an earlier failed step, or 0 */
	char *state_path;	/* NULL when disabled */
	struct gf_settings set;	/* the resolved settings */
	struct gf_err parse_err;	/* a usage error not reported yet */
	int argc;
	char **argv;
};

/*
 * Parse the command line against cli. --help and --version are answered
 * here (exit 0); a usage error is kept and reported by gf_tool_read(),
 * with the document.
 */
void gf_tool_parse(struct gf_tool *t, const struct gf_cli *cli, int argc,
    char *argv[]);

/*
 * Read the run document (-i FILE or standard input), report a usage error
 * from gf_tool_parse(), pass on a document with a failed step unless
 * GF_TOOL_RUN_ANYWAY, load -c FILE and resolve every setting. Returns
 * only when the tool is to run.
 */
void gf_tool_read(struct gf_tool *t, unsigned flags);

/* gf_tool_parse() then gf_tool_read(). */
void gf_tool_start(struct gf_tool *t, const struct gf_cli *cli, int argc,
    char *argv[], unsigned flags);

/*
 * Replace the document with doc (steals it), for a tool that read the
 * document it works on itself (gf-provision down and the state file).
 */
void gf_tool_adopt(struct gf_tool *t, json_t *doc);


/*
 * Report a usage error found after the options were parsed (two plans,
 * an unknown subcommand): exit 64 with the document.
 */
GF_NORETURN void gf_tool_usage_error(struct gf_tool *t, const char *fmt, ...)
    GF_PRINTF(2, 3);

/*
 * Save the document to the state file now (for example right after
 * recording resources in "cleanup", before waiting for them); a signal
 * from here on reports this document. A failure is a warning: the
 * document still goes to stdout.
 */
void gf_tool_checkpoint(struct gf_tool *t);

/*
 * Append the step (ok when err is NULL or err->exit is 0; extra is merged
 * into it and stolen), print the error when there is one, save the state
 * file, write the document to stdout and close stdout. Frees the document
 * and the settings. Returns the exit status: the tool's own failure
 * first, else the status of an earlier failed step it ran after
 * (GF_TOOL_RUN_ANYWAY), else 0; 74 when stdout could not be written.
 */
int gf_tool_finish(struct gf_tool *t, const struct gf_err *err, json_t *extra);

/* gf_tool_finish() then exit(). */
GF_NORETURN void gf_tool_fail(struct gf_tool *t, const struct gf_err *err);

/*
 * Print "prog: message" and exit, writing no document: for tools that
 * read none (GF_TOOL_NO_DOC).
 */
GF_NORETURN void gf_die(int exit, const char *fmt, ...) GF_PRINTF(2, 3);

/* Print "prog: msg" for err and exit with err->exit, writing nothing. */
GF_NORETURN void gf_die_err(const struct gf_err *err);

/*
 * fflush + ferror + fclose of stdout. 0, or 74 with a message printed
 * (e.g. "gf-x: cannot write standard output: No space left on device").
 */
int gf_close_stdout(void);

#endif
