/* SPDX-License-Identifier: Apache-2.0 */
#include <sys/random.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "gf_http.h"
#include "gf_sha256.h"
#include "gf_buf.h"
#include "gf_dl.h"
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

/*
 * libcurl, loaded by the first request: with its thirty-odd libraries
 * (TLS, Kerberos, LDAP, IDN) it took 14 ms of every start, a tenth of a
 * gf-train run on a CSV, which never talks HTTP. Only this table calls
 * it; its soname has been libcurl.so.4 since 7.16.
 */
struct libcurl {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *c);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *c);
	const char *(*easy_strerror)(CURLcode rc);
	struct curl_slist *(*slist_append)(struct curl_slist *l,
	    const char *s);
	void (*slist_free_all)(struct curl_slist *l);
};
static struct libcurl lc;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static char load_error[512];	/* why libcurl is not usable, or "" */

static void
load_libcurl(void)
{
	static const struct gf_dl_sym syms[] = {
#define SYM(f) { "curl_" #f, offsetof(struct libcurl, f) }
		SYM(global_init), SYM(easy_init), SYM(easy_setopt),
		SYM(easy_perform), SYM(easy_getinfo), SYM(easy_cleanup),
		SYM(easy_strerror), SYM(slist_append), SYM(slist_free_all),
#undef SYM
	};
	CURLcode rc;

	if (gf_dl_table("libcurl.so.4", "libcurl", syms, GF_ARRAY_LEN(syms),
	    &lc, load_error, sizeof(load_error)) < 0)
		return;
	if ((rc = lc.global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK)
		snprintf(load_error, sizeof(load_error), "libcurl: %s",
		    lc.easy_strerror(rc));
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

static int
hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' +
	    10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/*
 * A secret as the URL gives it and as sent ("p%40ss" is "p@ss" on the
 * wire, and in anything that prints it decoded). A "%" not followed by
 * two hex digits stays as it is, as curl reads it; a secret that decodes
 * to a NUL is masked as given only.
 */
static void
mask_both(const char *secret)
{
	size_t n = 0, len = strlen(secret);
	char *plain;

	gf_log_mask(secret);
	if (strchr(secret, '%') == NULL)
		return;
	plain = gf_xcalloc(len + 1, 1);
	for (size_t i = 0; i < len; i++) {
		/* Stops at the NUL: hex_digit('\0') is -1. */
		int hi = secret[i] == '%' ? hex_digit(secret[i + 1]) : -1;
		int lo = hi >= 0 ? hex_digit(secret[i + 2]) : -1;

		if (lo >= 0) {
			plain[n++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			plain[n++] = secret[i];
		}
	}
	if (strlen(plain) == n)
		gf_log_mask(plain);
	explicit_bzero(plain, n);
	free(plain);
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
	const char *start, *at = userinfo_at(url, &start), *colon;

	if (at == NULL)
		return gf_xstrdup(url);
	gf_http_mask_credentials(url);
	if (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0)
		return gf_xasprintf("%.*s%s", (int)(start - url), url, at + 1);
	/* An SSH user name says where the key goes: kept. */
	colon = memchr(start, ':', (size_t)(at - start));
	return gf_xasprintf("%.*s%s", (int)((colon != NULL ? colon : at) -
	    url), url, at);
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
	CURL *c = lc.easy_init();
	const char *m = req->method ? req->method : "GET";
	char *ua;

	if (c == NULL)
		return NULL;
	lc.easy_setopt(c, CURLOPT_URL, req->url);
	lc.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	lc.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	lc.easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	lc.easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(o->timeout * 1000));
	lc.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(o->connect_timeout * 1000));
	lc.easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	lc.easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file != NULL)
		lc.easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
	ua = o->user_agent ? gf_xstrdup(o->user_agent) :
	    gf_xstrdup("gf/" GF_VERSION);
	lc.easy_setopt(c, CURLOPT_USERAGENT, ua);	/* curl copies it */
	free(ua);
	lc.easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	lc.easy_setopt(c, CURLOPT_WRITEDATA, x);
	lc.easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	lc.easy_setopt(c, CURLOPT_HEADERDATA, x);
	lc.easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	if (strcmp(m, "HEAD") == 0) {
		lc.easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (req->body != NULL || strcmp(m, "POST") == 0) {
		lc.easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->body_len);
		lc.easy_setopt(c, CURLOPT_POSTFIELDS,
		    req->body ? req->body : "");
		if (strcmp(m, "POST") != 0)
			lc.easy_setopt(c, CURLOPT_CUSTOMREQUEST, m);
	} else if (strcmp(m, "GET") != 0) {
		lc.easy_setopt(c, CURLOPT_CUSTOMREQUEST, m);
	}
	if (req->aws_sigv4 != NULL)
		lc.easy_setopt(c, CURLOPT_AWS_SIGV4, req->aws_sigv4);
	else if (req->username != NULL)
		lc.easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	if (req->username != NULL)
		lc.easy_setopt(c, CURLOPT_USERNAME, req->username);
	if (req->password != NULL)
		lc.easy_setopt(c, CURLOPT_PASSWORD, req->password);
	lc.easy_setopt(c, CURLOPT_HTTPHEADER, headers);
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
		h = lc.slist_append(h, "Expect:");
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
		h = lc.slist_append(h, line);
		free(line);
	}
	if (req->content_type != NULL) {
		line = gf_xasprintf("Content-Type: %s", req->content_type);
		h = lc.slist_append(h, line);
		free(line);
	} else if (req->body != NULL && req->aws_sigv4 == NULL) {
		/* Not curl's default form type for a body of unknown type. */
		h = lc.slist_append(h, "Content-Type:");
	}
	for (size_t i = 0; i < req->nheaders; i++) {
		line = gf_xasprintf("%s: %s", req->headers[i].name,
		    req->headers[i].value);
		h = lc.slist_append(h, line);
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
	pthread_once(&load_once, load_libcurl);
	safe_url = gf_http_redact_url(req->url);
	if (load_error[0] != '\0') {
		gf_err_set(err, GF_EXIT_NOINPUT, "http", "%s", load_error);
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
		cc = lc.easy_perform(c);
		lc.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		lc.easy_cleanup(c);
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
			    errbuf[0] ? errbuf : lc.easy_strerror(cc),
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
		    lc.easy_strerror(cc), delay);
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
	lc.slist_free_all(headers);
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
