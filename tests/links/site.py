"""A small web site served on 127.0.0.1 inside the test process, for link checks and captures.

Pages: /ok (200), /missing (404), /broken (500), /away (redirect to the same page
on "localhost", another host), /here (redirect on the same host), /slow (answers
after SLOW_SECONDS), /changing (a different body at every request).
Hostile pages: /bomb (BOMB_MB of zeros, gzipped to a few hundred KB), /huge (claims
HUGE_CLAIM bytes), /endless (zeros, chunked, until the client leaves), /drip (a byte
every DRIP_SECONDS until the client leaves), /large (LARGE_MB of zeros, for
bench/outbound_bench.py), /to-metadata (redirect to the cloud
metadata address), /to-file (redirect to a file: URL).
Every request's path is appended to ``Site.hits``.
"""

from __future__ import annotations

import functools
import itertools
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

TLS_DIR = Path(__file__).parent / "tls"
SLOW_SECONDS = 3.0
BOMB_MB = 200
LARGE_MB = 40
HUGE_CLAIM = 300 * 1024 * 1024
DRIP_SECONDS = 0.05
# A page that never ends stops after this many pieces, in case the client never leaves.
MAX_PIECES = 20_000
OK_BODY = b"<!doctype html><title>Report</title><p>The report.</p><script>alert(1)</script>"


@functools.cache
def gzip_bomb() -> bytes:
    """BOMB_MB megabytes of zeros, gzipped (about 200 KB), made once per test run."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1024 * 1024)
    return b"".join(squeeze.compress(zeros) for _ in range(BOMB_MB)) + squeeze.flush()


@dataclass(frozen=True)
class Site:
    port: int
    hits: list[str] = field(default_factory=list)
    # The Host header of every request, and (TLS sites) the name each client sent as SNI.
    host_headers: list[str] = field(default_factory=list)
    server_names: list[str | None] = field(default_factory=list)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


class _Handler(BaseHTTPRequestHandler):
    versions = itertools.count(1)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        port = self.server.server_address[1]
        self.server.hits.append(self.path)
        self.server.host_headers.append(self.headers.get("Host", ""))
        if self.path in HOSTILE_PAGES:
            HOSTILE_PAGES[self.path](self)
        elif self.path == "/ok":
            self._answer(200, OK_BODY)
        elif self.path == "/missing":
            self._answer(404, b"not here")
        elif self.path == "/broken":
            self._answer(500, b"failure")
        elif self.path == "/away":
            self._redirect(f"http://localhost:{port}/ok")
        elif self.path == "/here":
            self._redirect("/ok")
        elif self.path == "/slow":
            time.sleep(SLOW_SECONDS)
            self._answer(200, b"late")
        elif self.path == "/changing":
            self._answer(200, f"version {next(self.versions)}".encode())
        else:
            self._answer(404, b"unknown page")

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def _bomb(self) -> None:
        body = gzip_bomb()
        self.send_response(200)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _huge(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(HUGE_CLAIM))
        self.end_headers()
        self._send_until_gone(bytes(64 * 1024))

    def _endless(self) -> None:
        self.protocol_version = "HTTP/1.0"  # no length: the body ends when the connection does
        self.send_response(200)
        self.end_headers()
        self._send_until_gone(bytes(64 * 1024))

    def _large(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(LARGE_MB * 1024 * 1024))
        self.end_headers()
        for _ in range(LARGE_MB * 16):
            self.wfile.write(bytes(64 * 1024))

    def _drip(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "1000000")
        self.end_headers()
        self._send_until_gone(b".", pause=DRIP_SECONDS)

    def _send_until_gone(self, piece: bytes, pause: float = 0.0) -> None:
        for _ in range(MAX_PIECES):
            try:
                self.wfile.write(piece)
                self.wfile.flush()
            except OSError:
                return
            time.sleep(pause)


HOSTILE_PAGES = {
    "/bomb": _Handler._bomb,
    "/huge": _Handler._huge,
    "/endless": _Handler._endless,
    "/drip": _Handler._drip,
    "/large": _Handler._large,
    "/to-metadata": lambda handler: handler._redirect("http://169.254.169.254/latest/meta-data/"),
    "/to-file": lambda handler: handler._redirect("file:///etc/passwd"),
}


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then released, by us)."""
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        return unused.getsockname()[1]


@contextmanager
def probing(site: Site) -> Iterator[None]:
    """Point the network probe of link checks at the site (there is no internet here)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EVIDENCE_NETWORK_PROBE", f"127.0.0.1:{site.port}")
        yield


@contextmanager
def allowing_local_fetches(site: Site) -> Iterator[None]:
    """Let the outbound guard reach servers on 127.0.0.1 (it refuses loopback by default),
    and probe the site for the network."""
    with pytest.MonkeyPatch.context() as patch, probing(site):
        patch.setenv("EVIDENCE_FETCH_ALLOW_NETWORKS", "127.0.0.0/8")
        yield


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that give up mid-handshake are what some tests are about


@contextmanager
def serve_site(tls: bool = False) -> Iterator[Site]:
    """The site over http, or over https with a self-signed certificate for "localhost"
    (tests/links/tls) that no client trusts."""
    server = _QuietServer(("127.0.0.1", 0), _Handler)
    server.hits, server.host_headers, server.server_names = [], [], []
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(TLS_DIR / "localhost.crt", TLS_DIR / "localhost.key")
        context.sni_callback = lambda _socket, name, _context: server.server_names.append(name)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(server.server_address[1], server.hits, server.host_headers, server.server_names)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
