/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_doc.h"
#include "gf_buf.h"
#include "gf_fs.h"
#include "gf_parse.h"
#include "gf_window.h"
#include "gf_xalloc.h"
#include "gf_section.h"
#include "gf_banned.h"

#ifndef GF_VERSION
#define GF_VERSION "0.0.0"
#endif

static const char *const object_sections[] = {
	"gf", "run", "cluster", "stack", "train", "validate", "snapshot",
	"commit", "stress", "provision",
};
static const char *const array_sections[] = {
	"hosts", "cleanup", "windows", "steps",
};

static char *
new_run_id(double now)
{
	char ts[32];
	unsigned seed;
	int fd;

	/* Run ids only need to be unique per runner, not secret. */
	seed = (unsigned)getpid() ^ (unsigned)((now - (long)now) * 1e9);
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, &seed, sizeof(seed)) != sizeof(seed))
			seed ^= (unsigned)now;
		close(fd);
	}
	gf_time_format(now, 0, ts);
	/* 2026-11-23T18:00:00Z -> 20261123T180000Z */
	char compact[24];
	size_t j = 0;

	for (size_t i = 0; ts[i] != '\0' && j + 1 < sizeof(compact); i++)
		if (ts[i] != '-' && ts[i] != ':')
			compact[j++] = ts[i];
	compact[j] = '\0';
	return gf_xasprintf("%s-%06x", compact, seed & 0xffffff);
}

void
gf_doc_ensure_run(json_t *doc)
{
	json_t *gf = gf_doc_object(doc, GF_SECTION_GF);
	json_t *run = gf_doc_object(doc, GF_SECTION_RUN);
	double now = gf_time_now();
	char ts[32];

	if (json_object_get(gf, "version") == NULL)
		json_object_set_new(gf, "version",
		    json_integer(GF_DOC_VERSION));
	if (!json_is_string(json_object_get(run, GF_FIELD_RUN_ID))) {
		char *id = new_run_id(now);

		json_object_set_new(run, GF_FIELD_RUN_ID, json_string(id));
		free(id);
	}
	if (!json_is_string(json_object_get(run, GF_FIELD_RUN_START)))
		json_object_set_new(run, GF_FIELD_RUN_START,
		    json_string(gf_time_format(now, 0, ts)));
}

json_t *
gf_doc_new(void)
{
	json_t *doc = json_object();

	gf_doc_ensure_run(doc);
	return doc;
}

int
gf_doc_validate(const json_t *doc, const char *name, struct gf_err *err)
{
	json_t *v;

	if (!json_is_object(doc))
		return gf_err_set(err, GF_EXIT_DATAERR, "doc",
		    "%s: the run document must be a JSON object", name);
	for (size_t i = 0; i < GF_ARRAY_LEN(object_sections); i++) {
		v = json_object_get(doc, object_sections[i]);
		if (v != NULL && !json_is_object(v))
			return gf_err_set(err, GF_EXIT_DATAERR, "doc",
			    "%s: field '%s': expected an object", name,
			    object_sections[i]);
	}
	for (size_t i = 0; i < GF_ARRAY_LEN(array_sections); i++) {
		v = json_object_get(doc, array_sections[i]);
		if (v != NULL && !json_is_array(v))
			return gf_err_set(err, GF_EXIT_DATAERR, "doc",
			    "%s: field '%s': expected an array", name,
			    array_sections[i]);
	}
	v = json_object_get(json_object_get(doc, "gf"), "version");
	if (v != NULL && !json_is_integer(v))
		return gf_err_set(err, GF_EXIT_DATAERR, "doc",
		    "%s: field 'gf.version': expected an integer", name);
	if (v != NULL && json_integer_value(v) > GF_DOC_VERSION)
		return gf_err_set(err, GF_EXIT_DATAERR, "doc",
		    "%s: document format version %lld is newer than this gf "
		    "supports (%d): upgrade gf", name,
		    (long long)json_integer_value(v), GF_DOC_VERSION);
	for (size_t i = 0; i < gf_window_count(doc); i++) {
		struct gf_window w;

		if (gf_window_get(doc, i, &w, err) < 0)
			return gf_err_prefix(err, "%s", name);
	}
	return 0;
}

json_t *
gf_doc_parse(const char *text, size_t len, const char *name,
    struct gf_err *err)
{
	json_error_t jerr;
	json_t *doc;
	size_t i;

	for (i = 0; i < len; i++)
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' &&
		    text[i] != '\r')
			break;
	if (i == len)
		return gf_doc_new();
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		gf_err_set(err, GF_EXIT_DATAERR, "json", "%s:%d:%d: %s", name,
		    jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	if (gf_doc_validate(doc, name, err) < 0) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

json_t *
gf_doc_read(const char *path, struct gf_err *err)
{
	struct gf_buf b = GF_BUF_INIT;
	json_t *doc;
	char *data;
	size_t len;

	if (path != NULL && strcmp(path, "-") != 0) {
		data = gf_fs_read(path, 0, &len, err);
		if (data == NULL)
			return NULL;
		doc = gf_doc_parse(data, len, path, err);
		free(data);
		return doc;
	}
	if (isatty(STDIN_FILENO))
		return gf_doc_new();
	for (;;) {
		ssize_t n;

		gf_buf_grow(&b, 65536);
		n = read(STDIN_FILENO, b.data + b.len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* A closed stdin (<&-) is the same as an empty one. */
			if (errno == EBADF)
				break;
			gf_err_set(err, GF_EXIT_IOERR, "doc",
			    "cannot read standard input: %s", strerror(errno));
			gf_buf_release(&b);
			return NULL;
		}
		if (n == 0)
			break;
		b.len += (size_t)n;
	}
	doc = gf_doc_parse(gf_buf_str(&b), b.len, "<stdin>", err);
	gf_buf_release(&b);
	return doc;
}

char *
gf_doc_dump(const json_t *doc)
{
	char *s = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS |
	    JSON_REAL_PRECISION(17));
	char *out;

	if (s == NULL)
		GF_BUG("json_dumps failed");
	out = gf_xasprintf("%s\n", s);
	free(s);
	return out;
}

int
gf_doc_write(FILE *fp, const json_t *doc, struct gf_err *err)
{
	char *s = gf_doc_dump(doc);
	size_t len = strlen(s);
	int rc = 0;

	if (fwrite(s, 1, len, fp) != len || fflush(fp) != 0 || ferror(fp))
		rc = gf_err_set(err, GF_EXIT_IOERR, "doc",
		    "cannot write the run document: %s", strerror(errno));
	free(s);
	return rc;
}

char *
gf_doc_state_path(void)
{
	const char *v = getenv("GF_STATE");

	if (v != NULL && *v != '\0')
		return strcmp(v, "none") == 0 ? NULL : gf_xstrdup(v);
	v = getenv("RUNNER_TEMP");
	if (v != NULL && *v != '\0')
		return gf_fs_join(v, "gf-state.json");
	return gf_xstrdup("./gf-state.json");
}

/*
 * Equal cleanup entries, whether or not one of them was released since.
 * Entries with an "id" are the same entry when their ids are: a provider
 * records an entry before asking for the resource and completes it once
 * it knows more (instance ids, what down did).
 */
static int
same_cleanup(json_t *a, json_t *b)
{
	json_t *ca, *cb;
	int same;

	if (!json_is_object(a) || !json_is_object(b))
		return json_equal(a, b);
	if (json_is_string(json_object_get(a, GF_FIELD_CLEANUP_ID)) ||
	    json_is_string(json_object_get(b, GF_FIELD_CLEANUP_ID)))
		return json_equal(json_object_get(a, GF_FIELD_CLEANUP_ID),
		    json_object_get(b, GF_FIELD_CLEANUP_ID));
	ca = json_copy(a);
	cb = json_copy(b);
	json_object_del(ca, "released");
	json_object_del(cb, "released");
	same = json_equal(ca, cb);
	json_decref(ca);
	json_decref(cb);
	return same;
}

json_t *
gf_doc_state_merge(json_t *doc, const char *path)
{
	json_t *old, *pending = NULL, *merged, *entry, *mine, *cleanup;
	struct gf_err err = GF_ERR_INIT;
	char *text;
	size_t len, i, j;

	text = gf_fs_read(path, 64u << 20, &len, &err);
	old = text != NULL ? json_loadb(text, len, 0, NULL) : NULL;
	free(text);
	cleanup = json_object_get(doc, GF_SECTION_CLEANUP);
	json_array_foreach(json_object_get(old, GF_SECTION_CLEANUP), i, entry) {
		int known = 0;

		if (!json_is_object(entry) ||
		    json_object_get(entry, GF_FIELD_CLEANUP_RELEASED) != NULL)
			continue;
		json_array_foreach(cleanup, j, mine)
			if ((known = same_cleanup(entry, mine)))
				break;
		if (known)
			continue;
		if (pending == NULL)
			pending = json_array();
		json_array_append(pending, entry);
	}
	json_decref(old);
	if (pending == NULL)
		return json_incref(doc);
	merged = json_copy(doc);
	cleanup = json_is_array(cleanup) ? json_copy(cleanup) : json_array();
	json_array_extend(cleanup, pending);
	json_object_set_new(merged, "cleanup", cleanup);
	json_decref(pending);
	return merged;
}

int
gf_doc_save(json_t *doc, const char *path, struct gf_err *err)
{
	json_t *merged;
	struct stat st;
	char *s;
	int rc;

	/* A rename over /dev/null (GF_STATE=/dev/null as root) replaces it. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return gf_err_set(err, GF_EXIT_CANTCREAT, "doc", "cannot save "
		    "the state file: '%s' is not a regular file (GF_STATE=none "
		    "disables it)", path);
	merged = gf_doc_state_merge(doc, path);
	s = gf_doc_dump(merged);
	rc = gf_fs_write_atomic(path, s, strlen(s), 0600, err);

	free(s);
	json_decref(merged);
	return rc < 0 ? gf_err_prefix(err, "cannot save the state file") : 0;
}

int
gf_doc_failed_exit(const json_t *doc)
{
	json_t *steps = json_object_get(doc, "steps"), *step;
	size_t i;

	/*
	 * The first failure, not the last step: clean-up and reporting tools
	 * append ok steps after a failure, and must not hide it.
	 */
	json_array_foreach(steps, i, step) {
		json_int_t code;

		if (json_is_true(json_object_get(step, "ok")))
			continue;
		code = json_integer_value(json_object_get(step, "exit"));
		return code > 0 && code < 256 ? (int)code : GF_EXIT_SOFTWARE;
	}
	return 0;
}

json_t *
gf_doc_number(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

json_t *
gf_doc_get(const json_t *doc, const char *section)
{
	return json_object_get(doc, section);
}

json_t *
gf_doc_object(json_t *doc, const char *section)
{
	json_t *v = json_object_get(doc, section);

	if (!json_is_object(v)) {
		v = json_object();
		json_object_set_new(doc, section, v);
	}
	return v;
}

json_t *
gf_doc_array(json_t *doc, const char *section)
{
	json_t *v = json_object_get(doc, section);

	if (!json_is_array(v)) {
		v = json_array();
		json_object_set_new(doc, section, v);
	}
	return v;
}

int
gf_doc_set(json_t *doc, const char *section, json_t *value)
{
	return json_object_set_new(doc, section, value);
}

void
gf_doc_add_step(json_t *doc, const char *tool, double started,
    const struct gf_err *err, json_t *extra)
{
	json_t *step = json_object();
	double now = gf_time_now();
	int ok = err == NULL || err->exit == 0;
	char ts[32];

	json_object_set_new(step, "tool", json_string(tool));
	json_object_set_new(step, "version", json_string(GF_VERSION));
	json_object_set_new(step, "start",
	    json_string(gf_time_format(started, 1, ts)));
	json_object_set_new(step, "end",
	    json_string(gf_time_format(now, 1, ts)));
	json_object_set_new(step, "seconds",
	    json_real((double)(long long)((now - started) * 1000) / 1000));
	json_object_set_new(step, "ok", json_boolean(ok));
	json_object_set_new(step, "exit", json_integer(ok ? 0 : err->exit));
	if (!ok) {
		json_t *e = json_object();

		json_object_set_new(e, "origin", json_string(err->origin));
		json_object_set_new(e, "message", json_string(err->msg));
		json_object_set_new(e, "kind",
		    json_string(gf_exit_name(err->exit)));
		json_object_set_new(step, "error", e);
	}
	if (extra != NULL) {
		json_object_update_missing(step, extra);
		json_decref(extra);
	}
	json_array_append_new(gf_doc_array(doc, "steps"), step);
}

json_t *
gf_doc_path(const json_t *root, const char *dotted)
{
	json_t *v = (json_t *)root;
	const char *p = dotted;

	while (v != NULL && *p != '\0') {
		const char *dot = strchr(p, '.');
		size_t n = dot != NULL ? (size_t)(dot - p) : strlen(p);

		v = json_is_object(v) ? json_object_getn(v, p, n) : NULL;
		p += n + (dot != NULL);
	}
	return v;
}

const char *
gf_doc_path_string(const json_t *doc, const char *dotted)
{
	return json_string_value(gf_doc_path(doc, dotted));
}

void
gf_doc_add_cleanup(json_t *doc, json_t *entry)
{
	json_array_append_new(gf_doc_array(doc, "cleanup"), entry);
}

int
gf_json_string(const json_t *obj, const char *key, const char *path,
    const char **out, struct gf_err *err)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return gf_err_set(err, GF_EXIT_DATAERR, "doc",
		    "field '%s': expected a string", path);
	*out = json_string_value(v);
	return 0;
}

int
gf_json_number(const json_t *obj, const char *key, const char *path,
    double *out, struct gf_err *err)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_number(v))
		return gf_err_set(err, GF_EXIT_DATAERR, "doc",
		    "field '%s': expected a number", path);
	*out = json_number_value(v);
	return 0;
}
