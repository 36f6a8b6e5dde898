/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Amazon EC2's Query API: form-encoded POSTs signed with SigV4 (through
 * gf_http), XML answers read by gf_xml. The standard AWS environment is
 * honoured: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
 * AWS_REGION or AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_EC2 or
 * AWS_ENDPOINT_URL. The secret and the session token are masked in the
 * log (gf_log_mask) and never appear in a message.
 *
 * Errors: 77 when the credentials are missing or EC2 refuses them
 * (AuthFailure, an expired token...); 69 when EC2 stays unavailable or
 * throttled (503 RequestLimitExceeded and 5xx are retried by gf_http
 * with backoff, a bounded number of times); 65 for other refusals, the
 * EC2 error code and message in the text.
 */
#ifndef GF_EC2_H
#define GF_EC2_H

#include <jansson.h>

#include "gf_buf.h"
#include "gf_err.h"

struct gf_ec2;

/*
 * A client for region (NULL: from the environment, else us-east-1) at
 * endpoint (NULL: from the environment, else EC2's own for the region).
 * Returns a new client (gf_ec2_free), or NULL with err (77 without
 * credentials).
 */
struct gf_ec2 *gf_ec2_new(const char *region, const char *endpoint,
    struct gf_err *err);
void gf_ec2_free(struct gf_ec2 *ec2);

/* Borrowed, valid while ec2 is. */
const char *gf_ec2_region(const struct gf_ec2 *ec2);
/* The endpoint when it is not EC2's own (AWS_ENDPOINT_URL...), or NULL. */
const char *gf_ec2_endpoint(const struct gf_ec2 *ec2);

/* Append "&name=value" to a request's parameters, value URL-encoded. */
void gf_ec2_param(struct gf_buf *params, const char *name,
    const char *value);
void gf_ec2_paramf(struct gf_buf *params, const char *name,
    const char *fmt, ...) GF_PRINTF(3, 4);

/*
 * Call action with params (from gf_ec2_param, may be NULL). Returns
 * the answer (gf_xml.h's shape, a new reference), or NULL with err; the
 * EC2 error code of a refusal is then in gf_ec2_last_code().
 */
json_t *gf_ec2_call(struct gf_ec2 *ec2, const char *action,
    const struct gf_buf *params, struct gf_err *err);

/* The error code of the last refused call ("" when none). Borrowed. */
const char *gf_ec2_last_code(const struct gf_ec2 *ec2);

#endif
