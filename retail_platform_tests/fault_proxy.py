"""A fault-injecting HTTP proxy in front of the loopback S3 server: it answers a share of the
requests the way S3 does when it throttles (``503 SlowDown``) or fails (``500 InternalError``),
with S3's XML error body, and passes the rest through untouched (the client's signature included:
the ``Host`` header is forwarded as sent).

Which requests fail is decided by a seeded generator, so a run sees the same faults every time;
``max_in_a_row`` bounds how often the same request (method and path) fails in a row, so that a
client retrying enough times always gets through, and ``None`` makes the fault permanent.
"""

from __future__ import annotations

import contextlib
import http.client
import random
import re
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

# Headers that describe one hop, not the message: never forwarded.
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "expect"}
)


@dataclass(frozen=True)
class Fault:
    status: int
    code: str
    message: str

    @property
    def label(self) -> str:
        return f"{self.status} {self.code}"

    def body(self, resource: str, request_id: str) -> bytes:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{self.code}</Code><Message>{self.message}</Message>"
            f"<Resource>{resource}</Resource><RequestId>{request_id}</RequestId></Error>"
        ).encode()


SLOW_DOWN = Fault(503, "SlowDown", "Please reduce your request rate.")
INTERNAL_ERROR = Fault(500, "InternalError", "We encountered an internal error. Please try again.")


@dataclass
class FaultPlan:
    """``share`` of the requests (whose path matches ``only``, a regex; all by default) get one of
    ``faults``, in turn."""

    share: float
    faults: tuple[Fault, ...] = (SLOW_DOWN, INTERNAL_ERROR)
    only: str | None = None
    max_in_a_row: int | None = 2
    seed: int = 13
    requests: int = 0
    injected: Counter = field(default_factory=Counter)  # fault label -> answers given
    faulted_paths: Counter = field(default_factory=Counter)  # path -> faults given
    faulted_methods: Counter = field(default_factory=Counter)  # GET, PUT, HEAD ... -> faults given
    _random: random.Random = field(init=False)
    _in_a_row: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def fault_for(self, method: str, path: str) -> Fault | None:
        with self._lock:
            self.requests += 1
            request = (method, path)
            if self.only is not None and not re.search(self.only, path):
                return None
            limit_reached = self.max_in_a_row is not None and self._in_a_row[request] >= self.max_in_a_row
            if limit_reached or self._random.random() >= self.share:
                self._in_a_row.pop(request, None)
                return None
            self._in_a_row[request] += 1
            fault = self.faults[sum(self.injected.values()) % len(self.faults)]
            self.injected[fault.label] += 1
            self.faulted_paths[path] += 1
            self.faulted_methods[method] += 1
            return fault


@dataclass
class FaultProxy:
    url: str
    plan: FaultPlan


def _handler(upstream: tuple[str, int], plan: FaultPlan) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as S3 (botocore keeps a connection pool)

        def log_message(self, format, *args) -> None:  # noqa: A002 - the base class's name
            pass

        def _read_body(self) -> bytes:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                chunks = []
                while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                    pass
                return b"".join(chunks)
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _handle(self) -> None:
            body = self._read_body()  # always read: the connection carries on after a fault
            fault = plan.fault_for(self.command, unquote(self.path))  # as the key reads: dt=, not dt%3D
            if fault is not None:
                payload = fault.body(self.path, f"fault-{plan.requests}")
                self.send_response(fault.status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", "0" if self.command == "HEAD" else str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            if body or self.command in ("PUT", "POST"):
                headers["Content-Length"] = str(len(body))
            connection = http.client.HTTPConnection(*upstream, timeout=60)
            try:
                connection.request(self.command, self.path, body=body or None, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                self.send_response_only(response.status, response.reason)
                for name, value in response.getheaders():
                    if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                        self.send_header(name, value)
                if self.command == "HEAD":
                    self.send_header("Content-Length", response.getheader("Content-Length", "0"))
                else:
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
            finally:
                connection.close()

        do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle

    return Handler


@contextlib.contextmanager
def fault_proxy(upstream_url: str, plan: FaultPlan) -> Iterator[FaultProxy]:
    """A proxy on an ephemeral loopback port in front of ``upstream_url``, for the ``with`` block."""
    upstream = urlsplit(upstream_url)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler((upstream.hostname, upstream.port), plan))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="s3-fault-proxy", daemon=True)
    thread.start()
    try:
        yield FaultProxy(url=f"http://127.0.0.1:{server.server_address[1]}", plan=plan)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
