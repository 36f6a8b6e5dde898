#!/usr/bin/python3
"""A strict fake of S3's PUT Object for gf-commit's tests.

It recomputes the AWS Signature Version 4 of every request from its own
copy of the secret, as S3 does, and refuses what S3 refuses: a missing or
malformed Authorization header, an unknown access key, a bad signature,
a clock skew over 15 minutes, a missing or wrong x-amz-content-sha256,
signed headers that leave out host, x-amz-date or x-amz-content-sha256,
and unknown buckets. Accepted objects are written under --dir/bucket/key.

usage: fake-s3.py --dir DIR --bucket NAME --key ID --secret SECRET
                  [--region R] --port-file FILE [--log FILE]
"""
import argparse
import calendar
import hashlib
import hmac
import http.server
import os
import re
import sys
import time
import urllib.parse

ARGS = None


def sign(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def error(handler, status, code, message):
    body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s"
            "</Code><Message>%s</Message></Error>" % (code, message)).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/xml")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
    log("%s %s -> %d %s (%s)" % (handler.command, handler.path, status, code,
                                 message))


def log(line):
    if ARGS.log:
        with open(ARGS.log, "a") as f:
            f.write(line + "\n")


def canonical_query(query):
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    enc = [(urllib.parse.quote(k, safe="-_.~"), urllib.parse.quote(v, safe="-_.~"))
           for k, v in pairs]
    return "&".join("%s=%s" % kv for kv in sorted(enc))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def do_PUT(self):
        n = int(self.headers.get("Content-Length", "-1"))
        if n < 0:
            return error(self, 411, "MissingContentLength", "no length")
        body = self.rfile.read(n)
        auth = self.headers.get("Authorization", "")
        m = re.fullmatch(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/"
                         r"aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?"
                         r"Signature=([0-9a-f]{64})", auth)
        if not m:
            return error(self, 403, "AccessDenied", "bad Authorization")
        key_id, day, region, signed, signature = m.groups()
        if key_id != ARGS.key:
            return error(self, 403, "InvalidAccessKeyId", "unknown key")
        if region != ARGS.region:
            return error(self, 400, "AuthorizationHeaderMalformed", "region")
        amz_date = self.headers.get("x-amz-date", "")
        try:
            t = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
        except ValueError:
            return error(self, 403, "AccessDenied", "bad x-amz-date")
        if abs(time.time() - t) > 900 or not amz_date.startswith(day):
            return error(self, 403, "RequestTimeTooSkewed", "skew")
        payload = self.headers.get("x-amz-content-sha256")
        if payload is None:
            return error(self, 400, "InvalidRequest",
                         "missing x-amz-content-sha256")
        if payload != hashlib.sha256(body).hexdigest():
            return error(self, 400, "XAmzContentSHA256Mismatch", "sha256")
        names = signed.split(";")
        for need in ("host", "x-amz-date", "x-amz-content-sha256"):
            if need not in names:
                return error(self, 403, "AccessDenied", "unsigned " + need)
        if names != sorted(names):
            return error(self, 403, "SignatureDoesNotMatch", "order")
        headers = ""
        for h in names:
            v = self.headers.get(h)
            if v is None:
                return error(self, 403, "AccessDenied", "missing " + h)
            headers += "%s:%s\n" % (h, " ".join(v.strip().split()))
        path, _, query = self.path.partition("?")
        creq = "\n".join([self.command, path, canonical_query(query), headers,
                          signed, payload])
        scope = "%s/%s/s3/aws4_request" % (day, region)
        sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(creq.encode()).hexdigest()])
        k = sign(("AWS4" + ARGS.secret).encode(), day)
        k = sign(sign(sign(k, region), "s3"), "aws4_request")
        want = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, signature):
            return error(self, 403, "SignatureDoesNotMatch", "signature")
        parts = urllib.parse.unquote(path).lstrip("/").split("/", 1)
        if len(parts) != 2 or not parts[1]:
            return error(self, 400, "InvalidRequest", "no key")
        bucket, key = parts
        if bucket != ARGS.bucket:
            return error(self, 404, "NoSuchBucket", bucket)
        if ".." in key.split("/"):
            return error(self, 400, "InvalidRequest", "key")
        dest = os.path.join(ARGS.dir, bucket, key)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "wb") as f:
            f.write(body)
        self.send_response(200)
        self.send_header("ETag", '"%s"' % hashlib.md5(body).hexdigest())
        self.send_header("Content-Length", "0")
        self.end_headers()
        log("PUT %s -> 200 %d" % (self.path, len(body)))

    def do_GET(self):
        error(self, 405, "MethodNotAllowed", "only PUT")


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--bucket", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--secret", required=True)
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--port-file", required=True)
    p.add_argument("--log")
    ARGS = p.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, ARGS.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
