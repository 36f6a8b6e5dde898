/* SPDX-License-Identifier: Apache-2.0 */
/* What gf-snapshot does besides the snapshot itself: see gf_snapshot.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_snapshot.h"
#include "gf_archive.h"
#include "gf_host.h"
#include "gf_window.h"
#include "gf_buf.h"
#include "gf_doc.h"
#include "gf_fs.h"
#include "gf_sha256.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

int
gf_snapshot_windows(const json_t *doc, double start, double end,
    struct gf_snapshot_span **out, size_t *n, struct gf_err *err)
{
	struct gf_windows ws;

	*out = NULL;
	*n = 0;
	if (gf_windows_select(doc, start, end, NULL, &ws, err) < 0)
		return -1;
	gf_windows_merge(&ws, 0);
	*out = gf_xcalloc(ws.n, sizeof(**out));
	for (size_t i = 0; i < ws.n; i++) {
		(*out)[i].start = ws.w[i].start;
		(*out)[i].end = ws.w[i].end;
	}
	*n = ws.n;
	gf_windows_release(&ws);
	return 0;
}

static json_t *
export_json(const struct gf_snapshot_export *x, const char *const *sel,
    size_t nsel, const char *path, const struct gf_buf *text,
    const struct gf_openmetrics_stats *st)
{
	char hex[GF_SHA256_HEX_LEN];
	json_t *om = json_object(), *arr;

	json_object_set_new(om, "path", json_string(path));
	json_object_set_new(om, "sha256", json_string(gf_sha256_hex(text->data,
	    text->len, hex)));
	json_object_set_new(om, "size", json_integer((json_int_t)text->len));
	json_object_set_new(om, "families",
	    json_integer((json_int_t)st->families));
	json_object_set_new(om, "series", json_integer((json_int_t)st->series));
	json_object_set_new(om, "samples",
	    json_integer((json_int_t)st->samples));
	arr = json_array();
	for (size_t i = 0; i < x->nspans; i++)
		json_array_append_new(arr, json_pack("{s:f,s:f}", "start",
		    x->spans[i].start, "end", x->spans[i].end));
	json_object_set_new(om, "ranges", arr);
	arr = json_array();
	for (size_t m = 0; m < nsel; m++)
		json_array_append_new(arr, json_string(sel[m]));
	json_object_set_new(om, "match", arr);
	return om;
}

int
gf_snapshot_export(struct gf_prom *p, const struct gf_snapshot_export *x,
    const char *path, json_t **om, struct gf_openmetrics_stats *stats,
    struct gf_err *err)
{
	static const char *const everything[] = { "{__name__=~\".+\"}" };
	const char *const *sel = x->match;
	size_t nsel = x->nmatch;
	double piece = x->piece > 0 ? x->piece : 1800.0;
	struct gf_prom_result all, res;
	struct gf_openmetrics_stats st;
	struct gf_buf text = GF_BUF_INIT;
	json_t *index = json_object();
	int rc = -1;

	*om = NULL;
	memset(&all, 0, sizeof(all));
	if (nsel == 0) {
		sel = everything;
		nsel = 1;
	}
	for (size_t m = 0; m < nsel; m++) {
		for (size_t i = 0; i < x->nspans; i++) {
			for (double a = x->spans[i].start;;) {
				double b = fmin(a + piece, x->spans[i].end);
				long long ms = llround((b - a) * 1000);
				char *q = gf_xasprintf("%s[%lldms]", sel[m],
				    ms > 0 ? ms : 1);

				if (gf_prom_query(p, q, b, &res, err) < 0) {
					free(q);
					gf_err_prefix(err,
					    "--export-openmetrics");
					goto out;
				}
				free(q);
				gf_openmetrics_merge(&all, index, &res);
				if (b >= x->spans[i].end)
					break;
				a = b;
			}
		}
	}
	gf_openmetrics_format(&all, &text, &st);
	if (gf_fs_write_atomic(path, text.data, text.len, 0644, err) < 0)
		goto out;
	*om = export_json(x, sel, nsel, path, &text, &st);
	if (stats != NULL)
		*stats = st;
	rc = 0;
out:
	gf_buf_release(&text);
	gf_prom_result_release(&all);
	json_decref(index);
	return rc;
}

char *
gf_snapshot_data_dir(struct gf_prom *p, struct gf_err *err)
{
	json_t *flags = gf_prom_get_data(p, "/api/v1/status/flags", err);
	const char *path = json_string_value(json_object_get(flags,
	    "storage.tsdb.path"));
	char *dir = NULL;

	if (path != NULL && path[0] == '/')
		dir = gf_xstrdup(path);
	else if (flags != NULL)
		gf_err_set(err, GF_EXIT_CONFIG, "snapshot",
		    "no data directory: give --data-dir (Prometheus reports "
		    "storage.tsdb.path '%s')", path ? path : "");
	json_decref(flags);
	return dir;
}

int
gf_snapshot_fetch(struct gf_host *h, const char *dir, const char *dest,
    struct gf_err *err)
{
	const char *argv[] = { "tar", "-C", dir, "-cf", "-", ".", NULL };
	char *tar = gf_xasprintf("%s.tar", dest);
	struct gf_host_cmd cmd;
	struct gf_host_result res;
	int rc;

	memset(&cmd, 0, sizeof(cmd));
	memset(&res, 0, sizeof(res));
	cmd.argv = argv;
	cmd.capture = GF_HOST_CAPTURE_STDERR;	/* stdout: the tar file */
	cmd.log_path = tar;
	unlink(tar);
	if ((rc = gf_host_run(h, &cmd, &res, err)) == 0 && res.status != 0) {
		const char *why = res.errout != NULL ? res.errout : "";

		rc = gf_err_set(err, strstr(why, "No such file") != NULL ?
		    GF_EXIT_NOINPUT : GF_EXIT_IOERR, "snapshot", "host '%s': "
		    "cannot read '%s': %.*s", gf_host_name(h), dir,
		    (int)strcspn(why, "\n"), why);
	}
	if (rc == 0)
		rc = gf_archive_extract(tar, dest, err);
	unlink(tar);
	gf_host_result_release(&res);
	free(tar);
	return rc;
}
