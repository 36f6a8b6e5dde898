/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP client (libcurl, loaded by the first request, so that a tool
 * which never talks HTTP does not pay for it). Every request has a
 * timeout; failures that may pass (connection refused or reset,
 * time-outs, 429, 5xx) are retried with exponential backoff and full
 * jitter, honouring Retry-After. TLS verification is always on (a CA
 * file may be given). Response bodies are capped. URLs are logged with
 * any userinfo removed, and no header value or credential ever appears
 * in a message.
 *
 * Errors: 66 when libcurl cannot be loaded; 69 when the service stays
 * unreachable or keeps failing after the retries; 75 for a time-out; 65
 * for a body over the cap; the status and a short excerpt of the body
 * are in the message for other HTTP errors (which are not errors of this
 * module: see resp.status).
 */
#ifndef GF_HTTP_H
#define GF_HTTP_H

#include <stddef.h>

#include "gf_err.h"

struct gf_http_opts {
	double timeout;		/* whole request, seconds; 0: 30 */
	double connect_timeout;	/* seconds; 0: 5 */
	int max_attempts;	/* 0: 4 (1 = no retry) */
	double backoff_base;	/* first delay, seconds; 0: 0.5 */
	double backoff_max;	/* cap on one delay, seconds; 0: 8 */
	size_t max_body;	/* response cap in bytes; 0: 256 MiB */
	const char *ca_file;	/* NULL: system bundle */
	const char *user_agent;	/* NULL: "gf/<version>" */
};

struct gf_http_header {
	const char *name;
	const char *value;	/* treated as secret: never logged */
};

struct gf_http_req {
	const char *method;	/* "GET", "POST", "PUT", "DELETE", "HEAD" */
	const char *url;
	const struct gf_http_header *headers;
	size_t nheaders;
	const void *body;	/* NULL: no body */
	size_t body_len;
	const char *content_type; /* for body; NULL: none */
	/* AWS SigV4 ("aws:amz:REGION:SERVICE") with user/secret; NULL: none */
	const char *aws_sigv4;
	const char *username;	/* basic auth or SigV4 key id */
	const char *password;	/* basic auth or SigV4 secret */
	/* Statuses that are final even if retryable (e.g. 503 for a probe). */
	int no_retry;
};

struct gf_http_resp {
	long status;		/* HTTP status; 0 when there was no reply */
	char *body;		/* NUL-terminated, owned; "" when empty */
	size_t body_len;
	char *content_type;	/* owned, may be NULL */
	char *retry_after;	/* owned, may be NULL */
	int attempts;		/* how many requests were sent */
};

/* Fills opts with the defaults above. */
void gf_http_opts_init(struct gf_http_opts *opts);

/*
 * Perform a request. Returns 0 when a response arrived (any status: look
 * at resp->status; retryable statuses were retried first), -1 with err
 * when none did. resp must be released with gf_http_resp_release() in
 * both cases.
 */
int gf_http_request(const struct gf_http_opts *opts,
    const struct gf_http_req *req, struct gf_http_resp *resp,
    struct gf_err *err);

void gf_http_resp_release(struct gf_http_resp *resp);

/*
 * URL-encode s for a query string or form body. Returns a new string.
 */
char *gf_http_escape(const char *s);

/*
 * Register the credentials in url's userinfo with gf_log_mask(): the
 * password of "user:password@", and for http(s) a userinfo without one
 * ("https://TOKEN@host"). An SSH user name ("ssh://git@host") is not a
 * secret and is left alone.
 */
void gf_http_mask_credentials(const char *url);

/*
 * Copy of url without its credentials, for logs and documents: no
 * "user:password@" for http(s); for other schemes ("ssh://git:pw@host")
 * the user name stays and the password goes. A string that is not a URL
 * (a path, "git@host:o/r") is copied as it is. The credentials are
 * masked first (gf_http_mask_credentials), so they are hidden wherever
 * else they might appear. Returns a new string. This is the one
 * redactor of URLs: gf_git and the tools use it too.
 */
char *gf_http_redact_url(const char *url);

/*
 * Turn a response that is not 2xx into err, for callers that have no
 * better message: "METHOD url: HTTP status: <body excerpt>". 5xx and 429
 * (still failing after the retries) give 69, 401/403 give 78, other 4xx
 * give 65. Returns -1.
 */
int gf_http_status_error(const struct gf_http_req *req,
    const struct gf_http_resp *resp, struct gf_err *err);

/*
 * Seconds to wait for a Retry-After value (delta seconds or an HTTP
 * date, relative to now); -1 when it cannot be parsed. Requests honour
 * it up to GF_HTTP_RETRY_AFTER_MAX seconds.
 */
#define GF_HTTP_RETRY_AFTER_MAX 60.0
double gf_http_retry_after(const char *value, double now);

#endif
