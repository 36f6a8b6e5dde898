/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Private to gf_git*.c: the repository handle and what its parts share.
 * gf_git.c opens, fetches, builds commits and publishes; gf_git_auth.c
 * holds the credentials and the transport callbacks; gf_git_http.c
 * pushes over smart HTTP.
 */
#ifndef GF_GIT_IMPL_H
#define GF_GIT_IMPL_H

#include <git2.h>

#include "gf_err.h"
#include "gf_git.h"

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

/* err from libgit2's last error: "what: reason". Returns -1. */
int gf_git_lg_fail(struct gf_err *err, int exit, const char *what);

/*
 * err for a failed fetch or push, by the exit codes of gf_git.h (78 for
 * credentials and host keys, 75 for the network, else 69). Returns -1.
 */
int gf_git_net_fail(struct gf_git *g, int rc, const char *what,
    struct gf_err *err);

/* Install the credential, host-key and push-status callbacks on cb. */
void gf_git_callbacks(struct gf_git *g, git_remote_callbacks *cb);

/* Non-zero for an http:// or https:// URL. */
int gf_git_url_is_http(const char *url);

/*
 * Copy auth into g, check the CA file and the SSH key can be read (78),
 * and take credentials given in an HTTP URL ("user:token@host"), masked.
 */
int gf_git_auth_set(struct gf_git *g, const char *url,
    const struct gf_git_auth *auth, struct gf_err *err);

/*
 * Push g's commit to ref ("refs/heads/main") over smart HTTP; returns
 * as gf_git_publish.
 */
int gf_git_publish_http(struct gf_git *g, const char *ref, const char **why,
    struct gf_err *err);

#endif
