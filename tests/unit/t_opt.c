/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of gf_opt: the settings table and its order of sources. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_err.h"
#include "gf_opt.h"
#include "gf_xalloc.h"
#include "tap.h"

static const char *const colours[] = { "red", "green", NULL };

static const struct gf_opt opts[] = {
	GF_OPT_INPUT, GF_OPT_CONFIG, GF_OPT_HELP, GF_OPT_VERSION,
	{ .name = "prometheus", .letter = 'p', .kind = GF_OPT_STRING,
	  .arg = "URL", .help = "Prometheus", .env = "T_OPT_PROM",
	  .doc = "stack.prometheus.url", .def = "http://default" },
	{ .name = "threads", .letter = 'j', .kind = GF_OPT_INT, .arg = "N",
	  .help = "threads", .min = 1, .max = 8, .def = "2",
	  .env = "T_OPT_THREADS" },
	{ .name = "time-scale", .kind = GF_OPT_NUMBER, .arg = "X",
	  .help = "scale", .min = 0.001, .max = 10 },
	{ .name = "timeout", .kind = GF_OPT_DURATION, .arg = "D",
	  .help = "timeout", .def = "1m", .doc = "x.timeout" },
	{ .name = "dry-run", .letter = 'n', .kind = GF_OPT_FLAG,
	  .help = "dry run", .env = "T_OPT_DRY" },
	{ .name = "add", .letter = 'a', .kind = GF_OPT_LIST, .arg = "F",
	  .help = "files" },
	{ .name = "colour", .kind = GF_OPT_STRING, .arg = "C",
	  .help = "a colour", .choices = colours, .key = "paint" },
	{ .name = "secret-path", .kind = GF_OPT_STRING, .arg = "P",
	  .help = "not in config", .flags = GF_OPT_CLI },
	{ .name = "nested", .kind = GF_OPT_INT, .arg = "N",
	  .help = "nested key", .key = "x.y" },
};

static const struct gf_cli cli = {
	.name = "t-opt", .synopsis = "[-hnV] [-p url] [file]",
	.opts = opts, .nopts = GF_ARRAY_LEN(opts), .max_operands = 1,
	.footer = "See t-opt(1).",
};

/* Parse a NULL-terminated argument list (argv[0] is added). */
static int
parse(struct gf_settings *s, struct gf_err *err, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	argv[argc++] = (char *)"t-opt";
	va_start(ap, err);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	gf_err_clear(err);
	return gf_opt_parse(s, &cli, argc, argv, err);
}

static char *
write_config(const char *text)
{
	char path[] = "/tmp/t_opt.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
	return gf_xstrdup(path);
}

static void
test_precedence(void)
{
	struct gf_settings s;
	struct gf_err err = GF_ERR_INIT;
	json_t *doc = json_pack("{s:{s:{s:s}}, s:{s:i}}", "stack",
	    "prometheus", "url", "http://doc", "x", "timeout", 90);
	char *cfg = write_config("prometheus: http://config\nthreads: 4\n"
	    "time_scale: 0.5\npaint: green\nadd: [a.txt, b.txt]\n"
	    "secret_path: /nope\n");

	ok(parse(&s, &err, "-c", cfg, NULL) == 0, "-c parses");
	ok(gf_opt_load_config(&s, &err) == 0, "the config loads");
	ok(gf_opt_resolve(&s, doc, &err) == 0, "resolved: %s", err.msg);
	is_str(gf_opt_str(&s, "prometheus"), "http://doc",
	    "the document wins over the config file");
	is_int(gf_opt_num(&s, "threads"), 4, "the config wins over the default");
	is_near(gf_opt_num(&s, "time-scale"), 0.5, 0, "a config number");
	is_near(gf_opt_num(&s, "timeout"), 90, 0,
	    "a number in the document is read as a duration");
	is_str(gf_opt_source(&s, "timeout"), "document field 'x.timeout'",
	    "... and says where it came from");
	is_str(gf_opt_str(&s, "colour"), "green", "an explicit config key");
	ok(gf_opt_str(&s, "secret-path") == NULL,
	    "a command-line-only option is not read from the config");
	{
		size_t n;
		const char *const *l = gf_opt_list(&s, "add", &n);

		ok(n == 2 && strcmp(l[0], "a.txt") == 0 &&
		    strcmp(l[1], "b.txt") == 0, "a list from a YAML sequence");
	}
	gf_opt_free(&s);

	setenv("T_OPT_PROM", "http://env", 1);
	setenv("T_OPT_THREADS", "3", 1);
	ok(parse(&s, &err, "-c", cfg, NULL) == 0 &&
	    gf_opt_load_config(&s, &err) == 0 &&
	    gf_opt_resolve(&s, doc, &err) == 0, "resolved with env");
	is_str(gf_opt_str(&s, "prometheus"), "http://env",
	    "the environment wins over the document");
	is_int(gf_opt_num(&s, "threads"), 3,
	    "the environment wins over the config file");
	gf_opt_free(&s);

	ok(parse(&s, &err, "--prometheus=http://cli", "-j", "5", "-a", "x",
	    "-c", cfg, NULL) == 0 && gf_opt_load_config(&s, &err) == 0 &&
	    gf_opt_resolve(&s, doc, &err) == 0, "resolved with options");
	is_str(gf_opt_str(&s, "prometheus"), "http://cli",
	    "the command line wins over everything");
	is_int(gf_opt_num(&s, "threads"), 5, "-j 5");
	ok(gf_opt_given(&s, "threads") && gf_opt_given(&s, "prometheus"),
	    "given");
	{
		size_t n;

		gf_opt_list(&s, "add", &n);
		is_int(n, 1, "a list on the command line replaces the config's");
	}
	gf_opt_free(&s);
	unsetenv("T_OPT_PROM");
	unsetenv("T_OPT_THREADS");

	ok(parse(&s, &err, NULL) == 0 && gf_opt_resolve(&s, NULL, &err) == 0,
	    "resolved from defaults");
	is_str(gf_opt_str(&s, "prometheus"), "http://default", "the default");
	ok(!gf_opt_given(&s, "prometheus") && gf_opt_source(&s,
	    "prometheus") == NULL, "a default is not 'given'");
	is_near(gf_opt_num(&s, "timeout"), 60, 0, "a duration default");
	ok(!gf_opt_flag(&s, "dry-run"), "a flag is off by default");
	gf_opt_free(&s);

	setenv("T_OPT_DRY", "yes", 1);
	ok(parse(&s, &err, NULL) == 0 && gf_opt_resolve(&s, NULL, &err) == 0 &&
	    gf_opt_flag(&s, "dry-run"), "a flag from the environment");
	gf_opt_free(&s);
	unsetenv("T_OPT_DRY");
	json_decref(doc);
	unlink(cfg);
	free(cfg);
}

static void
test_errors(void)
{
	struct gf_settings s;
	struct gf_err err = GF_ERR_INIT;
	json_t *doc;
	char *cfg;

	ok(parse(&s, &err, "--bogus", NULL) < 0 && err.exit == 64 &&
	    strcmp(err.msg, "unknown option '--bogus' (see --help)") == 0,
	    "an unknown long option: %s", err.msg);
	gf_opt_free(&s);
	ok(parse(&s, &err, "-z", NULL) < 0 && err.exit == 64 &&
	    strstr(err.msg, "'-z'") != NULL, "an unknown short option");
	gf_opt_free(&s);
	ok(parse(&s, &err, "-j", NULL) < 0 && err.exit == 64 &&
	    strstr(err.msg, "-j: a value is missing") != NULL,
	    "a missing value: %s", err.msg);
	gf_opt_free(&s);
	ok(parse(&s, &err, "-j", "9", NULL) < 0 && err.exit == 64 &&
	    strstr(err.msg, "--threads") != NULL,
	    "a value out of range names the option: %s", err.msg);
	gf_opt_free(&s);
	ok(parse(&s, &err, "--colour", "blue", NULL) < 0 && err.exit == 64 &&
	    strcmp(err.msg, "--colour: unknown 'blue' (valid: red, green)")
	    == 0, "an unknown choice lists the valid ones: %s", err.msg);
	gf_opt_free(&s);
	ok(parse(&s, &err, "one", "two", NULL) < 0 && err.exit == 64 &&
	    strcmp(err.msg, "unexpected argument 'two'") == 0,
	    "a stray argument is named: %s", err.msg);
	gf_opt_free(&s);
	ok(parse(&s, &err, "-i", "in.json", "--bogus", NULL) < 0 &&
	    strcmp(s.val[0].text, "in.json") == 0,
	    "what was parsed before an error is kept (-i)");
	gf_opt_free(&s);

	setenv("T_OPT_THREADS", "many", 1);
	ok(parse(&s, &err, NULL) == 0 && gf_opt_resolve(&s, NULL, &err) < 0 &&
	    err.exit == 78 && strstr(err.msg, "T_OPT_THREADS") != NULL,
	    "a bad environment value is 78, named: %s", err.msg);
	gf_opt_free(&s);
	unsetenv("T_OPT_THREADS");

	doc = json_pack("{s:{s:s}}", "x", "timeout", "soon");
	ok(parse(&s, &err, NULL) == 0 && gf_opt_resolve(&s, doc, &err) < 0 &&
	    err.exit == 65 && strstr(err.msg, "x.timeout") != NULL,
	    "a bad document value is 65, named: %s", err.msg);
	gf_opt_free(&s);
	json_decref(doc);

	cfg = write_config("threads: 99\n");
	ok(parse(&s, &err, "-c", cfg, NULL) == 0 &&
	    gf_opt_load_config(&s, &err) == 0 &&
	    gf_opt_resolve(&s, NULL, &err) < 0 && err.exit == 78 &&
	    strstr(err.msg, "field 'threads'") != NULL,
	    "a bad config value is 78 with file and key: %s", err.msg);
	gf_opt_free(&s);
	unlink(cfg);
	free(cfg);

	cfg = write_config("- a\n- b\n");
	ok(parse(&s, &err, "-c", cfg, NULL) == 0 &&
	    gf_opt_load_config(&s, &err) < 0 && err.exit == 65 &&
	    strstr(err.msg, "expected a mapping") != NULL,
	    "a config file that is not a mapping is 65: %s", err.msg);
	gf_opt_free(&s);
	unlink(cfg);
	free(cfg);

	cfg = write_config("threads: [1\n");
	ok(parse(&s, &err, "-c", cfg, NULL) == 0 &&
	    gf_opt_load_config(&s, &err) < 0 && err.exit == 65 &&
	    strstr(err.msg, cfg) != NULL, "bad YAML is 65 with the file: %s",
	    err.msg);
	gf_opt_free(&s);
	unlink(cfg);
	free(cfg);

	cfg = write_config("x:\n  y: 5\n  z: {w: 1}\n");
	ok(parse(&s, &err, "-c", cfg, NULL) == 0 &&
	    gf_opt_load_config(&s, &err) == 0 &&
	    gf_opt_resolve(&s, NULL, &err) == 0, "a nested config resolves");
	is_int(gf_opt_num(&s, "nested"), 5,
	    "a dotted key reads a nested number");
	ok(strstr(gf_opt_source(&s, "nested"), "field 'x.y'") != NULL,
	    "... named by its path");
	gf_opt_free(&s);
	unlink(cfg);
	free(cfg);
	cfg = write_config("x:\n  y: {w: 1}\n");
	ok(parse(&s, &err, "-c", cfg, NULL) == 0 &&
	    gf_opt_load_config(&s, &err) == 0 &&
	    gf_opt_resolve(&s, NULL, &err) < 0 && err.exit == 78 &&
	    strstr(err.msg, "field 'x.y'") != NULL,
	    "a mapping at a dotted key is 78: %s", err.msg);
	gf_opt_free(&s);
	unlink(cfg);
	free(cfg);

	ok(parse(&s, &err, "-c", "/nonexistent/c.yaml", NULL) == 0 &&
	    gf_opt_load_config(&s, &err) < 0 && err.exit == 66,
	    "a missing config file is 66");
	gf_opt_free(&s);
}

static void
test_usage(void)
{
	char *u = gf_opt_usage(&cli, 1), *line = gf_opt_usage(&cli, 0);
	char *const argv[] = { (char *)"x", (char *)"-n", (char *)"--input=a",
		(char *)"-ib", NULL };

	is_str(line, "usage: t-opt [-hnV] [-p url] [file]\n", "the usage line");
	ok(strstr(u, "  -p, --prometheus URL ") != NULL &&
	    strstr(u, "      --time-scale X ") != NULL &&
	    strstr(u, "(http://default) [T_OPT_PROM]") != NULL &&
	    strstr(u, "See t-opt(1).\n") != NULL, "--help lists every option");
	is_str(gf_opt_scan_input(4, argv), "a", "--input=FILE is found");
	is_str(gf_opt_scan_input(2, (char *const[]){ (char *)"x",
	    (char *)"-ib" }), "b", "-iFILE is found");
	free(u);
	free(line);
}

int
main(void)
{
	test_precedence();
	test_errors();
	test_usage();
	printf("1..%d\n", tap_run);
	return tap_failed != 0;
}
