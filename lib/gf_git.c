/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>
#include <git2/sys/mempack.h>

#include "gf_git.h"
#include "gf_buf.h"
#include "gf_fs.h"
#include "gf_http.h"
#include "gf_log.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

#define LOCAL_REF "refs/heads/gf-commit"

struct gf_git {
	git_repository *repo;
	char *url;		/* without credentials; a path when local */
	int local;
	/* auth, owned copies */
	char *user;
	char *token;
	char *token_source;
	char *ssh_key;
	char *ssh_pub;
	char *ssh_passphrase;
	char *known_hosts;
	char *ca_file;
	/* per network operation */
	int userpass_calls;
	int key_calls;
	int cred_refused;
	int cred_missing;
	int hostkey_refused;
	char *reject;		/* status of a refused reference update */
	/* state */
	int has_base;
	git_oid base;
	git_tree *base_tree;
	char base_hex[GF_GIT_OID_HEX];
	int has_commit;
	git_oid commit;
	char *why;
};

static int
lg_fail(struct gf_err *err, int exit, const char *what)
{
	const git_error *e = git_error_last();

	return gf_err_set(err, exit, "git", "%s: %s", what,
	    e != NULL && e->message != NULL ? e->message : "unknown error");
}

/* Map a failed fetch or push to the exit codes of the header. */
static int
net_fail(struct gf_git *g, int rc, const char *what, struct gf_err *err)
{
	const git_error *e = git_error_last();
	const char *msg = e != NULL && e->message != NULL ? e->message : "";

	if (g->cred_refused)
		return gf_err_set(err, GF_EXIT_CONFIG, "git",
		    "%s '%s': the server refused the credentials from %s",
		    what, g->url, g->ssh_key != NULL ? "the SSH key" :
		    g->token_source != NULL ? g->token_source : "the URL");
	if (g->cred_missing)
		return gf_err_set(err, GF_EXIT_CONFIG, "git",
		    "%s '%s': the server asks for credentials: set "
		    "GF_GIT_TOKEN (or GITHUB_TOKEN), or use an SSH key",
		    what, g->url);
	if (g->hostkey_refused || rc == GIT_ECERTIFICATE)
		return gf_err_set(err, GF_EXIT_CONFIG, "git",
		    "%s '%s': host key or certificate not trusted%s%s",
		    what, g->url, *msg != '\0' ? ": " : "", msg);
	if (rc == GIT_EAUTH)
		return gf_err_set(err, GF_EXIT_CONFIG, "git",
		    "%s '%s': authentication failed: %s", what, g->url, msg);
	if (e != NULL && (e->klass == GIT_ERROR_NET ||
	    e->klass == GIT_ERROR_OS || e->klass == GIT_ERROR_SSH ||
	    e->klass == GIT_ERROR_HTTP ||
	    strstr(msg, "status code: 5") != NULL ||
	    strstr(msg, "early EOF") != NULL))
		if (strstr(msg, "status code: 404") == NULL &&
		    strstr(msg, "not found") == NULL)
			return gf_err_set(err, GF_EXIT_TEMPFAIL, "git",
			    "%s '%s': %s", what, g->url, msg);
	return gf_err_set(err, GF_EXIT_UNAVAILABLE, "git", "%s '%s': %s",
	    what, g->url, *msg != '\0' ? msg : "failed");
}

static int
cred_cb(git_credential **out, const char *url, const char *user_from_url,
    unsigned int allowed, void *payload)
{
	struct gf_git *g = payload;
	const char *user;

	(void)url;
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out,
		    user_from_url != NULL ? user_from_url : "git");
	if ((allowed & GIT_CREDENTIAL_SSH_KEY) && g->ssh_key != NULL) {
		/* libgit2 asks again after every refusal: answer once. */
		if (g->key_calls++ > 0) {
			g->cred_refused = 1;
			return GIT_EAUTH;
		}
		user = user_from_url != NULL ? user_from_url : "git";
		return git_credential_ssh_key_new(out, user, g->ssh_pub,
		    g->ssh_key, g->ssh_passphrase);
	}
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) &&
	    g->token != NULL) {
		if (g->userpass_calls++ > 0) {
			g->cred_refused = 1;
			return GIT_EAUTH;
		}
		user = g->user != NULL ? g->user : "x-access-token";
		return git_credential_userpass_plaintext_new(out, user,
		    g->token);
	}
	g->cred_missing = 1;
	return GIT_EAUTH;
}

static int
b64_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decode base64 text of length n into out (n bytes suffice). */
static size_t
b64_decode(const char *s, size_t n, unsigned char *out)
{
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		int v = b64_val((unsigned char)s[i]);

		if (v < 0)
			break;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)((acc >> bits) & 0xff);
		}
	}
	return o;
}

/* 1 when the raw key is listed for host in the known_hosts file. */
static int
known_host(const char *file, const char *host, const unsigned char *key,
    size_t keylen)
{
	char *text, *line, *save = NULL;
	unsigned char *raw;
	int found = 0;
	struct gf_err err = GF_ERR_INIT;

	text = gf_fs_read(file, 0, NULL, &err);
	if (text == NULL)
		return 0;
	raw = gf_xmalloc(strlen(text) + 1);
	for (line = strtok_r(text, "\n", &save); line != NULL && !found;
	    line = strtok_r(NULL, "\n", &save)) {
		char *hosts, *type, *b64, *fsave = NULL;
		size_t n;

		hosts = strtok_r(line, " \t", &fsave);
		type = strtok_r(NULL, " \t", &fsave);
		b64 = strtok_r(NULL, " \t", &fsave);
		if (hosts == NULL || type == NULL || b64 == NULL ||
		    hosts[0] == '#' || strstr(hosts, host) == NULL)
			continue;
		n = b64_decode(b64, strlen(b64), raw);
		if (n == keylen && memcmp(raw, key, n) == 0)
			found = 1;
	}
	free(raw);
	free(text);
	return found;
}

static int
cert_cb(git_cert *cert, int valid, const char *host, void *payload)
{
	struct gf_git *g = payload;
	git_cert_hostkey *hk;

	(void)valid;
	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2 ||
	    g->known_hosts == NULL)
		return GIT_PASSTHROUGH;
	hk = (git_cert_hostkey *)cert;
	if ((hk->type & GIT_CERT_SSH_RAW) && known_host(g->known_hosts, host,
	    (const unsigned char *)hk->hostkey, hk->hostkey_len))
		return 0;
	g->hostkey_refused = 1;
	return GIT_ECERTIFICATE;
}

static int
update_cb(const char *refname, const char *status, void *payload)
{
	struct gf_git *g = payload;

	(void)refname;
	if (status != NULL) {
		free(g->reject);
		g->reject = gf_xstrdup(status);
	}
	return 0;
}

static void
set_callbacks(struct gf_git *g, git_remote_callbacks *cb)
{
	cb->credentials = cred_cb;
	cb->certificate_check = cert_cb;
	cb->push_update_reference = update_cb;
	cb->payload = g;
	g->userpass_calls = 0;
	g->key_calls = 0;
	g->cred_refused = 0;
	g->cred_missing = 0;
	g->hostkey_refused = 0;
}

static int
is_http(const char *url)
{
	return strncmp(url, "http://", 7) == 0 ||
	    strncmp(url, "https://", 8) == 0;
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
	const char *p;
	char *pub;

	g->url = gf_http_redact_url(url);
	g->user = auth->user != NULL ? gf_xstrdup(auth->user) : NULL;
	g->token = auth->token != NULL ? gf_xstrdup(auth->token) : NULL;
	g->token_source = auth->token_source != NULL ?
	    gf_xstrdup(auth->token_source) : NULL;
	g->ssh_passphrase = auth->ssh_passphrase != NULL ?
	    gf_xstrdup(auth->ssh_passphrase) : NULL;
	g->known_hosts = auth->known_hosts != NULL ?
	    gf_xstrdup(auth->known_hosts) : NULL;
	if (auth->ca_file != NULL) {
		if (access(auth->ca_file, R_OK) != 0) {
			gf_err_set(err, GF_EXIT_CONFIG, "git",
			    "cannot read CA file '%s': %s", auth->ca_file,
			    strerror(errno));
			goto fail;
		}
		g->ca_file = gf_xstrdup(auth->ca_file);
		if (git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS,
		    g->ca_file, NULL) < 0) {
			lg_fail(err, GF_EXIT_CONFIG, "CA file");
			gf_err_prefix(err, "'%s'", auth->ca_file);
			goto fail;
		}
	}
	if (auth->ssh_key != NULL) {
		if (access(auth->ssh_key, R_OK) != 0) {
			gf_err_set(err, GF_EXIT_CONFIG, "git",
			    "cannot read SSH key '%s': %s", auth->ssh_key,
			    strerror(errno));
			goto fail;
		}
		g->ssh_key = gf_xstrdup(auth->ssh_key);
		pub = gf_xasprintf("%s.pub", auth->ssh_key);
		if (access(pub, R_OK) == 0)
			g->ssh_pub = pub;
		else
			free(pub);
	}
	/* Credentials in an HTTP URL: use them, never show them. */
	if (is_http(url) && g->token == NULL && (p = strstr(url, "://")) &&
	    strchr(p + 3, '@') != NULL &&
	    (strchr(p + 3, '/') == NULL ||
	    strchr(p + 3, '@') < strchr(p + 3, '/'))) {
		const char *ui = p + 3, *at = strchr(ui, '@');
		const char *colon = memchr(ui, ':', (size_t)(at - ui));

		if (colon != NULL) {
			free(g->user);
			g->user = gf_xstrndup(ui, (size_t)(colon - ui));
			g->token = gf_xstrndup(colon + 1,
			    (size_t)(at - colon - 1));
			gf_log_mask(g->token);
			free(g->token_source);
			g->token_source = gf_xstrdup("the URL");
		}
	}
	/* A user name alone in an HTTP URL goes with the token. */
	if (is_http(url) && (p = strstr(url, "://")) != NULL &&
	    strchr(p + 3, '@') != NULL && g->user == NULL &&
	    (strchr(p + 3, '/') == NULL ||
	    strchr(p + 3, '@') < strchr(p + 3, '/'))) {
		const char *ui = p + 3, *at = strchr(ui, '@');

		if (memchr(ui, ':', (size_t)(at - ui)) == NULL)
			g->user = gf_xstrndup(ui, (size_t)(at - ui));
	}
	if (gf_fs_mkdir_p(workdir, 0700, err) < 0)
		goto fail;
	if (git_repository_open_bare(&g->repo, workdir) < 0 &&
	    git_repository_init(&g->repo, workdir, 1) < 0) {
		lg_fail(err, GF_EXIT_CANTCREAT, "cannot create a work "
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
		lg_fail(err, GF_EXIT_OSERR, "cannot set up the object store");
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
		lg_fail(err, GF_EXIT_NOINPUT, "not a git repository");
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
		lg_fail(err, GF_EXIT_CANTCREAT, "cannot create repository");
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
		return lg_fail(err, GF_EXIT_UNAVAILABLE, "branch tip");
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
			lg_fail(err, GF_EXIT_IOERR, "cannot read branch");
		goto out;
	}
	if (git_remote_create_anonymous(&remote, g->repo, g->url) < 0) {
		lg_fail(err, GF_EXIT_CONFIG, "bad repository URL");
		goto out;
	}
	set_callbacks(g, &cb);
	lrc = git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, NULL,
	    NULL);
	if (lrc < 0) {
		net_fail(g, lrc, "cannot reach", err);
		goto out;
	}
	if (git_remote_ls(&heads, &nheads, remote) < 0) {
		net_fail(g, -1, "cannot list", err);
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
			net_fail(g, lrc, "cannot fetch from", err);
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
		return lg_fail(err, GF_EXIT_IOERR, path);
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
		return lg_fail(err, GF_EXIT_IOERR, path);
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
		return lg_fail(err, GF_EXIT_IOERR, "cannot store a file");
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
			lg_fail(err, GF_EXIT_IOERR, "cannot build a tree");
			goto out;
		}
		base = empty;
	}
	if (git_tree_create_updated(&tree_id, g->repo, base, nchanges, u) < 0) {
		lg_fail(err, GF_EXIT_DATAERR, "cannot place the files");
		goto out;
	}
	if (git_tree_lookup(&tree, g->repo, &tree_id) < 0) {
		lg_fail(err, GF_EXIT_IOERR, "cannot read the new tree");
		goto out;
	}
	if (git_signature_now(&a, author->name, author->email) < 0 ||
	    git_signature_now(&c, committer->name, committer->email) < 0) {
		lg_fail(err, GF_EXIT_CONFIG, "bad identity");
		goto out;
	}
	if (g->has_base && git_commit_lookup(&parent, g->repo, &g->base) < 0) {
		lg_fail(err, GF_EXIT_IOERR, "branch tip");
		goto out;
	}
	parents[0] = parent;
	if (git_commit_create(&g->commit, g->repo, NULL, a, c, NULL, message,
	    tree, g->has_base ? 1 : 0, parents) < 0) {
		lg_fail(err, GF_EXIT_IOERR, "cannot create the commit");
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
		return lg_fail(err, GF_EXIT_IOERR, "cannot update the branch");
	local_checkout(g, ref);
	*why = g->why;
	return 0;
}

/* Length of the pkt-line at p (4 hex digits), or -1. */
static long
pkt_len(const char *p, size_t avail)
{
	long n = 0;

	if (avail < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)p[i], v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v = c - 'A' + 10;
		else
			return -1;
		n = n * 16 + v;
	}
	if (n != 0 && (n < 4 || (size_t)n > avail))
		return -1;
	return n;
}

static int
http_status_fail(struct gf_git *g, const struct gf_http_resp *resp,
    const char *what, struct gf_err *err)
{
	if (resp->status == 401 || resp->status == 403) {
		if (g->token == NULL)
			return gf_err_set(err, GF_EXIT_CONFIG, "git",
			    "%s '%s': the server asks for credentials: set "
			    "GF_GIT_TOKEN (or GITHUB_TOKEN), or use an SSH key",
			    what, g->url);
		return gf_err_set(err, GF_EXIT_CONFIG, "git", "%s '%s': the "
		    "server refused the credentials from %s (HTTP %ld)", what,
		    g->url, g->token_source != NULL ? g->token_source :
		    "the URL", resp->status);
	}
	return gf_err_set(err, resp->status >= 500 || resp->status == 429 ?
	    GF_EXIT_TEMPFAIL : GF_EXIT_UNAVAILABLE, "git",
	    "%s '%s': HTTP %ld", what, g->url, resp->status);
}

static void
http_req(struct gf_git *g, struct gf_http_req *req, const char *method,
    const char *url)
{
	memset(req, 0, sizeof(*req));
	req->method = method;
	req->url = url;
	if (g->token != NULL) {
		req->username = g->user != NULL ? g->user : "x-access-token";
		req->password = g->token;
	}
}

/*
 * The remote's value of ref from a receive-pack advertisement: 1 with
 * the id in oid, 0 when absent, -1 when the body is not one.
 */
static int
advertised(const char *body, size_t len, const char *ref, char oid[41])
{
	size_t pos = 0, rlen = strlen(ref);
	int seen_service = 0;

	while (pos < len) {
		long n = pkt_len(body + pos, len - pos);
		const char *line = body + pos + 4;

		if (n < 0)
			return -1;
		if (n == 0) {
			pos += 4;
			continue;
		}
		pos += (size_t)n;
		n -= 4;
		if (n >= 9 && strncmp(line, "# service", 9) == 0) {
			seen_service = 1;
			continue;
		}
		if (n > 41 && line[40] == ' ' &&
		    (size_t)n >= 41 + rlen &&
		    strncmp(line + 41, ref, rlen) == 0 &&
		    (line[41 + rlen] == '\0' || line[41 + rlen] == '\n' ||
		    (size_t)n == 41 + rlen)) {
			memcpy(oid, line, 40);
			oid[40] = '\0';
			return 1;
		}
	}
	return seen_service ? 0 : -1;
}

/*
 * Push over smart HTTP through gf_http (libcurl). libgit2 1.5 builds the
 * pack after it has opened the connection and writes it on a keep-alive
 * connection the server may have closed meanwhile, which it does not
 * detect; here the pack is ready before the first request, and curl
 * reconnects when it must.
 */
static int
publish_http(struct gf_git *g, const char *ref, const char **why,
    struct gf_err *err)
{
	struct gf_http_opts opts;
	struct gf_http_req req;
	struct gf_http_resp resp;
	struct gf_http_header hdr[1];
	struct gf_buf url = GF_BUF_INIT, body = GF_BUF_INIT;
	git_packbuilder *pb = NULL;
	git_revwalk *walk = NULL;
	git_buf pack = { NULL, 0, 0 };
	char remote[41], mine[41], *base;
	size_t ulen, pos;
	int rc = -1, found, unpack_ok = 0, ref_ok = 0;

	memset(&resp, 0, sizeof(resp));
	gf_http_opts_init(&opts);
	opts.ca_file = g->ca_file;
	base = gf_xstrdup(g->url);
	ulen = strlen(base);
	while (ulen > 0 && base[ulen - 1] == '/')
		base[--ulen] = '\0';
	gf_buf_addf(&url, "%s/info/refs?service=git-receive-pack", base);
	http_req(g, &req, "GET", gf_buf_str(&url));
	if (gf_http_request(&opts, &req, &resp, err) < 0) {
		err->exit = GF_EXIT_TEMPFAIL;
		gf_err_prefix(err, "cannot reach '%s'", g->url);
		goto out;
	}
	if (resp.status != 200) {
		http_status_fail(g, &resp, "cannot push to", err);
		goto out;
	}
	found = advertised(resp.body, resp.body_len, ref, remote);
	if (found < 0) {
		gf_err_set(err, GF_EXIT_UNAVAILABLE, "git", "cannot push to "
		    "'%s': not a smart HTTP git server", g->url);
		goto out;
	}
	if (!found)
		snprintf(remote, sizeof(remote), "%040d", 0);
	if (strcmp(remote, g->has_base ? g->base_hex :
	    "0000000000000000000000000000000000000000") != 0) {
		g->why = gf_xstrdup("the branch moved since it was fetched");
		*why = g->why;
		rc = 1;
		goto out;
	}
	if (git_revwalk_new(&walk, g->repo) < 0 ||
	    git_revwalk_push(walk, &g->commit) < 0 ||
	    (g->has_base && git_revwalk_hide(walk, &g->base) < 0) ||
	    git_packbuilder_new(&pb, g->repo) < 0) {
		lg_fail(err, GF_EXIT_IOERR, "cannot list the objects to push");
		goto out;
	}
	git_packbuilder_set_threads(pb, 0);
	if (git_packbuilder_insert_walk(pb, walk) < 0 ||
	    git_packbuilder_write_buf(&pack, pb) < 0) {
		lg_fail(err, GF_EXIT_IOERR, "cannot build the pack");
		goto out;
	}
	git_oid_tostr(mine, sizeof(mine), &g->commit);
	{
		char line[256];
		int n = snprintf(line, sizeof(line), "%s %s %s", remote, mine,
		    ref);
		const char *caps = "report-status agent=gf\n";

		gf_buf_addf(&body, "%04zx", 4 + (size_t)n + 1 + strlen(caps));
		gf_buf_add(&body, line, (size_t)n);
		gf_buf_addc(&body, '\0');
		gf_buf_adds(&body, caps);
	}
	gf_buf_adds(&body, "0000");
	gf_buf_add(&body, pack.ptr, pack.size);
	git_buf_dispose(&pack);
	gf_http_resp_release(&resp);
	memset(&resp, 0, sizeof(resp));
	gf_buf_reset(&url);
	gf_buf_addf(&url, "%s/git-receive-pack", base);
	http_req(g, &req, "POST", gf_buf_str(&url));
	req.body = body.data;
	req.body_len = body.len;
	req.content_type = "application/x-git-receive-pack-request";
	hdr[0].name = "Accept";
	hdr[0].value = "application/x-git-receive-pack-result";
	req.headers = hdr;
	req.nheaders = 1;
	/* The loop above this module retries, after a fresh fetch. */
	opts.max_attempts = 1;
	opts.timeout = 900;
	if (gf_http_request(&opts, &req, &resp, err) < 0) {
		err->exit = GF_EXIT_TEMPFAIL;
		gf_err_prefix(err, "cannot push to '%s'", g->url);
		goto out;
	}
	if (resp.status != 200) {
		http_status_fail(g, &resp, "cannot push to", err);
		goto out;
	}
	for (pos = 0; pos < resp.body_len;) {
		long n = pkt_len(resp.body + pos, resp.body_len - pos);
		char *line;

		if (n < 0)
			break;
		if (n == 0) {
			pos += 4;
			continue;
		}
		line = gf_xstrndup(resp.body + pos + 4, (size_t)n - 4);
		pos += (size_t)n;
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "unpack ok") == 0)
			unpack_ok = 1;
		else if (strncmp(line, "unpack ", 7) == 0)
			gf_err_set(err, GF_EXIT_UNAVAILABLE, "git", "push to "
			    "'%s': the server could not unpack: %s", g->url,
			    line + 7);
		else if (strncmp(line, "ok ", 3) == 0 &&
		    strcmp(line + 3, ref) == 0)
			ref_ok = 1;
		else if (strncmp(line, "ng ", 3) == 0 &&
		    strncmp(line + 3, ref, strlen(ref)) == 0) {
			const char *r = line + 3 + strlen(ref);

			free(g->why);
			g->why = gf_xstrdup(*r == ' ' ? r + 1 : "rejected");
		}
		free(line);
	}
	if (!unpack_ok) {
		if (err->exit == 0)
			gf_err_set(err, GF_EXIT_UNAVAILABLE, "git", "push to "
			    "'%s': no status from the server", g->url);
		goto out;
	}
	if (!ref_ok) {
		if (g->why == NULL)
			g->why = gf_xstrdup("rejected");
		*why = g->why;
		rc = 1;
		goto out;
	}
	rc = 0;
out:
	git_buf_dispose(&pack);
	git_packbuilder_free(pb);
	git_revwalk_free(walk);
	gf_http_resp_release(&resp);
	gf_buf_release(&url);
	gf_buf_release(&body);
	free(base);
	return rc;
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
	if (is_http(g->url)) {
		rc = publish_http(g, ref, why, err);
		goto out;
	}
	specs[0] = spec;
	refspecs.strings = specs;
	refspecs.count = 1;
	if (git_reference_create(&r, g->repo, LOCAL_REF, &g->commit, 1,
	    NULL) < 0) {
		lg_fail(err, GF_EXIT_IOERR, "cannot record the commit");
		goto out;
	}
	if (git_remote_create_anonymous(&remote, g->repo, g->url) < 0) {
		lg_fail(err, GF_EXIT_CONFIG, "bad repository URL");
		goto out;
	}
	set_callbacks(g, &po.callbacks);
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
		net_fail(g, lrc, "cannot push to", err);
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
