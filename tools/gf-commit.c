/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf-commit: publish a run's results. Places files in a results
 * repository by a layout, appends index rows, commits and pushes
 * (libgit2; a token over HTTPS or an SSH key), and on a push rejected
 * because the branch moved fetches, re-applies the same placements and
 * rows on the new tip and tries again, a bounded number of times.
 * Optionally uploads the same files to S3-compatible storage.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
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
#include "gf_setting.h"
#include "gf_tool.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

#define DEFAULT_NAME "github-actions[bot]"
#define DEFAULT_EMAIL "41898282+github-actions[bot]@users.noreply.github.com"

extern char **environ;

static struct {
	const char *input, *config, *repo, *branch, *layout, *tag, *model;
	const char *suffix, *message, *author, *exists, *ssh_key;
	const char *known_hosts, *work_dir, *s3, *s3_endpoint, *index;
	const char *ca_file;
	const char *max_file, *max_total, *retries;
	int dry_run, signoff, init, no_index, no_doc;
	const char **adds;
	size_t nadds;
} o;

static json_t *cfg;	/* the -c file, or NULL */

static void GF_NORETURN
usage(int code)
{
	fprintf(code == 0 ? stdout : stderr,
	    "usage: gf-commit [-hnsV] [-a src[:dst]] [-b branch] [-c file] "
	    "[-i file] [-l layout]\n"
	    "                 [-m message] [-r repo] [-t tag] [--author "
	    "'name <email>'] [--ca-file file]\n"
	    "                 [--exists policy] [--index file] [--init] "
	    "[--known-hosts file]\n"
	    "                 [--max-file-size size] "
	    "[--max-total size] [--model name] [--no-doc]\n"
	    "                 [--no-index] [--retries n] "
	    "[--s3 s3://bucket/prefix]\n"
	    "                 [--s3-endpoint url] [--ssh-key file] "
	    "[--suffix suffix] [--work-dir dir]\n");
	if (code == 0)
		fputs("\n"
		    "  -r, --repo REPO          results repository: URL or "
		    "directory\n"
		    "  -b, --branch BRANCH      branch to commit to (main)\n"
		    "  -l, --layout LAYOUT      validation, "
		    "train-validate-e2e, model-db, a template\n"
		    "  -a, --add SRC[:DST]      a file or directory to add "
		    "(repeatable)\n"
		    "  -t, --tag TAG            the layout's {tag}\n"
		    "  -m, --message TEXT       first line of the commit "
		    "message\n"
		    "  -s, --signoff            add Signed-off-by\n"
		    "  -n, --dry-run            check and print the plan "
		    "only\n"
		    "  -c, --config FILE        YAML settings (long option "
		    "names)\n"
		    "  -i, --input FILE         run document (default "
		    "stdin)\n"
		    "      --author 'N <E>'     author identity "
		    "(github-actions[bot])\n"
		    "      --exists POLICY      a file already there: rename "
		    "(default), replace,\n"
		    "                           skip or fail\n"
		    "      --index FILE         another index file for the "
		    "row\n"
		    "      --no-index           append no index row\n"
		    "      --no-doc             take no files from the "
		    "document\n"
		    "      --init               create a missing local "
		    "repository\n"
		    "      --model NAME         the layout's {model}\n"
		    "      --suffix SUFFIX      the layout's {suffix}\n"
		    "      --max-file-size SIZE largest file (50MB)\n"
		    "      --max-total SIZE     largest total (1GB)\n"
		    "      --retries N          attempts in all (10)\n"
		    "      --ssh-key FILE       private key for SSH URLs\n"
		    "      --known-hosts FILE   check the SSH host key\n"
		    "      --ca-file FILE       CA certificates for HTTPS\n"
		    "      --s3 s3://B/PREFIX   also upload the files to S3\n"
		    "      --s3-endpoint URL    S3-compatible endpoint\n"
		    "      --work-dir DIR       keep the scratch clone here\n"
		    "  -h, --help               this text\n"
		    "  -V, --version            print the version\n"
		    "Token: GF_GIT_TOKEN, else GITHUB_TOKEN. "
		    "See gf-commit(1).\n",
		    stdout);
	exit(code);
}

static void
note(const char *msg, void *arg)
{
	(void)arg;
	gf_info("%s", msg);
}

static const struct option longopts[] = {
	{ "add", required_argument, NULL, 'a' },
	{ "branch", required_argument, NULL, 'b' },
	{ "config", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ "input", required_argument, NULL, 'i' },
	{ "layout", required_argument, NULL, 'l' },
	{ "message", required_argument, NULL, 'm' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "repo", required_argument, NULL, 'r' },
	{ "signoff", no_argument, NULL, 's' },
	{ "tag", required_argument, NULL, 't' },
	{ "version", no_argument, NULL, 'V' },
	{ "author", required_argument, NULL, 1 },
	{ "exists", required_argument, NULL, 2 },
	{ "index", required_argument, NULL, 3 },
	{ "init", no_argument, NULL, 4 },
	{ "known-hosts", required_argument, NULL, 5 },
	{ "max-file-size", required_argument, NULL, 6 },
	{ "max-total", required_argument, NULL, 7 },
	{ "model", required_argument, NULL, 8 },
	{ "no-doc", no_argument, NULL, 9 },
	{ "no-index", no_argument, NULL, 10 },
	{ "retries", required_argument, NULL, 11 },
	{ "s3", required_argument, NULL, 12 },
	{ "s3-endpoint", required_argument, NULL, 13 },
	{ "ssh-key", required_argument, NULL, 14 },
	{ "suffix", required_argument, NULL, 15 },
	{ "work-dir", required_argument, NULL, 16 },
	{ "ca-file", required_argument, NULL, 17 },
	{ NULL, 0, NULL, 0 }
};

static void
parse_args(int argc, char **argv)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "a:b:c:hi:l:m:nr:st:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'a':
			o.adds = gf_xreallocarray(o.adds, o.nadds + 1,
			    sizeof(*o.adds));
			o.adds[o.nadds++] = optarg;
			break;
		case 'b': o.branch = optarg; break;
		case 'c': o.config = optarg; break;
		case 'h': usage(0);
		case 'i': o.input = optarg; break;
		case 'l': o.layout = optarg; break;
		case 'm': o.message = optarg; break;
		case 'n': o.dry_run = 1; break;
		case 'r': o.repo = optarg; break;
		case 's': o.signoff = 1; break;
		case 't': o.tag = optarg; break;
		case 'V': gf_tool_version();
		case 1: o.author = optarg; break;
		case 2: o.exists = optarg; break;
		case 3: o.index = optarg; break;
		case 4: o.init = 1; break;
		case 5: o.known_hosts = optarg; break;
		case 6: o.max_file = optarg; break;
		case 7: o.max_total = optarg; break;
		case 8: o.model = optarg; break;
		case 9: o.no_doc = 1; break;
		case 10: o.no_index = 1; break;
		case 11: o.retries = optarg; break;
		case 12: o.s3 = optarg; break;
		case 13: o.s3_endpoint = optarg; break;
		case 14: o.ssh_key = optarg; break;
		case 15: o.suffix = optarg; break;
		case 16: o.work_dir = optarg; break;
		case 17: o.ca_file = optarg; break;
		default: usage(GF_EXIT_USAGE);
		}
	}
	if (optind != argc) {
		gf_error("unexpected argument '%s'", argv[optind]);
		usage(GF_EXIT_USAGE);
	}
}

struct run {
	const char *repo, *branch, *layout, *exists, *s3;
	char *name, *email, *cname, *cemail;
	char *dir, *message, *work_dir, *row;
	int have_ix;
	long long retries;
	uint64_t max_file, max_total;
	struct gf_layout_index ix;
	struct gf_layout_vars v;
	char date[GF_LAYOUT_WHEN_LEN], time[GF_LAYOUT_WHEN_LEN];
};

static int
settings(struct gf_tool *t, struct run *r, struct gf_err *err)
{
	const char *s, *author;
	double start = gf_time_now();

	r->repo = gf_setting(cfg, o.repo, "GF_COMMIT_REPO", NULL, "repo", NULL);
	r->branch = gf_setting(cfg, o.branch, "GF_COMMIT_BRANCH", NULL,
	    "branch", "main");
	r->layout = gf_setting(cfg, o.layout, "GF_COMMIT_LAYOUT", NULL,
	    "layout", "validation");
	r->exists = gf_setting(cfg, o.exists, "GF_COMMIT_EXISTS", NULL,
	    "exists", "rename");
	r->s3 = gf_setting(cfg, o.s3, "GF_COMMIT_S3", NULL, "s3", NULL);
	if (r->repo == NULL && r->s3 == NULL)
		return gf_err_set(err, GF_EXIT_USAGE, "commit",
		    "no repository: give --repo (or GF_COMMIT_REPO)");
	if (!gf_git_branch_ok(r->branch))
		return gf_err_set(err, GF_EXIT_USAGE, "commit",
		    "--branch '%s': not a valid branch name", r->branch);
	if (strcmp(r->exists, "rename") != 0 &&
	    strcmp(r->exists, "replace") != 0 &&
	    strcmp(r->exists, "skip") != 0 && strcmp(r->exists, "fail") != 0)
		return gf_err_set(err, GF_EXIT_USAGE, "commit", "--exists "
		    "'%s': expected rename, replace, skip or fail", r->exists);
	if (gf_parse_size(gf_setting(cfg, o.max_file,
	    "GF_COMMIT_MAX_FILE_SIZE", NULL, "max-file-size", "50MB"),
	    "--max-file-size", &r->max_file, err) < 0 ||
	    gf_parse_size(gf_setting(cfg, o.max_total, "GF_COMMIT_MAX_TOTAL",
	    NULL, "max-total", "1GB"), "--max-total", &r->max_total, err) < 0 ||
	    gf_parse_int(gf_setting(cfg, o.retries, "GF_COMMIT_RETRIES", NULL,
	    "retries", "10"), 1, 100, "--retries", &r->retries, err) < 0)
		return -1;
	s = gf_json_path_string(t->doc, "run.start");
	if (s != NULL && gf_parse_time(s, "run.start", &start, err) < 0)
		start = gf_time_now();
	gf_layout_set_time(&r->v, start, r->date, r->time);
	r->v.run = gf_json_path_string(t->doc, "run.id");
	s = gf_json_path_string(t->doc, "run.labels.tag");
	r->v.tag = gf_setting(cfg, o.tag, "GF_COMMIT_TAG", s != NULL ? s :
	    gf_json_path_string(t->doc, "stack.kepler.version"), "tag", "gf");
	r->v.model = gf_setting(cfg, o.model, "GF_COMMIT_MODEL",
	    gf_json_path_string(t->doc, "train.model"), "model", "model");
	r->v.suffix = gf_setting(cfg, o.suffix, "GF_COMMIT_SUFFIX", NULL,
	    "suffix", NULL);
	if ((r->dir = gf_layout_dir(r->layout, &r->v, err)) == NULL)
		return -1;
	if (!gf_setting_flag(cfg, o.no_index, NULL, "no-index"))
		r->have_ix = gf_layout_index_of(r->layout, &r->ix);
	if (r->have_ix && (s = gf_setting(cfg, o.index, "GF_COMMIT_INDEX", NULL,
	    "index", NULL)) != NULL) {
		r->ix.path = s;
		if (gf_layout_check_path(s, "--index", err) < 0)
			return -1;
	}
	author = gf_setting(cfg, o.author, "GF_COMMIT_AUTHOR", NULL, "author",
	    NULL);
	if (author != NULL) {
		if (gf_publish_parse_ident(author, "--author", &r->name,
		    &r->email, err) < 0)
			return -1;
	} else {
		r->name = gf_xstrdup(gf_setting(NULL, NULL, "GIT_AUTHOR_NAME",
		    NULL, NULL, DEFAULT_NAME));
		r->email = gf_xstrdup(gf_setting(NULL, NULL, "GIT_AUTHOR_EMAIL",
		    NULL, NULL, DEFAULT_EMAIL));
	}
	r->cname = gf_xstrdup(gf_setting(NULL, NULL, "GIT_COMMITTER_NAME", NULL,
	    NULL, r->name));
	r->cemail = gf_xstrdup(gf_setting(NULL, NULL, "GIT_COMMITTER_EMAIL",
	    NULL, NULL, r->email));
	return 0;
}

static char *
message_of(const struct gf_tool *t, const struct run *r)
{
	struct gf_git_ident me = { r->name, r->email };

	return gf_publish_message(gf_setting(cfg, o.message,
	    "GF_COMMIT_MESSAGE", NULL, "message", NULL), r->layout, &r->v,
	    gf_json_path_string(t->doc, "run.id"), gf_setting_flag(cfg,
	    o.signoff, "GF_COMMIT_SIGNOFF", "signoff") ? &me : NULL);
}

static struct gf_git *
open_repo(struct run *r, struct gf_err *err)
{
	struct gf_git_auth auth = { NULL, NULL, NULL, NULL, NULL, NULL, NULL };
	const char *tmp;

	if (!gf_git_is_remote_url(r->repo))
		return gf_git_open_local(r->repo, gf_setting_flag(cfg, o.init,
		    NULL, "init") ? r->branch : NULL, err);
	gf_publish_auth_env(&auth);
	auth.ssh_key = gf_setting(cfg, o.ssh_key, "GF_GIT_SSH_KEY", NULL,
	    "ssh-key", NULL);
	auth.known_hosts = gf_setting(cfg, o.known_hosts, "GF_GIT_KNOWN_HOSTS",
	    NULL, "known-hosts", NULL);
	auth.ca_file = gf_setting(cfg, o.ca_file, "GF_CA_FILE", NULL, "ca-file",
	    NULL);
	tmp = gf_setting(cfg, o.work_dir, "GF_COMMIT_WORK_DIR", NULL,
	    "work-dir", NULL);
	if (tmp != NULL)
		return gf_git_open_remote(r->repo, tmp, &auth, err);
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
	    gf_log_warn_cb, note, NULL, 0, 0, 0, "", r->row };
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
	json_t *sec, *rows;
	char *url = NULL;
	int failed = 1;

	memset(&r, 0, sizeof(r));
	gf_setprogname(argv[0]);
	parse_args(argc, argv);
	srand((unsigned)getpid() ^ (unsigned)time(NULL));
	if (o.config != NULL && (cfg = gf_config_load(o.config, &err)) == NULL)
		gf_die_err(&err);
	gf_publish_mask_secrets(environ);
	gf_tool_begin(&t, "gf-commit", o.input, GF_TOOL_RUN_ANYWAY);
	sec = json_object();
	json_object_set_new(t.doc, "commit", sec);
	if (settings(&t, &r, &err) < 0) {
		if (err.exit == GF_EXIT_USAGE) {
			json_object_del(t.doc, "commit");
			gf_error("%s", err.msg);
			usage(GF_EXIT_USAGE);
		}
		goto out;
	}
	if (r.repo != NULL) {
		/* Masks the credentials too, before anything is printed. */
		url = gf_http_redact_url(r.repo);
		json_object_set_new(sec, "remote", json_string(url));
	}
	json_object_set_new(sec, "branch", json_string(r.branch));
	json_object_set_new(sec, "layout", json_string(r.layout));
	json_object_set_new(sec, "dir", json_string(r.dir));
	json_object_set_new(sec, "dry_run", json_boolean(o.dry_run));
	for (size_t i = 0; i < o.nadds; i++)
		if (gf_publish_add(&p, o.adds[i], &err) < 0)
			goto out;
	if (!gf_setting_flag(cfg, o.no_doc, NULL, "no-doc") &&
	    gf_publish_add_doc(&p, t.doc, r.layout, t.inherited_exit != 0 ?
	    GF_PUBLISH_DOC_PARTIAL : 0, &err) < 0)
		goto out;
	if (p.n == 0) {
		gf_err_set(&err, GF_EXIT_NOINPUT, "commit", "nothing to "
		    "commit: no --add and no results in the document");
		goto out;
	}
	if (r.repo != NULL && !o.dry_run && (g = open_repo(&r, &err)) == NULL)
		goto out;
	if (gf_publish_prepare(&p, r.dir, r.max_file, r.max_total, g,
	    &err) < 0)
		goto out;
	r.message = message_of(&t, &r);
	if (o.dry_run) {
		struct gf_publish_shape sh = { r.layout, r.dir, &r.v,
		    r.have_ix ? &r.ix : NULL };

		if (gf_publish_dry_run(&p, r.exists, &sh, &r.row, note, NULL,
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
	if (r.s3 != NULL && !o.dry_run && gf_publish_s3(&p, r.s3,
	    gf_setting(cfg, o.s3_endpoint, "GF_S3_ENDPOINT", NULL,
	    "s3-endpoint", NULL), sec, &err) < 0)
		goto out;
	failed = 0;
out:
	if (failed && json_object_get(sec, "files") == NULL && p.n > 0)
		json_object_set_new(sec, "files", gf_publish_files_json(&p));
	gf_git_free(g);
	if (r.work_dir != NULL) {
		struct gf_err rerr = GF_ERR_INIT;

		if (gf_fs_remove_tree(r.work_dir, &rerr) < 0)
			gf_warn("%s", rerr.msg);
		free(r.work_dir);
	}
	gf_publish_plan_release(&p);
	free(o.adds);
	free(url);
	free(r.dir);
	free(r.row);
	free(r.message);
	free(r.name);
	free(r.email);
	free(r.cname);
	free(r.cemail);
	json_decref(cfg);
	return gf_tool_finish(&t, failed ? &err : NULL, NULL);
}
