/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/random.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "gf_http.h"
#include "gf_sha256.h"
#include "gf_buf.h"
#include "gf_log.h"
#include "gf_parse.h"
#include "gf_xalloc.h"
#include "gf_banned.h"

#ifndef GF_VERSION
#define GF_VERSION "0"
#endif

struct xfer {
	struct gf_buf body;
	size_t max_body;
	int oversize;
	char *content_type;
	char *retry_after;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static CURLcode init_rc;

static void
global_init(void)
{
	init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void
gf_http_opts_init(struct gf_http_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->timeout = 30;
	opts->connect_timeout = 5;
	opts->max_attempts = 4;
	opts->backoff_base = 0.5;
	opts->backoff_max = 8;
	opts->max_body = (size_t)256 << 20;
}

void
gf_http_resp_release(struct gf_http_resp *resp)
{
	if (resp == NULL)
		return;
	free(resp->body);
	free(resp->content_type);
	free(resp->retry_after);
	memset(resp, 0, sizeof(*resp));
}

char *
gf_http_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct gf_buf b = GF_BUF_INIT;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' ||
		    *p == '~') {
			gf_buf_addc(&b, (char)*p);
		} else {
			gf_buf_addc(&b, '%');
			gf_buf_addc(&b, hex[*p >> 4]);
			gf_buf_addc(&b, hex[*p & 15]);
		}
	}
	return gf_buf_detach(&b);
}

/*
 * Where the userinfo of url ("user:pass" in "http://user:pass@host/")
 * starts (*start) and its '@' is; NULL when it has none.
 */
static const char *
userinfo_at(const char *url, const char **start)
{
	const char *auth = strstr(url, "://"), *end;

	if (auth == NULL)
		return NULL;
	*start = auth += 3;
	end = auth + strcspn(auth, "/?#");
	return memrchr(auth, '@', (size_t)(end - auth));
}

/*
 * A secret as the URL gives it and as sent ("p%40ss" is "p@ss" on the
 * wire, and in anything that prints it decoded).
 */
static void
mask_both(const char *secret)
{
	int len = 0;
	char *plain;

	gf_log_mask(secret);
	plain = strchr(secret, '%') != NULL ? curl_easy_unescape(NULL,
	    secret, 0, &len) : NULL;
	if (plain != NULL && (size_t)len == strlen(plain))
		gf_log_mask(plain);
	if (plain != NULL) {
		explicit_bzero(plain, (size_t)len);
		curl_free(plain);
	}
}

void
gf_http_mask_credentials(const char *url)
{
	const char *start, *at = userinfo_at(url, &start);
	char *userinfo, *colon;

	if (at == NULL)
		return;
	userinfo = gf_xstrndup(start, (size_t)(at - start));
	if ((colon = strchr(userinfo, ':')) != NULL) {
		if (colon[1] != '\0')
			mask_both(colon + 1);
	} else if (strncmp(url, "http://", 7) == 0 ||
	    strncmp(url, "https://", 8) == 0) {
		mask_both(userinfo);
	}
	gf_free_secret(userinfo);
}

char *
gf_http_redact_url(const char *url)
{
	const char *start, *at = userinfo_at(url, &start);

	if (at == NULL)
		return gf_xstrdup(url);
	gf_http_mask_credentials(url);
	return gf_xasprintf("%.*s%s", (int)(start - url), url, at + 1);
}

double
gf_http_retry_after(const char *value, double now)
{
	struct tm tm;
	char *end;
	double secs;

	while (isspace((unsigned char)*value))
		value++;
	if (isdigit((unsigned char)*value)) {
		errno = 0;
		secs = strtod(value, &end);
		while (isspace((unsigned char)*end))
			end++;
		return errno == 0 && *end == '\0' && secs >= 0 ? secs : -1;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	secs = (double)timegm(&tm) - now;
	return secs > 0 ? secs : 0;
}

static size_t
on_body(char *data, size_t size, size_t n, void *cookie)
{
	struct xfer *x = cookie;

	if (x->body.len + n > x->max_body) {
		x->oversize = 1;
		return 0;	/* makes curl fail with CURLE_WRITE_ERROR */
	}
	gf_buf_add(&x->body, data, size * n);
	return size * n;
}

static char *
header_value(const char *line, size_t len, const char *name)
{
	size_t nlen = strlen(name);
	const char *v;

	if (len <= nlen || strncasecmp(line, name, nlen) != 0 ||
	    line[nlen] != ':')
		return NULL;
	v = line + nlen + 1;
	len -= nlen + 1;
	while (len > 0 && (*v == ' ' || *v == '\t'))
		v++, len--;
	while (len > 0 && isspace((unsigned char)v[len - 1]))
		len--;
	return gf_xstrndup(v, len);
}

static size_t
on_header(char *line, size_t size, size_t n, void *cookie)
{
	struct xfer *x = cookie;
	char *v;

	/* A new status line (after a redirect or 100-continue) resets. */
	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		free(x->content_type);
		free(x->retry_after);
		x->content_type = x->retry_after = NULL;
	}
	if ((v = header_value(line, size * n, "Content-Type")) != NULL) {
		free(x->content_type);
		x->content_type = v;
	} else if ((v = header_value(line, size * n, "Retry-After")) != NULL) {
		free(x->retry_after);
		x->retry_after = v;
	}
	return size * n;
}

static int
retryable_status(long status)
{
	return status == 429 || (status >= 500 && status != 501 &&
	    status != 505);
}

static int
retryable_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

static double
jitter_delay(const struct gf_http_opts *o, int attempt)
{
	double cap = o->backoff_base * ldexp(1.0, attempt - 1);
	unsigned int r = 0;

	if (cap > o->backoff_max)
		cap = o->backoff_max;
	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (unsigned int)rand();
	return cap * ((double)r / 4294967296.0);
}

static CURL *
setup(const struct gf_http_opts *o, const struct gf_http_req *req,
    struct curl_slist *headers, struct xfer *x, char *errbuf)
{
	CURL *c = curl_easy_init();
	const char *m = req->method ? req->method : "GET";
	char *ua;

	if (c == NULL)
		return NULL;
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(o->timeout * 1000));
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(o->connect_timeout * 1000));
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
	ua = o->user_agent ? gf_xstrdup(o->user_agent) :
	    gf_xstrdup("gf/" GF_VERSION);
	curl_easy_setopt(c, CURLOPT_USERAGENT, ua);	/* curl copies it */
	free(ua);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	if (strcmp(m, "HEAD") == 0) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (req->body != NULL || strcmp(m, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->body_len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS,
		    req->body ? req->body : "");
		if (strcmp(m, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m);
	} else if (strcmp(m, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m);
	}
	if (req->aws_sigv4 != NULL)
		curl_easy_setopt(c, CURLOPT_AWS_SIGV4, req->aws_sigv4);
	else if (req->username != NULL)
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	if (req->username != NULL)
		curl_easy_setopt(c, CURLOPT_USERNAME, req->username);
	if (req->password != NULL)
		curl_easy_setopt(c, CURLOPT_PASSWORD, req->password);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	return c;
}

static struct curl_slist *
make_headers(const struct gf_http_req *req)
{
	struct curl_slist *h = NULL;
	char *line;

	/*
	 * Large bodies must not wait for a "100 Continue" round trip. Not
	 * with SigV4: curl 7.88 signs a suppressed header it does not send
	 * (curl/curl#11664), and the service then rejects the signature.
	 */
	if (req->aws_sigv4 == NULL)
		h = curl_slist_append(h, "Expect:");
	/*
	 * S3 refuses requests without the payload hash; curl 7.88 signs the
	 * header when it is given but does not add it.
	 */
	if (req->aws_sigv4 != NULL && strlen(req->aws_sigv4) > 3 &&
	    strcmp(req->aws_sigv4 + strlen(req->aws_sigv4) - 3, ":s3") == 0) {
		char hex[65];

		gf_sha256_hex(req->body != NULL ? req->body : "",
		    req->body != NULL ? req->body_len : 0, hex);
		line = gf_xasprintf("x-amz-content-sha256: %s", hex);
		h = curl_slist_append(h, line);
		free(line);
	}
	if (req->content_type != NULL) {
		line = gf_xasprintf("Content-Type: %s", req->content_type);
		h = curl_slist_append(h, line);
		free(line);
	} else if (req->body != NULL && req->aws_sigv4 == NULL) {
		/* Not curl's default form type for a body of unknown type. */
		h = curl_slist_append(h, "Content-Type:");
	}
	for (size_t i = 0; i < req->nheaders; i++) {
		line = gf_xasprintf("%s: %s", req->headers[i].name,
		    req->headers[i].value);
		h = curl_slist_append(h, line);
		gf_free_secret(line);
	}
	return h;
}

int
gf_http_request(const struct gf_http_opts *opts,
    const struct gf_http_req *req, struct gf_http_resp *resp,
    struct gf_err *err)
{
	struct gf_http_opts o;
	struct curl_slist *headers;
	struct xfer x;
	char errbuf[CURL_ERROR_SIZE];
	const char *m = req->method ? req->method : "GET";
	char *safe_url;
	int rc = -1;

	memset(resp, 0, sizeof(*resp));
	gf_http_opts_init(&o);
	if (opts != NULL) {
		o = *opts;
		if (o.timeout <= 0)
			o.timeout = 30;
		if (o.connect_timeout <= 0)
			o.connect_timeout = 5;
		if (o.max_attempts <= 0)
			o.max_attempts = 4;
		if (o.backoff_base <= 0)
			o.backoff_base = 0.5;
		if (o.backoff_max <= 0)
			o.backoff_max = 8;
		if (o.max_body == 0)
			o.max_body = (size_t)256 << 20;
	}
	pthread_once(&init_once, global_init);
	safe_url = gf_http_redact_url(req->url);
	if (init_rc != CURLE_OK) {
		gf_err_set(err, GF_EXIT_SOFTWARE, "http", "libcurl: %s",
		    curl_easy_strerror(init_rc));
		goto out_nohdr;
	}
	if (req->password != NULL)
		gf_log_mask(req->password);
	headers = make_headers(req);
	for (int attempt = 1;; attempt++) {
		CURL *c;
		CURLcode cc;
		long status = 0;
		double delay;

		memset(&x, 0, sizeof(x));
		x.max_body = o.max_body;
		errbuf[0] = '\0';
		c = setup(&o, req, headers, &x, errbuf);
		if (c == NULL) {
			gf_err_set(err, GF_EXIT_SOFTWARE, "http",
			    "cannot create a curl handle");
			break;
		}
		gf_debug("%s %s (attempt %d)", m, safe_url, attempt);
		cc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_cleanup(c);
		resp->attempts = attempt;
		if (x.oversize) {
			gf_err_set(err, GF_EXIT_DATAERR, "http",
			    "%s %s: response larger than %zu bytes", m,
			    safe_url, o.max_body);
			goto next_fail;
		}
		if (cc == CURLE_OK && (!retryable_status(status) ||
		    req->no_retry || attempt >= o.max_attempts)) {
			resp->status = status;
			resp->body_len = x.body.len;
			resp->body = gf_buf_detach(&x.body);
			resp->content_type = x.content_type;
			resp->retry_after = x.retry_after;
			rc = 0;
			break;
		}
		if (cc != CURLE_OK && (!retryable_curl(cc) ||
		    attempt >= o.max_attempts)) {
			gf_err_set(err, cc == CURLE_OPERATION_TIMEDOUT ?
			    GF_EXIT_TEMPFAIL : GF_EXIT_UNAVAILABLE, "http",
			    "%s %s: %s (%d attempt%s)", m, safe_url,
			    errbuf[0] ? errbuf : curl_easy_strerror(cc),
			    attempt, attempt > 1 ? "s" : "");
			goto next_fail;
		}
		delay = jitter_delay(&o, attempt);
		if (cc == CURLE_OK && x.retry_after != NULL) {
			double ra = gf_http_retry_after(x.retry_after,
			    gf_time_now());

			if (ra >= 0)
				delay = ra < GF_HTTP_RETRY_AFTER_MAX ? ra :
				    GF_HTTP_RETRY_AFTER_MAX;
		}
		gf_debug("%s %s: %s, retrying in %.2fs", m, safe_url,
		    cc == CURLE_OK ? "retryable status" :
		    curl_easy_strerror(cc), delay);
		gf_buf_release(&x.body);
		free(x.content_type);
		free(x.retry_after);
		gf_time_sleep(delay, 0);
		continue;
next_fail:
		gf_buf_release(&x.body);
		free(x.content_type);
		free(x.retry_after);
		break;
	}
	curl_slist_free_all(headers);
out_nohdr:
	if (resp->body == NULL) {
		resp->body = gf_xstrdup("");
		resp->body_len = 0;
	}
	free(safe_url);
	return rc;
}

int
gf_http_status_error(const struct gf_http_req *req,
    const struct gf_http_resp *resp, struct gf_err *err)
{
	char *url = gf_http_redact_url(req->url);
	char excerpt[201];
	size_t n = 0;
	int code;

	for (const char *p = resp->body; p && *p && n < sizeof(excerpt) - 1;
	    p++)
		excerpt[n++] = (*p == '\n' || *p == '\r' || *p == '\t') ? ' ' :
		    *p;
	excerpt[n] = '\0';
	if (resp->status >= 500 || resp->status == 429)
		code = GF_EXIT_UNAVAILABLE;
	else if (resp->status == 401 || resp->status == 403)
		code = GF_EXIT_CONFIG;
	else
		code = GF_EXIT_DATAERR;
	gf_err_set(err, code, "http", "%s %s: HTTP %ld%s%s",
	    req->method ? req->method : "GET", url, resp->status,
	    n ? ": " : "", excerpt);
	free(url);
	return -1;
}
