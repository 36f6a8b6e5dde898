/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf-provision: get the run's hosts (up), show what the run holds
 * (status), give it all back (down), or look for leaks (sweep). Each
 * provider is a module behind gf_provider.h; down also stops the
 * measurement stack recorded in the document's "cleanup".
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_buf.h"
#include "gf_cleanup.h"
#include "gf_doc.h"
#include "gf_fs.h"
#include "gf_host.h"
#include "gf_log.h"
#include "gf_parse.h"
#include "gf_provider.h"
#include "gf_stack.h"
#include "gf_tool.h"
#include "gf_xalloc.h"
#include "gf_yaml.h"
#include "gf_banned.h"

static void GF_NORETURN
usage(int rc)
{
	fprintf(rc == 0 ? stdout : stderr,
	    "usage: %s [-hV] [-c file] [-i file] [-p provider] [-s dir] "
	    "up | status | down | sweep\n", gf_progname);
	if (rc == 0) {
		fputs("  -c, --config FILE     YAML settings (provider: NAME)\n"
		    "  -i, --input FILE      run document (default: stdin, "
		    "then the state file)\n"
		    "  -p, --provider NAME   local (equinix ended 2026-06-30)\n"
		    "  -s, --sysfs DIR       sysfs root for the RAPL check "
		    "(default /sys)\n"
		    "  -h, --help            this text\n"
		    "  -V, --version         print the version\n", stdout);
		exit(gf_close_stdout());
	}
	exit(rc);
}

/*
 * down and status read the document from -i, else from stdin when it
 * carries one, else from the state file: a broken pipeline still leaves
 * the state file to give everything back from.
 */
static json_t *
load_doc(const char *input, char **from, struct gf_err *err)
{
	struct gf_buf b = GF_BUF_INIT;
	char *state;
	json_t *doc;

	*from = NULL;
	if (input != NULL) {
		*from = gf_xstrdup(input);
		return gf_doc_read(input, err);
	}
	if (!isatty(STDIN_FILENO)) {
		char chunk[65536];
		ssize_t n;

		while ((n = read(STDIN_FILENO, chunk, sizeof(chunk))) != 0) {
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				break;
			gf_buf_add(&b, chunk, (size_t)n);
		}
		if (strspn(gf_buf_str(&b), " \t\r\n") != b.len) {
			doc = gf_doc_parse(b.data, b.len, "<stdin>", err);
			gf_buf_release(&b);
			*from = gf_xstrdup("<stdin>");
			return doc;
		}
		gf_buf_release(&b);
	}
	state = gf_doc_state_path();
	if (state == NULL || !gf_fs_exists(state)) {
		gf_err_set(err, GF_EXIT_NOINPUT, "provision",
		    "no document on standard input and no state file%s%s%s",
		    state ? " at '" : "", state ? state : "", state ? "'" : "");
		free(state);
		return NULL;
	}
	doc = gf_doc_read(state, err);
	*from = state;
	return doc;
}

static const char *
pick_provider(const char *opt, const json_t *doc, const json_t *cfg)
{
	const char *p = opt;

	if (p == NULL && (p = getenv("GF_PROVIDER")) != NULL && *p == '\0')
		p = NULL;
	if (p == NULL)
		p = json_string_value(json_object_get(json_object_get(doc,
		    "provision"), "provider"));
	if (p == NULL)
		p = json_string_value(json_object_get(cfg, "provider"));
	return p != NULL ? p : "local";
}

static int
cmd_status(json_t *doc, const char *from)
{
	struct gf_err err = GF_ERR_INIT;
	const struct gf_provider *p;
	json_t *hosts = json_object_get(doc, "hosts"), *h, *c, *report = NULL;
	size_t i;

	p = gf_provider_find(pick_provider(NULL, doc, NULL), &err);
	if (p != NULL && p->status(doc, &report, &err) == 0) {
		json_array_foreach(json_object_get(report, "hosts"), i, h)
			fprintf(stderr, "provider %s: host %s%s\n", p->name,
			    json_string_value(json_object_get(h, "name")),
			    json_is_true(json_object_get(h, "this_machine")) ?
			    " (this machine)" : "");
	} else if (err.exit != 0) {
		gf_warn("%s", err.msg);
	}
	json_decref(report);
	fprintf(stderr, "run %s (from %s)\n", json_string_value(
	    json_object_get(json_object_get(doc, "run"), "id")), from);
	json_array_foreach(hosts, i, h)
		fprintf(stderr, "host %s %s (%s)\n",
		    json_string_value(json_object_get(h, "name")),
		    json_string_value(json_object_get(h, "address")),
		    json_string_value(json_object_get(h, "provider")));
	json_array_foreach(json_object_get(doc, "cleanup"), i, c) {
		const char *kind = json_string_value(json_object_get(c,
		    "kind"));
		const char *dir = json_string_value(json_object_get(c,
		    "state_dir"));
		const char *rel = json_string_value(json_object_get(c,
		    "released"));

		fprintf(stderr, "cleanup %s%s%s%s\n", kind ? kind : "?",
		    dir ? " " : "", dir ? dir : "",
		    rel ? " (released)" : "");
		if (kind != NULL && dir != NULL && strcmp(kind, "stack") == 0) {
			struct gf_host *me = gf_host_local_new();
			json_t *st = gf_stack_status(me, dir), *v;
			const char *k;

			gf_host_free(me);
			json_object_foreach(st, k, v)
				fprintf(stderr, "  %s pid %lld %s\n", k,
				    (long long)json_integer_value(
				    json_object_get(v, "pid")),
				    json_is_true(json_object_get(v,
				    "running")) ? "running" : "not running");
			json_decref(st);
		}
	}
	if (gf_doc_write(stdout, doc, &err) < 0) {
		gf_error("%s", err.msg);
		json_decref(doc);
		gf_close_stdout();
		return GF_EXIT_IOERR;
	}
	json_decref(doc);
	return gf_close_stdout();
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "input", required_argument, NULL, 'i' },
		{ "provider", required_argument, NULL, 'p' },
		{ "sysfs", required_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct gf_err err = GF_ERR_INIT;
	struct gf_provider_opts po = { NULL, NULL };
	const struct gf_provider *p = NULL;
	const char *input = NULL, *config = NULL, *popt = NULL, *cmd;
	json_t *cfg = NULL, *report = NULL, *doc;
	struct gf_tool t;
	char *from = NULL;
	int ch, rc;

	gf_setprogname(argv[0]);
	while ((ch = getopt_long(argc, argv, "c:hi:p:s:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'h':
			usage(0);
		case 'i':
			input = optarg;
			break;
		case 'p':
			popt = optarg;
			break;
		case 's':
			po.sysfs = optarg;
			break;
		case 'V':
			gf_tool_version();
		default:
			usage(GF_EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage(GF_EXIT_USAGE);
	cmd = argv[0];
	if (strcmp(cmd, "up") != 0 && strcmp(cmd, "down") != 0 &&
	    strcmp(cmd, "status") != 0 && strcmp(cmd, "sweep") != 0) {
		gf_error("unknown command '%s'", cmd);
		usage(GF_EXIT_USAGE);
	}
	/* A provider that cannot work is refused before reading anything. */
	if (popt != NULL && gf_provider_find(popt, &err) == NULL)
		gf_die_err(&err);
	if (config != NULL) {
		if ((cfg = gf_yaml_load(config, &err)) == NULL)
			gf_die_err(&err);
		if (!json_is_object(cfg))
			gf_die(GF_EXIT_DATAERR, "%s: expected a mapping",
			    config);
		po.config = json_object_get(cfg, "local");
	}

	if (strcmp(cmd, "status") == 0 || strcmp(cmd, "down") == 0) {
		if ((doc = load_doc(input, &from, &err)) == NULL) {
			json_decref(cfg);
			if (err.exit == GF_EXIT_NOINPUT && input == NULL &&
			    strcmp(cmd, "down") == 0) {
				/*
				 * Nothing was ever taken: nothing to give
				 * back.
				 */
				gf_info("%s: nothing to give back", err.msg);
				doc = gf_doc_new();
				from = gf_xstrdup("(nothing)");
			} else {
				gf_die_err(&err);
			}
		}
		if (strcmp(cmd, "status") == 0) {
			json_decref(cfg);
			rc = cmd_status(doc, from);
			free(from);
			return rc;
		}
		gf_tool_adopt_doc(&t, "gf-provision", doc, GF_TOOL_RUN_ANYWAY);
		gf_info("giving back what run %s holds (document from %s)",
		    json_string_value(json_object_get(json_object_get(doc,
		    "run"), "id")), from);
		free(from);
		rc = gf_cleanup_release_all(t.doc, &report, &err);
		json_object_set_new(gf_doc_object(t.doc, "provision"), "down",
		    report);
		json_decref(cfg);
		return gf_tool_finish(&t, rc < 0 ? &err : NULL, NULL);
	}

	gf_tool_begin(&t, "gf-provision", input, 0);
	p = gf_provider_find(pick_provider(popt, t.doc, cfg), &err);
	if (p == NULL) {
		json_decref(cfg);
		return gf_tool_finish(&t, &err, NULL);
	}
	if (strcmp(cmd, "up") == 0) {
		rc = p->up(t.doc, &po, &err);
		if (rc == 0)
			gf_info("%s: %zu host(s)", p->name,
			    json_array_size(json_object_get(t.doc, "hosts")));
	} else {
		json_t *found = NULL;

		rc = p->sweep(t.doc, &po, &found, &err);
		if (rc == 0) {
			gf_info("%s: %zu leaked resource(s)", p->name,
			    json_array_size(found));
			json_object_set_new(gf_doc_object(t.doc, "provision"),
			    "sweep", found);
		}
	}
	json_decref(cfg);
	return gf_tool_finish(&t, rc < 0 ? &err : NULL, NULL);
}
