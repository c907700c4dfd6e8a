#!/usr/bin/env python3
"""A small S3-compatible server for the tests (tests/t_storage_http.sh), Python stdlib only.

Objects are files under ROOT/BUCKET/KEY. GET, HEAD, PUT and DELETE of objects, path-style
addressing (http://127.0.0.1:PORT/BUCKET/KEY), and every request must carry a valid AWS
Signature Version 4 (Authorization: AWS4-HMAC-SHA256 ...) made with the one access key and
secret it is given: the canonical request is rebuilt from what arrived, the signature
recomputed and compared, the signed x-amz-content-sha256 checked against the body, the
date checked to be within 15 minutes, and the session token (if one is configured) must
be sent in x-amz-security-token and signed. Failures answer as S3 does (403
SignatureDoesNotMatch, InvalidAccessKeyId, AccessDenied; 404 NoSuchKey, NoSuchBucket).

Why not s3rver (npm): it needs Node.js and npm on the CI machine and the npm registry at
test time; this verifier is ~150 lines we can read, and checks the payload hash too.

usage: fake_s3.py --root DIR --bucket NAME --access-key K --secret-key S
                  [--region R] [--session-token T] --port-file FILE
"""
import argparse
import datetime
import hashlib
import hmac
import http.server
import os
import sys
import tempfile
import urllib.parse

ARGS = None


def s3_error(handler, status, code, message):
    body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code>"
            "<Message>%s</Message></Error>" % (code, message)).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/xml")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)
    return None


def hmac_sha256(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def verify(handler, body):
    """None if the request is properly signed, else the (status, code, message) to answer."""
    auth = handler.headers.get("Authorization", "")
    prefix = "AWS4-HMAC-SHA256 "
    if not auth.startswith(prefix):
        return 403, "AccessDenied", "no AWS4-HMAC-SHA256 Authorization header"
    fields = {}
    for part in auth[len(prefix):].split(","):
        k, _, v = part.strip().partition("=")
        fields[k] = v
    try:
        cred, signed, signature = fields["Credential"], fields["SignedHeaders"], fields["Signature"]
        key_id, date, region, service, term = cred.split("/")
    except (KeyError, ValueError):
        return 403, "AccessDenied", "malformed Authorization header"
    if key_id != ARGS.access_key:
        return 403, "InvalidAccessKeyId", "unknown access key " + key_id
    if region != ARGS.region or service != "s3" or term != "aws4_request":
        return 403, "SignatureDoesNotMatch", "bad credential scope " + cred
    signed_list = signed.split(";")
    for need in ("host", "x-amz-date", "x-amz-content-sha256"):
        if need not in signed_list:
            return 403, "AccessDenied", need + " is not signed"
    amz_date = handler.headers.get("x-amz-date", "")
    try:
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        return 403, "AccessDenied", "bad x-amz-date"
    if abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds()) > 900 or \
            not amz_date.startswith(date):
        return 403, "RequestTimeTooSkewed", "x-amz-date is too far from now"
    payload = handler.headers.get("x-amz-content-sha256", "")
    if payload != "UNSIGNED-PAYLOAD" and payload != hashlib.sha256(body).hexdigest():
        return 400, "XAmzContentSHA256Mismatch", "the body does not match x-amz-content-sha256"
    if ARGS.session_token is not None:
        if handler.headers.get("x-amz-security-token") != ARGS.session_token or \
                "x-amz-security-token" not in signed_list:
            return 403, "InvalidToken", "missing, wrong or unsigned x-amz-security-token"
    url = urllib.parse.urlsplit(handler.path)
    query = sorted(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
    canonical_query = "&".join("%s=%s" % (urllib.parse.quote(k, safe="-_.~"),
                                          urllib.parse.quote(v, safe="-_.~")) for k, v in query)
    headers = []
    for name in signed_list:
        values = handler.headers.get_all(name)
        if values is None:
            return 403, "AccessDenied", "signed header %s is missing" % name
        headers.append("%s:%s\n" % (name, ",".join(" ".join(v.split()) for v in values)))
    canonical = "\n".join([handler.command, url.path, canonical_query, "".join(headers), signed,
                           payload])
    scope = "/".join([date, region, service, term])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    k = hmac_sha256(("AWS4" + ARGS.secret_key).encode(), date)
    for part in (region, service, term):
        k = hmac_sha256(k, part)
    expect = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expect, signature):
        return 403, "SignatureDoesNotMatch", \
            "The request signature we calculated does not match the signature you provided"
    return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if ARGS.verbose:
            sys.stderr.write("fake_s3: " + (fmt % args) + "\n")

    def object_path(self):
        """(bucket dir, object file) of the request, or None after answering."""
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        bucket, _, key = path.lstrip("/").partition("/")
        bucket_dir = os.path.join(ARGS.root, bucket)
        if not bucket or bucket != ARGS.bucket or not os.path.isdir(bucket_dir):
            return s3_error(self, 404, "NoSuchBucket", "no bucket " + bucket)
        if not key or ".." in key.split("/") or key.endswith("/"):
            return s3_error(self, 400, "InvalidRequest", "bad key " + key)
        return bucket_dir, os.path.join(bucket_dir, key)

    def handle_one(self):
        length = int(self.headers.get("Content-Length", "0") or "0")
        body = self.rfile.read(length) if length else b""
        bad = verify(self, body)
        if bad:
            return s3_error(self, *bad)
        where = self.object_path()
        if not where:
            return None
        bucket_dir, path = where
        if self.command in ("GET", "HEAD"):
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except FileNotFoundError:
                return s3_error(self, 404, "NoSuchKey", "The specified key does not exist.")
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("ETag", '"%s"' % hashlib.md5(data).hexdigest())
            self.end_headers()
            if self.command == "GET":
                self.wfile.write(data)
        elif self.command == "PUT":
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=bucket_dir, prefix=".upload-")
            with os.fdopen(fd, "wb") as f:
                f.write(body)
            os.rename(tmp, path)  # visible only when whole, as S3
            self.send_response(200)
            self.send_header("ETag", '"%s"' % hashlib.md5(body).hexdigest())
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.command == "DELETE":
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            self.send_response(204)
            self.end_headers()
        return None

    do_GET = do_HEAD = do_PUT = do_DELETE = handle_one


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--bucket", required=True)
    p.add_argument("--access-key", required=True)
    p.add_argument("--secret-key", required=True)
    p.add_argument("--region", default="us-east-1")
    p.add_argument("--session-token")
    p.add_argument("--port-file", required=True)
    p.add_argument("--verbose", action="store_true")
    ARGS = p.parse_args()
    os.makedirs(os.path.join(ARGS.root, ARGS.bucket), exist_ok=True)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, ARGS.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
