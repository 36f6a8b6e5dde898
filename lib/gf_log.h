/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Diagnostics on stderr, never stdout (stdout carries the run document).
 *
 * Every message starts with the program name. Under GITHUB_ACTIONS=true,
 * errors and warnings become ::error:: / ::warning:: workflow commands and
 * groups become ::group::, so they show up as annotations; elsewhere the
 * output is plain text.
 *
 * Secrets: gf_log_mask() registers a value (and, under Actions, prints
 * ::add-mask:: for it first). Every message printed through this module
 * has registered values replaced by "***", and gf_log_redact() does the
 * same for text headed elsewhere (reports, documents).
 */
#ifndef GF_LOG_H
#define GF_LOG_H

#include <stddef.h>

#include "gf_compat.h"

enum gf_log_level {
	GF_LOG_QUIET = 0,	/* errors only */
	GF_LOG_NORMAL = 1,	/* + warnings, notes, progress */
	GF_LOG_DEBUG = 2,	/* + debug */
};

/* Program name for messages, from argv[0]'s basename. Borrowed. */
extern const char *gf_progname;
void gf_setprogname(const char *argv0);

/* Default GF_LOG_NORMAL; GF_LOG_LEVEL=quiet|normal|debug sets it too. */
void gf_log_set_level(enum gf_log_level level);
enum gf_log_level gf_log_get_level(void);

void gf_error(const char *fmt, ...) GF_PRINTF(1, 2);
void gf_warn(const char *fmt, ...) GF_PRINTF(1, 2);
/* A gf_warn_fn (gf_err.h) printing each warning as gf_warn does. */
void gf_log_warn_cb(const char *msg, void *arg);
void gf_info(const char *fmt, ...) GF_PRINTF(1, 2);
/* The same as a callback for libraries' notes (arg unused). */
void gf_log_info_cb(const char *msg, void *arg);
void gf_debug(const char *fmt, ...) GF_PRINTF(1, 2);

/* A collapsible group of log lines (plain "== title" outside Actions). */
void gf_log_group(const char *fmt, ...) GF_PRINTF(1, 2);
void gf_log_endgroup(void);
/*
 * The same as a callback for libraries' groups: a title opens one, NULL
 * closes it (arg unused).
 */
void gf_log_group_cb(const char *title, void *arg);

/*
 * Register a secret. Values shorter than 4 bytes are ignored (masking "a"
 * would garble every message). The value is copied; the copy is wiped at
 * exit.
 */
void gf_log_mask(const char *secret);

/* Returns a new string with every registered secret replaced by "***". */
char *gf_log_redact(const char *text);

/* Non-zero when the text contains a registered secret. */
int gf_log_has_secret(const char *text, unsigned long len);

/* Non-zero under GITHUB_ACTIONS=true. */
int gf_log_in_actions(void);

/*
 * A stream: a command's output shown on stderr as it arrives, line by
 * line, each line "[NAME] LINE" with registered secrets masked
 * (gf_log_redact). A partial line is held until its newline or
 * gf_log_stream_finish(); a line longer than 64 KiB is cut there (a
 * secret across that cut is not masked). Under GITHUB_ACTIONS=true the
 * output goes inside "::group::TITLE" ... "::endgroup::", opened with
 * the first line (no output, no group).
 *
 * Streams of several threads share stderr: each line is written whole,
 * with one write(2) under a lock, and when another stream's line comes
 * while a group is open, that group is closed and the other one opened
 * (a group reopens with its next line), so that the Actions log never
 * mixes two hosts' lines in one group. A stream is used by one thread.
 */
struct gf_log_stream;

/*
 * name and title (may be NULL: no group) are copied; fd is where the
 * lines go (2 for stderr). Returns a new stream, freed by
 * gf_log_stream_free().
 */
struct gf_log_stream *gf_log_stream_new(const char *name, const char *title,
    int fd);

/* The next bytes of the output (any split, NUL bytes shown as '?'). */
void gf_log_stream_feed(struct gf_log_stream *s, const void *data,
    size_t len);

/* Show what is left of a partial line and close the group, if open. */
void gf_log_stream_finish(struct gf_log_stream *s);

/* Finishes (as gf_log_stream_finish) and frees s. NULL is allowed. */
void gf_log_stream_free(struct gf_log_stream *s);

#endif
