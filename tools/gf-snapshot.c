/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf-snapshot: take a Prometheus TSDB snapshot through the admin API,
 * archive it (tar + zstd or gzip, sha256) into an output directory,
 * optionally export the run's series as OpenMetrics for promtool
 * backfill, write the experiment record next to the archive, and record
 * all of it in the document's "snapshot" section.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_archive.h"
#include "gf_doc.h"
#include "gf_fs.h"
#include "gf_host.h"
#include "gf_log.h"
#include "gf_parse.h"
#include "gf_prom.h"
#include "gf_snapshot.h"
#include "gf_tool.h"
#include "gf_xalloc.h"
#include "gf_section.h"
#include "gf_banned.h"

static const char *const codecs[] = { "zstd", "gzip", NULL };

static const struct gf_opt opts[] = {
	GF_OPT_INPUT, GF_OPT_CONFIG, GF_OPT_HELP, GF_OPT_VERSION,
	{ .name = "prometheus", .letter = 'p', .kind = GF_OPT_STRING,
	  .arg = "URL", .help = "Prometheus (default: the document's stack)",
	  .env = "GF_PROMETHEUS_URL", .doc = GF_DOC_STACK_PROMETHEUS_URL },
	{ .name = "data-dir", .kind = GF_OPT_STRING, .arg = "DIR",
	  .help = "its TSDB directory, as seen from here",
	  .env = "GF_PROMETHEUS_DATA_DIR",
	  .doc = GF_DOC_STACK_PROMETHEUS_DATA_DIR },
	{ .name = "data-host", .kind = GF_OPT_STRING, .arg = "NAME",
	  .help = "the host of the document that holds it (default: this "
	  "one)", .env = "GF_PROMETHEUS_HOST",
	  .doc = GF_DOC_STACK_PROMETHEUS_HOST },
	{ .name = "out", .letter = 'o', .kind = GF_OPT_STRING, .arg = "DIR",
	  .help = "where the archive goes", .env = "GF_SNAPSHOT_OUT",
	  .def = "." },
	{ .name = "compress", .letter = 'z', .kind = GF_OPT_STRING,
	  .arg = "zstd|gzip", .help = "compression",
	  .env = "GF_SNAPSHOT_COMPRESS", .def = "zstd", .choices = codecs },
	/* gzip's levels end at 9: checked once the codec is known. */
	{ .name = "level", .kind = GF_OPT_INT, .arg = "N",
	  .help = "compression level (zstd 3, gzip 6)", .min = 1, .max = 19 },
	{ .name = "threads", .letter = 'j', .kind = GF_OPT_INT, .arg = "N",
	  .help = "zstd workers (0: one per CPU)", .min = 0, .max = 256 },
	{ .name = "remove-snapshot", .kind = GF_OPT_FLAG,
	  .help = "remove the snapshot once archived" },
	{ .name = "skip-head", .kind = GF_OPT_FLAG,
	  .help = "leave the head block out" },
	{ .name = "sync", .kind = GF_OPT_FLAG,
	  .help = "flush the archive to disk" },
	{ .name = "export-openmetrics", .kind = GF_OPT_FLAG,
	  .help = "also write the run's series as OpenMetrics" },
	{ .name = "match", .kind = GF_OPT_LIST, .arg = "SELECTOR",
	  .help = "series to export (repeatable)" },
	{ .name = "start", .letter = 's', .kind = GF_OPT_TIME, .arg = "TIME",
	  .help = "export range start, instead of the windows",
	  .env = "GF_SNAPSHOT_START" },
	{ .name = "end", .letter = 'e', .kind = GF_OPT_TIME, .arg = "TIME",
	  .help = "export range end (default: now)", .env = "GF_SNAPSHOT_END" },
	{ .name = "timeout", .kind = GF_OPT_DURATION, .arg = "DURATION",
	  .help = "per request to Prometheus", .def = "2m" },
	{ .name = "ca-file", .kind = GF_OPT_STRING, .arg = "FILE",
	  .help = "CA bundle for https", .env = "GF_CA_FILE" },
};

static const struct gf_cli cli = {
	.name = "gf-snapshot",
	.synopsis = "[-hV] [-c file] [-e time] [-i file] [-j threads] "
	    "[-o dir] [-p url] [-s time] [-z zstd | gzip] [option ...]",
	.opts = opts, .nopts = GF_ARRAY_LEN(opts),
	.footer = "Times: unix seconds or RFC 3339; durations: 90s, 15m, 2h. "
	    "See gf-snapshot(1), also for restoring an archive.",
};

/* --start/--end, else the document's windows: the ranges to export. */
static int
spans_of(const json_t *doc, const struct gf_settings *s,
    struct gf_snapshot_span **out, size_t *n, struct gf_err *err)
{
	return gf_snapshot_windows(doc, gf_opt_num_or(s, "start", NAN),
	    gf_opt_num_or(s, "end", NAN), out, n, err);
}

/* Raw samples of every selector over every span, as OpenMetrics. */
static int
export_om(struct gf_prom *p, const struct gf_settings *s,
    const struct gf_snapshot_span *spans, size_t nspans, const char *path,
    json_t *sec, struct gf_err *err)
{
	struct gf_snapshot_export x = { NULL, 0, spans, nspans, 0 };
	struct gf_openmetrics_stats st;
	json_t *om;

	x.match = gf_opt_list(s, "match", &x.nmatch);
	if (gf_snapshot_export(p, &x, path, &om, &st, err) < 0)
		return -1;
	json_object_set_new(sec, "openmetrics", om);
	gf_info("exported %zu samples of %zu series to %s", st.samples,
	    st.series, path);
	return 0;
}

/*
 * The archive's options; the level's bound depends on the codec, so it
 * is checked here, with the exit status of where the level came from.
 */
static void
archive_opts(struct gf_tool *t, struct gf_archive_opts *ao)
{
	const struct gf_settings *s = &t->set;
	struct gf_err err = GF_ERR_INIT;
	const char *src;
	int max;

	gf_archive_opts_init(ao);
	ao->compress = (enum gf_archive_compress)gf_archive_compress_parse(
	    gf_opt_str(s, "compress"));
	ao->sync = gf_opt_flag(s, "sync");
	ao->threads = (int)gf_opt_num(s, "threads");
	if (!gf_opt_given(s, "level"))
		return;
	ao->level = (int)gf_opt_num(s, "level");
	max = ao->compress == GF_ARCHIVE_ZSTD ? 19 : 9;
	if (ao->level <= max)
		return;
	src = gf_opt_source(s, "level");
	if (src[0] == '-')
		gf_tool_usage_error(t, "%s: %s is out of range [1, %d]", src,
		    gf_opt_str(s, "level"), max);
	gf_err_set(&err, GF_EXIT_CONFIG, "options", "%s: %s is out of range "
	    "[1, %d]", src, gf_opt_str(s, "level"), max);
	gf_tool_fail(t, &err);
}

/* The client of the resolved Prometheus; 78 when there is none. */
static int
prom_of(const struct gf_settings *s, struct gf_prom *p, struct gf_err *err)
{
	const char *url = gf_opt_str(s, "prometheus");
	double secs = gf_opt_num(s, "timeout");

	if (url == NULL)
		return gf_err_set(err, GF_EXIT_CONFIG, "snapshot",
		    "no Prometheus URL: give --prometheus or put "
		    "stack.prometheus.url in the document");
	gf_prom_init(p, url);
	p->http.timeout = secs > 0 ? secs : 120;
	p->http.ca_file = gf_opt_str(s, "ca-file");
	return 0;
}

static int
run(struct gf_tool *t, const struct gf_archive_opts *ao, json_t *sec,
    struct gf_err *err)
{
	const struct gf_settings *s = &t->set;
	const char *data_dir = gf_opt_str(s, "data-dir");
	const char *out = gf_opt_str(s, "out");
	int export = gf_opt_flag(s, "export-openmetrics");
	int skip_head = gf_opt_flag(s, "skip-head");
	struct gf_archive_info info;
	struct gf_prom p = { NULL };
	struct gf_snapshot_span *spans = NULL;
	size_t nspans = 0;
	char *dd = NULL, *outdir = NULL, *name = NULL, *snapdir = NULL;
	char *archive = NULL, *record = NULL, *om = NULL, *text = NULL;
	char *url = NULL, *fetched = NULL;
	const char *data_host = gf_opt_str(s, "data-host"), *local;
	struct gf_host *dh = NULL;
	double t0;
	int rc = -1;

	if (prom_of(s, &p, err) < 0)
		goto out;
	if (data_host != NULL && (dh = gf_host_from_doc(t->doc, data_host,
	    err)) == NULL)
		goto out;
	url = gf_http_redact_url(p.url);
	json_object_set_new(sec, "prometheus", json_string(url));
	/* Refuse a bad export request before any work is done. */
	if (export && spans_of(t->doc, s, &spans, &nspans, err) < 0)
		goto out;
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
	if (data_dir != NULL)
		data_dir = dd = gf_section_path(data_dir);
	else if ((data_dir = dd = gf_snapshot_data_dir(&p, err)) == NULL)
		goto out;
	t0 = gf_time_now();
	if ((name = gf_prom_snapshot(&p, skip_head, err)) == NULL)
		goto out;
	json_object_set_new(sec, "name", json_string(name));
	json_object_set_new(sec, "taken", json_real(t0));
	json_object_set_new(sec, "data_dir", json_string(data_dir));
	snapdir = gf_xasprintf("%s/snapshots/%s", data_dir, name);
	json_object_set_new(sec, "snapshot_dir", json_string(snapdir));
	local = snapdir;
	if (dh != NULL && !gf_host_is_local(dh)) {
		/* Archived here, from a copy next to the archive. */
		fetched = gf_xasprintf("%s/.prometheus-%s.fetch", outdir, name);
		json_object_set_new(sec, "data_host", json_string(data_host));
		gf_info("fetching %s from %s", snapdir, data_host);
		if (gf_snapshot_fetch(dh, snapdir, fetched, err) < 0)
			goto out;
		local = fetched;
	} else if (!gf_fs_is_dir(snapdir)) {
		gf_err_set(err, GF_EXIT_NOINPUT, "snapshot",
		    "snapshot '%s' was taken but '%s' does not exist: is '%s' "
		    "the --storage.tsdb.path of the Prometheus at %s?", name,
		    snapdir, data_dir, url);
		goto out;
	}
	archive = gf_xasprintf("%s/prometheus-%s%s", outdir, name,
	    gf_archive_suffix(ao->compress));
	gf_info("archiving %s to %s", snapdir, archive);
	if (gf_archive_dir(local, name, archive, ao, &info, err) < 0)
		goto out;
	if (info.files == 0)
		gf_warn("snapshot '%s' holds no data files%s", name,
		    skip_head ? " (--skip-head leaves out the head block)" : "");
	json_object_set_new(sec, GF_FIELD_SNAPSHOT_ARCHIVE,
	    json_string(archive));
	json_object_set_new(sec, "sha256", json_string(info.sha256));
	json_object_set_new(sec, "size", json_integer((json_int_t)info.size));
	json_object_set_new(sec, "files", json_integer((json_int_t)info.files));
	json_object_set_new(sec, "bytes",
	    json_integer((json_int_t)info.bytes_in));
	json_object_set_new(sec, "compress",
	    json_string(gf_archive_compress_name(ao->compress)));
	json_object_set_new(sec, "seconds", json_real(gf_time_now() - t0));
	gf_info("archived %llu files (%llu bytes) into %llu bytes",
	    (unsigned long long)info.files, (unsigned long long)info.bytes_in,
	    (unsigned long long)info.size);
	if (export) {
		om = gf_xasprintf("%s/prometheus-%s.om", outdir, name);
		if (export_om(&p, s, spans, nspans, om, sec, err) < 0)
			goto out;
	}
	record = gf_xasprintf("%s/prometheus-%s.record.json", outdir, name);
	json_object_set_new(sec, "record", json_string(record));
	text = gf_doc_dump(t->doc);
	if (gf_fs_write_atomic(record, text, strlen(text), 0644, err) < 0)
		goto out;
	if (gf_opt_flag(s, "remove-snapshot")) {
		const char *rm[] = { "rm", "-rf", "--", snapdir, NULL };
		int st = fetched != NULL ? gf_host_capture(dh, rm, 600, NULL,
		    err) : gf_fs_remove_tree(snapdir, err);

		if (st > 0)
			gf_err_set(err, GF_EXIT_IOERR, "snapshot", "host '%s': "
			    "cannot remove '%s'", data_host, snapdir);
		if (st != 0)
			goto out;
		json_object_set_new(sec, "removed", json_true());
	}
	rc = 0;
out:
	if (fetched != NULL)
		gf_fs_remove_tree(fetched, NULL);
	free(fetched);
	gf_host_free(dh);
	free(text);
	free(record);
	free(om);
	free(archive);
	free(snapdir);
	free(name);
	free(outdir);
	free(dd);
	free(url);
	free(spans);
	gf_prom_release(&p);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct gf_tool t;
	struct gf_err err = GF_ERR_INIT;
	struct gf_archive_opts ao;
	json_t *sec;

	gf_tool_start(&t, &cli, argc, argv, GF_TOOL_RUN_ANYWAY);
	archive_opts(&t, &ao);
	sec = json_object();
	json_object_set_new(t.doc, GF_SECTION_SNAPSHOT, sec);
	run(&t, &ao, sec, &err);
	return gf_tool_finish(&t, err.exit != 0 ? &err : NULL, NULL);
}
