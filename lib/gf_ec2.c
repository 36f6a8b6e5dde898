/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gf_ec2.h"
#include "gf_http.h"
#include "gf_log.h"
#include "gf_xalloc.h"
#include "gf_xml.h"
#include "gf_banned.h"

#define EC2_VERSION "2016-11-15"

struct gf_ec2 {
	char *region;
	char *endpoint;		/* where requests go */
	int custom;		/* endpoint from the caller or environment */
	char *key_id;
	char *secret;
	char *session;
	char *sigv4;
	char code[64];
};

/* Codes EC2 answers for credentials that are wrong, expired or short. */
static const char *const auth_codes[] = {
	"AuthFailure", "UnauthorizedOperation", "InvalidClientTokenId",
	"ExpiredToken", "RequestExpired", "SignatureDoesNotMatch",
	"IncompleteSignature", "MissingAuthenticationToken",
	"InvalidAccessKeyId", "OptInRequired", "Blocked",
};

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

struct gf_ec2 *
gf_ec2_new(const char *region, const char *endpoint, struct gf_err *err)
{
	struct gf_ec2 *ec2;
	size_t n;

	if (env("AWS_ACCESS_KEY_ID") == NULL ||
	    env("AWS_SECRET_ACCESS_KEY") == NULL) {
		gf_err_set(err, GF_EXIT_NOPERM, "ec2", "no AWS credentials: "
		    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and "
		    "AWS_SESSION_TOKEN for temporary ones)");
		return NULL;
	}
	ec2 = gf_xcalloc(1, sizeof(*ec2));
	if (region == NULL && (region = env("AWS_REGION")) == NULL)
		region = env("AWS_DEFAULT_REGION");
	ec2->region = gf_xstrdup(region != NULL ? region : "us-east-1");
	if (endpoint == NULL && (endpoint = env("AWS_ENDPOINT_URL_EC2")) ==
	    NULL)
		endpoint = env("AWS_ENDPOINT_URL");
	if (endpoint != NULL) {
		n = strlen(endpoint);
		while (n > 0 && endpoint[n - 1] == '/')
			n--;
		ec2->endpoint = gf_xasprintf("%.*s/", (int)n, endpoint);
		ec2->custom = 1;
	} else {
		ec2->endpoint = gf_xasprintf("https://ec2.%s.amazonaws.com/",
		    ec2->region);
	}
	ec2->key_id = gf_xstrdup(env("AWS_ACCESS_KEY_ID"));
	ec2->secret = gf_xstrdup(env("AWS_SECRET_ACCESS_KEY"));
	gf_log_mask(ec2->secret);
	if (env("AWS_SESSION_TOKEN") != NULL) {
		ec2->session = gf_xstrdup(env("AWS_SESSION_TOKEN"));
		gf_log_mask(ec2->session);
	}
	ec2->sigv4 = gf_xasprintf("aws:amz:%s:ec2", ec2->region);
	return ec2;
}

void
gf_ec2_free(struct gf_ec2 *ec2)
{
	if (ec2 == NULL)
		return;
	free(ec2->region);
	free(ec2->endpoint);
	free(ec2->key_id);
	gf_free_secret(ec2->secret);
	gf_free_secret(ec2->session);
	free(ec2->sigv4);
	free(ec2);
}

const char *
gf_ec2_region(const struct gf_ec2 *ec2)
{
	return ec2->region;
}

const char *
gf_ec2_endpoint(const struct gf_ec2 *ec2)
{
	return ec2->custom ? ec2->endpoint : NULL;
}

const char *
gf_ec2_last_code(const struct gf_ec2 *ec2)
{
	return ec2->code;
}

void
gf_ec2_param(struct gf_buf *params, const char *name, const char *value)
{
	char *v = gf_http_escape(value);

	gf_buf_addf(params, "&%s=%s", name, v);
	free(v);
}

void
gf_ec2_paramf(struct gf_buf *params, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *v;

	va_start(ap, fmt);
	v = gf_xvasprintf(fmt, ap);
	va_end(ap);
	gf_ec2_param(params, name, v);
	free(v);
}

/* A refusal: its code kept, the credentials' ones as 77. */
static int
refused(struct gf_ec2 *ec2, const char *action,
    const struct gf_http_resp *resp, struct gf_err *err)
{
	struct gf_err ignored = GF_ERR_INIT;
	json_t *x = gf_xml_parse(resp->body, resp->body_len, action, &ignored);
	const char *code = gf_xml_str(x, "Errors/Error/Code");
	const char *msg = gf_xml_str(x, "Errors/Error/Message");
	int exit = resp->status >= 500 || resp->status == 429 ?
	    GF_EXIT_UNAVAILABLE : GF_EXIT_DATAERR;

	snprintf(ec2->code, sizeof(ec2->code), "%s", code ? code : "");
	for (size_t i = 0; code != NULL &&
	    i < sizeof(auth_codes) / sizeof(auth_codes[0]); i++)
		if (strcmp(code, auth_codes[i]) == 0)
			exit = GF_EXIT_NOPERM;
	if (code != NULL && strcmp(code, "RequestLimitExceeded") == 0)
		exit = GF_EXIT_UNAVAILABLE;
	if (resp->status == 401 || resp->status == 403)
		exit = GF_EXIT_NOPERM;
	gf_err_set(err, exit, "ec2", "EC2 %s: HTTP %ld%s%s%s%s%s", action,
	    resp->status, code ? " " : "", code ? code : "",
	    msg ? ": " : "", msg ? msg : "", exit == GF_EXIT_NOPERM ?
	    " (check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and "
	    "AWS_SESSION_TOKEN)" : "");
	json_decref(x);
	return -1;
}

json_t *
gf_ec2_call(struct gf_ec2 *ec2, const char *action,
    const struct gf_buf *params, struct gf_err *err)
{
	struct gf_http_opts opts;
	struct gf_http_req req;
	struct gf_http_resp resp;
	struct gf_http_header h[1];
	struct gf_buf body = GF_BUF_INIT;
	json_t *x = NULL;

	ec2->code[0] = '\0';
	gf_buf_addf(&body, "Action=%s&Version=%s", action, EC2_VERSION);
	if (params != NULL)
		gf_buf_adds(&body, gf_buf_str(params));
	gf_http_opts_init(&opts);
	/* EC2 throttles with 503 RequestLimitExceeded: back off longer. */
	opts.max_attempts = 6;
	opts.backoff_base = 1;
	opts.backoff_max = 20;
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = ec2->endpoint;
	if (ec2->session != NULL) {
		h[0].name = "X-Amz-Security-Token";
		h[0].value = ec2->session;
		req.headers = h;
		req.nheaders = 1;
	}
	req.body = gf_buf_str(&body);
	req.body_len = strlen(gf_buf_str(&body));
	req.content_type = "application/x-www-form-urlencoded; charset=utf-8";
	req.aws_sigv4 = ec2->sigv4;
	req.username = ec2->key_id;
	req.password = ec2->secret;
	memset(&resp, 0, sizeof(resp));
	if (gf_http_request(&opts, &req, &resp, err) < 0)
		gf_err_prefix(err, "EC2 %s", action);
	else if (resp.status / 100 != 2)
		refused(ec2, action, &resp, err);
	else
		x = gf_xml_parse(resp.body, resp.body_len, action, err);
	gf_http_resp_release(&resp);
	gf_buf_release(&body);
	return x;
}
