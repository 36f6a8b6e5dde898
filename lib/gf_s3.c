/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "gf_s3.h"
#include "gf_buf.h"
#include "gf_fs.h"
#include "gf_http.h"
#include "gf_log.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

struct gf_s3 {
	char *bucket;
	char *prefix;		/* "" or without slashes at the ends */
	char *endpoint;		/* NULL: AWS */
	char *region;
	char *key_id;
	char *secret;
	char *session;
};

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

struct gf_s3 *
gf_s3_new(const char *url, const char *endpoint, struct gf_err *err)
{
	struct gf_s3 *s3;
	const char *p, *slash, *v;
	size_t n;

	if (strncmp(url, "s3://", 5) != 0 || url[5] == '\0' || url[5] == '/') {
		gf_err_set(err, GF_EXIT_USAGE, "s3", "'%s': expected "
		    "s3://bucket[/prefix]", url);
		return NULL;
	}
	s3 = gf_xcalloc(1, sizeof(*s3));
	p = url + 5;
	slash = strchr(p, '/');
	s3->bucket = slash != NULL ? gf_xstrndup(p, (size_t)(slash - p)) :
	    gf_xstrdup(p);
	p = slash != NULL ? slash + 1 : "";
	while (*p == '/')
		p++;
	n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		n--;
	s3->prefix = gf_xstrndup(p, n);
	if (endpoint != NULL) {
		n = strlen(endpoint);
		while (n > 0 && endpoint[n - 1] == '/')
			n--;
		s3->endpoint = gf_xstrndup(endpoint, n);
	}
	v = env("AWS_REGION");
	if (v == NULL)
		v = env("AWS_DEFAULT_REGION");
	s3->region = gf_xstrdup(v != NULL ? v : "us-east-1");
	if (env("AWS_ACCESS_KEY_ID") == NULL ||
	    env("AWS_SECRET_ACCESS_KEY") == NULL) {
		gf_err_set(err, GF_EXIT_CONFIG, "s3", "no credentials for "
		    "'%s': set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
		    url);
		gf_s3_free(s3);
		return NULL;
	}
	s3->key_id = gf_xstrdup(env("AWS_ACCESS_KEY_ID"));
	s3->secret = gf_xstrdup(env("AWS_SECRET_ACCESS_KEY"));
	gf_log_mask(s3->secret);
	if ((v = env("AWS_SESSION_TOKEN")) != NULL) {
		s3->session = gf_xstrdup(v);
		gf_log_mask(s3->session);
	}
	return s3;
}

void
gf_s3_free(struct gf_s3 *s3)
{
	if (s3 == NULL)
		return;
	free(s3->bucket);
	free(s3->prefix);
	free(s3->endpoint);
	free(s3->region);
	free(s3->key_id);
	gf_free_secret(s3->secret);
	gf_free_secret(s3->session);
	free(s3);
}

/* URI-encode a key as S3 signs it: every byte but unreserved and '/'. */
static void
add_key(struct gf_buf *b, const char *key)
{
	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-_.~/", *p) != NULL)
			gf_buf_addc(b, (char)*p);
		else
			gf_buf_addf(b, "%%%02X", *p);
	}
}

/* The <Code> of an S3 error body, or "". */
static char *
s3_code(const char *body)
{
	const char *s = strstr(body, "<Code>"), *e;

	if (s == NULL || (e = strstr(s, "</Code>")) == NULL)
		return gf_xstrdup("");
	s += 6;
	return gf_xstrndup(s, (size_t)(e - s));
}

int
gf_s3_put_file(struct gf_s3 *s3, const char *name, const char *path,
    char **keyp, struct gf_err *err)
{
	struct gf_http_opts opts;
	struct gf_http_req req;
	struct gf_http_resp resp;
	struct gf_http_header h[1];
	struct gf_buf url = GF_BUF_INIT;
	char *data, *key, *code, *sigv4;
	size_t len, nh = 0;
	int rc = -1;

	if (keyp != NULL)
		*keyp = NULL;
	while (*name == '/')
		name++;
	key = *s3->prefix != '\0' ? gf_xasprintf("%s/%s", s3->prefix, name) :
	    gf_xstrdup(name);
	data = gf_fs_read(path, 0, &len, err);
	if (data == NULL) {
		free(key);
		return -1;
	}
	if (s3->endpoint != NULL)
		gf_buf_addf(&url, "%s/%s/", s3->endpoint, s3->bucket);
	else
		gf_buf_addf(&url, "https://%s.s3.%s.amazonaws.com/", s3->bucket,
		    s3->region);
	add_key(&url, key);
	if (s3->session != NULL) {
		h[nh].name = "x-amz-security-token";
		h[nh++].value = s3->session;
	}
	/* gf_http signs (libcurl SigV4) and adds the payload hash. */
	sigv4 = gf_xasprintf("aws:amz:%s:s3", s3->region);
	gf_http_opts_init(&opts);
	opts.timeout = 300;
	memset(&req, 0, sizeof(req));
	req.method = "PUT";
	req.url = gf_buf_str(&url);
	req.headers = h;
	req.nheaders = nh;
	req.body = data;
	req.body_len = len;
	req.content_type = "application/octet-stream";
	req.aws_sigv4 = sigv4;
	req.username = s3->key_id;
	req.password = s3->secret;
	memset(&resp, 0, sizeof(resp));
	if (gf_http_request(&opts, &req, &resp, err) < 0) {
		gf_err_prefix(err, "upload of '%s' to s3://%s/%s", path,
		    s3->bucket, key);
		goto out;
	}
	if (resp.status / 100 != 2) {
		code = s3_code(resp.body);
		gf_err_set(err, resp.status == 403 ? GF_EXIT_CONFIG :
		    GF_EXIT_UNAVAILABLE, "s3", "upload of '%s' to s3://%s/%s: "
		    "HTTP %ld%s%s", path, s3->bucket, key, resp.status,
		    *code != '\0' ? " " : "", code);
		free(code);
		goto out;
	}
	rc = 0;
	if (keyp != NULL) {
		*keyp = key;
		key = NULL;
	}
out:
	gf_http_resp_release(&resp);
	gf_buf_release(&url);
	free(sigv4);
	free(data);
	free(key);
	return rc;
}
