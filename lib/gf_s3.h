/* SPDX-License-Identifier: Apache-2.0 */
/*
 * S3 uploads (PUT Object), sent through gf_http with libcurl's SigV4,
 * for AWS and S3-compatible stores (MinIO, Ceph RGW...) given an endpoint.
 *
 *	struct gf_s3 *s3 = gf_s3_new("s3://bucket/prefix", NULL, &err);
 *	gf_s3_put_file(s3, "models/a.zip", "/tmp/a.zip", &key, &err);
 *	gf_s3_free(s3);
 *
 * Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN (optional); the region from AWS_REGION, else
 * AWS_DEFAULT_REGION, else us-east-1. With an endpoint
 * ("http://127.0.0.1:9000") objects are addressed path-style
 * (endpoint/bucket/key), else virtual-hosted at
 * https://bucket.s3.region.amazonaws.com/key. Every PUT carries the
 * SHA-256 of its body (x-amz-content-sha256), which the store checks.
 *
 * Errors: 64 for a malformed s3:// URL, 78 for missing or refused
 * credentials (403), 69 when the store fails or is unreachable after
 * gf_http's retries, 66/74 for the local file.
 */
#ifndef GF_S3_H
#define GF_S3_H

#include "gf_err.h"

struct gf_s3;

/* endpoint may be NULL (AWS). Returns NULL with err on failure. */
struct gf_s3 *gf_s3_new(const char *url, const char *endpoint,
    struct gf_err *err);

void gf_s3_free(struct gf_s3 *s3);

/*
 * Upload the file at path as prefix/name. *key (may be NULL) receives the
 * object key, a new string.
 */
int gf_s3_put_file(struct gf_s3 *s3, const char *name, const char *path,
    char **key, struct gf_err *err);

#endif
