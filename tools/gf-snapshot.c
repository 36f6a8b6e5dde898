/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf-snapshot: take a Prometheus TSDB snapshot through the admin API,
 * archive it (tar + zstd or gzip, sha256) into an output directory,
 * optionally export the run's series as OpenMetrics for promtool
 * backfill, write the experiment record next to the archive, and record
 * all of it in the document's "snapshot" section.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_archive.h"
#include "gf_doc.h"
#include "gf_fs.h"
#include "gf_log.h"
#include "gf_parse.h"
#include "gf_setting.h"
#include "gf_prom.h"
#include "gf_snapshot.h"
#include "gf_tool.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

enum { OPT_CA_FILE = 256, OPT_SKIP_HEAD, OPT_SYNC, OPT_TIMEOUT };

static struct {
	const char *input, *config, *url, *data_dir, *out, *compress;
	const char *level, *threads, *start, *end, *ca_file, *timeout;
	const char **match;
	size_t nmatch;
	int export_om, remove, skip_head, sync;
} o;

static json_t *cfg;

static void GF_NORETURN
usage(int code)
{
	fprintf(code == 0 ? stdout : stderr,
	    "usage: gf-snapshot [-EhrV] [-c file] [-d dir] [-e time] [-i file] "
	    "[-j threads] [-l level]\n"
	    "                   [-m selector] [-o dir] [-p url] [-s time] "
	    "[-z zstd | gzip]\n"
	    "                   [--ca-file file] [--skip-head] [--sync] "
	    "[--timeout duration]\n");
	if (code == 0)
		fputs("\n"
		    "  -p, --prometheus URL       Prometheus (default the "
		    "document's stack)\n"
		    "  -d, --data-dir DIR         its TSDB directory, as seen "
		    "from here\n"
		    "  -o, --out DIR              where the archive goes "
		    "(.)\n"
		    "  -z, --compress zstd|gzip   compression (zstd)\n"
		    "  -l, --level N              compression level (zstd 3, "
		    "gzip 6)\n"
		    "  -j, --threads N            zstd workers (0: one per "
		    "CPU)\n"
		    "  -r, --remove-snapshot      remove the snapshot once "
		    "archived\n"
		    "      --skip-head            leave the head block out\n"
		    "      --sync                 flush the archive to disk\n"
		    "  -E, --export-openmetrics   also write the run's series "
		    "as OpenMetrics\n"
		    "  -m, --match SELECTOR       series to export "
		    "(repeatable)\n"
		    "  -s, --start TIME / -e, --end TIME   export range "
		    "instead of the windows\n"
		    "      --timeout DURATION     per request to Prometheus "
		    "(30s)\n"
		    "      --ca-file FILE         CA bundle for https\n"
		    "  -c, --config FILE          YAML settings\n"
		    "  -i, --input FILE           run document (default "
		    "stdin)\n"
		    "  -h, --help                 this text\n"
		    "  -V, --version              print the version\n"
		    "See gf-snapshot(1), also for restoring an archive.\n",
		    stdout);
	exit(code);
}

static const char *
doc_prom(const json_t *doc, const char *key)
{
	json_t *p = json_object_get(json_object_get(doc, "stack"),
	    "prometheus");

	return json_string_value(json_object_get(p, key));
}

static void
parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ca-file", required_argument, NULL, OPT_CA_FILE },
		{ "compress", required_argument, NULL, 'z' },
		{ "config", required_argument, NULL, 'c' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "end", required_argument, NULL, 'e' },
		{ "export-openmetrics", no_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ "input", required_argument, NULL, 'i' },
		{ "level", required_argument, NULL, 'l' },
		{ "match", required_argument, NULL, 'm' },
		{ "out", required_argument, NULL, 'o' },
		{ "prometheus", required_argument, NULL, 'p' },
		{ "remove-snapshot", no_argument, NULL, 'r' },
		{ "skip-head", no_argument, NULL, OPT_SKIP_HEAD },
		{ "start", required_argument, NULL, 's' },
		{ "sync", no_argument, NULL, OPT_SYNC },
		{ "threads", required_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "Ec:d:e:hi:j:l:m:o:p:rs:Vz:",
	    longopts, NULL)) != -1) {
		switch (c) {
		case 'E': o.export_om = 1; break;
		case 'c': o.config = optarg; break;
		case 'd': o.data_dir = optarg; break;
		case 'e': o.end = optarg; break;
		case 'h': usage(0);
		case 'i': o.input = optarg; break;
		case 'j': o.threads = optarg; break;
		case 'l': o.level = optarg; break;
		case 'm':
			o.match = gf_xreallocarray(o.match, o.nmatch + 1,
			    sizeof(*o.match));
			o.match[o.nmatch++] = optarg;
			break;
		case 'o': o.out = optarg; break;
		case 'p': o.url = optarg; break;
		case 'r': o.remove = 1; break;
		case 's': o.start = optarg; break;
		case 'V': gf_tool_version();
		case 'z': o.compress = optarg; break;
		case OPT_CA_FILE: o.ca_file = optarg; break;
		case OPT_SKIP_HEAD: o.skip_head = 1; break;
		case OPT_SYNC: o.sync = 1; break;
		case OPT_TIMEOUT: o.timeout = optarg; break;
		default: usage(GF_EXIT_USAGE);
		}
	}
	if (optind != argc) {
		gf_error("unexpected argument '%s'", argv[optind]);
		usage(GF_EXIT_USAGE);
	}
}

/*
 * The time ranges to export: --start/--end, else every window of the
 * document, merged where they overlap. Usage errors are 64.
 */
static int
spans_of(const json_t *doc, struct gf_snapshot_span **out, size_t *n,
    struct gf_err *err)
{
	struct gf_snapshot_span one;
	const char *sv = gf_setting(cfg, o.start, "GF_SNAPSHOT_START", NULL,
	    "start", NULL);
	const char *ev = gf_setting(cfg, o.end, "GF_SNAPSHOT_END", NULL, "end",
	    NULL);

	if (sv != NULL || ev != NULL) {
		if (sv == NULL)
			return gf_err_set(err, GF_EXIT_USAGE, "snapshot",
			    "--end needs --start");
		if (gf_parse_time(sv, "--start", &one.start, err) < 0)
			return -1;
		one.end = gf_time_now();
		if (ev != NULL && gf_parse_time(ev, "--end", &one.end, err) < 0)
			return -1;
		if (one.end < one.start)
			return gf_err_set(err, GF_EXIT_USAGE, "snapshot",
			    "--end is before --start");
		*out = gf_xmalloc(sizeof(one));
		**out = one;
		*n = 1;
		return 0;
	}
	if (gf_snapshot_windows(doc, out, n, err) < 0)
		return -1;
	if (*n == 0)
		return gf_err_set(err, GF_EXIT_USAGE, "snapshot",
		    "--export-openmetrics: the document has no windows; give "
		    "--start and --end");
	return 0;
}

/* Raw samples of every selector over every span, as OpenMetrics. */
static int
export_om(struct gf_prom *p, const json_t *doc, const char *path,
    json_t *sec, struct gf_err *err)
{
	struct gf_snapshot_export x = { o.match, o.nmatch, NULL, 0, 0 };
	struct gf_snapshot_span *spans = NULL;
	struct gf_openmetrics_stats st;
	json_t *om;
	int rc = -1;

	if (spans_of(doc, &spans, &x.nspans, err) < 0)
		goto out;
	x.spans = spans;
	if (gf_snapshot_export(p, &x, path, &om, &st, err) < 0)
		goto out;
	json_object_set_new(sec, "openmetrics", om);
	gf_info("exported %zu samples of %zu series to %s", st.samples,
	    st.series, path);
	rc = 0;
out:
	free(spans);
	return rc;
}

static int
parse_num(const char *s, const char *what, long long min, long long max,
    int *out, struct gf_err *err)
{
	long long v;

	if (s == NULL)
		return 0;
	if (gf_parse_int(s, min, max, what, &v, err) < 0)
		return -1;
	*out = (int)v;
	return 0;
}

/* Settings from every source; 64 and 78 for what a user must fix. */
static int
settings(const json_t *doc, struct gf_archive_opts *ao, struct gf_prom *p,
    const char **data_dir, const char **out, struct gf_err *err)
{
	const char *url, *comp, *tmo, *ca;
	double secs = 120;
	int c;

	gf_archive_opts_init(ao);
	url = gf_setting(cfg, o.url, "GF_PROMETHEUS_URL", doc_prom(doc, "url"),
	    "prometheus", NULL);
	*data_dir = gf_setting(cfg, o.data_dir, "GF_PROMETHEUS_DATA_DIR",
	    doc_prom(doc, "data_dir"), "data_dir", NULL);
	*out = gf_setting(cfg, o.out, "GF_SNAPSHOT_OUT", NULL, "out", ".");
	comp = gf_setting(cfg, o.compress, "GF_SNAPSHOT_COMPRESS", NULL,
	    "compress", "zstd");
	c = gf_archive_compress_parse(comp);
	if (c < 0 || c == GF_ARCHIVE_NONE)
		return gf_err_set(err, GF_EXIT_USAGE, "snapshot",
		    "--compress: '%s' is not zstd or gzip", comp);
	ao->compress = (enum gf_archive_compress)c;
	ao->sync = gf_setting_flag(cfg, o.sync, NULL, "sync");
	if (parse_num(gf_setting(cfg, o.level, NULL, NULL, "level", NULL),
	    "--level", 1, c == GF_ARCHIVE_ZSTD ? 19 : 9, &ao->level, err) < 0 ||
	    parse_num(gf_setting(cfg, o.threads, NULL, NULL, "threads", NULL),
	    "--threads", 0, 256, &ao->threads, err) < 0)
		return -1;
	tmo = gf_setting(cfg, o.timeout, NULL, NULL, "timeout", NULL);
	if (tmo != NULL &&
	    (gf_parse_duration(tmo, "--timeout", &secs, err) < 0))
		return -1;
	if (url == NULL)
		return gf_err_set(err, GF_EXIT_CONFIG, "snapshot",
		    "no Prometheus URL: give --prometheus or put "
		    "stack.prometheus.url in the document");
	gf_prom_init(p, url);
	p->http.timeout = secs > 0 ? secs : 120;
	ca = gf_setting(cfg, o.ca_file, "GF_CA_FILE", NULL, "ca_file", NULL);
	p->http.ca_file = ca;
	if (!o.export_om)
		o.export_om = gf_setting_flag(cfg, 0, NULL,
		    "export_openmetrics");
	if (o.nmatch == 0 && cfg != NULL) {
		json_t *m = json_object_get(cfg, "match");
		size_t i;
		json_t *v;

		if (json_is_string(m)) {
			o.match = gf_xcalloc(1, sizeof(*o.match));
			o.match[o.nmatch++] = json_string_value(m);
		}
		json_array_foreach(m, i, v) {
			o.match = gf_xreallocarray(o.match, o.nmatch + 1,
			    sizeof(*o.match));
			o.match[o.nmatch++] = json_string_value(v) ?
			    json_string_value(v) : "";
		}
	}
	return 0;
}

static int
run(struct gf_tool *t, json_t *sec, struct gf_err *err)
{
	struct gf_archive_opts ao;
	struct gf_archive_info info;
	struct gf_prom p = { NULL };
	const char *data_dir, *out;
	char *dd = NULL, *outdir = NULL, *name = NULL, *snapdir = NULL;
	char *archive = NULL, *record = NULL, *om = NULL, *text = NULL;
	char *url = NULL;
	double t0;
	int rc = -1;

	if (settings(t->doc, &ao, &p, &data_dir, &out, err) < 0)
		goto out;
	url = gf_http_redact_url(p.url);
	json_object_set_new(sec, "prometheus", json_string(url));
	if (o.export_om) {
		struct gf_snapshot_span *s = NULL;
		size_t n;

		/* Refuse a bad export request before any work is done. */
		if (spans_of(t->doc, &s, &n, err) < 0)
			goto out;
		free(s);
	}
	if (gf_fs_mkdir_p(out, 0755, err) < 0)
		goto out;
	if ((outdir = realpath(out, NULL)) == NULL) {
		gf_err_set(err, GF_EXIT_CANTCREAT, "snapshot", "cannot resolve "
		    "'%s'", out);
		goto out;
	}
	if (access(outdir, W_OK) < 0) {
		gf_err_set(err, GF_EXIT_CANTCREAT, "snapshot", "'%s' is not "
		    "writable", outdir);
		goto out;
	}
	if (data_dir == NULL &&
	    (data_dir = dd = gf_snapshot_data_dir(&p, err)) == NULL)
		goto out;
	t0 = gf_time_now();
	if ((name = gf_prom_snapshot(&p, o.skip_head, err)) == NULL)
		goto out;
	json_object_set_new(sec, "name", json_string(name));
	json_object_set_new(sec, "taken", json_real(t0));
	json_object_set_new(sec, "data_dir", json_string(data_dir));
	snapdir = gf_xasprintf("%s/snapshots/%s", data_dir, name);
	json_object_set_new(sec, "snapshot_dir", json_string(snapdir));
	if (!gf_fs_is_dir(snapdir)) {
		gf_err_set(err, GF_EXIT_NOINPUT, "snapshot",
		    "snapshot '%s' was taken but '%s' does not exist: is '%s' "
		    "the --storage.tsdb.path of the Prometheus at %s?", name,
		    snapdir, data_dir, url);
		goto out;
	}
	archive = gf_xasprintf("%s/prometheus-%s%s", outdir, name,
	    gf_archive_suffix(ao.compress));
	gf_info("archiving %s to %s", snapdir, archive);
	if (gf_archive_dir(snapdir, name, archive, &ao, &info, err) < 0)
		goto out;
	if (info.files == 0)
		gf_warn("snapshot '%s' holds no data files%s", name,
		    o.skip_head ? " (--skip-head leaves out the head block)" :
		    "");
	json_object_set_new(sec, "archive", json_string(archive));
	json_object_set_new(sec, "sha256", json_string(info.sha256));
	json_object_set_new(sec, "size", json_integer((json_int_t)info.size));
	json_object_set_new(sec, "files", json_integer((json_int_t)info.files));
	json_object_set_new(sec, "bytes",
	    json_integer((json_int_t)info.bytes_in));
	json_object_set_new(sec, "compress",
	    json_string(gf_archive_compress_name(ao.compress)));
	json_object_set_new(sec, "seconds", json_real(gf_time_now() - t0));
	gf_info("archived %llu files (%llu bytes) into %llu bytes",
	    (unsigned long long)info.files, (unsigned long long)info.bytes_in,
	    (unsigned long long)info.size);
	if (o.export_om) {
		om = gf_xasprintf("%s/prometheus-%s.om", outdir, name);
		if (export_om(&p, t->doc, om, sec, err) < 0)
			goto out;
	}
	record = gf_xasprintf("%s/prometheus-%s.record.json", outdir, name);
	json_object_set_new(sec, "record", json_string(record));
	text = gf_doc_dump(t->doc);
	if (gf_fs_write_atomic(record, text, strlen(text), 0644, err) < 0)
		goto out;
	if (o.remove || gf_setting_flag(cfg, 0, NULL, "remove_snapshot")) {
		if (gf_fs_remove_tree(snapdir, err) < 0)
			goto out;
		json_object_set_new(sec, "removed", json_true());
	}
	rc = 0;
out:
	free(text);
	free(record);
	free(om);
	free(archive);
	free(snapdir);
	free(name);
	free(outdir);
	free(dd);
	free(url);
	gf_prom_release(&p);
	return rc;
}

int
main(int argc, char **argv)
{
	struct gf_tool t;
	struct gf_err err = GF_ERR_INIT;
	json_t *sec;
	int rc;

	gf_setprogname(argv[0]);
	parse_args(argc, argv);
	if (o.config != NULL && (cfg = gf_config_load(o.config, &err)) == NULL)
		gf_die_err(&err);
	gf_tool_begin(&t, "gf-snapshot", o.input, GF_TOOL_RUN_ANYWAY);
	sec = json_object();
	json_object_set_new(t.doc, "snapshot", sec);
	if (run(&t, sec, &err) < 0 && err.exit == GF_EXIT_USAGE) {
		json_decref(t.doc);
		gf_error("%s", err.msg);
		usage(GF_EXIT_USAGE);
	}
	rc = gf_tool_finish(&t, err.exit ? &err : NULL, NULL);
	json_decref(cfg);
	free(o.match);
	return rc;
}
