/* SPDX-License-Identifier: Apache-2.0 */
/* gf_git on local repositories and gf_layout's paths, rows and names. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#include "gf_fs.h"
#include "gf_git.h"
#include "gf_layout.h"
#include "gf_xalloc.h"

static void
test_layout(void)
{
	struct gf_layout_vars v = { "2026-11-23", "18-00-00", "r1", "v0.7.11",
	    "AbsPower/X", NULL };
	struct gf_layout_index ix;
	struct gf_err err = GF_ERR_INIT;
	char *s, *t;
	int added;

	s = gf_layout_dir("validation", &v, &err);
	is_str(s, "docs/validation/2026-11-23/validator-v0.7.11-18-00-00",
	    "validation layout");
	free(s);
	v.suffix = "model-server";
	s = gf_layout_dir("validation", &v, &err);
	is_str(s, "docs/validation/2026-11-23/validator-v0.7.11-18-00-00-"
	    "model-server", "validation layout with a suffix");
	free(s);
	v.suffix = NULL;
	s = gf_layout_dir("train-validate-e2e", &v, &err);
	is_str(s, "docs/train-validate-e2e/2026-11-23_18-00-00/AbsPower/X",
	    "train-validate-e2e layout");
	free(s);
	s = gf_layout_dir("model-db", &v, &err);
	is_str(s, "", "model-db is the root");
	free(s);
	s = gf_layout_dir("./r/{date}//{run}/", &v, &err);
	is_str(s, "r/2026-11-23/r1", "a template is normalised");
	free(s);
	ok(gf_layout_dir("r/{bogus}", &v, &err) == NULL &&
	    err.exit == GF_EXIT_USAGE, "unknown variable: 64 (%s)", err.msg);
	ok(gf_layout_dir("../{date}", &v, &err) == NULL, "'..' is refused");
	ok(gf_layout_dir(".git/{date}", &v, &err) == NULL,
	    "'.git' is refused");
	ok(gf_layout_check_path("a/b/c.json", "x", &err) == 0, "a plain path");
	ok(gf_layout_check_path("/a", "x", &err) < 0, "an absolute path");
	ok(gf_layout_check_path("a/../b", "x", &err) < 0, "a '..' part");
	ok(gf_layout_check_path("a/", "x", &err) < 0, "a trailing slash");

	s = gf_layout_join("docs/x", "./a/b.json");
	is_str(s, "docs/x/a/b.json", "join");
	free(s);
	s = gf_layout_join("docs/x", "/top/b.json");
	is_str(s, "top/b.json", "join from the root");
	free(s);

	s = gf_layout_numbered("a/b.json", 2);
	is_str(s, "a/b-2.json", "numbered");
	free(s);
	s = gf_layout_numbered("a.d/snap.tar.gz", 3);
	is_str(s, "a.d/snap-3.tar.gz", "numbered keeps .tar.gz");
	free(s);
	s = gf_layout_numbered("a.d/README", 2);
	is_str(s, "a.d/README-2", "numbered without an extension");
	free(s);
	s = gf_layout_numbered(".hidden", 2);
	is_str(s, ".hidden-2", "numbered dot file");
	free(s);

	ok(gf_layout_index_of("validation", &ix) == 1, "validation index");
	is_str(ix.path, "docs/kepler-model-validation.md", "index path");
	ok(gf_layout_index_of("results/{date}", &ix) == 0,
	    "no index for a template");
	gf_layout_index_of("validation", &ix);
	s = gf_layout_row("validation", &v, ix.path,
	    "docs/validation/2026-11-23/validator-v0.7.11-18-00-00",
	    "docs/validation/2026-11-23/validator-v0.7.11-18-00-00/report.md");
	is_str(s, "| 2026-11-23 | v0.7.11-18-00-00 | [Report](validation/"
	    "2026-11-23/validator-v0.7.11-18-00-00/report.md) | [Artifacts]("
	    "validation/2026-11-23/validator-v0.7.11-18-00-00/) |",
	    "validation row, links relative to the index");
	t = gf_layout_append_row(NULL, &ix, s, &added);
	ok(added &&
	    strncmp(t, "# Kepler model validation\n\n| Date |", 35) == 0,
	    "a new index starts with its title and header");
	{
		char *u = gf_layout_append_row(t, &ix, s, &added);

		ok(!added && strcmp(u, t) == 0, "a row is added once");
		free(u);
	}
	free(t);
	t = gf_layout_append_row("# T\n\n| a |\n|---|\n| x |", &ix, "| y |",
	    &added);
	is_str(t, "# T\n\n| a |\n|---|\n| x |\n| y |\n",
	    "appended after a last line without newline");
	free(t);
	t = gf_layout_append_row("| y |z\n", &ix, "| y |", &added);
	ok(added, "a row that is only a prefix of a line is not there");
	free(t);
	free(s);
}

static void
test_urls(void)
{
	char *s;

	s = gf_git_web_url("https://github.com/o/r.git", "abc");
	is_str(s, "https://github.com/o/r/commit/abc", "github web URL");
	free(s);
	s = gf_git_web_url("git@gitlab.com:g/r.git", "abc");
	is_str(s, "https://gitlab.com/g/r/-/commit/abc", "gitlab web URL");
	free(s);
	ok(gf_git_web_url("http://127.0.0.1/r.git", "abc") == NULL,
	    "no web URL for other hosts");
}

static void
test_local(void)
{
	char tmpl[] = "/tmp/t_git.XXXXXX", oid[GF_GIT_OID_HEX];
	char sha1[GF_GIT_OID_HEX], sha2[GF_GIT_OID_HEX];
	struct gf_err err = GF_ERR_INIT;
	struct gf_git_ident id = { "T", "t@example.org" };
	struct gf_git_change ch[2];
	struct gf_git *g, *h;
	const char *why;
	char *dir, *data;
	size_t len;

	if (mkdtemp(tmpl) == NULL) {
		skip("no temporary directory");
		return;
	}
	dir = gf_fs_join(tmpl, "repo");
	ok(gf_git_open_local(dir, NULL, &err) == NULL &&
	    err.exit == GF_EXIT_NOINPUT, "missing repository: 66");
	g = gf_git_open_local(dir, "main", &err);
	ok(g != NULL && gf_git_is_local(g), "created with an init branch");
	ok(gf_git_fetch(g, "main", &err) == 0 && *gf_git_base(g) == '\0',
	    "a new branch has no base");
	ok(gf_git_blob(g, "hello\n", 6, oid, &err) == 0, "blob");
	is_str(oid, "ce013625030ba8dba906f756967f9e9ca394464a",
	    "the blob id is git's");
	ch[0].path = "a/b/hello.txt";
	memcpy(ch[0].oid, oid, sizeof(oid));
	ok(gf_git_commit(g, ch, 1, "first\n", &id, &id, sha1, &err) == 0,
	    "root commit");
	ok(gf_git_publish(g, "main", &why, &err) == 0, "published");

	h = gf_git_open_local(dir, NULL, &err);
	ok(h != NULL && gf_git_fetch(h, "main", &err) == 0, "second handle");
	is_str(gf_git_base(h), sha1, "sees the new tip");
	ok(gf_git_base_lookup(h, "a/b/hello.txt", oid, &err) == 1,
	    "lookup a file");
	ok(gf_git_base_lookup(h, "a/b", oid, &err) == 2, "lookup a directory");
	ok(gf_git_base_lookup(h, "nope", oid, &err) == 0, "lookup nothing");
	ok(gf_git_base_read(h, "a/b/hello.txt", &data, &len, &err) == 1 &&
	    len == 6 && strcmp(data, "hello\n") == 0, "read a file");
	free(data);

	/* g commits on its stale base after h moved the branch. */
	gf_git_blob(h, "x", 1, ch[0].oid, &err);
	ch[0].path = "x.txt";
	ok(gf_git_commit(h, ch, 1, "by h\n", &id, &id, sha2, &err) == 0 &&
	    gf_git_publish(h, "main", &why, &err) == 0, "h pushes");
	gf_git_blob(g, "y", 1, ch[1].oid, &err);
	ch[1].path = "y.txt";
	gf_git_commit(g, &ch[1], 1, "by g\n", &id, &id, sha1, &err);
	is_int(gf_git_publish(g, "main", &why, &err), 1,
	    "a moved branch is a rejection, not an error");
	ok(gf_git_fetch(g, "main", &err) == 0 &&
	    strcmp(gf_git_base(g), sha2) == 0, "fetch gives the new tip");
	ok(gf_git_commit(g, &ch[1], 1, "by g\n", &id, &id, sha1, &err) == 0 &&
	    gf_git_publish(g, "main", &why, &err) == 0, "then it lands");
	ok(gf_git_fetch(h, "main", &err) == 0 &&
	    gf_git_base_lookup(h, "x.txt", oid, &err) == 1 &&
	    gf_git_base_lookup(h, "y.txt", oid, &err) == 1 &&
	    gf_git_base_lookup(h, "a/b/hello.txt", oid, &err) == 1,
	    "both changes are on the branch");
	data = gf_fs_join(dir, "y.txt");
	ok(gf_fs_exists(data), "the checked-out work tree follows");
	free(data);
	gf_git_free(g);
	gf_git_free(h);

	/*
	 * Two first runs on a new repository: both find no branch; the
	 * second to publish is told the branch moved and keeps nothing of
	 * the first's out (its commit stays the branch's).
	 */
	free(dir);
	dir = gf_fs_join(tmpl, "new");
	g = gf_git_open_local(dir, "main", &err);
	h = gf_git_open_local(dir, NULL, &err);
	ok(g != NULL && h != NULL && gf_git_fetch(g, "main", &err) == 0 &&
	    gf_git_fetch(h, "main", &err) == 0 && *gf_git_base(g) == '\0' &&
	    *gf_git_base(h) == '\0', "two runs, no branch yet");
	gf_git_blob(h, "h", 1, ch[0].oid, &err);
	gf_git_blob(g, "g", 1, ch[1].oid, &err);
	ok(gf_git_commit(h, ch, 1, "h\n", &id, &id, sha2, &err) == 0 &&
	    gf_git_publish(h, "main", &why, &err) == 0, "the first creates it");
	gf_git_commit(g, &ch[1], 1, "g\n", &id, &id, sha1, &err);
	is_int(gf_git_publish(g, "main", &why, &err), 1,
	    "the second is told it moved");
	ok(gf_git_fetch(g, "main", &err) == 0 &&
	    strcmp(gf_git_base(g), sha2) == 0, "the first's commit stands");
	gf_git_free(g);
	gf_git_free(h);
	gf_fs_remove_tree(tmpl, &err);
	free(dir);
}

int
main(void)
{
	test_layout();
	test_urls();
	test_local();
	return done_testing();
}
