/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A tool's settings, declared once in a table and resolved the way gf(7)
 * fixes: the command line, then the GF_* environment, then the run
 * document, then the configuration file (-c FILE), then the default.
 *
 *	static const struct gf_opt opts[] = {
 *		GF_OPT_INPUT, GF_OPT_CONFIG, GF_OPT_HELP, GF_OPT_VERSION,
 *		{ .name = "prometheus", .letter = 'p',
 *		  .kind = GF_OPT_STRING, .arg = "URL", .help = "Prometheus",
 *		  .env = "GF_PROMETHEUS_URL", .doc = "stack.prometheus.url" },
 *		{ .name = "threads", .letter = 'j', .kind = GF_OPT_INT,
 *		  .arg = "N", .help = "worker threads", .min = 0,
 *		  .max = 1024, .def = "0" },
 *	};
 *	static const struct gf_cli cli = { .name = "gf-x",
 *	    .synopsis = "[-hV] [-i file]", .opts = opts,
 *	    .nopts = GF_ARRAY_LEN(opts) };
 *
 *	gf_opt_parse(&set, &cli, argc, argv, &err);	// the command line
 *	gf_opt_load_config(&set, &err);			// -c FILE, if given
 *	gf_opt_resolve(&set, doc, &err);		// everything else
 *	url = gf_opt_str(&set, "prometheus");
 *
 * The tools share one meaning per short letter (gf(7) lists them), which
 * t-contract checks across every tool's --help.
 *
 * Errors name where the bad value came from and use the exit status of
 * that source: the command line 64, the environment and the configuration
 * file 78, the run document 65.
 */
#ifndef GF_OPT_H
#define GF_OPT_H

#include <stddef.h>

#include <jansson.h>

#include "gf_err.h"

enum gf_opt_kind {
	GF_OPT_STRING,
	GF_OPT_FLAG,		/* no argument; env/config: 1/0, true/false */
	GF_OPT_INT,		/* a whole number in [min, max] */
	GF_OPT_NUMBER,		/* a finite number in [min, max] */
	GF_OPT_DURATION,	/* "90s", "15m": seconds, in [min, max] */
	GF_OPT_TIME,		/* unix seconds or RFC 3339 */
	GF_OPT_SIZE,		/* "50MB": bytes */
	GF_OPT_LIST,		/* repeatable; a sequence in the config file */
	GF_OPT_ACTION,		/* command line only, no value: --help */
};

enum gf_opt_flags {
	GF_OPT_CLI = 1 << 0,	/* command line only: no config key */
	GF_OPT_HIDDEN = 1 << 1,	/* not listed in --help */
};

struct gf_opt {
	const char *name;	/* the long option and the setting's name */
	char letter;		/* short option, or 0 */
	enum gf_opt_kind kind;
	const char *arg;	/* what --help calls the value ("FILE") */
	const char *help;	/* one line */
	const char *env;	/* GF_* variable, or NULL */
	const char *doc;	/* dotted path in the run document, or NULL */
	/*
	 * Key in the configuration file: NULL means the name with '-'
	 * written '_' ("time-scale" -> time_scale), unless GF_OPT_CLI. A
	 * dotted key is a path through nested mappings ("prometheus.url").
	 */
	const char *key;
	const char *def;	/* default, written as on the command line */
	double min, max;	/* bounds of numbers; both 0: none */
	const char *const *choices;	/* NULL-terminated, or NULL */
	unsigned flags;
};

/* The options every tool that reads a run document has. */
#define GF_OPT_INPUT { .name = "input", .letter = 'i', \
	.kind = GF_OPT_STRING, .arg = "FILE", \
	.help = "run document (default: standard input)", .flags = GF_OPT_CLI }
#define GF_OPT_CONFIG { .name = "config", .letter = 'c', \
	.kind = GF_OPT_STRING, .arg = "FILE", .help = "YAML settings", \
	.flags = GF_OPT_CLI }
#define GF_OPT_HELP { .name = "help", .letter = 'h', \
	.kind = GF_OPT_ACTION, .help = "this text", .flags = GF_OPT_CLI }
#define GF_OPT_VERSION { .name = "version", .letter = 'V', \
	.kind = GF_OPT_ACTION, .help = "print the version", .flags = GF_OPT_CLI }

struct gf_cli {
	const char *name;	/* "gf-stress" */
	const char *synopsis;	/* after the name: "[options]" */
	const struct gf_opt *opts;
	size_t nopts;
	size_t max_operands;	/* arguments after the options */
	const char *footer;	/* last lines of --help, or NULL */
};

/* One resolved setting. */
struct gf_optval {
	const char *text;	/* borrowed from argv, environ, doc or config */
	char *source;		/* "--plan", "GF_X", "document field 'a.b'" */
	double num;		/* INT, NUMBER, DURATION, TIME, SIZE; FLAG 0/1 */
	const char **list;	/* LIST: every value, in order */
	size_t nlist;
	char *owned;		/* a document's number, written out */
	int given;		/* set by anything but the default */
	int on_cli;		/* set on the command line */
};

struct gf_settings {
	const struct gf_cli *cli;	/* borrowed */
	struct gf_optval *val;		/* one per option */
	char **operands;		/* borrowed from argv */
	size_t noperands;
	json_t *config;			/* the -c file's mapping, or NULL */
	const char *config_path;
	int help, version;		/* --help / --version were given */
};

/*
 * Parse argv. On failure (64) the message names the option ("unknown
 * option '--bogus'", "--repeats: 'x' is not a whole number", "unexpected
 * argument 'foo'"); what was parsed before it (for example -i) stays in
 * s, so that the caller can still read the run document. Command-line
 * values are checked here. Always release s with gf_opt_free().
 */
int gf_opt_parse(struct gf_settings *s, const struct gf_cli *cli, int argc,
    char *argv[], struct gf_err *err);

/*
 * Load the file given with --config (nothing when none was): a YAML
 * mapping, 66 when missing, 65 when it is not YAML or not a mapping
 * (with file:line:col).
 */
int gf_opt_load_config(struct gf_settings *s, struct gf_err *err);

/*
 * Resolve every setting not given on the command line from the
 * environment, doc (may be NULL), the configuration file and the
 * default, and check each value.
 */
int gf_opt_resolve(struct gf_settings *s, const json_t *doc,
    struct gf_err *err);

void gf_opt_free(struct gf_settings *s);

/*
 * Accessors by the option's name; a name not in the table is a bug
 * (abort). Borrowed values, valid until gf_opt_free().
 */
const char *gf_opt_str(const struct gf_settings *s, const char *name);
double gf_opt_num(const struct gf_settings *s, const char *name);
int gf_opt_flag(const struct gf_settings *s, const char *name);
/* The number when it was given (not a default), else absent (e.g. NAN). */
double gf_opt_num_or(const struct gf_settings *s, const char *name,
    double absent);
const char *const *gf_opt_list(const struct gf_settings *s, const char *name,
    size_t *n);
/* 1 when set by anything but the default. */
int gf_opt_given(const struct gf_settings *s, const char *name);
/* Where the value came from ("--plan", "GF_X", ...), or NULL. */
const char *gf_opt_source(const struct gf_settings *s, const char *name);

/*
 * A usage message: "usage: gf-x [options]" and, with full, every option
 * with its help, then the footer. A new string.
 */
char *gf_opt_usage(const struct gf_cli *cli, int full);

/*
 * The run document's input path from argv (-i FILE, --input=FILE, ...)
 * without parsing the rest: for reporting a usage error with the document
 * when parsing failed before -i was seen. Borrowed from argv, or NULL.
 */
const char *gf_opt_scan_input(int argc, char *const argv[]);

/*
 * Check name against a list of valid names: 0, or -1 with err (exit)
 * "what: unknown 'name' (valid: a, b, c)".
 */
int gf_opt_choose(const char *what, const char *name,
    const char *const *valid, int exit, struct gf_err *err);

#endif
