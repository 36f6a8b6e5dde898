/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf_git's credentials and transport callbacks: what is offered to a
 * server (once per operation), how an SSH host key is checked against a
 * known_hosts file, and how a failed network operation maps to an exit
 * status. See gf_git.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "gf_git.h"
#include "gf_git_impl.h"
#include "gf_fs.h"
#include "gf_log.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

/* Map a failed fetch or push to the exit codes of the header. */
int
gf_git_net_fail(struct gf_git *g, int rc, const char *what, struct gf_err *err)
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

void
gf_git_callbacks(struct gf_git *g, git_remote_callbacks *cb)
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

int
gf_git_url_is_http(const char *url)
{
	return strncmp(url, "http://", 7) == 0 ||
	    strncmp(url, "https://", 8) == 0;
}

int
gf_git_auth_set(struct gf_git *g, const char *url,
    const struct gf_git_auth *auth, struct gf_err *err)
{
	const char *p;
	char *pub;

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
			return -1;
		}
		g->ca_file = gf_xstrdup(auth->ca_file);
		if (git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS,
		    g->ca_file, NULL) < 0) {
			gf_git_lg_fail(err, GF_EXIT_CONFIG, "CA file");
			gf_err_prefix(err, "'%s'", auth->ca_file);
			return -1;
		}
	}
	if (auth->ssh_key != NULL) {
		if (access(auth->ssh_key, R_OK) != 0) {
			gf_err_set(err, GF_EXIT_CONFIG, "git",
			    "cannot read SSH key '%s': %s", auth->ssh_key,
			    strerror(errno));
			return -1;
		}
		g->ssh_key = gf_xstrdup(auth->ssh_key);
		pub = gf_xasprintf("%s.pub", auth->ssh_key);
		if (access(pub, R_OK) == 0)
			g->ssh_pub = pub;
		else
			free(pub);
	}
	/* Credentials in an HTTP URL: use them, never show them. */
	if (gf_git_url_is_http(url) && g->token == NULL &&
	    (p = strstr(url, "://")) &&
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
	if (gf_git_url_is_http(url) && (p = strstr(url, "://")) != NULL &&
	    strchr(p + 3, '@') != NULL && g->user == NULL &&
	    (strchr(p + 3, '/') == NULL ||
	    strchr(p + 3, '@') < strchr(p + 3, '/'))) {
		const char *ui = p + 3, *at = strchr(ui, '@');

		if (memchr(ui, ':', (size_t)(at - ui)) == NULL)
			g->user = gf_xstrndup(ui, (size_t)(at - ui));
	}
	return 0;
}
