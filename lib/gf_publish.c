/* SPDX-License-Identifier: Apache-2.0 */
/* What gf-commit publishes: see gf_publish.h. */
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_publish.h"
#include "gf_buf.h"
#include "gf_fs.h"
#include "gf_log.h"
#include "gf_parse.h"
#include "gf_s3.h"
#include "gf_xalloc.h"
#include "gf_section.h"
#include "gf_banned.h"

static void
add_item(struct gf_publish_plan *p, const char *src, const char *dst)
{
	struct gf_publish_item *it;

	p->items = gf_xreallocarray(p->items, p->n + 1, sizeof(*p->items));
	it = &p->items[p->n++];
	memset(it, 0, sizeof(*it));
	it->src = gf_xstrdup(src);
	it->dst = gf_xstrdup(dst);
}

static const char *
base_name(const char *path)
{
	const char *s;
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	for (s = path + n; s > path && s[-1] != '/'; s--)
		;
	return s;
}

/* Add a file, or every regular file below a directory, to the plan. */
static int
add_source(struct gf_publish_plan *p, const char *src, const char *dst,
    struct gf_err *err)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (stat(src, &st) < 0)
		return gf_err_set(err, errno == ENOENT ? GF_EXIT_NOINPUT :
		    GF_EXIT_IOERR, "commit", "cannot read '%s': %s", src,
		    strerror(errno));
	if (S_ISREG(st.st_mode)) {
		add_item(p, src, dst);
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		gf_err_warn(p->warn, p->arg, "skipping '%s': not a regular "
		    "file", src);
		return 0;
	}
	if ((d = opendir(src)) == NULL)
		return gf_err_set(err, GF_EXIT_IOERR, "commit",
		    "cannot read '%s': %s", src, strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char *s, *t;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, ".git") == 0)
			continue;
		s = gf_fs_join(src, de->d_name);
		/* A leading '/' (from the repository root) is kept. */
		t = *dst == '/' ? gf_xasprintf("%s%s%s", dst,
		    dst[strlen(dst) - 1] == '/' ? "" : "/", de->d_name) :
		    gf_layout_join(dst, de->d_name);
		rc = add_source(p, s, t, err);
		free(s);
		free(t);
	}
	closedir(d);
	return rc;
}

/* --add SRC[:DST]: a missing DST keeps the name. */
int
gf_publish_add(struct gf_publish_plan *p, const char *arg,
    struct gf_err *err)
{
	const char *colon = strrchr(arg, ':');
	char *src;
	int rc;

	if (colon == NULL || colon == arg) {
		return add_source(p, arg, base_name(arg), err);
	}
	src = gf_xstrndup(arg, (size_t)(colon - arg));
	if (colon[1] == '\0')
		rc = add_source(p, src, base_name(src), err);
	else if (colon[strlen(colon) - 1] == '/') {
		char *dst = gf_xasprintf("%s%s", colon + 1, base_name(src));

		rc = add_source(p, src, dst, err);
		free(dst);
	} else
		rc = add_source(p, src, colon + 1, err);
	free(src);
	return rc;
}

/* The same file, however its paths are spelled. */
static int
same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (strcmp(a, b) == 0)
		return 1;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int
in_plan(const struct gf_publish_plan *p, const char *src)
{
	for (size_t i = 0; i < p->n; i++)
		if (same_file(p->items[i].src, src))
			return 1;
	return 0;
}

/*
 * Paths named in the document: a string, {"path": ...} or an array. A
 * file already planned (a report below its run's directory) is not
 * added twice.
 */
static int
doc_paths(struct gf_publish_plan *p, const json_t *v, const char *dst,
    const char *field, unsigned flags, struct gf_err *err)
{
	const char *path;
	size_t i;
	json_t *e;

	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if (doc_paths(p, e, dst, field, flags, err) < 0)
				return -1;
		return 0;
	}
	if (json_is_object(v)) {
		const char *keys[] = { "path", "file", "dir" };

		for (i = 0; i < GF_ARRAY_LEN(keys); i++)
			if (json_is_string(json_object_get(v, keys[i])))
				return doc_paths(p, json_object_get(v,
				    keys[i]), dst, field, flags, err);
		return 0;
	}
	if ((path = json_string_value(v)) == NULL)
		return 0;
	if (!gf_fs_exists(path)) {
		if (!(flags & GF_PUBLISH_DOC_PARTIAL))
			return gf_err_set(err, GF_EXIT_NOINPUT, "commit",
			    "%s: '%s' is missing: nothing committed", field,
			    path);
		gf_err_warn(p->warn, p->arg, "%s: '%s' is missing, not "
		    "committed (an earlier step failed)", field, path);
		return 0;
	}
	if (in_plan(p, path))
		return 0;
	if (add_source(p, path, dst != NULL ? dst : base_name(path),
	    err) == 0)
		return 0;
	gf_err_prefix(err, "%s", field);
	if (!(flags & GF_PUBLISH_DOC_PARTIAL))
		return -1;
	gf_err_warn(p->warn, p->arg, "%s", err->msg);
	gf_err_clear(err);
	return 0;
}

int
gf_publish_add_doc(struct gf_publish_plan *p, const json_t *doc,
    const char *layout, unsigned flags, struct gf_err *err)
{
	const json_t *sec, *v;
	char *dst;
	int rc;

	if ((sec = json_object_get(doc, GF_SECTION_VALIDATE)) != NULL &&
	    (doc_paths(p, json_object_get(sec, GF_FIELD_VALIDATE_OUT), ".",
	    GF_SECTION_VALIDATE "." GF_FIELD_VALIDATE_OUT, flags, err) < 0 ||
	    doc_paths(p, json_object_get(sec, GF_FIELD_VALIDATE_REPORT), NULL,
	    GF_SECTION_VALIDATE "." GF_FIELD_VALIDATE_REPORT, flags,
	    err) < 0 ||
	    doc_paths(p, json_object_get(sec, GF_FIELD_VALIDATE_JSON), NULL,
	    GF_SECTION_VALIDATE "." GF_FIELD_VALIDATE_JSON, flags, err) < 0))
		return -1;
	/* train.out is the pipeline directory: kept by its name. */
	if ((sec = json_object_get(doc, GF_SECTION_TRAIN)) != NULL &&
	    json_is_string(v = json_object_get(sec, GF_FIELD_TRAIN_OUT))) {
		dst = gf_xasprintf("%s%s", strcmp(layout, "model-db") == 0 ?
		    "/" : "", base_name(json_string_value(v)));
		rc = doc_paths(p, v, dst, GF_SECTION_TRAIN "."
		    GF_FIELD_TRAIN_OUT, flags, err);
		free(dst);
		if (rc < 0)
			return -1;
	}
	if ((sec = json_object_get(doc, GF_SECTION_SNAPSHOT)) != NULL) {
		v = json_object_get(sec, GF_FIELD_SNAPSHOT_ARCHIVE);
		dst = json_is_string(v) ? gf_xasprintf("prometheus-snapshot/%s",
		    base_name(json_string_value(v))) :
		    gf_xstrdup("prometheus-snapshot/");
		rc = doc_paths(p, v, dst, GF_SECTION_SNAPSHOT "."
		    GF_FIELD_SNAPSHOT_ARCHIVE, flags, err);
		free(dst);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/*
 * Resolve the final paths, check sizes, budget and secrets, and store
 * the blobs (g may be NULL for a dry run). Nothing is committed unless
 * every file passes.
 */
int
gf_publish_prepare(struct gf_publish_plan *p, const char *dir,
    uint64_t max_file, uint64_t max_total, struct gf_git *g,
    struct gf_err *err)
{
	struct stat st;

	for (size_t i = 0; i < p->n; i++) {
		struct gf_publish_item *it = &p->items[i];
		char *full = gf_layout_join(dir, it->dst);

		free(it->dst);
		it->dst = full;
		if (gf_layout_check_path(it->dst, "destination", err) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(p->items[j].dst, it->dst) == 0)
				return gf_err_set(err, GF_EXIT_USAGE, "commit",
				    "'%s' and '%s' both go to '%s'",
				    p->items[j].src, it->src, it->dst);
		if (stat(it->src, &st) < 0)
			return gf_err_set(err, GF_EXIT_NOINPUT, "commit",
			    "cannot read '%s': %s", it->src, strerror(errno));
		it->size = (uint64_t)st.st_size;
		if (it->size > max_file)
			return gf_err_set(err, GF_EXIT_DATAERR, "commit",
			    "'%s' is %llu bytes, over the per-file limit of "
			    "%llu (--max-file-size): not committed", it->src,
			    (unsigned long long)it->size,
			    (unsigned long long)max_file);
		p->total += it->size;
	}
	if (p->total > max_total)
		return gf_err_set(err, GF_EXIT_DATAERR, "commit",
		    "%zu files of %llu bytes in all, over the budget of %llu "
		    "(--max-total): nothing committed", p->n,
		    (unsigned long long)p->total,
		    (unsigned long long)max_total);
	for (size_t i = 0; i < p->n; i++) {
		struct gf_publish_item *it = &p->items[i];
		size_t len;
		char *data = gf_fs_read(it->src, 0, &len, err);
		int rc = 0;

		if (data == NULL)
			return -1;
		if (gf_log_has_secret(data, len))
			rc = gf_err_set(err, GF_EXIT_DATAERR, "commit",
			    "'%s' contains the value of a secret (a token or "
			    "a GF_SECRET_* variable): nothing committed",
			    it->src);
		else if (g != NULL)
			rc = gf_git_blob(g, data, len, it->oid, err);
		free(data);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
taken(const struct gf_publish_plan *p, size_t upto, const char *path)
{
	for (size_t i = 0; i < upto; i++)
		if (p->items[i].final != NULL &&
		    strcmp(p->items[i].final, path) == 0)
			return 1;
	return 0;
}

/* Decide each file's path on the current base, by the exists policy. */
static int
place(struct gf_publish_plan *p, struct gf_git *g, const char *policy,
    struct gf_err *err)
{
	char oid[GF_GIT_OID_HEX];

	for (size_t i = 0; i < p->n; i++) {
		struct gf_publish_item *it = &p->items[i];
		char *path = gf_xstrdup(it->dst);
		unsigned n = 1;
		int rc;

		free(it->final);
		it->final = NULL;
		it->status = "added";
		for (;;) {
			rc = g != NULL ?
			    gf_git_base_lookup(g, path, oid, err) : 0;
			if (rc < 0) {
				free(path);
				return -1;
			}
			if (rc == 0 && !taken(p, i, path))
				break;
			if (rc == 1 && strcmp(oid, it->oid) == 0) {
				it->status = "unchanged";
				break;
			}
			if (rc == 1 && strcmp(policy, "replace") == 0) {
				it->status = "replaced";
				break;
			}
			if (rc == 1 && strcmp(policy, "skip") == 0) {
				it->status = "skipped";
				break;
			}
			if (strcmp(policy, "fail") == 0 || n > 999) {
				gf_err_set(err, GF_EXIT_CANTCREAT, "commit",
				    "'%s' already exists in the repository "
				    "(--exists %s)", path, policy);
				free(path);
				return -1;
			}
			free(path);
			path = gf_layout_numbered(it->dst, ++n);
		}
		it->final = path;
	}
	return 0;
}

/* The main file of a run, linked from its index row. */
static const char *
report_of(const struct gf_publish_plan *p)
{
	const char *first = NULL;

	for (size_t i = 0; i < p->n; i++) {
		const char *f = p->items[i].final, *b;
		size_t n = strlen(f);

		if (strcmp(p->items[i].status, "skipped") == 0)
			continue;
		b = base_name(f);
		if (n > 3 && strcmp(f + n - 3, ".md") == 0) {
			if (strncmp(b, "report", 6) == 0)
				return f;
			if (first == NULL || strstr(first, ".md") == NULL)
				first = f;
		} else if (first == NULL) {
			first = f;
		}
	}
	return first;
}


void
gf_publish_attempt_release(struct gf_publish_attempt *a)
{
	free(a->changes);
	free(a->index_text);
	memset(a, 0, sizeof(*a));
}


/* Placements and the index row on the current base; *row is replaced. */
int
gf_publish_build(struct gf_publish_plan *p, struct gf_git *g,
    const char *policy, const struct gf_publish_shape *sh, char **row,
    struct gf_publish_attempt *a, struct gf_err *err)
{
	const struct gf_layout_index *ix = sh->ix;
	char *old = NULL;
	int rc;

	gf_publish_attempt_release(a);
	if (place(p, g, policy, err) < 0)
		return -1;
	free(*row);
	*row = NULL;
	if (ix != NULL)
		*row = gf_layout_row(sh->layout, sh->v, ix->path, sh->dir,
		    report_of(p));
	a->changes = gf_xcalloc(p->n + 1, sizeof(*a->changes));
	for (size_t i = 0; i < p->n; i++) {
		struct gf_publish_item *it = &p->items[i];

		if (strcmp(it->status, "added") != 0 &&
		    strcmp(it->status, "replaced") != 0)
			continue;
		a->changes[a->nchanges].path = it->final;
		memcpy(a->changes[a->nchanges].oid, it->oid, GF_GIT_OID_HEX);
		a->nchanges++;
	}
	if (ix == NULL)
		return 0;
	if (g != NULL && (rc = gf_git_base_read(g, ix->path, &old, NULL,
	    err)) < 0)
		return -1;
	a->index_text = gf_layout_append_row(old, ix, *row, &a->row_added);
	free(old);
	if (a->row_added && g != NULL) {
		if (gf_git_blob(g, a->index_text, strlen(a->index_text),
		    a->index_oid, err) < 0)
			return -1;
		a->changes[a->nchanges].path = ix->path;
		memcpy(a->changes[a->nchanges].oid, a->index_oid,
		    GF_GIT_OID_HEX);
		a->nchanges++;
	}
	return 0;
}

void
gf_publish_mask_secrets(char *const *envp)
{
	static const char *names[] = { "GF_GIT_TOKEN", "GITHUB_TOKEN",
	    "GF_GIT_SSH_PASSPHRASE", "AWS_SECRET_ACCESS_KEY",
	    "AWS_SESSION_TOKEN" };

	for (size_t i = 0; i < GF_ARRAY_LEN(names); i++) {
		const char *v = getenv(names[i]);

		if (v != NULL && *v != '\0')
			gf_log_mask(v);
	}
	for (char *const *e = envp; *e != NULL; e++)
		if (strncmp(*e, "GF_SECRET_", 10) == 0 &&
		    strchr(*e, '=') != NULL)
			gf_log_mask(strchr(*e, '=') + 1);
}

int
gf_publish_parse_ident(const char *s, const char *what, char **name,
    char **email, struct gf_err *err)
{
	const char *lt = strchr(s, '<'), *gt = strrchr(s, '>');
	size_t n;

	if (lt == NULL || gt == NULL || gt < lt)
		return gf_err_set(err, GF_EXIT_USAGE, "commit",
		    "%s '%s': expected 'Name <email>'", what, s);
	n = (size_t)(lt - s);
	while (n > 0 && s[n - 1] == ' ')
		n--;
	*name = gf_xstrndup(s, n);
	*email = gf_xstrndup(lt + 1, (size_t)(gt - lt - 1));
	return 0;
}

char *
gf_publish_message(const char *first, const char *layout,
    const struct gf_layout_vars *v, const char *run_id,
    const struct gf_git_ident *signoff)
{
	struct gf_buf b = GF_BUF_INIT;

	if (first != NULL)
		gf_buf_adds(&b, first);
	else if (strcmp(layout, "validation") == 0)
		gf_buf_addf(&b, "Add validation report for %s", v->date);
	else if (strcmp(layout, "train-validate-e2e") == 0)
		gf_buf_addf(&b, "Add train and validate results for %s_%s",
		    v->date, v->time);
	else if (strcmp(layout, "model-db") == 0)
		gf_buf_addf(&b, "Add models of %s", v->date);
	else
		gf_buf_addf(&b, "Add results for %s %s", v->date, v->time);
	gf_buf_adds(&b, "\n");
	if (run_id != NULL)
		gf_buf_addf(&b, "\nRun: %s\n", run_id);
	if (signoff != NULL)
		gf_buf_addf(&b, "%sSigned-off-by: %s <%s>\n",
		    run_id != NULL ? "" : "\n", signoff->name, signoff->email);
	return gf_buf_detach(&b);
}

void
gf_publish_auth_env(struct gf_git_auth *auth)
{
	auth->token = getenv("GF_GIT_TOKEN");
	auth->token_source = "GF_GIT_TOKEN";
	if (auth->token == NULL || *auth->token == '\0') {
		auth->token = getenv("GITHUB_TOKEN");
		auth->token_source = "GITHUB_TOKEN";
	}
	if (auth->token != NULL && *auth->token == '\0')
		auth->token = NULL;
	auth->user = getenv("GF_GIT_USER");
	auth->ssh_passphrase = getenv("GF_GIT_SSH_PASSPHRASE");
}

char *
gf_publish_scratch_dir(struct gf_err *err)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = gf_xasprintf("%s/gf-commit.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");

	if (mkdtemp(dir) != NULL)
		return dir;
	gf_err_set(err, GF_EXIT_CANTCREAT, "commit",
	    "cannot create a work directory '%s': %s", dir, strerror(errno));
	free(dir);
	return NULL;
}

json_t *
gf_publish_files_json(const struct gf_publish_plan *p)
{
	json_t *a = json_array();

	for (size_t i = 0; i < p->n; i++) {
		const struct gf_publish_item *it = &p->items[i];
		char *src = gf_section_path(it->src);

		json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:s}",
		    "path", it->final != NULL ? it->final : it->dst,
		    "source", src, "bytes", (json_int_t)it->size,
		    "status", it->status != NULL ? it->status : "planned"));
		free(src);
	}
	return a;
}

int
gf_publish_s3(const struct gf_publish_plan *p, const char *url,
    const char *endpoint, json_t *sec, struct gf_err *err)
{
	struct gf_s3 *s3 = gf_s3_new(url, endpoint, err);
	json_t *objs;
	uint64_t bytes = 0;
	int rc = 0;

	if (s3 == NULL)
		return -1;
	objs = json_array();
	for (size_t i = 0; i < p->n && rc == 0; i++) {
		const struct gf_publish_item *it = &p->items[i];
		const char *path = it->final != NULL ? it->final : it->dst;
		char *key = NULL;

		rc = gf_s3_put_file(s3, path, it->src, &key, err);
		if (rc == 0) {
			json_array_append_new(objs, json_string(key));
			bytes += it->size;
		}
		free(key);
	}
	json_object_set_new(sec, "s3", json_pack("{s:s, s:o, s:I}", "url",
	    url, "objects", objs, "bytes", (json_int_t)bytes));
	gf_s3_free(s3);
	return rc;
}

int
gf_publish_dry_run(struct gf_publish_plan *p, const char *policy,
    const struct gf_publish_shape *sh, char **row, gf_warn_fn *note,
    void *arg, struct gf_err *err)
{
	struct gf_publish_attempt a = GF_PUBLISH_ATTEMPT_INIT;

	if (gf_publish_build(p, NULL, policy, sh, row, &a, err) < 0)
		return -1;
	for (size_t i = 0; i < p->n; i++)
		gf_err_warn(note, arg, "would add %s (%llu bytes, from %s)",
		    p->items[i].final, (unsigned long long)p->items[i].size,
		    p->items[i].src);
	if (*row != NULL)
		gf_err_warn(note, arg, "would append to %s: %s", sh->ix->path,
		    *row);
	gf_publish_attempt_release(&a);
	return 0;
}

/* Full jitter in [d/2, d], d doubling from 0.2 s up to 4 s. */
static void
backoff(int attempt)
{
	double d = 0.2, max = 4.0;

	for (int i = 1; i < attempt && d < max; i++)
		d *= 2;
	if (d > max)
		d = max;
	gf_time_sleep(d / 2 + d / 2 * ((double)rand() / RAND_MAX), 0);
}

int
gf_publish_push(struct gf_publish_plan *p, struct gf_git *g,
    struct gf_publish_push *x, struct gf_err *err)
{
	struct gf_publish_attempt a = GF_PUBLISH_ATTEMPT_INIT;
	const char *why = NULL;
	int rc = -1, pr;

	x->pushed = 0;
	x->sha[0] = '\0';
	for (x->attempts = 1; x->attempts <= x->retries; x->attempts++) {
		if (x->attempts > 1)
			backoff(x->attempts - 1);
		if (gf_git_fetch(g, x->branch, err) < 0) {
			if (err->exit == GF_EXIT_TEMPFAIL &&
			    x->attempts < x->retries) {
				gf_err_warn(x->warn, x->arg, "attempt %d: %s; "
				    "retrying", x->attempts, err->msg);
				continue;
			}
			if (err->exit == GF_EXIT_TEMPFAIL)
				gf_err_prefix(err, "gave up after %d attempts",
				    x->attempts);
			goto out;
		}
		if (gf_publish_build(p, g, x->policy, x->shape, &x->row, &a,
		    err) < 0)
			goto out;
		if (a.nchanges == 0) {
			gf_err_warn(x->note, x->arg, "nothing new: every file "
			    "and row is already on '%s'", x->branch);
			snprintf(x->sha, sizeof(x->sha), "%s", gf_git_base(g));
			rc = 0;
			goto out;
		}
		if (gf_git_commit(g, a.changes, a.nchanges, x->message,
		    &x->author, &x->committer, x->sha, err) < 0)
			goto out;
		pr = gf_git_publish(g, x->branch, &why, err);
		if (pr == 0) {
			if (why != NULL)
				gf_err_warn(x->warn, x->arg, "%s", why);
			x->pushed = 1;
			rc = 0;
			goto out;
		}
		if (pr < 0 && err->exit == GF_EXIT_TEMPFAIL &&
		    x->attempts >= x->retries)
			gf_err_prefix(err, "gave up after %d attempts",
			    x->attempts);
		if (pr < 0 && (err->exit != GF_EXIT_TEMPFAIL ||
		    x->attempts >= x->retries))
			goto out;
		gf_err_warn(x->note, x->arg, "attempt %d: %s; fetching and "
		    "trying again", x->attempts, pr > 0 ? (why != NULL ? why :
		    "rejected") : err->msg);
		x->sha[0] = '\0';
	}
	x->attempts = (int)x->retries;
	gf_err_set(err, GF_EXIT_TEMPFAIL, "commit", "'%s' kept moving: gave up "
	    "after %lld attempts (--retries)", x->branch, x->retries);
out:
	x->row_added = a.row_added;
	gf_publish_attempt_release(&a);
	return rc;
}

void
gf_publish_push_json(const struct gf_publish_push *x,
    const struct gf_git *g, const char *repo, int ok, json_t *sec)
{
	char *web;

	if (x->pushed)
		json_object_set_new(sec, "parent", *gf_git_base(g) != '\0' ?
		    json_string(gf_git_base(g)) : json_null());
	json_object_set_new(sec, "index_row_added",
	    json_boolean(x->row_added));
	if (!ok)
		return;
	json_object_set_new(sec, "sha", json_string(x->sha));
	json_object_set_new(sec, "attempts", json_integer(x->attempts));
	if ((web = gf_git_web_url(repo, x->sha)) != NULL)
		json_object_set_new(sec, "web_url", json_string(web));
	free(web);
}

void
gf_publish_plan_release(struct gf_publish_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->items[i].src);
		free(p->items[i].dst);
		free(p->items[i].final);
	}
	free(p->items);
	p->items = NULL;
	p->n = 0;
	p->total = 0;
}
