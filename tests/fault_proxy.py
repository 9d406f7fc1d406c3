"""An HTTP/1.1 relay on 127.0.0.1 in front of an S3 server that misbehaves on
purpose: it answers 503 SlowDown to a share of requests, drops a share of
connections before answering, cuts a share of GET bodies short, and delays
every request (and answers 503 to every request matching --fail-match). Used by
the S3 tests and benchmarks:

    python tests/fault_proxy.py --upstream-port 5000 --port 0 --p503 0.1 --delay 0.05

prints 'listening PORT' once ready. Faults other than truncation happen before
the request reaches the server, so a retried request is never applied twice.
"""
import argparse
import random
import re
import socket
import socketserver
import sys
import threading
import time

SLOWDOWN = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
            b'<Message>Please reduce your request rate.</Message></Error>')


def read_until(sock, buf, marker):
    """Returns (head, rest) once `marker` is in the stream, or (None, b'') at EOF."""
    while marker not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        buf += chunk
    i = buf.index(marker) + len(marker)
    return buf[:i], buf[i:]


def read_exact(sock, buf, n):
    while len(buf) < n:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("peer closed")
        buf += chunk
    return buf[:n], buf[n:]


def header(head, name):
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == name:
            return v.strip()
    return None


def read_chunked(sock, buf):
    """The raw bytes of a chunked body, terminators included."""
    out = b""
    while True:
        line, buf = read_until(sock, buf, b"\r\n")
        if line is None:
            raise ConnectionError("peer closed in a chunk")
        out += line
        size = int(line.split(b";")[0].strip(), 16)
        if size == 0:
            while True:  # trailers, then the empty line
                line, buf = read_until(sock, buf, b"\r\n")
                out += line
                if line == b"\r\n":
                    return out, buf
        data, buf = read_exact(sock, buf, size + 2)
        out += data


def log(server, line):
    """One whole line per event: print() from several threads can interleave a
    line with its newline, and the counts read from the log would be off."""
    with server.lock:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


class Relay(socketserver.BaseRequestHandler):
    def handle(self):
        cfg = self.server.cfg
        client = self.request
        buf = b""
        while True:
            head, buf = read_until(client, buf, b"\r\n\r\n")
            if head is None:
                return
            method = head.split(b" ", 1)[0]
            if header(head, b"expect") == b"100-continue":
                client.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                head = b"\r\n".join(l for l in head.split(b"\r\n")
                                    if not l.lower().startswith(b"expect:"))
            if header(head, b"transfer-encoding") == b"chunked":
                body, buf = read_chunked(client, buf)
            else:
                body, buf = read_exact(client, buf, int(header(head, b"content-length") or 0))
            with self.server.lock:
                roll = self.server.rng.random()
                self.server.requests += 1
            request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
            if cfg.log_requests:  # one line per request, for counting GETs
                log(self.server, "request " + request_line)
            if cfg.delay and (not cfg.delay_match or re.search(cfg.delay_match, request_line)):
                time.sleep(cfg.delay)
            if roll < cfg.p503 or (cfg.fail_match and re.search(cfg.fail_match, request_line)):
                log(self.server, "fault 503")
                client.sendall(b"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\n"
                               b"Content-Length: %d\r\n\r\n" % len(SLOWDOWN) + SLOWDOWN)
                continue
            if roll < cfg.p503 + cfg.pdrop:
                log(self.server, "fault drop")
                client.close()  # the connection resets with no answer
                return
            response = self.forward(head, body)
            if method == b"GET" and roll < cfg.p503 + cfg.pdrop + cfg.ptruncate:
                resp_head, _, resp_body = response.partition(b"\r\n\r\n")
                if resp_head.split(b" ")[1] == b"200" and len(resp_body) > 1:
                    log(self.server, "fault truncate")
                    client.sendall(resp_head + b"\r\n\r\n" + resp_body[: len(resp_body) // 2])
                    client.close()
                    return
            resp_head, _, resp_body = response.partition(b"\r\n\r\n")
            delimited = (header(resp_head + b"\r\n", b"content-length") is not None
                         or method == b"HEAD")
            if delimited:
                # The server closed because it was asked to; the client may
                # keep its connection (a new one per request costs it dearly).
                resp_head = b"\r\n".join(l for l in resp_head.split(b"\r\n")
                                          if not l.lower().startswith(b"connection:"))
            client.sendall(resp_head + b"\r\n\r\n" + resp_body)
            if not delimited:
                client.close()
                return

    def forward(self, head, body):
        """Sends one request on a fresh connection and reads the answer to its end."""
        lines = [l for l in head.split(b"\r\n") if l and not l.lower().startswith(b"connection:")]
        request = b"\r\n".join(lines) + b"\r\nConnection: close\r\n\r\n" + body
        with socket.create_connection(("127.0.0.1", self.server.cfg.upstream_port)) as up:
            up.sendall(request)
            chunks = []
            while True:
                chunk = up.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        return b"".join(chunks)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--upstream-port", type=int, required=True)
    ap.add_argument("--p503", type=float, default=0.0)
    ap.add_argument("--pdrop", type=float, default=0.0)
    ap.add_argument("--ptruncate", type=float, default=0.0)
    ap.add_argument("--delay", type=float, default=0.0, help="seconds added to each request")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--log-requests", action="store_true",
                    help="write 'request METHOD PATH ...' to stderr for every request")
    ap.add_argument("--delay-match", default="",
                    help="add --delay only to requests whose request line matches this regex")
    ap.add_argument("--fail-match", default="",
                    help="answer 503 to every request whose request line matches this regex")
    cfg = ap.parse_args()
    server = Server(("127.0.0.1", cfg.port), Relay)
    server.cfg = cfg
    server.rng = random.Random(cfg.seed)
    server.lock = threading.Lock()
    server.requests = 0
    print("listening", server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
