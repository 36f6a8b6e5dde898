/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Git (libgit2): the one module that includes <git2.h>.
 *
 * Commits are built straight in the object database from a base commit
 * (the branch tip) and a list of path -> blob changes; no work tree is
 * checked out, so a retry after a rejected push only rebuilds trees.
 *
 *	struct gf_git *g = gf_git_open_remote(url, workdir, &auth, &err);
 *	gf_git_fetch(g, "main", &err);                  // tip of main
 *	gf_git_blob(g, data, len, oid, &err);
 *	gf_git_commit(g, changes, n, msg, &author, &committer, sha, &err);
 *	switch (gf_git_publish(g, "main", &err)) ...    // 1: rejected
 *	gf_git_free(g);
 *
 * Two kinds of repository: a remote one (HTTPS with a token, SSH with a key
 * file, or any URL libgit2 knows), worked on through a scratch bare
 * repository, and a local one (a path), updated in place with a
 * compare-and-swap of the branch reference.
 *
 * Credentials: the callback answers at most once per operation. A second
 * request means the server refused what was given; the operation then
 * fails with exit 78 instead of asking again forever.
 *
 * Errors: 78 for refused or missing credentials and untrusted host keys;
 * 75 for network failures (connection refused or reset, a server that
 * went away: a retry may succeed); 69 for other remote errors (no such
 * repository); 73/74 for local repository errors.
 */
#ifndef GF_GIT_H
#define GF_GIT_H

#include <stddef.h>

#include "gf_err.h"

#define GF_GIT_OID_HEX 41	/* 40 hex digits and the NUL */

struct gf_git;

struct gf_git_auth {
	const char *user;	/* HTTPS user; NULL: "x-access-token" */
	const char *token;	/* HTTPS password or token; NULL: none */
	const char *token_source; /* for messages: "GF_GIT_TOKEN" */
	const char *ssh_key;	/* private key file for ssh:// URLs */
	const char *ssh_passphrase; /* NULL: none */
	/* OpenSSH known_hosts file; NULL: libgit2's own checks. */
	const char *known_hosts;
	/* CA certificates (PEM) for HTTPS; NULL: the system's. */
	const char *ca_file;
};

struct gf_git_ident {
	const char *name;
	const char *email;
};

struct gf_git_change {
	const char *path;	/* in the tree, '/'-separated; borrowed */
	char oid[GF_GIT_OID_HEX]; /* blob id */
};

/*
 * Open a remote repository: a scratch bare repository is created (or
 * reused) in workdir, which must be private to this process. auth is
 * copied. Returns NULL with err on failure; free with gf_git_free().
 */
struct gf_git *gf_git_open_remote(const char *url, const char *workdir,
    const struct gf_git_auth *auth, struct gf_err *err);

/*
 * Open a local repository (bare or not) at path. When it is missing and
 * init_branch is not NULL, create a non-bare one whose HEAD is that
 * branch. 66 when missing and not to be created.
 */
struct gf_git *gf_git_open_local(const char *path, const char *init_branch,
    struct gf_err *err);

void gf_git_free(struct gf_git *g);

/* Non-zero when branch is a valid branch name ("main", "results/x"). */
int gf_git_branch_ok(const char *branch);

/* Non-zero for a local repository (gf_git_open_local). */
int gf_git_is_local(const struct gf_git *g);

/*
 * Make the current tip of branch the base of the next commit: fetched
 * from the remote, or read from a local repository. A branch that does
 * not exist yet gives no base (the next commit is a root commit). An
 * invalid branch name is a usage error (64).
 */
int gf_git_fetch(struct gf_git *g, const char *branch, struct gf_err *err);

/* The base commit id, or "" when there is none. Borrowed. */
const char *gf_git_base(const struct gf_git *g);

/*
 * Look up path in the base tree. Returns 1 with the blob id in oid when
 * it is a file, 0 when absent (or no base), 2 when it is a directory,
 * -1 on error.
 */
int gf_git_base_lookup(struct gf_git *g, const char *path,
    char oid[GF_GIT_OID_HEX], struct gf_err *err);

/*
 * Read the file at path in the base tree. Returns 1 with a new
 * NUL-terminated buffer in *data (caller frees) and its length, 0 when
 * absent, -1 on error.
 */
int gf_git_base_read(struct gf_git *g, const char *path, char **data,
    size_t *len, struct gf_err *err);

/* Store a blob; its id goes to oid. */
int gf_git_blob(struct gf_git *g, const void *data, size_t len,
    char oid[GF_GIT_OID_HEX], struct gf_err *err);

/*
 * Create a commit on the base with the changes applied (files added or
 * replaced). The commit is not published yet. sha receives its id.
 * author and committer must have name and email.
 */
int gf_git_commit(struct gf_git *g, const struct gf_git_change *changes,
    size_t nchanges, const char *message, const struct gf_git_ident *author,
    const struct gf_git_ident *committer, char sha[GF_GIT_OID_HEX],
    struct gf_err *err);

/*
 * Publish the last commit to branch without forcing: a push to the
 * remote, or a compare-and-swap of the local reference (and a checkout
 * when the branch is checked out in a work tree). Returns 0 when it
 * landed, 1 when it was rejected because the branch moved (fetch and
 * commit again), -1 with err otherwise. *why (may be NULL) gets the
 * rejection reason; borrowed until the next call.
 */
int gf_git_publish(struct gf_git *g, const char *branch, const char **why,
    struct gf_err *err);

/*
 * Non-zero when repo is a URL ("https://...", "ssh://...", "file://...",
 * or scp-like "git@host:owner/repo") rather than a local path.
 */
int gf_git_is_remote_url(const char *repo);

/*
 * The web page of a commit where it can be derived (github.com and
 * gitlab.com remotes, HTTPS or SSH); NULL otherwise. New string.
 */
char *gf_git_web_url(const char *url, const char *sha);

#endif
