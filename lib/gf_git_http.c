/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf_git's push over smart HTTP through gf_http (libcurl): the
 * receive-pack advertisement, the pack built before the first request,
 * and the report-status answer. See gf_git.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "gf_git.h"
#include "gf_git_impl.h"
#include "gf_buf.h"
#include "gf_http.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

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
int
gf_git_publish_http(struct gf_git *g, const char *ref, const char **why,
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
		gf_git_lg_fail(err, GF_EXIT_IOERR,
		    "cannot list the objects to push");
		goto out;
	}
	git_packbuilder_set_threads(pb, 0);
	if (git_packbuilder_insert_walk(pb, walk) < 0 ||
	    git_packbuilder_write_buf(&pack, pb) < 0) {
		gf_git_lg_fail(err, GF_EXIT_IOERR, "cannot build the pack");
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
