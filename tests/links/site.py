"""A small web site served on 127.0.0.1 inside the test process, for link checks and captures.

Pages: /ok (200), /missing (404), /broken (500), /away (redirect to the same page
on "localhost", another host), /here (redirect on the same host), /slow (answers
after SLOW_SECONDS), /changing (a different body at every request).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SLOW_SECONDS = 3.0
OK_BODY = b"<!doctype html><title>Report</title><p>The report.</p><script>alert(1)</script>"


@dataclass(frozen=True)
class Site:
    port: int

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


class _Handler(BaseHTTPRequestHandler):
    versions = itertools.count(1)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        port = self.server.server_address[1]
        if self.path == "/ok":
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


@contextmanager
def serve_site() -> Iterator[Site]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
