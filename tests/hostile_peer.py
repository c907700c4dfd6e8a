#!/usr/bin/env python3
"""Hostile peers for tests/t_hostile.sh: connect to a coordinator and misbehave.

usage: hostile_peer.py PORT KIND [ARG]

Each KIND opens one connection (or, for "idle-many", ARG of them), misbehaves, then
waits for the coordinator to close the connection. It prints one line

    port=LOCALPORT[,LOCALPORT...] closed=yes|no after=SECONDS [key=value ...]

where LOCALPORT is the peer's own port (what the coordinator's log names it by) and
after is the time from the misbehaviour to the close. Exit status 0 unless the peer
itself could not run (connection refused, ...).

Messages are protobuf (proto/excam.proto) encoded by hand, in canonical form (the
coordinator re-packs every message and refuses anything its own packer would not
write): fields in number order, proto3 zero values left out, submessages always written.
Python's standard library only.
"""
import hashlib
import hmac
import os
import random
import select
import socket
import struct
import sys
import time

HOST = "127.0.0.1"


# ---------------------------------------------------------------- encoding

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(field, wt):
    return varint(field << 3 | wt)


def f_uint(field, n):
    return key(field, 0) + varint(n) if n else b""


def f_bytes(field, b):
    if isinstance(b, str):
        b = b.encode()
    return key(field, 2) + varint(len(b)) + b if b else b""


def f_msg(field, m):
    return key(field, 2) + varint(len(m)) + m


def f_double(field, d):
    return key(field, 1) + struct.pack("<d", d) if d else b""


# Envelope body field numbers.
HELLO, HELLO_ACK, AUTH_CHALLENGE, AUTH_RESPONSE = 1, 2, 3, 4
HEARTBEAT, TASK_RESULT, JOB_SUBMIT = 5, 7, 9
JOB_STATUS_REQUEST, JOB_LIST = 11, 14
ROLE_WORKER, ROLE_CLIENT = 1, 2


def envelope(body_field, body):
    return f_msg(body_field, body)


def frame(env):
    return struct.pack(">I", len(env)) + env


def hello(role, name="hostile", version=1, slots=None):
    if slots is None:
        slots = 1 if role == ROLE_WORKER else 0
    return frame(envelope(HELLO, f_uint(1, version) + f_uint(2, role) + f_bytes(3, name) +
                          f_bytes(4, "") + f_uint(5, slots)))


def task_ref(job, task, attempt):
    return f_uint(1, job) + f_uint(2, task) + f_uint(3, attempt)


def task_result(job=99, task=1, attempt=1):
    return frame(envelope(TASK_RESULT, f_msg(1, task_ref(job, task, attempt))))


def heartbeat(seq=1):
    return frame(envelope(HEARTBEAT, f_uint(1, seq)))


def job_submit(frames=1):
    """A NOOP job of `frames` independent tasks (bench/coordinator's kind)."""
    manifest = f_bytes(1, "manifest") + f_bytes(2, bytes(range(32))) + f_uint(3, 32 * frames)
    body = (f_bytes(1, "hostile") + f_uint(2, 16) + f_uint(3, 16) + f_uint(4, frames) +
            f_uint(5, 1) + f_uint(6, 1) + f_uint(7, 1) + f_uint(8, 1) + f_msg(9, b"") +
            f_msg(10, manifest) + f_bytes(11, "") + f_uint(12, 1))
    return frame(envelope(JOB_SUBMIT, body))


def job_status_request(job):
    return frame(envelope(JOB_STATUS_REQUEST, f_uint(1, job)))


def job_list(limit=256):
    return frame(envelope(JOB_LIST, f_uint(2, limit)))


# ---------------------------------------------------------------- decoding

def read_varint(b, i):
    n = shift = 0
    while True:
        c = b[i]
        i += 1
        n |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return n, i


def fields(b):
    """{field: [values]} of a message: ints for varints, bytes for length-delimited."""
    out, i = {}, 0
    while i < len(b):
        k, i = read_varint(b, i)
        f, wt = k >> 3, k & 7
        if wt == 0:
            v, i = read_varint(b, i)
        elif wt == 2:
            n, i = read_varint(b, i)
            v, i = b[i:i + n], i + n
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wt)
        out.setdefault(f, []).append(v)
    return out


def frames_in(buf):
    """The envelopes of the whole frames at the start of buf."""
    out, i = [], 0
    while len(buf) - i >= 4:
        n = struct.unpack(">I", buf[i:i + 4])[0]
        if len(buf) - i - 4 < n:
            break
        out.append(fields(buf[i + 4:i + 4 + n]))
        i += 4 + n
    return out


# ---------------------------------------------------------------- the connection

def connect(rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect((HOST, PORT))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def wait_closed(s, timeout):
    """Read until the coordinator closes the connection (EOF or reset) or timeout.
    Returns (closed, seconds, bytes received)."""
    t0 = time.monotonic()
    got = bytearray()
    while True:
        left = timeout - (time.monotonic() - t0)
        if left <= 0:
            return False, time.monotonic() - t0, bytes(got)
        s.settimeout(left)
        try:
            b = s.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True, time.monotonic() - t0, bytes(got)
        if not b:
            return True, time.monotonic() - t0, bytes(got)
        got += b


def recv_frame(s, timeout=5.0):
    """One whole frame's envelope (or None on close/timeout)."""
    buf = bytearray()
    s.settimeout(timeout)
    try:
        while True:
            fr = frames_in(bytes(buf))
            if fr:
                return fr[0]
            b = s.recv(4096)
            if not b:
                return None
            buf += b
    except (socket.timeout, ConnectionResetError):
        return None


def report(ports, closed, secs, **extra):
    line = "port=%s closed=%s after=%.2f" % (",".join(str(p) for p in ports),
                                             "yes" if closed else "no", secs)
    for k, v in extra.items():
        line += " %s=%s" % (k, v)
    print(line, flush=True)


def misbehave(data, pre=b"", ack=False, shut=False, timeout=10.0, wait_before=0.0):
    """Send pre (and read its HelloAck if ack), then data (then shut down our side if
    shut), then wait for the close."""
    s = connect()
    port = s.getsockname()[1]
    extra = {}
    if pre:
        s.sendall(pre)
        if ack:
            m = recv_frame(s)
            a = fields(m[HELLO_ACK][0]) if m and HELLO_ACK in m else {}
            extra["accepted"] = a.get(2, [0])[0]
    if wait_before:
        time.sleep(wait_before)
    s.sendall(data)
    if shut:
        s.shutdown(socket.SHUT_WR)
    closed, secs, _ = wait_closed(s, timeout)
    s.close()
    report([port], closed, secs, **extra)


# ---------------------------------------------------------------- the job key

def auth_mac(key, who, role, nonce, cnonce):
    """proto/auth.c's proof, written from its description in proto/README.md (so the
    test checks the description too): HMAC-SHA512-256 (HMAC-SHA512 cut to 32 bytes) of
    the transcript; who 1 = the peer, 2 = the coordinator; no TLS binding here."""
    t = b"excam-auth-v1".ljust(16, b"\0") + bytes([who]) + struct.pack(">I", role)
    t += nonce + cnonce + b"\0" + bytes(32)
    return hmac.new(key, t, hashlib.sha512).digest()[:32]


def auth_response(cnonce, mac):
    return frame(envelope(AUTH_RESPONSE, f_bytes(1, cnonce) + f_bytes(2, mac)))


def read_key(path):
    with open(path) as f:
        return bytes.fromhex(f.read().strip())


def challenged(s, role=ROLE_CLIENT):
    """Say hello; the challenge's nonce (or None)."""
    s.sendall(hello(role))
    m = recv_frame(s)
    if not m or AUTH_CHALLENGE not in m:
        return None
    return fields(m[AUTH_CHALLENGE][0]).get(1, [b""])[0]


def auth_case(answer, key_path=None, timeout=10.0):
    """Hello, take the challenge, send answer(nonce) (b"": nothing), report what came."""
    s = connect()
    port = s.getsockname()[1]
    nonce = challenged(s)
    if nonce is None:
        report([port], False, 0, challenge="no")
        return
    s.sendall(answer(nonce))
    closed, secs, got = wait_closed(s, timeout)
    s.close()
    fr = frames_in(got)
    extra = {"challenge": "yes"}
    if fr and HELLO_ACK in fr[0]:
        a = fields(fr[0][HELLO_ACK][0])
        extra["accepted"] = a.get(2, [0])[0]
        extra["code"] = a.get(5, [0])[0]
    report([port], closed, secs, **extra)


def kind_auth_skip():
    # A request instead of the answer to the challenge.
    auth_case(lambda nonce: job_list())


def kind_auth_silent():
    auth_case(lambda nonce: b"", timeout=20.0)


def kind_auth_bad_mac():
    auth_case(lambda nonce: auth_response(os.urandom(32), os.urandom(32)))


def kind_auth_replay(key_path):
    """A right answer to one connection's challenge, replayed on another."""
    k = read_key(key_path)
    s1 = connect()
    n1 = challenged(s1)
    c1 = os.urandom(32)
    old = auth_response(c1, auth_mac(k, 1, ROLE_CLIENT, n1, c1)) if n1 else b""
    auth_case(lambda nonce: old)
    s1.close()


def kind_auth_good(key_path):
    """The right answer, computed here: accepted, and the coordinator's proof checks."""
    k = read_key(key_path)
    s = connect()
    port = s.getsockname()[1]
    nonce = challenged(s)
    if nonce is None:
        report([port], False, 0, challenge="no")
        return
    c = os.urandom(32)
    s.sendall(auth_response(c, auth_mac(k, 1, ROLE_CLIENT, nonce, c)))
    m = recv_frame(s)
    a = fields(m[HELLO_ACK][0]) if m and HELLO_ACK in m else {}
    smac = a.get(7, [b""])[0]
    ok = hmac.compare_digest(smac, auth_mac(k, 2, ROLE_CLIENT, nonce, c))
    s.close()
    report([port], False, 0, accepted=a.get(2, [0])[0], server_mac_ok="yes" if ok else "no")


# ---------------------------------------------------------------- the kinds

def kind_garbage(seed):
    rng = random.Random(int(seed))
    misbehave(bytes(rng.getrandbits(8) for _ in range(4096)))


def kind_garbage_framed():
    # A plausible length, then bytes that are no Envelope.
    misbehave(struct.pack(">I", 64) + b"\xff" * 64)


def kind_prefix(n):
    misbehave(struct.pack(">I", int(n)))


def kind_prefix_after(n):
    # After a client's hello, frames of up to 1 MiB are allowed (before it, 4 KiB).
    misbehave(struct.pack(">I", int(n)), pre=hello(ROLE_CLIENT), ack=True)


def kind_prefix_max():
    # Exactly the maximum, after a worker's hello: not too big. 1000 bytes of it arrive,
    # then nothing: the connection must go for its silence, not for the size.
    misbehave(struct.pack(">I", 1 << 20) + b"\0" * 1000, pre=hello(ROLE_WORKER), ack=True,
              timeout=15.0)


def kind_short_prefix():
    misbehave(b"\0\0", shut=True)


def kind_half_frame():
    h = hello(ROLE_CLIENT)
    misbehave(h[:4 + (len(h) - 4) // 2], shut=True)


def kind_eof_mid_second():
    second = job_list()
    misbehave(second[:len(second) - 2], pre=hello(ROLE_CLIENT), ack=True, shut=True)


def kind_before_hello(what):
    misbehave(task_result() if what == "task_result" else job_submit())


def kind_worker_submit():
    misbehave(job_submit(), pre=hello(ROLE_WORKER), ack=True)


def kind_worker_bad_result():
    misbehave(task_result(job=12345, task=7, attempt=3), pre=hello(ROLE_WORKER), ack=True)


def kind_client_result():
    misbehave(task_result(), pre=hello(ROLE_CLIENT), ack=True)


def kind_client_heartbeat():
    misbehave(heartbeat(), pre=hello(ROLE_CLIENT), ack=True)


def kind_client_hello_twice():
    misbehave(hello(ROLE_CLIENT), pre=hello(ROLE_CLIENT), ack=True)


def kind_malformed():
    # Well framed, a valid protobuf, but invalid: a hello without a name.
    misbehave(frame(envelope(HELLO, f_uint(1, 1) + f_uint(2, ROLE_CLIENT))))


def kind_noncanonical():
    # The protocol version as an overlong varint (0x81 0x00 = 1).
    body = key(1, 0) + b"\x81\x00" + f_uint(2, ROLE_CLIENT) + f_bytes(3, "x")
    misbehave(frame(envelope(HELLO, body)))


def kind_silent():
    s = connect()
    port = s.getsockname()[1]
    closed, secs, _ = wait_closed(s, 15.0)
    s.close()
    report([port], closed, secs)


def kind_worker_silent():
    misbehave(b"", pre=hello(ROLE_WORKER), ack=True, timeout=20.0)


def kind_version(v):
    s = connect()
    port = s.getsockname()[1]
    s.sendall(hello(ROLE_WORKER, version=int(v)))
    closed, secs, got = wait_closed(s, 10.0)
    s.close()
    fr = frames_in(got)
    extra = {"frames": len(fr)}
    if fr and HELLO_ACK in fr[0]:
        a = fields(fr[0][HELLO_ACK][0])
        extra["ack"] = 1
        extra["accepted"] = a.get(2, [0])[0]
        extra["code"] = a.get(5, [0])[0]
        extra["reason"] = a.get(6, [b""])[0].decode(errors="replace").replace(" ", "_")
    report([port], closed, secs, **extra)


def kind_idle_many(n):
    """Open n connections at once, say nothing; print their ports as soon as they are
    all open (line "open port=..."), then wait for all of them to be closed."""
    socks = [connect() for _ in range(int(n))]
    ports = [s.getsockname()[1] for s in socks]
    print("open port=%s" % ",".join(map(str, ports)), flush=True)
    t0 = time.monotonic()
    pending = {s.fileno(): s for s in socks}
    closed_at = []
    while pending and time.monotonic() - t0 < 20.0:
        r, _, _ = select.select(list(pending), [], [], 0.5)
        for fd in r:
            s = pending[fd]
            try:
                b = s.recv(4096)
            except (ConnectionResetError, BrokenPipeError):
                b = b""
            if not b:
                closed_at.append(time.monotonic() - t0)
                del pending[fd]
                s.close()
    for s in pending.values():
        s.close()
    report(ports, not pending, max(closed_at) if closed_at else 0.0,
           still_open=len(pending), first=("%.2f" % min(closed_at)) if closed_at else "-")


def kind_flood(mb):
    """A client that sends requests without ever reading the answers (its receive
    buffer kept small, so that the answers pile up on the coordinator's side). The
    coordinator must drop it once its bounded output is full: we see a reset or EOF
    when writing. closed=no: we sent all `mb` MiB and the connection still took them."""
    s = connect(rcvbuf=4096)
    port = s.getsockname()[1]
    s.sendall(hello(ROLE_CLIENT))
    chunk = job_status_request(987654321) * 8192  # answered by an Error each
    total, limit = 0, int(mb) << 20
    t0 = time.monotonic()
    closed = False
    s.settimeout(10.0)
    while total < limit:
        try:
            s.sendall(chunk)
        except (ConnectionResetError, BrokenPipeError):
            closed = True
            break
        except socket.timeout:
            break  # the coordinator stopped reading us: not a drop
        total += len(chunk)
    secs = time.monotonic() - t0
    if not closed:
        # Maybe it was dropped just after our last write: look once more.
        s.settimeout(3.0)
        try:
            s.sendall(chunk)
            time.sleep(0.5)
            s.sendall(chunk)
        except (ConnectionResetError, BrokenPipeError):
            closed = True
        except socket.timeout:
            pass
    s.close()
    report([port], closed, secs, sent_mib="%.1f" % (total / 1048576.0))



# ---------------------------------------------------------------- a fake coordinator

TASK_ASSIGN = 6


class Reader:
    """Whole frames from a socket, keeping what arrives after them."""

    def __init__(self, s):
        self.s, self.buf = s, bytearray()

    def next(self, timeout=10.0):
        self.s.settimeout(timeout)
        while True:
            if len(self.buf) >= 4:
                n = struct.unpack(">I", self.buf[:4])[0]
                if len(self.buf) >= 4 + n:
                    m = fields(bytes(self.buf[4:4 + n]))
                    del self.buf[:4 + n]
                    return m
            try:
                b = self.s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                return None
            if not b:
                return None
            self.buf += b

    def next_of(self, body, timeout=10.0):
        """The next message with that body (heartbeats and the rest skipped)."""
        while True:
            m = self.next(timeout)
            if m is None or body in m:
                return m


def kind_fake_coordinator(store):
    """Play a coordinator to one `excam worker` (which dials the port printed as
    "listening=PORT"): hand it malformed tasks and print what it answers, one line per
    task ("NAME code=N message=..."), then a garbage frame ("garbage closed=yes|no": it
    must hang up) and whether it dials again ("redial=yes|no")."""
    import hashlib
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((HOST, 0))
    ls.listen(4)
    print("listening=%d" % ls.getsockname()[1], flush=True)
    ls.settimeout(20)
    s, _ = ls.accept()
    rd = Reader(s)
    m = rd.next()
    print("hello=%s" % ("yes" if m and HELLO in m else "no"), flush=True)
    s.sendall(frame(envelope(HELLO_ACK, f_uint(1, 1) + f_uint(2, 1) + f_uint(3, 1) + f_uint(4, 1000))))
    junk = b"this is no source blob " * 8
    h = hashlib.blake2b(junk, digest_size=32).digest()
    with open(os.path.join(store, h.hex()), "wb") as f:
        f.write(junk)
    cases = [("missing-blob", [("source", bytes([0x11] * 32), 0)]),
             ("no-source", []),
             ("bad-source", [("source", h, len(junk))]),
             ("wrong-size", [("source", h, len(junk) + 1)])]
    for i, (name, inputs) in enumerate(cases, 1):
        ins = b"".join(f_msg(6, f_bytes(1, n) + f_bytes(2, hh) + f_uint(3, sz)) for n, hh, sz in inputs)
        body = (f_msg(1, task_ref(7, i, 1)) + f_uint(2, 1) + f_msg(3, b"") + f_uint(5, 1) + ins +
                f_bytes(7, store))
        s.sendall(frame(envelope(TASK_ASSIGN, body)))
        r = rd.next_of(TASK_RESULT)
        if r is None:
            print("%s code=none message=no_answer" % name, flush=True)
            continue
        tr = fields(r[TASK_RESULT][0])
        code = tr.get(2, [0])[0]
        msg = tr.get(3, [b""])[0].decode(errors="replace")
        lost = ",".join(v.decode(errors="replace") for v in tr.get(6, []))
        print("%s code=%d message=%s lost=%s" % (name, code, msg.replace(" ", "_"), lost or "-"),
              flush=True)
    s.sendall(struct.pack(">I", 8) + b"\xff" * 8)
    closed, secs, _ = wait_closed(s, 10)
    s.close()
    print("garbage closed=%s" % ("yes" if closed else "no"), flush=True)
    try:
        s2, _ = ls.accept()
        s2.close()
        print("redial=yes", flush=True)
    except socket.timeout:
        print("redial=no", flush=True)
    ls.close()


def kind_bad_quantizers(store):
    """Submit a job of 12 frames in chunks of 6 whose chunk_quantizers blob (in the store,
    a directory) is the right size but has first_boost > q_key; print "answer=error
    message=..." (the coordinator must refuse it) or "answer=other"."""
    def put(b):
        h = hashlib.blake2b(b, digest_size=32).digest()
        with open(os.path.join(store, h.hex()), "wb") as f:
            f.write(b)
        return h
    man = put(bytes(range(64)))                     # 2 chunks' (unused) hashes
    quant = put(bytes([30, 40, 5, 30, 40, 31]))     # chunk 1: first_boost 31 > q_key 30
    params = f_uint(1, 30) + f_uint(2, 40)
    body = (f_bytes(1, "hostile") + f_uint(2, 16) + f_uint(3, 16) + f_uint(4, 12) +
            f_uint(5, 1) + f_uint(6, 1) + f_uint(7, 6) + f_uint(8, 16) + f_msg(9, params) +
            f_msg(10, f_bytes(1, "manifest") + f_bytes(2, man) + f_uint(3, 64)) +
            f_bytes(11, "file://" + store) +
            f_msg(13, f_bytes(1, "chunk-quantizers") + f_bytes(2, quant) + f_uint(3, 6)))
    s = connect()
    s.sendall(hello(ROLE_CLIENT))
    rd = Reader(s)
    rd.next_of(HELLO_ACK)
    s.sendall(frame(envelope(JOB_SUBMIT, body)))
    m = rd.next()
    s.close()
    if m and 16 in m:
        e = fields(m[16][0])
        print("answer=error message=%s" % e.get(2, [b""])[0].decode(errors="replace").replace(" ", "_"))
    else:
        print("answer=other")


KINDS = {
    "bad-quantizers": kind_bad_quantizers,
    "garbage": kind_garbage,
    "garbage-framed": kind_garbage_framed,
    "prefix": kind_prefix,
    "prefix-max": kind_prefix_max,
    "prefix-after": kind_prefix_after,
    "fake-coordinator": kind_fake_coordinator,
    "short-prefix": kind_short_prefix,
    "half-frame": kind_half_frame,
    "eof-mid-second": kind_eof_mid_second,
    "before-hello": kind_before_hello,
    "worker-submit": kind_worker_submit,
    "worker-bad-result": kind_worker_bad_result,
    "client-result": kind_client_result,
    "client-heartbeat": kind_client_heartbeat,
    "client-hello-twice": kind_client_hello_twice,
    "malformed": kind_malformed,
    "noncanonical": kind_noncanonical,
    "silent": kind_silent,
    "worker-silent": kind_worker_silent,
    "version": kind_version,
    "idle-many": kind_idle_many,
    "flood": kind_flood,
    "auth-skip": kind_auth_skip,
    "auth-silent": kind_auth_silent,
    "auth-bad-mac": kind_auth_bad_mac,
    "auth-replay": kind_auth_replay,
    "auth-good": kind_auth_good,
}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[2] not in KINDS:
        sys.exit("usage: hostile_peer.py PORT KIND [ARG]; KIND: " + " ".join(KINDS))
    PORT = int(sys.argv[1])
    KINDS[sys.argv[2]](*sys.argv[3:])
