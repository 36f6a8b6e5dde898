/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf-commit: publish a run's results. Places files in a results
 * repository by a layout, appends index rows, commits and pushes
 * (libgit2; a token over HTTPS or an SSH key), and on a push rejected
 * because the branch moved fetches, re-applies the same placements and
 * rows on the new tip and tries again, a bounded number of times.
 * Optionally uploads the same files to S3-compatible storage.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_doc.h"
#include "gf_err.h"
#include "gf_fs.h"
#include "gf_git.h"
#include "gf_http.h"
#include "gf_layout.h"
#include "gf_log.h"
#include "gf_parse.h"
#include "gf_publish.h"
#include "gf_tool.h"
#include "gf_xalloc.h"
#include "gf_section.h"
#include "gf_banned.h"

#define DEFAULT_NAME "github-actions[bot]"
#define DEFAULT_EMAIL "41898282+github-actions[bot]@users.noreply.github.com"

extern char **environ;

static const char *const policies[] = { "rename", "replace", "skip", "fail",
	NULL };

/* Credentials are not options: they come from the environment only. */
static const struct gf_opt opts[] = {
	GF_OPT_INPUT, GF_OPT_CONFIG, GF_OPT_HELP, GF_OPT_VERSION,
	{ .name = "repo", .letter = 'r', .kind = GF_OPT_STRING, .arg = "REPO",
	  .help = "results repository: URL or directory",
	  .env = "GF_COMMIT_REPO" },
	{ .name = "branch", .letter = 'b', .kind = GF_OPT_STRING,
	  .arg = "BRANCH", .help = "branch to commit to",
	  .env = "GF_COMMIT_BRANCH", .def = "main" },
	{ .name = "layout", .letter = 'l', .kind = GF_OPT_STRING,
	  .arg = "LAYOUT", .help = "validation, train-validate-e2e, model-db, "
	  "a template", .env = "GF_COMMIT_LAYOUT", .def = "validation" },
	{ .name = "add", .letter = 'a', .kind = GF_OPT_LIST,
	  .arg = "SRC[:DST]", .help = "a file or directory to add (repeatable)",
	  .flags = GF_OPT_CLI },
	{ .name = "message", .letter = 'm', .kind = GF_OPT_STRING,
	  .arg = "TEXT", .help = "first line of the commit message",
	  .env = "GF_COMMIT_MESSAGE" },
	{ .name = "dry-run", .letter = 'n', .kind = GF_OPT_FLAG,
	  .help = "check and print the plan only", .flags = GF_OPT_CLI },
	{ .name = "tag", .kind = GF_OPT_STRING, .arg = "TAG",
	  .help = "the layout's {tag}", .env = "GF_COMMIT_TAG",
	  .doc = GF_DOC_RUN_LABELS_TAG, .def = "gf" },
	{ .name = "model", .kind = GF_OPT_STRING, .arg = "NAME",
	  .help = "the layout's {model}", .env = "GF_COMMIT_MODEL",
	  .doc = GF_DOC_TRAIN_MODEL, .def = "model" },
	{ .name = "suffix", .kind = GF_OPT_STRING, .arg = "SUFFIX",
	  .help = "the layout's {suffix}", .env = "GF_COMMIT_SUFFIX" },
	{ .name = "signoff", .kind = GF_OPT_FLAG, .help = "add Signed-off-by",
	  .env = "GF_COMMIT_SIGNOFF" },
	{ .name = "author", .kind = GF_OPT_STRING, .arg = "'NAME <EMAIL>'",
	  .help = "author identity (GIT_AUTHOR_*, github-actions[bot])",
	  .env = "GF_COMMIT_AUTHOR" },
	{ .name = "exists", .kind = GF_OPT_STRING, .arg = "POLICY",
	  .help = "a file already there: rename, replace, skip or fail",
	  .env = "GF_COMMIT_EXISTS", .def = "rename", .choices = policies },
	{ .name = "index", .kind = GF_OPT_STRING, .arg = "FILE",
	  .help = "another index file for the row", .env = "GF_COMMIT_INDEX" },
	{ .name = "no-index", .kind = GF_OPT_FLAG,
	  .help = "append no index row" },
	{ .name = "no-doc", .kind = GF_OPT_FLAG,
	  .help = "take no files from the document" },
	{ .name = "init", .kind = GF_OPT_FLAG,
	  .help = "create a missing local repository" },
	{ .name = "max-file-size", .kind = GF_OPT_SIZE, .arg = "SIZE",
	  .help = "largest file", .env = "GF_COMMIT_MAX_FILE_SIZE",
	  .def = "50MB" },
	{ .name = "max-total", .kind = GF_OPT_SIZE, .arg = "SIZE",
	  .help = "largest total", .env = "GF_COMMIT_MAX_TOTAL", .def = "1GB" },
	{ .name = "retries", .kind = GF_OPT_INT, .arg = "N",
	  .help = "attempts in all", .env = "GF_COMMIT_RETRIES", .def = "10",
	  .min = 1, .max = 100 },
	{ .name = "ssh-key", .kind = GF_OPT_STRING, .arg = "FILE",
	  .help = "private key for SSH URLs", .env = "GF_GIT_SSH_KEY" },
	{ .name = "known-hosts", .kind = GF_OPT_STRING, .arg = "FILE",
	  .help = "check the SSH host key", .env = "GF_GIT_KNOWN_HOSTS" },
	{ .name = "ca-file", .kind = GF_OPT_STRING, .arg = "FILE",
	  .help = "CA certificates for HTTPS", .env = "GF_CA_FILE" },
	{ .name = "s3", .kind = GF_OPT_STRING, .arg = "s3://B/PREFIX",
	  .help = "also upload the files to S3", .env = "GF_COMMIT_S3" },
	{ .name = "s3-endpoint", .kind = GF_OPT_STRING, .arg = "URL",
	  .help = "S3-compatible endpoint", .env = "GF_S3_ENDPOINT" },
	{ .name = "work-dir", .kind = GF_OPT_STRING, .arg = "DIR",
	  .help = "keep the scratch clone here", .env = "GF_COMMIT_WORK_DIR" },
};

static const struct gf_cli cli = {
	.name = "gf-commit",
	.synopsis = "[-hnV] [-a src[:dst]] [-b branch] [-c file] [-i file] "
	    "[-l layout] [-m message] [-r repo] [option ...]",
	.opts = opts, .nopts = GF_ARRAY_LEN(opts),
	.footer = "Token: GF_GIT_TOKEN, else GITHUB_TOKEN. Sizes: 50MB, 1GiB. "
	    "See gf-commit(1).",
};

struct run {
	const struct gf_settings *set;
	const char *repo, *branch, *layout, *exists, *s3;
	char *name, *email, *cname, *cemail;
	char *dir, *message, *work_dir, *row;
	int have_ix, dry_run;
	long long retries;
	uint64_t max_file, max_total;
	struct gf_layout_index ix;
	struct gf_layout_vars v;
	char date[GF_LAYOUT_WHEN_LEN], time[GF_LAYOUT_WHEN_LEN];
};

static const char *
env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : def;
}

static uint64_t
bytes(const struct gf_settings *s, const char *name)
{
	double n = gf_opt_num(s, name);

	return n >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)n;
}

/*
 * A value only the tool can check (err filled): the command line's exit
 * status when given there, 78 when it came from the environment or the
 * -c file.
 */
static int
refused(const struct gf_settings *s, const char *name, struct gf_err *err)
{
	const char *src = gf_opt_source(s, name);

	if (src != NULL && src[0] != '-')
		err->exit = GF_EXIT_CONFIG;
	return -1;
}

/*
 * The layout's {tag} has a second document field, stack.kepler.version:
 * it comes after run.labels.tag and before the -c file, as documents do.
 */
static const char *
tag_of(const struct gf_settings *s, const json_t *doc)
{
	const char *src = gf_opt_source(s, "tag");
	const char *version = gf_doc_path_string(doc,
	    GF_DOC_STACK_KEPLER_VERSION);
	size_t n = s->config_path != NULL ? strlen(s->config_path) : 0;

	if (version != NULL && (src == NULL || (n > 0 &&
	    strncmp(src, s->config_path, n) == 0)))
		return version;
	return gf_opt_str(s, "tag");
}

static int
settings(const struct gf_tool *t, struct run *r, struct gf_err *err)
{
	const struct gf_settings *s = &t->set;
	const char *v, *author;
	double start = gf_time_now();

	r->set = s;
	r->repo = gf_opt_str(s, "repo");
	r->branch = gf_opt_str(s, "branch");
	r->layout = gf_opt_str(s, "layout");
	r->exists = gf_opt_str(s, "exists");
	r->s3 = gf_opt_str(s, "s3");
	r->dry_run = gf_opt_flag(s, "dry-run");
	r->max_file = bytes(s, "max-file-size");
	r->max_total = bytes(s, "max-total");
	r->retries = (long long)gf_opt_num(s, "retries");
	if (!gf_git_branch_ok(r->branch)) {
		gf_err_set(err, GF_EXIT_USAGE, "commit", "%s '%s': not a valid "
		    "branch name", gf_opt_source(s, "branch"), r->branch);
		return refused(s, "branch", err);
	}
	v = gf_doc_path_string(t->doc, GF_DOC_RUN_START);
	if (v != NULL && gf_parse_time(v, GF_DOC_RUN_START, &start, err) < 0)
		start = gf_time_now();
	gf_err_clear(err);
	gf_layout_set_time(&r->v, start, r->date, r->time);
	r->v.run = gf_doc_path_string(t->doc, GF_DOC_RUN_ID);
	r->v.tag = tag_of(s, t->doc);
	r->v.model = gf_opt_str(s, "model");
	r->v.suffix = gf_opt_str(s, "suffix");
	if ((r->dir = gf_layout_dir(r->layout, &r->v, err)) == NULL)
		return refused(s, "layout", err);
	if (!gf_opt_flag(s, "no-index"))
		r->have_ix = gf_layout_index_of(r->layout, &r->ix);
	if (r->have_ix && (v = gf_opt_str(s, "index")) != NULL) {
		r->ix.path = v;
		if (gf_layout_check_path(v, gf_opt_source(s, "index"), err) < 0)
			return refused(s, "index", err);
	}
	if ((author = gf_opt_str(s, "author")) != NULL) {
		if (gf_publish_parse_ident(author, gf_opt_source(s, "author"),
		    &r->name, &r->email, err) < 0)
			return refused(s, "author", err);
	} else {
		r->name = gf_xstrdup(env_or("GIT_AUTHOR_NAME", DEFAULT_NAME));
		r->email = gf_xstrdup(env_or("GIT_AUTHOR_EMAIL", DEFAULT_EMAIL));
	}
	r->cname = gf_xstrdup(env_or("GIT_COMMITTER_NAME", r->name));
	r->cemail = gf_xstrdup(env_or("GIT_COMMITTER_EMAIL", r->email));
	return 0;
}

static char *
message_of(const struct gf_tool *t, const struct run *r)
{
	struct gf_git_ident me = { r->name, r->email };

	return gf_publish_message(gf_opt_str(r->set, "message"), r->layout,
	    &r->v, gf_doc_path_string(t->doc, GF_DOC_RUN_ID),
	    gf_opt_flag(r->set, "signoff") ? &me : NULL);
}

static struct gf_git *
open_repo(struct run *r, struct gf_err *err)
{
	struct gf_git_auth auth = { NULL, NULL, NULL, NULL, NULL, NULL, NULL };
	const char *dir = gf_opt_str(r->set, "work-dir");

	if (!gf_git_is_remote_url(r->repo))
		return gf_git_open_local(r->repo, gf_opt_flag(r->set, "init") ?
		    r->branch : NULL, err);
	gf_publish_auth_env(&auth);
	auth.ssh_key = gf_opt_str(r->set, "ssh-key");
	auth.known_hosts = gf_opt_str(r->set, "known-hosts");
	auth.ca_file = gf_opt_str(r->set, "ca-file");
	if (dir != NULL)
		return gf_git_open_remote(r->repo, dir, &auth, err);
	/* A private scratch repository, removed at the end. */
	if ((r->work_dir = gf_publish_scratch_dir(err)) == NULL)
		return NULL;
	return gf_git_open_remote(r->repo, r->work_dir, &auth, err);
}

/* Fetch, build, commit, push; again on a moved branch. */
static int
publish(struct run *r, struct gf_git *g, struct gf_publish_plan *p,
    json_t *sec, struct gf_err *err)
{
	struct gf_publish_shape sh = { r->layout, r->dir, &r->v,
	    r->have_ix ? &r->ix : NULL };
	struct gf_publish_push x = { r->branch, r->exists, &sh, r->message,
	    { r->name, r->email }, { r->cname, r->cemail }, r->retries,
	    gf_log_warn_cb, gf_log_info_cb, NULL, 0, 0, 0, "", r->row };
	int rc = gf_publish_push(p, g, &x, err);

	r->row = x.row;
	gf_publish_push_json(&x, g, r->repo, rc == 0, sec);
	if (rc == 0)
		gf_info("committed %s to '%s' (%d attempt%s)", x.sha,
		    r->branch, x.attempts, x.attempts == 1 ? "" : "s");
	return rc;
}

int
main(int argc, char **argv)
{
	struct gf_tool t;
	struct gf_err err = GF_ERR_INIT;
	struct gf_publish_plan p = { NULL, 0, 0, gf_log_warn_cb, NULL };
	struct run r;
	struct gf_git *g = NULL;
	json_t *sec = NULL, *rows;
	const char *const *adds;
	size_t nadds;
	char *url = NULL;
	int failed = 1;

	memset(&r, 0, sizeof(r));
	gf_tool_parse(&t, &cli, argc, argv);
	/* Before any message, usage errors included. */
	gf_publish_mask_secrets(environ);
	gf_tool_read(&t, GF_TOOL_RUN_ANYWAY);
	srand((unsigned)getpid() ^ (unsigned)time(NULL));
	if (!gf_opt_given(&t.set, "repo") && !gf_opt_given(&t.set, "s3"))
		gf_tool_usage_error(&t, "no repository: give --repo (or "
		    "GF_COMMIT_REPO)");
	if (settings(&t, &r, &err) < 0)
		goto out;
	sec = json_object();
	json_object_set_new(t.doc, GF_SECTION_COMMIT, sec);
	if (r.repo != NULL) {
		/*
		 * Masks the credentials too, before anything is printed; a
		 * directory is absolute, as the document's paths are.
		 */
		url = gf_git_is_remote_url(r.repo) ?
		    gf_http_redact_url(r.repo) : gf_section_path(r.repo);
		json_object_set_new(sec, "remote", json_string(url));
	}
	json_object_set_new(sec, "branch", json_string(r.branch));
	json_object_set_new(sec, "layout", json_string(r.layout));
	json_object_set_new(sec, "dir", json_string(r.dir));
	json_object_set_new(sec, "dry_run", json_boolean(r.dry_run));
	adds = gf_opt_list(&t.set, "add", &nadds);
	for (size_t i = 0; i < nadds; i++)
		if (gf_publish_add(&p, adds[i], &err) < 0)
			goto out;
	if (!gf_opt_flag(&t.set, "no-doc") &&
	    gf_publish_add_doc(&p, t.doc, r.layout, t.inherited_exit != 0 ?
	    GF_PUBLISH_DOC_PARTIAL : 0, &err) < 0)
		goto out;
	if (p.n == 0) {
		gf_err_set(&err, GF_EXIT_NOINPUT, "commit", "nothing to "
		    "commit: no --add and no results in the document");
		goto out;
	}
	if (r.repo != NULL && !r.dry_run && (g = open_repo(&r, &err)) == NULL)
		goto out;
	if (gf_publish_prepare(&p, r.dir, r.max_file, r.max_total, g,
	    &err) < 0)
		goto out;
	r.message = message_of(&t, &r);
	if (r.dry_run) {
		struct gf_publish_shape sh = { r.layout, r.dir, &r.v,
		    r.have_ix ? &r.ix : NULL };

		if (gf_publish_dry_run(&p, r.exists, &sh, &r.row, gf_log_info_cb, NULL,
		    &err) < 0)
			goto out;
		if (r.repo != NULL)
			gf_info("would commit to '%s' branch '%s' and push",
			    url, r.branch);
		if (r.s3 != NULL)
			gf_info("would upload %zu files to %s", p.n, r.s3);
	} else if (g != NULL) {
		if (publish(&r, g, &p, sec, &err) < 0)
			goto out;
	}
	if (r.row != NULL) {
		rows = json_array();
		json_array_append_new(rows, json_pack("{s:s, s:s}", "index",
		    r.ix.path, "row", r.row));
		json_object_set_new(sec, "rows", rows);
	}
	json_object_set_new(sec, "files", gf_publish_files_json(&p));
	json_object_set_new(sec, "bytes", json_integer((json_int_t)p.total));
	if (r.s3 != NULL && !r.dry_run && gf_publish_s3(&p, r.s3,
	    gf_opt_str(&t.set, "s3-endpoint"), sec, &err) < 0)
		goto out;
	failed = 0;
out:
	if (failed && sec != NULL && json_object_get(sec, "files") == NULL &&
	    p.n > 0)
		json_object_set_new(sec, "files", gf_publish_files_json(&p));
	gf_git_free(g);
	if (r.work_dir != NULL) {
		struct gf_err rerr = GF_ERR_INIT;

		if (gf_fs_remove_tree(r.work_dir, &rerr) < 0)
			gf_warn("%s", rerr.msg);
		free(r.work_dir);
	}
	gf_publish_plan_release(&p);
	free(url);
	free(r.dir);
	free(r.row);
	free(r.message);
	free(r.name);
	free(r.email);
	free(r.cname);
	free(r.cemail);
	return gf_tool_finish(&t, failed ? &err : NULL, NULL);
}
