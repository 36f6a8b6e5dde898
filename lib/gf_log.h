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

#endif
