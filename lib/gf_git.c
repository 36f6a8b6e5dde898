/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf_git: opening repositories, the branch tip, trees and commits built
 * in the object database, and publishing (a local compare-and-swap or a
 * push). Credentials are in gf_git_auth.c, the HTTP push in
 * gf_git_http.c; see gf_git.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>
#include <git2/sys/mempack.h>

#include "gf_git.h"
#include "gf_git_impl.h"
#include "gf_fs.h"
#include "gf_http.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

int
gf_git_lg_fail(struct gf_err *err, int exit, const char *what)
{
	const git_error *e = git_error_last();

	return gf_err_set(err, exit, "git", "%s: %s", what,
	    e != NULL && e->message != NULL ? e->message : "unknown error");
}

int
gf_git_is_remote_url(const char *repo)
{
	const char *colon = strchr(repo, ':'), *slash = strchr(repo, '/');

	if (strstr(repo, "://") != NULL)
		return 1;
	/* scp-like "git@host:owner/repo" */
	return colon != NULL && (slash == NULL || colon < slash) &&
	    strchr(repo, '@') != NULL && strchr(repo, '@') < colon;
}

char *
gf_git_web_url(const char *url, const char *sha)
{
	static const char *hosts[] = { "github.com", "gitlab.com" };
	const char *path = NULL;
	char *base, *r;
	size_t n;

	for (size_t i = 0; i < GF_ARRAY_LEN(hosts) && path == NULL; i++) {
		const char *h = strstr(url, hosts[i]);

		if (h == NULL)
			continue;
		h += strlen(hosts[i]);
		if (*h == ':' || *h == '/')
			path = h + 1;
		if (path != NULL) {
			n = strlen(path);
			if (n > 4 && strcmp(path + n - 4, ".git") == 0)
				n -= 4;
			base = gf_xstrndup(path, n);
			r = gf_xasprintf("https://%s/%s/%scommit/%s", hosts[i],
			    base, i == 1 ? "-/" : "", sha);
			free(base);
			return r;
		}
	}
	return NULL;
}

static struct gf_git *
git_new(void)
{
	struct gf_git *g = gf_xcalloc(1, sizeof(*g));

	git_libgit2_init();
	/*
	 * A server that refuses a large push (401, a size limit) answers
	 * before the body is sent instead of resetting the connection.
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_HTTP_EXPECT_CONTINUE, 1);
	return g;
}

struct gf_git *
gf_git_open_remote(const char *url, const char *workdir,
    const struct gf_git_auth *auth, struct gf_err *err)
{
	struct gf_git *g = git_new();
	git_odb_backend *mp = NULL;
	git_odb *odb = NULL;
	git_config *cfg;

	g->url = gf_http_redact_url(url);
	if (gf_git_auth_set(g, url, auth, err) < 0)
		goto fail;
	if (gf_fs_mkdir_p(workdir, 0700, err) < 0)
		goto fail;
	if (git_repository_open_bare(&g->repo, workdir) < 0 &&
	    git_repository_init(&g->repo, workdir, 1) < 0) {
		gf_git_lg_fail(err, GF_EXIT_CANTCREAT, "cannot create a work "
		    "repository");
		gf_err_prefix(err, "%s", workdir);
		goto fail;
	}
	/*
	 * New objects only travel to the remote: keep them in memory
	 * rather than writing every file again as a loose object.
	 */
	if (git_mempack_new(&mp) < 0 || git_repository_odb(&odb, g->repo) < 0 ||
	    git_odb_add_backend(odb, mp, 1000) < 0) {
		git_odb_free(odb);
		gf_git_lg_fail(err, GF_EXIT_OSERR,
		    "cannot set up the object store");
		goto fail;
	}
	git_odb_free(odb);
	/*
	 * Bound the delta window by memory, as git's pack.windowMemory:
	 * small text results still get a full window, large (mostly
	 * compressed) artefacts are compared with one neighbour, which
	 * keeps the search from dominating big pushes (and over SSH the
	 * pack is built while the connection waits).
	 */
	if (git_repository_config(&cfg, g->repo) == 0) {
		git_config_set_int64(cfg, "pack.windowMemory", 256 * 1024);
		git_config_free(cfg);
	}
	return g;
fail:
	gf_git_free(g);
	return NULL;
}

struct gf_git *
gf_git_open_local(const char *path, const char *init_branch,
    struct gf_err *err)
{
	struct gf_git *g = git_new();
	git_repository_init_options io;
	int init = init_branch != NULL;
	char *abs, *head;

	g->local = 1;
	abs = realpath(path, NULL);
	if (abs == NULL && !init) {
		gf_err_set(err, GF_EXIT_NOINPUT, "git", "repository '%s' "
		    "does not exist (use --init to create it)", path);
		goto fail;
	}
	if (abs == NULL) {
		if (gf_fs_mkdir_p(path, 0755, err) < 0)
			goto fail;
		abs = realpath(path, NULL);
		if (abs == NULL) {
			gf_err_set(err, GF_EXIT_CANTCREAT, "git", "%s: %s",
			    path, strerror(errno));
			goto fail;
		}
	}
	g->url = abs;
	if (git_repository_open_ext(&g->repo, abs,
	    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) == 0)
		return g;
	if (!init) {
		gf_git_lg_fail(err, GF_EXIT_NOINPUT, "not a git repository");
		gf_err_prefix(err, "'%s'", path);
		goto fail;
	}
	git_repository_init_options_init(&io,
	    GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	io.flags = GIT_REPOSITORY_INIT_MKPATH;
	head = gf_xasprintf("refs/heads/%s", init_branch);
	io.initial_head = head;
	if (git_repository_init_ext(&g->repo, abs, &io) < 0) {
		free(head);
		gf_git_lg_fail(err, GF_EXIT_CANTCREAT,
		    "cannot create repository");
		gf_err_prefix(err, "'%s'", path);
		goto fail;
	}
	free(head);
	return g;
fail:
	gf_git_free(g);
	return NULL;
}

void
gf_git_free(struct gf_git *g)
{
	if (g == NULL)
		return;
	git_tree_free(g->base_tree);
	git_repository_free(g->repo);
	free(g->url);
	free(g->user);
	gf_free_secret(g->token);
	free(g->token_source);
	free(g->ssh_key);
	free(g->ssh_pub);
	gf_free_secret(g->ssh_passphrase);
	free(g->known_hosts);
	free(g->ca_file);
	free(g->reject);
	free(g->why);
	free(g);
	git_libgit2_shutdown();
}

int
gf_git_branch_ok(const char *branch)
{
	char *ref = gf_xasprintf("refs/heads/%s", branch);
	int valid = 0;

	git_libgit2_init();
	if (git_reference_name_is_valid(&valid, ref) < 0)
		valid = 0;
	git_libgit2_shutdown();
	free(ref);
	return valid;
}

int
gf_git_is_local(const struct gf_git *g)
{
	return g->local;
}

const char *
gf_git_base(const struct gf_git *g)
{
	return g->has_base ? g->base_hex : "";
}

static int
set_base(struct gf_git *g, const git_oid *oid, struct gf_err *err)
{
	git_commit *c = NULL;

	git_tree_free(g->base_tree);
	g->base_tree = NULL;
	g->has_base = 0;
	g->base_hex[0] = '\0';
	if (oid == NULL)
		return 0;
	if (git_commit_lookup(&c, g->repo, oid) < 0 ||
	    git_commit_tree(&g->base_tree, c) < 0) {
		git_commit_free(c);
		return gf_git_lg_fail(err, GF_EXIT_UNAVAILABLE, "branch tip");
	}
	git_commit_free(c);
	git_oid_cpy(&g->base, oid);
	git_oid_tostr(g->base_hex, sizeof(g->base_hex), oid);
	g->has_base = 1;
	return 0;
}

int
gf_git_fetch(struct gf_git *g, const char *branch, struct gf_err *err)
{
	git_remote *remote = NULL;
	git_remote_callbacks cb;
	git_fetch_options fo;
	const git_remote_head **heads;
	char *ref = gf_xasprintf("refs/heads/%s", branch);
	char *spec = gf_xasprintf("+%s:refs/remotes/origin/%s", ref, branch);
	char *specs[1];
	git_strarray refspecs;
	git_oid oid;
	int found = 0, rc = -1, lrc;
	size_t nheads;

	git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	if (git_reference_name_is_valid(&found, ref) < 0 || !found) {
		gf_err_set(err, GF_EXIT_USAGE, "git", "'%s' is not a valid "
		    "branch name", branch);
		goto out;
	}
	found = 0;
	specs[0] = spec;
	refspecs.strings = specs;
	refspecs.count = 1;
	if (g->local) {
		lrc = git_reference_name_to_id(&oid, g->repo, ref);
		if (lrc == 0)
			rc = set_base(g, &oid, err);
		else if (lrc == GIT_ENOTFOUND)
			rc = set_base(g, NULL, err);
		else
			gf_git_lg_fail(err, GF_EXIT_IOERR,
			    "cannot read branch");
		goto out;
	}
	if (git_remote_create_anonymous(&remote, g->repo, g->url) < 0) {
		gf_git_lg_fail(err, GF_EXIT_CONFIG, "bad repository URL");
		goto out;
	}
	gf_git_callbacks(g, &cb);
	lrc = git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, NULL,
	    NULL);
	if (lrc < 0) {
		gf_git_net_fail(g, lrc, "cannot reach", err);
		goto out;
	}
	if (git_remote_ls(&heads, &nheads, remote) < 0) {
		gf_git_net_fail(g, -1, "cannot list", err);
		goto out;
	}
	for (size_t i = 0; i < nheads; i++)
		if (strcmp(heads[i]->name, ref) == 0) {
			git_oid_cpy(&oid, &heads[i]->oid);
			found = 1;
		}
	if (found) {
		fo.callbacks = cb;
		fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
		fo.update_fetchhead = 0;
		lrc = git_remote_download(remote, &refspecs, &fo);
		if (lrc < 0) {
			gf_git_net_fail(g, lrc, "cannot fetch from", err);
			goto out;
		}
	}
	git_remote_disconnect(remote);
	rc = set_base(g, found ? &oid : NULL, err);
out:
	git_remote_free(remote);
	free(spec);
	free(ref);
	return rc;
}

static int
base_entry(struct gf_git *g, const char *path, git_tree_entry **e,
    struct gf_err *err)
{
	int rc;

	*e = NULL;
	if (!g->has_base)
		return 0;
	rc = git_tree_entry_bypath(e, g->base_tree, path);
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return gf_git_lg_fail(err, GF_EXIT_IOERR, path);
	return 1;
}

int
gf_git_base_lookup(struct gf_git *g, const char *path,
    char oid[GF_GIT_OID_HEX], struct gf_err *err)
{
	git_tree_entry *e;
	int rc = base_entry(g, path, &e, err);

	if (rc <= 0)
		return rc;
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
		rc = 2;
	} else {
		git_oid_tostr(oid, GF_GIT_OID_HEX, git_tree_entry_id(e));
		rc = 1;
	}
	git_tree_entry_free(e);
	return rc;
}

int
gf_git_base_read(struct gf_git *g, const char *path, char **data,
    size_t *len, struct gf_err *err)
{
	git_tree_entry *e;
	git_blob *blob = NULL;
	int rc = base_entry(g, path, &e, err);
	size_t n;

	*data = NULL;
	if (rc <= 0)
		return rc;
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
		git_tree_entry_free(e);
		return gf_err_set(err, GF_EXIT_DATAERR, "git",
		    "'%s' in the repository is not a file", path);
	}
	if (git_blob_lookup(&blob, g->repo, git_tree_entry_id(e)) < 0) {
		git_tree_entry_free(e);
		return gf_git_lg_fail(err, GF_EXIT_IOERR, path);
	}
	n = (size_t)git_blob_rawsize(blob);
	*data = gf_xmalloc(n + 1);
	memcpy(*data, git_blob_rawcontent(blob), n);
	(*data)[n] = '\0';
	if (len != NULL)
		*len = n;
	git_blob_free(blob);
	git_tree_entry_free(e);
	return 1;
}

int
gf_git_blob(struct gf_git *g, const void *data, size_t len,
    char oid[GF_GIT_OID_HEX], struct gf_err *err)
{
	git_oid id;

	if (git_blob_create_from_buffer(&id, g->repo, data, len) < 0)
		return gf_git_lg_fail(err, GF_EXIT_IOERR,
		    "cannot store a file");
	git_oid_tostr(oid, GF_GIT_OID_HEX, &id);
	return 0;
}

int
gf_git_commit(struct gf_git *g, const struct gf_git_change *changes,
    size_t nchanges, const char *message, const struct gf_git_ident *author,
    const struct gf_git_ident *committer, char sha[GF_GIT_OID_HEX],
    struct gf_err *err)
{
	git_tree_update *u = gf_xcalloc(nchanges + 1, sizeof(*u));
	git_treebuilder *tb = NULL;
	git_tree *base = g->base_tree, *empty = NULL, *tree = NULL;
	git_signature *a = NULL, *c = NULL;
	git_commit *parent = NULL;
	const git_commit *parents[1];
	git_oid tree_id, empty_id;
	int rc = -1;

	for (size_t i = 0; i < nchanges; i++) {
		u[i].action = GIT_TREE_UPDATE_UPSERT;
		u[i].filemode = GIT_FILEMODE_BLOB;
		u[i].path = changes[i].path;
		if (git_oid_fromstr(&u[i].id, changes[i].oid) < 0) {
			gf_err_set(err, GF_EXIT_SOFTWARE, "git",
			    "bad blob id for '%s'", changes[i].path);
			goto out;
		}
	}
	if (base == NULL) {
		if (git_treebuilder_new(&tb, g->repo, NULL) < 0 ||
		    git_treebuilder_write(&empty_id, tb) < 0 ||
		    git_tree_lookup(&empty, g->repo, &empty_id) < 0) {
			gf_git_lg_fail(err, GF_EXIT_IOERR,
			    "cannot build a tree");
			goto out;
		}
		base = empty;
	}
	if (git_tree_create_updated(&tree_id, g->repo, base, nchanges, u) < 0) {
		gf_git_lg_fail(err, GF_EXIT_DATAERR, "cannot place the files");
		goto out;
	}
	if (git_tree_lookup(&tree, g->repo, &tree_id) < 0) {
		gf_git_lg_fail(err, GF_EXIT_IOERR, "cannot read the new tree");
		goto out;
	}
	if (git_signature_now(&a, author->name, author->email) < 0 ||
	    git_signature_now(&c, committer->name, committer->email) < 0) {
		gf_git_lg_fail(err, GF_EXIT_CONFIG, "bad identity");
		goto out;
	}
	if (g->has_base && git_commit_lookup(&parent, g->repo, &g->base) < 0) {
		gf_git_lg_fail(err, GF_EXIT_IOERR, "branch tip");
		goto out;
	}
	parents[0] = parent;
	if (git_commit_create(&g->commit, g->repo, NULL, a, c, NULL, message,
	    tree, g->has_base ? 1 : 0, parents) < 0) {
		gf_git_lg_fail(err, GF_EXIT_IOERR, "cannot create the commit");
		goto out;
	}
	g->has_commit = 1;
	git_oid_tostr(sha, GF_GIT_OID_HEX, &g->commit);
	rc = 0;
out:
	git_commit_free(parent);
	git_signature_free(a);
	git_signature_free(c);
	git_tree_free(tree);
	git_tree_free(empty);
	git_treebuilder_free(tb);
	free(u);
	return rc;
}

/* Update a checked-out branch's work tree from the old tree to the new. */
static void
local_checkout(struct gf_git *g, const char *ref)
{
	git_reference *head = NULL;
	git_commit *c = NULL;
	git_checkout_options co;

	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	if (git_repository_is_bare(g->repo) ||
	    git_reference_lookup(&head, g->repo, "HEAD") < 0)
		return;
	if (git_reference_type(head) == GIT_REFERENCE_SYMBOLIC &&
	    strcmp(git_reference_symbolic_target(head), ref) == 0 &&
	    git_commit_lookup(&c, g->repo, &g->commit) == 0) {
		co.checkout_strategy = GIT_CHECKOUT_SAFE;
		co.baseline = g->base_tree;
		if (git_checkout_tree(g->repo, (git_object *)c, &co) < 0) {
			const git_error *e = git_error_last();

			free(g->why);
			g->why = gf_xasprintf("work tree not updated: %s",
			    e != NULL ? e->message : "checkout failed");
		}
	}
	git_commit_free(c);
	git_reference_free(head);
}

static int
publish_local(struct gf_git *g, const char *ref, const char **why,
    struct gf_err *err)
{
	git_reference *r = NULL;
	git_oid none;
	int rc;

	/*
	 * Compare and swap under the branch's lock: the base, or for a new
	 * branch the zero id ("must not exist"). git_reference_create
	 * without force tells whether the branch exists before taking the
	 * lock: two first runs on an empty repository could both find it
	 * missing and both write it, the later one dropping the other's
	 * commit while both reported success.
	 */
	memset(&none, 0, sizeof(none));
	rc = git_reference_create_matching(&r, g->repo, ref, &g->commit, 1,
	    g->has_base ? &g->base : &none, "gf-commit");
	git_reference_free(r);
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS || rc == GIT_ELOCKED) {
		const git_error *e = git_error_last();

		g->why = gf_xstrdup(e != NULL ? e->message : "branch moved");
		*why = g->why;
		return 1;
	}
	if (rc < 0)
		return gf_git_lg_fail(err, GF_EXIT_IOERR,
		    "cannot update the branch");
	local_checkout(g, ref);
	*why = g->why;
	return 0;
}

int
gf_git_publish(struct gf_git *g, const char *branch, const char **why,
    struct gf_err *err)
{
	git_remote *remote = NULL;
	git_reference *r = NULL;
	git_push_options po;
	char *ref = gf_xasprintf("refs/heads/%s", branch);
	char *spec = gf_xasprintf(LOCAL_REF ":%s", ref);
	char *specs[1];
	const char *dummy;
	git_strarray refspecs;
	int rc = -1, lrc;

	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	if (why == NULL)
		why = &dummy;
	*why = NULL;
	free(g->why);
	g->why = NULL;
	free(g->reject);
	g->reject = NULL;
	if (!g->has_commit) {
		gf_err_set(err, GF_EXIT_SOFTWARE, "git", "nothing to publish");
		goto out;
	}
	if (g->local) {
		rc = publish_local(g, ref, why, err);
		goto out;
	}
	if (gf_git_url_is_http(g->url)) {
		rc = gf_git_publish_http(g, ref, why, err);
		goto out;
	}
	specs[0] = spec;
	refspecs.strings = specs;
	refspecs.count = 1;
	if (git_reference_create(&r, g->repo, LOCAL_REF, &g->commit, 1,
	    NULL) < 0) {
		gf_git_lg_fail(err, GF_EXIT_IOERR, "cannot record the commit");
		goto out;
	}
	if (git_remote_create_anonymous(&remote, g->repo, g->url) < 0) {
		gf_git_lg_fail(err, GF_EXIT_CONFIG, "bad repository URL");
		goto out;
	}
	gf_git_callbacks(g, &po.callbacks);
	po.pb_parallelism = 0;
	lrc = git_remote_push(remote, &refspecs, &po);
	if (lrc == GIT_ENONFASTFORWARD) {
		const git_error *e = git_error_last();

		g->why = gf_xstrdup(e != NULL ? e->message :
		    "non-fast-forward");
		*why = g->why;
		rc = 1;
		goto out;
	}
	if (lrc < 0) {
		gf_git_net_fail(g, lrc, "cannot push to", err);
		goto out;
	}
	if (g->reject != NULL) {
		g->why = gf_xstrdup(g->reject);
		*why = g->why;
		rc = 1;
		goto out;
	}
	rc = 0;
out:
	if (r != NULL) {
		/* The commit lives in memory only: leave no reference to it. */
		git_reference_free(r);
		git_reference_remove(g->repo, LOCAL_REF);
	}
	git_remote_free(remote);
	free(spec);
	free(ref);
	return rc;
}
