#!/usr/bin/env python3
"""A small fake of AWS Lambda on loopback, for tests/t_launch_lambda.sh (stdlib only).

Two APIs on one port:
  * Invoke: POST /2015-03-31/functions/FUNC/invocations. The request's SigV4 signature is
    computed again here (canonical request, string to sign, the HMAC chain from the
    secret) and must match; a wrong one gets 403 InvalidSignatureException, as AWS says.
    An unknown function gets 404, a type other than Event 400. A good request gets 202,
    and, as Lambda would, a fresh execution environment: the custom runtime's bootstrap
    (tools/lambda/bootstrap) is started with AWS_LAMBDA_RUNTIME_API pointing here.
  * Runtime: GET /2018-06-01/runtime/invocation/next hands the bootstrap its event;
    POST .../invocation/ID/response or /error takes the result.

Every request is logged, one line each, to --log. SIGTERM stops every bootstrap started
(their whole process groups) and then the server.
"""
import argparse
import datetime
import hashlib
import hmac
import http.server
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import uuid

args = None
events = queue.Queue()
children = []
log_lock = threading.Lock()


def log(line):
    with log_lock:
        with open(args.log, "a") as f:
            f.write(line + "\n")


def sign(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def check_sigv4(method, path, headers, body):
    """None if the request is signed with our secret, else why not."""
    auth = headers.get("Authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return "no AWS4-HMAC-SHA256 Authorization header"
    fields = {}
    for part in auth[len("AWS4-HMAC-SHA256 "):].split(","):
        k, _, v = part.strip().partition("=")
        fields[k] = v
    try:
        akid, date, region, service, term = fields["Credential"].split("/")
        signed = fields["SignedHeaders"].split(";")
        given = fields["Signature"]
    except (KeyError, ValueError):
        return "a malformed Authorization header"
    if akid != args.access_key:
        return "an unknown access key id"
    if (region, service, term) != (args.region, "lambda", "aws4_request"):
        return f"a credential scope for {region}/{service}"
    amz_date = headers.get("X-Amz-Date", "")
    if not amz_date.startswith(date):
        return "X-Amz-Date is not the credential's date"
    try:
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return "a malformed X-Amz-Date"
    if abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds()) > 900:
        return "X-Amz-Date is more than 15 minutes off"
    for must in ("host", "x-amz-date") + (("x-amz-security-token",) if args.session_token else ()):
        if must not in signed:
            return f"{must} is not signed"
    if args.session_token and headers.get("X-Amz-Security-Token") != args.session_token:
        return "a wrong or missing security token"
    uri, _, query = path.partition("?")
    canonical_query = "&".join(sorted(q for q in query.split("&") if q))
    canonical_headers = "".join(
        "%s:%s\n" % (h, " ".join((headers.get(h) or "").split())) for h in signed)
    canonical = "\n".join([method, uri, canonical_query, canonical_headers, ";".join(signed),
                           hashlib.sha256(body).hexdigest()])
    scope = f"{date}/{region}/lambda/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = sign(sign(sign(sign(("AWS4" + args.secret).encode(), date), region), "lambda"),
               "aws4_request")
    want = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, given):
        return "signature mismatch"
    return None


def start_environment():
    env = dict(os.environ)
    env["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:%d" % server.server_address[1]
    env["LAMBDA_TASK_ROOT"] = args.task_root
    env.pop("EXCAM_STORAGE", None)
    out = open(os.path.join(args.task_root, "runtime-%d.log" % len(children)), "a")
    p = subprocess.Popen([args.bootstrap], env=env, stdin=subprocess.DEVNULL, stdout=out,
                         stderr=out, start_new_session=True)
    children.append(p)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, code, obj, extra=None):
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        if self.path == "/2018-06-01/runtime/invocation/next":
            rid, event = events.get()  # blocks, as the real Runtime API does
            log(f"next {rid}")
            self.reply(200, event, {"Lambda-Runtime-Aws-Request-Id": rid})
            return
        self.reply(404, {"message": "no such path"})

    def do_POST(self):
        body = self.body()
        parts = self.path.split("/")
        if self.path.startswith("/2018-06-01/runtime/invocation/") and len(parts) == 6:
            log(f"{parts[5]} {parts[4]} {body.decode(errors='replace')}")
            self.reply(202, {"status": "OK"})
            return
        if not (len(parts) == 5 and parts[1:3] == ["2015-03-31", "functions"]
                and parts[4] == "invocations"):
            self.reply(404, {"message": "no such path"})
            return
        why = check_sigv4("POST", self.path, self.headers, body)
        if why:
            log(f"refused 403 {why}")
            self.reply(403, {"message": "The request signature we calculated does not match the "
                                        f"signature you provided ({why})"},
                       {"x-amzn-ErrorType": "InvalidSignatureException"})
            return
        if parts[3] != args.function:
            log(f"refused 404 {parts[3]}")
            self.reply(404, {"Type": "User", "message": f"Function not found: {parts[3]}"},
                       {"x-amzn-ErrorType": "ResourceNotFoundException"})
            return
        if self.headers.get("X-Amz-Invocation-Type") != "Event":
            log("refused 400 not an Event invocation")
            self.reply(400, {"message": "this fake takes Event invocations only"})
            return
        try:
            event = json.loads(body)
            assert isinstance(event, dict) and event.get("coordinator")
        except (ValueError, AssertionError):
            log("refused 400 bad event")
            self.reply(400, {"message": "the event is not a JSON object with a coordinator"})
            return
        rid = str(uuid.uuid4())
        log(f"invoke {rid} {json.dumps(event, sort_keys=True)}")
        events.put((rid, event))
        start_environment()
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()


def stop(*_):
    for p in children:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for p in children:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
    os._exit(0)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--function", required=True)
    ap.add_argument("--region", required=True)
    ap.add_argument("--access-key", required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--session-token")
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--task-root", required=True)
    args = ap.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, args.port_file)
    try:
        server.serve_forever()
    finally:
        stop()
