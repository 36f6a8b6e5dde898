/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf_publish: the files a run publishes, their destinations, the checks
 * before anything is written, and their places on a branch's tip by each
 * exists policy (a local repository through gf_git).
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gf_buf.h"
#include "gf_fs.h"
#include "gf_git.h"
#include "gf_log.h"
#include "gf_publish.h"
#include "gf_xalloc.h"
#include "tap.h"

static char tmp[] = "/tmp/t_publish.XXXXXX";

static void
put(const char *rel, const char *text)
{
	char *path = gf_fs_join(tmp, rel), *dir = gf_xstrdup(path);
	struct gf_err err = GF_ERR_INIT;

	*strrchr(dir, '/') = '\0';
	if (gf_fs_mkdir_p(dir, 0755, &err) < 0 ||
	    gf_fs_write_atomic(path, text, strlen(text), 0644, &err) < 0) {
		diag("%s", err.msg);
		exit(1);
	}
	free(path);
	free(dir);
}

static void
collect(const char *msg, void *arg)
{
	gf_buf_addf(arg, "%s\n", msg);
}

/* The destination of the item whose source ends in tail, or NULL. */
static const char *
dst_of(const struct gf_publish_plan *p, const char *tail)
{
	size_t n = strlen(tail);

	for (size_t i = 0; i < p->n; i++) {
		size_t m = strlen(p->items[i].src);

		if (m >= n && strcmp(p->items[i].src + m - n, tail) == 0)
			return p->items[i].dst;
	}
	return NULL;
}

static void
test_add(void)
{
	struct gf_buf warned = GF_BUF_INIT;
	struct gf_publish_plan p = { NULL, 0, 0, collect, &warned };
	struct gf_err err = GF_ERR_INIT;
	char *run = gf_fs_join(tmp, "run"), *arg, *pipe;

	pipe = gf_fs_join(tmp, "run/pipe");
	ok(mkfifo(pipe, 0600) == 0, "a fifo beside the files");
	is_int(gf_publish_add(&p, run, &err), 0, "a directory (%s)", err.msg);
	is_int((int)p.n, 3, "its regular files, .git left out");
	is_str(dst_of(&p, "/run/sub/x.csv"), "run/sub/x.csv",
	    "under the directory's name");
	ok(strstr(gf_buf_str(&warned), "pipe': not a regular file") != NULL,
	    "what is not a regular file is warned of");
	arg = gf_xasprintf("%s/run/data.json:models/", tmp);
	gf_publish_add(&p, arg, &err);
	free(arg);
	is_str(p.items[3].dst, "models/data.json", "DST/ keeps the name");
	arg = gf_xasprintf("%s/run/data.json:/top.json", tmp);
	gf_publish_add(&p, arg, &err);
	free(arg);
	is_str(p.items[4].dst, "/top.json", "a DST from the root");
	arg = gf_xasprintf("%s/run/data.json:", tmp);
	gf_publish_add(&p, arg, &err);
	free(arg);
	is_str(p.items[5].dst, "data.json", "an empty DST keeps the name");
	arg = gf_xasprintf("%s/none.json", tmp);
	ok(gf_publish_add(&p, arg, &err) < 0 && err.exit == 66,
	    "a missing file: 66 (%s)", err.msg);
	free(arg);
	gf_publish_plan_release(&p);
	unlink(pipe);
	free(pipe);
	free(run);
	gf_buf_release(&warned);
}

static void
test_doc(void)
{
	struct gf_buf warned = GF_BUF_INIT;
	struct gf_publish_plan p = { NULL, 0, 0, collect, &warned };
	struct gf_err err = GF_ERR_INIT;
	json_t *doc = json_pack("{s:{s:s+, s:s+, s:s+}, s:{s:s+}}",
	    "validate", "out", tmp, "/run", "report", tmp, "/run/report.md",
	    "json", tmp, "/run/../run/data.json", "snapshot", "archive", tmp,
	    "/gone.tar.gz");

	ok(gf_publish_add_doc(&p, doc, "validation", 0, &err) < 0 &&
	    err.exit == 66 && strstr(err.msg, "snapshot.archive: '") &&
	    strstr(err.msg, "gone.tar.gz' is missing"),
	    "a missing path the document names: 66 (%s)", err.msg);
	gf_publish_plan_release(&p);
	gf_err_clear(&err);
	is_int(gf_publish_add_doc(&p, doc, "validation",
	    GF_PUBLISH_DOC_PARTIAL, &err), 0, "after a failed step (%s)",
	    err.msg);
	is_int((int)p.n, 3, "out's files, the report and json in it once");
	is_str(dst_of(&p, "/run/report.md"), "report.md",
	    "out's files at the run's directory");
	ok(strstr(gf_buf_str(&warned), "snapshot.archive: '") != NULL &&
	    strstr(gf_buf_str(&warned), "is missing, not committed"),
	    "after a failed step a missing archive is warned of");
	gf_publish_plan_release(&p);
	json_decref(doc);
	doc = json_pack("{s:{s:s+}}", "train", "out", tmp, "/run/sub");
	ok(gf_publish_add_doc(&p, doc, "model-db", 0, &err) == 0 && p.n == 1,
	    "train.out");
	is_str(p.n == 1 ? p.items[0].dst : "", "/sub/x.csv",
	    "model-db: the pipeline directory at the repository root");
	gf_publish_plan_release(&p);
	ok(gf_publish_add_doc(&p, doc, "validation", 0, &err) == 0 && p.n == 1,
	    "train.out, validation layout");
	is_str(p.n == 1 ? p.items[0].dst : "", "sub/x.csv",
	    "the pipeline directory in the layout's directory");
	gf_publish_plan_release(&p);
	json_decref(doc);
	doc = json_pack("{s:{s:s+}}", "train", "out", tmp, "/run/none");
	ok(gf_publish_add_doc(&p, doc, "model-db", 0, &err) < 0 &&
	    err.exit == 66 && strstr(err.msg, "train.out: '"),
	    "a missing model tree: 66 (%s)", err.msg);
	gf_publish_plan_release(&p);
	json_decref(doc);
	gf_buf_release(&warned);
}

/* A plan of run/ and one more --add, prepared under dir. */
static int
prepared(struct gf_publish_plan *p, const char *extra, uint64_t max_file,
    uint64_t max_total, struct gf_git *g, struct gf_err *err)
{
	char *run = gf_fs_join(tmp, "run");

	gf_err_clear(err);
	gf_publish_add(p, run, err);
	free(run);
	if (extra != NULL)
		gf_publish_add(p, extra, err);
	return gf_publish_prepare(p, "docs/v", max_file, max_total, g, err);
}

static void
test_prepare(void)
{
	struct gf_publish_plan p = GF_PUBLISH_PLAN_INIT;
	struct gf_err err = GF_ERR_INIT;
	char *twice = gf_xasprintf("%s/run/data.json:run/report.md", tmp);
	char *secret = gf_xasprintf("%s/leak.txt", tmp);

	is_int(prepared(&p, NULL, 1000, 10000, NULL, &err), 0,
	    "a dry run prepares (%s)", err.msg);
	is_str(dst_of(&p, "/run/report.md"), "docs/v/run/report.md",
	    "destinations under the layout's directory");
	ok(p.total == strlen("# report\n") + strlen("{}\n") + strlen("a\n"),
	    "the total counted");
	gf_publish_plan_release(&p);
	ok(prepared(&p, twice, 1000, 10000, NULL, &err) < 0 &&
	    err.exit == 64 && strstr(err.msg, "both go to"),
	    "two files to one path: 64 (%s)", err.msg);
	gf_publish_plan_release(&p);
	ok(prepared(&p, NULL, 5, 10000, NULL, &err) < 0 && err.exit == 65 &&
	    strstr(err.msg, "over the per-file limit"),
	    "a file over --max-file-size: 65 (%s)", err.msg);
	gf_publish_plan_release(&p);
	ok(prepared(&p, NULL, 1000, 10, NULL, &err) < 0 && err.exit == 65 &&
	    strstr(err.msg, "over the budget"),
	    "over --max-total: 65 (%s)", err.msg);
	gf_publish_plan_release(&p);
	gf_log_mask("t0ken-4f1d9a");
	put("leak.txt", "auth: t0ken-4f1d9a\n");
	ok(prepared(&p, secret, 1000, 10000, NULL, &err) < 0 &&
	    err.exit == 65 && strstr(err.msg, "value of a secret"),
	    "a file holding a secret: 65 (%s)", err.msg);
	gf_publish_plan_release(&p);
	free(twice);
	free(secret);
}

/* Plan run/ on main's tip by policy; the status and path of data.json. */
static int
place(struct gf_git *g, const char *policy, const char **status,
    char **final, struct gf_err *err)
{
	struct gf_publish_plan p = GF_PUBLISH_PLAN_INIT;
	struct gf_publish_attempt a = GF_PUBLISH_ATTEMPT_INIT;
	struct gf_publish_shape sh = { "validation", "docs/v", NULL, NULL };
	char *row = NULL;
	int rc = prepared(&p, NULL, 1000, 10000, g, err);

	*status = "";
	if (rc == 0)
		rc = gf_publish_build(&p, g, policy, &sh, &row, &a, err);
	*final = NULL;
	for (size_t i = 0; rc == 0 && i < p.n; i++)
		if (strstr(p.items[i].src, "data.json") != NULL) {
			*status = p.items[i].status;
			*final = gf_xstrdup(p.items[i].final);
		}
	gf_publish_attempt_release(&a);
	gf_publish_plan_release(&p);
	free(row);
	return rc;
}

static void
test_place(void)
{
	struct gf_err err = GF_ERR_INIT;
	struct gf_git_ident id = { "T", "t@example.org" };
	struct gf_git_change ch[2];
	char *repo = gf_fs_join(tmp, "repo"), sha[GF_GIT_OID_HEX];
	char *final = NULL;
	const char *why, *status = NULL;
	struct gf_git *g = gf_git_open_local(repo, "main", &err);

	if (!ok(g != NULL && gf_git_fetch(g, "main", &err) == 0,
	    "a new local repository (%s)", err.msg))
		return;
	/* The tip has data.json with other content, and report.md as ours. */
	ch[0].path = "docs/v/run/data.json";
	gf_git_blob(g, "[]\n", 3, ch[0].oid, &err);
	ch[1].path = "docs/v/run/report.md";
	gf_git_blob(g, "# report\n", 9, ch[1].oid, &err);
	ok(gf_git_commit(g, ch, 2, "base\n", &id, &id, sha, &err) == 0 &&
	    gf_git_publish(g, "main", &why, &err) == 0 &&
	    gf_git_fetch(g, "main", &err) == 0, "a base with both files");
	int rc = place(g, "rename", &status, &final, &err);

	ok(rc == 0 && strcmp(status, "added") == 0 && final != NULL &&
	    strcmp(final, "docs/v/run/data-2.json") == 0,
	    "rename: the next free numbered name (%s)",
	    final != NULL ? final : err.msg);
	free(final);
	ok(place(g, "replace", &status, &final, &err) == 0 &&
	    strcmp(status, "replaced") == 0 && final != NULL &&
	    strcmp(final, "docs/v/run/data.json") == 0, "replace");
	free(final);
	ok(place(g, "skip", &status, &final, &err) == 0 &&
	    strcmp(status, "skipped") == 0, "skip");
	free(final);
	ok(place(g, "fail", &status, &final, &err) < 0 && err.exit == 73 &&
	    strstr(err.msg, "already exists"), "fail: 73 (%s)", err.msg);
	free(final);
	gf_git_free(g);
	free(repo);
}

int
main(void)
{
	struct gf_err err = GF_ERR_INIT;

	if (mkdtemp(tmp) == NULL) {
		skip_all("no temporary directory");
		return 0;
	}
	put("run/report.md", "# report\n");
	put("run/data.json", "{}\n");
	put("run/sub/x.csv", "a\n");
	put("run/.git/HEAD", "ref: refs/heads/main\n");
	test_add();
	test_doc();
	test_prepare();
	test_place();
	gf_fs_remove_tree(tmp, &err);
	return done_testing();
}
