#!/usr/bin/env python3
"""An HTTP proxy that fails a fraction of the requests it is sent, for the storage tests
(tests/t_storage_http.sh): a storage server having a bad day. Python stdlib only.

Each request, with probability --fail (seeded: --seed), gets either a 503 answer or its
connection closed without any answer (half each); the others are passed to the upstream
server as they came (method, path, headers including Host, so that signatures still
match, and body) and its answer passed back. One request per connection
(Connection: close). On SIGTERM/exit it prints "flaky_proxy: N requests, M failed".
With --slow-gets K --slow-ms MS, the first K GET requests are answered MS late (a slow
server rather than a failing one).

usage: flaky_proxy.py --upstream HOST:PORT --fail 0.3 --seed 7 --port-file FILE
                      [--slow-gets K --slow-ms MS]
"""
import argparse
import http.client
import http.server
import os
import random
import signal
import sys
import threading
import time

ARGS = None
LOCK = threading.Lock()
RNG = None
COUNTS = {"requests": 0, "failed": 0, "gets": 0}
HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
       "upgrade"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def relay(self):
        length = int(self.headers.get("Content-Length", "0") or "0")
        body = self.rfile.read(length) if length else b""
        self.close_connection = True
        with LOCK:
            slow = self.command == "GET" and COUNTS["gets"] < ARGS.slow_gets
            COUNTS["gets"] += self.command == "GET"
            COUNTS["requests"] += 1
            roll, how = RNG.random(), RNG.random()
            fail = roll < ARGS.fail
            if fail:
                COUNTS["failed"] += 1
        if slow:
            time.sleep(ARGS.slow_ms / 1000.0)
        if fail and how < 0.5:
            return  # dropped: the client sees the connection close with no answer
        if fail:
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()
            return
        host, _, port = ARGS.upstream.rpartition(":")
        up = http.client.HTTPConnection(host, int(port), timeout=30)
        up.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for name, value in self.headers.items():
            if name.lower() not in HOP:
                up.putheader(name, value)
        if "Content-Length" not in self.headers and self.command == "PUT":
            up.putheader("Content-Length", "0")
        up.endheaders(body if body else None)
        resp = up.getresponse()
        data = resp.read()
        self.send_response(resp.status, resp.reason)
        for name, value in resp.getheaders():
            if name.lower() not in HOP and name.lower() not in ("content-length", "date",
                                                                  "server"):
                self.send_header(name, value)
        # HEAD answers keep the upstream's Content-Length (the size of the blob).
        length_out = resp.getheader("Content-Length") if self.command == "HEAD" else str(len(data))
        if length_out is not None:
            self.send_header("Content-Length", length_out)
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        up.close()

    do_GET = do_HEAD = do_PUT = do_DELETE = relay


def report(*_):
    sys.stderr.write("flaky_proxy: %d requests, %d failed\n" % (COUNTS["requests"],
                                                                COUNTS["failed"]))
    sys.stderr.flush()
    sys.exit(0)


def main():
    global ARGS, RNG
    p = argparse.ArgumentParser()
    p.add_argument("--upstream", required=True)
    p.add_argument("--fail", type=float, default=0.3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--port-file", required=True)
    p.add_argument("--slow-gets", type=int, default=0)
    p.add_argument("--slow-ms", type=int, default=0)
    ARGS = p.parse_args()
    RNG = random.Random(ARGS.seed)
    signal.signal(signal.SIGTERM, report)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(ARGS.port_file + ".tmp", "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(ARGS.port_file + ".tmp", ARGS.port_file)
    try:
        server.serve_forever()
    finally:
        report()


if __name__ == "__main__":
    main()
