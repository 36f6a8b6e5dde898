/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gf_http against a scripted HTTP server forked by the test: retries on
 * 503/429 and connection errors, Retry-After (seconds and HTTP date),
 * time-outs, the body cap, basic auth, POST bodies, no_retry, redaction.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gf_http.h"
#include "gf_log.h"
#include "gf_parse.h"
#include "gf_xalloc.h"
#include "tap.h"

#include "scripted_server.h"

static struct gf_http_opts
fast_opts(void)
{
	struct gf_http_opts o;

	gf_http_opts_init(&o);
	o.backoff_base = 0.05;
	o.backoff_max = 0.1;
	o.timeout = 5;
	return o;
}

static void
t_retry_503(void)
{
	static const struct reply r[] = {
		{ 503, NULL, "busy", 0, 0, 0 },
		{ 502, NULL, NULL, 0, 0, 0 },
		{ 200, "Content-Type: application/json\r\n", "{\"ok\":1}",
		  0, 0, 0 },
	};
	struct server s;
	struct gf_http_opts o = fast_opts();
	struct gf_http_req req = { .method = "GET" };
	struct gf_http_resp resp;
	struct gf_err err = GF_ERR_INIT;
	char *u;

	start(&s, r, 3);
	req.url = u = url_of(&s, "/a");
	ok(gf_http_request(&o, &req, &resp, &err) == 0, "503, 502, then 200");
	is_int(resp.status, 200, "final status 200");
	is_int(resp.attempts, 3, "three attempts");
	is_str(resp.body, "{\"ok\":1}", "body of the last reply");
	is_str(resp.content_type, "application/json", "content type kept");
	gf_http_resp_release(&resp);
	free(stop(&s));
	free(u);
}

static void
t_retry_after(void)
{
	static const struct reply r[] = {
		{ 429, "Retry-After: 1\r\n", NULL, 0, 0, 0 },
		{ 200, NULL, "done", 0, 0, 0 },
	};
	struct server s;
	struct gf_http_opts o = fast_opts();
	struct gf_http_req req = { .method = "GET" };
	struct gf_http_resp resp;
	struct gf_err err = GF_ERR_INIT;
	double t0;
	char *u;

	start(&s, r, 2);
	req.url = u = url_of(&s, "/ra");
	t0 = gf_time_now();
	ok(gf_http_request(&o, &req, &resp, &err) == 0, "429 then 200");
	ok(gf_time_now() - t0 >= 0.95, "waited for Retry-After: 1 (%.2fs)",
	    gf_time_now() - t0);
	is_int(resp.attempts, 2, "two attempts");
	gf_http_resp_release(&resp);
	free(stop(&s));
	free(u);

	is_near(gf_http_retry_after("120", 0), 120, 1e-9, "delta seconds");
	is_near(gf_http_retry_after("Wed, 21 Oct 2015 07:28:00 GMT",
	    1445412470.0), 10, 1e-9, "HTTP date");
	is_near(gf_http_retry_after("Wed, 21 Oct 2015 07:28:00 GMT",
	    1445412490.0), 0, 1e-9, "HTTP date in the past: no wait");
	ok(gf_http_retry_after("soon", 0) < 0, "garbage is ignored");
}

static void
t_exhausted(void)
{
	static const struct reply r[] = {
		{ 503, NULL, "{\"status\":\"error\"}", 0, 0, 0 },
		{ 503, NULL, "{\"status\":\"error\"}", 0, 0, 0 },
	};
	struct server s;
	struct gf_http_opts o = fast_opts();
	struct gf_http_req req = { .method = "POST", .body = "a=b",
	    .body_len = 3,
	    .content_type = "application/x-www-form-urlencoded" };
	struct gf_http_resp resp;
	struct gf_err err = GF_ERR_INIT;
	char *u, *log;

	o.max_attempts = 2;
	start(&s, r, 2);
	req.url = u = url_of(&s, "/x");
	ok(gf_http_request(&o, &req, &resp, &err) == 0 && resp.status == 503,
	    "still 503 after the attempts: the reply is returned");
	is_int(resp.attempts, 2, "max_attempts respected");
	gf_http_status_error(&req, &resp, &err);
	is_int(err.exit, 69, "status error for a 503 is 69");
	ok(strstr(err.msg, "HTTP 503") != NULL, "message names the status: %s",
	    err.msg);
	gf_http_resp_release(&resp);
	log = stop(&s);
	ok(strstr(log, "POST /x HTTP/1.1") != NULL, "sent a POST");
	ok(strstr(log, "\r\n\r\na=b") != NULL, "with the body");
	ok(strstr(log, "application/x-www-form-urlencoded") != NULL,
	    "with the content type");
	free(log);
	free(u);
}

static void
t_no_retry(void)
{
	static const struct reply r[] = {
		{ 500, NULL, "admin APIs disabled", 0, 0, 0 },
	};
	struct server s;
	struct gf_http_opts o = fast_opts();
	struct gf_http_req req = { .method = "POST", .no_retry = 1 };
	struct gf_http_resp resp;
	struct gf_err err = GF_ERR_INIT;
	char *u;

	start(&s, r, 1);
	req.url = u = url_of(&s, "/snap");
	ok(gf_http_request(&o, &req, &resp, &err) == 0 && resp.status == 500 &&
	    resp.attempts == 1, "no_retry: a 500 is final");
	gf_http_resp_release(&resp);
	free(stop(&s));
	free(u);
}

static void
t_refused(void)
{
	struct server s;
	struct gf_http_opts o = fast_opts();
	struct gf_http_req req = { .method = "GET" };
	struct gf_http_resp resp;
	struct gf_err err = GF_ERR_INIT;
	double t0;
	char *u;

	start(&s, NULL, 0);	/* exits at once: the port is closed */
	free(stop(&s));
	o.max_attempts = 3;
	req.url = u = gf_xasprintf("http://user:hunter22@127.0.0.1:%d/",
	    s.port);
	t0 = gf_time_now();
	ok(gf_http_request(&o, &req, &resp, &err) == -1, "nobody listening");
	is_int(err.exit, 69, "unreachable is 69");
	is_int(resp.attempts, 3, "retried connection errors");
	ok(gf_time_now() - t0 < 2, "backoff stays within its cap");
	ok(strstr(err.msg, "hunter22") == NULL && strstr(err.msg, "user:") ==
	    NULL, "no credentials in the message: %s", err.msg);
	ok(strstr(err.msg, "3 attempts") != NULL, "message counts attempts");
	gf_http_resp_release(&resp);
	free(u);
}

static void
t_timeout(void)
{
	static const struct reply r[] = {
		{ 200, NULL, "late", 0, 1.5, 0 },
		{ 200, NULL, "late", 0, 1.5, 0 },
	};
	struct server s;
	struct gf_http_opts o = fast_opts();
	struct gf_http_req req = { .method = "GET" };
	struct gf_http_resp resp;
	struct gf_err err = GF_ERR_INIT;
	char *u;

	o.timeout = 0.5;
	o.max_attempts = 2;
	start(&s, r, 2);
	req.url = u = url_of(&s, "/slow");
	ok(gf_http_request(&o, &req, &resp, &err) == -1, "slow server");
	is_int(err.exit, 75, "time-out is 75");
	is_int(resp.attempts, 2, "time-outs are retried");
	gf_http_resp_release(&resp);
	free(stop(&s));
	free(u);
}

static void
t_cap(void)
{
	static const struct reply r[] = {
		{ 200, NULL, NULL, 200000, 0, 0 },
	};
	struct server s;
	struct gf_http_opts o = fast_opts();
	struct gf_http_req req = { .method = "GET" };
	struct gf_http_resp resp;
	struct gf_err err = GF_ERR_INIT;
	char *u;

	o.max_body = 100000;
	start(&s, r, 1);
	req.url = u = url_of(&s, "/big");
	ok(gf_http_request(&o, &req, &resp, &err) == -1 && err.exit == 65,
	    "body over the cap is 65: %s", err.msg);
	is_int(resp.attempts, 1, "an oversize body is not retried");
	gf_http_resp_release(&resp);
	free(stop(&s));
	free(u);
}

static void
t_auth_headers(void)
{
	static const struct reply r[] = {
		{ 401, NULL, "no", 0, 0, 0 },
	};
	struct gf_http_header h[] = { { "X-Token", "tok-abcdef" } };
	struct server s;
	struct gf_http_opts o = fast_opts();
	struct gf_http_req req = { .method = "GET", .username = "alice",
	    .password = "s3cret-pw", .headers = h, .nheaders = 1 };
	struct gf_http_resp resp;
	struct gf_err err = GF_ERR_INIT;
	char *u, *log, *red;

	start(&s, r, 1);
	req.url = u = url_of(&s, "/auth");
	ok(gf_http_request(&o, &req, &resp, &err) == 0 && resp.status == 401,
	    "a 401 is a reply, not retried");
	gf_http_status_error(&req, &resp, &err);
	is_int(err.exit, 78, "401 maps to 78 (configuration)");
	gf_http_resp_release(&resp);
	log = stop(&s);
	/* alice:s3cret-pw in base64 */
	ok(strstr(log, "Authorization: Basic YWxpY2U6czNjcmV0LXB3") != NULL,
	    "basic auth sent");
	ok(strstr(log, "X-Token: tok-abcdef") != NULL, "extra header sent");
	ok(strstr(log, "User-Agent: gf/") != NULL, "user agent");
	free(log);
	red = gf_log_redact("password s3cret-pw leaked");
	is_str(red, "password *** leaked", "password registered as a secret");
	free(red);
	free(u);
}

static void
t_put(void)
{
	static const struct reply r[] = {
		{ 200, NULL, NULL, 0, 0, 0 },
		{ 204, NULL, NULL, 0, 0, 0 },
	};
	struct server s;
	struct gf_http_opts o = fast_opts();
	struct gf_http_req req = { .method = "PUT", .body = "\x01\x02raw",
	    .body_len = 5 };
	struct gf_http_resp resp;
	struct gf_err err = GF_ERR_INIT;
	char *u, *log;

	start(&s, r, 2);
	req.url = u = url_of(&s, "/obj");
	ok(gf_http_request(&o, &req, &resp, &err) == 0 && resp.status == 200,
	    "PUT with a body");
	gf_http_resp_release(&resp);
	req.method = "DELETE";
	req.body = NULL;
	req.body_len = 0;
	ok(gf_http_request(&o, &req, &resp, &err) == 0 && resp.status == 204 &&
	    resp.body_len == 0 && resp.body != NULL,
	    "DELETE, empty reply body");
	gf_http_resp_release(&resp);
	log = stop(&s);
	ok(strstr(log, "PUT /obj HTTP/1.1") != NULL &&
	    strstr(log, "Content-Length: 5") != NULL,
	    "PUT sent with its length");
	ok(strcasestr(log, "Content-Type") == NULL,
	    "no form content type invented for a raw body");
	ok(strstr(log, "DELETE /obj HTTP/1.1") != NULL, "DELETE sent");
	free(log);
	free(u);
}

static void
t_helpers(void)
{
	char *s;

	s = gf_http_escape("rate(x{a=\"b c\"}[5m])/2&q");
	is_str(s, "rate%28x%7Ba%3D%22b%20c%22%7D%5B5m%5D%29%2F2%26q",
	    "escape PromQL for a form body");
	free(s);
	s = gf_http_redact_url("https://u:p@host:1/path?x=a@b");
	is_str(s, "https://host:1/path?x=a@b", "userinfo removed");
	free(s);
	s = gf_http_redact_url("http://host/a@b");
	is_str(s, "http://host/a@b", "'@' in the path is not userinfo");
	free(s);
	s = gf_http_redact_url("http://prom:pass-w0rd@host:9090");
	is_str(s, "http://host:9090", "credentials removed");
	free(s);
	s = gf_http_redact_url("https://x-access-token:abc@github.com/o/r.git");
	is_str(s, "https://github.com/o/r.git", "https credentials dropped");
	free(s);
	s = gf_http_redact_url("ssh://git:ssh-pw-2@host:22/o/r.git");
	is_str(s, "ssh://git@host:22/o/r.git", "ssh keeps the user only");
	free(s);
	s = gf_http_redact_url("ssh://git@host/o/r.git");
	is_str(s, "ssh://git@host/o/r.git", "an ssh user alone stays");
	free(s);
	s = gf_http_redact_url("git@host:o/r.git");
	is_str(s, "git@host:o/r.git", "an scp-like address is not a URL");
	free(s);
	s = gf_http_redact_url("/srv/results");
	is_str(s, "/srv/results", "a path is kept");
	free(s);
	ok(gf_log_has_secret("x pass-w0rd x", 13) &&
	    !gf_log_has_secret("prom", 4),
	    "the password is masked, the user not");
	gf_http_mask_credentials("https://ghp_tokenonly@github.com/o/r");
	ok(gf_log_has_secret("ghp_tokenonly", 13),
	    "an https userinfo without a password is a token: masked");
	gf_http_mask_credentials("ssh://gituser@host/o/r.git");
	ok(!gf_log_has_secret("gituser", 7), "an SSH user name is not masked");
	gf_http_mask_credentials("ssh://gituser:ssh-pw-1@host/o/r.git");
	ok(gf_log_has_secret("ssh-pw-1", 8), "an SSH password is masked");
	gf_http_mask_credentials("http://u:p%40ss%2Fw0rd@host/");
	ok(gf_log_has_secret("p%40ss%2Fw0rd", 13) &&
	    gf_log_has_secret("p@ss/w0rd", 9),
	    "a percent-encoded password is masked as written and as sent");
	gf_http_mask_credentials("http://u:pw%5f%4Ax@host/");
	ok(gf_log_has_secret("pw_Jx", 5), "hex digits in either case");
	gf_http_mask_credentials("http://u:bad%zz%4@host/");
	ok(gf_log_has_secret("bad%zz%4", 8),
	    "a per cent sign without two hex digits stays as it is");
	gf_http_mask_credentials("http://u:nul%00pw@host/");
	ok(gf_log_has_secret("nul%00pw", 8) && !gf_log_has_secret("nul", 3),
	    "a password that decodes to a NUL is masked as written only");
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	t_helpers();
	t_retry_503();
	t_retry_after();
	t_exhausted();
	t_no_retry();
	t_refused();
	t_timeout();
	t_cap();
	t_auth_headers();
	t_put();
	return done_testing();
}
