/* SPDX-License-Identifier: Apache-2.0 */
/*
 * usage: http-put URL BODY [SIGV4]
 * PUT BODY to URL through gf_http, signed with AWS SigV4 when SIGV4
 * ("aws:amz:REGION:SERVICE") is given (key and secret from
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY). Prints the status; exits 0
 * on 2xx. For the tests that check gf_http against a strict peer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gf_http.h"

int
main(int argc, char *argv[])
{
	struct gf_http_opts opts;
	struct gf_http_req req = { 0 };
	struct gf_http_resp resp = { 0 };
	struct gf_err err = GF_ERR_INIT;
	int rc;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: http-put URL BODY [SIGV4]\n");
		return 64;
	}
	gf_http_opts_init(&opts);
	opts.max_attempts = 1;
	req.method = "PUT";
	req.url = argv[1];
	req.body = argv[2];
	req.body_len = strlen(argv[2]);
	req.content_type = "application/octet-stream";
	if (argc == 4) {
		req.aws_sigv4 = argv[3];
		req.username = getenv("AWS_ACCESS_KEY_ID");
		req.password = getenv("AWS_SECRET_ACCESS_KEY");
	}
	rc = gf_http_request(&opts, &req, &resp, &err);
	if (rc < 0)
		fprintf(stderr, "http-put: %s\n", err.msg);
	else
		printf("%ld\n", resp.status);
	if (rc == 0 && (resp.status < 200 || resp.status > 299))
		fprintf(stderr, "http-put: %s\n", resp.body);
	rc = rc == 0 && resp.status >= 200 && resp.status <= 299 ? 0 : 1;
	gf_http_resp_release(&resp);
	return rc;
}
