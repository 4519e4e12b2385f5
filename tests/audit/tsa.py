"""A real RFC 3161 time-stamp authority on 127.0.0.1: `openssl ts -reply` behind HTTP.

It has its own test root and TSA certificate, made with the openssl command, so tests
check genuine signatures, not mocks.
"""

from __future__ import annotations

import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

OPENSSL_CONFIG = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = Evidence Test Time-Stamp Root
[root]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[signer]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[tsa]
serial = {dir}/serial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
other_policies = 1.3.6.1.4.1.99999.2
certs = {dir}/signer.crt
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _make_authority(directory: Path, name: str) -> None:
    (directory / "openssl.cnf").write_text(OPENSSL_CONFIG.format(dir=directory))
    (directory / "serial").write_text("01\n")
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes")
    _openssl(
        "req", "-x509", "-new", *ec, "-keyout", "root.key", "-out", "root.crt",
        "-days", "3650", "-config", "openssl.cnf", "-extensions", "root",
        "-subj", f"/CN={name} Root", cwd=directory,
    )  # fmt: skip
    _openssl(
        "req", "-new", *ec, "-keyout", "signer.key", "-out", "signer.csr",
        "-subj", f"/CN={name} TSA", cwd=directory,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", "signer.csr", "-CA", "root.crt", "-CAkey", "root.key",
        "-CAcreateserial", "-out", "signer.crt", "-days", "3650",
        "-extfile", "openssl.cnf", "-extensions", "signer", cwd=directory,
    )  # fmt: skip


@dataclass
class LocalTSA:
    url: str
    directory: Path

    @property
    def root_file(self) -> Path:
        return self.directory / "root.crt"


def _handler(directory: Path, lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    class TimeStampHandler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            query = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock, tempfile.TemporaryDirectory() as scratch:
                query_file, reply_file = Path(scratch, "q.tsq"), Path(scratch, "r.tsr")
                query_file.write_bytes(query)
                done = subprocess.run(
                    ["openssl", "ts", "-reply", "-config", "openssl.cnf", "-section", "tsa",
                     "-queryfile", str(query_file), "-inkey", "signer.key",
                     "-signer", "signer.crt", "-out", str(reply_file)],
                    cwd=directory, capture_output=True,
                )  # fmt: skip
                reply = reply_file.read_bytes() if done.returncode == 0 else b""
            if not reply:
                self.send_error(400)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *_args: object) -> None:
            pass

    return TimeStampHandler


@contextmanager
def serve_tsa(directory: Path, name: str = "Evidence Test") -> Iterator[LocalTSA]:
    """A running time-stamp authority with its own root, until the block ends."""
    directory.mkdir(parents=True, exist_ok=True)
    _make_authority(directory, name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(directory, threading.Lock()))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LocalTSA(url=f"http://127.0.0.1:{server.server_port}/tsa", directory=directory)
    finally:
        server.shutdown()
        server.server_close()
