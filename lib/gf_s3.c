/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gf_s3.h"
#include "gf_buf.h"
#include "gf_fs.h"
#include "gf_http.h"
#include "gf_log.h"
#include "gf_sha256.h"
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

static void
hmac(const unsigned char *key, size_t klen, const char *msg,
    unsigned char out[GF_SHA256_LEN])
{
	gf_hmac_sha256(key, klen, msg, strlen(msg), out);
}

/*
 * The Authorization header of a PUT, signed here rather than by libcurl:
 * curl 7.88 also signs the "Expect:" line gf_http uses to switch off
 * 100-continue, a header it never sends (curl/curl#11664), and S3-style
 * stores refuse such a signature.
 */
static char *
sigv4(const struct gf_s3 *s3, const char *host, const char *path,
    const char *sha, const char *amz_date)
{
	struct gf_buf creq = GF_BUF_INIT, sts = GF_BUF_INIT;
	unsigned char k[GF_SHA256_LEN], k2[GF_SHA256_LEN];
	char day[9], hex[GF_SHA256_HEX_LEN], *key, *auth;
	const char *signed_headers = s3->session != NULL ?
	    "host;x-amz-content-sha256;x-amz-date;x-amz-security-token" :
	    "host;x-amz-content-sha256;x-amz-date";

	memcpy(day, amz_date, 8);
	day[8] = '\0';
	gf_buf_addf(&creq, "PUT\n%s\n\nhost:%s\nx-amz-content-sha256:%s\n"
	    "x-amz-date:%s\n", path, host, sha, amz_date);
	if (s3->session != NULL)
		gf_buf_addf(&creq, "x-amz-security-token:%s\n", s3->session);
	gf_buf_addf(&creq, "\n%s\n%s", signed_headers, sha);
	gf_buf_addf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/s3/aws4_request\n%s",
	    amz_date, day, s3->region, gf_sha256_hex(creq.data, creq.len, hex));
	key = gf_xasprintf("AWS4%s", s3->secret);
	hmac((const unsigned char *)key, strlen(key), day, k);
	gf_free_secret(key);
	hmac(k, sizeof(k), s3->region, k2);
	hmac(k2, sizeof(k2), "s3", k);
	hmac(k, sizeof(k), "aws4_request", k2);
	gf_hmac_sha256(k2, sizeof(k2), sts.data, sts.len, k);
	auth = gf_xasprintf("AWS4-HMAC-SHA256 Credential=%s/%s/%s/s3/"
	    "aws4_request, SignedHeaders=%s, Signature=%s", s3->key_id, day,
	    s3->region, signed_headers, gf_sha256_to_hex(k, hex));
	explicit_bzero(k, sizeof(k));
	explicit_bzero(k2, sizeof(k2));
	gf_buf_release(&creq);
	gf_buf_release(&sts);
	return auth;
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
	struct gf_http_header h[4];
	struct gf_buf url = GF_BUF_INIT;
	char sha[GF_SHA256_HEX_LEN], amz_date[32], *data, *key, *code;
	char *host, *auth;
	const char *p, *slash;
	size_t len, nh = 0;
	time_t now = time(NULL);
	struct tm tm;
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
	gf_sha256_hex(data, len, sha);
	if (s3->endpoint != NULL)
		gf_buf_addf(&url, "%s/%s/", s3->endpoint, s3->bucket);
	else
		gf_buf_addf(&url, "https://%s.s3.%s.amazonaws.com/", s3->bucket,
		    s3->region);
	add_key(&url, key);
	p = strstr(url.data, "://") + 3;
	slash = strchr(p, '/');
	host = gf_xstrndup(p, (size_t)(slash - p));
	gmtime_r(&now, &tm);
	strftime(amz_date, sizeof(amz_date), "%Y%m%dT%H%M%SZ", &tm);
	auth = sigv4(s3, host, slash, sha, amz_date);
	h[nh].name = "Authorization";
	h[nh++].value = auth;
	h[nh].name = "x-amz-content-sha256";
	h[nh++].value = sha;
	h[nh].name = "x-amz-date";
	h[nh++].value = amz_date;
	if (s3->session != NULL) {
		h[nh].name = "x-amz-security-token";
		h[nh++].value = s3->session;
	}
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
	free(host);
	gf_free_secret(auth);
	free(data);
	free(key);
	return rc;
}
