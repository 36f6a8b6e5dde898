/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_opt.h"
#include "gf_buf.h"
#include "gf_doc.h"
#include "gf_parse.h"
#include "gf_xalloc.h"
#include "gf_yaml.h"
#include "gf_banned.h"

static size_t
opt_index(const struct gf_settings *s, const char *name)
{
	for (size_t i = 0; i < s->cli->nopts; i++)
		if (strcmp(s->cli->opts[i].name, name) == 0)
			return i;
	fprintf(stderr, "BUG: %s has no option '%s'\n", s->cli->name, name);
	abort();
}

/* The config key of o, in buf when derived from the name; NULL: none. */
static const char *
config_key(const struct gf_opt *o, char *buf, size_t len)
{
	if (o->flags & GF_OPT_CLI)
		return NULL;
	if (o->key != NULL)
		return o->key;
	snprintf(buf, len, "%s", o->name);
	for (char *p = buf; *p != '\0'; p++)
		if (*p == '-')
			*p = '_';
	return buf;
}

static int
in_bounds(const struct gf_opt *o, double v)
{
	return (o->min == 0 && o->max == 0) || (v >= o->min && v <= o->max);
}

static void
bounds_text(const struct gf_opt *o, char *buf, size_t len)
{
	if (o->min == 0 && o->max == 0)
		buf[0] = '\0';
	else
		snprintf(buf, len, " from %g to %g", o->min, o->max);
}

/*
 * Check text as a value of o and set v. The message names the source;
 * the exit status is the source's.
 */
static int
check_value(const struct gf_opt *o, struct gf_optval *v, const char *text,
    const char *source, int exit, struct gf_err *err)
{
	struct gf_err perr = GF_ERR_INIT;
	char b[96];
	long long ll;
	uint64_t bytes;
	int rc = 0;

	switch (o->kind) {
	case GF_OPT_INT:
		rc = gf_parse_int(text, o->min == 0 && o->max == 0 ?
		    INT64_MIN : (long long)o->min, o->min == 0 && o->max == 0 ?
		    INT64_MAX : (long long)o->max, source, &ll, &perr);
		v->num = (double)ll;
		break;
	case GF_OPT_NUMBER:
		rc = gf_parse_double(text, source, &v->num, &perr);
		if (rc == 0 && !in_bounds(o, v->num)) {
			bounds_text(o, b, sizeof(b));
			rc = gf_err_set(&perr, exit, "options", "%s: '%s' is not "
			    "a number%s", source, text, b);
		}
		break;
	case GF_OPT_DURATION:
		rc = gf_parse_duration(text, source, &v->num, &perr);
		if (rc == 0 && !in_bounds(o, v->num)) {
			bounds_text(o, b, sizeof(b));
			rc = gf_err_set(&perr, exit, "options", "%s: '%s' is not "
			    "a duration%s seconds", source, text, b);
		}
		break;
	case GF_OPT_TIME:
		rc = gf_parse_time(text, source, &v->num, &perr);
		break;
	case GF_OPT_SIZE:
		rc = gf_parse_size(text, source, &bytes, &perr);
		v->num = (double)bytes;
		break;
	case GF_OPT_FLAG:
		if (strcmp(text, "1") == 0 || strcmp(text, "true") == 0 ||
		    strcmp(text, "yes") == 0 || strcmp(text, "on") == 0)
			v->num = 1;
		else if (strcmp(text, "0") == 0 || strcmp(text, "false") == 0 ||
		    strcmp(text, "no") == 0 || strcmp(text, "off") == 0)
			v->num = 0;
		else
			rc = gf_err_set(&perr, exit, "options", "%s: '%s' is "
			    "not one of 1, 0, true, false, yes, no", source,
			    text);
		break;
	default:
		if (o->choices != NULL)
			rc = gf_opt_choose(source, text, o->choices, exit,
			    &perr);
		break;
	}
	if (rc < 0) {
		gf_err_set(err, exit, "options", "%s", perr.msg);
		return -1;
	}
	v->text = text;
	free(v->source);
	v->source = gf_xstrdup(source);
	v->given = 1;
	return 0;
}

static void
list_add(struct gf_optval *v, const char *text)
{
	v->list = gf_xreallocarray(v->list, v->nlist + 2, sizeof(*v->list));
	v->list[v->nlist++] = text;
	v->list[v->nlist] = NULL;
}

int
gf_opt_parse(struct gf_settings *s, const struct gf_cli *cli, int argc,
    char *argv[], struct gf_err *err)
{
	struct option *longopts;
	struct gf_buf shorts = GF_BUF_INIT;
	int ch, rc = 0;

	memset(s, 0, sizeof(*s));
	s->cli = cli;
	s->val = gf_xcalloc(cli->nopts, sizeof(*s->val));
	longopts = gf_xcalloc(cli->nopts + 1, sizeof(*longopts));
	/* ':' first: a missing argument is told from an unknown option. */
	gf_buf_adds(&shorts, ":");
	for (size_t i = 0; i < cli->nopts; i++) {
		const struct gf_opt *o = &cli->opts[i];
		int has_arg = o->kind == GF_OPT_FLAG || o->kind ==
		    GF_OPT_ACTION ? no_argument : required_argument;

		longopts[i].name = o->name;
		longopts[i].has_arg = has_arg;
		longopts[i].val = 256 + (int)i;
		if (o->letter != 0) {
			gf_buf_addf(&shorts, "%c%s", o->letter,
			    has_arg ? ":" : "");
		}
	}
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, gf_buf_str(&shorts), longopts,
	    NULL)) != -1) {
		const struct gf_opt *o = NULL;
		struct gf_optval *v;
		char what[80];
		size_t i;

		if (ch == '?' || ch == ':') {
			const char *arg = argv[optind - 1];

			if (ch == ':')
				rc = gf_err_set(err, GF_EXIT_USAGE, "options",
				    "%s: a value is missing", arg);
			else if (optopt != 0)
				rc = gf_err_set(err, GF_EXIT_USAGE, "options",
				    "unknown option '-%c' (see --help)",
				    optopt);
			else
				rc = gf_err_set(err, GF_EXIT_USAGE, "options",
				    "unknown option '%s' (see --help)", arg);
			goto out;
		}
		if (ch >= 256) {
			i = (size_t)ch - 256;
		} else {
			for (i = 0; i < cli->nopts; i++)
				if (cli->opts[i].letter == ch)
					break;
		}
		o = &cli->opts[i];
		v = &s->val[i];
		snprintf(what, sizeof(what), "--%s", o->name);
		if (o->kind == GF_OPT_ACTION) {
			if (strcmp(o->name, "help") == 0)
				s->help = 1;
			else if (strcmp(o->name, "version") == 0)
				s->version = 1;
			v->num = 1;
			v->given = v->on_cli = 1;
			continue;
		}
		if (o->kind == GF_OPT_FLAG) {
			v->num = 1;
			v->text = "1";
		} else if (o->kind == GF_OPT_LIST) {
			list_add(v, optarg);
			v->text = optarg;
		} else if (check_value(o, v, optarg, what, GF_EXIT_USAGE,
		    err) < 0) {
			rc = -1;
			goto out;
		}
		free(v->source);
		v->source = gf_xstrdup(what);
		v->given = v->on_cli = 1;
		if (strcmp(o->name, "config") == 0)
			s->config_path = optarg;
	}
	s->operands = argv + optind;
	s->noperands = (size_t)(argc - optind);
	if (s->noperands > cli->max_operands && !s->help && !s->version)
		rc = gf_err_set(err, GF_EXIT_USAGE, "options",
		    "unexpected argument '%s'", argv[optind +
		    (int)cli->max_operands]);
out:
	free(longopts);
	gf_buf_release(&shorts);
	return rc;
}

/*
 * Config scalars as text, so that every source is checked alike; lists
 * and mappings (read by the tool itself) stay as they are.
 */
static void
config_text(json_t *cfg, const char *key, json_t *v)
{
	char num[64];

	if (json_is_integer(v))
		snprintf(num, sizeof(num), "%lld",
		    (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(num, sizeof(num), "%.17g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(num, sizeof(num), "%s", json_is_true(v) ? "true" :
		    "false");
	else
		return;
	json_object_set_new(cfg, key, json_string(num));
}

int
gf_opt_load_config(struct gf_settings *s, struct gf_err *err)
{
	json_t *cfg, *v;
	const char *key;
	void *tmp;

	if (s->config_path == NULL)
		return 0;
	if ((cfg = gf_yaml_load(s->config_path, err)) == NULL)
		return -1;
	if (!json_is_object(cfg)) {
		json_decref(cfg);
		return gf_err_set(err, GF_EXIT_DATAERR, "config",
		    "%s: expected a mapping of settings", s->config_path);
	}
	json_object_foreach_safe(cfg, tmp, key, v)
		config_text(cfg, key, v);
	s->config = cfg;
	return 0;
}

/*
 * A scalar as text: strings as they are, numbers and booleans written
 * out in buf; NULL for anything else.
 */
static const char *
scalar_text(const json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	if (json_is_real(v)) {
		snprintf(buf, len, "%.17g", json_real_value(v));
		return buf;
	}
	if (json_is_boolean(v)) {
		snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
		return buf;
	}
	return NULL;
}

static int
resolve_list(const struct gf_opt *o, struct gf_optval *v, const char *env,
    const json_t *cv, const char *key, const char *path, struct gf_err *err)
{
	size_t i;
	json_t *item;

	if (env != NULL) {
		list_add(v, env);
		v->source = gf_xstrdup(o->env);
	} else if (json_is_array(cv)) {
		json_array_foreach(cv, i, item) {
			if (!json_is_string(item))
				return gf_err_set(err, GF_EXIT_CONFIG,
				    "config", "%s: field '%s[%zu]': expected "
				    "a string", path, key, i);
			list_add(v, json_string_value(item));
		}
		v->source = gf_xasprintf("%s: field '%s'", path, key);
	} else if (json_is_string(cv)) {
		list_add(v, json_string_value(cv));
		v->source = gf_xasprintf("%s: field '%s'", path, key);
	} else {
		return 0;
	}
	v->given = 1;
	return 0;
}

/* text, copied into v when it is the caller's buffer num (a number). */
static const char *
kept(struct gf_optval *v, const char *text, const char *num)
{
	if (text != num)
		return text;
	free(v->owned);
	return v->owned = gf_xstrdup(num);
}

int
gf_opt_resolve(struct gf_settings *s, const json_t *doc, struct gf_err *err)
{
	for (size_t i = 0; i < s->cli->nopts; i++) {
		const struct gf_opt *o = &s->cli->opts[i];
		struct gf_optval *v = &s->val[i];
		const char *env = NULL, *text = NULL, *key;
		char kbuf[64], src[160], num[64];
		json_t *cv = NULL, *dv;

		if (v->on_cli || o->kind == GF_OPT_ACTION)
			continue;
		if (o->env != NULL && (env = getenv(o->env)) != NULL &&
		    *env == '\0')
			env = NULL;
		key = config_key(o, kbuf, sizeof(kbuf));
		if (key != NULL && s->config != NULL)
			cv = gf_doc_path(s->config, key);
		if (o->kind == GF_OPT_LIST) {
			if (resolve_list(o, v, env, cv, key, s->config_path,
			    err) < 0)
				return -1;
			continue;
		}
		if (env != NULL) {
			if (check_value(o, v, env, o->env, GF_EXIT_CONFIG,
			    err) < 0)
				return -1;
			continue;
		}
		dv = o->doc != NULL ? gf_doc_path(doc, o->doc) : NULL;
		/* A document's booleans are not settings. */
		if (dv != NULL && !json_is_boolean(dv) &&
		    (text = scalar_text(dv, num, sizeof(num))) != NULL) {
			snprintf(src, sizeof(src), "document field '%s'",
			    o->doc);
			text = kept(v, text, num);
			if (check_value(o, v, text, src, GF_EXIT_DATAERR,
			    err) < 0)
				return -1;
			continue;
		}
		if (cv != NULL && !json_is_null(cv) && (text = scalar_text(cv,
		    num, sizeof(num))) == NULL)
			return gf_err_set(err, GF_EXIT_CONFIG, "config",
			    "%s: field '%s': expected a single value",
			    s->config_path, key);
		if (cv != NULL && !json_is_null(cv)) {
			snprintf(src, sizeof(src), "%s: field '%s'",
			    s->config_path, key);
			text = kept(v, text, num);
			if (check_value(o, v, text, src, GF_EXIT_CONFIG,
			    err) < 0)
				return -1;
			continue;
		}
		if (o->def != NULL) {
			snprintf(src, sizeof(src), "--%s", o->name);
			if (check_value(o, v, o->def, src, GF_EXIT_SOFTWARE,
			    err) < 0)
				return -1;
			free(v->source);
			v->source = NULL;
			v->given = 0;
		}
	}
	return 0;
}

void
gf_opt_free(struct gf_settings *s)
{
	if (s->val != NULL) {
		for (size_t i = 0; i < s->cli->nopts; i++) {
			free(s->val[i].owned);
			free(s->val[i].list);
			free(s->val[i].source);
		}
	}
	free(s->val);
	json_decref(s->config);
	memset(s, 0, sizeof(*s));
}

const char *
gf_opt_str(const struct gf_settings *s, const char *name)
{
	return s->val[opt_index(s, name)].text;
}

double
gf_opt_num(const struct gf_settings *s, const char *name)
{
	return s->val[opt_index(s, name)].num;
}

double
gf_opt_num_or(const struct gf_settings *s, const char *name, double absent)
{
	const struct gf_optval *v = &s->val[opt_index(s, name)];

	return v->given ? v->num : absent;
}

int
gf_opt_flag(const struct gf_settings *s, const char *name)
{
	return s->val[opt_index(s, name)].num != 0;
}

const char *const *
gf_opt_list(const struct gf_settings *s, const char *name, size_t *n)
{
	const struct gf_optval *v = &s->val[opt_index(s, name)];

	if (n != NULL)
		*n = v->nlist;
	return v->list;
}

int
gf_opt_given(const struct gf_settings *s, const char *name)
{
	return s->val[opt_index(s, name)].given;
}

const char *
gf_opt_source(const struct gf_settings *s, const char *name)
{
	return s->val[opt_index(s, name)].source;
}

char *
gf_opt_usage(const struct gf_cli *cli, int full)
{
	struct gf_buf b = GF_BUF_INIT;

	gf_buf_addf(&b, "usage: %s %s\n", cli->name, cli->synopsis);
	if (!full)
		return gf_buf_detach(&b);
	gf_buf_adds(&b, "\n");
	for (size_t i = 0; i < cli->nopts; i++) {
		const struct gf_opt *o = &cli->opts[i];
		char left[64];

		if (o->flags & GF_OPT_HIDDEN)
			continue;
		if (o->letter != 0)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->letter,
			    o->name, o->arg != NULL ? " " : "",
			    o->arg != NULL ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name,
			    o->arg != NULL ? " " : "", o->arg != NULL ?
			    o->arg : "");
		gf_buf_addf(&b, "  %-30s %s", left, o->help != NULL ?
		    o->help : "");
		if (o->def != NULL && o->kind != GF_OPT_FLAG)
			gf_buf_addf(&b, " (%s)", o->def);
		if (o->env != NULL)
			gf_buf_addf(&b, " [%s]", o->env);
		gf_buf_adds(&b, "\n");
	}
	if (cli->footer != NULL)
		gf_buf_addf(&b, "%s\n", cli->footer);
	return gf_buf_detach(&b);
}

const char *
gf_opt_scan_input(int argc, char *const argv[])
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0)
			break;
		if ((strcmp(a, "-i") == 0 || strcmp(a, "--input") == 0) &&
		    i + 1 < argc)
			return argv[i + 1];
		if (strncmp(a, "--input=", 8) == 0)
			return a + 8;
		if (strncmp(a, "-i", 2) == 0 && a[2] != '\0')
			return a + 2;
	}
	return NULL;
}

int
gf_opt_choose(const char *what, const char *name, const char *const *valid,
    int exit, struct gf_err *err)
{
	struct gf_buf b = GF_BUF_INIT;
	int rc;

	for (size_t i = 0; valid[i] != NULL; i++)
		if (strcmp(valid[i], name) == 0)
			return 0;
	for (size_t i = 0; valid[i] != NULL; i++)
		gf_buf_addf(&b, "%s%s", i > 0 ? ", " : "", valid[i]);
	rc = gf_err_set(err, exit, "options", "%s: unknown '%s' (valid: %s)",
	    what, name, gf_buf_str(&b));
	gf_buf_release(&b);
	return rc;
}
